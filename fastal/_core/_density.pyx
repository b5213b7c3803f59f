"""Compiled pairwise density: mean of a transformed distance, and mean cosine similarity.

The readable definition is ``fastal._core._reference.pair_sums`` / ``cosine_sums``;
this module computes the same numbers in row blocks (memory O(block^2), never
n x n), with a matrix product doing the work for euclidean and cosine distances.
Every loop checks for pending signals between tiles: a Ctrl-C stops all
threads and raises KeyboardInterrupt, and nothing is returned.
"""
from contextlib import nullcontext

import numpy as np
from cython cimport floating
from cython.parallel cimport prange, threadid
from libc.math cimport fabs, sqrt
from libc.stdlib cimport free

from fastal._core._common cimport (
    EUCLIDEAN, MANHATTAN, COSINE, raw_pair, euclidean_key, key_to_distance, pack_transposed,
    pack_rows, gemm_abt, fastal_block_raw, fastal_density_row, pack_rows_single,
    gemm_abt_single, fastal_density_row_single, fastal_use_avx512, checked_malloc, stop_requested,
    raise_if_stopped, fastal_stop, fastal_stop_init, FASTAL_TINY, single_precision_fits)
from fastal._core._threads import single_threaded_blas
from fastal.utils.validation import METRIC_CODES

cdef Py_ssize_t PRODUCT_TILE = 256   # rows per tile side in the matrix-product path
cdef Py_ssize_t EXACT_TILE = 256     # rows per tile side in the direct path
cdef Py_ssize_t GEMM_MIN_DIM = 16     # below this many features direct sums win
cdef Py_ssize_t COSINE_ROWS = 65536   # rows between signal checks in cosine_sums
# A squared euclidean distance from the norm expansion is recomputed directly
# when it is below RECHECK * (|a|^2 + |b|^2) (cancellation would spoil it).
cdef double RECHECK = 1e-3
# float32 rows (euclidean, matrix products in float32): squared distances below
# RECHECK_SINGLE * (|a|^2 + |b|^2) are recomputed in double, so every other one
# carries a relative error of at most a few 1e-6 (rows within the range of
# single_precision_fits; others take the double path).
cdef float RECHECK_SINGLE = 1.0 / 64.0

TRANSFORMS = {"inverse": 0, "distance": 1}


def use_avx512(bint on):
    """Let euclidean 1 / (1 + d) tiles use the AVX-512 row loop (the default where the
    CPU has AVX-512F), or not; whether it is used now."""
    return bool(fastal_use_avx512(on))


use_avx512(True)


cdef inline double _transform(double dist, int transform, double scale) noexcept nogil:
    """inverse: 1 / (1 + dist / scale) written as scale / (scale + dist); distance: dist."""
    if transform == 0:
        return scale / (scale + dist)
    return dist


def _tiles(Py_ssize_t n, Py_ssize_t m, Py_ssize_t B, bint self_ref):
    """Tile corners (row, column) of the n x m matrix; with self_ref only column >= row."""
    nbi, nbj = (n + B - 1) // B, (m + B - 1) // B
    pairs = [(i, j) for i in range(nbi) for j in range(i if self_ref else 0, nbj)]
    return np.asarray(pairs, dtype=np.int64).reshape(-1, 2) * B


