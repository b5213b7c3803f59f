"""Compiled minimum distances and greedy max-min (k-center / ranked batch) selection.

Readable definitions: ``fastal._core._reference.min_distance`` and
``max_min_greedy``.  The greedy selection here is lazy: minimum distances only
shrink as rows are picked, so a stored score bounds the current one (plus a
known drift of the ranked-batch weight alpha, see _greedy).  Rows are
refreshed only when they come near the top of a max-heap; the picks are the
same as the eager definition, which rescans the whole pool at every pick.
Every loop checks for pending signals: a Ctrl-C raises KeyboardInterrupt.
"""
import numpy as np
from cython cimport floating
from cython.parallel cimport prange, threadid
from libc.math cimport INFINITY, fabs
from libc.stdlib cimport free

from fastal._core._common cimport (
    EUCLIDEAN, raw_pair, pair_key, key_distance, pair_distance,
    pack_transposed, pack_rows, gemm_abt, fastal_block_raw, checked_malloc, stop_requested,
    raise_if_stopped, fastal_stop, fastal_stop_init)
from fastal._core._heap cimport top_sift_down, top_sift_up, top_pop
from fastal._core._threads import single_threaded_blas
from fastal.utils.validation import METRIC_CODES

cdef Py_ssize_t GEMM_BLOCK = 1024
cdef Py_ssize_t DIRECT_BLOCK = 256
cdef Py_ssize_t GEMM_MIN_DIM = 16
# Entries of the norm expansion within RECHECK * (|a|^2 + max|b|^2) of the
# best candidate are recomputed directly; the expansion's own error is many
# orders of magnitude smaller, so the exact minimum is always among them.
cdef double RECHECK = 1e-9
cdef Py_ssize_t SIGNAL_ROWS = 512    # rows of Y between signal checks in the direct loop
cdef Py_ssize_t SIGNAL_WORK = 1 << 22  # distance evaluations x features between checks in _greedy



