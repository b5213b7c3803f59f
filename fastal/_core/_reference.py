"""Readable NumPy definitions of fastal's kernels.

This module is the specification: every function here has a compiled twin
with the same name and signature (``_density``, ``_knn``, ``_maxmin``) that
must return the same numbers (floating-point tolerances in the tests) and the
same selected indices.  It is also the backend used when the compiled
extension is missing or ``FASTAL_BACKEND=python`` is set.

Conventions shared by both backends
-----------------------------------
* Rows arrive prepared by ``fastal.kernels`` (``prepare_rows``): euclidean
  and manhattan rows in a frame scaled by a power of two ``scale`` so that no
  squared sum can overflow (the largest |value| is at most 2**480); cosine
  rows as canonical unit rows, so magnitudes never matter.
* Distances are computed in float64 whatever the input dtype, one pair at a
  time by summing over the features in order (as ``scipy.spatial.distance``
  does): euclidean, manhattan (``cityblock``), and cosine = 1 - (dot product
  of the unit rows) clipped to [0, 2]; a zero row stays a zero row, so its
  cosine similarity is 0 with every row.
* Euclidean pairs are ranked by a key: the squared distance, or, when that is
  below ``TINY`` = 2**-960 (it may have underflowed), -(2**-64 / D) with the
  distance D recomputed with the differences scaled by a power of two
  (``robust_euclidean``): negative, so below every squared sum, and in the
  same order as D.  ``key_to_distance`` turns keys back into distances (a
  rescued distance carries two roundings more than a plain one).
* When the reference set is the data itself, a row's distance to itself is 0.
* Work is done in row blocks; no function builds an n x n matrix.
* ``n_threads`` is accepted for signature parity and ignored here.
"""
import numpy as np
from scipy.spatial.distance import cdist

BLOCK = 256
TINY = 2.0 ** -960
KEY_UNIT = 2.0 ** -64
_SCIPY_NAMES = {"euclidean": "sqeuclidean", "manhattan": "cityblock"}


def sequential_row_sums(P):
    """Sum over the columns of P in order, for every row (the compiled loops' order)."""
    total = np.zeros(P.shape[0])
    for k in range(P.shape[1]):
        total = total + P[:, k]
    return total


def robust_euclidean(A, B):
    """Euclidean distance of the row pairs (A[p], B[p]) with power-of-two scaling.

    With m = max |a_k - b_k| = f * 2**e (0.5 <= f < 1), the differences are
    multiplied by 2**-e (exact) before squaring, so nothing under- or overflows.
    """
    diff = np.asarray(A, dtype=np.float64) - np.asarray(B, dtype=np.float64)
    _, e = np.frexp(np.abs(diff).max(axis=1))
    scaled = diff * np.ldexp(1.0, -e)[:, None]
    return np.ldexp(np.sqrt(sequential_row_sums(scaled * scaled)), e)


def euclidean_keys(A, B):
    """Matrix of euclidean keys between the rows of A and B.

    A squared distance of at least TINY is its own key.  Below TINY (it may
    have underflowed) the distance D is recomputed by ``robust_euclidean`` and
    the key is -(2**-64 / D): negative, increasing with D, -inf for D = 0.
    """
    keys = cdist(np.asarray(A, dtype=np.float64), np.asarray(B, dtype=np.float64), "sqeuclidean")
    low_i, low_j = np.nonzero(keys < TINY)
    if low_i.size:
        with np.errstate(divide="ignore"):
            keys[low_i, low_j] = -(KEY_UNIT / robust_euclidean(A[low_i], B[low_j]))
    return keys


def key_to_distance(keys, out=None):
    """Euclidean distances from their keys (``out=keys`` converts in place)."""
    keys = np.asarray(keys, dtype=np.float64)
    low = np.nonzero(keys < 0.0)
    with np.errstate(divide="ignore"):
        rescued = KEY_UNIT / -keys[low]        # -inf gives 0
    out = np.sqrt(np.maximum(keys, 0.0, out=out), out=out)
    out[low] = rescued
    return out


def cosine_distances(A, B):
    """1 - (sequential dot product of unit rows), clipped to [0, 2]."""
    A = np.asarray(A, dtype=np.float64)
    B = np.asarray(B, dtype=np.float64)
    dots = np.zeros((A.shape[0], B.shape[0]))
    for k in range(A.shape[1]):
        dots = dots + np.multiply.outer(A[:, k], B[:, k])
    return np.clip(1.0 - dots, 0.0, 2.0)


