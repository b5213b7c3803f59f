"""Density-weighted meta strategy: a base strategy's scores times cluster similarity."""
import numpy as np
import scipy.sparse as sp
from sklearn.cluster import KMeans

from fastal.base.interfaces import QueryStrategy
from fastal.query_strategies._selection import ScoredQueryStrategy
from fastal.query_strategies._transform import check_transformer, transform_rows
from fastal.utils import seed_random_state

__all__ = ["DensityWeightedMeta"]


def _cosine_to_centre(X, centres, assignment):
    """Cosine similarity of every row to its own cluster centre (zero rows give 0)."""
    centres = np.asarray(centres, dtype=np.float64)
    nc = np.linalg.norm(centres, axis=1)[assignment]
    if sp.issparse(X):   # a product with the few centres; no dense copy of the rows
        X = sp.csr_matrix(X, dtype=np.float64)
        nx = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
        dots = np.asarray(X @ centres.T)[np.arange(X.shape[0]), assignment]
    else:
        X = np.asarray(X, dtype=np.float64)
        nx = np.linalg.norm(X, axis=1)
        dots = np.einsum("ij,ij->i", X, centres[assignment])
    denom = nx * nc
    return np.divide(dots, denom, out=np.zeros_like(dots), where=denom > 0)


class DensityWeightedMeta(ScoredQueryStrategy):
    """libact's ``DensityWeightedMeta``: score = base score * sim(x, centre(x)) ** beta.

    The clustering is fitted on all rows at every query and each unlabeled row
    is compared with the centre of its cluster.  The default similarity (cosine)
    is computed for all rows at once; a custom ``similarity_metric`` (a
    scikit-learn pairwise function) is called once on (pool, centres) instead
    of once per row.  Ties: scores equal to the maximum, broken with
    ``random_state_.choice`` (as libact).

    Parameters
    ----------
    dataset : Dataset
    base_query_strategy : QueryStrategy with ``_get_scores`` on the same dataset
    similarity_metric : callable(X, Y) -> (n, m) similarities, default cosine
    clustering_method : estimator with fit / predict / cluster_centers_,
        default ``KMeans(n_clusters=5, random_state=random_state_)``
    beta : float, default 1.0
    random_state : None, int or RandomState
    transformer : None, object with ``transform(X)``, or 'model', keyword only
        fastal only.  The space the clustering and the similarities are
        computed in: None, the raw rows (libact); an object,
        ``transformer.transform(X)`` of every row at every query; ``'model'``,
        every step but the last of the base strategy's ``model``, a
        scikit-learn ``Pipeline``, as fitted by the base strategy's scores.
    """

    _tie = "exact"

    def __init__(self, dataset, base_query_strategy, similarity_metric=None,
                 clustering_method=None, beta=1.0, random_state=None, *, transformer=None):
        super().__init__(dataset=dataset)
        if not isinstance(base_query_strategy, QueryStrategy):
            raise TypeError("'base_query_strategy' has to be an instance of 'QueryStrategy'")
        if base_query_strategy.dataset is not self.dataset:
            raise ValueError("base_query_strategy should share the same dataset instance "
                             "with DensityWeightedMeta")
        self.base_query_strategy = base_query_strategy
        self.beta = beta
        self.random_state_ = seed_random_state(random_state)
        self.clustering_method = clustering_method if clustering_method is not None else \
            KMeans(n_clusters=5, random_state=self.random_state_)
        self.similarity_metric = similarity_metric
        self.transformer = check_transformer(
            transformer, getattr(base_query_strategy, "model", None), "DensityWeightedMeta")

    def _get_scores(self):
        entry_ids, base_scores = self.base_query_strategy._get_scores()
        entry_ids = np.asarray(entry_ids)
        if len(entry_ids) == 0:
            return entry_ids, np.zeros(0)
        X, _ = self.dataset.get_entries()
        if self.transformer is not None:
            X = transform_rows(self.transformer, getattr(self.base_query_strategy, "model", None),
                               X, "DensityWeightedMeta")
        X_pool = X[entry_ids]
        self.clustering_method.fit(X)
        assignment = self.clustering_method.predict(X_pool)
        centres = self.clustering_method.cluster_centers_
        if self.similarity_metric is None:
            similarity = _cosine_to_centre(X_pool, centres, assignment)
        else:
            similarity = np.asarray(self.similarity_metric(X_pool, centres))[
                np.arange(len(entry_ids)), assignment]
        return entry_ids, np.asarray(base_scores, dtype=np.float64) * similarity ** self.beta
