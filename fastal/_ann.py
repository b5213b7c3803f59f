"""Approximate nearest neighbours through faiss (the optional extra ``fastal[ann]``).

faiss finds candidate neighbours with an inverted-file index (k-means cells;
rows stored as 8-bit scalar codes by default, or as float32); fastal then
computes the distances of the chosen pairs exactly, in float64, in the same
frame as the exact kernels, and orders each row's neighbours by
(distance, index).
"""
import warnings

import numpy as np
import scipy.sparse as sp

ANN_METRICS = ("euclidean", "cosine")
_BLOCK = 65536
# rows whose exact neighbours are found to measure the recall of every approximate search
RECALL_ROWS = 100
# below this measured recall, a LowRecallWarning says so
RECALL_WARNING = 0.9


class LowRecallWarning(UserWarning):
    """The approximate search missed many of the exact neighbours of the rows checked."""


def _faiss():
    try:
        import faiss
    except ImportError:
        raise ImportError("algorithm='approximate' needs faiss, the optional extra "
                          "fastal[ann]: pip install 'fastal[ann]' (or pip install faiss-cpu)"
                          ) from None
    return faiss


STORAGE = {"sq8": "SQ8", "flat": "Flat"}


def check_ann_params(params, n):
    """(nlist, nprobe, storage) from ``ann_params``: defaults sqrt(n) cells, 6 of them
    probed, rows stored as 8-bit codes."""
    params = dict(params or {})
    unknown = set(params) - {"nlist", "nprobe", "storage"}
    if unknown:
        raise TypeError(f"unknown ann_params {sorted(unknown)}; valid: "
                        "['nlist', 'nprobe', 'storage']")
    storage = params.get("storage", "sq8")
    if storage not in STORAGE:
        raise ValueError(f"ann_params['storage'] must be one of {sorted(STORAGE)}, "
                         f"got {storage!r}")
    nlist = params.get("nlist")
    nlist = max(1, int(round(np.sqrt(n)))) if nlist is None else nlist
    nprobe = params.get("nprobe")
    nprobe = 6 if nprobe is None else nprobe
    for name, value in (("nlist", nlist), ("nprobe", nprobe)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"ann_params[{name!r}] must be a positive integer, got {value!r}")
    return int(min(nlist, n)), int(min(nprobe, nlist)), storage


def approximate_neighbors(X, n_neighbors, metric, n_threads, ann_params=None, seed=0):
    """Indices (n, k) of approximate nearest neighbours (a row is not its own) and the
    exact float64 distances to them, both sorted by (distance, index).

    ``X`` is in the kernels' frame (``prepare_rows``: unit rows for cosine).
    """
    faiss = _faiss()
    if sp.issparse(X):
        raise TypeError("algorithm='approximate' needs dense rows; use algorithm='exact' "
                        "for sparse X")
    if metric not in ANN_METRICS:
        raise ValueError(f"algorithm='approximate' supports {list(ANN_METRICS)}, not "
                         f"{metric!r}; use algorithm='exact'")
    n, d = X.shape
    k = n_neighbors
    nlist, nprobe, storage = check_ann_params(ann_params, n)
    data = np.ascontiguousarray(X, dtype=np.float32)
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(int(n_threads))
    try:
        index = faiss.index_factory(d, f"IVF{nlist},{STORAGE[storage]}")
        train = data
        if n > 64 * nlist:
            rows = np.random.default_rng(seed).choice(n, 64 * nlist, replace=False)
            train = data[np.sort(rows)]
        faiss.extract_index_ivf(index).cp.seed = int(seed)
        index.train(train)
        index.add(data)
        ind = np.empty((n, k), dtype=np.int64)
        for start in range(0, n, _BLOCK):
            stop = min(n, start + _BLOCK)
            ind[start:stop] = _search_block(index, data, start, stop, k, nprobe, nlist)
    finally:
        faiss.omp_set_num_threads(previous)
    dist = _exact_distances(X, ind, metric)
    order = np.lexsort((ind, dist), axis=1) if dist.size else np.zeros_like(ind)
    ind = np.take_along_axis(ind, order, axis=1)
    dist = np.take_along_axis(dist, order, axis=1)
    rows = np.sort(np.random.default_rng(seed).choice(n, min(n, RECALL_ROWS), replace=False))
    recall = sampled_recall(X, rows, dist[rows], metric)
    if recall < RECALL_WARNING:
        warnings.warn(
            f"approximate {k}-NN search: only {recall:.0%} of the exact neighbours of "
            f"{len(rows)} rows checked were found (nprobe {nprobe} of {nlist} cells); rows "
            "without clusters or low-dimensional structure defeat the index. Raise "
            "ann_params['nprobe'] or use algorithm='exact'", LowRecallWarning, stacklevel=3)
    return ind, dist


