"""Compiled pairwise density: mean of a transformed distance, and mean cosine similarity.

The readable definition is ``fastal._core._reference.pair_mean`` / ``cosine_mean``;
this module computes the same numbers in row blocks (memory O(block^2), never
n x n), with a matrix product doing the work for euclidean and cosine distances.
Every loop checks for pending signals between tiles: a Ctrl-C stops all
threads and raises KeyboardInterrupt, and nothing is returned.
"""
import numpy as np
from cython cimport floating
from cython.parallel cimport prange, threadid
from libc.math cimport sqrt
from libc.stdlib cimport free

from fastal._core._common cimport (
    EUCLIDEAN, MANHATTAN, COSINE, raw_pair, euclidean_key, key_to_distance, cosine_from_dot,
    pack_transposed, raw_row_vs_block, pack_rows, gemm_abt, checked_malloc, stop_requested,
    raise_if_stopped, FASTAL_TINY)
from fastal._core._threads import single_threaded_blas

cdef Py_ssize_t GEMM_BLOCK = 1024     # rows per tile side in the matrix-product path
cdef Py_ssize_t DIRECT_BLOCK = 256    # columns per block in the direct path
cdef Py_ssize_t GEMM_MIN_DIM = 16     # below this many features direct loops win
cdef Py_ssize_t COSINE_ROWS = 65536   # rows between signal checks in cosine_mean
# A squared euclidean distance from the norm expansion is recomputed directly
# when it is below RECHECK * (|a|^2 + |b|^2) (cancellation would spoil it).
cdef double RECHECK = 1e-3

METRICS = {"euclidean": EUCLIDEAN, "manhattan": MANHATTAN, "cosine": COSINE}
TRANSFORMS = {"inverse": 0, "distance": 1}


cdef inline double _transform(double dist, int transform, double scale) noexcept nogil:
    """inverse: 1 / (1 + dist / scale) written as scale / (scale + dist); distance: dist."""
    if transform == 0:
        return scale / (scale + dist)
    return dist


def _pair_sums(const floating[:, :] X, const floating[:, :] R, bint self_ref, int metric,
               int transform, double scale, bint include_self, int n_threads):
    """Row sums of t(d(x_i, r_j)); self_ref means R is X and d(x_i, x_i) = 0."""
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1]
    acc = np.zeros(n, dtype=np.float64)
    cdef double[::1] acc_v = acc
    if n == 0 or R.shape[0] == 0:
        return acc
    if metric != MANHATTAN and d >= GEMM_MIN_DIM:
        with single_threaded_blas():
            _sums_gemm(X, R, self_ref, metric, transform, scale, include_self, n_threads, acc_v)
    else:
        _sums_direct(X, R, self_ref, metric, transform, scale, include_self, n_threads, acc_v)
    return acc


cdef int _sums_direct(const floating[:, :] X, const floating[:, :] R, bint self_ref,
                      int metric, int transform, double scale, bint include_self,
                      int n_threads, double[::1] acc) except -1:
    """Tiles of direct distances; with self_ref only tiles jb >= ib, each
    off-diagonal tile adding to the sums of its rows and of its columns."""
    cdef Py_ssize_t n = X.shape[0], m = R.shape[0], d = X.shape[1], B = DIRECT_BLOCK
    cdef Py_ssize_t nbi = (n + B - 1) // B, nbj = (m + B - 1) // B
    cdef Py_ssize_t ib_blk, jb_blk, ib, jb, bi, bj, r, c, i
    cdef double s, v, self_value = _transform(0.0, transform, scale) if include_self else 0.0
    cdef double* row
    cdef double* RT = NULL
    cdef double* D = NULL
    cdef double* xrows = NULL
    cdef int stop = 0
    try:
        RT = <double*> checked_malloc(d * B * sizeof(double))
        D = <double*> checked_malloc(B * B * sizeof(double))
        xrows = <double*> checked_malloc(n_threads * d * sizeof(double))
        with nogil:
            for ib_blk in range(nbi):
                ib = ib_blk * B
                bi = min(B, n - ib)
                for jb_blk in range(ib_blk if self_ref else 0, nbj):
                    if stop_requested(&stop):
                        break
                    jb = jb_blk * B
                    bj = min(B, m - jb)
                    pack_transposed(R, jb, bj, RT)
                    for r in prange(bi, num_threads=n_threads, schedule="static"):
                        i = ib + r
                        row = D + r * B
                        raw_row_vs_block(X, i, RT, bj, metric, row, xrows + threadid() * d)
                        if metric == EUCLIDEAN:
                            for c in range(bj):
                                if row[c] < FASTAL_TINY:
                                    row[c] = key_to_distance(euclidean_key(row[c], X, i, R, jb + c))
                                else:
                                    row[c] = sqrt(row[c])
                        elif metric == COSINE:
                            for c in range(bj):
                                row[c] = cosine_from_dot(row[c])
                        s = 0.0
                        for c in range(bj):
                            v = _transform(row[c], transform, scale)
                            if self_ref and jb + c == i:
                                v = self_value
                            row[c] = v
                            s = s + v
                        acc[i] += s
                    if self_ref and jb_blk != ib_blk:
                        for c in prange(bj, num_threads=n_threads, schedule="static"):
                            s = 0.0
                            for r in range(bi):
                                s = s + D[r * B + c]
                            acc[jb + c] += s
                if stop:
                    break
        raise_if_stopped(&stop)
    finally:
        free(RT); free(D); free(xrows)
    return 0


