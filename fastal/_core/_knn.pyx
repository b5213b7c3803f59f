"""Compiled exact k-nearest-neighbour search.

Readable definition: ``fastal._core._reference.knn_search``.

The distance matrix is cut into square tiles (PRODUCT_TILE or EXACT_TILE rows); by symmetry only
tiles (a, b) with a <= b are computed, and each feeds the k-best heaps of its
rows (candidates: its columns) and of its columns (candidates: its rows).
The tiles are scheduled in rounds of a round-robin tournament: within a round
no two tiles share a row band, so the threads of a round update disjoint
heaps with no locks and no serial merge.  Heaps order (key, index) pairs, so
ties go to the smaller index whatever order the candidates come in.

Keys: the euclidean key (squared distance, rescued when tiny), the manhattan
distance, the cosine distance of unit rows.  Euclidean and cosine rows with
at least GEMM_MIN_DIM features take their tiles from a matrix product
(centred rows for euclidean); every candidate that might enter a heap -- its
approximate key within a margin of the heap's worst -- is recomputed exactly
by the twin's sequential sum, so the neighbours are the twin's.  Other tiles
are exact sums vectorised across columns.  Memory O(n k + threads x tile^2).
A pending signal stops every thread between rounds of tiles and raises.
"""
import numpy as np
from cython cimport floating
from cython.parallel cimport prange, threadid
from libc.math cimport INFINITY
from libc.stdlib cimport free

from fastal._core._common cimport (
    EUCLIDEAN, MANHATTAN, raw_pair, pair_key, key_distance, pack_transposed,
    pack_rows, gemm_abt, fastal_block_raw, fastal_filter_row, checked_malloc, stop_requested,
    raise_if_stopped, fastal_stop, fastal_stop_init)
from fastal._core._heap cimport kbest_push, kbest_sort
from fastal._core._threads import single_threaded_blas
from fastal.utils.validation import METRIC_CODES

cdef Py_ssize_t PRODUCT_TILE = 256   # rows per tile side, matrix-product tiles
cdef Py_ssize_t EXACT_TILE = 128     # rows per tile side, direct sums
cdef Py_ssize_t GEMM_MIN_DIM = 16    # below this many features direct sums win
# Candidates whose approximate euclidean key is within RECHECK * (|a|^2 + max|b|^2)
# of a heap's worst key are recomputed exactly (the product's own error is
# many orders of magnitude smaller).
cdef double RECHECK = 1e-9
cdef double COSINE_SLACK = 1e-15     # per feature: error bound of a dot of unit rows



