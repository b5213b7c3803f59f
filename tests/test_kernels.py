"""Kernels: compiled == NumPy twin on many shapes, peers' formulas, bad input, memory.

Tolerances (documented): float64 results agree to rtol 1e-9 (atol 1e-12);
float32 inputs give float32 results, compared at rtol 1e-5.  Selected indices
(k-NN neighbours, max-min picks, graph picks) must be identical.
"""
import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist
from sklearn.metrics.pairwise import cosine_similarity, pairwise_distances
from sklearn.neighbors import kneighbors_graph

import fastal
from fastal import kernels as K
from fastal.testing import both_backends


METRICS = ["euclidean", "manhattan", "cosine"]


SCIPY = {"euclidean": "euclidean", "manhattan": "cityblock", "cosine": "cosine"}


def tol(dtype):
    return dict(rtol=1e-9, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)


@st.composite
def matrices(draw, min_rows=1, max_rows=40, max_cols=40):
    """Small-integer grids (duplicates, zero distances, constant columns), either dtype/order."""
    n = draw(st.integers(min_rows, max_rows))
    d = draw(st.sampled_from([1, 2, 3, 5, 17, max_cols]))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    X = rng.integers(-3, 4, size=(n, d)).astype(dtype)
    if draw(st.booleans()) and n > 1:
        X[rng.integers(n)] = X[0]                      # a duplicated row
    if draw(st.booleans()):
        X[:, 0] = 2                                    # a constant column
    if draw(st.booleans()):
        X = np.asfortranarray(X)
    return X


PROPERTY = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@PROPERTY
@given(X=matrices(), metric=st.sampled_from(METRICS), include_self=st.booleans())
def test_pairwise_density_backends_agree(X, metric, include_self):
    out = both_backends(lambda: K.pairwise_density(X, metric=metric, include_self=include_self))
    assert out["compiled"].dtype == X.dtype == out["python"].dtype
    np.testing.assert_allclose(out["compiled"], out["python"], **tol(X.dtype))


@PROPERTY
@given(X=matrices(), R=matrices(), metric=st.sampled_from(METRICS), beta=st.sampled_from([1.0, 2.0]))
def test_pairwise_density_reference_backends_agree(X, R, metric, beta):
    R = R[:, :1].repeat(X.shape[1], axis=1).astype(X.dtype) + R[:, -1:].astype(X.dtype)
    out = both_backends(lambda: K.pairwise_density(X, R, metric=metric, beta=beta))
    np.testing.assert_allclose(out["compiled"], out["python"], **tol(X.dtype))


@PROPERTY
@given(X=matrices(), include_self=st.booleans())
def test_cosine_similarity_backends_agree(X, include_self):
    out = both_backends(lambda: K.pairwise_density(X, similarity="cosine", include_self=include_self))
    np.testing.assert_allclose(out["compiled"], out["python"], rtol=1e-5 if X.dtype == np.float32 else 1e-9,
                               atol=1e-6 if X.dtype == np.float32 else 1e-10)


@PROPERTY
@given(X=matrices(min_rows=2), metric=st.sampled_from(METRICS), data=st.data())
def test_knn_backends_agree(X, metric, data):
    k = data.draw(st.integers(1, X.shape[0] - 1))
    out = both_backends(lambda: K.knn_density(X, k, metric=metric))
    np.testing.assert_allclose(out["compiled"][0], out["python"][0], **tol(X.dtype))
    g1, g2 = out["compiled"][1], out["python"][1]
    assert (g1 != g2).nnz == 0 or np.allclose(g1.toarray(), g2.toarray(), **tol(X.dtype))
    assert (g1.indices == g2.indices).all() and (g1.indptr == g2.indptr).all()


