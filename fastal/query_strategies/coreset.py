"""Core-set (k-center greedy) queries with cached minimum distances."""
import numpy as np

from fastal.kernels import max_min_select, min_distance
from fastal.query_strategies._selection import (
    ScoredQueryStrategy, answer, check_n_instances, rank_with_ties)
from fastal.utils import seed_random_state
from fastal.utils.validation import check_matrix, check_metric

__all__ = ["CoreSet"]


class CoreSet(ScoredQueryStrategy):
    """libact's ``CoreSet`` (Sener & Savarese 2018): the row farthest from the labeled set.

    score(x) = min over labeled rows l of d(x, l).  The minimum distances of
    all rows are computed once (``fastal.kernels.min_distance``) and then
    updated from ``Dataset.on_update`` with the one new labeled row, O(n d) per
    label, so a sequence of single queries recomputes nothing from scratch.
    ``make_query(n_instances=k)`` returns a k-center greedy batch
    (``fastal.kernels.max_min_select``; ties inside the batch go to the first row).

    Parameters
    ----------
    metric : {'euclidean', 'manhattan'/'cityblock', 'cosine'}, default 'euclidean'
    transformer : object with ``transform(X)``, optional
        Distances are taken between transformed rows; the transform of the
        whole pool is computed once and kept (the transformer must not change).
    random_state : None, int or RandomState
        Single queries break ties (``np.isclose`` to the maximum) with
        ``random_state_.choice``; with no labeled row the query is uniformly random.

    Examples
    --------
    >>> from fastal.base.dataset import Dataset
    >>> from fastal.query_strategies import CoreSet
    >>> ds = Dataset([[0.0], [1.0], [4.0], [9.0]], [0, None, None, None])
    >>> CoreSet(ds).make_query(n_instances=2).tolist()
    [3, 2]
    """

    def __init__(self, dataset, **kwargs):
        super().__init__(dataset, **kwargs)
        self.metric = kwargs.pop("metric", "euclidean")
        check_metric(self.metric)
        self.transformer = kwargs.pop("transformer", None)
        if self.transformer is not None and not hasattr(self.transformer, "transform"):
            raise TypeError("transformer must have a 'transform' method")
        self.random_state_ = seed_random_state(kwargs.pop("random_state", None))
        self._features = None
        self._min_dist = None

    def _all_features(self):
        if self._features is None or self._features.shape[0] != len(self.dataset):
            X, _ = self.dataset.get_entries()
            if self.transformer is not None:
                X = self.transformer.transform(X)
            self._features = check_matrix(np.asarray(X), "features")
            self._min_dist = None
        return self._features

    def _all_min_dist(self):
        F = self._all_features()
        if self._min_dist is None:
            mask = self.dataset.get_labeled_mask()
            if mask.any():
                self._min_dist = min_distance(F, F[mask], metric=self.metric)
            else:
                self._min_dist = np.full(F.shape[0], np.inf)
        return self._min_dist

    def update(self, entry_id, label):
        """Fold the newly labeled row into the cached minimum distances."""
        if self._min_dist is None:
            return
        if label is None or len(self._min_dist) != len(self.dataset):
            self._min_dist = None
            return
        F = self._all_features()
        new = min_distance(F, F[entry_id:entry_id + 1], metric=self.metric)
        np.minimum(self._min_dist, new, out=self._min_dist)

    def _get_scores(self):
        entry_ids = self.dataset.get_unlabeled_ids().copy()
        if len(entry_ids) == 0:
            return entry_ids, np.zeros(0)
        return entry_ids, self._all_min_dist()[entry_ids].copy()

    def make_query(self, return_score=False, *, n_instances=None):
        entry_ids, scores = self._get_scores()
        k = check_n_instances(n_instances, len(entry_ids), return_score)
        rs = self.random_state_
        no_labels = self.dataset.len_labeled() == 0
        if k is None:
            if no_labels:
                chosen = entry_ids[rs.randint(0, len(entry_ids))]
            else:
                chosen = entry_ids[rank_with_ties(scores, 1, "isclose", rs)[0]]
        else:
            F = self._all_features()
            if no_labels:
                first = rs.randint(0, len(entry_ids))
                rest_ids = np.delete(entry_ids, first)
                picks = []
                if k > 1:
                    picks = rest_ids[max_min_select(F[rest_ids], F[entry_ids[first]][None, :],
                                                    k - 1, metric=self.metric)]
                chosen = np.concatenate([[entry_ids[first]], picks]).astype(np.int64)
            else:
                labeled = F[self.dataset.get_labeled_mask()]
                chosen = entry_ids[max_min_select(F[entry_ids], labeled, k, metric=self.metric)]
        return answer(chosen, entry_ids, scores, return_score)
