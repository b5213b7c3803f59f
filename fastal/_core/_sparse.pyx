"""Compiled kernels on sparse rows (CSR): density sums, k-NN, minimum distances.

Readable definitions: the ``sparse_*`` functions of ``fastal._core._reference``.
Memory is O(nnz + threads x rows): nothing is made dense.  Dot products of a
row with every reference row come from the reference's columns (CSC): the
row's non-zeros are visited in column order and each adds its products to a
dense accumulator, so every accumulated dot is the sequential sum over the
shared columns -- bitwise the twin's.  Cosine keys follow from those dots
directly; euclidean distances use the norm expansion to find candidates and
recompute them exactly (csr_raw_pair) where it matters; manhattan sums are
always exact merges of the two rows' columns.  Rows are spread over OpenMP
threads (each owns its accumulator and its rows' heaps) and a pending signal
stops every thread between chunks of rows.
"""
import numpy as np
from cython.parallel cimport prange, threadid
from libc.math cimport sqrt, fabs, INFINITY
from libc.stdlib cimport free

from fastal._core._common cimport (
    EUCLIDEAN, MANHATTAN, COSINE, FASTAL_TINY, key_to_distance, cosine_from_dot, checked_malloc,
    stop_requested, raise_if_stopped, fastal_stop, fastal_stop_init)
from fastal._core._csr cimport CSR, csr_from, csr_raw_pair, csr_key, csr_square_norm
from fastal._core._heap cimport kbest_push, kbest_sort
from fastal.utils.validation import METRIC_CODES

cdef Py_ssize_t CHUNK = 64          # rows per unit of work (and between signal checks)
cdef double RECHECK = 1e-3          # density: recompute squared distances below this share
cdef double SELECT_RECHECK = 1e-9   # selection: candidates this close to the best are exact
TRANSFORMS = {"inverse": 0, "distance": 1}


class _Arrays:
    """Keeps the index and value arrays a CSR struct points into alive."""

    def __init__(self, matrix):
        self.indptr = np.ascontiguousarray(matrix.indptr, dtype=np.int64)
        self.indices = np.ascontiguousarray(matrix.indices, dtype=np.int32)
        self.data = np.ascontiguousarray(matrix.data, dtype=np.float64)
        self.n_rows = matrix.shape[0]


cdef CSR _view(arrays):
    return csr_from(arrays.indptr, arrays.indices, arrays.data, arrays.n_rows)


cdef inline void _dots(const CSR* A, Py_ssize_t i, const CSR* cols, double* acc) noexcept nogil:
    """acc[j] += A[i] . row j of the reference, whose columns are ``cols`` (CSC as CSR)."""
    cdef long long p, q
    cdef int k
    cdef double v
    for p in range(A.indptr[i], A.indptr[i + 1]):
        k = A.indices[p]
        v = A.data[p]
        for q in range(cols.indptr[k], cols.indptr[k + 1]):
            acc[cols.indices[q]] += v * cols.data[q]


cdef inline double _transform(double dist, int transform, double scale) noexcept nogil:
    if transform == 0:
        return scale / (scale + dist)
    return dist


def _columns(matrix, n_features):
    """The reference's columns as CSR arrays of its transpose (rows listed in order)."""
    csc = matrix.tocsc()
    csc.sort_indices()
    t = _Arrays(csc)
    t.n_rows = n_features
    return t


def sparse_pair_sums(X, R, metric, transform, include_self, n_threads, scale=1.0):
    """Sum over the reference rows of t(d(x_i, r_j)); same contract as the twin's."""
    self_ref = R is None
    ref = X if self_ref else R
    return _pair_sums(_Arrays(X), _Arrays(ref), _columns(ref, X.shape[1]), self_ref,
                      METRIC_CODES[metric], TRANSFORMS[transform], float(scale),
                      bool(include_self), int(n_threads))