def _min_key_gemm(const floating[:, :] X, const floating[:, :] Y, int n_threads):
    """Euclidean key of every row of X to its nearest row of Y.

    Row blocks of X are spread over OpenMP threads; each thread walks all
    blocks of Y with a single-threaded matrix product (the caller limits BLAS)
    and recomputes directly the candidates near its row's best.
    """
    cdef Py_ssize_t n = X.shape[0], m = Y.shape[0], d = X.shape[1]
    cdef Py_ssize_t B = GEMM_BLOCK, ib, jb, bi, bj, r, c, gi, ib_blk, jb_blk, tid
    cdef double amin, thr, approx, exact, sbmax, margin
    cdef double* PA
    cdef double* PB
    cdef double* sa
    cdef double* sb
    cdef double* G
    cdef double* work = NULL
    cdef fastal_stop stop
    fastal_stop_init(&stop)
    best_arr = np.full(n, INFINITY, dtype=np.float64)
    cdef double[::1] best = best_arr
    mu_arr = np.ascontiguousarray(np.mean(np.asarray(X), axis=0, dtype=np.float64))
    cdef double[::1] mu = mu_arr
    cdef Py_ssize_t per_thread = 2 * B * d + 2 * B + B * B
    try:
        work = <double*> checked_malloc(n_threads * per_thread * sizeof(double))
        with nogil:
            for ib_blk in prange((n + B - 1) // B, num_threads=n_threads, schedule="dynamic"):
                tid = threadid()
                PA = work + tid * per_thread
                PB = PA + B * d
                sa = PB + B * d
                sb = sa + B
                G = sb + B
                ib = ib_blk * B
                bi = min(B, n - ib)
                pack_rows(X, ib, bi, &mu[0], PA, sa)
                for jb_blk in range((m + B - 1) // B):
                    if stop_requested(&stop):
                        break
                    jb = jb_blk * B
                    bj = min(B, m - jb)
                    pack_rows(Y, jb, bj, &mu[0], PB, sb)
                    sbmax = 0.0
                    for c in range(bj):
                        if sb[c] > sbmax:
                            sbmax = sb[c]
                    gemm_abt(PA, PB, G, <int>bi, <int>bj, <int>d)
                    for r in range(bi):
                        gi = ib + r
                        amin = INFINITY
                        for c in range(bj):
                            approx = sa[r] + sb[c] - 2.0 * G[r * bj + c]
                            G[r * bj + c] = approx
                            if approx < amin:
                                amin = approx
                        margin = RECHECK * (sa[r] + sbmax) + 1e-300
                        # a negative best is a rescued tiny distance: its square is about 0
                        thr = min(amin, best[gi] if best[gi] > 0.0 else 0.0) + margin
                        for c in range(bj):
                            if G[r * bj + c] <= thr:
                                exact = pair_key(raw_pair(X, gi, Y, jb + c, EUCLIDEAN),
                                                 X, gi, Y, jb + c, EUCLIDEAN)
                                if exact < best[gi]:
                                    best[gi] = exact
        raise_if_stopped(&stop)
    finally:
        free(work)
    return best_arr


def _min_key_direct(const floating[:, :] X, const floating[:, :] Y, int metric, int n_threads):
    """Key (euclidean key, manhattan or cosine distance) of every row of X to
    its nearest row of Y.

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
            keys = _min_key_gemm(X, Y, int(n_threads))
    else:
        keys = _min_key_direct(X, Y, code, int(n_threads))
    if code == EUCLIDEAN:
        return _keys_to_distances(keys)
    return keys


def _keys_to_distances(double[::1] keys):
    cdef Py_ssize_t i
    for i in range(keys.shape[0]):
        keys[i] = key_distance(keys[i], EUCLIDEAN)
    return np.asarray(keys)


cdef inline double _ranked_score(double alpha, double md, double u, double scale) noexcept nogil:
    """alpha * (1 - 1 / (1 + md / scale)) + (1 - alpha) * u, in the twin's order."""
    return alpha * (1.0 - scale / (scale + md)) + (1.0 - alpha) * u


cdef inline Py_ssize_t _refresh(const floating[:, :] X, long long row, Py_ssize_t t,
                                const long long* picks, double* md, long long* stamp,
                                double* fresh, const double* u, bint has_scores,
                                Py_ssize_t n_unl0, Py_ssize_t n_lab0, double scale,
                                int metric) noexcept nogil:
    """Bring ``row`` to step t: fold in the rows picked since its last refresh,
    then its score (the eager rule's, same expression).  Returns the work done."""
    cdef Py_ssize_t p, done = (t - stamp[row]) * X.shape[1] + 1
    cdef double dist, alpha
    for p in range(stamp[row], t):
        dist = pair_distance(X, row, X, picks[p], metric)
        if dist < md[row]:
            md[row] = dist
    stamp[row] = t
    if has_scores:
        alpha = <double>(n_unl0 - t) / <double>(n_unl0 - t + n_lab0 + t)
        fresh[row] = _ranked_score(alpha, md[row], u[row], scale)
    else:
        fresh[row] = md[row]
    return done


def _greedy(const floating[:, :] X, double[::1] md, const double[::1] u, bint has_scores,
            Py_ssize_t batch, Py_ssize_t n_unl0, Py_ssize_t n_lab0, Py_ssize_t exclude,
            int metric, double scale):
    """Lazy greedy selection; md is updated in place.

    Score at step t (t rows picked so far) of row i:
      k-center:     md_i
      ranked batch: a_t * g(md_i) + (1 - a_t) * u_i,  g(m) = 1 - 1/(1 + m/scale),
                    a_t = (n_unl0 - t) / N,  N = n_unl0 + n_lab0.
    md only shrinks and a_t drops by 1/N per pick, so a score computed at step
    s bounds the score at step t >= s by B_s + (t - s) * C / N with
    C = max(1, max u) - min(0, min u) >= |g - u|.  The heap is keyed by
    B_s - s * C / N, the same shift for every row at a given step.

    k-center keys are the minimum distances themselves, exact upper bounds:
    a refreshed top is the first argmax.  Ranked-batch keys carry rounding, so
    before a pick every row whose key is within ``margin`` of the best
    refreshed key is refreshed too, and the pick is the first index among the
    largest refreshed scores -- exactly the eager rule.
    """
    cdef Py_ssize_t n = X.shape[0], i, t, size, ncand, c
    cdef double N = <double>(n_unl0 + n_lab0)
    cdef double C = 0.0, umax = 1.0, umin = 0.0, alpha, margin = 0.0, kbest, shift
    cdef long long top, best
    cdef Py_ssize_t work = 0
    cdef fastal_stop stop
    fastal_stop_init(&stop)
    picks_arr = np.empty(batch, dtype=np.int64)
    cdef long long[::1] picks = picks_arr
    hk_arr = np.empty(n, dtype=np.float64)
    hx_arr = np.empty(n, dtype=np.int64)
    stamp_arr = np.zeros(n, dtype=np.int64)
    fresh_arr = np.empty(n, dtype=np.float64)
    cand_arr = np.empty(n, dtype=np.int64)
    cdef double[::1] hk = hk_arr
    cdef long long[::1] hx = hx_arr
    cdef long long[::1] stamp = stamp_arr
    cdef double[::1] fresh = fresh_arr
    cdef long long[::1] cand = cand_arr
    with nogil:
        if has_scores:
            for i in range(n):
                if u[i] > umax:
                    umax = u[i]
                if u[i] < umin:
                    umin = u[i]
            C = umax - umin
            margin = 1e-12 * (1.0 + C + fabs(umin) + fabs(umax))
        alpha = <double>n_unl0 / N
        size = 0
        for i in range(n):
            if i == exclude:
                continue
            fresh[i] = _ranked_score(alpha, md[i], u[i], scale) if has_scores else md[i]
            hk[size] = fresh[i]
            hx[size] = i
            size = size + 1
        for i in range(size // 2 - 1, -1, -1):
            top_sift_down(&hk[0], &hx[0], size, i)
        t = 0
        while t < batch:
            if work > SIGNAL_WORK:
                work = 0
                if stop_requested(&stop):
                    break
            top = hx[0]
            if stamp[top] != t:
                work = work + _refresh(X, top, t, &picks[0], &md[0], &stamp[0], &fresh[0], &u[0],
                                       has_scores, n_unl0, n_lab0, scale, metric)
                hk[0] = fresh[top] - t * C / N if has_scores else fresh[top]
                top_sift_down(&hk[0], &hx[0], size, 0)
                continue
            if not has_scores:
                picks[t] = top
                top_pop(&hk[0], &hx[0], &size)
                t = t + 1
                continue
            # ranked batch: gather every row that could tie with or beat the top
            ncand = 0
            best = top
            kbest = hk[0]
            cand[ncand] = top
            ncand = ncand + 1
            top_pop(&hk[0], &hx[0], &size)
            while size > 0 and hk[0] >= kbest - margin:
                top = hx[0]
                if stamp[top] != t:
                    work = work + _refresh(X, top, t, &picks[0], &md[0], &stamp[0], &fresh[0],
                                           &u[0], True, n_unl0, n_lab0, scale, metric)
                    hk[0] = fresh[top] - t * C / N
                    top_sift_down(&hk[0], &hx[0], size, 0)
                    continue
                if hk[0] > kbest:
                    kbest = hk[0]
                if fresh[top] > fresh[best] or (fresh[top] == fresh[best] and top < best):
                    best = top
                cand[ncand] = top
                ncand = ncand + 1
                top_pop(&hk[0], &hx[0], &size)
            picks[t] = best
            shift = t * C / N
            for c in range(ncand):
                if cand[c] != best:
                    hk[size] = fresh[cand[c]] - shift
                    hx[size] = cand[c]
                    size = size + 1
                    top_sift_up(&hk[0], &hx[0], size - 1)
            t = t + 1
    raise_if_stopped(&stop)
    return picks_arr


def max_min_greedy(X, min_dist, batch_size, scores, n_unlabeled, n_labeled, exclude,
                   metric, n_threads, scale=1.0):
    """Greedy max-min picks; same contract as ``fastal._core._reference.max_min_greedy``."""
    md = np.array(min_dist, dtype=np.float64, copy=True)
    if scores is None:
        u = np.zeros(X.shape[0], dtype=np.float64)
    else:
        u = np.ascontiguousarray(scores, dtype=np.float64)
    return _greedy(X, md, u, scores is not None, int(batch_size), int(n_unlabeled),
                   int(n_labeled), -1 if exclude is None else int(exclude), METRIC_CODES[metric],
                   float(scale))
