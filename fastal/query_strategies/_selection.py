"""What every strategy shares: pool checks, libact's tie-breaking, batch picks.

Tie rules (``tie``):
  ``"first"``   the first argmax (libact ``UncertaintySampling``);
  ``"isclose"`` every score ``np.isclose`` to the maximum is a candidate and
                ``random_state.choice`` picks one (most libact strategies);
  ``"exact"``   as isclose, with candidates equal to the maximum
                (libact ``DensityWeightedMeta``).
A batch of k repeats the single rule on the rows not picked yet, so its first
id is the one a single query returns.
"""
import numbers

import numpy as np

from fastal.base.interfaces import QueryStrategy

EMPTY_POOL = "No unlabeled samples available"


def check_n_instances(n_instances, pool_size, return_score=False):
    """None (one id) or an int in [1, pool_size]; ValueError on an empty pool.

    ``return_score`` comes first among make_query's arguments (libact's
    order), so a batch size passed positionally would land there: it must be
    a bool.
    """
    if not isinstance(return_score, (bool, np.bool_)):
        raise TypeError(f"return_score must be True or False, got {return_score!r}; "
                        f"pass a batch size as make_query(n_instances={return_score!r})")
    if pool_size == 0:
        raise ValueError(EMPTY_POOL)
    if n_instances is None:
        return None
    if isinstance(n_instances, bool) or not isinstance(n_instances, numbers.Integral):
        raise TypeError(f"n_instances must be an integer or None, got {n_instances!r}")
    if n_instances < 1:
        raise ValueError(f"n_instances must be at least 1, got {n_instances}")
    if n_instances > pool_size:
        raise ValueError(f"n_instances={n_instances} is larger than the pool "
                         f"({pool_size} unlabeled samples)")
    return int(n_instances)


def rank_with_ties(scores, k, tie, random_state):
    """Positions of the k best scores under a tie rule (see module docstring)."""
    scores = np.asarray(scores, dtype=np.float64)
    if tie not in ("first", "isclose", "exact"):
        raise ValueError(f"unknown tie rule {tie!r}")
    if np.isnan(scores).any():
        raise ValueError(f"{int(np.isnan(scores).sum())} of {scores.size} scores are NaN (the "
                         "model's outputs?); no row can be chosen by them")
    if k == 1:  # a single query: O(n), exactly libact's expressions
        if tie == "first":
            return np.array([np.argmax(scores)], dtype=np.int64)
        top = scores.max()
        close = np.isclose(scores, top) if tie == "isclose" else scores == top
        return np.array([random_state.choice(np.flatnonzero(close))], dtype=np.int64)
    order = np.argsort(-scores, kind="stable")
    if tie == "first":
        return order[:k]
    sorted_desc = scores[order]
    taken = np.zeros(scores.size, dtype=bool)
    picks = []
    pos = 0
    for _ in range(k):
        while taken[order[pos]]:
            pos += 1
        top = sorted_desc[pos]
        if tie == "isclose":
            # np.isclose(s, top) holds on a prefix of the descending order;
            # search a little beyond its bound, then test exactly
            slack = 2.0 * (1e-8 + 1e-5 * abs(top))
            end = pos + int(np.searchsorted(-sorted_desc[pos:], -(top - slack), side="right"))
            window = order[pos:end]
            close = np.isclose(scores[window], top)
        else:
            end = pos + int(np.searchsorted(-sorted_desc[pos:], -top, side="right"))
            window = order[pos:end]
            close = scores[window] == top
        candidates = np.sort(window[close & ~taken[window]])
        choice = int(random_state.choice(candidates))
        taken[choice] = True
        picks.append(choice)
    return np.asarray(picks, dtype=np.int64)


def answer(chosen, entry_ids, scores, return_score):
    """libact's return shape: the id(s), plus ``[(entry_id, score), ...]`` if asked."""
    if return_score:
        return chosen, list(zip(entry_ids, scores))
    return chosen


class ScoredQueryStrategy(QueryStrategy):
    """A strategy defined by ``_get_scores()`` and a tie rule.

    Subclasses implement ``_get_scores`` (larger = query) and set ``_tie``;
    those with a batch rule of their own override ``_select_batch``.
    """

    _tie = "isclose"

    def _select_batch(self, entry_ids, scores, k):
        rs = getattr(self, "random_state_", None)
        return entry_ids[rank_with_ties(scores, k, self._tie, rs)]

    def make_query(self, return_score=False, *, n_instances=None):
        """Entry id to label next (or an ndarray of ``n_instances`` distinct ids).

        Parameters
        ----------
        return_score : bool
            Also return ``[(entry_id, score), ...]`` for the whole pool.
        n_instances : int or None
            None: one id, exactly as libact.  k: the k best ids, ties broken as
            for a single query (the first is the single query's answer).
        """
        k = check_n_instances(n_instances, self.dataset.len_unlabeled(), return_score)
        entry_ids, scores = self._get_scores()
        if k is None:
            rs = getattr(self, "random_state_", None)
            chosen = entry_ids[rank_with_ties(scores, 1, self._tie, rs)[0]]
        else:
            chosen = self._select_batch(entry_ids, scores, k)
        return answer(chosen, entry_ids, scores, return_score)