@PROPERTY
@given(X=matrices(min_rows=2), data=st.data())
def test_max_min_select_backends_agree(X, data):
    n = X.shape[0]
    n_lab = data.draw(st.integers(0, n - 1))
    batch = data.draw(st.integers(1, n - n_lab))
    metric = data.draw(st.sampled_from(METRICS))
    use_scores = data.draw(st.booleans())
    scores = np.linspace(0, 1, n - n_lab) ** 2 if use_scores else None
    pool, labeled = X[n_lab:], X[:n_lab]
    out = both_backends(lambda: K.max_min_select(pool, labeled, batch, scores=scores, metric=metric))
    assert out["compiled"].tolist() == out["python"].tolist()
    assert len(set(out["compiled"].tolist())) == batch


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("metric", METRICS)
def test_multi_block_inputs_agree(rng, dtype, metric):
    """Sizes that span several tiles of every compiled path (GEMM 1024, direct 256)."""
    X = rng.normal(size=(2300, 20)).astype(dtype)
    X[5] = X[1000]                                       # duplicates across tiles
    out = both_backends(lambda: K.pairwise_density(X, metric=metric, include_self=False))
    np.testing.assert_allclose(out["compiled"], out["python"], **tol(dtype))
    md = both_backends(lambda: K.min_distance(X[:1500], X[1500:], metric=metric))
    np.testing.assert_allclose(md["compiled"], md["python"], rtol=1e-12, atol=1e-12)
    u = rng.random(1500)
    picks = both_backends(lambda: K.max_min_select(X[:1500], X[1500:], 60, scores=u, metric=metric))
    assert picks["compiled"].tolist() == picks["python"].tolist()
    picks = both_backends(lambda: K.max_min_select(X[:600], None, 20, metric=metric))
    assert picks["compiled"].tolist() == picks["python"].tolist()
    knn = both_backends(lambda: K.knn_density(X[:900], 10, metric=metric))
    assert (knn["compiled"][1].indices == knn["python"][1].indices).all()


@pytest.mark.parametrize("case", ["spread", "tied", "sparse"])
@pytest.mark.parametrize("metric", METRICS)
def test_ranked_batch_rows_kept_exact_near_the_top_agree(rng, case, metric):
    """The compiled ranked batch keeps up to 32 rows near the top exact at every
    step: rows that stay near the top for many picks (spread), more tied rows
    than that set holds (tied: 40 copies of 60 rows, three score values), and
    sparse rows (refreshed one by one) pick what the twin picks."""
    if case == "tied":
        X = np.repeat(rng.normal(size=(60, 8)), 40, axis=0)
        u = rng.integers(0, 3, size=X.shape[0]) / 4.0
    else:
        X = rng.normal(size=(2500, 50 if case == "spread" else 12))
        u = 0.5 * rng.random(X.shape[0])
    P, L = X[100:], X[:100]
    batch = 400
    if case == "sparse":
        mask = rng.random(X.shape) < 0.6
        P, L = sp.csr_matrix(np.where(mask, 0.0, X)[100:]), sp.csr_matrix(X[:100])
        batch = 60
    picks = both_backends(lambda: K.max_min_select(P, L, batch, scores=u[100:], metric=metric))
    assert picks["compiled"].tolist() == picks["python"].tolist()


@pytest.fixture
def parallel_greedy():
    """The compiled greedy's parallel setup and early refreshes switched on for
    every pool size and every top at least one pick behind, and refreshes that
    compare a row with 7 picks at a time."""
    from fastal._core import COMPILED
    if COMPILED is None:
        pytest.skip("compiled extension not built")
    from fastal._core import _maxmin
    old = _maxmin._set_parallel_grain(1, 1, 2, 7)
    yield _maxmin
    _maxmin._set_parallel_grain(*old)