cdef void _tile_sums(const floating[:, :] X, const floating[:, :] R, Py_ssize_t a0,
                     Py_ssize_t na, Py_ssize_t b0, Py_ssize_t nb, bint self_ref,
                     bint use_product, int metric, int transform, double scale,
                     const double* center, double* work, Py_ssize_t B,
                     double* sums, Py_ssize_t* packed) noexcept nogil:
    """Add the tile's terms to ``sums`` (one thread's row sums; with self_ref the
    tile also stands for its mirror, whose terms go to the column rows).

    ``packed`` is the first row of X whose block the thread's workspace holds
    packed (-1: none); tiles come in row-block order, so a thread often keeps it.
    """
    cdef Py_ssize_t d = X.shape[1], r, c, c0, i, hits
    cdef bint diagonal = self_ref and a0 == b0   # only the pairs c > r
    cdef bint mirrored = self_ref                 # each pair's term also goes to its column
    cdef double* PA = work                 # B x d (product) or d x B (direct, R packed)
    cdef double* PB = work + B * d         # B x d
    cdef double* sa = PB + B * d           # B
    cdef double* sb = sa + B               # B
    cdef double* col = sb + B              # B: the mirrored terms of each column
    cdef double* vals = col + B            # B: one row's transformed values
    cdef double* xrow = vals + B           # d
    cdef double* G = xrow + d              # B x B
    cdef double row_sum, exact
    cdef int mode
    if use_product:
        if packed[0] != a0:
            pack_rows(X, a0, na, center, PA, sa)
            packed[0] = a0
        pack_rows(R, b0, nb, center, PB, sb)
        gemm_abt(PA, PB, G, <int>na, <int>nb, <int>d)
        mode = 0 if metric == EUCLIDEAN else 2
    else:
        pack_transposed(R, b0, nb, PA)
        for r in range(na):
            for c in range(d):
                xrow[c] = <double>X[a0 + r, c]
            fastal_block_raw(xrow, PA, d, nb, metric, G + r * nb)
        mode = 1 if metric == EUCLIDEAN else (2 if metric == COSINE else 3)
    if mirrored:
        for c in range(nb):
            col[c] = 0.0
    for r in range(na):
        i = a0 + r
        c0 = r + 1 if diagonal else 0
        row_sum = 0.0
        hits = fastal_density_row(G + r * nb, sa[r], sb, c0, nb, mode, transform, scale,
                                  RECHECK, FASTAL_TINY, vals, col if mirrored else NULL,
                                  &row_sum)
        if hits:
            for c in range(c0, nb):
                if (mode == 0 and G[r * nb + c] < RECHECK * (sa[r] + sb[c])) or (
                        mode == 1 and G[r * nb + c] < FASTAL_TINY):
                    exact = _transform(key_to_distance(euclidean_key(
                        raw_pair(X, i, R, b0 + c, EUCLIDEAN), X, i, R, b0 + c)), transform, scale)
                    row_sum = row_sum + (exact - vals[c])
                    if mirrored:
                        col[c] = col[c] + (exact - vals[c])
        sums[i] += row_sum
    if mirrored:
        for c in range(nb):
            sums[b0 + c] += col[c]


cdef void _tile_sums_single(const float[:, :] X, const float[:, :] R, Py_ssize_t a0,
                            Py_ssize_t na, Py_ssize_t b0, Py_ssize_t nb, bint self_ref,
                            const double* center, float* work, double* dwork, Py_ssize_t B,
                            double* sums, Py_ssize_t* packed) noexcept nogil:
    """_tile_sums for float32 euclidean rows, 1 / (1 + d): products and squared
    distances in float32, small squared distances recomputed in double."""
    cdef Py_ssize_t d = X.shape[1], r, c, c0, i, hits
    cdef bint diagonal = self_ref and a0 == b0
    cdef float* PA = work                  # B x d
    cdef float* PB = work + B * d          # B x d
    cdef float* sa = PB + B * d            # B
    cdef float* sb = sa + B                # B
    cdef float* vals = sb + B              # B
    cdef float* G = vals + B               # B x B
    cdef double* col = dwork               # B
    cdef double row_sum, exact
    if packed[0] != a0:
        pack_rows_single(X, a0, na, center, PA, sa)
        packed[0] = a0
    pack_rows_single(R, b0, nb, center, PB, sb)
    gemm_abt_single(PA, PB, G, <int>na, <int>nb, <int>d)
    if self_ref:
        for c in range(nb):
            col[c] = 0.0
    for r in range(na):
        i = a0 + r
        c0 = r + 1 if diagonal else 0
        row_sum = 0.0
        hits = fastal_density_row_single(G + r * nb, sa[r], sb, c0, nb, RECHECK_SINGLE, vals,
                                         col if self_ref else NULL, &row_sum)
        if hits:
            for c in range(c0, nb):
                if G[r * nb + c] < RECHECK_SINGLE * (sa[r] + sb[c]):
                    exact = 1.0 / (1.0 + key_to_distance(euclidean_key(
                        raw_pair(X, i, R, b0 + c, EUCLIDEAN), X, i, R, b0 + c)))
                    row_sum = row_sum + (exact - <double>vals[c])
                    if self_ref:
                        col[c] = col[c] + (exact - <double>vals[c])
        sums[i] += row_sum
    if self_ref:
        for c in range(nb):
            sums[b0 + c] += col[c]