def _pair_sums(xa, ra, ca, bint self_ref, int metric, int transform, double scale,
               bint include_self, int n_threads):
    cdef CSR A = _view(xa)
    cdef CSR B = _view(ra)
    cdef CSR C = _view(ca)
    cdef Py_ssize_t n = A.n_rows, m = B.n_rows, chunk, start, stop, i, j, tid
    cdef double* work = NULL
    cdef double* acc
    cdef double* bn
    cdef double an, d2, v, total
    cdef fastal_stop stop_state
    fastal_stop_init(&stop_state)
    sums_arr = np.zeros(n, dtype=np.float64)
    norms_arr = np.zeros(m, dtype=np.float64)
    cdef double[::1] sums = sums_arr
    cdef double[::1] norms = norms_arr
    for j in range(m):
        norms[j] = csr_square_norm(&B, j)
    bn = &norms[0] if m else NULL
    try:
        work = <double*> checked_malloc(n_threads * (m + 1) * sizeof(double))
        with nogil:
            for chunk in prange((n + CHUNK - 1) // CHUNK, num_threads=n_threads,
                                schedule="dynamic"):
                if stop_requested(&stop_state):
                    continue
                tid = threadid()
                acc = work + tid * (m + 1)
                start = chunk * CHUNK
                stop = min(n, start + CHUNK)
                for i in range(start, stop):
                    total = 0.0
                    if metric == MANHATTAN:
                        for j in range(m):
                            if not (self_ref and j == i):
                                total = total + _transform(csr_raw_pair(&A, i, &B, j, MANHATTAN),
                                                           transform, scale)
                    else:
                        for j in range(m):
                            acc[j] = 0.0
                        _dots(&A, i, &C, acc)
                        an = csr_square_norm(&A, i)
                        for j in range(m):
                            if self_ref and j == i:
                                continue
                            if metric == COSINE:
                                v = cosine_from_dot(acc[j])
                            else:
                                d2 = an + bn[j] - 2.0 * acc[j]
                                if d2 < RECHECK * (an + bn[j]) or d2 < FASTAL_TINY:
                                    v = key_to_distance(csr_key(
                                        csr_raw_pair(&A, i, &B, j, EUCLIDEAN), &A, i, &B, j,
                                        EUCLIDEAN))
                                else:
                                    v = sqrt(d2)
                            total = total + _transform(v, transform, scale)
                    sums[i] = total
        raise_if_stopped(&stop_state)
    finally:
        free(work)
    if self_ref and include_self:
        sums_arr += _transform(0.0, transform, scale)
    return sums_arr


def sparse_cosine_sums(X, R, include_self, n_threads):
    """Sum of cosine similarities, rows made unit rows on the fly; same contract as the twin's."""
    self_ref = R is None
    ref = X if self_ref else R
    return _cosine_sums(_Arrays(X), _Arrays(ref), X.shape[1], self_ref, bool(include_self),
                        int(n_threads))


cdef inline double _peak(const CSR* A, Py_ssize_t i) noexcept nogil:
    cdef long long p
    cdef double m = 0.0
    for p in range(A.indptr[i], A.indptr[i + 1]):
        if fabs(A.data[p]) > m:
            m = fabs(A.data[p])
    return m if m > 0.0 else 1.0


cdef inline double _unit_factor(const CSR* A, Py_ssize_t i, double peak) noexcept nogil:
    cdef long long p
    cdef double v, s = 0.0
    for p in range(A.indptr[i], A.indptr[i + 1]):
        v = A.data[p] / peak
        s = s + v * v
    return 1.0 / sqrt(s) if s > 0.0 else 0.0


def _cosine_sums(xa, ra, Py_ssize_t d, bint self_ref, bint include_self, int n_threads):
    cdef CSR A = _view(xa)
    cdef CSR B = _view(ra)
    cdef Py_ssize_t n = A.n_rows, m = B.n_rows, i, t, per, lo, hi
    cdef long long p
    cdef double peak, f, s
    partial_arr = np.zeros((n_threads, d), dtype=np.float64)
    cdef double[:, ::1] partial = partial_arr
    out_arr = np.zeros(n, dtype=np.float64)
    cdef double[::1] out = out_arr
    cdef double[::1] total
    per = (m + n_threads - 1) // n_threads
    with nogil:
        for t in prange(n_threads, num_threads=n_threads, schedule="static"):
            lo = t * per
            hi = min(lo + per, m)
            for i in range(lo, hi):
                peak = _peak(&B, i)
                f = _unit_factor(&B, i, peak)
                for p in range(B.indptr[i], B.indptr[i + 1]):
                    partial[t, B.indices[p]] += B.data[p] / peak * f
    total = partial_arr.sum(axis=0)
    with nogil:
        for i in prange(n, num_threads=n_threads, schedule="static"):
            peak = _peak(&A, i)
            f = _unit_factor(&A, i, peak)
            s = 0.0
            for p in range(A.indptr[i], A.indptr[i + 1]):
                s = s + A.data[p] / peak * total[A.indices[p]]
            s = s * f
            if self_ref and not include_self and f > 0.0:
                s = s - 1.0
            out[i] = s
    return out_arr


def sparse_knn_search(X, n_neighbors, metric, n_threads):
    """Exact k nearest other rows of every CSR row; same contract as the twin's."""
    return _knn(_Arrays(X), _columns(X, X.shape[1]), int(n_neighbors), METRIC_CODES[metric],
                int(n_threads))