@pytest.mark.parametrize("case", ["spread", "tied", "sparse", "cold", "float32"])
@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("ranked", [False, True])
def test_parallel_greedy_picks_what_the_twin_picks(rng, parallel_greedy, case, metric, ranked):
    """The greedy's setup (heaps over every row) cut into parts on several
    threads, tops refreshed early on several threads together with the next
    rows of the heaps, and picks compared in chunks pick exactly the twin's
    rows for 1, 2, 3 and 5 threads (ties, duplicates, sparse rows, a cold
    start, the excluded row)."""
    if case == "tied":
        X = np.repeat(rng.normal(size=(30, 6)), 30, axis=0)
        u = rng.integers(0, 3, size=X.shape[0]) / 4.0
    else:
        X = rng.normal(size=(1000, 20))
        u = 0.5 * rng.random(X.shape[0])
    if case == "float32":
        X = X.astype(np.float32)
    P, L = X[100:], X[:100]
    if case == "sparse":
        P = sp.csr_matrix(np.where(rng.random(P.shape) < 0.6, 0.0, P))
        L = sp.csr_matrix(L)
    if case == "cold":
        L = None
    scores = u[100:] if ranked else None
    with fastal.use_backend("python"):
        expected = K.max_min_select(P, L, 120, scores=scores, metric=metric).tolist()
    for n_jobs in (1, 2, 3, 5):
        with fastal.use_backend("compiled"):
            picks = K.max_min_select(P, L, 120, scores=scores, metric=metric, n_jobs=n_jobs)
        assert picks.tolist() == expected, n_jobs


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("ranked", [False, True])
def test_greedy_kernel_refuses_more_picks_than_rows(sparse, ranked):
    """Both backends' greedy kernels raise when the batch exceeds the rows that can
    be picked (the excluded row not counted) instead of returning a partial answer."""
    from fastal._core import COMPILED, PYTHON
    X = np.random.default_rng(0).normal(size=(5, 3))
    X = sp.csr_matrix(X) if sparse else X
    name = ("sparse_" if sparse else "") + "max_min_greedy"
    for impl in (COMPILED, PYTHON):
        kwargs = dict(X=X, min_dist=np.ones(5), scores=np.linspace(0, 1, 5) if ranked else None,
                      n_unlabeled=5, n_labeled=1, metric="euclidean", n_threads=1)
        with pytest.raises(ValueError, match="batch_size 5 exceeds the 4 rows"):
            getattr(impl, name)(batch_size=5, exclude=0, **kwargs)
        assert len(getattr(impl, name)(batch_size=4, exclude=0, **kwargs)) == 4


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("order", "CF")
@pytest.mark.parametrize("n_threads", [1, 2, 5])
def test_value_range_over_many_chunks(rng, dtype, order, n_threads):
    """The compiled scan (chunks of 65,536 values over threads, lanes of 32
    bytes, a scalar tail) finds the extremes and a single NaN or infinity
    wherever it sits: first value, a chunk's last or first, the tail."""
    from fastal._core import COMPILED, PYTHON
    X = np.asarray(rng.normal(size=(4111, 67)), dtype=dtype, order=order)   # 4.2 chunks
    flat = np.ravel(X, order="K")
    assert np.shares_memory(flat, X)
    for at in (0, 65535, 65536, 3 * 65536 + 9, flat.size - 1):
        for value in (1e30, -1e30, np.nan, np.inf, -np.inf):
            saved = flat[at]
            flat[at] = value
            got = COMPILED.value_range(X, n_threads)
            assert got == PYTHON.value_range(X, n_threads) or np.isnan(value) and np.isnan(got).all()
            if np.isnan(value):
                assert np.isnan(got).all()
            else:
                assert float(dtype(value)) in got
            flat[at] = saved


@pytest.mark.parametrize("bad, word", [(np.nan, "NaN"), (np.inf, "infinity"), (-np.inf, "infinity")])
def test_every_kernel_names_a_bad_value_past_the_first_chunk(backend, rng, bad, word):
    X = rng.normal(size=(3000, 50))
    X[2900, 49] = bad
    for call in (lambda: K.max_min_select(X, X[:5], 3, scores=np.ones(3000)),
                 lambda: K.max_min_select(X[:10], X, 3),
                 lambda: K.min_distance(X, X[:5]),
                 lambda: K.pairwise_density(X[:10], X),
                 lambda: K.max_min_select(sp.csr_matrix(X), None, 3)):
        with pytest.raises(ValueError, match=word):
            call()


