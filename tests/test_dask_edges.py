"""fastal.dask at the edges of its input: a clear error or the single-machine answer."""
import numpy as np
import pytest

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")

import fastal.dask as fd  # noqa: E402
from fastal import kernels  # noqa: E402
from fastal.query_strategies._uncertainty import positive_uncertainty  # noqa: E402


@pytest.fixture(autouse=True)
def sync_scheduler():
    with dask.config.set(scheduler="sync"):
        yield


@pytest.fixture(scope="module")
def client(dask_client):
    """The 2-worker cluster of ``conftest.dask_client``."""
    return dask_client


def _logistic(Xn, y):
    from sklearn.linear_model import LogisticRegression
    return LogisticRegression().fit(Xn, y)


class FixedProba:
    """A classifier stand-in whose predict_proba is given by a function of the rows."""

    def __init__(self, proba):
        self.proba = proba

    def predict_proba(self, X):
        return self.proba(np.asarray(X))


def _two_class(X):
    p = 1.0 / (1.0 + np.exp(-X[:, 0]))
    return np.column_stack([p, 1.0 - p])


# -- chunks holding no rows ------------------------------------------------------------------

def test_empty_chunk_density_against_reference(backend, rng):
    Xn = rng.normal(size=(12, 3))
    X = da.from_array(Xn, chunks=((4, 0, 8), (3,)))
    got = fd.pairwise_density(X, Xn[:3]).compute()
    np.testing.assert_array_equal(got, kernels.pairwise_density(Xn, Xn[:3]))


@pytest.mark.parametrize("chunks", [(4, 0, 8), (0, 5, 0, 7), (4, 4, 4, 0)])
def test_empty_chunk_sampled_density_keeps_row_chunks(rng, chunks):
    Xn = rng.normal(size=(12, 3))
    X = da.from_array(Xn, chunks=(chunks, (3,)))
    dens = fd.pairwise_density(X, n_samples=5, random_state=0, include_self=False)
    assert dens.chunks == (chunks,)
    np.testing.assert_allclose(dens.compute(), kernels.pairwise_density(
        Xn, n_samples=5, random_state=0, include_self=False), rtol=1e-12, atol=0)


@pytest.mark.parametrize("chunks", [(4, 0, 8), (0, 5, 0, 7), (4, 0, 4, 4)])
def test_empty_chunk_next_batch_density(rng, chunks):
    Xn = rng.normal(size=(12, 3))
    X = da.from_array(Xn, chunks=(chunks, (3,)))
    labeled = np.zeros(12, bool)
    labeled[[0, 6]] = True
    model = _logistic(Xn[labeled], [0, 1])
    unl = np.flatnonzero(~labeled)
    density = kernels.pairwise_density(Xn[unl], include_self=False, n_samples=4, random_state=1)
    score = np.maximum(positive_uncertainty(model.predict_proba(Xn[unl]), "entropy"), 0.0) \
        * density
    got = fd.next_batch(X, labeled, model, 3, strategy="density", density_samples=4,
                        random_state=1)
    np.testing.assert_array_equal(got, unl[np.lexsort((unl, -score))[:3]])


# -- what the model returns --------------------------------------------------------------------

def test_model_output_of_the_wrong_length(rng):
    Xn = rng.normal(size=(20, 3))
    X = da.from_array(Xn, chunks=(6, -1))
    short = FixedProba(lambda B: _two_class(B)[1:])
    for call in (lambda: fd.uncertainty_top_k(short, X, 3),
                 lambda: fd.next_batch(X, [0], short, 3),
                 lambda: fd.next_batch(X, [0], short, 3, strategy="density"),
                 lambda: fd.next_batch(X, [0], short, 3, strategy="ranked")):
        with pytest.raises(ValueError,
                           match=r"predict_proba returned shape \((5|1), 2\) for (6|2) rows"):
            call()


def test_model_output_one_dimensional(rng):
    X = da.from_array(rng.normal(size=(10, 3)), chunks=(5, -1))
    flat = FixedProba(lambda B: _two_class(B)[:, 0])
    with pytest.raises(ValueError, match=r"predict_proba returned shape \(5,\) for 5 rows"):
        fd.uncertainty_top_k(flat, X, 2)


@pytest.mark.parametrize("strategy", ["uncertainty", "density", "ranked"])
def test_model_output_with_nan(rng, strategy):
    Xn = rng.normal(size=(20, 3))
    X = da.from_array(Xn, chunks=(6, -1))

    def proba(B):
        p = _two_class(B)
        p[-1] = np.nan
        return p

    with pytest.raises(ValueError, match="predict_proba returned NaN"):
        fd.next_batch(X, [0], FixedProba(proba), 3, strategy=strategy)