cdef int _sums_gemm(const floating[:, :] X, const floating[:, :] R, bint self_ref,
                    int metric, int transform, double scale, bint include_self, int n_threads,
                    double[::1] acc) except -1:
    """Tiles of the matrix product, spread over OpenMP threads (BLAS runs one
    thread per tile; the caller limits BLAS threads).  With self_ref only
    tiles jb >= ib are computed and each off-diagonal tile adds to the sums of
    its rows and of its columns.  Cosine rows are unit rows (dot = cosine)."""
    cdef Py_ssize_t n = X.shape[0], m = R.shape[0], d = X.shape[1]
    cdef Py_ssize_t B = GEMM_BLOCK
    cdef Py_ssize_t nbi = (n + B - 1) // B, nbj = (m + B - 1) // B
    cdef Py_ssize_t tile, ntiles, ib, jb, bi, bj, r, c, gi, gj, tid
    cdef double s, v, d2, self_value = _transform(0.0, transform, scale) if include_self else 0.0
    cdef double* PA
    cdef double* PB
    cdef double* na
    cdef double* nb
    cdef double* G
    cdef double* mine
    cdef double* center = NULL
    cdef double* work = NULL
    cdef double[::1] mu
    cdef int stop = 0
    if self_ref:
        pairs = [(i, j) for i in range(nbi) for j in range(i, nbj)]
    else:
        pairs = [(i, j) for i in range(nbi) for j in range(nbj)]
    tiles_arr = np.asarray(pairs, dtype=np.int64).reshape(-1, 2) * B
    cdef long long[:, ::1] tiles = tiles_arr
    ntiles = tiles_arr.shape[0]
    part_arr = np.zeros((n_threads, n), dtype=np.float64)
    cdef double[:, ::1] part = part_arr
    cdef Py_ssize_t per_thread = 2 * B * d + 2 * B + B * B
    if metric == EUCLIDEAN:
        # distances do not change under translation; centring on the reference
        # mean keeps the norm expansion well conditioned.
        mu = np.ascontiguousarray(np.mean(np.asarray(R), axis=0, dtype=np.float64))
        center = &mu[0]
    try:
        work = <double*> checked_malloc(n_threads * per_thread * sizeof(double))
        with nogil:
            for tile in prange(ntiles, num_threads=n_threads, schedule="static"):
                if stop_requested(&stop):
                    continue
                tid = threadid()
                PA = work + tid * per_thread
                PB = PA + B * d
                na = PB + B * d
                nb = na + B
                G = nb + B
                mine = &part[tid, 0]
                ib = tiles[tile, 0]
                jb = tiles[tile, 1]
                bi = min(B, n - ib)
                bj = min(B, m - jb)
                pack_rows(X, ib, bi, center, PA, na)
                pack_rows(R, jb, bj, center, PB, nb)
                gemm_abt(PA, PB, G, <int>bi, <int>bj, <int>d)
                for r in range(bi):
                    gi = ib + r
                    s = 0.0
                    for c in range(bj):
                        gj = jb + c
                        if self_ref and gi == gj:
                            v = self_value
                        elif metric == EUCLIDEAN:
                            # norm expansion on centred rows; cancellation makes
                            # small values unreliable, so those are recomputed
                            d2 = na[r] + nb[c] - 2.0 * G[r * bj + c]
                            if d2 < RECHECK * (na[r] + nb[c]):
                                v = key_to_distance(euclidean_key(
                                    raw_pair(X, gi, R, gj, EUCLIDEAN), X, gi, R, gj))
                            else:
                                v = sqrt(d2)
                            v = _transform(v, transform, scale)
                        else:
                            v = _transform(cosine_from_dot(G[r * bj + c]), transform, scale)
                        G[r * bj + c] = v
                        s = s + v
                    mine[gi] += s
                if self_ref and jb != ib:
                    # the tile also holds the terms of the mirrored pairs
                    for r in range(bi):
                        for c in range(bj):
                            mine[jb + c] += G[r * bj + c]
        raise_if_stopped(&stop)
    finally:
        free(work)
    acc_np = np.asarray(acc)
    acc_np += part_arr.sum(axis=0)
    return 0


