"""Compiled whole-array scans at the kernels' boundary: the range of the values.

Readable definitions: ``value_range`` and ``sparse_value_range`` of
``fastal._core._reference``.  The array is read once, in chunks spread over
OpenMP threads (each chunk in vectorised lanes); a pending signal stops every
thread between chunks.
"""
import numpy as np
from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport INFINITY

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
