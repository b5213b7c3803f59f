"""QUIRE: libact's query sequences, and the kept state against libact's formula evaluated directly.

``direct_quire_scores`` restates libact's score literally -- one candidate at
a time, with the determinant and the per-candidate matrices formed
explicitly, O(u^3) per query -- so the incremental implementation is checked
against the formula itself over sequences of labels, relabels, rows put back
into the pool and appended rows.
"""
import os

import numpy as np
import pytest
from sklearn.metrics.pairwise import linear_kernel, polynomial_kernel, rbf_kernel

from fastal.base.dataset import Dataset, import_libsvm_sparse
from fastal.query_strategies._selection import EMPTY_POOL
from fastal.query_strategies.quire import QUIRE, quire_kernel_matrix
from fastal.testing import query_sequence

# Scores are compared with this relative tolerance, scaled by the largest
# |score|: the two computations differ only by rounding (re-associated sums
# and a Cholesky instead of an LU inverse of a well-conditioned matrix),
# which stays below 1e-12 on these inputs.
RTOL = 1e-9

LIBACT_X = [[-2, -1], [-1, -1], [-1, -2], [1, 1], [1, 2], [2, 1], [0, 1],
            [0, -2], [1.5, 1.5], [-2, -2]]
LIBACT_Y = [-1, -1, -1, 1, 1, 1, -1, -1, 1, 1]
HEART_SCALE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "heart_scale")


def direct_quire_scores(K, lmbda, labeled, labels):
    """libact's QUIRE score of every unlabeled row (negated eva), evaluated as written.

    For candidate i, r = U without i::

        M      = lmbda I + K[U, U] - K[U, Lb] K[Lb, U] / lmbda
        s      = |M[r, i]|^2 / M[i, i]                (a scalar)
        tmp    = (L[i, Lb] - L[i, r] (M[r, r] - s) L[r, Lb]) . y
        eva    = L[i, i] - det(L[U, U]) / L[i, i] + 2 |tmp|
    """
    n = K.shape[0]
    L = np.linalg.inv(K + lmbda * np.eye(n))
    U = np.flatnonzero(~labeled)
    Lb = np.flatnonzero(labeled)
    y = np.asarray(labels, dtype=float)
    det = np.linalg.det(L[np.ix_(U, U)])
    M = lmbda * np.eye(len(U)) + K[np.ix_(U, U)] - K[np.ix_(U, Lb)] @ K[np.ix_(Lb, U)] / lmbda
    eva = []
    for pos, i in enumerate(U):
        rest = np.delete(np.arange(len(U)), pos)
        r = U[rest]
        s = M[rest, pos] @ M[rest, pos] / M[pos, pos]
        inner = M[np.ix_(rest, rest)] - s
        tmp = (L[i, Lb] - L[i, r] @ inner @ L[np.ix_(r, Lb)]) @ y
        eva.append(L[i, i] - det / L[i, i] + 2 * abs(tmp))
    return U, -np.array(eva)


def state_of(ds):
    _, y = ds.get_entries()
    labeled = ds.get_labeled_mask()
    return labeled, [float(v) for v in y[labeled]]


def assert_matches_direct(qs, K, lmbda):
    labeled, labels = state_of(qs.dataset)
    ids, scores = qs._get_scores()
    ref_ids, ref = direct_quire_scores(K, lmbda, labeled, labels)
    np.testing.assert_array_equal(ids, ref_ids)
    np.testing.assert_allclose(scores, ref, rtol=RTOL, atol=RTOL * np.abs(ref).max())
    assert int(qs.make_query()) == int(ref_ids[np.argmax(ref)])


