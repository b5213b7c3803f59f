"""Uniformly random queries."""
import numpy as np

from fastal.query_strategies._selection import ScoredQueryStrategy, answer, check_n_instances
from fastal.utils import seed_random_state

__all__ = ["RandomSampling"]


class RandomSampling(ScoredQueryStrategy):
    """A uniformly random unlabeled row (libact's ``RandomSampling``).

    A single query draws ``randint(0, n_unlabeled)`` as libact does, so the
    same ``random_state`` gives the same ids; a batch is a draw without
    replacement.  Every row scores 1.

    Parameters
    ----------
    dataset : Dataset
    random_state : None, int or RandomState

    Examples
    --------
    >>> from fastal.base.dataset import Dataset
    >>> from fastal.query_strategies import RandomSampling
    >>> ds = Dataset([[0.0], [1.0], [2.0]], [None, None, None])
    >>> RandomSampling(ds, random_state=0).make_query(n_instances=3).tolist()
    [2, 1, 0]
    """

    def __init__(self, dataset, *, random_state=None):
        super().__init__(dataset)
        self.random_state_ = seed_random_state(random_state)

    def _get_scores(self):
        ids = self.dataset.get_unlabeled_ids().copy()
        return ids, np.ones(len(ids))

    def make_query(self, return_score=False, *, n_instances=None):
        ids = self.dataset.get_unlabeled_ids()
        k = check_n_instances(n_instances, len(ids), return_score)
        if k is None:
            chosen = ids[self.random_state_.randint(0, len(ids))]
        else:
            chosen = self.random_state_.choice(ids, size=k, replace=False)
        if return_score:
            return answer(chosen, *self._get_scores(), True)
        return chosen