# -- non-finite rows in a chunk other than the first -------------------------------------------

@pytest.mark.parametrize("value,kind", [(np.nan, "NaN"), (np.inf, "infinity")])
def test_non_finite_row_with_a_permissive_model(rng, value, kind):
    """A model that scores NaN rows without complaint must not hide them."""
    Xn = rng.normal(size=(20, 3))
    Xn[14, 1] = value
    X = da.from_array(Xn, chunks=(6, -1))
    lenient = FixedProba(lambda B: np.full((B.shape[0], 2), 0.5))
    with pytest.raises(ValueError, match=f"X contains {kind}"):
        fd.uncertainty_top_k(lenient, X, 2)
    with pytest.raises(ValueError, match=f"X contains {kind}"):
        fd.next_batch(X, [0], lenient, 2)


# -- dtypes --------------------------------------------------------------------------------------

def test_float32_pool_with_references_beyond_its_range(rng):
    X32 = rng.normal(size=(12, 3)).astype(np.float32)
    X = da.from_array(X32, chunks=(5, -1))
    big = rng.normal(size=(2, 3)) * 1e300
    with pytest.raises(ValueError, match="X_labeled holds values beyond the range of float32"):
        fd.max_min_select(X, big, 3)
    with pytest.raises(ValueError, match="reference holds values beyond the range of float32"):
        fd.min_distance(X, big)
    with pytest.raises(ValueError, match="reference holds values beyond the range of float32"):
        fd.pairwise_density(X, big)


def test_float32_pool_float64_reference_and_back(rng):
    Xn = rng.normal(size=(30, 4))
    X32 = Xn.astype(np.float32)
    for pool_rows, ref in ((X32, Xn[:3]), (Xn, X32[:3])):
        X = da.from_array(pool_rows, chunks=((1, 9, 20), (4,)))
        np.testing.assert_array_equal(fd.min_distance(X, ref).compute(),
                                      kernels.min_distance(pool_rows, ref))
        np.testing.assert_array_equal(fd.max_min_select(X, ref, 6),
                                      kernels.max_min_select(pool_rows, ref, 6))


def test_integer_pool(rng):
    Xi = rng.integers(0, 4, size=(25, 3))
    X = da.from_array(Xi, chunks=(7, -1))
    np.testing.assert_array_equal(fd.max_min_select(X, None, 6),
                                  kernels.max_min_select(Xi, None, 6))
    np.testing.assert_array_equal(fd.pairwise_density(X, Xi[:4]).compute(),
                                  kernels.pairwise_density(Xi, Xi[:4]))


def test_complex_scores_are_a_type_error(rng):
    Xn = rng.normal(size=(10, 2))
    X = da.from_array(Xn, chunks=(4, -1))
    scores = rng.random(10) + 1j
    with pytest.raises(TypeError, match="scores must hold real numbers"):
        fd.max_min_select(X, Xn[:1], 2, scores=scores)
    with pytest.raises(TypeError, match="scores must hold real numbers"):
        fd.max_min_select(X, Xn[:1], 2, scores=da.from_array(scores, chunks=(X.chunks[0],)))


def test_sparse_chunks_are_a_type_error(rng):
    import scipy.sparse as sp
    Xn = np.abs(rng.normal(size=(12, 3)))
    X = da.from_array(sp.csr_matrix(Xn), chunks=(5, -1))
    for call in (lambda: fd.min_distance(X, Xn[:2]), lambda: fd.max_min_select(X, Xn[:2], 3),
                 lambda: fd.pairwise_density(X, n_samples=3)):
        with pytest.raises(TypeError, match="X must hold dense NumPy chunks, got csr_matrix"):
            call()


# -- scale -----------------------------------------------------------------------------------

@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "cosine"])
def test_huge_and_tiny_rows_in_different_chunks(backend, rng, metric):
    Xn = rng.normal(size=(24, 3))
    Xn[:12] *= 1e150
    Xn[12:] *= 1e-150
    X = da.from_array(Xn, chunks=((1, 11, 12), (3,)))
    for ref in (Xn[14:16], Xn[1:3]):
        np.testing.assert_array_equal(fd.min_distance(X, ref, metric=metric).compute(),
                                      kernels.min_distance(Xn, ref, metric=metric))
    np.testing.assert_array_equal(fd.max_min_select(X, Xn[14:16], 8, metric=metric),
                                  kernels.max_min_select(Xn, Xn[14:16], 8, metric=metric))
    np.testing.assert_array_equal(fd.max_min_select(X, None, 5, metric=metric),
                                  kernels.max_min_select(Xn, None, 5, metric=metric))


