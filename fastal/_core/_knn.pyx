"""Compiled exact k-nearest-neighbour search.

Readable definition: ``fastal._core._reference.knn_search``.  Column blocks
are packed feature-major so the distance loop vectorises; every row keeps a
bounded max-heap of its k best (distance, index) pairs, so memory is O(n k).
"""
import numpy as np
from cython cimport floating
from cython.parallel cimport prange, threadid
from libc.math cimport sqrt, INFINITY
from libc.stdlib cimport malloc, free

from fastal._core._common cimport (
    EUCLIDEAN, MANHATTAN, COSINE, finish_distance, row_norm, pack_transposed,
    raw_row_vs_block)

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
    comparison equal distances keep the smaller index."""
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1], B = BLOCK
    cdef Py_ssize_t nb = (n + B - 1) // B
    cdef Py_ssize_t ib_blk, jb_blk, ib, jb, bi, bj, r, c, i, j
    cdef double v
    cdef double* row
    dist_arr = np.full((n, k), INFINITY, dtype=np.float64)
    ind_arr = np.full((n, k), -1, dtype=np.int64)
    cdef double[:, ::1] hd = dist_arr
    cdef long long[:, ::1] hi = ind_arr
    norm_arr = np.zeros(n if metric == COSINE else 1, dtype=np.float64)
    cdef double[::1] xnorm = norm_arr
    cdef double* RT = <double*> malloc(d * B * sizeof(double))
    cdef double* D = <double*> malloc(B * B * sizeof(double))
    cdef double* xrows = <double*> malloc(n_threads * d * sizeof(double))
    if RT == NULL or D == NULL or xrows == NULL:
        free(RT); free(D); free(xrows)
        raise MemoryError()
    try:
        with nogil:
            if metric == COSINE:
                for i in prange(n, num_threads=n_threads, schedule="static"):
                    xnorm[i] = row_norm(X, i)
            for ib_blk in range(nb):
                ib = ib_blk * B
                bi = min(B, n - ib)
                for jb_blk in range(ib_blk, nb):
                    jb = jb_blk * B
                    bj = min(B, n - jb)
                    pack_transposed(X, jb, bj, RT)
                    for r in prange(bi, num_threads=n_threads, schedule="static"):
                        i = ib + r
                        row = D + r * B
                        raw_row_vs_block(X, i, RT, bj, metric, row, xrows + threadid() * d)
                        for c in range(bj):
                            j = jb + c
                            # euclidean rows are ranked by squared distance (monotone)
                            if metric == COSINE:
                                row[c] = finish_distance(row[c], COSINE, xnorm[i], xnorm[j])
                            if j != i and row[c] < hd[i, 0]:
                                _heap_replace_top(&hd[i, 0], &hi[i, 0], k, row[c], j)
                    if jb_blk != ib_blk:
                        for c in prange(bj, num_threads=n_threads, schedule="static"):
                            j = jb + c
                            for r in range(bi):
                                v = D[r * B + c]
                                if v < hd[j, 0]:
                                    _heap_replace_top(&hd[j, 0], &hi[j, 0], k, v, ib + r)
            for i in prange(n, num_threads=n_threads, schedule="static"):
                _sort_row(&hd[i, 0], &hi[i, 0], k)
                if metric == EUCLIDEAN:
                    for c in range(k):
                        hd[i, c] = sqrt(hd[i, c])
    finally:
        free(RT); free(D); free(xrows)
    return ind_arr, dist_arr


def knn_search(X, n_neighbors, metric, n_threads):
    """Exact k nearest neighbours of every row of X among the other rows.

    Same contract as ``fastal._core._reference.knn_search``.
    """
    return _knn(X, int(n_neighbors), METRICS[metric], int(n_threads))
