"""HintSVM: libact's query sequence, the dual solution checked directly, sklearn without hints."""
import os
import warnings

import numpy as np
import pytest
from sklearn.metrics.pairwise import (
    linear_kernel, polynomial_kernel, rbf_kernel, sigmoid_kernel)
from sklearn.svm import SVC

import fastal
from fastal.base.dataset import Dataset, import_libsvm_sparse
from fastal.query_strategies._selection import EMPTY_POOL
from fastal.query_strategies.hintsvm import HINT_EPSILON, HintSVM, decision_values, fit_dual
from fastal.testing import query_sequence

HEART = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "heart_scale")
# libact's test_realdata.test_HintSVM: first 5 rows labeled, random_state=1126
LIBACT_SEQUENCE = [24, 235, 228, 209, 18, 143, 119, 90, 149, 207]

CONFIGS = {
    "linear_hard_tube": dict(),
    "rbf": dict(kernel="rbf", gamma=0.5, Cl=1.0),
    "poly_linear_hint_loss": dict(kernel="poly", degree=1, gamma=0.5, coef0=1.0, Cl=1.0, Ch=0.05),
    "poly_squared_hint_loss": dict(kernel="poly", degree=2, gamma=0.2, coef0=1.0, Cl=0.5, Ch=0.2),
    "sigmoid": dict(kernel="sigmoid", gamma=0.02, coef0=-0.5, Cl=2.0),
    "no_shrinking": dict(kernel="rbf", gamma=0.1, shrinking=0, Cl=0.3),
}
KERNEL_KEYS = ("kernel", "degree", "gamma", "coef0")


@pytest.fixture(scope="module")
def heart():
    X, y = import_libsvm_sparse(HEART).format_sklearn()
    return np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)


def sk_kernel(A, B, kernel="linear", degree=3, gamma=0.1, coef0=0.0):
    """The kernel from scikit-learn's definitions (independent of fastal's code)."""
    if kernel == "linear":
        return linear_kernel(A, B)
    if kernel == "poly":
        return polynomial_kernel(A, B, degree=degree, gamma=gamma, coef0=coef0)
    if kernel == "rbf":
        return rbf_kernel(A, B, gamma=gamma)
    return sigmoid_kernel(A, B, gamma=gamma, coef0=coef0)


def split_params(cfg):
    kp = {k: cfg[k] for k in KERNEL_KEYS if k in cfg}
    rest = {k: v for k, v in cfg.items() if k not in KERNEL_KEYS}
    return kp, rest


# -- libact's expected sequence -----------------------------------------------------------------
def test_libact_heart_scale_sequence(backend, heart):
    X, y = heart
    ds = Dataset(X, np.concatenate([y[:5], [None] * (len(y) - 5)]))
    qs = HintSVM(ds, random_state=1126)
    assert query_sequence(qs, ds, y, 10) == LIBACT_SEQUENCE


def test_heart_scale_picks_are_not_solver_ties(heart):
    """Each pick leads the runner-up by far more than the two backends differ.

    The smallest lead (third query) is about 2.8e-5; the backends take the same
    steps, so their scores agree to rounding (< 1e-10), and the sequence does not
    hinge on solver numerics.  A solver stopped anywhere else within tol=1e-3
    could reorder that third pick.
    """
    X, y = heart
    leads, gaps = [], []
    labels = {b: np.concatenate([y[:5], [None] * (len(y) - 5)]) for b in ("python", "compiled")}
    datasets = {b: Dataset(X, labels[b]) for b in labels}
    strategies = {b: HintSVM(datasets[b], random_state=1126) for b in labels}
    for _ in range(10):
        scores = {}
        for b in ("python", "compiled"):
            with fastal.use_backend(b):
                ids, scores[b] = strategies[b]._get_scores()
        gaps.append(np.max(np.abs(scores["python"] - scores["compiled"])))
        top2 = np.sort(scores["python"])[-2:]
        leads.append(top2[1] - top2[0])
        ask = int(ids[np.argmax(scores["python"])])
        for b in labels:
            datasets[b].update(ask, y[ask])
    assert max(gaps) < 1e-10
    assert min(leads) > 1e3 * max(max(gaps), 1e-12)