def test_kernels_scan_each_input_once_per_call(backend, rng, monkeypatch):
    """The finite check and the scale frame share one scan of each array within a
    call, and nothing of it is kept for the next call: a value changed in place
    between two calls (to NaN, or to a huge value that needs the scale frame)
    is seen by the next."""
    from fastal import _config
    impl = _config.backend_impl()
    scanned = []
    real = impl.value_range

    def counting(A, n_threads):
        scanned.append(A.shape)
        return real(A, n_threads)

    monkeypatch.setattr(impl, "value_range", counting)
    P, L = rng.normal(size=(400, 6)), rng.normal(size=(30, 6))
    expected = K.max_min_select(P, L, 5)
    assert sorted(scanned) == sorted([P.shape, L.shape])
    scanned.clear()
    K.pairwise_density(P, L)
    assert sorted(scanned) == sorted([P.shape, L.shape])
    P[7, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        K.max_min_select(P, L, 5)
    P[7, 3] = 0.0
    P *= 1e300                     # squares overflow unless the scale frame is chosen anew
    L *= 1e300
    np.testing.assert_array_equal(K.max_min_select(P, L, 5), expected)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_kernels_scan_their_inputs_on_the_threads_they_are_given(backend, rng, monkeypatch,
                                                                   n_jobs):
    """The finite check and the scale frame of a kernel call run on the call's
    ``n_jobs`` threads, not on the process default."""
    from fastal import _config
    impl = _config.backend_impl()
    threads = []
    real = impl.value_range

    def recording(A, n_threads):
        threads.append(n_threads)
        return real(A, n_threads)

    monkeypatch.setattr(impl, "value_range", recording)
    P, L = rng.normal(size=(400, 6)), rng.normal(size=(30, 6))
    calls = [lambda: K.max_min_select(P, L, 5, scores=rng.random(400), n_jobs=n_jobs),
             lambda: K.min_distance(P, L, n_jobs=n_jobs),
             lambda: K.pairwise_density(P, L, n_jobs=n_jobs),
             lambda: K.similarity_sums(P, L, n_jobs=n_jobs),
             lambda: K.knn_density(P, 5, n_jobs=n_jobs)]
    expected = _config.resolve_n_threads(n_jobs)
    previous = fastal.set_num_threads(3 - n_jobs)      # a default other than n_jobs
    try:
        for call in calls:
            threads.clear()
            call()
            assert threads and set(threads) == {expected}
    finally:
        fastal.set_num_threads(previous)


# --- the twins reproduce the peers' definitions (computed inline, <= 200 rows) -------------

@pytest.mark.parametrize("metric", METRICS)
def test_libact_information_density_formula(backend, rng, metric):
    X = rng.normal(size=(150, 6))
    D = cdist(X, X, SCIPY[metric])
    S = 1.0 / (1.0 + D)
    np.fill_diagonal(S, 0.0)
    expected = S.sum(axis=1) / (len(X) - 1)
    np.testing.assert_allclose(K.pairwise_density(X, metric=metric, include_self=False), expected,
                               rtol=1e-9)
    assert K.pairwise_density(X[:1], include_self=False).tolist() == [1.0]


@pytest.mark.parametrize("metric", METRICS)
def test_modal_information_density_formula(backend, rng, metric):
    X = rng.normal(size=(180, 4))
    expected = (1.0 / (1.0 + pairwise_distances(X, X, metric=metric))).mean(axis=1)
    np.testing.assert_allclose(K.pairwise_density(X, metric=metric), expected, rtol=1e-9)


def test_cosine_similarity_density_formula(backend, rng):
    X = np.abs(rng.normal(size=(120, 5)))
    X[3] = 0.0
    expected = cosine_similarity(X).mean(axis=1) ** 2
    np.testing.assert_allclose(K.pairwise_density(X, similarity="cosine", beta=2.0), expected,
                               rtol=1e-9, atol=1e-12)


def alipy_graph_density(X, metric="manhattan"):
    """alipy QueryInstanceGraphDensity's construction, restated with scikit-learn."""
    connect = kneighbors_graph(X, 10, p=1).tolil()
    gamma = 1.0 / X.shape[1]
    rows, cols = connect.nonzero()
    for i, j in zip(rows, cols):
        w = np.exp(-pairwise_distances(X[[i]], X[[j]], metric=metric)[0, 0] * gamma)
        connect[i, j] = w
        connect[j, i] = w
    connect = connect.tocsr()
    density = np.array([connect[i].sum() / (connect[i] > 0).sum() for i in range(X.shape[0])])
    return density, connect


def alipy_select(density, connect, labeled, batch_size):
    density = density.copy()
    density[labeled] = density.min() - 1
    picked = []
    while len(picked) < batch_size:
        s = int(np.argmax(density))
        picked.append(s)
        nbrs = (connect[s, :] > 0).nonzero()[1]
        density[nbrs] = density[nbrs] - density[s]
        density[labeled] = density.min() - 1
        density[picked] = density.min() - 1
    return picked


def test_alipy_graph_density_formula(backend, rng):
    X = rng.normal(size=(160, 5))
    expected_density, connect = alipy_graph_density(X)
    density, graph = K.knn_density(X)
    np.testing.assert_allclose(density, expected_density, rtol=1e-9)
    np.testing.assert_allclose(graph.toarray(), connect.toarray(), rtol=1e-9)
    labeled = [0, 5, 17]
    assert K.graph_density_select(density, graph, 12, exclude=labeled).tolist() == \
        alipy_select(expected_density, connect, labeled, 12)


def modal_ranked_batch(pool, labeled, uncertainty, n_instances):
    """modAL's ranked_batch restated (pairwise_distances_argmin_min per pick)."""
    from sklearn.metrics.pairwise import pairwise_distances_argmin_min
    mask = np.ones(len(pool), bool)
    ranking = []
    for _ in range(n_instances):
        alpha = mask.sum() / (mask.sum() + len(labeled))
        _, dist = pairwise_distances_argmin_min(pool[mask], labeled)
        scores = alpha * (1 - 1 / (1 + dist)) + (1 - alpha) * uncertainty[mask]
        best = np.flatnonzero(mask)[np.argmax(scores)]
        mask[best] = False
        labeled = np.vstack([labeled, pool[best]])
        ranking.append(int(best))
    return ranking


def test_modal_ranked_batch_formula(backend, rng):
    pool = rng.normal(size=(200, 6))
    labeled = rng.normal(size=(15, 6))
    u = rng.random(200)
    assert K.max_min_select(pool, labeled, 25, scores=u).tolist() == \
        modal_ranked_batch(pool, labeled, u, 25)


def test_modal_cold_start(backend, rng):
    pool = rng.normal(size=(120, 4))
    u = rng.random(120)
    cold = int(np.argmin(pairwise_distances(pool).mean(axis=0)))
    picks = K.max_min_select(pool, None, 10, scores=u)
    assert picks[0] == cold
    # afterwards the cold row counts as labeled and, as in modAL, still in |U'|
    mask = np.ones(120, bool)
    labeled = pool[[cold]]
    expected = [cold]
    from sklearn.metrics.pairwise import pairwise_distances_argmin_min
    for _ in range(9):
        alpha = mask.sum() / (mask.sum() + len(labeled))
        _, dist = pairwise_distances_argmin_min(pool, labeled)
        scores = alpha * (1 - 1 / (1 + dist)) + (1 - alpha) * u
        scores[~mask] = -np.inf
        scores[expected] = -np.inf
        best = int(np.argmax(scores))
        mask[best] = False
        labeled = np.vstack([labeled, pool[best]])
        expected.append(best)
    assert picks.tolist() == expected


def test_kcenter_formula(backend, rng):
    pool = rng.normal(size=(150, 3))
    labeled = rng.normal(size=(4, 3))
    expected = []
    lab = labeled
    for _ in range(20):
        md = cdist(pool, lab).min(axis=1)
        md[expected] = -1
        best = int(np.argmax(md))
        expected.append(best)
        lab = np.vstack([lab, pool[best]])
    assert K.max_min_select(pool, labeled, 20).tolist() == expected


# --- bad input --------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda X: K.pairwise_density(X),
    lambda X: K.knn_density(X, 2),
    lambda X: K.max_min_select(X, X[:1], 1),
    lambda X: K.min_distance(X, X[:1]),
])
@pytest.mark.parametrize("value, word", [(np.nan, "NaN"), (np.inf, "infinity")])
def test_non_finite_input(call, value, word):
    X = np.ones((5, 3))
    X[2, 1] = value
    with pytest.raises(ValueError, match=word):
        call(X)


