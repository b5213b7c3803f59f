"""Pools larger than one machine: fastal's kernels on row-chunked dask arrays.

The pool is a ``dask.array.Array`` chunked along its rows only (every chunk
holds all the columns), for example ``dask.array.from_array(X, chunks=(100_000,
-1))`` or an array read chunk by chunk from storage.  The single-machine
kernels of ``fastal.kernels`` do the work on every chunk, where the chunk
lives; only small per-chunk summaries travel to the client:

``min_distance``, ``pairwise_density``
    Lazy dask arrays, computed chunk by chunk against an in-memory reference
    (``pairwise_density`` can also draw its reference rows from the pool).
``uncertainty_top_k``
    A fitted classifier's uncertainty scores chunk by chunk; every chunk
    sends its own top k, the client keeps the global top k.
``max_min_select``
    Greedy max-min selection (k-center, or ranked batch with scores) with
    the minimum distances of every chunk kept on the worker that holds it:
    one round trip per pick, the pool never leaves the workers.
``next_batch``
    The next batch of rows to label for a labeled mask and a fitted model,
    with the uncertainty, ranked-batch, core-set or sampled
    information-density strategy.

Every result equals the single-machine kernel's on ``X.compute()`` for any
chunking: the same indices, the same floating-point numbers except where a
docstring states a tolerance.  The kernels use the backend that is active
where the function is called (``fastal.use_backend`` / ``FASTAL_BACKEND``):
its name travels with every task, so the workers use it too.

``max_min_select`` and ``next_batch`` keep their state on a
``distributed`` cluster when a client is active (``distributed.Client``), and
in this process otherwise.  The state of a chunk whose worker is lost is
rebuilt from the labeled rows and the picks made so far on another worker,
and the selection goes on with the same result; when that is not possible a
``WorkerLostError`` says so.  No answer is ever returned from a partial state.

Needs the optional extra ``fastal[dask]`` (``dask[array]`` and
``distributed``).

Examples
--------
>>> import numpy as np, dask.array as da
>>> import fastal.dask
>>> X = da.from_array(np.array([[0.0], [1.0], [4.0], [9.0]]), chunks=(2, -1))
>>> fastal.dask.max_min_select(X, np.array([[0.0]]), 2).tolist()
[3, 2]
"""
try:
    import dask
    import dask.array as da
    import distributed
except ImportError as exc:  # pragma: no cover - exercised without the extra
    raise ImportError(
        "fastal.dask needs dask and distributed, the optional extra fastal[dask]: "
        f'pip install "fastal[dask]" (or pip install "dask[array]" distributed); {exc}'
    ) from None

import logging
import math

import numpy as np

from fastal import kernels
from fastal._config import backend_impl, get_backend, resolve_n_threads, use_backend
from fastal.kernels import COLD_START_RTOL, SAFE_EXPONENT, check_rows, unit_rows
from fastal.query_strategies._uncertainty import entropy, positive_uncertainty, top_margin
from fastal.utils import seed_random_state
from fastal.utils.validation import (
    assert_all_finite, check_count, check_indices, check_metric, check_vector)

__all__ = ["min_distance", "max_min_select", "pairwise_density", "uncertainty_top_k",
           "next_batch", "WorkerLostError"]

_log = logging.getLogger("fastal.dask")

STRATEGIES = ("uncertainty", "ranked", "coreset", "density")
METHODS = ("lc", "sm", "entropy")
# Attempts at rebuilding lost selection state before a query gives up.
MAX_RECOVERIES = 3
# Rows a chunk brings into its refreshed set at once (doubling while it must go on).
_PULL_ROWS = 256
# Chunk size (bytes) of the all-pairs sums of the cold start.
_COLD_BYTES = 64 << 20


class WorkerLostError(RuntimeError):
    """A worker holding part of a selection's state was lost and it could not be rebuilt."""


# -- input checks --------------------------------------------------------------------------

def _check_pool(X, name="X"):
    """A 2-D dask array of real numbers chunked along rows only (floats kept, others float64)."""
    if not isinstance(X, da.Array):
        kind = type(X).__module__.split(".")[0] + "." + type(X).__name__
        raise TypeError(
            f"{name} must be a dask array, got {kind}; wrap an in-memory array with "
            f"dask.array.from_array({name}, chunks=(rows_per_chunk, -1)), or use "
            "fastal.kernels for pools that fit in memory")
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {X.shape}")
    if any(math.isnan(c) for c in X.chunks[0]) or any(math.isnan(c) for c in X.chunks[1]):
        raise ValueError(f"{name} has unknown chunk sizes; call {name}.compute_chunk_sizes() "
                         "first")
    if X.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {X.dtype}")
    meta = getattr(X, "_meta", None)
    if meta is not None and not isinstance(meta, np.ndarray):
        raise TypeError(
            f"{name} must hold dense NumPy chunks, got {type(meta).__name__}; convert them with "
            f"{name}.map_blocks(lambda b: b.toarray()) for scipy.sparse chunks, or use "
            "fastal.kernels, which takes sparse matrices")
    if X.shape[1] == 0:
        raise ValueError(f"{name} has no features (shape {X.shape})")
    if len(X.chunks[1]) != 1:
        raise ValueError(
            f"{name} must be chunked along its rows only, every chunk holding all "
            f"{X.shape[1]} columns; got column chunks {X.chunks[1]} (row chunks "
            f"{_short(X.chunks[0])}); rechunk with {name}.rechunk({{1: -1}})")
    if X.shape[0] == 0:
        raise ValueError(f"{name} needs at least 1 row(s), got 0")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    return X


def _short(chunks):
    chunks = tuple(int(c) for c in chunks)
    return str(chunks) if len(chunks) <= 8 else f"({', '.join(map(str, chunks[:6]))}, ... " \
        f"{len(chunks)} chunks)"


def _check_reference(reference, X, name="reference", min_rows=1):
    """An in-memory reference matrix with X's features and dtype."""
    if isinstance(reference, da.Array):
        reference = reference.compute()
    reference = check_rows(reference, name, min_rows=min_rows)
    if not isinstance(reference, np.ndarray):
        raise TypeError(f"{name} must be a dense array (the pool is dense)")
    if reference.shape[1] != X.shape[1]:
        raise ValueError(f"X has {X.shape[1]} features but {name} has {reference.shape[1]}")
    if reference.dtype == X.dtype:
        return reference
    with np.errstate(over="ignore"):
        cast = reference.astype(X.dtype)
    if not np.isfinite(cast).all():
        raise ValueError(
            f"{name} holds values beyond the range of {np.dtype(X.dtype).name}, the dtype of X; "
            f"pass X as float64 (X.astype('float64')) or rescale both")
    return cast