# -- the dual, checked directly -----------------------------------------------------------------
def kkt_residuals(fit, kp, tol):
    """Feasibility and KKT conditions of the dual from an independent gradient."""
    K = sk_kernel(fit.X, fit.X, **kp)
    Kv = K[np.ix_(fit.point, fit.point)]
    Q = np.outer(fit.sign, fit.sign) * Kv + np.diag(fit.ridge)
    G = Q @ fit.alpha + fit.lin
    a, U = fit.alpha, fit.upper
    assert np.all(a >= 0) and np.all(a <= U)
    scale = 1.0 + np.abs(Q).sum(axis=1) * max(a.max(), 1.0)
    slack = tol + 1e-6 * scale.max()
    assert abs(fit.sign @ a) <= 1e-9 * max(1.0, a.sum())
    r = G - fit.rho * fit.sign  # gradient of the Lagrangian
    at_lower = a <= 0
    at_upper = a >= U
    free = ~at_lower & ~at_upper
    assert np.all(r[at_lower] >= -slack)
    assert np.all(r[at_upper] <= slack)
    assert np.all(np.abs(r[free]) <= slack)
    return G


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_dual_feasible_and_kkt(backend, heart, name):
    X, y = heart
    kp, rest = split_params(CONFIGS[name])
    rng = np.random.RandomState(3)
    hints = X[rng.choice(np.arange(40, len(X)), 60)]  # with replacement, as the strategy draws
    fit = fit_dual(X[:40], y[:40], hints, **kp, **rest)
    kkt_residuals(fit, kp, tol=1e-3)
    # the decision function is the one the dual defines
    f_train = sk_kernel(fit.X, fit.X, **kp) @ fit.coef - fit.rho
    assert np.allclose(decision_values(fit, fit.X, **kp), f_train, atol=1e-9)
    if kp.get("degree", 3) not in (1, 2):
        # hard tube: every hint row lies within eps of 0 (up to the tolerance)
        hint_rows = fit.point[len(fit.point) - 60:]
        assert np.all(np.abs(f_train[hint_rows]) <= HINT_EPSILON + 2e-3)
    if kp.get("degree") == 1:
        assert np.all(np.isfinite(fit.upper)) and np.allclose(fit.upper[fit.lin > 0], rest["Ch"])


def test_dual_tight_tolerance_kkt(heart):
    X, y = heart
    hints = X[np.random.RandomState(0).choice(np.arange(30, len(X)), 80)]
    fit = fit_dual(X[:30], y[:30], hints, Cl=1.0, tol=1e-9)
    kkt_residuals(fit, {}, tol=1e-9 + 1e-6)


def test_bounds_follow_degree(heart):
    X, y = heart
    H = X[50:60]
    hard = fit_dual(X[:20], y[:20], H, Cl=0.3, Ch=0.07)
    linear = fit_dual(X[:20], y[:20], H, Cl=0.3, Ch=0.07, degree=1)
    squared = fit_dual(X[:20], y[:20], H, Cl=0.3, Ch=0.07, degree=2)
    hint = hard.lin > 0
    assert np.all(hard.upper[~hint] == 0.3) and np.all(np.isinf(hard.upper[hint]))
    assert np.allclose(linear.upper[hint], 0.07) and np.all(linear.upper[~hint] == 0.3)
    assert np.all(np.isinf(squared.upper[hint]))
    assert np.allclose(squared.ridge[hint], 1 / (2 * 0.07))
    assert hint.sum() == 2 * len(H)


def test_ch_unused_with_hard_tube(heart):
    X, y = heart
    scores = []
    for Ch in (0.1, 5.0):
        ds = Dataset(X, np.concatenate([y[:8], [None] * (len(y) - 8)]))
        scores.append(HintSVM(ds, Ch=Ch, random_state=4)._get_scores()[1])
    assert np.array_equal(scores[0], scores[1])


# -- no hints: the standard C-SVM ---------------------------------------------------------------
@pytest.mark.parametrize("kp", [dict(kernel="linear"), dict(kernel="rbf", gamma=0.1),
                                dict(kernel="poly", degree=3, gamma=0.1, coef0=1.0),
                                dict(kernel="sigmoid", gamma=0.01, coef0=0.0)])
