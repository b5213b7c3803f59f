"""VarianceReduction: libact's query sequence, and the vectorised trace against libact's definition.

``direct_trace`` forms libact's (K d) x (K d) matrices explicitly -- A as a
sum of g g^T with g[(p, i), c] = G[p, c] x_i, F with its Kronecker blocks --
and takes ``trace(A pinv(F))`` with the SVD pseudo-inverse and libact's
absolute 1e-30 cutoff.  ``direct_expected_variances`` retrains scikit-learn
estimators itself, candidate by candidate and label by label.
"""
import numpy as np
import pytest
import joblib
from sklearn.linear_model import LogisticRegression as SkLR
from sklearn.multiclass import OneVsRestClassifier

from fastal.base.dataset import Dataset
from fastal.models import SVM, LogisticRegression, SklearnAdapter
from fastal.query_strategies._selection import EMPTY_POOL
from fastal.query_strategies.variance_reduction import (
    VarianceReduction, expected_variance, fisher_ridge)
from fastal.testing import query_sequence

# Relative tolerance (scaled by the largest value) between the vectorised and
# the direct computations: both are backward stable evaluations of the same
# expression on well-conditioned F (ridge 1), so they differ by rounding only.
RTOL = 1e-9

LIBACT_X = [[-2, -1], [1, 1], [-1, -2], [-1, -1], [1, 2], [2, 1]]
LIBACT_Y = [0, 1, 0, 1, 0, 1]


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def direct_trace(ridge, proba_labeled, X_labeled, proba_query, x):
    """libact's trace(A pinv(F)) for one candidate, matrices formed explicitly."""
    k, d = len(proba_query), len(x)
    A = np.zeros((k * d, k * d))
    for pi, xn in zip(proba_labeled, X_labeled):
        G = np.diag(pi * (1 - pi))
        for p in range(k):
            for c in range(k):
                if p != c:
                    G[p, c] = -pi[p] * pi[c]
        g = np.kron(G, np.asarray(xn, dtype=float)[:, None])     # row p * d + i, column c
        A += g @ g.T
    B = np.outer(proba_query, proba_query)
    np.fill_diagonal(B, proba_query * (1 - proba_query))
    F = np.kron(B, np.outer(x, x)) + ridge * np.eye(k * d)
    U, s, Vt = np.linalg.svd(F)
    keep = s > 1e-30
    F_pinv = (Vt[keep].T / s[keep]) @ U[:, keep].T
    return np.trace(A @ F_pinv)


def real_outputs(est, X):
    dvalue = est.decision_function(X)
    return np.column_stack([-dvalue, dvalue]) if dvalue.ndim == 1 else dvalue


def direct_expected_variances(X, partial, make_est, ridge=1.0):
    """libact's expected variance of every unlabeled row, with scikit-learn fits."""
    X = np.asarray(X, dtype=float)
    labeled = np.array([v is not None for v in partial])
    XL = X[labeled]
    yL = np.array([v for v in partial if v is not None])
    n_labels = len(np.unique(yL))
    query = sigmoid(real_outputs(make_est().fit(XL, yL), X[~labeled]))
    errors = []
    for row, x in enumerate(X[~labeled]):
        stacked = np.vstack([XL, x])
        total = 0.0
        for c in range(n_labels):
            est = make_est().fit(stacked, np.append(yL, c))
            PI = sigmoid(real_outputs(est, stacked))
            total += query[row, c] * direct_trace(ridge, PI[:-1], XL, PI[-1], x)
        errors.append(total)
    return np.flatnonzero(~labeled), np.array(errors)


def test_libact_query_sequence():
    ds = Dataset(LIBACT_X, LIBACT_Y[:2] + [None] * 4)
    qs = VarianceReduction(ds, model=LogisticRegression(solver="liblinear", multi_class="ovr"),
                           sigma=0.1)
    assert query_sequence(qs, ds, LIBACT_Y, 4) == [4, 5, 2, 3]


