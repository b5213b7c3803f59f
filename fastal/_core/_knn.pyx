"""Compiled exact k-nearest-neighbour search.

Readable definition: ``fastal._core._reference.knn_search``.  Column blocks
are packed feature-major so the distance loop vectorises; every row keeps a
bounded max-heap of its k best (key, index) pairs, so memory is O(n k).
A pending signal stops every thread between tiles and raises.
"""
import numpy as np
from cython cimport floating
from cython.parallel cimport prange, threadid
from libc.math cimport INFINITY
from libc.stdlib cimport free

from fastal._core._common cimport (
    EUCLIDEAN, MANHATTAN, COSINE, pair_key, key_distance, pack_transposed, raw_row_vs_block,
    checked_malloc, stop_requested, raise_if_stopped)

cdef Py_ssize_t BLOCK = 256

METRICS = {"euclidean": EUCLIDEAN, "manhattan": MANHATTAN, "cosine": COSINE}


cdef inline bint _worse(double da, long long ia, double db, long long ib) noexcept nogil:
    """(da, ia) comes after (db, ib) in (distance, index) order."""
    return da > db or (da == db and ia > ib)


cdef inline void _heap_replace_top(double* hd, long long* hi, Py_ssize_t k,
                                   double v, long long j) noexcept nogil:
    """Replace the worst entry of a max-heap of size k and restore the heap."""
    cdef Py_ssize_t pos = 0, child
    while True:
        child = 2 * pos + 1
        if child >= k:
            break
        if child + 1 < k and _worse(hd[child + 1], hi[child + 1], hd[child], hi[child]):
            child = child + 1
        if _worse(hd[child], hi[child], v, j):
            hd[pos] = hd[child]
            hi[pos] = hi[child]
            pos = child
        else:
            break
    hd[pos] = v
    hi[pos] = j


cdef inline void _sort_row(double* hd, long long* hi, Py_ssize_t k) noexcept nogil:
    """Insertion sort by (distance, index); k is small."""
    cdef Py_ssize_t a, b
    cdef double v
    cdef long long j
    for a in range(1, k):
        v = hd[a]
        j = hi[a]
        b = a - 1
        while b >= 0 and _worse(hd[b], hi[b], v, j):
            hd[b + 1] = hd[b]
            hi[b + 1] = hi[b]
            b = b - 1
        hd[b + 1] = v
        hi[b + 1] = j


def _knn(const floating[:, :] X, Py_ssize_t k, int metric, int n_threads):
    """Tiles (ib, jb >= ib) of the distance matrix; each tile feeds the heaps of
    its rows, then (off the diagonal) the heaps of its columns.  Every heap
    receives its candidates in increasing index order, so with a strict
    comparison equal keys keep the smaller index.  Keys: the euclidean key
    (squared distance, rescued below FASTAL_TINY), the manhattan distance, the
    cosine distance of unit rows."""
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], B = BLOCK
    cdef Py_ssize_t nb = (n + B - 1) // B
    cdef Py_ssize_t ib_blk, jb_blk, ib, jb, bi, bj, r, c, i, j
    cdef double v
    cdef double* row
    cdef double* RT = NULL
    cdef double* D = NULL
    cdef double* xrows = NULL
    cdef int stop = 0
    dist_arr = np.full((n, k), INFINITY, dtype=np.float64)
    ind_arr = np.full((n, k), -1, dtype=np.int64)
    cdef double[:, ::1] hd = dist_arr
    cdef long long[:, ::1] hi = ind_arr
    try:
        RT = <double*> checked_malloc(d * B * sizeof(double))
        D = <double*> checked_malloc(B * B * sizeof(double))
        xrows = <double*> checked_malloc(n_threads * d * sizeof(double))
        with nogil:
            for ib_blk in range(nb):
                ib = ib_blk * B
                bi = min(B, n - ib)
                for jb_blk in range(ib_blk, nb):
                    if stop_requested(&stop):
                        break
                    jb = jb_blk * B
                    bj = min(B, n - jb)
                    pack_transposed(X, jb, bj, RT)
                    for r in prange(bi, num_threads=n_threads, schedule="static"):
                        i = ib + r
                        row = D + r * B
                        raw_row_vs_block(X, i, RT, bj, metric, row, xrows + threadid() * d)
                        for c in range(bj):
                            j = jb + c
                            if j == i:
                                continue
                            row[c] = pair_key(row[c], X, i, X, j, metric)
                            if row[c] < hd[i, 0]:
                                _heap_replace_top(&hd[i, 0], &hi[i, 0], k, row[c], j)
                    if jb_blk != ib_blk:
                        for c in prange(bj, num_threads=n_threads, schedule="static"):
                            j = jb + c
                            for r in range(bi):
                                v = D[r * B + c]
                                if v < hd[j, 0]:
                                    _heap_replace_top(&hd[j, 0], &hi[j, 0], k, v, ib + r)
                if stop:
                    break
            if not stop:
                for i in prange(n, num_threads=n_threads, schedule="static"):
                    _sort_row(&hd[i, 0], &hi[i, 0], k)
                    for c in range(k):
                        hd[i, c] = key_distance(hd[i, c], metric)
        raise_if_stopped(&stop)
    finally:
        free(RT); free(D); free(xrows)
    return ind_arr, dist_arr


def knn_search(X, n_neighbors, metric, n_threads):
    """Exact k nearest neighbours of every row of X among the other rows.

    Same contract as ``fastal._core._reference.knn_search``.
    """
    return _knn(X, int(n_neighbors), METRICS[metric], int(n_threads))