def _check_scores(scores, X):
    """Per-chunk float64 score pieces: a dask array with X's row chunks, or a NumPy vector."""
    n = X.shape[0]
    kind = getattr(getattr(scores, "dtype", None), "kind", None)
    if kind is None and not isinstance(scores, da.Array):
        kind = np.asarray(scores).dtype.kind
    if kind == "c":
        raise TypeError("scores must hold real numbers, got complex values")
    if isinstance(scores, da.Array):
        if scores.ndim != 1 or scores.shape[0] != n:
            raise ValueError(f"scores must be 1-D of length {n}, got shape {scores.shape}")
        if tuple(scores.chunks[0]) != tuple(X.chunks[0]):
            raise ValueError(
                f"scores must be chunked like the rows of X: X has row chunks "
                f"{_short(X.chunks[0])}, scores has {_short(scores.chunks[0])}; rechunk with "
                "scores.rechunk((X.chunks[0],))")
        if scores.dtype.kind not in "biuf":
            raise TypeError(f"scores must hold real numbers, got dtype {scores.dtype}")
        return scores.astype(np.float64)
    scores = check_vector(scores, n, "scores")
    return da.from_array(scores, chunks=(X.chunks[0],))


def _check_metric_dense(metric):
    return check_metric(metric)


def _offsets(chunks):
    return np.concatenate([[0], np.cumsum(chunks)]).astype(np.int64)


# -- block functions (run on the workers) ----------------------------------------------------

def _min_distance_block(block, reference, metric, scale, n_jobs, backend):
    """Distances of a chunk's rows; ``scale`` None: the kernel itself (a frame that does not
    depend on the rows), else the pool's power-of-two scale, as the kernel on the whole pool."""
    with use_backend(backend):
        if scale is None:
            return kernels.min_distance(block, reference, metric=metric, n_jobs=n_jobs)
        assert_all_finite(block, "X")
        if block.shape[0] == 0:
            return np.zeros(0)
        impl = backend_impl()
        distances = impl.min_distance(_prepare_block(block, metric, scale),
                                      _prepare_block(reference, metric, scale), metric=metric,
                                      n_threads=resolve_n_threads(n_jobs))
    return kernels._unscale(distances, scale, "some distances")


def _density_block(block, reference, metric, similarity, beta, n_jobs, backend):
    if block.shape[0] == 0:
        return np.zeros(0, dtype=block.dtype)
    with use_backend(backend):
        return kernels.pairwise_density(block, reference, metric=metric, similarity=similarity,
                                        beta=beta, n_jobs=n_jobs)


def _drawn_density_block(block, offset, reference, drawn, self_sums, count, include_self,
                         options, backend):
    """Mean similarity of the rows of ``block`` to the drawn rows (float64)."""
    if block.shape[0] == 0:
        return np.zeros(0)
    with use_backend(backend):
        sums = kernels.similarity_sums(block, reference, include_self=True, **options)
    counts = np.full(block.shape[0], float(count))
    lo = np.searchsorted(drawn, offset)
    hi = np.searchsorted(drawn, offset + block.shape[0])
    if hi > lo:                  # rows drawn as their own reference: the rule for self
        sums[drawn[lo:hi] - offset] = self_sums[lo:hi]
        if not include_self:
            counts[drawn[lo:hi] - offset] -= 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1.0), 1.0)


def _peak_block(block, name):
    """(largest |value|) of a chunk, after the finiteness check, as a (1,) array."""
    assert_all_finite(block, name)
    if block.size == 0:
        return np.zeros(1)
    return np.array([float(max(block.max(), -block.min()))])


def _pair_totals_block(block, other, metric, scale, n_jobs, backend):
    """Summed distances of every row of ``block`` to the rows of ``other`` (prepared)."""
    with use_backend(backend):
        impl = backend_impl()
        if block.shape[0] == 0 or other.shape[0] == 0:
            return np.zeros((block.shape[0], 1))
        sums = impl.pair_sums(block, other, metric=metric, transform="distance",
                              include_self=True, n_threads=resolve_n_threads(n_jobs), scale=scale)
    return sums[:, None]


def _prepare_block(block, metric, scale):
    """Rows in the kernels' frame (``fastal.kernels.prepare_rows`` with a global scale)."""
    if metric == "cosine":
        return unit_rows(block)
    if scale != 1.0:
        return block * scale
    return block


def _model_output(model, block):
    """``model.predict_proba`` of a chunk, checked: one finite row of probabilities per row."""
    p = np.asarray(model.predict_proba(block), dtype=np.float64)
    if p.ndim != 2 or p.shape[0] != block.shape[0] or p.shape[1] == 0:
        raise ValueError(
            f"the model's predict_proba returned shape {p.shape} for {block.shape[0]} rows; "
            f"it must return one row of class probabilities per row, ({block.shape[0]}, "
            "n_classes)")
    if not np.isfinite(p).all():
        kind = "NaN" if np.isnan(p).any() else "infinity"
        raise ValueError(f"the model's predict_proba returned {kind} for some rows of X")
    return p


def _uncertainty_scores(model, block, method, form):
    """Scores of a chunk from ``model.predict_proba`` (float64).

    form ``query``: UncertaintySampling's scores (larger = query): lc -max p,
    sm -(p1 - p2), entropy -sum p log p.  form ``positive``: InformationDensity's
    uncertainty, floored at 0: lc 1 - max p, sm 1 - (p1 - p2), entropy of p
    clipped to [1e-10, 1].  form ``ranked``: 1 - max p (RankedBatch).
    """
    if block.shape[0] == 0:
        return np.zeros(0)
    assert_all_finite(block, "X")
    p = _model_output(model, block)
    if form == "ranked":
        return 1.0 - p.max(axis=1)
    if form == "query":
        if method == "lc":
            return -p.max(axis=1)
        if method == "sm":
            return -top_margin(p)
        return entropy(p)
    return np.maximum(positive_uncertainty(p, method), 0.0)


def _scores_block(block, model, method, form):
    return _uncertainty_scores(model, block, method, form)