@pytest.mark.parametrize("k, d, n_labeled", [(2, 2, 3), (3, 1, 4), (1, 3, 2), (4, 2, 1), (3, 3, 5)])
def test_expected_variance_equals_direct_trace(k, d, n_labeled):
    rng = np.random.default_rng(100 * k + 10 * d + n_labeled)
    m = 5
    PL = rng.random((m, n_labeled, k))
    XL = rng.normal(size=(n_labeled, d))
    pq = rng.random((m, k))
    Xq = rng.normal(size=(m, d))
    Xq[0] = 0.0                                  # F = ridge * I
    pq[1] = 0.97                                 # large entries of B
    for ridge in (1.0, 0.25):
        ours = expected_variance(PL, XL, pq, Xq, ridge)
        ref = np.array([direct_trace(ridge, PL[j], XL, pq[j], Xq[j]) for j in range(m)])
        np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=RTOL * np.abs(ref).max())


def test_fisher_ridge_is_libact_expression():
    assert fisher_ridge(0.1) == (1.0 / 0.1) * 0.1
    assert fisher_ridge(1.0) == 1.0


def test_libact_pool_scores_equal_direct():
    partial = LIBACT_Y[:2] + [None] * 4
    ds = Dataset(LIBACT_X, partial)
    qs = VarianceReduction(ds, model=LogisticRegression(solver="liblinear"), sigma=0.1)
    ids, variances = qs.expected_variances()
    ref_ids, errors = direct_expected_variances(
        LIBACT_X, partial, lambda: SkLR(solver="liblinear"), fisher_ridge(0.1))
    np.testing.assert_array_equal(ids, ref_ids)
    np.testing.assert_allclose(variances, errors, rtol=RTOL, atol=RTOL * np.abs(errors).max())


def ovr_model():
    """One-vs-rest liblinear: three binary fits, much faster than the multinomial solver."""
    return LogisticRegression(solver="liblinear", multi_class="ovr")


def ovr_estimator():
    return OneVsRestClassifier(SkLR(solver="liblinear"))


def three_class_pool(labels=(0, 1, 2), seed=4):
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])
    X = np.vstack([centers[c] + 0.8 * rng.normal(size=(4, 2)) for c in range(3)])
    y = np.repeat(labels, 4)
    partial = [y[i] if i % 4 < 2 else None for i in range(len(y))]
    return X, y, partial


@pytest.mark.parametrize("labels", [(0, 1, 2), (-1, 1, 5)])
def test_multiclass_scores_equal_direct(labels):
    # labels other than 0..k-1: the hypothetical labels are still 0..k-1, as in libact
    X, y, partial = three_class_pool(labels)
    ds = Dataset(X, partial)
    qs = VarianceReduction(ds, model=ovr_model())
    ids, variances = qs.expected_variances()
    ref_ids, errors = direct_expected_variances(X, partial, ovr_estimator)
    np.testing.assert_array_equal(ids, ref_ids)
    np.testing.assert_allclose(variances, errors, rtol=RTOL, atol=RTOL * np.abs(errors).max())
    assert qs.make_query() == ids[np.argmin(errors)]


def test_parallel_fits_give_the_same_scores():
    X, _, partial = three_class_pool()
    sequential = VarianceReduction(Dataset(X, partial), model=ovr_model()).expected_variances()
    # threads: the split and merge of the parallel path, without process start-up
    with joblib.parallel_config(backend="threading"):
        parallel = VarianceReduction(Dataset(X, partial), model=ovr_model(),
                                     n_jobs=2).expected_variances()
    np.testing.assert_array_equal(sequential[0], parallel[0])
    np.testing.assert_allclose(sequential[1], parallel[1], rtol=1e-12)


