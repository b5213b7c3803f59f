"""No silent wrong results: extreme values, ties, index arguments, threads, interrupts.

Each case of the "silent wrong results" list is restated here with its own
inputs; property tests compare both backends with each other and with the
mathematical definition (exact rational arithmetic, or ``math.dist``, which
scales before squaring) over magnitudes from 1e-300 to 1e300.
"""
import math
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastal
from fastal import kernels as K
from fastal.testing import both_backends
from fastal._core._threads import blas_thread_counts

METRICS = ["euclidean", "manhattan", "cosine"]
PROPERTY = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# --- the definition, computed without the kernels' arithmetic ------------------------------

def true_distance(a, b, metric):
    """Distance of two float rows by exact or scaling-safe arithmetic."""
    if metric == "euclidean":
        return math.dist(a.tolist(), b.tolist())
    if metric == "manhattan":
        return float(sum(abs(Fraction(x) - Fraction(y)) for x, y in zip(a.tolist(), b.tolist())))
    return 1.0 - cosine_similarity_exact(a, b)


def cosine_similarity_exact(a, b):
    """cos(a, b) from exact rationals: sign(dot) * sqrt(dot^2 / (|a|^2 |b|^2)); 0 with a zero row."""
    fa = [Fraction(x) for x in a.tolist()]
    fb = [Fraction(x) for x in b.tolist()]
    dot = sum(x * y for x, y in zip(fa, fb))
    na = sum(x * x for x in fa)
    nb = sum(y * y for y in fb)
    if na == 0 or nb == 0:
        return 0.0
    return math.sqrt(dot * dot / (na * nb)) * (1.0 if dot >= 0 else -1.0)


def cosine_key_exact(a, b):
    """An exact rational that orders pairs as their cosine distance does."""
    fa = [Fraction(x) for x in a.tolist()]
    fb = [Fraction(x) for x in b.tolist()]
    dot = sum(x * y for x, y in zip(fa, fb))
    na = sum(x * x for x in fa)
    nb = sum(y * y for y in fb)
    if na == 0 or nb == 0:
        return Fraction(0)
    r = dot * dot / (na * nb)
    return -r if dot > 0 else r


def true_matrix(A, B, metric):
    return np.array([[true_distance(a, b, metric) for b in B] for a in A])


# --- the cases, as first reported ----------------------------------------------------------

def test_overflowing_squared_norms(backend):
    X = np.repeat([[0.0], [1e200], [2e200], [1e201]], 16, 1)
    np.testing.assert_allclose(K.pairwise_density(X), [0.25] * 4, rtol=1e-12)
    assert K.min_distance(X, X).tolist() == [0.0] * 4
    expected = true_matrix(X, X[[0, 3]], "euclidean").min(axis=1)
    np.testing.assert_allclose(K.min_distance(X, X[[0, 3]]), expected, rtol=1e-12)


def test_cosine_ignores_magnitude(backend):
    X = np.array([[1.0], [2.0]]) * 1e300
    assert K.pairwise_density(X, similarity="cosine", include_self=False).tolist() == [1.0, 1.0]
    assert K.pairwise_density(X, metric="cosine", include_self=False).tolist() == [1.0, 1.0]
    rng = np.random.default_rng(3)
    Y = rng.normal(size=(30, 4))
    for magnitude in (1e-300, 1e200, 1e300):
        np.testing.assert_allclose(K.min_distance(Y * magnitude, Y[:3] * magnitude, metric="cosine"),
                                   K.min_distance(Y, Y[:3], metric="cosine"), atol=1e-15)
        assert K.max_min_select(Y * magnitude, None, 5, metric="cosine").tolist() == \
            K.max_min_select(Y, None, 5, metric="cosine").tolist()
        d1, g1 = K.knn_density(Y * magnitude, 3, metric="cosine")
        d2, g2 = K.knn_density(Y, 3, metric="cosine")
        assert (g1.indices == g2.indices).all() and (g1.indptr == g2.indptr).all()
    assert K.max_min_select(Y * 1e200, None, 2, metric="cosine").shape == (2,)
    d = K.min_distance(Y * 1e300, Y[5:6] * 1e-300, metric="cosine")
    assert np.isfinite(d).all() and (d <= 2).all() and d[5] < 1e-15   # 1 - dot: a few ulps