def keys(A, B, metric):
    """Ranking keys between the rows of A and B: euclidean keys, other distances."""
    if metric == "euclidean":
        return euclidean_keys(A, B)
    if metric == "cosine":
        return cosine_distances(A, B)
    return cdist(np.asarray(A, dtype=np.float64), np.asarray(B, dtype=np.float64), "cityblock")


def distances(A, B, metric):
    """Dense distance matrix between the rows of A and B (float64)."""
    K = keys(A, B, metric)
    return key_to_distance(K, out=K) if metric == "euclidean" else K


def inverse_similarity(D, scale):
    """1 / (1 + D / scale), written as scale / (scale + D) (no overflow)."""
    return scale / (scale + D)


def pair_sums(X, R, metric, transform, include_self, n_threads, scale=1.0):
    """Sum over reference rows of t(d(x_i, r_j)) for every row of X.

    Parameters
    ----------
    X : ndarray (n, d)
    R : ndarray (m, d) or None
        None means the reference set is X itself (then d(x_i, x_i) = 0).
    metric : {"euclidean", "manhattan", "cosine"}
    transform : {"inverse", "distance"}
        ``inverse`` is 1 / (1 + d / scale); ``distance`` is d itself.
    include_self : bool
        Only with R None: False leaves out the j = i term.
    scale : float
        The power of two the rows were multiplied by (see the module notes).

    Returns
    -------
    ndarray (n,) float64
    """
    self_ref = R is None
    ref = X if self_ref else R
    n = X.shape[0]
    sums = np.zeros(n)
    for start in range(0, n, BLOCK):
        stop = min(start + BLOCK, n)
        D = distances(X[start:stop], ref, metric)
        rows = np.arange(start, stop)
        if self_ref:
            D[rows - start, rows] = 0.0
        T = inverse_similarity(D, scale) if transform == "inverse" else D
        if self_ref and not include_self:
            T[rows - start, rows] = 0.0
        sums[start:stop] = T.sum(axis=1)
    return sums


def cosine_sums(X, R, include_self, n_threads):
    """Sum of the cosine similarities of every row of X to the reference rows.

    Rows are first made unit rows as ``fastal.kernels.unit_rows`` defines
    (by their largest |value|, then by their norm; zero rows stay zero), then
    the exact identity sum_j cos(x, r_j) = x_hat . sum_j r_hat_j is used.
    With R None and include_self False the self term (1 for a non-zero row,
    0 for a zero row) is left out.
    """
    from fastal.kernels import unit_rows
    self_ref = R is None
    Xh = unit_rows(X)
    Rh = Xh if self_ref else unit_rows(R)
    sums = Xh @ Rh.sum(axis=0)
    if self_ref and not include_self:
        sums -= (np.abs(Xh).sum(axis=1) > 0).astype(np.float64)
    return sums


def knn_search(X, n_neighbors, metric, n_threads):
    """The k nearest other rows of every row of X.

    Returns (indices int64 (n, k), distances float64 (n, k)), each row sorted
    by (key, index): equal keys go to the smaller index.  A row is not its own
    neighbour (a duplicate row at distance 0 is).
    """
    n = X.shape[0]
    k = int(n_neighbors)
    ind = np.empty((n, k), dtype=np.int64)
    dist = np.empty((n, k))
    for start in range(0, n, BLOCK):
        stop = min(start + BLOCK, n)
        rows = np.arange(start, stop)
        key = keys(X[start:stop], X, metric)
        key[rows - start, rows] = np.inf
        order = np.argsort(key, axis=1, kind="stable")[:, :k]
        best = np.take_along_axis(key, order, axis=1)
        ind[start:stop] = order
        dist[start:stop] = key_to_distance(best) if metric == "euclidean" else best
    return ind, dist


def min_distance(X, Y, metric, n_threads):
    """Distance from every row of X to its nearest row of Y (float64, (n,))."""
    out = np.empty(X.shape[0])
    for start in range(0, X.shape[0], BLOCK):
        stop = min(start + BLOCK, X.shape[0])
        out[start:stop] = distances(X[start:stop], Y, metric).min(axis=1)
    return out


