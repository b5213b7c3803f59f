"""fastal's kernels: validation at the boundary, then the compiled or NumPy backend.

Every function accepts float32 or float64 arrays in C or Fortran order (other
numeric types are converted to float64), keeps the dtype of its result, and
works in blocks: no n x n matrix is ever built.  The backend is chosen by
``fastal._config`` (``FASTAL_BACKEND`` / ``fastal.use_backend``).
"""
import numpy as np
import scipy.sparse as sp

from fastal._config import backend_impl, resolve_n_threads
from fastal.utils.validation import (
    check_count, check_matrix, check_metric, check_vector)

__all__ = ["pairwise_density", "knn_density", "graph_density_select", "min_distance",
           "max_min_select"]

# Mean distances within this relative gap of the smallest count as tied when
# choosing the cold-start row (the first such row wins on both backends).
COLD_START_RTOL = 1e-9


def _check_pair(X, Y, name_x, name_y, min_rows_y=1):
    Y = check_matrix(Y, name_y, min_rows=min_rows_y)
    if Y.shape[1] != X.shape[1]:
        raise ValueError(f"{name_x} has {X.shape[1]} features but {name_y} has {Y.shape[1]}")
    if Y.dtype != X.dtype:
        Y = Y.astype(X.dtype)
    return Y


def pairwise_density(X, reference=None, *, metric="euclidean", similarity="inverse",
                     include_self=True, beta=1.0, n_jobs=None):
    """Mean similarity of every row of ``X`` to the rows of ``reference``.

    Parameters
    ----------
    X : array-like (n, d)
    reference : array-like (m, d) or None
        None: the rows of X themselves.
    metric : {"euclidean", "manhattan", "cosine"}
        Distance for ``similarity="inverse"`` (aliases ``cityblock``, ``l1``,
        ``l2``); cosine is 1 - cosine similarity.
    similarity : {"inverse", "cosine"}
        ``inverse``: 1 / (1 + d).  ``cosine``: the cosine similarity itself,
        computed exactly in O(n d) (``metric`` must then be euclidean or cosine
        and is not used).
    include_self : bool
        With ``reference=None``: whether a row's similarity to itself counts.
        False divides by n - 1 (libact ``InformationDensity``; a single row has
        density 1); True divides by n (modAL ``information_density``).
    beta : float
        The mean is raised to this power.
    n_jobs : int or None
        Threads (None: the OpenMP default, which threadpoolctl can limit).

    Returns
    -------
    ndarray (n,) with the dtype of X (float64 for non-float input).

    Examples
    --------
    >>> import numpy as np
    >>> from fastal.kernels import pairwise_density
    >>> pairwise_density(np.array([[0.0], [1.0], [3.0]]))
    array([0.58333333, 0.61111111, 0.52777778])
    """
    X = check_matrix(X, "X")
    metric = check_metric(metric)
    if similarity not in ("inverse", "cosine"):
        raise ValueError(f"unknown similarity {similarity!r}; valid: ['cosine', 'inverse']")
    if reference is not None:
        if not include_self:
            raise ValueError("include_self=False only applies when reference is None")
        reference = _check_pair(X, reference, "X", "reference")
    if similarity == "cosine" and metric == "manhattan":
        raise ValueError("similarity='cosine' does not use a distance metric; leave metric at 'euclidean'")
    beta = float(beta)
    if not np.isfinite(beta):
        raise ValueError(f"beta must be finite, got {beta}")
    n_threads = resolve_n_threads(n_jobs)
    impl = backend_impl()
    if similarity == "cosine":
        dens = impl.cosine_mean(X, reference, bool(include_self), n_threads)
    else:
        dens = impl.pair_mean(X, reference, metric, "inverse", bool(include_self), n_threads)
    if beta != 1.0:
        if not beta.is_integer() and (dens < 0).any():
            raise ValueError("some mean cosine similarities are negative; a non-integer beta "
                             "would make them NaN")
        dens = dens ** beta
    return dens.astype(X.dtype, copy=False)