def _pair_sums_single(const float[:, :] X, const float[:, :] R, bint self_ref,
                      bint include_self, int n_threads):
    """_pair_sums for float32 euclidean rows with transform 1 / (1 + d), scale 1."""
    cdef Py_ssize_t n = X.shape[0], m = R.shape[0], d = X.shape[1]
    cdef Py_ssize_t B = PRODUCT_TILE, tile, ntiles, tid
    cdef Py_ssize_t per_thread = 2 * B * d + 3 * B + B * B
    cdef float* work = NULL
    cdef double* dwork = NULL
    cdef double[::1] mu
    cdef fastal_stop stop
    fastal_stop_init(&stop)
    tiles_arr = _tiles(n, m, B, self_ref)
    cdef long long[:, ::1] tiles = tiles_arr
    ntiles = tiles_arr.shape[0]
    part_arr = np.zeros((n_threads, n), dtype=np.float64)
    cdef double[:, ::1] part = part_arr
    packed_arr = np.full(n_threads, -1, dtype=np.intp)
    cdef Py_ssize_t[::1] packed = packed_arr
    mu = np.ascontiguousarray(np.mean(np.asarray(R), axis=0, dtype=np.float64))
    try:
        work = <float*> checked_malloc(n_threads * per_thread * sizeof(float))
        dwork = <double*> checked_malloc(n_threads * B * sizeof(double))
        with single_threaded_blas():
            with nogil:
                for tile in prange(ntiles, num_threads=n_threads, schedule="dynamic"):
                    if stop_requested(&stop):
                        continue
                    tid = threadid()
                    _tile_sums_single(X, R, tiles[tile, 0], min(B, n - tiles[tile, 0]),
                                      tiles[tile, 1], min(B, m - tiles[tile, 1]), self_ref,
                                      &mu[0], work + tid * per_thread, dwork + tid * B, B,
                                      &part[tid, 0], &packed[tid])
        raise_if_stopped(&stop)
    finally:
        free(work)
        free(dwork)
    sums = part_arr.sum(axis=0)
    if self_ref and include_self:
        sums += 1.0
    return sums


def _single_precision_applies(X, R, int metric, int transform, double scale):
    """Whether float32 rows take the float32 matrix-product path."""
    return (X.dtype == np.float32 and R.dtype == np.float32 and metric == EUCLIDEAN
            and transform == 0 and scale == 1.0 and X.shape[1] >= GEMM_MIN_DIM
            and single_precision_fits(X, R))


def _pair_sums(const floating[:, :] X, const floating[:, :] R, bint self_ref, int metric,
               int transform, double scale, bint include_self, int n_threads):
    """Row sums of t(d(x_i, r_j)); self_ref means R is X and d(x_i, x_i) = 0
    (the j = i term, t(0), is added when include_self)."""
    cdef Py_ssize_t n = X.shape[0], m = R.shape[0], d = X.shape[1]
    cdef bint use_product = metric != MANHATTAN and d >= GEMM_MIN_DIM
    cdef Py_ssize_t B = PRODUCT_TILE if use_product else EXACT_TILE
    cdef Py_ssize_t tile, ntiles, tid
    cdef Py_ssize_t per_thread = 2 * B * d + 4 * B + d + B * B
    cdef double* work = NULL
    cdef double* center = NULL
    cdef double[::1] mu
    cdef fastal_stop stop
    fastal_stop_init(&stop)
    if n == 0 or m == 0:
        return np.zeros(n, dtype=np.float64)
    tiles_arr = _tiles(n, m, B, self_ref)
    cdef long long[:, ::1] tiles = tiles_arr
    ntiles = tiles_arr.shape[0]
    part_arr = np.zeros((n_threads, n), dtype=np.float64)
    cdef double[:, ::1] part = part_arr
    packed_arr = np.full(n_threads, -1, dtype=np.intp)
    cdef Py_ssize_t[::1] packed = packed_arr
    if use_product and metric == EUCLIDEAN:
        # distances do not change under translation; centring on the reference
        # mean keeps the norm expansion well conditioned.
        mu = np.ascontiguousarray(np.mean(np.asarray(R), axis=0, dtype=np.float64))
        center = &mu[0]
    try:
        work = <double*> checked_malloc(n_threads * per_thread * sizeof(double))
        with (single_threaded_blas() if use_product else nullcontext()):
            with nogil:
                for tile in prange(ntiles, num_threads=n_threads, schedule="dynamic"):
                    if stop_requested(&stop):
                        continue
                    tid = threadid()
                    _tile_sums(X, R, tiles[tile, 0], min(B, n - tiles[tile, 0]), tiles[tile, 1],
                               min(B, m - tiles[tile, 1]), self_ref, use_product, metric,
                               transform, scale, center, work + tid * per_thread, B,
                               &part[tid, 0], &packed[tid])
        raise_if_stopped(&stop)
    finally:
        free(work)
    sums = part_arr.sum(axis=0)
    if self_ref and include_self:
        sums += _transform(0.0, transform, scale)
    return sums