def max_min_greedy(X, min_dist, batch_size, scores, n_unlabeled, n_labeled, exclude,
                   metric, n_threads, scale=1.0):
    """Greedy max-min selection of ``batch_size`` rows of X, in pick order.

    ``min_dist[i]`` is row i's distance to the labeled set.  At every pick:

    * ``scores is None`` (k-center greedy): pick the first argmax of min_dist;
    * otherwise (ranked batch): alpha = U / (U + L) with U = n_unlabeled - picks
      so far and L = n_labeled + picks so far, and the pick is the first argmax
      of alpha * (1 - 1 / (1 + min_dist / scale)) + (1 - alpha) * scores.

    The picked row joins the labeled set: min_dist takes the minimum with the
    distances to it.  Row ``exclude`` (or None) is never picked.
    """
    return _greedy(X.shape[0], min_dist, batch_size, scores, n_unlabeled, n_labeled, exclude,
                   scale, lambda pick: distances(X, X[pick:pick + 1], metric)[:, 0])


def check_pickable(n, batch_size, exclude):
    """ValueError unless ``batch_size`` rows can be picked among n rows less ``exclude``."""
    rows = n - (exclude is not None)
    if batch_size > rows:
        raise ValueError(f"batch_size {batch_size} exceeds the {rows} rows that can be picked")


def _greedy(n, min_dist, batch_size, scores, n_unlabeled, n_labeled, exclude, scale,
            distances_to):
    """The pick loop of ``max_min_greedy``; ``distances_to(i)``: every row's distance to row i."""
    check_pickable(n, batch_size, exclude)
    md = np.array(min_dist, dtype=np.float64, copy=True)
    available = np.ones(n, dtype=bool)
    if exclude is not None:
        available[exclude] = False
    picks = []
    for t in range(int(batch_size)):
        if scores is None:
            s = md.copy()
        else:
            U = n_unlabeled - t
            L = n_labeled + t
            alpha = U / (U + L)
            s = alpha * (1.0 - inverse_similarity(md, scale)) + (1.0 - alpha) * scores
        s[~available] = -np.inf
        pick = int(np.argmax(s))
        picks.append(pick)
        available[pick] = False
        md = np.minimum(md, distances_to(pick))
    return np.asarray(picks, dtype=np.int64)


def value_range(X, n_threads):
    """(smallest, largest) value of X as floats, infinities included.

    (nan, nan) when X holds a NaN; (inf, -inf) when X is empty.  The
    kernels' wrappers check finiteness and choose the scale frame with it.
    """
    A = np.asarray(X)
    if A.size == 0:
        return (np.inf, -np.inf)
    low, high = float(A.min()), float(A.max())
    if np.isnan(low) or np.isnan(high):
        return (np.nan, np.nan)
    return (low, high)


UNIT_ROW_BLOCK = 4096   # rows made unit at once by the twin (bounded temporaries)


def unit_rows(X, n_threads):
    """Canonical unit rows (float64, C order): every row x divided by max|x|,
    then by the euclidean norm of the result (its squares summed over the
    features in order); a zero row stays zero.

    Dividing by the largest |value| first makes magnitudes irrelevant (no
    overflow or underflow) and gives bitwise identical rows for exactly
    collinear rows (x and c x, c > 0).
    """
    X = np.asarray(X)
    out = np.empty(X.shape, dtype=np.float64)
    for start in range(0, X.shape[0], UNIT_ROW_BLOCK):
        block = np.asarray(X[start:start + UNIT_ROW_BLOCK], dtype=np.float64)
        peak = np.abs(block).max(axis=1)
        V = block / np.where(peak > 0, peak, 1.0)[:, None]
        norm = np.sqrt(sequential_row_sums(V * V))
        out[start:start + UNIT_ROW_BLOCK] = V / np.where(norm > 0, norm, 1.0)[:, None]
    return out


# -- sparse rows --------------------------------------------------------------------------
# CSR matrices (float64 values, sorted column indices, no duplicates) are
# handled block by block: two blocks of rows are made dense on the union of
# their non-zero columns only, and the dense definitions above run on them.
# Columns where both rows are zero add exactly nothing to a sequential sum,
# so every number is bitwise the one the same rows would give dense.
SPARSE_ROWS = 32        # rows of X per block
SPARSE_REF_ROWS = 128   # rows of the reference per block