def pair_mean(X, R, metric, transform, include_self, n_threads, scale=1.0):
    """Mean over the reference rows of t(d(x_i, r_j)) for every row of X.

    Same contract as ``fastal._core._reference.pair_mean``.
    """
    self_ref = R is None
    ref = X if self_ref else R
    sums = _pair_sums(X, ref, self_ref, METRICS[metric], TRANSFORMS[transform], float(scale),
                      bool(include_self), int(n_threads))
    count = ref.shape[0] - (1 if (self_ref and not include_self) else 0)
    if count <= 0:
        return np.ones(X.shape[0], dtype=np.float64)
    return sums / count


def _cosine_sums(const floating[:, :] X, const floating[:, :] R, bint self_ref,
                 bint include_self, int n_threads):
    """Sums of cosine similarities of unit rows: x . (sum of the reference rows)."""
    cdef Py_ssize_t n = X.shape[0], m = R.shape[0], d = X.shape[1]
    cdef Py_ssize_t i, k, t, per, lo, hi, start, stop_row
    cdef double s, nz
    cdef int stop = 0
    partial_arr = np.zeros((n_threads, d), dtype=np.float64)
    cdef double[:, ::1] partial = partial_arr
    out_arr = np.zeros(n, dtype=np.float64)
    cdef double[::1] out = out_arr
    cdef double[::1] total
    with nogil:
        start = 0
        while start < m and not stop_requested(&stop):
            stop_row = min(m, start + COSINE_ROWS)
            per = (stop_row - start + n_threads - 1) // n_threads
            for t in prange(n_threads, num_threads=n_threads, schedule="static"):
                lo = start + t * per
                hi = min(lo + per, stop_row)
                for i in range(lo, hi):
                    for k in range(d):
                        partial[t, k] += <double>R[i, k]
            start = stop_row
    raise_if_stopped(&stop)
    total = partial_arr.sum(axis=0)
    with nogil:
        start = 0
        while start < n and not stop_requested(&stop):
            stop_row = min(n, start + COSINE_ROWS)
            for i in prange(start, stop_row, num_threads=n_threads, schedule="static"):
                s = 0.0
                nz = 0.0
                for k in range(d):
                    s = s + <double>X[i, k] * total[k]
                    if X[i, k] != 0:
                        nz = 1.0
                if self_ref and not include_self:
                    s = s - nz
                out[i] = s
            start = stop_row
    raise_if_stopped(&stop)
    return out_arr


def cosine_mean(X, R, include_self, n_threads):
    """Mean cosine similarity of every unit row of X to the reference unit rows.

    Same contract as ``fastal._core._reference.cosine_mean``.
    """
    self_ref = R is None
    ref = X if self_ref else R
    sums = _cosine_sums(X, ref, self_ref, bool(include_self), int(n_threads))
    count = ref.shape[0] - (1 if (self_ref and not include_self) else 0)
    if count <= 0:
        return np.ones(X.shape[0], dtype=np.float64)
    return sums / count
