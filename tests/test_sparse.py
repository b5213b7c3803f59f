"""Sparse rows: every kernel on CSR input equals the dense result of the same data.

Selected indices (k-NN neighbours, max-min picks) are identical to the dense
ones on both backends; densities and distances agree to rtol 1e-9 (the sums
behind the selections are bitwise the dense ones; densities use a norm
expansion in the compiled sparse path).
"""
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastal import kernels as K
from fastal.testing import both_backends

METRICS = ["euclidean", "manhattan", "cosine"]
PROPERTY = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def sparse_data(draw):
    """Small-integer rows, most values zero, with duplicated, all-zero and collinear rows,
    at a magnitude between 1e-300 and 1e300, in a random scipy format."""
    n = draw(st.integers(2, 40))
    d = draw(st.sampled_from([1, 3, 8, 30, 200]))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    D = rng.integers(-3, 4, size=(n, d)).astype(np.float64)
    D[rng.random((n, d)) < draw(st.sampled_from([0.5, 0.9, 0.98]))] = 0.0
    if n > 2:
        D[rng.integers(n)] = D[0]
        D[rng.integers(n)] = 0.0
        D[rng.integers(n)] = 2.0 * D[1]
    D = D * 10.0 ** draw(st.sampled_from([-300, -150, 0, 150, 300]))
    if draw(st.booleans()):
        D = D.astype(np.float32) if np.abs(D).max() < 1e30 and np.abs(D[D != 0]).min(
            initial=1.0) > 1e-30 else D
    fmt = draw(st.sampled_from(["csr", "csc", "coo", "csr_array"]))
    S = sp.csr_array(D) if fmt == "csr_array" else getattr(sp, f"{fmt}_matrix")(D)
    return D, S


def assert_graphs_equal(a, b, dtype):
    assert (a.indices == b.indices).all() and (a.indptr == b.indptr).all()
    np.testing.assert_allclose(a.data, b.data, rtol=1e-9 if dtype == np.float64 else 1e-5)


@PROPERTY
@given(data=sparse_data(), metric=st.sampled_from(METRICS))
def test_selections_equal_the_dense_ones(data, metric):
    D, S = data
    n = D.shape[0]
    k = min(3, n - 1)
    dense = K.knn_density(D, k, metric=metric)[1]
    for name, graph in both_backends(lambda: K.knn_density(S, k, metric=metric)[1]).items():
        assert_graphs_equal(graph, dense, D.dtype)
    S = sp.csr_matrix(S)              # slicing below needs a format that supports it
    n_lab = n // 4
    batch = max(1, min(6, n - n_lab))
    for scores in (None, (np.arange(n - n_lab) % 3) / 2.0):
        want = K.max_min_select(D[n_lab:], D[:n_lab], batch, scores=scores, metric=metric)
        got = both_backends(lambda: K.max_min_select(S[n_lab:], S[:n_lab], batch, scores=scores,
                                                     metric=metric))
        assert got["compiled"].tolist() == got["python"].tolist() == want.tolist()
    want = K.min_distance(D, D[:max(1, n // 3)], metric=metric)
    for got in both_backends(lambda: K.min_distance(S, S[:max(1, n // 3)], metric=metric)).values():
        np.testing.assert_allclose(got, want, rtol=1e-12 if D.dtype == np.float64 else 1e-6)


@PROPERTY
@given(data=sparse_data(), metric=st.sampled_from(METRICS), include_self=st.booleans())
def test_densities_equal_the_dense_ones(data, metric, include_self):
    D, S = data
    tol = dict(rtol=1e-9, atol=1e-12) if D.dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    want = K.pairwise_density(D, metric=metric, include_self=include_self)
    for got in both_backends(lambda: K.pairwise_density(S, metric=metric,
                                                        include_self=include_self)).values():
        assert got.dtype == D.dtype
        np.testing.assert_allclose(got, want, **tol)
    want = K.pairwise_density(D, similarity="cosine", include_self=include_self)
    for got in both_backends(lambda: K.pairwise_density(S, similarity="cosine",
                                                        include_self=include_self)).values():
        np.testing.assert_allclose(got, want, **tol)


def test_sparse_unit_rows_are_the_dense_ones():
    rng = np.random.default_rng(2)
    D = rng.normal(size=(50, 20)) * (rng.random((50, 20)) < 0.3)
    D[3] = 0
    assert (K.unit_rows(sp.csr_matrix(D)).toarray() == K.unit_rows(D)).all()


def test_the_callers_matrix_is_not_changed():
    S = sp.coo_matrix(np.array([[0.0, 2.0], [3.0, 0.0], [0.0, 0.0]]))
    before = (S.row.copy(), S.col.copy(), S.data.copy())
    K.pairwise_density(S)
    K.max_min_select(S, None, 2, metric="cosine")
    assert all((a == b).all() for a, b in zip(before, (S.row, S.col, S.data)))


def test_sparse_errors():
    S = sp.csr_matrix(np.array([[0.0, 1.0], [2.0, 0.0], [1.0, 1.0]]))
    bad = S.copy()
    bad.data[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        K.pairwise_density(bad)
    with pytest.raises(ValueError, match="features"):
        K.min_distance(S, sp.csr_matrix(np.ones((1, 3))))
    with pytest.raises(TypeError, match="sparse but X is dense"):
        K.min_distance(S.toarray(), S)
    with pytest.raises(TypeError, match="real numbers"):
        K.pairwise_density(sp.csr_matrix(np.array([[1 + 2j, 0]])))
    with pytest.raises(ValueError, match="at least 2 row"):
        K.knn_density(S[:1], 1)


def test_dense_reference_with_a_sparse_pool():
    rng = np.random.default_rng(4)
    D = rng.normal(size=(30, 6)) * (rng.random((30, 6)) < 0.5)
    S = sp.csr_matrix(D)
    assert K.max_min_select(S, D[:3], 5).tolist() == K.max_min_select(D, D[:3], 5).tolist()
    np.testing.assert_allclose(K.pairwise_density(S, D[:4]), K.pairwise_density(D, D[:4]),
                               rtol=1e-9)


def test_memory_stays_linear_in_the_non_zeros():
    """20,000 rows x 2**18 columns, 20 non-zeros a row: a dense copy would be 42 GB."""
    import tracemalloc
    rng = np.random.default_rng(5)
    n, d, per_row = 20_000, 2 ** 18, 20
    cols = rng.integers(0, d, size=n * per_row)
    S = sp.csr_matrix((rng.random(n * per_row), cols, np.arange(0, n * per_row + 1, per_row)),
                      shape=(n, d))
    tracemalloc.start()
    picks = K.max_min_select(S, S[:100], 10, metric="cosine")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(set(picks.tolist())) == 10
    assert peak < 100e6, f"peak traced memory {peak / 1e6:.1f} MB"