def sampled_recall(X, rows, found_distances, metric):
    """Share of the exact k nearest neighbours of ``X[rows]`` (other than themselves) that
    the search found, from the distances of the neighbours found (exact, sorted): a
    neighbour counts when it is no farther than the exact k-th nearest row."""
    k = found_distances.shape[1]
    if k == 0 or len(rows) == 0:
        return 1.0
    Q = np.asarray(X[rows], dtype=np.float64)
    nearest = np.empty((len(rows), 0))
    for start in range(0, X.shape[0], _BLOCK):
        B = np.asarray(X[start:start + _BLOCK], dtype=np.float64)
        if metric == "cosine":
            D = np.clip(1.0 - Q @ B.T, 0.0, 2.0)
        else:
            D = np.sqrt(np.maximum((Q * Q).sum(1)[:, None] + (B * B).sum(1)[None, :]
                                   - 2.0 * Q @ B.T, 0.0))
        own = (rows >= start) & (rows < start + B.shape[0])
        D[own, rows[own] - start] = np.inf                    # a row is not its own neighbour
        if D.shape[1] > k:
            D = np.partition(D, k - 1, axis=1)[:, :k]
        nearest = np.sort(np.hstack([nearest, D]), axis=1)[:, :k]
    kth = nearest[:, k - 1]
    # the products above round: a neighbour at the k-th distance counts within 1e-9
    found = (found_distances <= kth[:, None] * (1 + 1e-9) + 1e-12).sum(axis=1)
    return float(np.minimum(found, k).sum() / (k * len(rows)))


def _search_block(index, data, start, stop, k, nprobe, nlist):
    """k neighbours of rows start..stop other than the row itself; rows whose probed
    cells hold too few rows are searched again with more cells, up to all of them."""
    rows = np.arange(start, stop)
    out = np.full((stop - start, k), -1, dtype=np.int64)
    todo = np.arange(stop - start)
    probe = nprobe
    while todo.size:
        index.nprobe = probe
        _, found = index.search(data[rows[todo]], k + 1)
        valid = (found >= 0) & (found != rows[todo][:, None])
        first = np.argsort(~valid, axis=1, kind="stable")[:, :k]   # valid ones, in order
        cand = np.take_along_axis(found, first, axis=1)
        cand[np.take_along_axis(~valid, first, axis=1)] = -1
        out[todo] = cand
        missing = (out[todo] < 0).any(axis=1)
        if probe >= nlist and missing.any():
            raise RuntimeError("faiss returned fewer neighbours than asked with every cell "
                               "probed; please report it")
        todo = todo[missing]
        probe = min(nlist, probe * 4)
    return out


def _exact_distances(X, ind, metric):
    n, k = ind.shape
    dist = np.empty((n, k))
    for start in range(0, n, _BLOCK // max(1, k)):
        stop = min(n, start + _BLOCK // max(1, k))
        A = np.asarray(X[start:stop], dtype=np.float64)[:, None, :]
        B = np.asarray(X[ind[start:stop].ravel()], dtype=np.float64).reshape(stop - start, k, -1)
        if metric == "cosine":
            dist[start:stop] = np.clip(1.0 - np.einsum("ikd,ikd->ik", np.broadcast_to(A, B.shape), B),
                                       0.0, 2.0)
        else:
            dist[start:stop] = np.sqrt(((A - B) ** 2).sum(axis=2))
    return dist
