"""Readable NumPy definitions of fastal's kernels.

This module is the specification: every function here has a compiled twin
with the same name and signature (``_density``, ``_knn``, ``_maxmin``) that
must return the same numbers (floating-point tolerances in the tests) and the
same selected indices.  It is also the backend used when the compiled
extension is missing or ``FASTAL_BACKEND=python`` is set.

Conventions shared by both backends
-----------------------------------
* Distances are computed in float64 whatever the input dtype, one pair at a
  time by summing over the features in order (as ``scipy.spatial.distance``
  does): euclidean, manhattan (``cityblock``), and cosine = 1 - cos clipped to
  [0, 2], where a row of zeros has cosine similarity 0 with every row.
* When the reference set is the data itself, a row's distance to itself is 0.
* Work is done in row blocks; no function builds an n x n matrix.
* ``n_threads`` is accepted for signature parity and ignored here.
"""
import numpy as np
from scipy.spatial.distance import cdist

BLOCK = 256
_SCIPY_NAMES = {"euclidean": "euclidean", "manhattan": "cityblock"}


def _unit_rows(A):
    norms = np.sqrt(np.einsum("ij,ij->i", A, A))
    safe = np.where(norms > 0, norms, 1.0)
    return A / safe[:, None]


def distances(A, B, metric):
    """Dense distance matrix between the rows of A and B (float64)."""
    A = np.asarray(A, dtype=np.float64)
    B = np.asarray(B, dtype=np.float64)
    if metric == "cosine":
        return np.clip(1.0 - _unit_rows(A) @ _unit_rows(B).T, 0.0, 2.0)
    return cdist(A, B, _SCIPY_NAMES[metric])


def pair_mean(X, R, metric, transform, include_self, n_threads):
    """Mean over reference rows of t(d(x_i, r_j)) for every row of X.

    Parameters
    ----------
    X : ndarray (n, d)
    R : ndarray (m, d) or None
        None means the reference set is X itself (then d(x_i, x_i) = 0).
    metric : {"euclidean", "manhattan", "cosine"}
    transform : {"inverse", "distance"}
        ``inverse`` is 1 / (1 + d); ``distance`` is d itself.
    include_self : bool
        Only with R None: False leaves out the j = i term and divides by n - 1.
        A mean over no rows is 1.

    Returns
    -------
    ndarray (n,) float64
    """
    self_ref = R is None
    ref = X if self_ref else R
    n, m = X.shape[0], ref.shape[0]
    sums = np.zeros(n)
    for start in range(0, n, BLOCK):
        stop = min(start + BLOCK, n)
        D = distances(X[start:stop], ref, metric)
        rows = np.arange(start, stop)
        if self_ref:
            D[rows - start, rows] = 0.0
        T = 1.0 / (1.0 + D) if transform == "inverse" else D
        if self_ref and not include_self:
            T[rows - start, rows] = 0.0
        sums[start:stop] = T.sum(axis=1)
    count = m - (1 if (self_ref and not include_self) else 0)
    if count <= 0:
        return np.ones(n)
    return sums / count


def cosine_mean(X, R, include_self, n_threads):
    """Mean cosine similarity of every row of X to the reference rows.

    Uses the exact identity sum_j cos(x, r_j) = x_hat . sum_j r_hat_j.
    With R None and include_self False the self term (1 for a non-zero row,
    0 for a zero row) is left out and the sum divided by n - 1.
    """
    self_ref = R is None
    ref = X if self_ref else R
    Xh = _unit_rows(np.asarray(X, dtype=np.float64))
    Rh = Xh if self_ref else _unit_rows(np.asarray(ref, dtype=np.float64))
    sums = Xh @ Rh.sum(axis=0)
    if self_ref and not include_self:
        sums -= (np.abs(Xh).sum(axis=1) > 0).astype(np.float64)
    count = ref.shape[0] - (1 if (self_ref and not include_self) else 0)
    if count <= 0:
        return np.ones(X.shape[0])
    return sums / count


def knn_search(X, n_neighbors, metric, n_threads):
    """The k nearest other rows of every row of X.

    Returns (indices int64 (n, k), distances float64 (n, k)), each row sorted
    by (distance, index): equal distances go to the smaller index.  A row is
    not its own neighbour (a duplicate row at distance 0 is).
    """
    n = X.shape[0]
    k = int(n_neighbors)
    ind = np.empty((n, k), dtype=np.int64)
    dist = np.empty((n, k))
    for start in range(0, n, BLOCK):
        stop = min(start + BLOCK, n)
        rows = np.arange(start, stop)
        if metric == "euclidean":
            key = cdist(np.asarray(X[start:stop], dtype=np.float64),
                        np.asarray(X, dtype=np.float64), "sqeuclidean")
        else:
            key = distances(X[start:stop], X, metric)
        key[rows - start, rows] = np.inf
        order = np.argsort(key, axis=1, kind="stable")[:, :k]
        best = np.take_along_axis(key, order, axis=1)
        ind[start:stop] = order
        dist[start:stop] = np.sqrt(best) if metric == "euclidean" else best
    return ind, dist


def min_distance(X, Y, metric, n_threads):
    """Distance from every row of X to its nearest row of Y (float64, (n,))."""
    out = np.empty(X.shape[0])
    for start in range(0, X.shape[0], BLOCK):
        stop = min(start + BLOCK, X.shape[0])
        out[start:stop] = distances(X[start:stop], Y, metric).min(axis=1)
    return out


def max_min_greedy(X, min_dist, batch_size, scores, n_unlabeled, n_labeled, exclude,
                   metric, n_threads):
    """Greedy max-min selection of ``batch_size`` rows of X, in pick order.

    ``min_dist[i]`` is row i's distance to the labeled set.  At every pick:

    * ``scores is None`` (k-center greedy): pick the first argmax of min_dist;
    * otherwise (ranked batch): alpha = U / (U + L) with U = n_unlabeled - picks
      so far and L = n_labeled + picks so far, and the pick is the first argmax
      of alpha * (1 - 1 / (1 + min_dist)) + (1 - alpha) * scores.

    The picked row joins the labeled set: min_dist takes the minimum with the
    distances to it.  Row ``exclude`` (or None) is never picked.
    """
    n = X.shape[0]
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
            s = alpha * (1.0 - 1.0 / (1.0 + md)) + (1.0 - alpha) * scores
        s[~available] = -np.inf
        pick = int(np.argmax(s))
        picks.append(pick)
        available[pick] = False
        md = np.minimum(md, distances(X, X[pick:pick + 1], metric)[:, 0])
    return np.asarray(picks, dtype=np.int64)