def _compact(mask):
    """A chunk's candidate mask as the shorter of (True, kept rows) and (False, dropped rows)."""
    if mask is None or mask.all():
        return None
    kept = np.flatnonzero(mask)
    if 2 * kept.shape[0] <= mask.shape[0]:
        return True, kept
    return False, np.flatnonzero(~mask)


def _top_k_block(scores, offset, candidates, k):
    """The k best (score, index) of a chunk: larger score first, then lower index."""
    idx = np.arange(scores.shape[0], dtype=np.int64)
    if candidates is not None:
        keep, rows = candidates
        if not keep:
            mask = np.ones(scores.shape[0], dtype=bool)
            mask[rows] = False
            rows = np.flatnonzero(mask)
        idx = idx[rows]
        scores = scores[rows]
    order = np.lexsort((idx, -scores))[:k]
    return idx[order] + offset, scores[order]


def _top_k_of_chunk(block, offset, candidates, k, model, method, form, density):
    scores = _uncertainty_scores(model, block, method, form)
    if density is not None:
        scores = scores * density
    return _top_k_block(scores, offset, candidates, k)


def _merge_top_k(parts, k):
    idx = np.concatenate([p[0] for p in parts]).astype(np.int64)
    scores = np.concatenate([p[1] for p in parts]).astype(np.float64)
    order = np.lexsort((idx, -scores))[:k]
    return idx[order], scores[order]


# -- lazy kernels --------------------------------------------------------------------------

def min_distance(X, reference, *, metric="euclidean", n_jobs=None):
    """Distance from every row of a chunked pool to its nearest reference row.

    Parameters
    ----------
    X : dask.array.Array (n, d)
        Chunked along rows only.
    reference : array-like (m, d), m >= 1
        In memory (a dask array is computed); converted to X's dtype.
    metric : {"euclidean", "manhattan", "cosine"}
    n_jobs : int or None
        Kernel threads on each worker.

    Returns
    -------
    dask.array.Array (n,) float64, with X's row chunks; every value is the one
    ``fastal.kernels.min_distance(X.compute(), reference)`` gives, bit for bit.
    For a float64 pool (metric other than cosine) the call reads every chunk
    once to find the largest magnitude, which sets the power-of-two scale the
    kernel computes in (``fastal.kernels.prepare_rows``); persist a pool read
    from storage first.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> import fastal.dask
    >>> X = da.from_array(np.array([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]]), chunks=(2, -1))
    >>> fastal.dask.min_distance(X, np.array([[0.0, 0.0]])).compute()
    array([ 0.,  5., 10.])
    """
    X = _check_pool(X)
    metric = _check_metric_dense(metric)
    reference = _check_reference(reference, X)
    # float64 rows are scaled by one power of two for the whole pool, as the kernel scales
    # X.compute(): finding it reads every chunk now
    scale = None if (metric == "cosine" or X.dtype != np.float64) else \
        _global_scale(X, reference, metric)
    return X.map_blocks(_min_distance_block, reference, metric, scale, n_jobs, get_backend(),
                        drop_axis=1, dtype=np.float64, meta=np.empty(0))


def pairwise_density(X, reference=None, *, metric="euclidean", similarity="inverse",
                     beta=1.0, include_self=True, n_samples=None, random_state=None,
                     n_jobs=None):
    """Mean similarity of every row of a chunked pool to a set of reference rows.

    Parameters
    ----------
    X : dask.array.Array (n, d)
        Chunked along rows only.
    reference : array-like (m, d) or None
        In-memory reference rows: the result is
        ``fastal.kernels.pairwise_density(X.compute(), reference, ...)``,
        chunk by chunk: bit for bit with ``similarity="inverse"``; within a
        relative 1e-12 (float64) with ``similarity="cosine"``, whose dot
        products with the summed unit rows round with the block they are
        computed in.  None: the reference rows are drawn from the pool
        (``n_samples`` is then required; an exact density against the whole
        pool would move every chunk to every other one).
    metric, similarity, beta :
        As in ``fastal.kernels.pairwise_density``.
    include_self : bool
        With rows drawn from the pool: whether a drawn row's similarity to
        itself counts (False: libact's ``InformationDensity``).
    n_samples : int or None
        With ``reference=None``: the number of pool rows drawn, uniformly
        without replacement, as ``fastal.kernels.pairwise_density(X,
        n_samples=m, random_state=...)`` draws them: the same seed draws the
        same rows and gives the same densities up to the order of a final
        floating-point division (equal in practice; tested within 1e-12
        relative).  m >= n uses every row (the exact density).
        ``sampling="stratified"`` and ``return_std`` are not offered here.
    random_state : None, int, RandomState or Generator
    n_jobs : int or None

    Returns
    -------
    dask.array.Array (n,) with X's dtype and row chunks.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> import fastal.dask
    >>> X = da.from_array(np.array([[0.0], [1.0], [3.0]]), chunks=(1, -1))
    >>> fastal.dask.pairwise_density(X, np.array([[0.0], [1.0], [3.0]])).compute()
    array([0.58333333, 0.61111111, 0.52777778])
    >>> dens = fastal.dask.pairwise_density(X, n_samples=2, random_state=0)
    >>> dens.shape
    (3,)
    """
    X = _check_pool(X)
    metric = _check_metric_dense(metric)
    if similarity not in ("inverse", "cosine"):
        raise ValueError(f"unknown similarity {similarity!r}; valid: ['cosine', 'inverse']")
    beta = float(beta)
    if not np.isfinite(beta):
        raise ValueError(f"beta must be finite, got {beta}")
    backend = get_backend()
    if reference is not None:
        if n_samples is not None:
            raise ValueError("n_samples draws the reference rows from the pool; pass either "
                             "reference or n_samples, not both")
        if not (include_self is True or include_self is np.True_):
            raise ValueError("include_self=False only applies when the reference rows are "
                             "drawn from the pool (reference=None)")
        reference = _check_reference(reference, X)
        return X.map_blocks(_density_block, reference, metric, similarity, beta, n_jobs,
                            backend, drop_axis=1, dtype=X.dtype, meta=np.empty(0, X.dtype))
    if n_samples is None:
        raise ValueError("reference=None needs n_samples: the density against rows drawn from "
                         "the pool (an exact density over a distributed pool would compare "
                         "every chunk with every other one); or pass reference rows")
    dens = _sampled_density(X, np.arange(X.shape[0], dtype=np.int64), n_samples, random_state,
                            metric, similarity, include_self, n_jobs, backend)
    if beta != 1.0:
        dens = dens.map_blocks(_power, beta, dtype=np.float64)
    return dens.astype(X.dtype)


