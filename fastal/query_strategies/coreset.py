"""Core-set (k-center greedy) queries with cached minimum distances."""
import numpy as np

from fastal.kernels import check_rows, max_min_select, min_distance
from fastal.query_strategies._selection import (
    ScoredQueryStrategy, answer, check_n_instances, rank_with_ties)
from fastal.query_strategies._transform import check_transformer, transform_rows
from fastal.utils import seed_random_state
from fastal.utils.validation import check_metric

__all__ = ["CoreSet"]


class CoreSet(ScoredQueryStrategy):
    """libact's ``CoreSet`` (Sener & Savarese 2018): the row farthest from the labeled set.

    score(x) = min over labeled rows l of d(x, l).  Without a transformer the
    minimum distances of all rows are computed once
    (``fastal.kernels.min_distance``) and then updated from
    ``Dataset.on_update`` with the one new labeled row, O(n d) per label; the
    cache records the dataset revision it matches and is rebuilt whenever it
    does not (an interrupted or missed update never leaves it stale).
    ``make_query(n_instances=k)`` returns a k-center greedy batch
    (``fastal.kernels.max_min_select``; ties inside the batch go to the first row).

    Parameters
    ----------
    dataset : Dataset
    metric : {'euclidean', 'manhattan'/'cityblock', 'cosine'}, default 'euclidean'
    transformer : object with ``transform(X)``, optional
        As in libact, the pool and the labeled rows are transformed at every
        query (a feature extractor refitted between rounds is used as it is
        now), and the distances are taken between transformed rows.  The
        string ``'model'`` (which the other distance-based strategies take to
        mean their model's Pipeline) is an error here: CoreSet has no model.
    random_state : None, int or RandomState
        Single queries break ties (``np.isclose`` to the maximum) with
        ``random_state_.choice``; with no labeled row the query is uniformly random.
    cache_features : bool, default False, keyword only
        fastal only.  With a transformer that never changes, True transforms
        the whole dataset once and keeps the minimum distances up to date
        between queries instead of recomputing them.

    Examples
    --------
    >>> from fastal.base.dataset import Dataset
    >>> from fastal.query_strategies import CoreSet
    >>> ds = Dataset([[0.0], [1.0], [4.0], [9.0]], [0, None, None, None])
    >>> CoreSet(ds).make_query(n_instances=2).tolist()
    [3, 2]
    """

    def __init__(self, dataset, *, metric="euclidean", transformer=None, random_state=None,
                 cache_features=False):
        super().__init__(dataset)
        self.metric = metric
        check_metric(self.metric)
        self.transformer = check_transformer(transformer, None, "CoreSet")
        self.cache_features = bool(cache_features)
        self.random_state_ = seed_random_state(random_state)
        self._features = None        # (dataset length, features of every row)
        self._min_dist = None        # (dataset revision, min distance of every row)

    @property
    def _incremental(self):
        return self.transformer is None or self.cache_features

    def _transform(self, X):
        return check_rows(transform_rows(self.transformer, None, X, "CoreSet"),
                          "transformed features")

    def _all_features(self):
        """Features of every row (incremental mode only)."""
        if self._features is None or self._features[0] != len(self.dataset):
            X, _ = self.dataset.get_entries()
            self._features = (len(self.dataset), self._transform(X))
            self._min_dist = None
        return self._features[1]

    def _all_min_dist(self):
        F = self._all_features()
        revision = self.dataset.revision
        if self._min_dist is None or self._min_dist[0] != revision:
            mask = self.dataset.get_labeled_mask()
            if mask.any():
                md = min_distance(F, F[mask], metric=self.metric)
            else:
                md = np.full(F.shape[0], np.inf)
            self._min_dist = (revision, md)
        return self._min_dist[1]

    def update(self, entry_id, label):
        """Fold the newly labeled row into the cached minimum distances."""
        cached = self._min_dist
        if cached is None:
            return
        revision = self.dataset.revision
        if (label is None or cached[0] != revision - 1 or self._features is None
                or self._features[0] != len(self.dataset)):
            self._min_dist = None
            return
        F = self._features[1]
        new = min_distance(F, F[entry_id:entry_id + 1], metric=self.metric)
        self._min_dist = (revision, np.minimum(cached[1], new))

    def _pool_and_labeled(self, entry_ids):
        """Features of the pool rows and of the labeled rows, as this query sees them."""
        if self._incremental:
            F = self._all_features()
            return F[entry_ids], F[self.dataset.get_labeled_mask()]
        X, _ = self.dataset.get_entries()
        X_labeled = X[self.dataset.get_labeled_mask()]
        F_labeled = self._transform(X_labeled) if len(X_labeled) else None
        return self._transform(X[entry_ids]), F_labeled

    def _get_scores(self):
        entry_ids = self.dataset.get_unlabeled_ids().copy()
        if len(entry_ids) == 0:
            return entry_ids, np.zeros(0)
        if self.dataset.len_labeled() == 0:
            return entry_ids, np.full(len(entry_ids), np.inf)
        if self._incremental:
            return entry_ids, self._all_min_dist()[entry_ids].copy()
        F_pool, F_labeled = self._pool_and_labeled(entry_ids)
        return entry_ids, min_distance(F_pool, F_labeled, metric=self.metric)

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
            F_pool, F_labeled = self._pool_and_labeled(entry_ids)
            if no_labels:
                first = rs.randint(0, len(entry_ids))
                rest = np.delete(np.arange(len(entry_ids)), first)
                picks = np.zeros(0, dtype=np.int64)
                if k > 1:
                    picks = rest[max_min_select(F_pool[rest], F_pool[[first]], k - 1,
                                                metric=self.metric)]
                chosen = entry_ids[np.concatenate([[first], picks]).astype(np.int64)]
            else:
                chosen = entry_ids[max_min_select(F_pool, F_labeled, k, metric=self.metric)]
        return answer(chosen, entry_ids, scores, return_score)
