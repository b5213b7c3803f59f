"""Binary version space minimization (BinMin) for multi-label data."""
import numpy as np

from fastal.base.interfaces import QueryStrategy
from fastal.models._auto import as_model
from fastal.query_strategies.multilabel._common import (
    CustomSelection, fit_label_column, label_vector_length, labeled_label_matrix)
from fastal.utils import seed_random_state

__all__ = ["BinaryMinimization"]


def closest_to_a_boundary(distances, remaining, random_state):
    """libact's pick: ``random_state.choice`` over every (label, row) pair at the
    smallest distance, listed label by label, of the rows in ``remaining``.

    A row closest to the boundary of several labels is listed once per label,
    as libact lists it.  Returns a position into the rows.

    Examples
    --------
    >>> import numpy as np
    >>> d = np.array([[0.5, 0.1, 0.9], [0.1, 0.7, 0.3]])
    >>> rs = np.random.RandomState(0)
    >>> [closest_to_a_boundary(d, np.array([True, True, True]), rs) for _ in range(4)]
    [1, 0, 0, 1]
    """
    rows = np.flatnonzero(remaining)
    sub = distances[:, rows]
    choices = np.nonzero(sub == np.min(sub))[1]
    return int(rows[random_state.choice(choices)])


class BinaryMinimization(CustomSelection, QueryStrategy):
    r"""Binary version space minimization (libact's ``BinaryMinimization``; Brinker 2006).

    One copy of ``base_clf`` per label (a constant model where the labeled rows
    agree on the label) is trained at every query; the row nearest to a decision
    boundary of any label is queried.

    Parameters
    ----------
    dataset : Dataset
        Labels are 0/1 vectors, one entry per label.
    base_clf : ContinuousModel or scikit-learn classifier
        Binary model of each label; ``predict_real(X)[:, 1]`` is the signed
        distance to its boundary.  A scikit-learn classifier is wrapped by ``fastal.models.as_model``.
    random_state : None, int or RandomState
        Breaks ties.

    Notes
    -----
    Distance of row x to label j: ``|predict_real(x)[:, 1]|`` of the label's
    model.  Score (``_get_scores``, larger = query): minus the smallest
    distance over the labels.  Ties: libact lists every (label, row) pair at
    the smallest distance, label by label, and picks one with
    ``random_state_.choice``; fastal does the same (a row at the minimum for
    two labels is twice as likely).  A batch repeats the rule on the rows not
    picked yet.  libact reads the number of labels from row 0 and so fails when
    row 0 is unlabeled; fastal reads it from the labeled rows.

    Examples
    --------
    >>> import numpy as np
    >>> from fastal.base.dataset import Dataset
    >>> from fastal.models import LogisticRegression
    >>> from fastal.query_strategies.multilabel import BinaryMinimization
    >>> X = np.array([[0., 0], [0, 1], [1, 0], [1, 1], [.5, .5], [.2, .8], [.9, .1]])
    >>> Y = [[0, 0], [0, 1], [1, 0], [1, 1], None, None, None]
    >>> qs = BinaryMinimization(Dataset(X, Y), LogisticRegression(), random_state=0)
    >>> int(qs.make_query())
    4
    """

    def __init__(self, dataset, base_clf, random_state=None):
        super().__init__(dataset)
        self.n_labels = label_vector_length(self.dataset, "BinaryMinimization")
        self.base_clf = as_model(base_clf, "base_clf")
        self.random_state_ = seed_random_state(random_state)

    def _evaluate(self):
        """(entry_ids, scores, distances (n_labels, n_pool))."""
        entry_ids, X_pool = self.dataset.get_unlabeled_entries()
        if len(entry_ids) == 0:
            return entry_ids, np.zeros(0), np.zeros((0, 0))
        X, Y = labeled_label_matrix(self.dataset, "BinaryMinimization")
        n_labels = Y.shape[1] if self.n_labels is None else self.n_labels
        distances = np.empty((n_labels, len(entry_ids)))
        for j in range(n_labels):
            clf = fit_label_column(self.base_clf, X, Y[:, j])
            distances[j] = np.abs(np.asarray(clf.predict_real(X_pool))[:, 1])
        return entry_ids, -distances.min(axis=0), distances

    def _pick(self, state, remaining):
        return closest_to_a_boundary(state[2], remaining, self.random_state_)