def test_shape_and_argument_errors():
    X = np.random.default_rng(0).normal(size=(10, 3))
    with pytest.raises(ValueError, match="features"):
        K.max_min_select(X, np.ones((2, 4)), 2)
    with pytest.raises(ValueError, match="features"):
        K.pairwise_density(X, np.ones((2, 4)))
    with pytest.raises(ValueError, match="batch_size"):
        K.max_min_select(X, X[:2], 0)
    with pytest.raises(ValueError, match="batch_size"):
        K.max_min_select(X, X[:2], 11)
    with pytest.raises(TypeError, match="batch_size"):
        K.max_min_select(X, X[:2], 2.5)
    with pytest.raises(ValueError, match="unknown metric 'minkowski'"):
        K.pairwise_density(X, metric="minkowski")
    with pytest.raises(ValueError, match="similarity"):
        K.pairwise_density(X, similarity="rbf")
    with pytest.raises(ValueError, match="n_neighbors"):
        K.knn_density(X, 10)
    with pytest.raises(ValueError, match="gamma"):
        K.knn_density(X, 3, gamma=-1.0)
    with pytest.raises(ValueError, match="scores"):
        K.max_min_select(X, X[:2], 2, scores=np.ones(9))
    with pytest.raises(ValueError, match="2-D"):
        K.pairwise_density(np.ones(5))
    with pytest.raises(ValueError, match="at least 1 row"):
        K.pairwise_density(np.ones((0, 3)))
    with pytest.raises(TypeError, match="sparse"):
        K.pairwise_density(X, sp.csr_matrix(X))
    with pytest.raises(ValueError, match="include_self"):
        K.pairwise_density(X, X, include_self=False)
    density, graph = K.knn_density(X, 3)
    with pytest.raises(ValueError, match="batch_size"):
        K.graph_density_select(density, graph, 9, exclude=[0, 1])
    with pytest.raises(ValueError, match="exclude"):
        K.graph_density_select(density, graph, 1, exclude=[10])
    with pytest.raises(TypeError, match="sparse"):
        K.graph_density_select(density, graph.toarray(), 1)


