"""What the multi-label strategies share: label matrices, one binary model per label."""
import copy

import numpy as np
import scipy.sparse as sp

from fastal.base.dataset import Dataset
from fastal.models.multilabel import DummyClf
from fastal.query_strategies._selection import answer, check_n_instances


def label_vector_length(dataset, name):
    """Length of the label vector of the first labeled row (None when nothing is labeled).

    Raises
    ------
    TypeError
        When that label is not a vector (libact fails there with ``len()``'s TypeError).
    """
    labeled = np.flatnonzero(dataset.get_labeled_mask())
    if labeled.size == 0:
        return None
    label = dataset[int(labeled[0])][1]
    if np.ndim(label) != 1:
        raise TypeError(f"{name} needs multi-label rows (a vector of 0/1 per row), got the "
                        f"label {label!r}")
    return len(label)


def labeled_label_matrix(dataset, name):
    """``(X_labeled, Y)`` with Y a 2-D array (one 0/1 column per label)."""
    X, Y = dataset.get_labeled_entries()
    if len(Y) == 0:
        raise ValueError(f"{name} needs labeled rows; label some rows before querying")
    Y = np.array(Y)
    if Y.ndim != 2:
        raise ValueError(f"{name} needs multi-label rows (a vector of 0/1 per row), "
                         f"got labels of shape {Y.shape}")
    return X, Y


def with_row(X, row):
    """``X`` with ``row`` (a 1-D array or a 1-row sparse matrix) appended."""
    if sp.issparse(X):
        return sp.vstack([X, row], format="csr")
    return np.vstack((X, row))


def fit_label_column(base_clf, X, column):
    """A model of one label column: a ``DummyClf`` where the column holds a single
    value, else a deep copy of ``base_clf`` trained on it."""
    if np.unique(column).size == 1:
        clf = DummyClf()
        clf.fit(X, column)
        return clf
    clf = copy.deepcopy(base_clf)
    clf.train(Dataset(X, column))
    return clf


def choose_equal_to_max(scores, random_state, candidates=None):
    """``random_state.choice`` over the positions where ``scores`` equals its maximum.

    ``candidates`` (positions into ``scores``, in order) restricts the choice;
    the positions returned are into ``scores``.
    """
    if candidates is None:
        return int(random_state.choice(np.flatnonzero(scores == np.max(scores))))
    sub = scores[candidates]
    return int(candidates[random_state.choice(np.flatnonzero(sub == np.max(sub)))])


class CustomSelection:
    """make_query for strategies whose single pick is not a plain tie rule on the scores.

    Subclasses define ``_pick(state, remaining)``: the pool position chosen among
    ``remaining`` (a boolean mask over the pool) from ``state``, the result of
    ``_evaluate()``: ``(entry_ids, scores, ...)``.  A batch repeats ``_pick`` on the
    rows not picked yet, so its first id is the single query's.
    """

    def make_query(self, return_score=False, *, n_instances=None):
        """Entry id to label next (or an ndarray of ``n_instances`` distinct ids).

        Parameters
        ----------
        return_score : bool
            Also return ``[(entry_id, score), ...]`` for the whole pool (the
            scores of ``_get_scores``).
        n_instances : int or None
            None: one id, exactly as libact.  k: k distinct ids, the first being
            the single query's; each next one is the single rule applied to the
            rows not picked yet.
        """
        k = check_n_instances(n_instances, self.dataset.len_unlabeled(), return_score)
        state = self._evaluate()
        entry_ids, scores = state[0], state[1]
        remaining = np.ones(len(entry_ids), dtype=bool)
        picks = []
        for _ in range(1 if k is None else k):
            pos = self._pick(state, remaining)
            remaining[pos] = False
            picks.append(pos)
        if k is None:
            chosen = entry_ids[picks[0]]
        else:
            chosen = entry_ids[np.asarray(picks, dtype=np.int64)]
        return answer(chosen, entry_ids, scores, return_score)

    def _get_scores(self):
        state = self._evaluate()
        return state[0], state[1]