def random_pool(n=36, d=3, labeled_fraction=0.3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = rng.choice([-1.0, 1.0], size=n)
    labeled = rng.random(n) < labeled_fraction
    labeled[:2] = True
    return X, y, [y[i] if labeled[i] else None for i in range(n)]


def test_libact_query_sequence():
    ds = Dataset(LIBACT_X, LIBACT_Y[:6] + [None] * 4)
    assert query_sequence(QUIRE(ds), ds, LIBACT_Y, 4) == [6, 7, 9, 8]


@pytest.mark.parametrize("kernel, expected", [
    ("rbf", [117, 175, 256, 64, 103, 118, 180, 159, 129, 235]),
    (lambda X, Y: np.dot(X, Y.T), [9, 227, 176, 110, 52, 117, 228, 205, 103, 175]),
], ids=["rbf", "callable_linear"])
def test_libact_realdata_sequences(kernel, expected):
    """libact's test_realdata: 270 rows of heart_scale, 5 labeled, 10 queries."""
    X, y = import_libsvm_sparse(HEART_SCALE).format_sklearn()
    ds = Dataset(X, list(y[:5]) + [None] * (len(y) - 5))
    assert query_sequence(QUIRE(ds, kernel=kernel), ds, y, 10) == expected


def test_libact_first_scores():
    # -eva of rows 6..9 at the start of libact's test (libact's formula, direct)
    ds = Dataset(LIBACT_X, LIBACT_Y[:6] + [None] * 4)
    ids, scores = QUIRE(ds)._get_scores()
    K = rbf_kernel(np.array(LIBACT_X, dtype=float), gamma=1.0)
    _, ref = direct_quire_scores(K, 1.0, np.arange(10) < 6, LIBACT_Y[:6])
    assert ids.tolist() == [6, 7, 8, 9]
    np.testing.assert_allclose(scores, ref, rtol=1e-12)
    np.testing.assert_allclose(scores, [-0.54537961, -0.55050449, -1.39342274, -0.7342316],
                               atol=1e-8)


def poly(X):
    return polynomial_kernel(X, X, degree=3, gamma=0.5, coef0=1)


KERNEL_CASES = {
    "rbf": ({}, lambda X: rbf_kernel(X, X, gamma=1.0), 1.0),
    "rbf_small_lambda": ({"lambda": 0.1, "gamma": 0.5}, lambda X: rbf_kernel(X, X, gamma=0.5), 0.1),
    "poly": ({"kernel": "poly", "gamma": 0.5}, poly, 1.0),
    "linear": ({"kernel": "linear", "lambda": 3.0}, lambda X: linear_kernel(X, X), 3.0),
    # K - 0.3 I is indefinite: LU inverse and determinants without Cholesky
    "linear_indefinite": ({"kernel": "linear", "lambda": -0.3},
                          lambda X: linear_kernel(X, X), -0.3),
    # a callable whose matrix is not symmetric
    "callable_asymmetric": ({"kernel": lambda X, Y: X @ Y.T + 0.05 * np.arange(len(X))[:, None]},
                            lambda X: X @ X.T + 0.05 * np.arange(len(X))[:, None], 1.0),
}


@pytest.mark.parametrize("case", sorted(KERNEL_CASES))
def test_incremental_scores_equal_direct_formula(case):
    kwargs, kernel, lmbda = KERNEL_CASES[case]
    X, y, partial = random_pool(seed=len(case))
    ds = Dataset(X, partial)
    qs = QUIRE(ds, **kwargs)
    K = kernel(X)
    for _ in range(6):
        assert_matches_direct(qs, K, lmbda)
        ask = qs.make_query()
        ds.update(ask, y[ask])
    assert_matches_direct(qs, K, lmbda)


def test_relabel_unlabel_and_append():
    X, y, partial = random_pool(n=30, seed=3)
    ds = Dataset(X, partial)
    qs = QUIRE(ds)
    K = rbf_kernel(X, X, gamma=1.0)
    ask = int(qs.make_query())
    ds.update(ask, y[ask])
    ds.update(ask, -y[ask])                 # the same row labeled twice
    assert_matches_direct(qs, K, 1.0)
    ds.update(ask, None)                    # back into the pool
    assert ask in qs._get_scores()[0].tolist()
    assert_matches_direct(qs, K, 1.0)
    labeled_before = np.flatnonzero(ds.get_labeled_mask())[0]
    ds.update(int(labeled_before), None)    # an initially labeled row leaves the labeled set
    assert_matches_direct(qs, K, 1.0)
    ds.update(int(labeled_before), 1.0)
    assert_matches_direct(qs, K, 1.0)
    new_row = np.array([0.3, -0.2, 0.1])
    new_id = ds.append(new_row)             # K and the inverse are rebuilt
    X2 = np.vstack([X, new_row])
    K2 = rbf_kernel(X2, X2, gamma=1.0)
    assert new_id in qs._get_scores()[0].tolist()
    assert_matches_direct(qs, K2, 1.0)
    ds.update(new_id, 1.0)
    assert_matches_direct(qs, K2, 1.0)


def test_missed_updates_are_caught(monkeypatch):
    # with the callback doing nothing, every query must still see the current labels
    monkeypatch.setattr(QUIRE, "update", lambda self, entry_id, label: None)
    X, y, partial = random_pool(n=32, seed=5)
    ds = Dataset(X, partial)
    qs = QUIRE(ds)
    K = rbf_kernel(X, X, gamma=1.0)
    for entry_id in np.flatnonzero(~ds.get_labeled_mask())[:7]:
        ds.update(int(entry_id), y[entry_id])
    assert_matches_direct(qs, K, 1.0)
    ds.update(int(np.flatnonzero(ds.get_labeled_mask())[0]), None)
    assert_matches_direct(qs, K, 1.0)


def test_state_after_updates_equals_fresh_state():
    # two labeled rows to start with: the kept Cholesky factor grows past its first capacity
    X, y, partial = random_pool(n=40, labeled_fraction=0.0, seed=7)
    ds = Dataset(X, partial)
    qs = QUIRE(ds)
    for _ in range(20):
        ask = qs.make_query()
        ds.update(ask, y[ask])
    fresh = QUIRE(Dataset(X, [y[i] if m else None for i, m in enumerate(ds.get_labeled_mask())]))
    np.testing.assert_allclose(qs._M, fresh._M, rtol=0, atol=1e-12 * np.abs(fresh._M).max())
    assert qs._chol_ok and fresh._chol_ok
    assert qs._logdet_labeled == pytest.approx(fresh._logdet_labeled, rel=1e-12, abs=1e-12)
    pool = ds.get_unlabeled_ids()
    kept = qs._pool_sums[:, pool].copy()          # updated label by label
    qs._refresh_pool_sums()
    recomputed = qs._pool_sums[:, pool]
    np.testing.assert_allclose(kept, recomputed, rtol=0,
                               atol=1e-12 * np.abs(recomputed).max())
    assert_matches_direct(qs, rbf_kernel(X, X, gamma=1.0), 1.0)


def test_medium_pool_matches_direct():
    X, y, partial = random_pool(n=110, d=4, labeled_fraction=0.1, seed=11)
    ds = Dataset(X, partial)
    qs = QUIRE(ds, gamma=0.5)
    K = rbf_kernel(X, X, gamma=0.5)
    for _ in range(2):
        assert_matches_direct(qs, K, 1.0)
        for ask in qs.make_query(n_instances=3):
            ds.update(int(ask), y[ask])
    assert_matches_direct(qs, K, 1.0)


def test_batch_return_score_and_first_tie_rule():
    X, y, partial = random_pool(n=30, seed=9)
    ds = Dataset(X, partial)
    qs = QUIRE(ds)
    ids, scores = qs._get_scores()
    batch = qs.make_query(n_instances=5)
    assert isinstance(batch, np.ndarray) and batch.tolist() == \
        ids[np.argsort(-scores, kind="stable")[:5]].tolist()
    assert batch[0] == qs.make_query()
    ask, pairs = qs.make_query(return_score=True)
    assert ask == batch[0]
    assert [int(i) for i, _ in pairs] == ids.tolist()
    np.testing.assert_array_equal([s for _, s in pairs], scores)
    assert sorted(qs.make_query(n_instances=len(ids)).tolist()) == ids.tolist()


def test_exact_ties_go_to_the_first_row():
    # zero rows under the linear kernel: L is 1/lambda on their diagonal and 0
    # elsewhere, so their scores are exactly equal (and the largest here)
    X = np.array([[1.0, 0.5], [0.8, -0.3], [2.0, 1.0], [0.0, 0.0], [1.5, 1.2],
                  [0.0, 0.0], [0.0, 0.0], [3.0, 2.5]])
    ds = Dataset(X, [1, 1, None, None, None, None, None, None])
    qs = QUIRE(ds, kernel="linear", random_state=7)   # random_state is accepted and unused
    ids, scores = qs._get_scores()
    tied = ids[scores == scores.max()]
    assert tied.tolist() == [3, 5, 6]
    assert int(qs.make_query()) == 3
    assert qs.make_query(n_instances=3).tolist() == [3, 5, 6]
    other = QUIRE(Dataset(X, [1, 1, None, None, None, None, None, None]), kernel="linear",
                  random_state=123)
    np.testing.assert_array_equal(other._get_scores()[1], scores)


def test_single_row_pool():
    ds = Dataset(LIBACT_X, LIBACT_Y[:9] + [None])
    qs = QUIRE(ds)
    K = rbf_kernel(np.array(LIBACT_X, dtype=float), gamma=1.0)
    assert_matches_direct(qs, K, 1.0)
    assert int(qs.make_query()) == 9


def test_libact_attributes():
    ds = Dataset(LIBACT_X, LIBACT_Y[:6] + [None] * 4)
    qs = QUIRE(ds, **{"lambda": 0.5})
    assert qs.lmbda == 0.5 and qs.Uindex == [6, 7, 8, 9] and qs.Lindex == list(range(6))
    np.testing.assert_allclose(qs.L @ (qs.K + 0.5 * np.eye(10)), np.eye(10), atol=1e-12)
    ds.update(7, -1)
    assert qs.Uindex == [6, 8, 9] and qs.Lindex == [0, 1, 2, 3, 4, 5, 7]


def test_errors():
    ds = Dataset(LIBACT_X, LIBACT_Y)
    qs = QUIRE(ds)
    with pytest.raises(ValueError, match=EMPTY_POOL):
        qs.make_query()
    assert qs._get_scores()[0].size == 0
    partial = LIBACT_Y[:6] + [None] * 4
    with pytest.raises(NotImplementedError):
        QUIRE(Dataset(LIBACT_X, partial), kernel="sigmoid")
    with pytest.raises(NotImplementedError):
        QUIRE(Dataset(LIBACT_X, partial), kernel=3)
    with pytest.raises(TypeError, match="K should be an ndarray"):
        QUIRE(Dataset(LIBACT_X, partial), kernel=lambda X, Y: (X @ Y.T).tolist())
    with pytest.raises(ValueError, match=r"kernel should have size \(10, 10\)"):
        QUIRE(Dataset(LIBACT_X, partial), kernel=lambda X, Y: X @ Y[:5].T)
    with pytest.raises(ValueError, match="lambda"):
        QUIRE(Dataset(LIBACT_X, partial), **{"lambda": 0})
    qs = QUIRE(Dataset(LIBACT_X, partial))
    with pytest.raises(ValueError):
        qs.make_query(n_instances=5)
    with pytest.raises(TypeError):
        qs.make_query(2)


def test_kernel_matrix_matches_scikit_learn():
    X = np.random.default_rng(2).normal(size=(12, 3))
    np.testing.assert_array_equal(quire_kernel_matrix(X), rbf_kernel(X, X, gamma=1.0))
    np.testing.assert_array_equal(quire_kernel_matrix(X, "poly", gamma=0.3, coef0=2, degree=2),
                                  polynomial_kernel(X, X, degree=2, gamma=0.3, coef0=2))
    np.testing.assert_array_equal(quire_kernel_matrix(X, "linear"), linear_kernel(X, X))