def _power(values, beta):
    if not float(beta).is_integer() and (values < 0).any():
        raise ValueError("some mean cosine similarities are negative; a non-integer beta "
                         "would make them NaN")
    return values ** beta


def _draw(N, n_samples, random_state, low, name="n_samples"):
    """Sorted positions of the drawn reference rows (all of them when m >= N)."""
    m = check_count(n_samples, name, low, np.iinfo(np.int64).max)
    if m >= N:
        return np.arange(N, dtype=np.int64)
    rs = random_state if isinstance(random_state, np.random.Generator) \
        else seed_random_state(random_state)
    return np.sort(rs.permutation(N)[:m]).astype(np.int64)


def _sampled_density(X, population, n_samples, random_state, metric, similarity, include_self,
                     n_jobs, backend, name="n_samples"):
    """Mean similarity (float64 dask array) of every row of X to rows drawn from
    ``population`` (sorted pool indices), as ``fastal.kernels`` draws them."""
    N = population.shape[0]
    drawn = population[_draw(N, n_samples, random_state, 1 if include_self else 2, name)]
    reference = _fetch_rows(X, drawn)
    options = dict(metric=metric, similarity=similarity, n_jobs=n_jobs)
    with use_backend(backend):
        self_sums = kernels.similarity_sums(reference, None, include_self=bool(include_self),
                                            **options)
    count = drawn.shape[0]
    offsets = da.from_array(_offsets(X.chunks[0])[:-1], chunks=1)
    return da.map_blocks(_drawn_density_chunk, X, offsets[:, None], reference, drawn, self_sums,
                         count, bool(include_self), options, backend, drop_axis=1,
                         chunks=(X.chunks[0],), dtype=np.float64, meta=np.empty(0))


def _drawn_density_chunk(block, offset, *args):
    return _drawn_density_block(block, int(offset[0, 0]), *args)


def _fetch_rows(X, rows):
    """X[rows] as a NumPy array (rows sorted, small)."""
    if rows.shape[0] == 0:
        return np.empty((0, X.shape[1]), dtype=X.dtype)
    return np.asarray(X[rows].compute())


# -- uncertainty --------------------------------------------------------------------------

def _check_model(model, what="the model"):
    if model is None or not hasattr(model, "predict_proba"):
        raise TypeError(f"{what} must be a fitted classifier with predict_proba, got {model!r}")
    try:
        from sklearn.base import BaseEstimator
        from sklearn.exceptions import NotFittedError
        from sklearn.utils.validation import check_is_fitted
    except ImportError:          # pragma: no cover - scikit-learn is a dependency
        return model
    if isinstance(model, BaseEstimator):
        try:
            check_is_fitted(model)
        except NotFittedError:
            raise NotFittedError(
                f"{type(model).__name__} is not fitted: fit it on the labeled rows "
                "(model.fit(X_labeled, y_labeled)) before scoring the pool") from None
    return model


def _check_method(method):
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; valid: {list(METHODS)}")
    return method


def uncertainty_top_k(model, X, k, *, method="lc", candidates=None):
    """The k rows of a chunked pool a fitted classifier is least sure about.

    Scores are ``fastal.query_strategies.UncertaintySampling``'s (larger =
    more uncertain): ``lc`` -max p, ``sm`` -(p1 - p2) of the two largest
    probabilities, ``entropy`` -sum p log p.  Every chunk computes its scores
    with ``model.predict_proba`` and sends its own top k; the client keeps the
    global top k.  Order: larger score first, equal scores by lower index.

    Parameters
    ----------
    model : fitted classifier with ``predict_proba`` (scikit-learn or fastal)
    X : dask.array.Array (n, d), chunked along rows only
    k : int in [1, number of candidate rows]
    method : {"lc", "sm", "entropy"}
    candidates : None, boolean mask (n,) or index array
        Rows that may be returned (None: all).

    Returns
    -------
    indices : ndarray (k,) int64
    scores : ndarray (k,) float64

    Notes
    -----
    The scores equal those of ``model.predict_proba(X.compute())`` where the
    model computes every row independently of the others; a matrix product
    may round a row's probabilities differently in blocks of another size
    (a few units in the last place), which can only reorder rows whose
    scores tie to that precision.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from sklearn.linear_model import LogisticRegression
    >>> import fastal.dask
    >>> Xn = np.array([[0.0], [0.4], [0.5], [0.6], [1.0]])
    >>> model = LogisticRegression().fit(Xn[[0, 4]], [0, 1])
    >>> idx, scores = fastal.dask.uncertainty_top_k(model, da.from_array(Xn, chunks=(2, -1)), 2)
    >>> idx.tolist()
    [2, 1]
    """
    X = _check_pool(X)
    method = _check_method(method)
    model = _check_model(model)
    return _top_k(X, model, k, method, "query", candidates, None)


def _row_indices(rows, n, name):
    """``check_indices`` (which refuses an integer 0/1 array of length n, a mask in
    disguise)."""
    return check_indices(rows, n, name)


def _candidate_mask(candidates, n):
    if candidates is None:
        return None
    mask = np.zeros(n, dtype=bool)
    mask[_row_indices(candidates, n, "candidates")] = True
    return mask


def _top_k(X, model, k, method, form, candidates, density):
    n = X.shape[0]
    mask = _candidate_mask(candidates, n)
    available = n if mask is None else int(mask.sum())
    k = check_count(k, "k", 1, available)
    offsets = _offsets(X.chunks[0])
    blocks = X.to_delayed().ravel()
    dens_blocks = None if density is None else density.to_delayed().ravel()
    tasks = []
    for i, block in enumerate(blocks):
        part = None if mask is None else mask[offsets[i]:offsets[i + 1]]
        if part is not None and not part.any():
            continue
        tasks.append(dask.delayed(_top_k_of_chunk, pure=True)(
            block, int(offsets[i]), _compact(part), k, model, method, form,
            None if dens_blocks is None else dens_blocks[i]))
    parts = dask.compute(*tasks)
    return _merge_top_k(parts, k)


# -- greedy max-min selection ------------------------------------------------------------

