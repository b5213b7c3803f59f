"""One list of kernels, two backends: same names, same signatures, same results.

Every name in ``fastal._core.KERNELS`` must exist in both backends with the
same signature, and must have a parity case below: the loop calls both
backends on many shapes, dtypes, memory orders and metrics and compares
(floating point: rtol 1e-9 for float64 input, 1e-5 for float32; indices,
picks and value ranges: identical).
"""
import inspect
import itertools

import numpy as np
import pytest

from fastal import _core
import scipy.sparse as sp

from fastal.kernels import check_rows, prepare_rows


def inputs():
    """(name, X) over shapes that cross tile edges, both dtypes and both orders,
    with duplicated rows and a constant column."""
    rng = np.random.default_rng(7)
    for (n, d), dtype, order in itertools.product(
            [(1, 1), (2, 3), (37, 5), (300, 17), (600, 40)], [np.float64, np.float32], "CF"):
        X = rng.normal(size=(n, d))
        if n > 3:
            X[n // 2] = X[1]
            X[:, 0] = 1.5
        yield f"{n}x{d}-{np.dtype(dtype).name}-{order}", np.asarray(X, dtype=dtype, order=order)


def cases(X):
    """Keyword arguments for every kernel on X (rows prepared as fastal.kernels does)."""
    n = X.shape[0]
    for metric in ("euclidean", "manhattan", "cosine"):
        scale, Xs = prepare_rows(metric, X)
        half = Xs[: max(1, n // 2)]
        for include_self in (True, False):
            yield "pair_sums", dict(X=Xs, R=None, metric=metric, transform="inverse",
                                    include_self=include_self, n_threads=2, scale=scale)
        yield "pair_sums", dict(X=Xs, R=half, metric=metric, transform="distance",
                                include_self=True, n_threads=2, scale=scale)
        yield "min_distance", dict(X=Xs, Y=half, metric=metric, n_threads=2)
        if n >= 2:
            yield "knn_search", dict(X=Xs, n_neighbors=min(5, n - 1), metric=metric, n_threads=2)
        md = np.random.default_rng(1).random(n)
        for scores in (None, np.linspace(0, 1, n)):
            yield "max_min_greedy", dict(X=Xs, min_dist=md, batch_size=max(1, n // 3),
                                         scores=scores, n_unlabeled=n, n_labeled=3,
                                         exclude=0 if n > 1 else None, metric=metric,
                                         n_threads=2, scale=scale)
    for include_self in (True, False):
        yield "cosine_sums", dict(X=X, R=None, include_self=include_self, n_threads=2)
    yield "value_range", dict(X=X, n_threads=2)
    for bad in (np.nan, np.inf, -np.inf):
        spoiled = X.copy(order="K")
        spoiled.flat[spoiled.size // 2] = bad
        yield "value_range", dict(X=spoiled, n_threads=2)
    yield "value_range", dict(X=X[:, ::2], n_threads=2)        # not contiguous
    yield "value_range", dict(X=X[:0], n_threads=2)            # empty
    with_zero_rows = X.copy()
    with_zero_rows[::3] = 0
    for rows in (X, X[:, ::2], X[::-1], with_zero_rows, X[:0], X * 1e300 if X.dtype == np.float64
                 else X * 1e30):
        yield "unit_rows", dict(X=rows, n_threads=2)
    yield from sparse_cases(X)


def sparse_cases(X):
    """The same cases on CSR rows (about 70 % of the values set to zero; the twin's
    sparse path is slow, so at most 300 rows and batches of at most 12)."""
    X = X[:300]
    mask = np.random.default_rng(3).random(X.shape) < 0.7
    S = check_rows(sp.csr_matrix(np.where(mask, 0, X)))
    for name, kwargs in list(dense_cases(S)):
        if name == "max_min_greedy":
            kwargs["batch_size"] = min(kwargs["batch_size"], 12)
        yield "sparse_" + name, kwargs
    for include_self in (True, False):
        yield "sparse_cosine_sums", dict(X=S, R=None, include_self=include_self, n_threads=2)


def dense_cases(X):
    """The dense cases' arguments for any rows X (dense or CSR), cosine sums excluded."""
    n = X.shape[0]
    for metric in ("euclidean", "manhattan", "cosine"):
        scale, Xs = prepare_rows(metric, X)
        half = Xs[: max(1, n // 2)]
        yield "pair_sums", dict(X=Xs, R=None, metric=metric, transform="inverse",
                                include_self=False, n_threads=2, scale=scale)
        yield "pair_sums", dict(X=Xs, R=half, metric=metric, transform="distance",
                                include_self=True, n_threads=2, scale=scale)
        yield "min_distance", dict(X=Xs, Y=half, metric=metric, n_threads=2)
        if n >= 2:
            yield "knn_search", dict(X=Xs, n_neighbors=min(5, n - 1), metric=metric, n_threads=2)
        md = np.random.default_rng(1).random(n)
        for scores in (None, np.linspace(0, 1, n)):
            yield "max_min_greedy", dict(X=Xs, min_dist=md, batch_size=max(1, n // 3),
                                         scores=scores, n_unlabeled=n, n_labeled=3,
                                         exclude=0 if n > 1 else None, metric=metric,
                                         n_threads=2, scale=scale)
    yield "cosine_sums", dict(X=X * 1e300 if X.dtype == np.float64 else X, R=X[: max(1, n // 2)],
                              include_self=True, n_threads=2)
    yield "value_range", dict(X=X, n_threads=2)


def test_every_kernel_has_both_backends_with_one_signature():
    assert _core.COMPILED is not None, _core.COMPILED_IMPORT_ERROR
    for name in _core.KERNELS:
        compiled, twin = getattr(_core.COMPILED, name), getattr(_core.PYTHON, name)
        assert inspect.signature(compiled) == inspect.signature(twin), name


def test_every_kernel_has_a_parity_case():
    covered = {name for name, _ in cases(np.random.default_rng(0).normal(size=(5, 3)))}
    assert covered == set(_core.KERNELS)


@pytest.mark.parametrize("label, X", list(inputs()), ids=[label for label, _ in inputs()])
def test_compiled_equals_twin(label, X):
    tol = dict(rtol=1e-9, atol=1e-12) if X.dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    for name, kwargs in cases(X):
        before = {key: value.copy() for key, value in kwargs.items()
                  if isinstance(value, np.ndarray)}
        got = getattr(_core.COMPILED, name)(**kwargs)
        want = getattr(_core.PYTHON, name)(**kwargs)
        for key, value in before.items():     # the callers' arrays are left as they were
            assert np.array_equal(kwargs[key], value, equal_nan=True), (name, key)
        if name.endswith("knn_search"):
            assert (got[0] == want[0]).all(), (name, kwargs["metric"])
            np.testing.assert_allclose(got[1], want[1], **tol)
        elif name.endswith("max_min_greedy"):
            assert got.tolist() == want.tolist(), (name, kwargs["metric"])
        elif name.endswith("value_range") or name == "unit_rows":
            np.testing.assert_array_equal(got, want, err_msg=name)
        else:
            np.testing.assert_allclose(got, want, **tol, err_msg=f"{name} {kwargs.get('metric')}")