def test_sigma_does_not_change_scores():
    X, _, partial = three_class_pool()
    a = VarianceReduction(Dataset(X, partial), model=ovr_model(), sigma=0.1).expected_variances()
    b = VarianceReduction(Dataset(X, partial), model=ovr_model(), sigma=7.0).expected_variances()
    np.testing.assert_allclose(a[1], b[1], rtol=1e-12)


def test_batch_return_score_and_first_tie_rule():
    # row 6 repeats row 4, the best candidate: an exact tie, the first row wins
    X = LIBACT_X + [LIBACT_X[4]]
    ds = Dataset(X, LIBACT_Y[:2] + [None] * 5)
    qs = VarianceReduction(ds, model=LogisticRegression(solver="liblinear"), sigma=0.1)
    ids, variances = qs.expected_variances()
    assert variances[ids.tolist().index(4)] == variances[ids.tolist().index(6)] == variances.min()
    assert int(qs.make_query()) == 4
    batch = qs.make_query(n_instances=3)
    assert isinstance(batch, np.ndarray) and batch.tolist()[:2] == [4, 6]
    assert batch.tolist() == ids[np.argsort(variances, kind="stable")[:3]].tolist()
    ask, pairs = qs.make_query(return_score=True)
    assert ask == 4 and [int(i) for i, _ in pairs] == ids.tolist()
    np.testing.assert_array_equal([s for _, s in pairs], -variances)
    with pytest.raises(TypeError):
        qs.make_query(2)


def test_get_scores_raises_as_in_libact():
    ds = Dataset(LIBACT_X, LIBACT_Y[:2] + [None] * 4)
    qs = VarianceReduction(ds, model=LogisticRegression(solver="liblinear"))
    with pytest.raises(NotImplementedError):
        qs._get_scores()


def test_model_is_left_trained_on_the_labeled_rows():
    X, _, partial = three_class_pool()
    ds = Dataset(X, partial)
    model = ovr_model()
    VarianceReduction(ds, model=model).make_query()
    fresh = ovr_model()
    fresh.train(ds)
    np.testing.assert_allclose(model.predict_real(X), fresh.predict_real(X), rtol=1e-12)


def test_model_given_by_name_and_other_continuous_models():
    ds = Dataset(LIBACT_X, LIBACT_Y[:2] + [None] * 4)
    qs = VarianceReduction(ds, model="LogisticRegression")
    assert isinstance(qs.model, LogisticRegression)
    assert qs.make_query() in [2, 3, 4, 5]
    qs = VarianceReduction(ds, model=SVM(kernel="linear"))
    assert qs.make_query() in [2, 3, 4, 5]


def test_errors():
    ds = Dataset(LIBACT_X, LIBACT_Y[:2] + [None] * 4)
    model = LogisticRegression()
    with pytest.raises(TypeError, match="model"):
        VarianceReduction(ds)
    with pytest.raises(TypeError, match="ContinuousModel"):
        VarianceReduction(ds, model=SklearnAdapter(SkLR()))
    with pytest.raises(AttributeError):
        VarianceReduction(ds, model="NoSuchModel")
    with pytest.raises(NotImplementedError, match="trace"):
        VarianceReduction(ds, model=model, optimality="determinant")
    with pytest.raises(ValueError, match="optimality"):
        VarianceReduction(ds, model=model, optimality="A")
    for sigma in (0, -1.0, np.inf, "1"):
        with pytest.raises(ValueError, match="sigma"):
            VarianceReduction(ds, model=model, sigma=sigma)
    with pytest.raises(ValueError, match="n_jobs"):
        VarianceReduction(ds, model=model, n_jobs=0)
    full = Dataset(LIBACT_X, LIBACT_Y)
    qs = VarianceReduction(full, model=model)
    with pytest.raises(ValueError, match=EMPTY_POOL):
        qs.make_query()
    assert qs.expected_variances()[0].size == 0
    qs = VarianceReduction(ds, model=model)
    with pytest.raises(ValueError):
        qs.make_query(n_instances=5)