def knn_density(X, n_neighbors=10, *, metric="manhattan", gamma=None, n_jobs=None):
    """Graph density on the symmetric k-nearest-neighbour graph (alipy's definition).

    Rows i and j are joined when either is among the other's ``n_neighbors``
    nearest rows (exact search; equal distances go to the smaller index; a row
    is not its own neighbour).  An edge weighs ``exp(-gamma * d(i, j))``; the
    density of a row is the mean weight of its edges (0 for a row whose edges
    all underflow to weight 0).

    Parameters
    ----------
    X : array-like (n, d), n >= 2
    n_neighbors : int in [1, n - 1]
    metric : {"manhattan", "euclidean", "cosine"}
    gamma : float > 0 or None (1 / n_features)
    n_jobs : int or None

    Returns
    -------
    density : ndarray (n,), dtype of X
    graph : scipy.sparse.csr_matrix (n, n), symmetric edge weights

    Examples
    --------
    >>> import numpy as np
    >>> from fastal.kernels import knn_density
    >>> density, graph = knn_density(np.array([[0.0], [1.0], [2.0], [10.0]]), n_neighbors=1)
    >>> graph.nnz
    6
    """
    X = check_matrix(X, "X", min_rows=2)
    n = X.shape[0]
    k = check_count(n_neighbors, "n_neighbors", 1, n - 1)
    metric = check_metric(metric)
    gamma = 1.0 / X.shape[1] if gamma is None else float(gamma)
    if not np.isfinite(gamma) or gamma <= 0:
        raise ValueError(f"gamma must be a positive number, got {gamma}")
    n_threads = resolve_n_threads(n_jobs)
    ind, dist = backend_impl().knn_search(X, k, metric, n_threads)
    graph = _symmetric_graph(ind, dist, gamma, n)
    nnz = np.diff(graph.indptr)
    sums = np.asarray(graph.sum(axis=1)).ravel()
    density = np.divide(sums, nnz, out=np.zeros(n), where=nnz > 0)
    return density.astype(X.dtype, copy=False), graph.astype(X.dtype, copy=False)


