"""Compiled minimum distances and greedy max-min (k-center / ranked batch) selection.

Readable definitions: ``fastal._core._reference.min_distance`` and
``max_min_greedy``.  The greedy selection here is lazy: minimum distances only
shrink as rows are picked, so a stored score bounds the current one (plus a
known drift of the ranked-batch weight alpha, see _ranked_greedy).  Rows are
refreshed only when they come near the top of a max-heap; the picks are the
same as the eager definition, which rescans the whole pool at every pick.
Threads build the heaps over every row by parts, and refresh a top far behind
together with the next rows of its heap; the picks do not depend on their
number.
Every loop checks for pending signals: a Ctrl-C raises KeyboardInterrupt.
"""
import numpy as np
from cython cimport floating
from cython.parallel cimport prange, threadid
from libc.math cimport INFINITY, fabs, nextafterf
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy

from fastal._core._common cimport (
    EUCLIDEAN, COSINE, FASTAL_TINY, SINGLE_EXPONENT, raw_pair, pair_key, key_distance,
    pack_transposed, pack_rows, gemm_abt, fastal_block_raw, fastal_block_raw_ld, fastal_min_row,
    pack_rows_single, gemm_abt_single, fastal_min_row_single, fastal_candidates,
    fastal_candidates_single,
    checked_malloc, fastal_alloc_large, stop_requested,
    raise_if_stopped, fastal_stop, fastal_stop_init, fastal_flag_get, fastal_flag_set)
from fastal._core._csr cimport CSR, csr_from, csr_distance
from fastal._core._heap cimport top_sift_down, top_sift_up, top_pop
from fastal._core import _reference
from fastal._core._scan import value_range
from fastal._core._threads import single_threaded_blas
from fastal.utils.validation import METRIC_CODES

# Tiles of the minimum distances' matrix products: GEMM_ROWS rows of X (the
# unit of work of a thread) against GEMM_COLS rows of Y, so that a thread's
# float32 product tile (1 MB) stays near its core while it is written, scanned
# for the row minima and scanned again for the candidates.
cdef Py_ssize_t GEMM_ROWS = 256
cdef Py_ssize_t GEMM_COLS = 1024
# candidates of a float32 tile gathered (beyond one row's) before they are recomputed
cdef Py_ssize_t RECHECK_PAIRS = 256
cdef Py_ssize_t DIRECT_BLOCK = 256
cdef Py_ssize_t GEMM_MIN_DIM = 16
# Entries of the norm expansion within RECHECK * (|a|^2 + max|b|^2) of the
# best candidate are recomputed directly; the expansion's own error is many
# orders of magnitude smaller, so the exact minimum is always among them.
cdef double RECHECK = 1e-9
cdef Py_ssize_t SIGNAL_ROWS = 512    # rows of Y between signal checks in the direct loop
cdef Py_ssize_t SIGNAL_WORK = 1 << 22  # distance evaluations x features between signal checks
cdef Py_ssize_t SLOPE_BINS = 128        # heaps of the ranked-batch greedy, by score slope (2**k)
cdef Py_ssize_t HOT_ROWS = 32          # rows the ranked-batch greedy keeps exact at every step
# rows per thread at least when the greedy's setup (the heaps over every row) is
# spread over threads
cdef Py_ssize_t SETUP_ROWS = 1 << 14
# a greedy's top row behind by this many picks or more is refreshed together
# with the next rows of its heap, REFRESH_ROWS per thread, on all threads
cdef Py_ssize_t STALE_PICKS = 64
cdef Py_ssize_t REFRESH_ROWS = 4
cdef Py_ssize_t REFRESH_CHUNK = 2048   # picks a refresh compares at once (scratch per thread)
# A float32-product tile whose rows so far (SINGLE_GIVE_UP at least) have more
# candidates to recompute than 1 / SINGLE_GIVE_UP of their pairs is done again
# with double products, and so is the rest of the call (a recomputation costs
# about as much as 16 pairs of a double matrix product).
cdef Py_ssize_t SINGLE_GIVE_UP = 16
cdef double SINGLE_LIMIT = 2.0 ** SINGLE_EXPONENT   # largest |centred value| in float32
cdef double SQUARE_SLACK = 2.0 ** -48  # relative margin of a squared-distance cut-off



cdef inline double _product_space(double key, int metric) noexcept nogil:
    """A row's best key so far (euclidean key, or cosine distance of unit rows)
    as the squared euclidean distance the products approximate (at least 0: a
    negative euclidean key is a rescued tiny distance)."""
    if not key > 0.0:
        return 0.0
    return 2.0 * key if metric == COSINE else key


cdef inline double _unit_slack(Py_ssize_t d, int metric) noexcept nogil:
    """How far the squared euclidean distance of two canonical unit rows may
    be from twice the cosine distance the twin computes for them: their
    squared norms differ from 1, and the twin's dot product and 1 - dot from
    the exact ones, by a few d units of 2**-53 (0 for euclidean rows)."""
    return 16.0 * (d + 2) * 2.0 ** -53 if metric == COSINE else 0.0


cdef inline void _lower_to_key(const floating[:, :] X, const floating[:, :] Y, Py_ssize_t i,
                               Py_ssize_t j, double raw, double[::1] best,
                               int metric) noexcept nogil:
    cdef double exact = pair_key(raw, X, i, Y, j, metric)
    if exact < best[i]:
        best[i] = exact


cdef inline void _recheck(const floating[:, :] X, const floating[:, :] Y, Py_ssize_t gi,
                          Py_ssize_t jb, const Py_ssize_t* found, Py_ssize_t n_found,
                          double[::1] best, int metric) noexcept nogil:
    """best[gi] lowered to the exact key (euclidean or cosine) of each candidate
    row jb + found[f] of Y."""
    cdef Py_ssize_t f
    for f in range(n_found):
        _lower_to_key(X, Y, gi, jb + found[f],
                      raw_pair(X, gi, Y, jb + found[f], metric), best, metric)


cdef void _recheck_pairs(const floating[:, :] X, const floating[:, :] Y, const Py_ssize_t* rows,
                         const Py_ssize_t* cols, Py_ssize_t count, double[::1] best,
                         int metric) noexcept nogil:
    """best[rows[p]] lowered to the exact key (euclidean or cosine) of each pair
    (rows[p], cols[p]) of X and Y.  Four pairs at a time, each summed over the
    features in order as raw_pair sums one pair (the same values), in four
    independent chains."""
    cdef Py_ssize_t p = 0, k, d = X.shape[1], i0, i1, i2, i3, j0, j1, j2, j3
    cdef double s0, s1, s2, s3, t0, t1, t2, t3
    while p + 4 <= count:
        i0, i1, i2, i3 = rows[p], rows[p + 1], rows[p + 2], rows[p + 3]
        j0, j1, j2, j3 = cols[p], cols[p + 1], cols[p + 2], cols[p + 3]
        s0 = s1 = s2 = s3 = 0.0
        if metric == COSINE:
            for k in range(d):
                s0 = s0 + <double>X[i0, k] * <double>Y[j0, k]
                s1 = s1 + <double>X[i1, k] * <double>Y[j1, k]
                s2 = s2 + <double>X[i2, k] * <double>Y[j2, k]
                s3 = s3 + <double>X[i3, k] * <double>Y[j3, k]
        else:
            for k in range(d):
                t0 = <double>X[i0, k] - <double>Y[j0, k]
                t1 = <double>X[i1, k] - <double>Y[j1, k]
                t2 = <double>X[i2, k] - <double>Y[j2, k]
                t3 = <double>X[i3, k] - <double>Y[j3, k]
                s0 = s0 + t0 * t0
                s1 = s1 + t1 * t1
                s2 = s2 + t2 * t2
                s3 = s3 + t3 * t3
        _lower_to_key(X, Y, i0, j0, s0, best, metric)
        _lower_to_key(X, Y, i1, j1, s1, best, metric)
        _lower_to_key(X, Y, i2, j2, s2, best, metric)
        _lower_to_key(X, Y, i3, j3, s3, best, metric)
        p = p + 4
    while p < count:
        _lower_to_key(X, Y, rows[p], cols[p], raw_pair(X, rows[p], Y, cols[p], metric), best,
                      metric)
        p = p + 1


