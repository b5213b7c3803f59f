"""fastal's kernels: validation at the boundary, then the compiled or NumPy backend.

Every function accepts float32 or float64 arrays in C or Fortran order (other
numeric types are converted to float64), keeps the dtype of its result, and
works in blocks: no n x n matrix is ever built.  The backend is chosen by
``fastal._config`` (``FASTAL_BACKEND`` / ``fastal.use_backend``).
"""
import numpy as np
import scipy.sparse as sp

from fastal._ann import LowRecallWarning
from fastal._config import backend_impl, resolve_n_threads
from fastal.utils.validation import (
    assert_all_finite, check_count, check_indices, check_matrix, check_metric, check_vector,
    shares_scans, value_range_of)

__all__ = ["pairwise_density", "similarity_sums", "drawn_similarity_sums", "mean_of_sums",
           "unit_rows", "knn_density", "graph_density_select", "min_distance", "max_min_select",
           "LowRecallWarning"]

# Mean distances within this relative gap of the smallest count as tied when
# choosing the cold-start row (the first such row wins on both backends).
COLD_START_RTOL = 1e-9
# float64 rows whose largest |value| lies outside [2**-SAFE_EXPONENT,
# 2**SAFE_EXPONENT] are multiplied by a power of two first (see prepare_rows).
SAFE_EXPONENT = 480


def unit_rows(X, *, n_jobs=None):
    """Canonical unit rows (float64): x / max|x|, then divided by its euclidean norm.

    Dividing by the largest |value| first makes magnitudes irrelevant (no
    overflow or underflow) and gives bitwise identical rows for exactly
    collinear inputs (x and c * x with c > 0), so their cosine distances tie
    exactly.  A zero row stays zero.  The norm is summed over the features in
    order, as the compiled loops sum; dense rows are made by the current
    backend (``unit_rows``, on ``n_jobs`` threads).  A scipy.sparse matrix
    gives a CSR matrix with the same values at its non-zeros.
    """
    if sp.issparse(X):
        return _sparse_unit_rows(X)
    return backend_impl().unit_rows(np.asarray(X), resolve_n_threads(n_jobs))


def _sparse_unit_rows(X):
    X = sp.csr_matrix(X, dtype=np.float64, copy=True)
    X.sort_indices()
    counts = np.diff(X.indptr)
    rows = np.repeat(np.arange(X.shape[0]), counts)
    starts = X.indptr[:-1]
    peak = np.ones(X.shape[0])
    filled = counts > 0
    peak[filled] = np.maximum.reduceat(np.abs(X.data), starts[filled]) if X.nnz else 1.0
    V = X.data / peak[rows]
    square = np.zeros(X.shape[0])      # summed in column order, row by row
    for p in range(int(counts.max()) if counts.size else 0):
        has = counts > p
        square[has] = square[has] + V[starts[has] + p] ** 2
    norm = np.sqrt(square)
    X.data = V / np.where(norm > 0, norm, 1.0)[rows]
    return X


def _largest_magnitude(arrays, n_threads):
    """The largest |value| stored in any of the (dense or CSR) arrays (0 if none)."""
    peak = 0.0
    for A in arrays:
        low, high = value_range_of(A.data if sp.issparse(A) else A, n_threads)
        peak = max(peak, high, -low)
    return peak


def prepare_rows(metric, X, *others, n_threads=None):
    """Rows in the frame the backends compute in, and that frame's scale.

    cosine: canonical unit rows (``unit_rows``), scale 1.  euclidean and
    manhattan: float64 rows whose largest |value| M is above 2**480 or below
    2**-480 are multiplied by ``scale`` = 2**-e with M = f * 2**e, an exact
    operation that brings M into [0.5, 1) and keeps every squared sum finite
    (values below 2**-1022 after scaling become subnormal); other rows are
    used as they are (scale 1).  Distances in the frame are ``scale`` times
    the true ones.

    Returns
    -------
    (scale, X', *others')
    """
    if metric == "cosine":
        return (1.0, unit_rows(X, n_jobs=n_threads), *(unit_rows(Y, n_jobs=n_threads)
                                                       for Y in others))
    if X.dtype != np.float64:
        return (1.0, X, *others)
    peak = _largest_magnitude((X, *others),
                              resolve_n_threads(None) if n_threads is None else n_threads)
    if peak == 0.0 or 2.0 ** -SAFE_EXPONENT <= peak <= 2.0 ** SAFE_EXPONENT:
        return (1.0, X, *others)
    scale = float(np.ldexp(1.0, -np.frexp(peak)[1]))
    return (scale, *(A.multiply(scale).tocsr() if sp.issparse(A) else A * scale
                     for A in (X, *others)))