def test_int_input_becomes_float64_and_dtype_is_kept():
    X = np.arange(12).reshape(6, 2)
    assert K.pairwise_density(X).dtype == np.float64
    assert K.pairwise_density(X.astype(np.float32)).dtype == np.float32
    assert K.knn_density(X.astype(np.float32), 2)[0].dtype == np.float32


@pytest.mark.parametrize("name", ["compiled", "python"])
def test_memory_stays_below_n_squared(name):
    """n = 4000: an n x n float64 matrix is 128 MB; the kernels stay far below."""
    X = np.random.default_rng(1).normal(size=(4000, 20))
    with fastal.use_backend(name):
        tracemalloc.start()
        K.pairwise_density(X, include_self=False)
        K.max_min_select(X[:3000], X[3000:], 50, scores=np.ones(3000))
        K.min_distance(X, X[:1000])
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < 48e6, f"peak traced memory {peak / 1e6:.1f} MB"


@pytest.mark.parametrize("avx512", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", ["normal", "near duplicates", "ties", "huge", "tiny", "reference",
                                  "one reference point", "subnormal squares"])
def test_density_row_loops_agree_with_the_twin(avx512, dtype, case):
    """Euclidean 1 / (1 + d) tiles with the AVX-512 row loops (reciprocal square root
    and reciprocal estimates refined by Newton steps; used where the CPU has AVX-512F)
    and with the portable loops: both within the documented tolerance of the twin,
    on rows spanning several tiles (tiles of 256), with and without a reference set
    (one reference point, 72 copies of the origin: every value is 1 / (1 + |x|) of a
    single distance, distances over ten orders of magnitude; subnormal squares: rows
    1e-158 (float32: 1e-22) around the centre, their squared distances below the
    normal range, which a reciprocal square root estimate cannot take)."""
    from fastal._core import _density
    rng = np.random.default_rng(17)
    X = rng.normal(size=(700, 40))
    R = None
    if case == "near duplicates":
        X[1::2] = X[::2] + 1e-6 * rng.normal(size=(350, 40))
    elif case == "ties":
        X = rng.integers(-1, 2, size=(700, 40)).astype(float)
    elif case in ("huge", "tiny"):       # float32: beyond the float32 products' range
        X = X * 2.0 ** ((300 if dtype == np.float64 else 45) * (1 if case == "huge" else -1))
    elif case == "reference":
        R = rng.normal(size=(300, 40)).astype(dtype)
    elif case == "subnormal squares":     # +-1 rows keep the centre at 0 and the scale 1
        half = X[:349] * (1e-158 if dtype == np.float64 else 1e-22)
        X = np.vstack([half, -half, np.eye(40)[:1], -np.eye(40)[:1]])
    elif case == "one reference point":
        X = X * np.exp(rng.uniform(-12, 12, size=(700, 1)))
        R = np.zeros((72, 40), dtype=dtype)
    X = X.astype(dtype)
    _density.use_avx512(avx512)
    try:
        out = both_backends(lambda: K.pairwise_density(X, R))
    finally:
        _density.use_avx512(True)
    np.testing.assert_allclose(out["compiled"], out["python"], **tol(X.dtype))


