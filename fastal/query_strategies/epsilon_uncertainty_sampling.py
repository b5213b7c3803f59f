"""Epsilon-greedy uncertainty sampling."""
import numpy as np

from fastal.query_strategies._selection import (
    ScoredQueryStrategy, answer, check_n_instances, rank_with_ties)
from fastal.query_strategies._uncertainty import (
    checked_model_and_method, model_output, positive_uncertainty)
from fastal.utils import seed_random_state

__all__ = ["EpsilonUncertaintySampling"]


class EpsilonUncertaintySampling(ScoredQueryStrategy):
    """With probability epsilon a random row, otherwise the most uncertain one.

    libact's ``EpsilonUncertaintySampling``: scores are 1 - max p (``lc``),
    1 - margin (``sm``) or the entropy (``entropy``); ties are broken with
    ``random_state_.choice`` among scores ``np.isclose`` to the maximum.
    A batch of k decides explore/exploit slot by slot: an exploring slot is a
    random row not picked yet, an exploiting slot the best remaining row.

    Parameters
    ----------
    dataset : Dataset
    model : ContinuousModel or ProbabilisticModel or scikit-learn classifier (required)
        A scikit-learn classifier is wrapped by ``fastal.models.as_model``.
    epsilon : float in [0, 1], default 0.1
    method : {'lc', 'sm', 'entropy'}, default 'lc'
    random_state : None, int or RandomState
    """

    def __init__(self, dataset, *, model, epsilon=0.1, method="lc", random_state=None):
        super().__init__(dataset)
        self.epsilon = epsilon
        self.model, self.method = checked_model_and_method(model, method)
        if not 0 <= self.epsilon <= 1:
            raise ValueError("epsilon must be in [0, 1]")
        self.random_state_ = seed_random_state(random_state)
        self.model.train(self.dataset)

    def _get_scores(self):
        self.model.train(self.dataset)
        entry_ids, X_pool = self.dataset.get_unlabeled_entries()
        if len(entry_ids) == 0:
            return entry_ids, np.zeros(0)
        return entry_ids, positive_uncertainty(model_output(self.model, X_pool), self.method)

    def make_query(self, return_score=False, *, n_instances=None):
        ids = self.dataset.get_unlabeled_ids().copy()
        k = check_n_instances(n_instances, len(ids), return_score)
        rs = self.random_state_
        if k is None:
            if rs.random() < self.epsilon:
                chosen = rs.choice(ids)
            else:
                entry_ids, scores = self._get_scores()
                chosen = entry_ids[rank_with_ties(scores, 1, "isclose", rs)[0]]
        else:
            explore = rs.random(k) < self.epsilon
            entry_ids, scores = self._get_scores()
            best = rank_with_ties(scores, k - int(explore.sum()), "isclose", rs)
            free = np.ones(len(entry_ids), dtype=bool)
            free[best] = False
            exploit = iter(best)
            picks = []
            for slot_explores in explore:
                if slot_explores:
                    i = int(rs.choice(np.flatnonzero(free)))
                    free[i] = False
                else:
                    i = int(next(exploit))
                picks.append(i)
            chosen = entry_ids[np.asarray(picks, dtype=np.int64)]
        if return_score:
            return answer(chosen, *self._get_scores(), True)
        return chosen