@pytest.mark.parametrize("C", [0.1, 1.0])
def test_no_hints_is_svc(backend, heart, kp, C):
    X, y = heart
    Xl, yl, Xt = X[:120], y[:120], X[120:]
    no_hints = np.zeros((0, X.shape[1]))
    svc = SVC(C=C, tol=1e-8, **kp).fit(Xl, yl)
    ref = svc.decision_function(Xt)
    fit = fit_dual(Xl, yl, no_hints, Cl=C, tol=1e-8, **kp)
    d = decision_values(fit, Xt, **kp)
    d = d * np.sign(d @ ref)  # the positive class is the first label seen, not classes_[1]
    assert np.max(np.abs(d - ref)) <= 1e-6 * max(1.0, np.abs(ref).max())
    # at the default tolerance both stop within tol of the same optimum
    fit = fit_dual(Xl, yl, no_hints, Cl=C, **kp)
    d = np.abs(decision_values(fit, Xt, **kp))
    assert np.max(np.abs(d - np.abs(SVC(C=C, **kp).fit(Xl, yl).decision_function(Xt)))) < 1e-2


def test_p_zero_queries_svc_argmax(heart):
    X, y = heart
    ds = Dataset(X, np.concatenate([y[:30], [None] * (len(y) - 30)]))
    qs = HintSVM(ds, p=0.0, Cl=1.0, tol=1e-8, random_state=0)
    ids, scores = qs._get_scores()
    svc = SVC(kernel="linear", C=1.0, tol=1e-8).fit(X[:30], y[:30])
    ref = np.abs(svc.decision_function(X[30:]))
    assert np.allclose(scores, ref, atol=1e-6)
    assert qs.make_query() == ids[np.argmax(ref)]


# -- the strategy -------------------------------------------------------------------------------
def pool(n=60, n_labeled=6, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 4)
    y = np.where(X[:, 0] + 0.3 * X[:, 1] > 0, 1, -1)
    return Dataset(X, list(y[:n_labeled]) + [None] * (n - n_labeled)), X, y


def test_backends_take_the_same_steps():
    _, X, y = pool(300, seed=5)
    for cfg in CONFIGS.values():
        kp, rest = split_params(cfg)
        fits = []
        for b in ("python", "compiled"):
            with fastal.use_backend(b):
                fits.append(fit_dual(X[:10], y[:10], X[10:160], **kp, **rest))
        assert fits[0].n_iter == fits[1].n_iter
        assert np.max(np.abs(fits[0].alpha - fits[1].alpha)) < 1e-10
        assert abs(fits[0].rho - fits[1].rho) < 1e-10


def test_small_kernel_cache_same_solution():
    _, X, y = pool(400, seed=6)
    with fastal.use_backend("compiled"):
        big = fit_dual(X[:10], y[:10], X[10:400], kernel="rbf", gamma=0.3)
        small = fit_dual(X[:10], y[:10], X[10:400], kernel="rbf", gamma=0.3, cache_size=0.005)
    assert np.array_equal(big.alpha, small.alpha) and big.rho == small.rho


def test_batch_and_scores(backend):
    ds, X, _ = pool()
    single = HintSVM(ds, random_state=7).make_query()
    ds2, _, _ = pool()
    qs = HintSVM(ds2, random_state=7)
    batch = qs.make_query(n_instances=5)
    assert batch[0] == single and len(set(batch.tolist())) == 5
    ds3, _, _ = pool()
    qs3 = HintSVM(ds3, random_state=7)
    ask, pairs = qs3.make_query(return_score=True)
    ids = np.array([i for i, _ in pairs])
    scores = np.array([s for _, s in pairs])
    assert np.array_equal(ids, ds3.get_unlabeled_ids())
    assert ask == single == ids[np.argmax(scores)]
    unlabeled = ds3.get_unlabeled_ids()
    assert np.allclose(scores, np.abs(decision_values(qs3.fit_, X[unlabeled])))
    order = np.argsort(-scores, kind="stable")
    assert np.array_equal(batch, ids[order[:5]])


def test_label_values_do_not_matter_beyond_order(heart):
    X, y = heart
    relabeled = np.where(y > 0, 7, 3)  # same first-seen order as y
    out = []
    for labels in (y, relabeled):
        ds = Dataset(X, list(labels[:10]) + [None] * (len(y) - 10))
        out.append(HintSVM(ds, random_state=2)._get_scores()[1])
    assert np.array_equal(out[0], out[1])