def restricted_dense(A, B):
    """A and B (CSR blocks) as dense arrays over the union of their non-zero columns."""
    cols = np.union1d(A.indices, B.indices)
    if cols.size == 0:
        cols = np.zeros(1, dtype=np.int64)
    return A[:, cols].toarray(), B[:, cols].toarray()


def _sparse_block_pairs(X, R):
    """(start, stop, ref_start, ref_stop, dense X block, dense R block) over all block pairs."""
    for start in range(0, X.shape[0], SPARSE_ROWS):
        stop = min(start + SPARSE_ROWS, X.shape[0])
        for rstart in range(0, R.shape[0], SPARSE_REF_ROWS):
            rstop = min(rstart + SPARSE_REF_ROWS, R.shape[0])
            yield (start, stop, rstart, rstop) + restricted_dense(X[start:stop], R[rstart:rstop])


def sparse_pair_sums(X, R, metric, transform, include_self, n_threads, scale=1.0):
    """``pair_sums`` of CSR rows."""
    self_ref = R is None
    ref = X if self_ref else R
    sums = np.zeros(X.shape[0])
    for start, stop, rstart, rstop, A, B in _sparse_block_pairs(X, ref):
        D = distances(A, B, metric)
        if self_ref:
            rows, cols = np.nonzero(np.arange(start, stop)[:, None] == np.arange(rstart, rstop))
            D[rows, cols] = 0.0
        T = inverse_similarity(D, scale) if transform == "inverse" else D
        if self_ref:
            T[rows, cols] = T[rows, cols] if include_self else 0.0
        sums[start:stop] += T.sum(axis=1)
    return sums


def sparse_cosine_sums(X, R, include_self, n_threads):
    """``cosine_sums`` of CSR rows (made unit rows as ``fastal.kernels.unit_rows`` does)."""
    from fastal.kernels import unit_rows
    self_ref = R is None
    Xh = unit_rows(X)
    Rh = Xh if self_ref else unit_rows(R)
    sums = Xh @ np.asarray(Rh.sum(axis=0)).ravel()
    if self_ref and not include_self:
        sums -= (np.asarray(abs(Xh).sum(axis=1)).ravel() > 0).astype(np.float64)
    return sums


def _sparse_keys(X, R, metric):
    """Rows of X in blocks, each with its keys to every row of R: (start, stop, K)."""
    for start in range(0, X.shape[0], SPARSE_ROWS):
        stop = min(start + SPARSE_ROWS, X.shape[0])
        parts = []
        for rstart in range(0, R.shape[0], SPARSE_REF_ROWS):
            A, B = restricted_dense(X[start:stop], R[rstart:rstart + SPARSE_REF_ROWS])
            parts.append(keys(A, B, metric))
        yield start, stop, np.hstack(parts)


def sparse_knn_search(X, n_neighbors, metric, n_threads):
    """``knn_search`` of CSR rows."""
    n, k = X.shape[0], int(n_neighbors)
    ind = np.empty((n, k), dtype=np.int64)
    dist = np.empty((n, k))
    for start, stop, K in _sparse_keys(X, X, metric):
        rows = np.arange(start, stop)
        K[rows - start, rows] = np.inf
        order = np.argsort(K, axis=1, kind="stable")[:, :k]
        best = np.take_along_axis(K, order, axis=1)
        ind[start:stop] = order
        dist[start:stop] = key_to_distance(best) if metric == "euclidean" else best
    return ind, dist


def sparse_min_distance(X, Y, metric, n_threads):
    """``min_distance`` of CSR rows."""
    out = np.empty(X.shape[0])
    for start, stop, K in _sparse_keys(X, Y, metric):
        best = K.min(axis=1)
        out[start:stop] = key_to_distance(best) if metric == "euclidean" else best
    return out


def sparse_max_min_greedy(X, min_dist, batch_size, scores, n_unlabeled, n_labeled, exclude,
                          metric, n_threads, scale=1.0):
    """``max_min_greedy`` of CSR rows."""
    return _greedy(X.shape[0], min_dist, batch_size, scores, n_unlabeled, n_labeled, exclude,
                   scale, lambda pick: sparse_min_distance(X, X[pick:pick + 1], metric,
                                                           n_threads))


def sparse_value_range(X, n_threads):
    """``value_range`` of the stored values of a CSR matrix (implicit zeros not counted)."""
    return value_range(X.data, n_threads)