def mean_of_sums(sums, n_reference, leave_self_out):
    """Means from ``similarity_sums``: divided by the reference rows (less one when a
    row's own term is left out); a mean over no rows is 1 (libact's rule)."""
    count = n_reference - (1 if leave_self_out else 0)
    if count <= 0:
        return np.ones(len(sums))
    return sums / count


def _unscale(distances, scale, what):
    """True distances from distances in a frame scaled by ``scale``; overflow is an error."""
    if scale == 1.0:
        return distances
    with np.errstate(over="ignore"):
        out = distances / scale
    if not np.isfinite(out).all():
        raise ValueError(f"{what} exceed the largest float64 number; divide the data by a "
                         "constant first")
    return out


def check_rows(X, name="X", min_rows=1):
    """A dense matrix (``check_matrix``) or a canonical CSR matrix.

    Sparse input of any scipy format (COO, CSC, ..., sparse arrays) becomes
    a CSR matrix with sorted column indices, duplicates summed and explicit
    zeros removed (a copy: the caller's matrix is never changed); integer
    values become float64; NaN or infinity among the stored values is an error.
    """
    if not sp.issparse(X):
        return check_matrix(X, name, min_rows=min_rows)
    if X.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {X.dtype}")
    if X.ndim != 2 or X.shape[1] == 0:
        raise ValueError(f"{name} must be 2-D with at least one feature, got shape {X.shape}")
    if X.shape[0] < min_rows:
        raise ValueError(f"{name} needs at least {min_rows} row(s), got {X.shape[0]}")
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    X = sp.csr_matrix(X, dtype=dtype, copy=True)
    X.sum_duplicates()
    X.sort_indices()
    X.eliminate_zeros()
    assert_all_finite(X.data, name)
    return X


def _check_pair(X, Y, name_x, name_y, min_rows_y=1):
    Y = check_rows(Y, name_y, min_rows=min_rows_y)
    if Y.shape[1] != X.shape[1]:
        raise ValueError(f"{name_x} has {X.shape[1]} features but {name_y} has {Y.shape[1]}")
    if sp.issparse(X) and not sp.issparse(Y):
        Y = check_rows(sp.csr_matrix(Y), name_y, min_rows=min_rows_y)
    elif sp.issparse(Y) and not sp.issparse(X):
        raise TypeError(f"{name_y} is sparse but {name_x} is dense; pass both dense or both "
                        "sparse")
    if Y.dtype != X.dtype:
        with np.errstate(over="ignore"):
            Y = Y.astype(X.dtype)
        values = Y.data if sp.issparse(Y) else Y
        if not np.isfinite(values).all():     # finite before the cast: beyond X's range
            raise ValueError(f"{name_y} holds values beyond the range of {X.dtype}, the dtype "
                             f"of {name_x}; pass {name_x} as float64")
    return Y


def _kernel(impl, name, X):
    """The backend's kernel ``name``, its sparse variant for CSR rows."""
    return getattr(impl, ("sparse_" if sp.issparse(X) else "") + name)