cdef void _min_block(const floating[:, :] X, const floating[:, :] Y, Py_ssize_t ib,
                     Py_ssize_t bi, const double* mu, double* work, double[::1] best,
                     int metric, fastal_stop* stop) noexcept nogil:
    """Keys of rows ib .. ib + bi - 1 of X to their nearest rows of Y, in double.

    best holds upper bounds of the keys (INFINITY, or exact keys already
    found) and receives the keys.  Candidates within RECHECK * (|a|^2 +
    max |b|^2) of a row's best are recomputed directly.
    """
    cdef Py_ssize_t m = Y.shape[0], d = X.shape[1], BX = GEMM_ROWS, BY = GEMM_COLS
    cdef Py_ssize_t jb_blk, jb, bj, r, c, gi
    cdef double amin, thr, sbmax, margin
    cdef double* PA = work
    cdef double* PB = PA + BX * d
    cdef double* sa = PB + BY * d
    cdef double* sb = sa + BX
    cdef double* G = sb + BY
    cdef Py_ssize_t* found = <Py_ssize_t*> (G + BX * BY)
    cdef Py_ssize_t n_found
    pack_rows(X, ib, bi, mu, PA, sa)
    for jb_blk in range((m + BY - 1) // BY):
        jb = jb_blk * BY
        if stop_requested(stop):
            return
        bj = min(BY, m - jb)
        pack_rows(Y, jb, bj, mu, PB, sb)
        sbmax = 0.0
        for c in range(bj):
            if sb[c] > sbmax:
                sbmax = sb[c]
        gemm_abt(PA, PB, G, <int>bi, <int>bj, <int>d)
        for r in range(bi):
            gi = ib + r
            amin = fastal_min_row(G + r * bj, sa[r], sb, bj)
            margin = RECHECK * (sa[r] + sbmax) + 1e-300 + _unit_slack(d, metric)
            thr = min(amin, _product_space(best[gi], metric)) + margin
            n_found = fastal_candidates(G + r * bj, bj, thr, found)
            _recheck(X, Y, gi, jb, found, n_found, best, metric)


cdef bint _min_block_single(const floating[:, :] X, const floating[:, :] Y, Py_ssize_t ib,
                            Py_ssize_t bi, const double* mu, const float* PY, const float* sy,
                            const double* tile_peak, float* work, double[::1] best,
                            int metric, fastal_stop* stop) noexcept nogil:
    """_min_block with the products and approximate squared distances in
    float32, against the m rows of Y packed once for all threads (PY: centred,
    rounded to float32; sy: their squared norms; tile_peak: the largest
    squared norm of each tile of GEMM_COLS rows).  The exact keys of the
    candidates are recomputed from X and Y (_recheck_pairs).  Returns False
    (best still holding upper bounds) when a centred value of the block exceeds
    SINGLE_LIMIT (no float32 overflow in the squares and products), or when a
    tile has so many candidates to recompute that the double path is cheaper.

    With u = 2**-24, the float32 value of |a - b|^2 for centred rows a, b is
    within E = (d + 16) u (|a|^2 + |b|^2) of the exact one: rounding the
    centred rows to float32 moves it by at most about 4u (|a|^2 + |b|^2), the
    rounded norms by 2u, a d-term float32 dot product by d u |a| |b|, and the
    two float32 additions by 3u.  So the nearest row is always among the
    candidates within 2E of the row's best approximate value; they are
    recomputed in double as _min_block recomputes its candidates, and the
    keys are the same.  (d 2**-120 more covers entries and products below
    float32's normal range, whose rounding error is absolute, at most 2**-150.)
    """
    cdef Py_ssize_t m = Y.shape[0], d = X.shape[1], BX = GEMM_ROWS, BY = GEMM_COLS
    cdef Py_ssize_t jb_blk, jb, bj, r, gi, rechecked
    cdef double amin, thr, margin
    cdef double bound = 2.0 * (d + 16) * 2.0 ** -24, floor = d * 2.0 ** -120
    cdef float* PA = work
    cdef float* sa = PA + BX * d
    cdef float* G = sa + BX
    cdef Py_ssize_t* found = <Py_ssize_t*> (G + BX * BY)   # 8-byte aligned: BX is even
    # candidates waiting for their recomputation: (row of X, row of Y) pairs
    cdef Py_ssize_t* pair_rows = found + BY
    cdef Py_ssize_t* pair_cols = pair_rows + BY + RECHECK_PAIRS
    cdef Py_ssize_t n_found, n_pairs = 0, f
    cdef float thr_single
    if pack_rows_single(X, ib, bi, mu, PA, sa) > SINGLE_LIMIT:
        return False
    for jb_blk in range((m + BY - 1) // BY):
        jb = jb_blk * BY
        if stop_requested(stop):
            return True
        bj = min(BY, m - jb)
        gemm_abt_single(PA, <float*> (PY + jb * d), G, <int>bi, <int>bj, <int>d)
        rechecked = 0
        for r in range(bi):
            gi = ib + r
            amin = fastal_min_row_single(G + r * bj, sa[r], sy + jb, bj)
            margin = bound * (sa[r] + tile_peak[jb_blk]) + floor + _unit_slack(d, metric)
            thr = min(amin, _product_space(best[gi], metric)) + margin
            # the float32 threshold at or above thr: every G <= thr is found
            thr_single = <float>thr
            if thr_single < thr:
                thr_single = nextafterf(thr_single, INFINITY)
            n_found = fastal_candidates_single(G + r * bj, bj, thr_single, found)
            rechecked += n_found
            if r >= SINGLE_GIVE_UP and rechecked * SINGLE_GIVE_UP > (r + 1) * bj:
                _recheck_pairs(X, Y, pair_rows, pair_cols, n_pairs, best, metric)
                return False
            # rows are independent within a tile: their recomputations wait
            # and go four pairs at a time
            if n_pairs + n_found > BY + RECHECK_PAIRS:
                _recheck_pairs(X, Y, pair_rows, pair_cols, n_pairs, best, metric)
                n_pairs = 0
            for f in range(n_found):
                pair_rows[n_pairs] = gi
                pair_cols[n_pairs] = jb + found[f]
                n_pairs = n_pairs + 1
        _recheck_pairs(X, Y, pair_rows, pair_cols, n_pairs, best, metric)
        n_pairs = 0
    return True


def _min_distance_gemm(const floating[:, :] X, const floating[:, :] Y, int metric,
                       int n_threads):
    """Euclidean distance from every row of X to its nearest row of Y, or the
    cosine distance of canonical unit rows (Y without zero rows): twice it is
    their squared euclidean distance, within _unit_slack.

    Row blocks of X are spread over OpenMP threads; each thread walks all
    tiles of Y with a single-threaded matrix product (the caller limits BLAS)
    and recomputes directly the candidates near its row's best.  The products
    are taken in float32 (_min_block_single, against Y packed once; the keys
    are the same) until a row block finds that float32 leaves too many
    candidates; that block and those not started yet then use double products
    (as do all blocks when Y, or a block of X, has values beyond float32's
    range).
    """
    cdef Py_ssize_t n = X.shape[0], m = Y.shape[0], d = X.shape[1]
    cdef Py_ssize_t BX = GEMM_ROWS, BY = GEMM_COLS, n_tiles = (m + BY - 1) // BY
    cdef Py_ssize_t ib_blk, ib, bi, tid, t, c
    cdef double* work = NULL
    cdef bint done
    cdef int gave_up = 0
    cdef double peak
    cdef fastal_stop stop
    fastal_stop_init(&stop)
    best_arr = np.full(n, INFINITY, dtype=np.float64)
    cdef double[::1] best = best_arr
    # the centre: the mean of Y (usually the smaller set; any point near the rows
    # will do); unit rows stay around the origin
    if metric == COSINE:
        mu_arr = np.zeros(d, dtype=np.float64)
    else:
        mu_arr = np.ascontiguousarray(np.mean(np.asarray(Y), axis=0, dtype=np.float64))
    cdef double[::1] mu = mu_arr
    # Y centred and rounded to float32 once, read by every thread
    py_arr = np.empty(m * d, dtype=np.float32)
    sy_arr = np.empty(m, dtype=np.float32)
    tile_peak_arr = np.zeros(n_tiles, dtype=np.float64)
    cdef float[::1] PY = py_arr
    cdef float[::1] sy = sy_arr
    cdef double[::1] tile_peak = tile_peak_arr
    # doubles per thread: the double path's PA, PB, sa, sb, G and found, or the
    # float32 path's PA, sa, G (floats), found and the pairs waiting, if more
    cdef Py_ssize_t per_thread = max(BX * d + BY * d + BX + BY + BX * BY + BY,
                                     (BX * d + BX + BX * BY) // 2 + 3 * BY + 2 * RECHECK_PAIRS)
    with nogil:
        peak = pack_rows_single(Y, 0, m, &mu[0], &PY[0], &sy[0])
        for t in range(n_tiles):
            for c in range(t * BY, min(m, (t + 1) * BY)):
                tile_peak[t] = max(tile_peak[t], <double>sy[c])
    if peak > SINGLE_LIMIT:
        gave_up = 1
    try:
        work = <double*> checked_malloc(n_threads * per_thread * sizeof(double))
        with nogil:
            for ib_blk in prange((n + BX - 1) // BX, num_threads=n_threads, schedule="dynamic"):
                tid = threadid()
                ib = ib_blk * BX
                bi = min(BX, n - ib)
                done = False
                if not fastal_flag_get(&gave_up):
                    done = _min_block_single(X, Y, ib, bi, &mu[0], &PY[0], &sy[0],
                                             &tile_peak[0], <float*> (work + tid * per_thread),
                                             best, metric, &stop)
                    if not done:
                        fastal_flag_set(&gave_up)
                if not done:
                    _min_block(X, Y, ib, bi, &mu[0], work + tid * per_thread, best, metric,
                               &stop)
                for c in range(ib, ib + bi):       # the block's keys are final
                    best[c] = key_distance(best[c], metric)
        raise_if_stopped(&stop)
    finally:
        free(work)
    return best_arr


def _min_distance_direct(const floating[:, :] X, const floating[:, :] Y, int metric,
                         int n_threads):
    """Distance (euclidean, manhattan or cosine) from every row of X to its
    nearest row of Y.

    Blocks of X rows are packed feature-major and spread over threads; every
    row of Y is compared with a whole block at once (fastal_block_raw).
    """
    cdef Py_ssize_t n = X.shape[0], m = Y.shape[0], d = X.shape[1], B = DIRECT_BLOCK
    cdef Py_ssize_t ib_blk, ib, bi, c, j, tid
    cdef double v
    cdef double* RT
    cdef double* out
    cdef double* work = NULL
    cdef fastal_stop stop
    fastal_stop_init(&stop)
    best_arr = np.full(n, INFINITY, dtype=np.float64)
    cdef double[::1] best = best_arr
    yp_arr = np.ascontiguousarray(np.asarray(Y), dtype=np.float64)
    cdef const double[:, ::1] yp = yp_arr
    try:
        work = <double*> checked_malloc(n_threads * (d * B + B) * sizeof(double))
        with nogil:
            for ib_blk in prange((n + B - 1) // B, num_threads=n_threads, schedule="dynamic"):
                tid = threadid()
                RT = work + tid * (d * B + B)
                out = RT + d * B
                ib = ib_blk * B
                bi = min(B, n - ib)
                pack_transposed(X, ib, bi, RT)
                for j in range(m):
                    if j % SIGNAL_ROWS == 0 and stop_requested(&stop):
                        break
                    fastal_block_raw(&yp[j, 0], RT, d, bi, metric, out)
                    for c in range(bi):
                        v = pair_key(out[c], X, ib + c, Y, j, metric)
                        if v < best[ib + c]:
                            best[ib + c] = v
                for c in range(ib, ib + bi):       # the block's keys are final
                    best[c] = key_distance(best[c], metric)
        raise_if_stopped(&stop)
    finally:
        free(work)
    return best_arr


def min_distance(X, Y, metric, n_threads):
    """Distance from every row of X to its nearest row of Y (float64).

    Same contract as ``fastal._core._reference.min_distance``.
    """
    code = METRIC_CODES[metric]
    if code == EUCLIDEAN and X.shape[1] >= GEMM_MIN_DIM and Y.shape[0] >= 16:
        with single_threaded_blas():
            return _min_distance_gemm(X, Y, EUCLIDEAN, int(n_threads))
    if code == COSINE and X.shape[1] >= GEMM_MIN_DIM:
        # a zero row (the only rows not of unit norm) is at cosine distance 1
        # from every row: it is left out of the products and counted after
        nonzero = np.any(np.asarray(Y) != 0, axis=1)
        if np.count_nonzero(nonzero) >= 16:
            with single_threaded_blas():
                md = _min_distance_gemm(X, Y if nonzero.all() else np.asarray(Y)[nonzero],
                                        COSINE, int(n_threads))
            if not nonzero.all():
                np.minimum(md, 1.0, out=md)
            return md
    return _min_distance_direct(X, Y, code, int(n_threads))


cdef inline double _ranked_score(double alpha, double md, double u, double scale) noexcept nogil:
    """alpha * (1 - 1 / (1 + md / scale)) + (1 - alpha) * u, in the twin's order."""
    return alpha * (1.0 - scale / (scale + md)) + (1.0 - alpha) * u


cdef struct Picked:
    # The rows picked so far, packed feature-major (column t = pick t), so a
    # row is compared with all picks since its last refresh at once; for
    # sparse rows (``sparse`` not NULL) pairs are merged one at a time instead.
    const CSR* sparse
    double* packed       # d x capacity
    Py_ssize_t capacity
    Py_ssize_t d
    Py_ssize_t chunk     # picks compared at once (at most REFRESH_CHUNK)
    double* row          # lanes x d: per thread, the row being refreshed, as doubles
    double* raw          # lanes x chunk: per thread, its raw sums against those picks


cdef inline void _add_pick(const floating[:, :] X, Picked* picked, Py_ssize_t t,
                           long long row) noexcept nogil:
    cdef Py_ssize_t k
    if picked.sparse != NULL:
        return
    for k in range(X.shape[1]):
        picked.packed[k * picked.capacity + t] = <double>X[row, k]


cdef inline Py_ssize_t _refresh(const floating[:, :] X, long long row, Py_ssize_t t,
                                const long long* picks, Picked* picked, double* md,
                                long long* stamp, double* fresh, const double* u,
                                bint has_scores, Py_ssize_t n_unl0, Py_ssize_t n_lab0,
                                double scale, int metric, int lane=0) noexcept nogil:
    """Bring ``row`` to step t: fold in the rows picked since its last refresh
    (the twin's distances, vectorised across those picks), then its score (the
    eager rule's expression), with ``picked``'s scratch space of ``lane``
    (one per thread).  Returns the work done."""
    cdef Py_ssize_t p, k, q, last, first = stamp[row], d = X.shape[1]
    cdef Py_ssize_t done = (t - first) * d + 1
    cdef double dist, alpha, cutoff
    cdef double* row_values = picked.row + lane * picked.d
    cdef double* raw = picked.raw + lane * picked.chunk
    if t > first and picked.sparse != NULL:
        for p in range(first, t):
            dist = csr_distance(picked.sparse, row, picked.sparse, picks[p], metric)
            if dist < md[row]:
                md[row] = dist
    elif t > first:
        for k in range(d):
            row_values[k] = <double>X[row, k]
        # euclidean: a squared sum of at least md^2 (1 + 2**-48) gives a distance
        # of at least md (sqrt is monotonic and correctly rounded), so only smaller
        # sums (and those below FASTAL_TINY, whose key is not the sum) are looked at
        cutoff = md[row] * md[row] * (1.0 + SQUARE_SLACK) if metric == EUCLIDEAN else INFINITY
        q = first
        while q < t:        # picks in chunks: the scratch space stays small
            last = min(t, q + picked.chunk)
            fastal_block_raw_ld(row_values, picked.packed + q, picked.capacity, d, last - q,
                                metric, raw)
            for p in range(q, last):
                if raw[p - q] >= cutoff and raw[p - q] >= FASTAL_TINY:
                    continue
                dist = key_distance(pair_key(raw[p - q], X, row, X, picks[p], metric), metric)
                if dist < md[row]:
                    md[row] = dist
                    if metric == EUCLIDEAN:
                        cutoff = md[row] * md[row] * (1.0 + SQUARE_SLACK)
            q = last
    stamp[row] = t
    if has_scores:
        alpha = <double>(n_unl0 - t) / <double>(n_unl0 - t + n_lab0 + t)
        fresh[row] = _ranked_score(alpha, md[row], u[row], scale)
    else:
        fresh[row] = md[row]
    return done


cdef int _picked_init(Picked* picked, Py_ssize_t d, Py_ssize_t batch,
                      const CSR* sparse, int lanes) except -1:
    picked.sparse = sparse
    if sparse != NULL:
        d = 1
    picked.d = d
    picked.capacity = max(batch, 1)
    picked.chunk = min(picked.capacity, REFRESH_CHUNK)
    picked.packed = NULL
    picked.row = NULL
    picked.raw = NULL
    picked.packed = <double*> checked_malloc(d * picked.capacity * sizeof(double))
    picked.row = <double*> checked_malloc(lanes * d * sizeof(double))
    picked.raw = <double*> checked_malloc(lanes * picked.chunk * sizeof(double))
    return 0


cdef void _picked_free(Picked* picked) noexcept nogil:
    free(picked.packed)
    free(picked.row)
    free(picked.raw)


cdef Py_ssize_t _refresh_rows(const floating[:, :] X, const long long* rows, Py_ssize_t count,
                              Py_ssize_t t, const long long* picks, Picked* picked, double* md,
                              long long* stamp, double* fresh, const double* u, bint has_scores,
                              Py_ssize_t n_unl0, Py_ssize_t n_lab0, double scale, int metric,
                              int n_threads) noexcept nogil:
    """``_refresh`` of rows[0..count) (distinct rows) on ``n_threads`` threads,
    each with its own scratch lane of ``picked``.  Returns the work done."""
    cdef Py_ssize_t j, work = 0
    for j in prange(count, num_threads=n_threads, schedule="dynamic", chunksize=1):
        work += _refresh(X, rows[j], t, picks, picked, md, stamp, fresh, u, has_scores,
                         n_unl0, n_lab0, scale, metric, threadid())
    return work


def _set_parallel_grain(Py_ssize_t setup_rows, Py_ssize_t stale_picks, Py_ssize_t refresh_rows,
                        Py_ssize_t refresh_chunk):
    """Set the greedy's SETUP_ROWS, STALE_PICKS, REFRESH_ROWS and REFRESH_CHUNK
    (each at least 1); returns the old values.  Tests use it to run the
    parallel and chunked paths on small pools."""
    global SETUP_ROWS, STALE_PICKS, REFRESH_ROWS, REFRESH_CHUNK
    old = (SETUP_ROWS, STALE_PICKS, REFRESH_ROWS, REFRESH_CHUNK)
    SETUP_ROWS = max(1, setup_rows)
    STALE_PICKS = max(1, stale_picks)
    REFRESH_ROWS = max(1, refresh_rows)
    REFRESH_CHUNK = max(1, refresh_chunk)
    return old


def _set_gemm_tiles(Py_ssize_t rows, Py_ssize_t cols):
    """Set the minimum distances' GEMM_ROWS (rounded up to even) and GEMM_COLS
    (each at least 2); returns the old values.  Tests use it to run many tiles
    on small inputs."""
    global GEMM_ROWS, GEMM_COLS
    old = (GEMM_ROWS, GEMM_COLS)
    GEMM_ROWS = max(2, rows + rows % 2)
    GEMM_COLS = max(2, cols)
    return old


cdef inline int _setup_threads(Py_ssize_t n, int n_threads) noexcept nogil:
    """Threads for the greedy's setup over n rows."""
    return <int>max(1, min(<Py_ssize_t>n_threads, n // SETUP_ROWS))


cdef void _heapify(double* keys, long long* rows, Py_ssize_t size, int n_threads) noexcept nogil:
    """Bottom-up heapify in "largest first" order, the subtrees below one level
    on several threads (disjoint parts of the array), then the levels above.
    Every node is sifted down after all the nodes below it, as in the serial
    loop, so the heap is the serial loop's."""
    cdef Py_ssize_t width = 1, r, i, start, depth_width, last = size // 2 - 1
    if n_threads <= 1 or last < 64 * n_threads:
        for i in range(last, -1, -1):
            top_sift_down(keys, rows, size, i)
        return
    while width < 8 * n_threads:
        width = 2 * width
    # roots of the subtrees: the level whose nodes are width - 1 .. 2 width - 2
    for r in prange(width - 1, 2 * width - 1, num_threads=n_threads, schedule="dynamic"):
        depth_width = 1
        while (r + 1) * depth_width - 1 <= last:
            depth_width = 2 * depth_width
        while depth_width > 1:
            depth_width = depth_width // 2
            start = (r + 1) * depth_width - 1
            for i in range(min(start + depth_width - 1, last), start - 1, -1):
                top_sift_down(keys, rows, size, i)
    for i in range(min(width - 2, last), -1, -1):
        top_sift_down(keys, rows, size, i)


def _kcenter_greedy(const floating[:, :] X, double[::1] md, Py_ssize_t batch, Py_ssize_t exclude,
                    int metric, int n_threads, sparse=None):
    """Lazy k-center greedy; md is updated in place.

    The score of a row is its minimum distance md, which only shrinks: a
    stored value is an exact upper bound, so a refreshed top of the max-heap
    (ties to the smaller index) is the first argmax of the eager rule.  Any
    row may be refreshed early (its key stays an upper bound, exact at its
    stamp): a top far behind is refreshed on all threads together with the
    next rows of the heap, which are mostly the next picks.
    """
    cdef Py_ssize_t n = X.shape[0], i, t, size, work = 0, count, j
    cdef int setup_threads = _setup_threads(n, n_threads)
    cdef long long top
    cdef double dummy = 0.0
    cdef Picked picked
    cdef CSR rows
    cdef fastal_stop stop
    fastal_stop_init(&stop)
    # the heap over every row: keys (scores) and rows, in blocks that may get huge pages
    cdef double* hk = NULL
    cdef long long* hx = NULL
    picks_arr = np.empty(batch, dtype=np.int64)
    stamp_arr = np.zeros(n, dtype=np.int64)
    cdef Py_ssize_t ahead_max = REFRESH_ROWS * n_threads, stale = STALE_PICKS
    ahead_arr = np.empty(ahead_max, dtype=np.int64)
    cdef long long[::1] ahead = ahead_arr
    cdef long long[::1] picks = picks_arr
    cdef long long[::1] stamp = stamp_arr
    picked.packed = picked.row = picked.raw = NULL
    try:
        hk = <double*> fastal_alloc_large(n * sizeof(double))
        hx = <long long*> fastal_alloc_large(n * sizeof(long long))
        if hk == NULL or hx == NULL:
            raise MemoryError(f"fastal could not allocate the k-center heap of {n} rows")
        if sparse is not None:
            rows = csr_from(sparse.indptr, sparse.indices, sparse.data, sparse.n_rows)
        _picked_init(&picked, X.shape[1], batch, &rows if sparse is not None else NULL,
                     n_threads)
        with nogil:
            # every row but ``exclude``, in row order (a row's score is its md)
            size = n - 1 if 0 <= exclude < n else n
            for i in prange(n, num_threads=setup_threads, schedule="static"):
                if i < exclude or exclude < 0:
                    hk[i] = md[i]
                    hx[i] = i
                elif i > exclude:
                    hk[i - 1] = md[i]
                    hx[i - 1] = i
            _heapify(hk, hx, size, setup_threads)
            t = 0
            while t < batch:
                if work > SIGNAL_WORK:
                    work = 0
                    if stop_requested(&stop):
                        break
                top = hx[0]
                if n_threads > 1 and t - stamp[top] >= stale:
                    count = 0
                    while count < ahead_max and size > 0:
                        ahead[count] = hx[0]
                        top_pop(hk, hx, &size)
                        count = count + 1
                    work = work + _refresh_rows(X, &ahead[0], count, t, &picks[0], &picked,
                                                &md[0], &stamp[0], &md[0], &dummy, False, 0, 0,
                                                1.0, metric, n_threads)
                    for j in range(count):
                        hk[size] = md[ahead[j]]
                        hx[size] = ahead[j]
                        size = size + 1
                        top_sift_up(hk, hx, size - 1)
                    continue
                if stamp[top] != t:
                    work = work + _refresh(X, top, t, &picks[0], &picked, &md[0], &stamp[0],
                                           &md[0], &dummy, False, 0, 0, 1.0, metric)
                    hk[0] = md[top]
                    top_sift_down(hk, hx, size, 0)
                    continue
                picks[t] = top
                _add_pick(X, &picked, t, top)
                top_pop(hk, hx, &size)
                t = t + 1
        raise_if_stopped(&stop)
    finally:
        free(hk)
        free(hx)
        _picked_free(&picked)
    return picks_arr


cdef struct SlopeBins:
    # Heaps of rows grouped by the slope w = g - u of their score line; a
    # bin's rows have w >= w_low(bin), which bounds how fast their score can
    # rise as alpha falls.
    Py_ssize_t count
    double w_first       # w_low of bin 0
    double width         # w_low(b) = w_first + b * width
    double t_over_n      # the step t over N that ``top`` is computed for
    double* top          # per bin: the bound of its top row at that step (-inf: empty)
    Py_ssize_t* win      # tournament tree over ``top`` (count a power of two): node i
                         # (1 <= i < count) holds the first bin of the largest top
                         # below it, leaf count + b holds b; the root is win[1]
    double** keys
    long long** rows
    Py_ssize_t* size
    Py_ssize_t* capacity
    # the heaps' arrays as filled: slices of one block each (large blocks may
    # get huge pages); a heap that outgrows its slice moves to its own arrays
    double* key_block
    long long* row_block
    unsigned char* own   # per bin: its arrays are its own (else slices of the blocks)
    int failed           # a heap could not grow


cdef inline Py_ssize_t _bin_of(SlopeBins* bins, double w) noexcept nogil:
    cdef double pos = (w - bins.w_first) / bins.width
    if not pos > 0.0:       # also NaN-safe
        return 0
    if pos >= bins.count:
        return bins.count - 1
    return <Py_ssize_t>pos


cdef inline void _bin_push(SlopeBins* bins, Py_ssize_t b, double key, long long row) noexcept nogil:
    cdef Py_ssize_t cap
    cdef void* grown
    cdef double* keys
    cdef long long* rows
    if bins.size[b] == bins.capacity[b]:
        cap = 2 * bins.capacity[b] + 16
        if not bins.own[b]:         # out of its slice: into arrays of its own
            keys = <double*> malloc(cap * sizeof(double))
            rows = <long long*> malloc(cap * sizeof(long long))
            if keys == NULL or rows == NULL:
                free(keys)
                free(rows)
                bins.failed = 1
                return
            memcpy(keys, bins.keys[b], bins.size[b] * sizeof(double))
            memcpy(rows, bins.rows[b], bins.size[b] * sizeof(long long))
            bins.keys[b] = keys
            bins.rows[b] = rows
            bins.own[b] = 1
        else:
            grown = realloc(bins.keys[b], cap * sizeof(double))
            if grown == NULL:
                bins.failed = 1
                return
            bins.keys[b] = <double*> grown
            grown = realloc(bins.rows[b], cap * sizeof(long long))
            if grown == NULL:
                bins.failed = 1
                return
            bins.rows[b] = <long long*> grown
        bins.capacity[b] = cap
    bins.keys[b][bins.size[b]] = key
    bins.rows[b][bins.size[b]] = row
    bins.size[b] = bins.size[b] + 1
    top_sift_up(bins.keys[b], bins.rows[b], bins.size[b] - 1)
    _bin_top(bins, b)


cdef inline void _bin_bound(SlopeBins* bins, Py_ssize_t b) noexcept nogil:
    if bins.size[b] > 0:
        bins.top[b] = bins.keys[b][0] - bins.t_over_n * (bins.w_first + b * bins.width)
    else:
        bins.top[b] = -INFINITY


cdef inline void _tree_node(SlopeBins* bins, Py_ssize_t i) noexcept nogil:
    cdef Py_ssize_t left = bins.win[2 * i], right = bins.win[2 * i + 1]
    bins.win[i] = left if bins.top[left] >= bins.top[right] else right


cdef void _bins_fill(SlopeBins* bins, const double* md, const double* u,
                     unsigned char* bin_of_row, Py_ssize_t* offsets, Py_ssize_t n,
                     Py_ssize_t exclude, double alpha, double scale, int n_threads) noexcept nogil:
    """Every row but ``exclude`` into the heap of its slope's bin, keyed by its
    score at step 0: rows counted per bin, the bins' arrays allocated once (as
    slices of two blocks), filled in row order and heapified (the pops come out as from pushes: the
    order of (key, row) is total).  The rows are cut into ``n_threads``
    contiguous parts, counted and placed by one thread each, and the bins
    heapified on the threads; the bins hold the same arrays for any number of
    threads.  ``bin_of_row`` is scratch space for n (SLOPE_BINS <= 256),
    ``offsets`` for n_threads x bins.count."""
    cdef Py_ssize_t i, b, j, part, lo, hi, total, here, start, nb = bins.count
    cdef Py_ssize_t part_rows = (n + n_threads - 1) // n_threads
    for i in range(n_threads * nb):
        offsets[i] = 0
    for part in prange(n_threads, num_threads=n_threads, schedule="static"):
        lo = part * part_rows
        hi = min(n, lo + part_rows)
        for i in range(lo, hi):
            if i != exclude:
                b = _bin_of(bins, _slope(md[i], u[i], scale))
                bin_of_row[i] = <unsigned char>b
                offsets[part * nb + b] = offsets[part * nb + b] + 1
    # counts -> where each part starts in each bin
    for b in range(nb):
        total = 0
        for part in range(n_threads):
            here = offsets[part * nb + b]
            offsets[part * nb + b] = total
            total = total + here
        bins.size[b] = total
        bins.capacity[b] = total + 16
    total = n + 16 * nb
    bins.key_block = <double*> fastal_alloc_large(total * sizeof(double))
    bins.row_block = <long long*> fastal_alloc_large(total * sizeof(long long))
    if bins.key_block == NULL or bins.row_block == NULL:
        bins.failed = 1
        return
    start = 0
    for b in range(nb):
        bins.keys[b] = bins.key_block + start
        bins.rows[b] = bins.row_block + start
        start = start + bins.capacity[b]
    for part in prange(n_threads, num_threads=n_threads, schedule="static"):
        lo = part * part_rows
        hi = min(n, lo + part_rows)
        for i in range(lo, hi):
            if i != exclude:
                b = bin_of_row[i]
                j = offsets[part * nb + b]
                bins.keys[b][j] = _ranked_score(alpha, md[i], u[i], scale)
                bins.rows[b][j] = i
                offsets[part * nb + b] = j + 1
    for b in prange(nb, num_threads=n_threads, schedule="dynamic"):
        _heapify(bins.keys[b], bins.rows[b], bins.size[b], 1)


cdef inline void _bin_top(SlopeBins* bins, Py_ssize_t b) noexcept nogil:
    """Recompute bin b's entry of ``top`` (after its heap changed) and its path
    up the tournament tree."""
    cdef Py_ssize_t i = (bins.count + b) // 2
    _bin_bound(bins, b)
    while i >= 1:
        _tree_node(bins, i)
        i = i // 2


cdef inline void _bins_at_step(SlopeBins* bins, double t_over_n) noexcept nogil:
    """Move ``top`` and the tree to a new step."""
    cdef Py_ssize_t b, i
    bins.t_over_n = t_over_n
    for b in range(bins.count):
        _bin_bound(bins, b)
    for i in range(bins.count - 1, 0, -1):
        _tree_node(bins, i)


cdef inline void _bin_pop(SlopeBins* bins, Py_ssize_t b) noexcept nogil:
    top_pop(bins.keys[b], bins.rows[b], &bins.size[b])
    _bin_top(bins, b)


cdef inline Py_ssize_t _best_bin(SlopeBins* bins, double* bound) noexcept nogil:
    """The first bin whose top has the largest score bound at the current step
    (-1 if all are empty): the root of the tournament tree."""
    cdef Py_ssize_t best = bins.win[1]
    bound[0] = bins.top[best]
    return best if bins.size[best] > 0 else -1


cdef inline double _slope(double md, double u, double scale) noexcept nogil:
    """w = g - u of a row's score line, g = 1 - 1/(1 + md/scale)."""
    return (1.0 - scale / (scale + md)) - u


cdef struct HotSet:
    # The ranked-batch rows near the top, kept out of the bins and brought to
    # every step eagerly: one pass compares them all with the newest pick
    # (lanes = rows, each summed over the features in the twin's order).
    Py_ssize_t count
    long long* rows      # HOT_ROWS slots
    double* packed       # d x HOT_ROWS, feature-major (NULL for sparse rows)
    double* raw          # HOT_ROWS raw sums against the newest pick


cdef int _hot_init(HotSet* hot, Py_ssize_t d, bint dense) except -1:
    hot.count = 0
    hot.rows = NULL
    hot.raw = NULL
    hot.packed = NULL
    hot.rows = <long long*> checked_malloc(HOT_ROWS * sizeof(long long))
    hot.raw = <double*> checked_malloc(HOT_ROWS * sizeof(double))
    if dense:
        hot.packed = <double*> checked_malloc(d * HOT_ROWS * sizeof(double))
    return 0


cdef void _hot_free(HotSet* hot) noexcept nogil:
    free(hot.rows)
    free(hot.raw)
    free(hot.packed)


cdef inline void _hot_place(const floating[:, :] X, HotSet* hot, Py_ssize_t slot,
                            long long row) noexcept nogil:
    cdef Py_ssize_t k
    hot.rows[slot] = row
    if hot.packed != NULL:
        for k in range(X.shape[1]):
            hot.packed[k * HOT_ROWS + slot] = <double>X[row, k]


cdef inline void _hot_admit(const floating[:, :] X, HotSet* hot, long long row,
                            const double* fresh, long long* aside,
                            Py_ssize_t* n_aside) noexcept nogil:
    """Put a row refreshed to the current step into the hot set; when it is
    full, the lowest score of the set and the row stays out (in ``aside``)."""
    cdef Py_ssize_t c, low = 0
    if hot.count < HOT_ROWS:
        _hot_place(X, hot, hot.count, row)
        hot.count = hot.count + 1
        return
    for c in range(1, hot.count):
        if fresh[hot.rows[c]] < fresh[hot.rows[low]]:
            low = c
    if fresh[row] <= fresh[hot.rows[low]]:
        aside[n_aside[0]] = row
    else:
        aside[n_aside[0]] = hot.rows[low]
        _hot_place(X, hot, low, row)
    n_aside[0] = n_aside[0] + 1


cdef inline bint _hot_remove(const floating[:, :] X, HotSet* hot, long long row) noexcept nogil:
    """Take ``row`` out of the hot set (the last slot moves into its place)."""
    cdef Py_ssize_t c, k, last = hot.count - 1
    for c in range(hot.count):
        if hot.rows[c] == row:
            if c != last:
                hot.rows[c] = hot.rows[last]
                if hot.packed != NULL:
                    for k in range(X.shape[1]):
                        hot.packed[k * HOT_ROWS + c] = hot.packed[k * HOT_ROWS + last]
            hot.count = last
            return True
    return False


cdef inline Py_ssize_t _hot_to_step(const floating[:, :] X, HotSet* hot, Py_ssize_t t,
                                    const long long* picks, Picked* picked, double* md,
                                    long long* stamp, double* fresh, const double* u,
                                    Py_ssize_t n_unl0, Py_ssize_t n_lab0, double scale,
                                    int metric) noexcept nogil:
    """Bring every hot row (all at step t - 1) to step t: what ``_refresh``
    computes for each, with one vectorised pass over the set for dense rows."""
    cdef Py_ssize_t c, k, d = X.shape[1], work = 0
    cdef long long row, pick
    cdef double dist, cutoff, raw, alpha
    if hot.packed == NULL:
        for c in range(hot.count):
            work = work + _refresh(X, hot.rows[c], t, picks, picked, md, stamp, fresh, u, True,
                                   n_unl0, n_lab0, scale, metric)
        return work
    pick = picks[t - 1]
    for k in range(d):
        picked.row[k] = <double>X[pick, k]
    fastal_block_raw_ld(picked.row, hot.packed, HOT_ROWS, d, hot.count, metric, hot.raw)
    alpha = <double>(n_unl0 - t) / <double>(n_unl0 - t + n_lab0 + t)
    for c in range(hot.count):
        row = hot.rows[c]
        raw = hot.raw[c]
        # the cut-off of _refresh: such a sum cannot lower md
        cutoff = md[row] * md[row] * (1.0 + SQUARE_SLACK) if metric == EUCLIDEAN else INFINITY
        if raw < cutoff or raw < FASTAL_TINY:
            dist = key_distance(pair_key(raw, X, row, X, pick, metric), metric)
            if dist < md[row]:
                md[row] = dist
        stamp[row] = t
        fresh[row] = _ranked_score(alpha, md[row], u[row], scale)
    return hot.count * d + 1


def _ranked_greedy(const floating[:, :] X, double[::1] md, const double[::1] u, double umin,
                   double umax, Py_ssize_t batch, Py_ssize_t n_unl0, Py_ssize_t n_lab0,
                   Py_ssize_t exclude, int metric, double scale, int n_threads, sparse=None):
    """Lazy ranked-batch greedy; md is updated in place; umin and umax are the
    smallest and largest score.

    Score of row i at step t (t rows picked): s_i(t) = u_i + a_t (g_i - u_i)
    with g_i = 1 - 1/(1 + md_i/scale) and a_t = (n_unl0 - t)/N, N = n_unl0 +
    n_lab0.  Refreshed at step r, a row's score at every t >= r is at most
    c_i - t w_i / N with w_i = g_i(r) - u_i and c_i = s_i(r) + r w_i / N (g
    only falls, a_t falls by 1/N per pick).  Rows sit in heaps by w (bins of
    equal width from the smallest possible w, -max u, to the largest, 1 -
    min u) keyed by c_i; a bin's top bounds all its rows by c - t w_low / N.
    Up to HOT_ROWS rows near the top are kept out of the bins and brought to
    every step at its start (the rows a bin's slack would otherwise send
    through a pop, a refresh against one pick and a push at almost every
    step).  At each step, the bins' tops are popped and refreshed while their
    bound is within ``margin`` (rounding) of the best exact score so far; each
    joins the hot set (when it is full, the lowest of the set and the row
    waits outside and goes back into its bin after the pick).  Every row left
    in the bins is then below the best exact score, and the pick is the first
    index among the largest exact scores -- exactly the eager rule.  A top far
    behind is refreshed on all threads together with the next tops of the
    bins (rows refreshed early join the hot set like the others).
    """
    cdef Py_ssize_t n = X.shape[0], i, t, b, ncand, c, work = 0, count, j
    cdef int setup_threads = _setup_threads(n, n_threads)
    cdef double N = <double>(n_unl0 + n_lab0)
    cdef double alpha, margin, bound, best_score
    cdef long long row, best
    cdef SlopeBins bins
    cdef Picked picked
    cdef HotSet hot
    cdef CSR rows
    cdef fastal_stop stop
    fastal_stop_init(&stop)
    picks_arr = np.empty(batch, dtype=np.int64)
    stamp_arr = np.zeros(n, dtype=np.int64)
    fresh_arr = np.empty(n, dtype=np.float64)
    cand_arr = np.empty(n, dtype=np.int64)
    bin_of_row_arr = np.empty(n, dtype=np.uint8)
    cdef unsigned char[::1] bin_of_row = bin_of_row_arr
    cdef Py_ssize_t ahead_max = REFRESH_ROWS * n_threads, stale = STALE_PICKS
    ahead_arr = np.empty(ahead_max, dtype=np.int64)
    cdef long long[::1] ahead = ahead_arr
    offsets_arr = np.empty(setup_threads * SLOPE_BINS, dtype=np.intp)
    cdef Py_ssize_t[::1] offsets = offsets_arr
    cdef long long[::1] picks = picks_arr
    cdef long long[::1] stamp = stamp_arr
    cdef double[::1] fresh = fresh_arr
    cdef long long[::1] cand = cand_arr
    margin = 1e-12 * (2.0 + fabs(umin) + fabs(umax))
    bins.count = SLOPE_BINS
    bins.w_first = -umax
    bins.width = (1.0 - umin + umax) / SLOPE_BINS
    bins.failed = 0
    bins.t_over_n = 0.0
    bins.top = NULL
    bins.win = NULL
    bins.keys = NULL
    bins.rows = NULL
    bins.size = NULL
    bins.capacity = NULL
    bins.key_block = NULL
    bins.row_block = NULL
    bins.own = NULL
    picked.packed = picked.row = picked.raw = NULL
    hot.rows = NULL
    hot.raw = NULL
    hot.packed = NULL
    try:
        bins.keys = <double**> checked_malloc(SLOPE_BINS * sizeof(double*))
        bins.rows = <long long**> checked_malloc(SLOPE_BINS * sizeof(long long*))
        bins.size = <Py_ssize_t*> checked_malloc(SLOPE_BINS * sizeof(Py_ssize_t))
        bins.capacity = <Py_ssize_t*> checked_malloc(SLOPE_BINS * sizeof(Py_ssize_t))
        bins.top = <double*> checked_malloc(SLOPE_BINS * sizeof(double))
        bins.win = <Py_ssize_t*> checked_malloc(2 * SLOPE_BINS * sizeof(Py_ssize_t))
        bins.own = <unsigned char*> checked_malloc(SLOPE_BINS)
        for b in range(SLOPE_BINS):
            bins.keys[b] = NULL
            bins.rows[b] = NULL
            bins.own[b] = 0
            bins.size[b] = 0
            bins.capacity[b] = 0
            bins.top[b] = -INFINITY
            bins.win[SLOPE_BINS + b] = b
        if sparse is not None:
            rows = csr_from(sparse.indptr, sparse.indices, sparse.data, sparse.n_rows)
        _picked_init(&picked, X.shape[1], batch, &rows if sparse is not None else NULL,
                     n_threads)
        _hot_init(&hot, X.shape[1], sparse is None)
        with nogil:
            _bins_fill(&bins, &md[0], &u[0], &bin_of_row[0], &offsets[0], n, exclude,
                       <double>n_unl0 / N, scale, setup_threads)
            _bins_at_step(&bins, 0.0)
            t = 0
            while t < batch and not bins.failed:
                if work > SIGNAL_WORK:
                    work = 0
                    if stop_requested(&stop):
                        break
                if t > 0 and hot.count > 0:
                    work = work + _hot_to_step(X, &hot, t, &picks[0], &picked, &md[0],
                                               &stamp[0], &fresh[0], &u[0], n_unl0, n_lab0,
                                               scale, metric)
                best = -1
                best_score = -INFINITY
                for c in range(hot.count):
                    row = hot.rows[c]
                    if fresh[row] > best_score or (fresh[row] == best_score and row < best):
                        best = row
                        best_score = fresh[row]
                # every row of the bins that could tie with or beat the best is
                # refreshed and joins the hot set (or, when it is full, ``cand``)
                ncand = 0
                while True:
                    b = _best_bin(&bins, &bound)
                    if b < 0 or (best >= 0 and bound < best_score - margin):
                        break
                    row = bins.rows[b][0]
                    if n_threads > 1 and t - stamp[row] >= stale:
                        # far behind: it and the next tops of the bins (mostly rows the
                        # coming steps would refresh one by one), on all threads
                        count = 0
                        while count < ahead_max and b >= 0:
                            ahead[count] = bins.rows[b][0]
                            _bin_pop(&bins, b)
                            count = count + 1
                            b = _best_bin(&bins, &bound)
                        work = work + _refresh_rows(X, &ahead[0], count, t, &picks[0], &picked,
                                                    &md[0], &stamp[0], &fresh[0], &u[0], True,
                                                    n_unl0, n_lab0, scale, metric, n_threads)
                        for j in range(count):
                            row = ahead[j]
                            if fresh[row] > best_score or (fresh[row] == best_score
                                                           and row < best):
                                best = row
                                best_score = fresh[row]
                            _hot_admit(X, &hot, row, &fresh[0], &cand[0], &ncand)
                        continue
                    _bin_pop(&bins, b)
                    # (a row already at step t only gets its score: the bins hold
                    # keys, ``fresh`` is written for refreshed rows only)
                    work = work + _refresh(X, row, t, &picks[0], &picked, &md[0], &stamp[0],
                                           &fresh[0], &u[0], True, n_unl0, n_lab0, scale, metric)
                    if fresh[row] > best_score or (fresh[row] == best_score and row < best):
                        best = row
                        best_score = fresh[row]
                    _hot_admit(X, &hot, row, &fresh[0], &cand[0], &ncand)
                if best < 0 or bins.failed:
                    break
                picks[t] = best
                _add_pick(X, &picked, t, best)
                _hot_remove(X, &hot, best)
                for c in range(ncand):
                    if cand[c] != best:
                        row = cand[c]
                        _bin_push(&bins, _bin_of(&bins, _slope(md[row], u[row], scale)),
                                  fresh[row] + t * _slope(md[row], u[row], scale) / N, row)
                t = t + 1
                _bins_at_step(&bins, t / N)
        if bins.failed:
            raise MemoryError("fastal could not grow the ranked-batch heaps")
        raise_if_stopped(&stop)
        if t < batch:     # never a partly filled answer (check_pickable rules this out)
            raise RuntimeError(f"the ranked-batch greedy ran out of rows after {t} picks")
    finally:
        if bins.keys != NULL and bins.rows != NULL and bins.own != NULL:
            for b in range(SLOPE_BINS):
                if bins.own[b]:
                    free(bins.keys[b])
                    free(bins.rows[b])
        free(bins.key_block)
        free(bins.row_block)
        free(bins.own)
        free(bins.keys)
        free(bins.rows)
        free(bins.size)
        free(bins.capacity)
        free(bins.top)
        free(bins.win)
        _picked_free(&picked)
        _hot_free(&hot)
    return picks_arr


def sparse_max_min_greedy(X, min_dist, batch_size, scores, n_unlabeled, n_labeled, exclude,
                          metric, n_threads, scale=1.0):
    """Greedy max-min picks among CSR rows; same contract as the twin's."""
    from fastal._core._sparse import _Arrays
    return _greedy_dispatch(np.empty((X.shape[0], 1)), min_dist, batch_size, scores,
                            n_unlabeled, n_labeled, exclude, metric, scale, n_threads, _Arrays(X))


def _copy_on_threads(const double[::1] values, int n_threads):
    """A copy of values, made by parts on the threads (SETUP_ROWS per thread at least)."""
    cdef Py_ssize_t n = values.shape[0], i
    copy_arr = np.empty(n, dtype=np.float64)
    cdef double[::1] copy = copy_arr
    with nogil:
        for i in prange(n, num_threads=_setup_threads(n, n_threads), schedule="static"):
            copy[i] = values[i]
    return copy_arr


def _greedy_dispatch(X, min_dist, batch_size, scores, n_unlabeled, n_labeled, exclude, metric,
                     scale, n_threads, sparse):
    _reference.check_pickable(X.shape[0], batch_size, exclude)
    n_threads = max(1, int(n_threads))
    md = np.ascontiguousarray(min_dist, dtype=np.float64)
    if isinstance(min_dist, np.ndarray) and np.may_share_memory(md, min_dist):
        md = _copy_on_threads(md, n_threads)       # the greedy lowers its own copy
    excluded = -1 if exclude is None else int(exclude)
    if scores is None:
        return _kcenter_greedy(X, md, int(batch_size), excluded, METRIC_CODES[metric],
                               int(n_threads), sparse)
    u = np.ascontiguousarray(scores, dtype=np.float64)
    umin, umax = value_range(u, n_threads)      # finite: checked at the boundary
    return _ranked_greedy(X, md, u, umin, umax, int(batch_size), int(n_unlabeled),
                          int(n_labeled), excluded, METRIC_CODES[metric], float(scale),
                          int(n_threads), sparse)


def max_min_greedy(X, min_dist, batch_size, scores, n_unlabeled, n_labeled, exclude,
                   metric, n_threads, scale=1.0):
    """Greedy max-min picks; same contract as ``fastal._core._reference.max_min_greedy``."""
    return _greedy_dispatch(X, min_dist, batch_size, scores, n_unlabeled, n_labeled, exclude,
                            metric, scale, n_threads, None)