def round_robin_tiles(Py_ssize_t n_bands):
    """Tiles (a, b), a <= b, of n_bands row bands, grouped in rounds of disjoint bands.

    Returns (tiles int64 (m, 2), round_start int64 (rounds + 1,)): the tiles of
    round r are tiles[round_start[r]:round_start[r + 1]].  The circle method
    pairs the bands off in n_bands - 1 rounds (one band rests per round when
    n_bands is odd); a last round holds the diagonal tiles.
    """
    m = n_bands + (n_bands % 2)
    ring = list(range(m))
    tiles, starts = [], [0]
    for _ in range(m - 1):
        for s in range(m // 2):
            a, b = ring[s], ring[m - 1 - s]
            if a < n_bands and b < n_bands:
                tiles.append((min(a, b), max(a, b)))
        starts.append(len(tiles))
        ring = [ring[0], ring[m - 1]] + ring[1:m - 1]
    tiles.extend((a, a) for a in range(n_bands))
    starts.append(len(tiles))
    if m - 1 == 0 or n_bands == 1:          # a single band: only its diagonal tile
        tiles = [(0, 0)] if n_bands else []
        starts = [0, len(tiles)]
    return (np.asarray(tiles, dtype=np.int64).reshape(-1, 2),
            np.asarray(starts, dtype=np.int64))


cdef inline double _approx_bound(double worst, int metric) noexcept nogil:
    """A heap's worst key in the space of approximate keys (a rescued
    euclidean key is negative: its squared distance is below 2**-960, ~0)."""
    if metric == EUCLIDEAN and worst < 0.0:
        return 0.0
    return worst


cdef void _exact_tile(const floating[:, :] X, Py_ssize_t a0, Py_ssize_t na, Py_ssize_t b0,
                      Py_ssize_t nb, bint diagonal, int metric, Py_ssize_t k,
                      double* RT, double* D, double* xrow,
                      double[:, ::1] hd, long long[:, ::1] hi) noexcept nogil:
    """Exact keys of a tile, vectorised across columns, offered to both sides' heaps."""
    cdef Py_ssize_t r, c, i, j, q, d = X.shape[1]
    cdef double key
    pack_transposed(X, b0, nb, RT)
    for r in range(na):
        i = a0 + r
        for q in range(d):
            xrow[q] = <double>X[i, q]
        fastal_block_raw(xrow, RT, d, nb, metric, D + r * nb)
        for c in range(nb):
            j = b0 + c
            if diagonal and c <= r:
                continue
            key = pair_key(D[r * nb + c], X, i, X, j, metric)
            kbest_push(&hd[i, 0], &hi[i, 0], k, key, j)
            kbest_push(&hd[j, 0], &hi[j, 0], k, key, i)


cdef void _product_tile(const floating[:, :] X, Py_ssize_t a0, Py_ssize_t na, Py_ssize_t b0,
                        Py_ssize_t nb, bint diagonal, int metric, Py_ssize_t k,
                        const double* center, double* PA, double* PB, double* sa, double* sb,
                        double* G, double* thr_col, double[:, ::1] hd,
                        long long[:, ::1] hi) noexcept nogil:
    """Approximate keys of a tile from a matrix product; candidates near a heap's
    worst key are recomputed exactly and offered to it."""
    cdef Py_ssize_t r, c, c0, i, j, d = X.shape[1]
    cdef double thr_row, margin_row, sbmax = 0.0, samax = 0.0, key
    cdef double* approx_row
    cdef double slack = COSINE_SLACK * (d + 4)
    pack_rows(X, a0, na, center, PA, sa)
    pack_rows(X, b0, nb, center, PB, sb)
    gemm_abt(PA, PB, G, <int>na, <int>nb, <int>d)
    if metric == EUCLIDEAN:
        for c in range(nb):
            if sb[c] > sbmax:
                sbmax = sb[c]
        for r in range(na):
            if sa[r] > samax:
                samax = sa[r]
    for c in range(nb):
        j = b0 + c
        if metric == EUCLIDEAN:
            thr_col[c] = _approx_bound(hd[j, 0], metric) + RECHECK * (sb[c] + samax) + 1e-300
        else:
            thr_col[c] = hd[j, 0] + slack
    for r in range(na):
        i = a0 + r
        if metric == EUCLIDEAN:
            margin_row = RECHECK * (sa[r] + sbmax) + 1e-300
        else:
            margin_row = slack
        thr_row = _approx_bound(hd[i, 0], metric) + margin_row
        c0 = r + 1 if diagonal else 0
        approx_row = G + r * nb
        if fastal_filter_row(approx_row, sa[r], sb, thr_row, thr_col, c0, nb, metric) == 0:
            continue
        for c in range(c0, nb):
            if approx_row[c] > thr_row and approx_row[c] > thr_col[c]:
                continue
            j = b0 + c
            key = pair_key(raw_pair(X, i, X, j, metric), X, i, X, j, metric)
            if kbest_push(&hd[i, 0], &hi[i, 0], k, key, j):
                thr_row = _approx_bound(hd[i, 0], metric) + margin_row
            if kbest_push(&hd[j, 0], &hi[j, 0], k, key, i):
                if metric == EUCLIDEAN:
                    thr_col[c] = (_approx_bound(hd[j, 0], metric)
                                  + RECHECK * (sb[c] + samax) + 1e-300)
                else:
                    thr_col[c] = hd[j, 0] + slack


def _knn(const floating[:, :] X, Py_ssize_t k, int metric, int n_threads):
    cdef bint use_product = metric != MANHATTAN and X.shape[1] >= GEMM_MIN_DIM
    cdef Py_ssize_t n = X.shape[0], d = X.shape[1]
    cdef Py_ssize_t B = PRODUCT_TILE if use_product else EXACT_TILE
    cdef Py_ssize_t n_bands = (n + B - 1) // B
    cdef Py_ssize_t rnd, t, t0, t1, a0, b0, na, nb, i, c, tid
    cdef Py_ssize_t per_thread = 2 * B * d + 4 * B + B * B + d
    cdef double* work = NULL
    cdef double* mine
    cdef double* center = NULL
    cdef double[::1] mu
    cdef fastal_stop stop
    fastal_stop_init(&stop)
    tiles_arr, starts_arr = round_robin_tiles(n_bands)
    cdef long long[:, ::1] tiles = tiles_arr
    cdef long long[::1] starts = starts_arr
    cdef Py_ssize_t n_rounds = starts_arr.shape[0] - 1
    dist_arr = np.full((n, k), INFINITY, dtype=np.float64)
    ind_arr = np.full((n, k), -1, dtype=np.int64)
    cdef double[:, ::1] hd = dist_arr
    cdef long long[:, ::1] hi = ind_arr
    if use_product and metric == EUCLIDEAN:
        mu = np.ascontiguousarray(np.mean(np.asarray(X), axis=0, dtype=np.float64))
        center = &mu[0]
    try:
        work = <double*> checked_malloc(n_threads * per_thread * sizeof(double))
        with nogil:
            for rnd in range(n_rounds):
                if stop_requested(&stop):
                    break
                t0 = starts[rnd]
                t1 = starts[rnd + 1]
                for t in prange(t0, t1, num_threads=n_threads, schedule="dynamic"):
                    tid = threadid()
                    mine = work + tid * per_thread
                    a0 = tiles[t, 0] * B
                    b0 = tiles[t, 1] * B
                    na = min(B, n - a0)
                    nb = min(B, n - b0)
                    if use_product:
                        # PA, PB: B x d each; sa, sb, thr_col: B each; G: B x B
                        _product_tile(X, a0, na, b0, nb, a0 == b0, metric, k, center,
                                      mine, mine + B * d, mine + 2 * B * d,
                                      mine + 2 * B * d + B, mine + 2 * B * d + 4 * B,
                                      mine + 2 * B * d + 2 * B, hd, hi)
                    else:
                        # RT: d x B; D: B x B; xrow: d
                        _exact_tile(X, a0, na, b0, nb, a0 == b0, metric, k,
                                    mine, mine + B * d, mine + B * d + B * B, hd, hi)
            if not stop.flag:
                for i in prange(n, num_threads=n_threads, schedule="static"):
                    kbest_sort(&hd[i, 0], &hi[i, 0], k)
                    for c in range(k):
                        hd[i, c] = key_distance(hd[i, c], metric)
        raise_if_stopped(&stop)
    finally:
        free(work)
    return ind_arr, dist_arr


def knn_search(X, n_neighbors, metric, n_threads):
    """Exact k nearest neighbours of every row of X among the other rows.

    Same contract as ``fastal._core._reference.knn_search``.
    """
    code = METRIC_CODES[metric]
    if code != MANHATTAN and X.shape[1] >= GEMM_MIN_DIM:
        with single_threaded_blas():
            return _knn(X, int(n_neighbors), code, int(n_threads))
    return _knn(X, int(n_neighbors), code, int(n_threads))