def test_knn_graph_has_no_fake_edges(backend):
    X = np.array([[0.95], [1.0], [1e300], [2.0], [3.0], [1.1]])
    density, graph = K.knn_density(X, 1, metric="euclidean")
    assert (graph != graph.T).nnz == 0
    # nearest neighbours: 0-1, 1-0, 2-4 (weight exp(-1e300) = 0: no edge), 3-5, 4-3, 5-1
    edges = {tuple(e) for e in np.transpose(graph.nonzero()).tolist()}
    assert edges == {(0, 1), (1, 0), (1, 5), (5, 1), (3, 5), (5, 3), (3, 4), (4, 3)}
    w = lambda d: math.exp(-d)
    np.testing.assert_allclose(density, [w(0.05), (w(0.05) + w(0.1)) / 2, 0.0,
                                         (w(0.9) + w(1.0)) / 2, w(1.0), (w(0.1) + w(0.9)) / 2],
                               rtol=1e-9)


def test_exclude_mask_and_bad_indices(backend):
    X = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [9.0]])
    density, graph = K.knn_density(X, 2)
    mask = np.array([False, True, False, False, True, False])
    by_mask = K.graph_density_select(density, graph, 3, exclude=mask)
    by_index = K.graph_density_select(density, graph, 3, exclude=[1, 4])
    assert by_mask.tolist() == by_index.tolist()
    assert not set(by_mask.tolist()) & {1, 4}
    with pytest.raises(TypeError, match="integer"):
        K.graph_density_select(density, graph, 1, exclude=[1.0, 4.0])
    with pytest.raises(TypeError, match="integer"):
        K.graph_density_select(density, graph, 1, exclude=np.array([1.5]))
    with pytest.raises(ValueError, match="length 6"):
        K.graph_density_select(density, graph, 1, exclude=np.array([True, False]))
    with pytest.raises(ValueError, match="outside"):
        K.graph_density_select(density, graph, 1, exclude=[-1])
    with pytest.raises(ValueError, match="outside"):
        K.graph_density_select(density, graph, 1, exclude=[6])


def test_ranked_batch_exact_ties_go_to_the_first_row(backend):
    picks = K.max_min_select(np.array([[0.0], [2], [0], [2]]), np.array([[0.0]]), 2,
                             scores=np.ones(4))
    assert picks.tolist() == [1, 0]


def test_cosine_collinear_rows_tie_exactly(backend):
    density, graph = K.knn_density(np.array([[2.0, 2], [1, 2], [3, 3]]), 1, metric="cosine")
    # rows 0 and 2 are collinear (distance 0); row 1 is equally far from both: row 0 wins
    assert graph.toarray()[1].nonzero()[0].tolist() == [0]
    edges = {tuple(e) for e in np.transpose(graph.nonzero()).tolist()}
    assert edges == {(0, 1), (1, 0), (0, 2), (2, 0)}


def test_unit_rows_of_collinear_rows_are_identical():
    rng = np.random.default_rng(5)
    X = rng.integers(-1000, 1000, size=(50, 7)).astype(np.float64)   # 3 * X is exact
    U = K.unit_rows(np.vstack([X, 3.0 * X, 0.125 * X, X * 2.0 ** 900]))
    for c in (1, 2, 3):
        assert (U[50 * c:50 * (c + 1)] == U[:50]).all()
    assert (K.unit_rows(np.zeros((2, 3))) == 0).all()


@pytest.mark.parametrize("call", [
    lambda X: K.pairwise_density(X, n_jobs=1000),
    lambda X: K.pairwise_density(X, metric="manhattan", n_jobs=10**6),
    lambda X: K.min_distance(X, X[:5], n_jobs=1000),
    lambda X: K.knn_density(X, 3, n_jobs=1000)[0],
    lambda X: K.max_min_select(X, X[:2], 4, n_jobs=1000),
])
def test_absurd_n_jobs_is_capped_not_a_huge_workspace(backend, call):
    X = np.random.default_rng(0).normal(size=(20, 2000))
    with fastal.use_backend("python"):
        expected = call(X)
    np.testing.assert_allclose(call(X), expected, rtol=1e-9)
    assert not (call(X) == 0).all()


