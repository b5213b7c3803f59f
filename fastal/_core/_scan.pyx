"""Compiled whole-array passes at the kernels' boundary: the range of the
values, and canonical unit rows.

Readable definitions: ``value_range``, ``sparse_value_range`` and
``unit_rows`` of ``fastal._core._reference``.  The array is read once, in
chunks spread over OpenMP threads; a pending signal stops every thread
between chunks.
"""
import numpy as np
from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport INFINITY, fabs, sqrt

from fastal._core._common cimport (
    fastal_value_range, fastal_value_range_single, stop_requested, raise_if_stopped,
    fastal_stop, fastal_stop_init)
from fastal._core import _reference

cdef Py_ssize_t CHUNK = 1 << 16     # values per unit of work (and between signal checks)
# values per thread at least: a scan of fewer is quicker than waking a sleeping
# OpenMP thread can be (measured up to several ms on a busy 2-core machine)
cdef Py_ssize_t PER_THREAD = 1 << 22


cdef int _range(const floating[::1] x, int n_threads, double* low, double* high) except -1:
    """The range of x into low and high; returns 1 when x holds a NaN."""
    cdef Py_ssize_t n = x.shape[0], n_chunks = (n + CHUNK - 1) // CHUNK, c, start
    cdef int found_nan
    cdef fastal_stop stop
    if n_chunks == 1:
        with nogil:
            if floating is double:
                found_nan = fastal_value_range(&x[0], n, low, high)
            else:
                found_nan = fastal_value_range_single(&x[0], n, low, high)
        return found_nan
    fastal_stop_init(&stop)
    lo_arr = np.empty(n_chunks, dtype=np.float64)
    hi_arr = np.empty(n_chunks, dtype=np.float64)
    bad_arr = np.zeros(n_chunks, dtype=np.int32)
    cdef double[::1] lo = lo_arr
    cdef double[::1] hi = hi_arr
    cdef int[::1] bad = bad_arr
    with nogil:
        for c in prange(n_chunks, num_threads=max(1, min(n_threads, n // PER_THREAD)),
                        schedule="static"):
            if stop_requested(&stop):
                continue
            start = c * CHUNK
            if floating is double:
                bad[c] = fastal_value_range(&x[start], min(CHUNK, n - start), &lo[c], &hi[c])
            else:
                bad[c] = fastal_value_range_single(&x[start], min(CHUNK, n - start), &lo[c],
                                                   &hi[c])
    raise_if_stopped(&stop)
    low[0] = lo_arr.min()
    high[0] = hi_arr.max()
    return 1 if bad_arr.any() else 0


def value_range(X, n_threads):
    """Same contract as ``fastal._core._reference.value_range``."""
    cdef const double[::1] values
    cdef const float[::1] values_single
    cdef double low, high
    cdef int found_nan
    A = np.asarray(X)
    if A.size == 0:
        return (INFINITY, -INFINITY)
    if A.dtype not in (np.float32, np.float64) or not (A.flags.c_contiguous
                                                       or A.flags.f_contiguous):
        return _reference.value_range(A, n_threads)
    if A.dtype == np.float64:
        values = np.ravel(A, order="K")
        found_nan = _range[double](values, n_threads, &low, &high)
    else:
        values_single = np.ravel(A, order="K")
        found_nan = _range[float](values_single, n_threads, &low, &high)
    if found_nan:
        return (float("nan"), float("nan"))
    return (low, high)


def sparse_value_range(X, n_threads):
    """Same contract as ``fastal._core._reference.sparse_value_range``."""
    return value_range(X.data, n_threads)


# rows per unit of work of unit_rows (and between signal checks), and per thread at least
cdef Py_ssize_t UNIT_CHUNK = 1 << 11
cdef Py_ssize_t UNIT_PER_THREAD = 1 << 13


cdef inline void _unit_row(const floating[:, :] X, Py_ssize_t i, double* out) noexcept nogil:
    """out = X[i] / max|X[i]|, then divided by its norm (squares summed in
    feature order); the twin's operations, value by value."""
    cdef Py_ssize_t k, d = X.shape[1]
    cdef double peak = 0.0, v, s = 0.0, norm
    for k in range(d):
        v = fabs(<double>X[i, k])
        if v > peak:
            peak = v
    if not peak > 0.0:
        peak = 1.0
    for k in range(d):
        v = <double>X[i, k] / peak
        out[k] = v
        s = s + v * v
    norm = sqrt(s)
    if not norm > 0.0:
        norm = 1.0
    for k in range(d):
        out[k] = out[k] / norm


cdef int _unit_rows_into(const floating[:, :] X, double[:, ::1] out, int n_threads) except -1:
    cdef Py_ssize_t n = X.shape[0], n_chunks = (n + UNIT_CHUNK - 1) // UNIT_CHUNK, c, i
    cdef fastal_stop stop
    fastal_stop_init(&stop)
    with nogil:
        for c in prange(n_chunks, num_threads=max(1, min(n_threads, n // UNIT_PER_THREAD)),
                        schedule="static"):
            if stop_requested(&stop):
                continue
            for i in range(c * UNIT_CHUNK, min(n, (c + 1) * UNIT_CHUNK)):
                _unit_row(X, i, &out[i, 0])
    raise_if_stopped(&stop)
    return 0


def unit_rows(X, n_threads):
    """Same contract as ``fastal._core._reference.unit_rows``."""
    A = np.asarray(X)
    if A.dtype not in (np.float32, np.float64) or A.ndim != 2:
        return _reference.unit_rows(A, n_threads)
    out = np.empty(A.shape, dtype=np.float64)
    if A.shape[0] == 0 or A.shape[1] == 0:
        return _reference.unit_rows(A, n_threads)
    if A.dtype == np.float64:
        _unit_rows_into[double](A, out, int(n_threads))
    else:
        _unit_rows_into[float](A, out, int(n_threads))
    return out