# -- indices and options ----------------------------------------------------------------------

def test_integer_zero_one_mask_is_not_read_as_indices(rng):
    Xn = rng.normal(size=(10, 2))
    X = da.from_array(Xn, chunks=(4, -1))
    mask01 = np.zeros(10, dtype=int)
    mask01[[2, 7]] = 1
    with pytest.raises(ValueError, match="labeled looks like a 0/1 mask"):
        fd.next_batch(X, mask01, None, 2, strategy="coreset")
    model = _logistic(Xn, np.arange(10) % 2)
    with pytest.raises(ValueError, match="candidates looks like a 0/1 mask"):
        fd.uncertainty_top_k(model, X, 1, candidates=mask01)
    # boolean masks and genuine index lists are fine
    got = fd.next_batch(X, mask01.astype(bool), None, 2, strategy="coreset")
    np.testing.assert_array_equal(got, fd.next_batch(X, [2, 7, 7], None, 2, strategy="coreset"))


def test_method_that_a_strategy_does_not_use(rng):
    Xn = rng.normal(size=(10, 2))
    X = da.from_array(Xn, chunks=(4, -1))
    model = _logistic(Xn[:2], [0, 1])
    with pytest.raises(ValueError, match="strategy 'ranked' scores with 1 - max p"):
        fd.next_batch(X, [0, 1], model, 2, strategy="ranked", method="entropy")
    with pytest.raises(ValueError, match="strategy 'coreset' uses no model"):
        fd.next_batch(X, [0, 1], model, 2, strategy="coreset", method="sm")
    np.testing.assert_array_equal(
        fd.next_batch(X, [0, 1], model, 2, strategy="ranked", method="lc"),
        fd.next_batch(X, [0, 1], model, 2, strategy="ranked"))


def test_density_samples_named_in_its_error(rng):
    Xn = rng.normal(size=(10, 2))
    X = da.from_array(Xn, chunks=(4, -1))
    model = _logistic(Xn[:2], [0, 1])
    with pytest.raises(ValueError, match="density_samples must be between 2 and"):
        fd.next_batch(X, [0, 1], model, 2, strategy="density", density_samples=1)
    with pytest.raises(TypeError, match="density_samples must be an integer"):
        fd.next_batch(X, [0, 1], model, 2, strategy="density", density_samples=True)


def test_include_self_numpy_true_with_reference(rng):
    Xn = rng.normal(size=(10, 2))
    X = da.from_array(Xn, chunks=(4, -1))
    np.testing.assert_array_equal(fd.pairwise_density(X, Xn[:3], include_self=np.True_).compute(),
                                  kernels.pairwise_density(Xn, Xn[:3]))


@pytest.mark.parametrize("random_state", [5, "RandomState", "Generator"])
def test_random_state_kinds_draw_as_the_kernel(rng, random_state):
    Xn = rng.normal(size=(30, 3))
    X = da.from_array(Xn, chunks=((1, 9, 20), (3,)))

    def seed():
        if random_state == "RandomState":
            return np.random.RandomState(5)
        if random_state == "Generator":
            return np.random.default_rng(5)
        return random_state

    got = fd.pairwise_density(X, n_samples=7, random_state=seed()).compute()
    np.testing.assert_allclose(got, kernels.pairwise_density(Xn, n_samples=7,
                                                             random_state=seed()),
                               rtol=1e-12, atol=0)


# -- on a cluster --------------------------------------------------------------------------------

def test_cluster_repeated_selections_and_empty_chunk(client, rng):
    Xn = rng.normal(size=(120, 4))
    scores = rng.random(120)
    with dask.config.set(scheduler="dask.distributed"):
        X = da.from_array(Xn, chunks=((30, 0, 1, 89), (4,)))
        for _ in range(2):
            np.testing.assert_array_equal(fd.max_min_select(X, Xn[:3], 8, scores=scores),
                                          kernels.max_min_select(Xn, Xn[:3], 8, scores=scores))
        np.testing.assert_array_equal(fd.max_min_select(X, None, 6),
                                      kernels.max_min_select(Xn, None, 6))
        labeled = np.zeros(120, bool)
        labeled[[0, 40, 90]] = True
        model = _logistic(Xn[labeled], [0, 1, 0])
        got = fd.next_batch(X, labeled, model, 4, strategy="density", density_samples=10,
                            random_state=0)
    with dask.config.set(scheduler="sync"):
        np.testing.assert_array_equal(got, fd.next_batch(
            X, labeled, model, 4, strategy="density", density_samples=10, random_state=0))