def test_allocation_failure_is_a_memory_error(tmp_path):
    """The workspace for 20 rows of 1,000,000 features (two tiles of 256 rows x
    1,000,000 doubles, 4 GB per thread) cannot be allocated under a 1.5 GB
    address-space limit."""
    code = textwrap.dedent("""
        import resource
        import numpy as np
        from fastal import kernels as K
        X = np.random.default_rng(0).normal(size=(20, 1_000_000))
        used = int(open('/proc/self/statm').read().split()[0]) * resource.getpagesize()
        resource.setrlimit(resource.RLIMIT_AS, (used + 1_500_000_000, resource.RLIM_INFINITY))
        try:
            K.pairwise_density(X, n_jobs=1)
        except MemoryError as exc:
            print("MemoryError", exc)
        else:
            print("returned")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
    assert "MemoryError" in out.stdout, out.stdout + out.stderr
    assert "Exception ignored" not in out.stderr


# --- property tests: magnitudes, duplicates, collinear rows, both backends, the definition ---

@st.composite
def extreme_matrices(draw, max_rows=10, max_cols=5):
    """Small-integer grids (many exact ties, duplicated and collinear rows) times a
    power of two between 2**-1000 and 2**1000, or times a power of ten."""
    n = draw(st.integers(2, max_rows))
    d = draw(st.integers(1, max_cols))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    X = rng.integers(-3, 4, size=(n, d)).astype(np.float64)
    if draw(st.booleans()):
        X[rng.integers(n)] = X[0]                                   # duplicate
    if draw(st.booleans()):
        X[rng.integers(n)] = 2.0 * X[rng.integers(n)]               # collinear
    exact = draw(st.booleans())
    if exact:
        X = X * 2.0 ** draw(st.integers(-1000, 1000))
    else:
        X = X * 10.0 ** draw(st.sampled_from([-300, -200, -150, -100, 0, 100, 150, 200, 300]))
    return X, exact


@PROPERTY
@given(data=extreme_matrices(), metric=st.sampled_from(METRICS))
def test_min_distance_any_magnitude(data, metric):
    X, _ = data
    Y = X[: max(1, len(X) // 3)]
    out = both_backends(lambda: K.min_distance(X, Y, metric=metric))
    assert np.isfinite(out["compiled"]).all()
    np.testing.assert_allclose(out["compiled"], out["python"], rtol=1e-12, atol=0)
    expected = true_matrix(X, Y, metric).min(axis=1)
    np.testing.assert_allclose(out["compiled"], expected, rtol=1e-9, atol=1e-15 if
                               metric == "cosine" else 0)


@PROPERTY
@given(data=extreme_matrices(), metric=st.sampled_from(METRICS), include_self=st.booleans())
def test_density_any_magnitude(data, metric, include_self):
    X, _ = data
    out = both_backends(lambda: K.pairwise_density(X, metric=metric, include_self=include_self))
    np.testing.assert_allclose(out["compiled"], out["python"], rtol=1e-12)
    D = true_matrix(X, X, metric)
    np.fill_diagonal(D, 0.0)          # a row is at distance 0 from itself (zero rows too)
    S = 1.0 / (1.0 + D)
    if not include_self:
        np.fill_diagonal(S, 0.0)
    expected = S.sum(axis=1) / (len(X) - (0 if include_self else 1))
    np.testing.assert_allclose(out["compiled"], expected, rtol=1e-9)
    cos = both_backends(lambda: K.pairwise_density(X, similarity="cosine",
                                                   include_self=include_self))
    np.testing.assert_allclose(cos["compiled"], cos["python"], rtol=1e-12, atol=1e-15)
    C = np.array([[cosine_similarity_exact(a, b) for b in X] for a in X])
    if not include_self:
        np.fill_diagonal(C, 0.0)
    expected = C.sum(axis=1) / (len(X) - (0 if include_self else 1))
    np.testing.assert_allclose(cos["compiled"], expected, rtol=1e-9, atol=1e-12)


def exact_keys(X, metric):
    """Exact ranking keys of all pairs (rationals; cosine through cosine_key_exact)."""
    n = len(X)
    keys = [[None] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            if metric == "cosine":
                keys[i][j] = cosine_key_exact(X[i], X[j])
            else:
                diff = [Fraction(a) - Fraction(b) for a, b in zip(X[i].tolist(), X[j].tolist())]
                keys[i][j] = (sum(t * t for t in diff) if metric == "euclidean"
                              else sum(abs(t) for t in diff))
    return keys


def rounding_decides_a_cosine_tie(X):
    """Whether two rows that are not collinear lie at exactly the same cosine distance from
    a third.  Cosine distances are exact only to a few 1e-16 (README), so such a tie is
    ordered by rounding; collinear rows share bitwise-identical unit rows and always tie."""
    keys = exact_keys(X, "cosine")
    U = K.unit_rows(X)
    for i in range(len(X)):
        by_key = {}
        for j in range(len(X)):
            if j != i:
                by_key.setdefault(keys[i][j], []).append(j)
        for group in by_key.values():
            if any(not np.array_equal(U[group[0]], U[j]) for j in group[1:]):
                return True
    return False


@PROPERTY
@given(data=extreme_matrices(), metric=st.sampled_from(METRICS), k=st.integers(1, 4))
def test_knn_any_magnitude_and_exact_ties(data, metric, k):
    X, exact = data
    k = min(k, len(X) - 1)
    out = both_backends(lambda: K.knn_density(X, k, metric=metric))
    g1, g2 = out["compiled"][1], out["python"][1]
    assert (g1.indices == g2.indices).all() and (g1.indptr == g2.indptr).all()
    np.testing.assert_allclose(g1.data, g2.data, rtol=1e-12)
    np.testing.assert_allclose(out["compiled"][0], out["python"][0], rtol=1e-12)
    assert (g1 != g1.T).nnz == 0
    if exact and metric == "cosine" and rounding_decides_a_cosine_tie(X):
        return
    if exact:
        # the neighbours of the definition: exact keys, equal keys to the smaller index
        keys = exact_keys(X, metric)
        gamma = 1.0 / X.shape[1]
        expected = sp.lil_matrix((len(X), len(X)))
        for i in range(len(X)):
            order = sorted((j for j in range(len(X)) if j != i), key=lambda j: (keys[i][j], j))
            for j in order[:k]:
                w = math.exp(-gamma * true_distance(X[i], X[j], metric))
                if w > 0:
                    expected[i, j] = expected[j, i] = w
        expected = expected.tocsr()
        assert (g1.indices == expected.indices).all() and (g1.indptr == expected.indptr).all()
        np.testing.assert_allclose(g1.data, expected.data, rtol=1e-9)


@PROPERTY
@given(data=extreme_matrices(), metric=st.sampled_from(METRICS), ranked=st.booleans(),
       n_lab=st.integers(0, 3), batch=st.integers(1, 6))
def test_max_min_any_magnitude_and_exact_ties(data, metric, ranked, n_lab, batch):
    X, exact = data
    n_lab = min(n_lab, len(X) - 1)
    pool, labeled = X[n_lab:], X[:n_lab]
    batch = min(batch, len(pool))
    scores = (np.arange(len(pool)) % 3) / 2.0 if ranked else None
    out = both_backends(lambda: K.max_min_select(pool, labeled, batch, scores=scores,
                                                 metric=metric))
    assert out["compiled"].tolist() == out["python"].tolist()
    if exact and not ranked and n_lab:
        keys = exact_keys(np.vstack([pool, labeled]), metric)
        chosen = list(range(len(pool), len(pool) + n_lab))
        expected = []
        for _ in range(batch):
            def score(i):
                return min(keys[i][c] for c in chosen)
            free = [i for i in range(len(pool)) if i not in expected]
            best = max(free, key=lambda i: (score(i), -i))
            expected.append(best)
            chosen.append(best)
        assert out["compiled"].tolist() == expected


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), copies=st.integers(1, 6), metric=st.sampled_from(METRICS))
def test_many_exact_ties_continuous_rows(seed, copies, metric):
    """Random rows plus exact duplicates (euclidean/manhattan) or positive multiples
    (cosine): every tie is an exact tie and goes to the first row."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(8, 3))
    # exact multiples: powers of two (cosine rows stay exactly collinear)
    factors = [1.0] * copies if metric != "cosine" else [1.0, 2.0, 0.5, 4.0, 2.0 ** -30, 8.0][:copies]
    X = np.vstack([base * f for f in factors] + [base])
    X = X[rng.permutation(len(X))]
    k = copies
    out = both_backends(lambda: K.knn_density(X, k, metric=metric))
    g = out["compiled"][1]
    assert (g.indices == out["python"][1].indices).all()
    picks = both_backends(lambda: K.max_min_select(X, X[:1], 6, metric=metric))
    assert picks["compiled"].tolist() == picks["python"].tolist()
    ranked = both_backends(lambda: K.max_min_select(X, X[:1], 6, scores=np.ones(len(X)),
                                                    metric=metric))
    assert ranked["compiled"].tolist() == ranked["python"].tolist()


def test_distances_beyond_float64_are_an_error(backend):
    X = np.array([[1.5e308, 0.0], [-1.5e308, 0.0]])
    with pytest.raises(ValueError, match="largest float64"):
        K.min_distance(X[:1], X[1:])
    # a weight exp(-gamma * d) with d beyond float64 is exactly 0, not an error
    density, graph = K.knn_density(X, 1)
    assert density.tolist() == [0.0, 0.0] and graph.nnz == 0


# --- threads -------------------------------------------------------------------------------

def test_concurrent_calls_leave_blas_threads_unchanged():
    X = np.random.default_rng(0).normal(size=(2500, 40))
    before = blas_thread_counts()
    errors = []

    def work():
        try:
            for _ in range(3):
                K.pairwise_density(X, n_jobs=1)
                K.min_distance(X, X[:300], n_jobs=1)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert blas_thread_counts() == before


def test_process_wide_limit_is_honoured_in_any_thread():
    seen = []
    previous = fastal.set_num_threads(1)
    try:
        t = threading.Thread(target=lambda: seen.append(fastal.resolve_n_threads(None)))
        t.start()
        t.join()
    finally:
        fastal.set_num_threads(previous)
    assert seen == [1]
    with pytest.raises(ValueError):
        fastal.set_num_threads(0)
    with pytest.raises(TypeError):
        fastal.set_num_threads(1.5)


def test_fastal_num_threads_environment(tmp_path):
    env = dict(os.environ, FASTAL_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", "import fastal; print(fastal.resolve_n_threads(None))"],
                         env=env, capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.strip() == "1"


# --- interrupts ----------------------------------------------------------------------------

INTERRUPTIBLE = {
    # each runs for minutes on 2 cores if left alone
    "density euclidean (matrix products)": "K.pairwise_density(rng.normal(size=(300_000, 32)))",
    "density euclidean float32 (float32 products)":
        "K.pairwise_density(rng.normal(size=(400_000, 32)).astype(np.float32))",
    "density euclidean (direct)": "K.pairwise_density(rng.normal(size=(250_000, 8)))",
    "density manhattan": "K.pairwise_density(rng.normal(size=(150_000, 32)), metric='manhattan')",
    "density cosine distance": "K.pairwise_density(rng.normal(size=(300_000, 32)), metric='cosine')",
    "knn manhattan": "K.knn_density(rng.normal(size=(150_000, 32)), 10)",
    "knn euclidean": "K.knn_density(rng.normal(size=(150_000, 32)), 10, metric='euclidean')",
    "knn cosine": "K.knn_density(rng.normal(size=(150_000, 32)), 10, metric='cosine')",
    "min_distance euclidean": "X = rng.normal(size=(250_000, 32)); K.min_distance(X, X)",
    "min_distance manhattan": "X = rng.normal(size=(150_000, 32)); K.min_distance(X, X, metric='manhattan')",
    "max_min_select": "X = rng.normal(size=(200_000, 32)); K.max_min_select(X, X[:2], 150_000)",
    "ranked batch": ("X = rng.normal(size=(200_000, 32)); "
                     "K.max_min_select(X, X[:2], 150_000, scores=rng.random(200_000))"),
    "sparse density": "K.pairwise_density(sparse_rows(200_000))",
    "sparse knn cosine": "K.knn_density(sparse_rows(200_000), 10, metric='cosine')",
    "sparse min_distance": "S = sparse_rows(200_000); K.min_distance(S, S, metric='manhattan')",
}


@pytest.mark.parametrize("name", sorted(INTERRUPTIBLE))
def test_ctrl_c_stops_every_compiled_kernel(tmp_path, name):
    # A process started in the background has SIGINT ignored; the child
    # restores Python's handler (KeyboardInterrupt), as an interactive session has.
    code = textwrap.dedent(f"""
        import signal, sys, time
        signal.signal(signal.SIGINT, signal.default_int_handler)
        import numpy as np
        import fastal
        from fastal import kernels as K
        assert fastal.get_backend() == "compiled"
        rng = np.random.default_rng(0)
        import scipy.sparse as sp

        def sparse_rows(n, d=2 ** 18, per_row=30):
            cols = np.sort(rng.integers(0, d, size=(n, per_row)), axis=1).ravel()
            return sp.csr_matrix((rng.random(n * per_row), cols,
                                  np.arange(0, n * per_row + 1, per_row)), shape=(n, d))
        print("start", flush=True)
        t0 = time.perf_counter()
        try:
            result = None
            {INTERRUPTIBLE[name]}
            print("finished", flush=True)
        except KeyboardInterrupt:
            print("interrupted after %.2f s" % (time.perf_counter() - t0), flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        assert proc.stdout.readline().strip() == "start"
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert "interrupted after" in out, out + err
    assert "Exception ignored" not in err and "finished" not in out


# --- strategy caches after an interrupted update --------------------------------------------

def _interrupt_once(monkeypatch, module, name):
    original = getattr(module, name)
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, flaky)


@pytest.mark.parametrize("strategy", ["coreset", "information_density"])
def test_interrupted_update_leaves_no_stale_cache(backend, monkeypatch, strategy):
    from fastal.base.dataset import Dataset
    from fastal.models import LogisticRegression
    from fastal.query_strategies import CoreSet, InformationDensity
    from fastal.query_strategies import coreset as coreset_mod
    from fastal.query_strategies import information_density as id_mod

    rng = np.random.default_rng(11)
    X = rng.normal(size=(60, 3))
    y = [0, 1] + [None] * 58

    def build(ds):
        if strategy == "coreset":
            return CoreSet(ds, random_state=0)
        return InformationDensity(ds, model=LogisticRegression(), random_state=0)

    ds = Dataset(X, list(y))
    qs = build(ds)
    qs.make_query()                          # fills the cache
    module, name = ((coreset_mod, "min_distance") if strategy == "coreset"
                    else (id_mod, "similarity_sums"))
    _interrupt_once(monkeypatch, module, name)
    with pytest.raises(KeyboardInterrupt):
        ds.update(5, 1)                      # the label lands; the cache update does not
    monkeypatch.undo()
    fresh_ds = Dataset(X, list(y))
    fresh_ds.update(5, 1)
    fresh = build(fresh_ds)
    assert qs.make_query(n_instances=5).tolist() == fresh.make_query(n_instances=5).tolist()
    _, got = qs.make_query(return_score=True)
    _, want = fresh.make_query(return_score=True)
    np.testing.assert_allclose([s for _, s in got], [s for _, s in want], rtol=1e-12)


# -- arguments cast to the rows' dtype ------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda X, R: K.min_distance(X, R),
    lambda X, R: K.max_min_select(X, R, 2),
    lambda X, R: K.pairwise_density(X, R),
    lambda X, R: K.similarity_sums(X, R),
], ids=["min_distance", "max_min_select", "pairwise_density", "similarity_sums"])
@pytest.mark.parametrize("sparse", [False, True])
def test_float64_rows_beyond_float32_range_are_refused(backend, call, sparse):
    # cast to the float32 rows' dtype, 1e300 would become inf and every distance with it
    X = np.ones((5, 2), dtype=np.float32)
    R = np.array([[1e300, 0.0], [0.0, 1.0]])
    if sparse:
        X, R = sp.csr_matrix(X), sp.csr_matrix(R)
    with pytest.raises(ValueError, match="beyond the range of float32"):
        call(X, R)
    # within range the float64 rows are used as float32 rows
    R[0, 0] = 3.0
    call(X, R)


def test_complex_scores_are_refused(backend):
    X = np.random.default_rng(0).normal(size=(6, 2))
    with pytest.raises(TypeError, match="scores must hold real numbers"):
        K.max_min_select(X[2:], X[:2], 2, scores=np.ones(4) + 1j)


def test_two_dimensional_indices_are_refused():
    graph = sp.eye(4, format="csr")
    with pytest.raises(ValueError, match="exclude must be 1-D"):
        K.graph_density_select(np.ones(4), graph, 1, exclude=np.array([[0, 1]]))


def test_integer_zero_one_mask_is_not_read_as_indices():
    graph = sp.eye(5, format="csr")
    mask = np.array([0, 1, 1, 0, 0])       # meant as a mask: excluding rows 1 and 2
    with pytest.raises(ValueError, match=r"looks like a 0/1 mask.*astype\(bool\)"):
        K.graph_density_select(np.arange(5.0), graph, 1, exclude=mask)
    # the mask as a mask, and indices that happen to be 0 and 1, are both fine
    assert K.graph_density_select(np.arange(5.0), graph, 1,
                                  exclude=mask.astype(bool)).tolist() == [4]
    assert 0 not in K.graph_density_select(np.arange(5.0), graph, 5 - 2,
                                           exclude=np.array([0, 1])).tolist()