@shares_scans
def pairwise_density(X, reference=None, *, metric="euclidean", similarity="inverse",
                     include_self=True, beta=1.0, n_jobs=None, n_samples=None,
                     random_state=None, return_std=False, sampling="uniform"):
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
    n_samples : int or None
        None: the exact mean over every reference row.  m: the mean over m
        reference rows drawn at random without replacement (the same rows for
        every row of X; a row of X drawn as its own reference is left out when
        ``include_self`` is False), an unbiased estimate of the exact mean in
        O(n m d).  m at least the number of reference rows gives the exact
        result.
    random_state : None, int, RandomState or Generator
        The draw of the reference rows (``n_samples`` only).
    sampling : {"uniform", "stratified", "local"}, default "uniform"
        How the ``n_samples`` reference rows are drawn.  ``uniform``: m rows
        without replacement.  ``stratified``: the reference rows are grouped
        around min(256, m / 4) random pivot rows (each row with its nearest
        pivot, under ``metric``) and drawn systematically through that order,
        so every group of similar rows gets its share of the m draws; each row
        is still drawn with probability m / N and the mean (a Horvitz-Thompson
        sum) stays unbiased, with a much smaller error when a row's density
        comes mostly from a small cluster of close rows.  ``local``: the
        reference rows are grouped around min(2 N / m, sqrt N) random pivots
        (cells of about max(m / 2, sqrt N) rows); each row's similarities to
        the reference rows of its own cell (its nearest pivot's) are summed
        exactly, and those to the other cells are estimated from m rows
        drawn as ``stratified`` draws them (the drawn rows of its own cell
        left out).  Still unbiased; the close rows that dominate a row's
        density are counted exactly, so the largest errors shrink
        severalfold, for about m + 2 max(m / 2, sqrt N) similarities and
        distances per row instead of m (1.5 m + 2 N / m when m >= 2 sqrt N).
    return_std : bool
        Also return each row's standard error (``n_samples`` only): the
        reference rows are drawn as 16 random groups (fewer when m < 32) and the
        spread of the group means, with the finite-population correction,
        estimates the error of the overall mean (15 degrees of freedom, so the
        estimate itself varies by about 18 %); with ``beta`` it is carried
        through by the derivative of mean ** beta.  Zero when the result is exact.

    Returns
    -------
    density : ndarray (n,) with the dtype of X (float64 for non-float input).
    std : ndarray (n,), only with ``return_std=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastal.kernels import pairwise_density
    >>> pairwise_density(np.array([[0.0], [1.0], [3.0]]))
    array([0.58333333, 0.61111111, 0.52777778])
    >>> X = np.random.default_rng(0).normal(size=(2000, 5))
    >>> exact = pairwise_density(X)
    >>> estimate, std = pairwise_density(X, n_samples=400, random_state=0, return_std=True)
    >>> bool(np.all(np.abs(estimate - exact) < 5 * std))
    True
    """
    beta = float(beta)
    if not np.isfinite(beta):
        raise ValueError(f"beta must be finite, got {beta}")
    X = check_rows(X, "X")
    if not isinstance(return_std, (bool, np.bool_)):
        raise TypeError(f"return_std must be True or False, got {return_std!r}")
    n_reference = X.shape[0] if reference is None else np.shape(reference)[0]
    std = None
    if n_samples is None:
        if return_std:
            raise ValueError("return_std=True needs n_samples: the exact density "
                             "(n_samples=None) has no sampling error")
        sums = similarity_sums(X, reference, metric=metric, similarity=similarity,
                               include_self=include_self, n_jobs=n_jobs)
        dens = mean_of_sums(sums, n_reference, reference is None and not include_self)
    else:
        if sampling not in SAMPLINGS:
            raise ValueError(f"unknown sampling {sampling!r}; valid: {sorted(SAMPLINGS)}")
        dens, std = _sampled_density(X, reference, n_samples, random_state, return_std, sampling,
                                     metric=metric, similarity=similarity,
                                     include_self=include_self, n_jobs=n_jobs)
    if beta != 1.0:
        if not beta.is_integer() and (dens < 0).any():
            raise ValueError("some mean cosine similarities are negative; a non-integer beta "
                             "would make them NaN")
        if std is not None:   # d(mean ** beta) = beta mean ** (beta - 1) d(mean)
            with np.errstate(divide="ignore", invalid="ignore"):
                slope = np.where(std > 0, np.abs(beta * dens ** (beta - 1.0)), 0.0)
            std = slope * std
        dens = dens ** beta
    dens = dens.astype(X.dtype, copy=False)
    return (dens, std.astype(X.dtype, copy=False)) if return_std else dens


_STD_GROUPS = 16
SAMPLINGS = ("uniform", "stratified", "local")


def drawn_similarity_sums(X, rows, reference=None, *, metric="euclidean", similarity="inverse",
                          include_self=True, n_jobs=None):
    """Sums of similarities to the reference rows ``rows`` only, and how many terms each has.

    The building block of the sampled density: with ``reference=None`` the
    reference rows are ``X[rows]`` and a row of X drawn among them follows
    ``include_self`` exactly as ``similarity_sums(X, include_self=...)`` does
    (its own term counted as there, or left out with one term fewer).

    Returns
    -------
    sums : ndarray (n,) float64
    counts : ndarray (n,) float64, the number of terms in each sum

    Examples
    --------
    >>> import numpy as np
    >>> from fastal.kernels import drawn_similarity_sums
    >>> X = np.array([[0.0], [1.0], [3.0]])
    >>> sums, counts = drawn_similarity_sums(X, np.array([0, 2]), include_self=False)
    >>> sums.round(4).tolist(), counts.tolist()
    ([0.25, 0.8333, 0.25], [1.0, 2.0, 1.0])
    """
    X = check_rows(X, "X")
    options = dict(metric=metric, similarity=similarity, n_jobs=n_jobs)
    population = X if reference is None else check_rows(reference, "reference")
    rows = check_indices(rows, population.shape[0], "rows", allow_mask=False)
    sums = similarity_sums(X, population[rows], include_self=True, **options)
    counts = np.full(X.shape[0], float(len(rows)))
    if reference is None:      # rows drawn as their own reference: the exact rule for self
        sums[rows] = similarity_sums(X[rows], include_self=include_self, **options)
        counts[rows] -= not include_self
    return sums, counts


def _sampled_density(X, reference, n_samples, random_state, return_std, sampling, **options):
    """Mean similarity over a random sample of the reference rows, and its standard error."""
    from fastal.utils import seed_random_state

    include_self = options["include_self"]
    leave_self_out = reference is None and not include_self
    population = X if reference is None else check_rows(reference, "reference")
    N = population.shape[0]
    low = 2 if (leave_self_out or return_std) else 1
    m = check_count(n_samples, "n_samples", low, np.iinfo(np.int64).max)
    if m >= N:      # the whole population: the exact result
        sums = similarity_sums(X, reference, **options)
        return mean_of_sums(sums, N, leave_self_out), np.zeros(X.shape[0])
    rs = random_state if isinstance(random_state, np.random.Generator) \
        else seed_random_state(random_state)
    n_groups = min(_STD_GROUPS, m // 2) if return_std else 1
    if sampling == "local":
        return _local_density(X, reference, population, m, n_groups, rs, return_std,
                              leave_self_out, **options)
    if sampling == "stratified":
        groups = _systematic_groups(population, m, n_groups, rs, options["metric"],
                                    max(1, min(256, m // 4)))[0]
    else:
        groups = [np.sort(part) for part in np.array_split(rs.permutation(N)[:m], n_groups)]
    group_sums = np.empty((n_groups, X.shape[0]))
    group_counts = np.empty((n_groups, X.shape[0]))
    for g, rows in enumerate(groups):
        group_sums[g], group_counts[g] = drawn_similarity_sums(
            X, rows, None if reference is None else population, **options)
    population_size = N - 1 if leave_self_out else N
    if sampling == "stratified":     # each row drawn with probability m / (G N): H-T means
        group_means = group_sums / (population_size * m / (n_groups * N))
        mean = group_means.mean(axis=0)
        drawn_size = np.zeros(X.shape[0])  # independent replicates: their spread is the error
    else:
        counts = group_counts.sum(axis=0)
        mean = group_sums.sum(axis=0) / counts
        drawn_size = counts     # m, or m - 1 for a row drawn as its own reference
        if return_std:
            with np.errstate(invalid="ignore", divide="ignore"):
                group_means = np.where(group_counts > 0, group_sums / group_counts, mean)
    if not return_std:
        return mean, None
    spread = ((group_means - group_means.mean(axis=0)) ** 2).sum(axis=0)
    correction = np.clip(1.0 - drawn_size / population_size, 0.0, 1.0)
    return mean, np.sqrt(correction * spread / (n_groups * (n_groups - 1)))


def _systematic_groups(population, m, n_groups, rs, metric, n_pivots):
    """n_groups systematic samples of m / n_groups rows each, through the rows ordered by
    their nearest of ``n_pivots`` random pivots (random order within a pivot's rows);
    independent starts, so every row is in a group with probability m / (n_groups N).

    Returns the groups (sorted row indices), the pivots and each row's pivot."""
    from sklearn.metrics import pairwise_distances_argmin

    N = population.shape[0]
    pivots = population[np.sort(rs.choice(N, n_pivots, replace=False))]
    nearest = pairwise_distances_argmin(population, pivots, metric=metric)
    uniform = rs.random if isinstance(rs, np.random.Generator) else rs.random_sample
    order = np.lexsort((uniform(N), nearest))
    step = N * n_groups / m
    groups = []
    for _ in range(n_groups):
        start = uniform() * step
        positions = np.floor(start + step * np.arange(int(np.ceil((N - start) / step))))
        groups.append(np.sort(order[positions[positions < N].astype(np.int64)]))
    return groups, pivots, nearest


def _local_density(X, reference, population, m, n_groups, rs, return_std, leave_self_out,
                   **options):
    """``sampling="local"``: each row's own cell exactly, the other cells from m drawn rows.

    A row of X belongs to the cell of its nearest pivot; its sum over the
    reference rows of that cell is exact, and its sum over the other cells is
    a Horvitz-Thompson estimate from each group of drawn rows (a drawn row is
    in group g with probability m / (G N)) with the drawn rows of its own cell
    taken out.  The G group estimates are independent replicates: their mean
    is the estimate, their spread its standard error.
    """
    from sklearn.metrics import pairwise_distances_argmin

    N = population.shape[0]
    # cells of m / 2 rows, but never more than sqrt(N) pivots: finding each row's pivot
    # costs N x n_pivots distances, which must not outgrow the sample (small m)
    n_pivots = int(min(N, max(1, np.ceil(2.0 * N / m)), max(1, np.ceil(np.sqrt(N)))))
    groups, pivots, cell_of_reference = _systematic_groups(population, m, n_groups, rs,
                                                           options["metric"], n_pivots)
    cell_of_row = cell_of_reference if reference is None else \
        pairwise_distances_argmin(X, pivots, metric=options["metric"])
    include_self = options.pop("include_self")
    rows_by_cell = _indices_by_value(cell_of_row, n_pivots)
    reference_by_cell = rows_by_cell if reference is None else \
        _indices_by_value(cell_of_reference, n_pivots)
    # every row against every drawn row (own cell included: taken out below)
    others = np.stack([similarity_sums(X, population[rows], **options) for rows in groups])
    own = np.zeros(X.shape[0])
    for c in range(n_pivots):
        rows = rows_by_cell[c]
        if len(rows) == 0:
            continue
        X_cell = X[rows]
        own[rows] = similarity_sums(X_cell, None, include_self=include_self, **options) \
            if reference is None else \
            similarity_sums(X_cell, population[reference_by_cell[c]], **options)
        for g, drawn in enumerate(groups):
            in_cell = drawn[cell_of_reference[drawn] == c]
            if len(in_cell):
                others[g, rows] -= similarity_sums(X_cell, population[in_cell], **options)
    population_size = N - 1 if leave_self_out else N
    replicates = (own + others * (n_groups * N / m)) / population_size
    mean = replicates.mean(axis=0)
    if not return_std:
        return mean, None
    spread = ((replicates - mean) ** 2).sum(axis=0)
    return mean, np.sqrt(spread / (n_groups * (n_groups - 1)))


def _indices_by_value(values, n_values):
    """For every v < n_values, the sorted positions i where values[i] == v."""
    order = np.argsort(values, kind="stable")
    bounds = np.searchsorted(values[order], np.arange(n_values + 1))
    return [order[bounds[v]:bounds[v + 1]] for v in range(n_values)]


@shares_scans
def similarity_sums(X, reference=None, *, metric="euclidean", similarity="inverse",
                    include_self=True, n_jobs=None):
    """Sum of the similarities of every row of ``X`` to the rows of ``reference`` (float64).

    The sums behind ``pairwise_density`` (same parameters; ``mean_of_sums``
    turns them into its means), for callers that keep them up to date as
    rows leave the reference set.

    Examples
    --------
    >>> import numpy as np
    >>> from fastal.kernels import similarity_sums
    >>> similarity_sums(np.array([[0.0], [1.0], [3.0]]), include_self=False)
    array([0.75      , 0.83333333, 0.58333333])
    """
    X = check_rows(X, "X")
    metric = check_metric(metric)
    if similarity not in ("inverse", "cosine"):
        raise ValueError(f"unknown similarity {similarity!r}; valid: ['cosine', 'inverse']")
    if reference is not None:
        if not include_self:
            raise ValueError("include_self=False only applies when reference is None")
        reference = _check_pair(X, reference, "X", "reference")
    if similarity == "cosine" and metric == "manhattan":
        raise ValueError("similarity='cosine' does not use a distance metric; leave metric at 'euclidean'")
    n_threads = resolve_n_threads(n_jobs)
    impl = backend_impl()
    if similarity == "cosine":   # the backends normalise rows one at a time: no copy
        return _kernel(impl, "cosine_sums", X)(X, reference, include_self=bool(include_self),
                                n_threads=n_threads)
    scale, Xs, *Rs = prepare_rows(metric, X, *([] if reference is None else [reference]),
                                  n_threads=n_threads)
    Rs = Rs[0] if Rs else None
    return _kernel(impl, "pair_sums", X)(Xs, Rs, metric=metric, transform="inverse",
                          include_self=bool(include_self), n_threads=n_threads, scale=scale)


@shares_scans
def knn_density(X, n_neighbors=10, *, metric="manhattan", gamma=None, n_jobs=None,
                algorithm="exact", ann_params=None):
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
    algorithm : {"exact", "approximate"}, default "exact"
        ``approximate`` finds the neighbours with faiss (optional extra
        ``fastal[ann]``; an ImportError names it when missing): an inverted-file
        index of k-means cells holding 8-bit codes of the rows, for dense euclidean or cosine
        rows (manhattan and sparse rows raise a ValueError / TypeError: use
        ``exact``).  The edge weights are computed exactly from the neighbours
        found, and the graph has the exact path's form; only some neighbours
        may differ (recall below 1), and with several threads faiss may not
        return the same neighbours on every run.  Every search measures its
        recall on 100 rows (their exact neighbours by brute force: about 2 s
        per million rows of 64 features) and warns with
        :class:`LowRecallWarning` when it found fewer than 90 % of them, as on
        rows without clusters or low-dimensional structure.
    ann_params : dict, optional
        ``{"nlist": cells, "nprobe": cells searched per row, "storage": "sq8" or
        "flat"}`` for ``approximate``; default sqrt(n) cells, 6 of them searched
        (about 6 sqrt(n) candidates a row), rows stored as 8-bit codes ("flat":
        float32, slower; with every cell searched it finds the exact neighbours).

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
    X = check_rows(X, "X", min_rows=2)
    n = X.shape[0]
    k = check_count(n_neighbors, "n_neighbors", 1, n - 1)
    metric = check_metric(metric)
    gamma = 1.0 / X.shape[1] if gamma is None else float(gamma)
    if not np.isfinite(gamma) or gamma <= 0:
        raise ValueError(f"gamma must be a positive number, got {gamma}")
    if algorithm not in ("exact", "approximate"):
        raise ValueError(f"unknown algorithm {algorithm!r}; valid: ['approximate', 'exact']")
    if ann_params is not None and algorithm != "approximate":
        raise ValueError("ann_params only applies to algorithm='approximate'")
    n_threads = resolve_n_threads(n_jobs)
    scale, Xs = prepare_rows(metric, X, n_threads=n_threads)
    if algorithm == "approximate":
        from fastal._ann import approximate_neighbors

        ind, dist = approximate_neighbors(Xs, k, metric, n_threads, ann_params)
    else:
        ind, dist = _kernel(backend_impl(), "knn_search", X)(Xs, n_neighbors=k, metric=metric,
                                                              n_threads=n_threads)
    if (ind < 0).any():
        raise RuntimeError("internal error: a k-NN slot was left unfilled; please report it")
    with np.errstate(over="ignore"):
        dist = dist / scale               # an overflow here is a weight of exactly 0
    graph = _symmetric_graph(ind, dist, gamma, n)
    nnz = np.diff(graph.indptr)
    sums = np.asarray(graph.sum(axis=1)).ravel()
    density = np.divide(sums, nnz, out=np.zeros(n), where=nnz > 0)
    return density.astype(X.dtype, copy=False), graph.astype(X.dtype, copy=False)


def _symmetric_graph(ind, dist, gamma, n):
    """CSR graph with an edge i-j of weight exp(-gamma d) if j is a neighbour of i or i of j.

    d(i, j) and d(j, i) are the same number (both backends compute a pair's
    distance symmetrically), so the union takes either; weights that
    underflow to 0 are no edges.
    """
    k = ind.shape[1]
    with np.errstate(over="ignore"):
        weights = np.exp(-(gamma * dist.ravel()))
    one_way = sp.csr_matrix((weights, ind.ravel(), np.arange(0, n * k + 1, k)), shape=(n, n))
    one_way.sort_indices()
    graph = one_way.maximum(one_way.T.tocsr())
    graph.eliminate_zeros()
    return graph


def graph_density_select(density, graph, batch_size, exclude=None):
    """alipy's graph-density batch rule, in pick order.

    Excluded rows (the labeled ones; ``exclude`` holds integer row indices or
    a boolean mask of length n) and picked rows are held at
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
    excl = check_indices(exclude, n, "exclude")
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


@shares_scans
def min_distance(X, Y, *, metric="euclidean", n_jobs=None):
    """Distance from every row of ``X`` to its nearest row of ``Y`` (float64).

    Examples
    --------
    >>> import numpy as np
    >>> from fastal.kernels import min_distance
    >>> min_distance(np.array([[0.0, 0.0], [3.0, 4.0]]), np.array([[0.0, 0.0]]))
    array([0., 5.])
    """
    X = check_rows(X, "X", min_rows=0)
    Y = _check_pair(X, Y, "X", "Y")
    metric = check_metric(metric)
    n_threads = resolve_n_threads(n_jobs)
    scale, Xs, Ys = prepare_rows(metric, X, Y, n_threads=n_threads)
    return _unscale(_kernel(backend_impl(), "min_distance", X)(Xs, Ys, metric=metric,
                                                               n_threads=n_threads),
                    scale, "some distances")


@shares_scans
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
    X_pool = check_rows(X_pool, "X_pool")
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
    scale, pool, labeled = prepare_rows(metric, X_pool, X_labeled, n_threads=n_threads)
    pair_sums = _kernel(impl, "pair_sums", pool)
    nearest = _kernel(impl, "min_distance", pool)
    greedy = _kernel(impl, "max_min_greedy", pool)
    if labeled.shape[0] == 0:
        # rows' summed distances to the pool order them as the mean does
        total = pair_sums(pool, None, metric=metric, transform="distance", include_self=True,
                          n_threads=n_threads, scale=scale)
        lowest = total.min()
        cold = int(np.flatnonzero(total <= lowest + COLD_START_RTOL * abs(lowest))[0])
        md = nearest(pool, pool[cold:cold + 1], metric=metric, n_threads=n_threads)
        rest = greedy(pool, md, batch - 1, scores, n_unlabeled=n, n_labeled=1, exclude=cold,
                      metric=metric, n_threads=n_threads, scale=scale)
        return np.concatenate([np.array([cold], dtype=np.int64), rest])
    md = nearest(pool, labeled, metric=metric, n_threads=n_threads)
    return greedy(pool, md, batch, scores, n_unlabeled=n, n_labeled=labeled.shape[0],
                  exclude=None, metric=metric, n_threads=n_threads, scale=scale)
