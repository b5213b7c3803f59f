"""Compiled minimum distances and greedy max-min (k-center / ranked batch) selection.

Readable definitions: ``fastal._core._reference.min_distance`` and
``max_min_greedy``.  The greedy selection here is lazy: minimum distances only
shrink as rows are picked, so a stored score is an upper bound of the current
one (plus a known drift of the ranked-batch weight alpha, see _greedy).  Rows
are refreshed only when they reach the top of a max-heap; the picks are the
same as the eager definition, which rescans the whole pool at every pick.
"""
import numpy as np
from threadpoolctl import threadpool_limits
from cython cimport floating
from cython.parallel cimport prange, threadid
from libc.math cimport sqrt, INFINITY
from libc.stdlib cimport malloc, free

from fastal._core._common cimport (
    EUCLIDEAN, MANHATTAN, COSINE, raw_pair, finish_distance, row_norm,
    pack_transposed, pack_rows, gemm_abt, fastal_block_raw)

cdef Py_ssize_t GEMM_BLOCK = 1024
cdef Py_ssize_t DIRECT_BLOCK = 256
cdef Py_ssize_t GEMM_MIN_DIM = 16
# Entries of the norm expansion within RECHECK * (|a|^2 + max|b|^2) of the
# best candidate are recomputed directly; the expansion's own error is many
# orders of magnitude smaller, so the exact minimum is always among them.
cdef double RECHECK = 1e-9

METRICS = {"euclidean": EUCLIDEAN, "manhattan": MANHATTAN, "cosine": COSINE}


def _min_raw_gemm(const floating[:, :] X, const floating[:, :] Y, int n_threads):
    """Squared euclidean distance from every row of X to its nearest row of Y.

    Row blocks of X are spread over OpenMP threads; each thread walks all
    blocks of Y with a single-threaded matrix product (the caller limits BLAS).
    """
    cdef Py_ssize_t n = X.shape[0], m = Y.shape[0], d = X.shape[1]
    cdef Py_ssize_t B = GEMM_BLOCK, ib, jb, bi, bj, r, c, gi, ib_blk, jb_blk, tid
    cdef double amin, thr, approx, exact, sbmax, margin
    cdef double* PA
    cdef double* PB
    cdef double* sa
    cdef double* sb
    cdef double* G
    best_arr = np.full(n, INFINITY, dtype=np.float64)
    cdef double[::1] best = best_arr
    mu_arr = np.ascontiguousarray(np.mean(np.asarray(X), axis=0, dtype=np.float64))
    cdef double[::1] mu = mu_arr
    cdef Py_ssize_t per_thread = 2 * B * d + 2 * B + B * B
    cdef double* work = <double*> malloc(n_threads * per_thread * sizeof(double))
    if work == NULL:
        raise MemoryError()
    try:
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
                        thr = min(amin, best[gi]) + margin
                        for c in range(bj):
                            if G[r * bj + c] <= thr:
                                exact = raw_pair(X, gi, Y, jb + c, EUCLIDEAN)
                                if exact < best[gi]:
                                    best[gi] = exact
    finally:
        free(work)
    return best_arr