@pytest.fixture(params=["default tiles", "small tiles"])
def gemm_tiles(request):
    """The compiled minimum distance's product tiles as built (256 rows of the pool
    against 1,024 labeled rows), or 6 rows against 70, so that every pool block
    crosses many labeled tiles and the float32 path gives up between tiles."""
    if request.param == "default tiles":
        yield request.param
        return
    from fastal._core import COMPILED
    if COMPILED is None:
        pytest.skip("compiled extension not built")
    from fastal._core import _maxmin
    old = _maxmin._set_gemm_tiles(6, 70)
    yield request.param
    _maxmin._set_gemm_tiles(*old)


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", ["normal", "offset", "near duplicates", "ties", "huge", "tiny",
                                  "far clusters", "beyond float32", "zero rows"])
def test_float32_products_keep_min_distance_and_picks_exact(dtype, case, metric, gemm_tiles):
    """The compiled minimum distance multiplies rows in float32, recomputes in double
    every candidate within the float32 error bound, and goes back to double products
    when too many are; distances and max-min picks stay the twin's, bit for bit.
    1100 labeled rows span two column tiles (many with small tiles); "far clusters"
    (spread 1e-4 of the separation) leaves float32 too many candidates; "beyond
    float32": float64 values with a range float32 cannot hold (the double path).
    Cosine distances of unit rows come from the same products (twice the cosine
    distance is the squared euclidean one); "zero rows": rows of zeros, at cosine
    distance 1 from every row, in the pool and among the labeled rows."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(3200, 24))
    if case == "offset":
        X = X + 1e4
    elif case == "near duplicates":
        X[1::2] = X[::2] + 1e-4 * rng.normal(size=(1600, 24))
    elif case == "ties":
        X = rng.integers(-2, 3, size=(3200, 24)).astype(float)
    elif case == "huge":
        X = X * 2.0 ** 38
    elif case == "tiny":
        X = X * 2.0 ** -38
    elif case == "far clusters":
        centres = 1e3 * rng.normal(size=(2, 24))
        X = centres[rng.integers(0, 2, 3200)] + 0.1 * X
    elif case == "beyond float32":
        X = X * 2.0 ** (120 if dtype == np.float64 else 60)
        X[::3] *= 2.0 ** -100
    elif case == "zero rows":
        X[::40] = 0.0
        X[-1] = -X[0]                   # opposite rows: cosine distance 2
    X = X.astype(dtype)
    pool, labeled = X[:2100], X[2100:]
    out = both_backends(lambda: K.min_distance(pool, labeled, metric=metric))
    np.testing.assert_array_equal(out["compiled"], out["python"])
    scores = rng.random(2100)
    for s in (None, scores):
        out = both_backends(lambda: K.max_min_select(pool, labeled, 30, scores=s, metric=metric))
        assert out["compiled"].tolist() == out["python"].tolist()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["C", "F", "every other column", "rows reversed"])
def test_min_distance_products_take_any_memory_layout(dtype, layout, gemm_tiles):
    """The float32 products pack rows from any layout (contiguous rows are packed
    by the vectorised packer, others value by value): distances and picks are the
    twin's, bit for bit."""
    rng = np.random.default_rng(8)
    X = (rng.normal(size=(1500, 48)) + 3.0).astype(dtype)
    if layout == "F":
        X = np.asfortranarray(X)
    elif layout == "every other column":
        X = X[:, ::2]
    elif layout == "rows reversed":
        X = X[::-1]
    pool, labeled = X[:1100], X[1100:]
    out = both_backends(lambda: K.min_distance(pool, labeled))
    np.testing.assert_array_equal(out["compiled"], out["python"])
    scores = rng.random(1100)
    picks = both_backends(lambda: K.max_min_select(pool, labeled, 40, scores=scores))
    assert picks["compiled"].tolist() == picks["python"].tolist()