def sparse_min_distance(X, Y, metric, n_threads):
    """Distance from every CSR row of X to its nearest row of Y; same contract as the twin's."""
    ind, dist = _nearest(_Arrays(X), _Arrays(Y), _columns(Y, X.shape[1]), 1, False,
                         METRIC_CODES[metric], int(n_threads))
    return dist[:, 0].copy()


def _knn(xa, ca, Py_ssize_t k, int metric, int n_threads):
    return _nearest(xa, xa, ca, k, True, metric, n_threads)


def _nearest(xa, ra, ca, Py_ssize_t k, bint self_ref, int metric, int n_threads):
    """The k best (key, index) pairs of every row of X among the rows of R."""
    cdef CSR A = _view(xa)
    cdef CSR B = _view(ra)
    cdef CSR C = _view(ca)
    cdef Py_ssize_t n = A.n_rows, m = B.n_rows, chunk, start, stop, i, j, c, tid
    cdef double* work = NULL
    cdef double* acc
    cdef double an, approx, thr, key, bmax = 0.0
    cdef fastal_stop stop_state
    fastal_stop_init(&stop_state)
    dist_arr = np.full((n, k), INFINITY, dtype=np.float64)
    ind_arr = np.full((n, k), -1, dtype=np.int64)
    norms_arr = np.zeros(m, dtype=np.float64)
    cdef double[:, ::1] hd = dist_arr
    cdef long long[:, ::1] hi = ind_arr
    cdef double[::1] bn = norms_arr
    for j in range(m):
        bn[j] = csr_square_norm(&B, j)
        if bn[j] > bmax:
            bmax = bn[j]
    try:
        work = <double*> checked_malloc(n_threads * (m + 1) * sizeof(double))
        with nogil:
            for chunk in prange((n + CHUNK - 1) // CHUNK, num_threads=n_threads,
                                schedule="dynamic"):
                if stop_requested(&stop_state):
                    continue
                tid = threadid()
                acc = work + tid * (m + 1)
                start = chunk * CHUNK
                stop = min(n, start + CHUNK)
                for i in range(start, stop):
                    if metric == MANHATTAN:
                        for j in range(m):
                            if not (self_ref and j == i):
                                kbest_push(&hd[i, 0], &hi[i, 0], k,
                                           csr_raw_pair(&A, i, &B, j, MANHATTAN), j)
                        continue
                    for j in range(m):
                        acc[j] = 0.0
                    _dots(&A, i, &C, acc)
                    if metric == COSINE:
                        for j in range(m):
                            if not (self_ref and j == i):
                                kbest_push(&hd[i, 0], &hi[i, 0], k, cosine_from_dot(acc[j]), j)
                        continue
                    # euclidean: exact keys for the candidates near the heap's worst
                    an = csr_square_norm(&A, i)
                    if k == 1:      # the nearest row: the best approximation bounds it first
                        thr = INFINITY
                        for j in range(m):
                            if not (self_ref and j == i):
                                approx = an + bn[j] - 2.0 * acc[j]
                                if approx < thr:
                                    thr = approx
                        thr = (thr if thr > 0.0 else 0.0) + SELECT_RECHECK * (an + bmax) + 1e-300
                        for j in range(m):
                            if not (self_ref and j == i) and an + bn[j] - 2.0 * acc[j] <= thr:
                                key = csr_key(csr_raw_pair(&A, i, &B, j, EUCLIDEAN), &A, i,
                                              &B, j, EUCLIDEAN)
                                kbest_push(&hd[i, 0], &hi[i, 0], k, key, j)
                        continue
                    for j in range(m):
                        if self_ref and j == i:
                            continue
                        approx = an + bn[j] - 2.0 * acc[j]
                        thr = hd[i, 0] if hd[i, 0] > 0.0 else 0.0
                        if approx > thr + SELECT_RECHECK * (an + bmax) + 1e-300:
                            continue
                        key = csr_key(csr_raw_pair(&A, i, &B, j, EUCLIDEAN), &A, i, &B, j,
                                      EUCLIDEAN)
                        kbest_push(&hd[i, 0], &hi[i, 0], k, key, j)
            if not stop_state.flag:
                for i in prange(n, num_threads=n_threads, schedule="static"):
                    kbest_sort(&hd[i, 0], &hi[i, 0], k)
                    if metric == EUCLIDEAN:
                        for c in range(k):
                            hd[i, c] = key_to_distance(hd[i, c])
        raise_if_stopped(&stop_state)
    finally:
        free(work)
    return ind_arr, dist_arr