def _min_direct(const floating[:, :] X, const floating[:, :] Y, int metric, int n_threads):
    """Distance (euclidean: squared) from every row of X to its nearest row of Y.

    Blocks of X rows are packed feature-major and spread over threads; every
    row of Y is compared with a whole block at once (fastal_block_raw).
    """
    cdef Py_ssize_t n = X.shape[0], m = Y.shape[0], d = X.shape[1], B = DIRECT_BLOCK
    cdef Py_ssize_t ib_blk, ib, bi, c, j, tid
    cdef double v
    cdef double* RT
    cdef double* out
    best_arr = np.full(n, INFINITY, dtype=np.float64)
    cdef double[::1] best = best_arr
    yp_arr = np.ascontiguousarray(np.asarray(Y), dtype=np.float64)
    cdef const double[:, ::1] yp = yp_arr
    xn_arr = np.zeros(n if metric == COSINE else 1, dtype=np.float64)
    yn_arr = np.sqrt(np.einsum("ij,ij->i", yp_arr, yp_arr)) if metric == COSINE else np.zeros(1)
    cdef double[::1] xn = xn_arr
    cdef const double[::1] yn = yn_arr
    cdef double* work = <double*> malloc(n_threads * (d * B + B) * sizeof(double))
    if work == NULL:
        raise MemoryError()
    try:
        with nogil:
            for ib_blk in prange((n + B - 1) // B, num_threads=n_threads, schedule="dynamic"):
                tid = threadid()
                RT = work + tid * (d * B + B)
                out = RT + d * B
                ib = ib_blk * B
                bi = min(B, n - ib)
                pack_transposed(X, ib, bi, RT)
                if metric == COSINE:
                    for c in range(bi):
                        xn[ib + c] = row_norm(X, ib + c)
                for j in range(m):
                    fastal_block_raw(&yp[j, 0], RT, d, bi, metric, out)
                    for c in range(bi):
                        if metric == COSINE:
                            v = finish_distance(out[c], COSINE, xn[ib + c], yn[j])
                        else:
                            v = out[c]
                        if v < best[ib + c]:
                            best[ib + c] = v
    finally:
        free(work)
    return best_arr


def min_distance(X, Y, metric, n_threads):
    """Distance from every row of X to its nearest row of Y (float64).

    Same contract as ``fastal._core._reference.min_distance``.
    """
    code = METRICS[metric]
    if code == EUCLIDEAN and X.shape[1] >= GEMM_MIN_DIM and Y.shape[0] >= 16:
        with threadpool_limits(limits=1, user_api="blas"):
            return np.sqrt(_min_raw_gemm(X, Y, int(n_threads)))
    best = _min_direct(X, Y, code, int(n_threads))
    return np.sqrt(best) if code == EUCLIDEAN else best


cdef inline bint _better(double ka, long long ia, double kb, long long ib) noexcept nogil:
    return ka > kb or (ka == kb and ia < ib)


cdef inline void _sift_down(double* hk, long long* hx, Py_ssize_t size, Py_ssize_t pos) noexcept nogil:
    cdef Py_ssize_t child
    cdef double k = hk[pos]
    cdef long long x = hx[pos]
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        if child + 1 < size and _better(hk[child + 1], hx[child + 1], hk[child], hx[child]):
            child = child + 1
        if _better(hk[child], hx[child], k, x):
            hk[pos] = hk[child]
            hx[pos] = hx[child]
            pos = child
        else:
            break
    hk[pos] = k
    hx[pos] = x


def _greedy(const floating[:, :] X, double[::1] md, const double[::1] u, bint has_scores,
            Py_ssize_t batch, Py_ssize_t n_unl0, Py_ssize_t n_lab0, Py_ssize_t exclude,
            int metric):
    """Lazy greedy selection; md is updated in place.

    Score at step t (t rows picked so far) of row i:
      k-center:     md_i
      ranked batch: a_t * (1 - 1/(1 + md_i)) + (1 - a_t) * u_i,  a_t = (n_unl0 - t) / N,
                    N = n_unl0 + n_lab0.
    md only shrinks, and a_t drops by 1/N per pick, so a score computed at step s
    bounds the score at step t >= s by B_s + (t - s) * C / N with
    C = max|g - u| <= max(1, max u) - min(0, min u).  The heap is keyed by
    B_s - s * C / N: the same shift for every row at a given step, so the top
    of the heap, once refreshed at the current step, is the exact first argmax.
    """
    cdef Py_ssize_t n = X.shape[0], i, p, t, size
    cdef double N = <double>(n_unl0 + n_lab0)
    cdef double C = 0.0, umax = 1.0, umin = 0.0, alpha, dist, score
    cdef long long top
    picks_arr = np.empty(batch, dtype=np.int64)
    cdef long long[::1] picks = picks_arr
    hk_arr = np.empty(n, dtype=np.float64)
    hx_arr = np.empty(n, dtype=np.int64)
    stamp_arr = np.zeros(n, dtype=np.int64)
    cdef double[::1] hk = hk_arr
    cdef long long[::1] hx = hx_arr
    cdef long long[::1] stamp = stamp_arr
    norms_arr = np.zeros(n if metric == COSINE else 1, dtype=np.float64)
    cdef double[::1] norms = norms_arr
    with nogil:
        if metric == COSINE:
            for i in range(n):
                norms[i] = row_norm(X, i)
        if has_scores:
            for i in range(n):
                if u[i] > umax:
                    umax = u[i]
                if u[i] < umin:
                    umin = u[i]
            C = umax - umin
        alpha = <double>n_unl0 / <double>(n_unl0 + n_lab0)
        size = 0
        for i in range(n):
            if i == exclude:
                continue
            if has_scores:
                score = alpha * (1.0 - 1.0 / (1.0 + md[i])) + (1.0 - alpha) * u[i]
            else:
                score = md[i]
            hk[size] = score
            hx[size] = i
            size = size + 1
        for i in range(size // 2 - 1, -1, -1):
            _sift_down(&hk[0], &hx[0], size, i)
        t = 0
        while t < batch:
            top = hx[0]
            if stamp[top] == t:
                picks[t] = top
                size = size - 1
                if size > 0:
                    hk[0] = hk[size]
                    hx[0] = hx[size]
                    _sift_down(&hk[0], &hx[0], size, 0)
                t = t + 1
                continue
            for p in range(stamp[top], t):
                if metric == COSINE:
                    dist = finish_distance(raw_pair(X, top, X, picks[p], COSINE), COSINE,
                                           norms[top], norms[picks[p]])
                else:
                    dist = finish_distance(raw_pair(X, top, X, picks[p], metric), metric, 0.0, 0.0)
                if dist < md[top]:
                    md[top] = dist
            stamp[top] = t
            if has_scores:
                alpha = <double>(n_unl0 - t) / <double>(n_unl0 - t + n_lab0 + t)
                score = alpha * (1.0 - 1.0 / (1.0 + md[top])) + (1.0 - alpha) * u[top]
                hk[0] = score - t * C / N
            else:
                hk[0] = md[top]
            _sift_down(&hk[0], &hx[0], size, 0)
    return picks_arr


def max_min_greedy(X, min_dist, batch_size, scores, n_unlabeled, n_labeled, exclude,
                   metric, n_threads):
    """Greedy max-min picks; same contract as ``fastal._core._reference.max_min_greedy``."""
    md = np.array(min_dist, dtype=np.float64, copy=True)
    if scores is None:
        u = np.zeros(1, dtype=np.float64)
    else:
        u = np.ascontiguousarray(scores, dtype=np.float64)
    return _greedy(X, md, u, scores is not None, int(batch_size), int(n_unlabeled),
                   int(n_labeled), -1 if exclude is None else int(exclude), METRICS[metric])