class _ChunkGroup:
    """Greedy max-min state of some row chunks of the pool, kept where they live.

    Every chunk keeps the minimum distance of its candidate rows to the
    labeled-or-picked rows, lazily: rows sorted once by their score bound,
    and a refreshed set holding the rows that could still win, kept exact
    at every pick.  A row outside the refreshed set has a stored minimum
    distance that can only have shrunk since, so its score bound is exact
    math; rows are brought in (refreshed against every pick so far) while
    the best remaining bound could reach the best exact score.  Every exact
    value is the one the eager definition (``fastal._core._reference.
    max_min_greedy``) computes, so the chosen row is the same.
    """

    def __init__(self, spec, chunks, offsets, scores, candidates, labeled, picks, pick_rows,
                 backend):
        self.spec = spec
        self.backend = backend
        self.metric = spec["metric"]
        self.scale = spec["scale"]
        self.n_unl0 = spec["n_unl0"]
        self.n_lab0 = spec["n_lab0"]
        self.n_total = spec["n_unl0"] + spec["n_lab0"]
        self.n_threads = None
        self.t = len(picks)
        d = spec["n_features"]
        self.pick_rows = np.asarray(pick_rows).reshape(len(picks), d)
        with use_backend(backend):
            self.n_threads = resolve_n_threads(spec["n_jobs"])
            self.chunks = [self._chunk_state(block, int(off), sc, cand, labeled, picks)
                           for block, off, sc, cand in zip(chunks, offsets, scores, candidates)]

    # state of one chunk
    def _chunk_state(self, block, offset, scores, candidate, labeled, picks):
        rows = _prepare_block(np.asarray(block), self.metric, self.scale)
        n = rows.shape[0]
        avail = np.ones(n, dtype=bool) if candidate is None else np.asarray(candidate, bool).copy()
        picks = np.asarray(picks, dtype=np.int64)
        mine = picks[(picks >= offset) & (picks < offset + n)] - offset
        avail[mine] = False
        u = None
        if scores is not None:
            u = np.asarray(scores, dtype=np.float64)
            assert_all_finite(u, "scores")
        reference = labeled if self.pick_rows.shape[0] == 0 else (
            self.pick_rows if labeled.shape[0] == 0 else np.vstack([labeled, self.pick_rows]))
        if reference.shape[0] and n:
            md = self._nearest(rows, reference)
        else:
            md = np.full(n, np.inf)
        cand = np.flatnonzero(avail)
        t0 = self.t
        if u is None:
            key = md[cand]
            drift = 0.0
        else:
            g = self._gain(md[cand])
            key = self._score(g, u[cand], t0)
            w = u[cand] - g
            drift = float(max(0.0, w.max())) if w.size else 0.0
        ranking = np.lexsort((cand, -key))
        order, keys_sorted = cand[ranking], key[ranking]
        return dict(rows=rows, offset=offset, u=u, avail=avail, md0=md, order=order,
                    keys=keys_sorted, ptr=0, t0=t0, drift=drift,
                    act_idx=np.zeros(0, dtype=np.int64),
                    act_rows=rows[:0].copy(), act_md=np.zeros(0))

    def _nearest(self, rows, reference):
        impl = backend_impl()
        return impl.min_distance(rows, reference.astype(rows.dtype, copy=False),
                                 metric=self.metric, n_threads=self.n_threads)

    def _gain(self, md):
        return 1.0 - self.scale / (self.scale + md)

    def _alpha(self, t):
        U = self.n_unl0 - t
        return U / (U + self.n_lab0 + t)

    def _score(self, g, u, t):
        alpha = self._alpha(t)
        return alpha * g + (1.0 - alpha) * u

    def _exact(self, c, md, idx):
        if c["u"] is None:
            return md
        return self._score(self._gain(md), c["u"][idx], self.t)

    def _bound(self, c):
        """Upper bound of the current score of every row not yet refreshed."""
        if c["ptr"] >= c["order"].shape[0]:
            return -np.inf
        key = c["keys"][c["ptr"]]
        if c["u"] is None:
            return key
        growth = (self.t - c["t0"]) / self.n_total * c["drift"]
        return key + growth + 1e-9 * (1.0 + abs(key) + c["drift"])

    def _pull(self, c, count):
        """Bring the next ``count`` rows by bound into the refreshed set, exact at step t."""
        take = c["order"][c["ptr"]:c["ptr"] + count]
        c["ptr"] += take.shape[0]
        rows = c["rows"][take]
        md = c["md0"][take].copy()
        new_picks = self.pick_rows[c["t0"]:self.t]
        if new_picks.shape[0] and take.shape[0]:
            md = np.minimum(md, self._nearest(rows, new_picks))
        c["act_idx"] = np.concatenate([c["act_idx"], take])
        c["act_rows"] = np.concatenate([c["act_rows"], rows])
        c["act_md"] = np.concatenate([c["act_md"], md])

    def _best(self, c):
        """(score, local index) of the chunk's first best candidate now, or (-inf, -1)."""
        pull = _PULL_ROWS
        while True:
            best, where = -np.inf, -1
            if c["act_idx"].shape[0]:
                s = self._exact(c, c["act_md"], c["act_idx"])
                best = s.max()
                where = int(c["act_idx"][s == best].min())
            if c["ptr"] >= c["order"].shape[0] or self._bound(c) < best:
                return best, where
            self._pull(c, pull)
            pull *= 2

    def _apply(self, pick, row):
        row = np.asarray(row)
        self.pick_rows = np.concatenate([self.pick_rows, row[None, :].astype(
            self.pick_rows.dtype, copy=False)])
        for c in self.chunks:
            n = c["rows"].shape[0]
            local = pick - c["offset"]
            if 0 <= local < n and c["avail"][local]:
                c["avail"][local] = False
                keep = c["act_idx"] != local
                if not keep.all():
                    c["act_idx"] = c["act_idx"][keep]
                    c["act_rows"] = c["act_rows"][keep]
                    c["act_md"] = c["act_md"][keep]
            if c["act_idx"].shape[0]:
                c["act_md"] = np.minimum(c["act_md"], self._nearest(
                    c["act_rows"], row[None, :]))
        self.t += 1

    def step(self, t, pick=None, row=None):
        """Fold in pick number t - 1 (if not yet), then this group's best candidate.

        Returns (score, global index, prepared row) or (-inf, -1, None).
        """
        if self.t == t - 1:
            with use_backend(self.backend):
                self._apply(int(pick), row)
        elif self.t != t:
            raise _StaleState(f"selection state at pick {self.t}, asked for pick {t}")
        best, where, row_out, chunk_best = -np.inf, -1, None, None
        with use_backend(self.backend):
            for c in self.chunks:
                score, local = self._best(c)
                if local < 0:
                    continue
                if score > best or (score == best and local + c["offset"] < where):
                    best, where, chunk_best = score, local + c["offset"], (c, local)
        if chunk_best is not None:
            c, local = chunk_best
            row_out = c["rows"][local].copy()
        return float(best), int(where), row_out

    def ping(self):
        return self.t