def pair_sums(X, R, metric, transform, include_self, n_threads, scale=1.0):
    """Sum over the reference rows of t(d(x_i, r_j)) for every row of X.

    Same contract as ``fastal._core._reference.pair_sums``.
    """
    self_ref = R is None
    R = X if self_ref else R
    metric_code, transform_code = METRIC_CODES[metric], TRANSFORMS[transform]
    if _single_precision_applies(X, R, metric_code, transform_code, float(scale)):
        return _pair_sums_single(X, R, self_ref, bool(include_self), int(n_threads))
    return _pair_sums(X, R, self_ref, metric_code, transform_code, float(scale),
                      bool(include_self), int(n_threads))


cdef inline double _row_peak(const floating[:, :] A, Py_ssize_t i) noexcept nogil:
    """Largest |value| of row i (1 for a zero row, which then stays zero)."""
    cdef Py_ssize_t k
    cdef double m = 0.0, v
    for k in range(A.shape[1]):
        v = fabs(<double>A[i, k])
        if v > m:
            m = v
    return m if m > 0.0 else 1.0


cdef inline double _unit_factor(const floating[:, :] A, Py_ssize_t i, double peak) noexcept nogil:
    """Row i as a unit row is A[i] / peak * factor (unit_rows' two steps); 0 for a zero row."""
    cdef Py_ssize_t k
    cdef double v, s = 0.0
    for k in range(A.shape[1]):
        v = <double>A[i, k] / peak
        s = s + v * v
    return 1.0 / sqrt(s) if s > 0.0 else 0.0


def _cosine_sums(const floating[:, :] X, const floating[:, :] R, bint self_ref,
                 bint include_self, int n_threads):
    """Sums of cosine similarities: x_hat . (sum of the reference unit rows).

    Rows are normalised here as ``fastal.kernels.unit_rows`` does (by their
    largest |value|, then by their norm), one row at a time: no copy of the data.
    """
    cdef Py_ssize_t n = X.shape[0], m = R.shape[0], d = X.shape[1]
    cdef Py_ssize_t i, k, t, per, lo, hi, start, stop_row
    cdef double s, nz, f, peak
    cdef fastal_stop stop
    fastal_stop_init(&stop)
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
                    peak = _row_peak(R, i)
                    f = _unit_factor(R, i, peak)
                    if f > 0.0:
                        for k in range(d):
                            partial[t, k] += <double>R[i, k] / peak * f
            start = stop_row
    raise_if_stopped(&stop)
    total = partial_arr.sum(axis=0)
    with nogil:
        start = 0
        while start < n and not stop_requested(&stop):
            stop_row = min(n, start + COSINE_ROWS)
            for i in prange(start, stop_row, num_threads=n_threads, schedule="static"):
                peak = _row_peak(X, i)
                f = _unit_factor(X, i, peak)
                s = 0.0
                nz = 1.0 if f > 0.0 else 0.0
                if f > 0.0:
                    for k in range(d):
                        s = s + <double>X[i, k] / peak * total[k]
                    s = s * f
                if self_ref and not include_self:
                    s = s - nz
                out[i] = s
            start = stop_row
    raise_if_stopped(&stop)
    return out_arr


def cosine_sums(X, R, include_self, n_threads):
    """Sum of the cosine similarities of every row of X to the reference rows.

    Same contract as ``fastal._core._reference.cosine_sums``.
    """
    self_ref = R is None
    return _cosine_sums(X, X if self_ref else R, self_ref, bool(include_self), int(n_threads))
