"""Graph density sampling (Ebert et al. 2012), as alipy's ``QueryInstanceGraphDensity``."""
import numpy as np

from fastal.kernels import check_rows, graph_density_select, knn_density
from fastal.query_strategies._selection import ScoredQueryStrategy, answer, check_n_instances
from fastal.query_strategies._transform import check_transformer, transform_rows
from fastal.utils.validation import check_metric

__all__ = ["GraphDensity"]


class GraphDensity(ScoredQueryStrategy):
    """Representative rows by density on a k-nearest-neighbour graph.

    Reproduces alipy's ``QueryInstanceGraphDensity``: the graph joins each row
    with its ``n_neighbors`` nearest rows (both ways), edges weigh
    ``exp(-gamma d)``, a row's density is its mean edge weight; a batch takes
    the densest unlabeled row, lowers its neighbours' densities by its own, and
    repeats (``fastal.kernels.knn_density`` and ``graph_density_select``).
    The graph covers every row of the dataset and is built once (at every
    query with a transformer, unless ``cache_features``); each query starts
    again from the graph densities (alipy keeps lowering them across calls).
    ``_get_scores`` gives the graph density of the unlabeled rows.

    Parameters
    ----------
    dataset : Dataset
    n_neighbors : int, default 10 (alipy's fixed value)
    metric : {'manhattan', 'euclidean', 'cosine'}, default 'manhattan'
    gamma : float or None, default 1 / n_features
        Of the space the distances are measured in (the transformed one with
        a transformer).
    n_jobs : int or None
    algorithm : {'exact', 'approximate'}, default 'exact', keyword only
        fastal only.  ``approximate`` builds the k-NN graph with faiss
        (``fastal.kernels.knn_density(algorithm="approximate")``, the optional
        extra ``fastal[ann]``; euclidean or cosine, dense rows), for pools
        too large for the exact O(n^2 d) graph.
    ann_params : dict, optional, keyword only
        ``{"nlist": ..., "nprobe": ...}`` for ``approximate``.
    transformer : None or object with ``transform(X)``, keyword only
        The space the distances are measured in: None, the raw rows; an
        object, ``transformer.transform(X)`` of every row, at every query.
        The string ``'model'`` is an error here: GraphDensity has no model.
    cache_features : bool, default False, keyword only
        With a transformer that never changes, True transforms the rows and
        builds the graph once, as without a transformer.

    Examples
    --------
    >>> from fastal.base.dataset import Dataset
    >>> from fastal.query_strategies import GraphDensity
    >>> ds = Dataset([[0.0], [0.1], [0.2], [5.0], [5.1], [9.0]], [None] * 6)
    >>> GraphDensity(ds, n_neighbors=2).make_query(n_instances=2).tolist()
    [1, 4]
    """

    _tie = "first"

    def __init__(self, dataset, n_neighbors=10, metric="manhattan", gamma=None, n_jobs=None,
                 *, transformer=None, cache_features=False, algorithm="exact", ann_params=None):
        super().__init__(dataset)
        self.n_neighbors = n_neighbors
        self.metric = check_metric(metric)
        self.gamma = gamma
        self.n_jobs = n_jobs
        self.transformer = check_transformer(transformer, None, "GraphDensity")
        self.cache_features = bool(cache_features)
        if algorithm not in ("exact", "approximate"):
            raise ValueError(f"unknown algorithm {algorithm!r}; valid: ['approximate', 'exact']")
        self.algorithm = algorithm
        self.ann_params = ann_params
        self._graph = None

    def _density_graph(self):
        fresh = self.transformer is not None and not self.cache_features
        if fresh or self._graph is None or self._graph[1].shape[0] != len(self.dataset):
            X, _ = self.dataset.get_entries()
            X = transform_rows(self.transformer, None, X, "GraphDensity")
            self._graph = knn_density(check_rows(X, "X"), self.n_neighbors,
                                      metric=self.metric, gamma=self.gamma, n_jobs=self.n_jobs,
                                      algorithm=self.algorithm, ann_params=self.ann_params)
        return self._graph

    def _pool_density(self, density):
        entry_ids = self.dataset.get_unlabeled_ids().copy()
        return entry_ids, np.asarray(density, dtype=np.float64)[entry_ids]

    def _get_scores(self):
        if self.dataset.len_unlabeled() == 0:
            return self.dataset.get_unlabeled_ids().copy(), np.zeros(0)
        return self._pool_density(self._density_graph()[0])

    def make_query(self, return_score=False, *, n_instances=None):
        k = check_n_instances(n_instances, self.dataset.len_unlabeled(), return_score)
        density, graph = self._density_graph()
        labeled = np.flatnonzero(self.dataset.get_labeled_mask())
        picks = graph_density_select(density, graph, 1 if k is None else k, exclude=labeled)
        chosen = picks[0] if k is None else picks
        if return_score:
            return answer(chosen, *self._pool_density(density), True)
        return chosen