class _StaleState(RuntimeError):
    """A chunk group's pick counter does not match the query's."""


# What a call to a chunk group raises when its worker went away (the actor is
# lost: RuntimeError; the connection closed: OSError; cancelled or timed out).
_RECOVERABLE = (RuntimeError, OSError, TimeoutError, distributed.client.CancelledError)


def _global_scale(X, labeled, metric):
    """The power of two ``fastal.kernels.prepare_rows`` scales the whole pool by, after
    checking every chunk for NaN and infinity."""
    peaks = X.map_blocks(_peak_block, "X", chunks=(1,), drop_axis=1, dtype=np.float64,
                         meta=np.empty(0))
    peak = float(peaks.max().compute())
    if labeled.shape[0]:
        peak = max(peak, float(max(labeled.max(), -labeled.min())))
    if metric == "cosine" or X.dtype != np.float64:
        return 1.0
    if peak == 0.0 or 2.0 ** -SAFE_EXPONENT <= peak <= 2.0 ** SAFE_EXPONENT:
        return 1.0
    return float(np.ldexp(1.0, -np.frexp(peak)[1]))


def _active_client():
    """The default ``distributed`` client, unless dask is set to another scheduler
    (``dask.config.set(scheduler="sync")`` keeps the work in this process)."""
    if dask.config.get("scheduler", None) not in (None, "dask.distributed", "distributed"):
        return None
    try:
        return distributed.default_client()
    except ValueError:
        return None


class _Selection:
    """Drives a greedy max-min selection over the chunk groups, one round trip per pick."""

    def __init__(self, X, spec, scores, candidates, labeled, backend):
        self.X = X
        self.spec = spec
        self.backend = backend
        self.labeled = labeled
        self.client = _active_client()
        self.picks = []
        self.pick_rows = []
        self.recoveries = 0
        n_chunks = len(X.chunks[0])
        self.offsets = _offsets(X.chunks[0])[:-1]
        self.candidates = [None if candidates is None else
                           candidates[self.offsets[i]:self.offsets[i] + X.chunks[0][i]]
                           for i in range(n_chunks)]
        if self.client is None:
            blocks = dask.compute(*X.to_delayed().ravel())
            score_blocks = [None] * n_chunks if scores is None else \
                list(dask.compute(*scores.to_delayed().ravel()))
            self.groups = [_LocalGroup(_ChunkGroup(
                spec, blocks, self.offsets, score_blocks, self.candidates, labeled, [], [],
                backend))]
            self.members = [list(range(n_chunks))]
            return
        client = self.client
        self.Xp = client.persist(X)
        self.chunk_futures = distributed.futures_of(self.Xp)
        self.chunk_futures = self._by_block(self.chunk_futures, X.name, n_chunks)
        self.score_futures = [None] * n_chunks
        if scores is not None:
            self.Sp = client.persist(scores)
            self.score_futures = self._by_block(distributed.futures_of(self.Sp), scores.name,
                                                n_chunks)
        distributed.wait(self.chunk_futures + [f for f in self.score_futures if f is not None])
        where = client.who_has(self.chunk_futures)
        by_worker = {}
        for i, fut in enumerate(self.chunk_futures):
            holders = sorted(where.get(fut.key, ()))
            by_worker.setdefault(holders[0] if holders else None, []).append(i)
        self.members = list(by_worker.values())
        self.groups = [None] * len(self.members)
        pending = [self._create(members, worker)
                   for worker, members in zip(by_worker.keys(), self.members)]
        for g, future in enumerate(pending):
            self.groups[g] = self._resolve(future, g)

    @staticmethod
    def _by_block(futures, name, n_chunks):
        keyed = {}
        for f in futures:
            key = f.key
            if isinstance(key, tuple) and key[0] == name:
                keyed[int(key[1])] = f
        if len(keyed) != n_chunks:
            raise RuntimeError("could not match the persisted chunks of the pool to its blocks")
        return [keyed[i] for i in range(n_chunks)]

    def _create(self, members, worker=None):
        kwargs = dict(actor=True, pure=False)
        if worker is not None:
            kwargs.update(workers=[worker], allow_other_workers=True)
        rows = np.asarray(self.pick_rows).reshape(len(self.picks), self.spec["n_features"]) \
            if self.picks else np.empty((0, self.spec["n_features"]))
        return self.client.submit(
            _ChunkGroup, self.spec, [self.chunk_futures[i] for i in members],
            [int(self.offsets[i]) for i in members], [self.score_futures[i] for i in members],
            [self.candidates[i] for i in members], self.labeled, list(self.picks), rows,
            self.backend, **kwargs)

    def _resolve(self, future, g):
        try:
            return _ActorGroup(future.result(), future)
        except Exception as exc:   # the chunks could not be brought back
            if isinstance(exc, (ValueError, TypeError, MemoryError)):
                raise
            raise WorkerLostError(
                f"the selection state of pool chunks {self.members[g]} could not be rebuilt "
                f"after {len(self.picks)} pick(s): {type(exc).__name__}: {exc}") from exc

    def _recover(self, g, exc):
        self.recoveries += 1
        if self.recoveries > MAX_RECOVERIES:
            raise WorkerLostError(
                f"workers holding the selection state were lost {self.recoveries} times "
                f"(last at pick {len(self.picks)}, chunks {self.members[g]}: "
                f"{type(exc).__name__}: {exc}); no result is returned") from exc
        _log.warning("rebuilding the selection state of pool chunks %s after pick %d (%s: %s)",
                     self.members[g], len(self.picks), type(exc).__name__, exc)
        self.groups[g] = self._resolve(self._create(self.members[g]), g)

    def step(self):
        t = len(self.picks)
        pick = self.picks[-1] if t else None
        row = self.pick_rows[-1] if t else None
        pending = [group.step(t, pick, row) for group in self.groups]
        results = []
        for g, call in enumerate(pending):
            while True:
                try:
                    results.append(call.result())
                    break
                except _RECOVERABLE as exc:    # a lost worker, a closed connection, stale state
                    if self.client is None:
                        raise
                    self._recover(g, exc)
                    call = self.groups[g].step(t, pick, row)
        best, where, best_row = -np.inf, -1, None
        for score, index, r in results:
            if index < 0:
                continue
            if score > best or (score == best and index < where):
                best, where, best_row = score, index, r
        if where < 0:
            raise RuntimeError("internal error: no candidate row was left; please report it")
        self.picks.append(where)
        self.pick_rows.append(best_row)
        return where

    def close(self):
        self.groups = []
        self.Xp = self.Sp = None