def test_class_zero_rows_become_hints(heart):
    X, y = heart
    y01 = (y > 0).astype(int)
    ds = Dataset(X, list(y01[:10]) + [None] * (len(y) - 10))
    qs = HintSVM(ds, random_state=2)
    with pytest.warns(UserWarning, match="truncates to 0"):
        qs.make_query()
    n_zero = int(np.sum(y01[:10] == 0))
    n_hint_rows = int(len(X[10:]) * 0.5) + n_zero
    assert np.sum(qs.fit_.lin > 0) == 2 * n_hint_rows
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        qs.make_query()  # warned once


def test_single_class_and_sparse_input(heart):
    import scipy.sparse as sp
    X, y = heart
    ds = Dataset(X, [1.0] * 5 + [None] * (len(y) - 5))
    assert HintSVM(ds, random_state=0).make_query() in ds.get_unlabeled_ids()
    dense = Dataset(X, np.concatenate([y[:5], [None] * (len(y) - 5)]))
    sparse = Dataset(sp.csr_matrix(X), np.concatenate([y[:5], [None] * (len(y) - 5)]))
    ask = HintSVM(dense, random_state=9).make_query()
    assert ask == HintSVM(sparse, random_state=9).make_query()


# -- errors -------------------------------------------------------------------------------------
def test_empty_pool():
    ds = Dataset(np.eye(3), [1, -1, 1])
    qs = HintSVM(ds)
    with pytest.raises(ValueError, match=EMPTY_POOL):
        qs.make_query()
    assert qs._get_scores()[0].size == 0


def test_unlabeled_only_dataset():
    ds = Dataset(np.random.RandomState(0).randn(10, 2), [None] * 10)
    with pytest.raises(ValueError, match="at least one labeled row"):
        HintSVM(ds).make_query()


def test_multiclass_error():
    X = [[-2, -1], [-1, -1], [-1, -2], [1, 1], [1, 2], [2, 1], [0, 1], [0, -2], [1.5, 1.5],
         [-2, -2]]
    ds = Dataset(X, [2, 3, 4, 1, 2, 4] + [None] * 4)
    with pytest.raises(ValueError, match="binary"):
        HintSVM(ds).make_query()


def test_non_numeric_labels():
    ds = Dataset(np.eye(4), ["a", "b", None, None])
    with pytest.raises(ValueError, match="numeric"):
        HintSVM(ds).make_query()


@pytest.mark.parametrize("kwargs", [dict(Cl=0), dict(Cl=-1.0), dict(Ch=0.0), dict(Ch=np.inf),
                                    dict(p=1.5), dict(p=-0.1), dict(kernel="precomputed"),
                                    dict(kernel="cubic"),
                                    dict(degree=-1), dict(degree=2.5), dict(gamma=-0.1),
                                    dict(tol=0.0), dict(shrinking=2), dict(cache_size=0)])
def test_bad_parameters(kwargs):
    ds, _, _ = pool()
    with pytest.raises(ValueError):
        HintSVM(ds, **kwargs)


def test_bad_batch_arguments():
    ds, _, _ = pool()
    qs = HintSVM(ds, random_state=0)
    with pytest.raises(ValueError):
        qs.make_query(n_instances=0)
    with pytest.raises(ValueError):
        qs.make_query(n_instances=ds.len_unlabeled() + 1)
    with pytest.raises(TypeError):
        qs.make_query(3)


def test_verbose_reports_the_solver(capsys):
    ds, _, _ = pool()
    HintSVM(ds, verbose=1, random_state=0).make_query()
    assert "iterations" in capsys.readouterr().out


def test_libact_attributes_and_defaults():
    ds, _, _ = pool()
    qs = HintSVM(ds)
    assert (qs.cl, qs.ch, qs.p) == (0.1, 0.1, 0.5)
    assert qs.svm_params == dict(kernel="linear", degree=3, gamma=0.1, coef0=0., tol=1e-3,
                                 shrinking=1, cache_size=100., verbose=0, C=0.1)
    assert isinstance(qs.random_state_, np.random.RandomState)