def _symmetric_graph(ind, dist, gamma, n):
    """CSR graph with an edge i-j of weight exp(-gamma d) if j is a neighbour of i or i of j."""
    k = ind.shape[1]
    rows = np.repeat(np.arange(n, dtype=np.int64), k)
    cols = ind.ravel()
    weights = np.exp(-gamma * dist.ravel())
    both_rows = np.concatenate([rows, cols])
    both_cols = np.concatenate([cols, rows])
    both_w = np.concatenate([weights, weights])
    keys, first = np.unique(both_rows * n + both_cols, return_index=True)
    keep = both_w[first] > 0
    keys, w = keys[keep], both_w[first][keep]
    return sp.csr_matrix((w, (keys // n, keys % n)), shape=(n, n))


def graph_density_select(density, graph, batch_size, exclude=None):
    """alipy's graph-density batch rule, in pick order.

    Excluded rows (the labeled ones) and picked rows are held at
    ``min(density) - 1``.  Each pick is the first argmax; every neighbour of the
    pick (an edge of positive weight) then loses the pick's current density.

    Examples
    --------
    >>> import numpy as np
    >>> from fastal.kernels import knn_density, graph_density_select
    >>> X = np.array([[0.0], [0.1], [0.2], [5.0], [5.1]])
    >>> density, graph = knn_density(X, n_neighbors=2)
    >>> graph_density_select(density, graph, 2).tolist()
    [1, 3]
    """
    if not sp.issparse(graph):
        raise TypeError("graph must be a scipy.sparse matrix (as returned by knn_density)")
    graph = sp.csr_matrix(graph)
    n = graph.shape[0]
    if graph.shape != (n, n):
        raise ValueError(f"graph must be square, got shape {graph.shape}")
    d = check_vector(density, n, "density").copy()
    if exclude is None:
        excl = np.zeros(0, dtype=np.int64)
    else:
        excl = np.unique(np.asarray(exclude, dtype=np.int64).ravel())
        if excl.size and (excl[0] < 0 or excl[-1] >= n):
            raise ValueError(f"exclude holds indices outside [0, {n})")
    batch = check_count(batch_size, "batch_size", 1, n - excl.size)
    if excl.size:
        d[excl] = d.min() - 1.0
    picks = []
    for _ in range(batch):
        s = int(np.argmax(d))
        picks.append(s)
        lo, hi = graph.indptr[s], graph.indptr[s + 1]
        nbrs = graph.indices[lo:hi][graph.data[lo:hi] > 0]
        d[nbrs] -= d[s]
        if excl.size:
            d[excl] = d.min() - 1.0
        d[picks] = d.min() - 1.0
    return np.asarray(picks, dtype=np.int64)


def min_distance(X, Y, *, metric="euclidean", n_jobs=None):
    """Distance from every row of ``X`` to its nearest row of ``Y`` (float64).

    Examples
    --------
    >>> import numpy as np
    >>> from fastal.kernels import min_distance
    >>> min_distance(np.array([[0.0, 0.0], [3.0, 4.0]]), np.array([[0.0, 0.0]]))
    array([0., 5.])
    """
    X = check_matrix(X, "X", min_rows=0)
    Y = _check_pair(X, Y, "X", "Y")
    metric = check_metric(metric)
    n_threads = resolve_n_threads(n_jobs)
    return backend_impl().min_distance(X, Y, metric, n_threads)


def max_min_select(X_pool, X_labeled, batch_size, *, scores=None, metric="euclidean",
                   n_jobs=None):
    """Greedy max-min batch: k-center greedy, or modAL's ranked batch with ``scores``.

    Every pick maximises, over the rows not picked yet, either the distance to
    the nearest labeled-or-picked row (``scores=None``: k-center greedy, Sener &
    Savarese), or ``alpha * (1 - 1 / (1 + that distance)) + (1 - alpha) *
    scores`` with ``alpha = |U'| / (|U'| + |L'|)`` (ranked batch, Cardoso et
    al.; modAL ``ranked_batch``).  Ties go to the first index.

    With no labeled rows (cold start, as modAL) the first pick is the row with
    the smallest mean distance to the pool (ties within a relative 1e-9 go to
    the first index); it then counts as labeled and, as in modAL, still counts
    in |U'| (it is never picked twice).

    Parameters
    ----------
    X_pool : array-like (n, d)
    X_labeled : array-like (m, d), m >= 0, or None
    batch_size : int in [1, n]
    scores : array-like (n,) or None
    metric : {"euclidean", "manhattan", "cosine"}
    n_jobs : int or None

    Returns
    -------
    ndarray (batch_size,) of int64 row indices into X_pool, in pick order.

    Examples
    --------
    >>> import numpy as np
    >>> from fastal.kernels import max_min_select
    >>> pool = np.array([[0.0], [1.0], [4.0], [9.0]])
    >>> max_min_select(pool, np.array([[0.0]]), 2).tolist()
    [3, 2]
    """
    X_pool = check_matrix(X_pool, "X_pool")
    n = X_pool.shape[0]
    if X_labeled is None:
        X_labeled = np.empty((0, X_pool.shape[1]), dtype=X_pool.dtype)
    X_labeled = _check_pair(X_pool, X_labeled, "X_pool", "X_labeled", min_rows_y=0)
    batch = check_count(batch_size, "batch_size", 1, n)
    metric = check_metric(metric)
    if scores is not None:
        scores = check_vector(scores, n, "scores")
    n_threads = resolve_n_threads(n_jobs)
    impl = backend_impl()
    if X_labeled.shape[0] == 0:
        mean_dist = impl.pair_mean(X_pool, None, metric, "distance", True, n_threads)
        lowest = mean_dist.min()
        cold = int(np.flatnonzero(mean_dist <= lowest + COLD_START_RTOL * abs(lowest))[0])
        md = impl.min_distance(X_pool, X_pool[cold:cold + 1], metric, n_threads)
        rest = impl.max_min_greedy(X_pool, md, batch - 1, scores, n, 1, cold, metric, n_threads)
        return np.concatenate([np.array([cold], dtype=np.int64), rest])
    md = impl.min_distance(X_pool, X_labeled, metric, n_threads)
    return impl.max_min_greedy(X_pool, md, batch, scores, n, X_labeled.shape[0], None,
                               metric, n_threads)