@pytest.mark.parametrize("case", ["offset", "near duplicates", "huge", "tiny", "reference",
                                  "cancelling pairs"])
def test_float32_density_is_the_float64_density(backend, case):
    """float32 rows (matrix products in float32, small distances redone in double) give
    the float64 density of the same values within rtol 1e-5, on rows that cancel badly."""
    rng = np.random.default_rng(11)
    X = rng.normal(size=(700, 40))
    R = None
    if case == "offset":
        X = X + 1e4                                   # far from the origin
    elif case == "near duplicates":
        X[1::2] = X[::2] + 1e-3 * rng.normal(size=(350, 40))
    elif case == "huge":
        X = X * 2.0 ** 45                             # beyond the float32 products' range
    elif case == "tiny":
        X = X * 2.0 ** -45
    elif case == "reference":
        R = rng.normal(size=(300, 40)).astype(np.float32)
    else:   # rows 0.006 from one of two reference rows 100 apart: float32 norms cancel
        R = np.zeros((2, 40), dtype=np.float32)
        R[1, 0] = 100.0
        X = 1e-3 * rng.normal(size=(700, 40))
    X32 = X.astype(np.float32)
    got = K.pairwise_density(X32, R)
    expected = K.pairwise_density(X32.astype(np.float64), None if R is None else R.astype(np.float64))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-5)