class _Done:
    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


class _LocalGroup:
    def __init__(self, group):
        self.group = group

    def step(self, t, pick, row):
        return _Done(self.group.step(t, pick, row))


class _ActorGroup:
    def __init__(self, actor, future):
        self.actor = actor
        self.future = future   # keeps the actor alive

    def step(self, t, pick, row):
        return self.actor.step(t, pick, row)


def _cold_start(X, metric, scale, n_jobs, backend, candidates):
    """The candidate row with the smallest summed distance to the candidate rows
    (``fastal.kernels.max_min_select``'s cold start, ties within a relative 1e-9 to
    the first row)."""
    if candidates is not None and candidates.all():
        candidates = None
    Xc = X if candidates is None else X[np.flatnonzero(candidates)]
    Xs = Xc.map_blocks(_prepare_block, metric, scale,
                       dtype=np.float64 if metric == "cosine" else X.dtype)
    # blocks of about _COLD_BYTES: the all-pairs sums take (n / rows)^2 tasks
    rows = max(1, _COLD_BYTES // (8 * X.shape[1]))
    Xs = Xs.rechunk({0: rows})
    totals = da.blockwise(_pair_totals_block, "ij", Xs, "ik", Xs, "jk", metric=metric,
                          scale=scale, n_jobs=n_jobs, backend=backend,
                          adjust_chunks={"j": 1}, concatenate=True, dtype=np.float64,
                          meta=np.empty((0, 0)))
    total = np.asarray(totals.sum(axis=1).compute())
    lowest = total.min()
    first = int(np.flatnonzero(total <= lowest + COLD_START_RTOL * abs(lowest))[0])
    return first if candidates is None else int(np.flatnonzero(candidates)[first])


def _select(X, labeled, batch, scores, metric, n_jobs, candidates=None, first=None):
    """Greedy max-min picks among the candidate rows (all rows when None).

    ``first``: a row taken as the first pick and counted as labeled from then on
    (core-set's random first row); with no labeled rows and no ``first`` the
    cold-start rule picks it.
    """
    backend = get_backend()
    client = _active_client()
    if client is not None:         # computed once, kept on the workers for every pass
        X = client.persist(X)
        scores = None if scores is None else client.persist(scores)
    n = X.shape[0]
    n_cand = n if candidates is None else int(candidates.sum())
    scale = _global_scale(X, labeled, metric)
    prepared = _prepare_block(labeled, metric, scale) if labeled.shape[0] else \
        np.empty((0, X.shape[1]), dtype=np.float64 if metric == "cosine" else X.dtype)
    head = []
    if prepared.shape[0] == 0:
        if first is None:
            first = _cold_start(X, metric, scale, n_jobs, backend, candidates)
        head = [first]
        prepared = _prepare_block(_fetch_rows(X, np.array([first])), metric, scale)
        candidates = np.ones(n, dtype=bool) if candidates is None else candidates.copy()
        candidates[first] = False
        n_lab0 = 1
        batch -= 1
    else:
        n_lab0 = prepared.shape[0]
    if batch == 0:
        return np.asarray(head, dtype=np.int64)
    # with a first row: as fastal.kernels (cold start, |U| counts it) or CoreSet (it does not)
    n_unl0 = n_cand if (head and scores is not None) else (n_cand - len(head))
    spec = dict(metric=metric, scale=scale, n_unl0=n_unl0, n_lab0=n_lab0, n_jobs=n_jobs,
                n_features=X.shape[1])
    selection = _Selection(X, spec, scores, candidates, prepared, backend)
    try:
        for _ in range(batch):
            selection.step()
    finally:
        selection.close()
    return np.asarray(head + selection.picks, dtype=np.int64)


def max_min_select(X, X_labeled, batch_size, *, scores=None, metric="euclidean", n_jobs=None):
    """Greedy max-min batch on a chunked pool: k-center greedy, or ranked batch with ``scores``.

    The same picks, in the same order, as ``fastal.kernels.max_min_select(
    X.compute(), X_labeled, batch_size, scores=scores, metric=metric)``
    (modAL's ranked batch with ``alpha = |U'| / (|U'| + |L'|)`` recomputed at
    every pick, or Sener & Savarese's k-center greedy; ties to the lowest
    row index), for any chunking.

    Each worker keeps the minimum distances of the chunks it holds; a pick
    is one round trip: every worker folds in the previous pick and answers
    its best (score, row index, row), the client takes the global best (ties
    to the lowest index).  The distances are the kernels' own, computed
    per row independently of the chunking, so the scores compared are the
    single-machine ones bit for bit.  With a ``distributed`` client active the
    state lives on the workers (a lost worker's state is rebuilt from the
    labeled rows and the picks so far; ``WorkerLostError`` when that fails
    repeatedly); otherwise in this process.

    With no labeled rows the first pick is the row with the smallest summed
    distance to the pool (as the kernel; this compares every chunk with every
    other one, O(n^2 d)); the sums are added chunk by chunk, so they may
    differ from the kernel's in the last bits, which changes the first row
    only if two sums lie within that of the relative 1e-9 tie window.

    Parameters
    ----------
    X : dask.array.Array (n, d), chunked along rows only
    X_labeled : array-like (m, d), m >= 0, or None
        In memory (a dask array is computed).
    batch_size : int in [1, n]
    scores : dask.array.Array (n,) with X's row chunks, array-like (n,), or None
    metric : {"euclidean", "manhattan", "cosine"}
    n_jobs : int or None
        Kernel threads on each worker.

    Returns
    -------
    ndarray (batch_size,) of int64 row indices into X, in pick order.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> import fastal.dask
    >>> X = da.from_array(np.array([[0.0], [1.0], [4.0], [9.0]]), chunks=(1, -1))
    >>> fastal.dask.max_min_select(X, np.array([[0.0]]), 2).tolist()
    [3, 2]
    >>> u = da.from_array(np.array([0.9, 0.1, 0.1, 0.0]), chunks=(1,))
    >>> fastal.dask.max_min_select(X, np.array([[0.0]]), 2, scores=u).tolist()
    [3, 2]
    """
    X = _check_pool(X)
    metric = _check_metric_dense(metric)
    if X_labeled is None:
        X_labeled = np.empty((0, X.shape[1]), dtype=X.dtype)
    labeled = _check_reference(X_labeled, X, "X_labeled", min_rows=0)
    batch = check_count(batch_size, "batch_size", 1, X.shape[0])
    if scores is not None:
        scores = _check_scores(scores, X)
    return _select(X, labeled, batch, scores, metric, n_jobs)


# -- strategies --------------------------------------------------------------------------

def next_batch(X, labeled, model, batch_size, *, strategy="uncertainty", method=None,
               metric="euclidean", beta=1.0, density_samples=1000, random_state=None,
               n_jobs=None):
    """The next rows to label in a chunked pool, for one round of an active-learning loop.

    Only unlabeled rows are candidates; the indices are into X's rows.

    Parameters
    ----------
    X : dask.array.Array (n, d), chunked along rows only
    labeled : boolean mask (n,) or integer indices
        The rows labeled so far.  An integer array of length n holding only
        0 and 1 is refused (a mask needs dtype bool).
    model : fitted classifier with ``predict_proba``
        Fitted on the labeled rows (not used by ``coreset``, nor by
        ``ranked`` before any row is labeled).
    batch_size : int in [1, number of unlabeled rows]
    strategy : {"uncertainty", "ranked", "coreset", "density"}
        ``uncertainty``: the top rows by ``UncertaintySampling``'s score
        (``uncertainty_top_k``).  ``ranked``: ``RankedBatch`` (u = 1 - max p,
        max-min picks against the labeled rows; u = 1 and the cold start with
        no labeled row).  ``coreset``: ``CoreSet(...).make_query(n_instances=k)``:
        k-center greedy from the labeled rows (no labeled row: a first row drawn
        with ``random_state`` as CoreSet draws it).  ``density``:
        ``InformationDensity``'s score, uncertainty x density ** beta, with the
        density each unlabeled row's mean similarity 1 / (1 + d) to
        ``density_samples`` other unlabeled rows drawn with ``random_state``
        (``pairwise_density(n_samples=..., include_self=False)`` over the
        unlabeled rows); the top rows by score.
    method : {"lc", "sm", "entropy"} or None
        The uncertainty measure: default ``lc``, ``entropy`` for ``density``
        (libact's defaults).  ``ranked`` takes only ``lc`` (or None) and
        ``coreset`` only None: any other value is a ValueError.
    metric : {"euclidean", "manhattan", "cosine"}
    beta : float
        ``density`` only.
    density_samples : int
        ``density`` only: reference rows drawn (all of them when at least the
        number of unlabeled rows).
    random_state : None, int or RandomState
        ``coreset`` (first row with no labels) and ``density`` (the draw).
    n_jobs : int or None

    Returns
    -------
    ndarray (batch_size,) of int64 pool row indices: in pick order for the
    greedy strategies, by decreasing score (ties to the lower index) otherwise.

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> from sklearn.linear_model import LogisticRegression
    >>> import fastal.dask
    >>> Xn = np.array([[0.0], [0.4], [0.5], [0.6], [1.0], [5.0]])
    >>> X = da.from_array(Xn, chunks=(4, -1))
    >>> labeled = np.array([True, False, False, False, True, False])
    >>> model = LogisticRegression().fit(Xn[labeled], [0, 1])
    >>> fastal.dask.next_batch(X, labeled, model, 2, strategy="ranked").tolist()
    [5, 2]
    """
    X = _check_pool(X)
    n = X.shape[0]
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; valid: {list(STRATEGIES)}")
    metric = _check_metric_dense(metric)
    lab = _row_indices(labeled, n, "labeled")
    unlabeled = np.ones(n, dtype=bool)
    unlabeled[lab] = False
    n_unl = int(unlabeled.sum())
    if n_unl == 0:
        raise ValueError("every row of the pool is labeled; there is nothing left to query")
    batch = check_count(batch_size, "batch_size", 1, n_unl)
    if strategy == "coreset" and method is not None:
        raise ValueError(f"strategy 'coreset' uses no model, so no uncertainty method; got "
                         f"method={method!r} (leave it None)")
    if strategy == "ranked" and method not in (None, "lc"):
        raise ValueError(f"strategy 'ranked' scores with 1 - max p (RankedBatch), the 'lc' "
                         f"measure; got method={method!r}: use strategy 'uncertainty' or "
                         "'density' for another measure")
    if method is None:
        method = "entropy" if strategy == "density" else "lc"
    method = _check_method(method)
    if strategy == "uncertainty":
        _check_model(model)
        return _top_k(X, model, batch, method, "query", unlabeled, None)[0]
    if strategy == "density":
        _check_model(model)
        beta = float(beta)
        if not np.isfinite(beta):
            raise ValueError(f"beta must be finite, got {beta}")
        dens = _sampled_density(X, np.flatnonzero(unlabeled).astype(np.int64), density_samples,
                                random_state, metric, "inverse", False, n_jobs, get_backend(),
                                "density_samples")
        if beta != 1.0:
            dens = dens.map_blocks(_power, beta, dtype=np.float64)
        return _top_k(X, model, batch, method, "positive", unlabeled, dens)[0]
    X_lab = _fetch_rows(X, lab)
    if strategy == "coreset":
        first = None
        if lab.size == 0:
            first = int(np.flatnonzero(unlabeled)[seed_random_state(random_state).randint(
                0, n_unl)])
        return _select(X, X_lab.astype(X.dtype, copy=False), batch, None, metric, n_jobs,
                       candidates=unlabeled, first=first)
    if lab.size == 0:
        scores = da.ones(n, chunks=(X.chunks[0],), dtype=np.float64)
    else:
        _check_model(model)
        scores = X.map_blocks(_scores_block, model, "lc", "ranked", drop_axis=1,
                              dtype=np.float64, meta=np.empty(0))
    return _select(X, X_lab.astype(X.dtype, copy=False), batch, scores, metric, n_jobs,
                   candidates=unlabeled)
