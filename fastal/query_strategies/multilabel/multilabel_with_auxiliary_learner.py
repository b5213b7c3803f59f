"""Multi-label active learning with an auxiliary learner."""
import copy

import numpy as np

from fastal.models._auto import as_model
from fastal.query_strategies._selection import ScoredQueryStrategy
from fastal.query_strategies.multilabel._common import label_vector_length
from fastal.utils import seed_random_state

__all__ = ["MultilabelWithAuxiliaryLearner"]

CRITERIA = ("hlr", "shlr", "mmr")


def disagreement(major_pred, aux_output, criterion, b=1.0):
    """Per-row disagreement of a major learner's 0/1 predictions with an auxiliary
    learner's outputs (0/1 predictions for ``'hlr'``, real values in [-1, 1] or
    decision values otherwise).

    Examples
    --------
    >>> import numpy as np
    >>> major = np.array([[1, 0], [1, 1]])
    >>> disagreement(major, np.array([[1, 1], [1, 1]]), "hlr").tolist()
    [0.5, 0.0]
    >>> disagreement(major, np.array([[0.5, -2.0], [-0.5, 3.0]]), "shlr").tolist()
    [0.25, 0.75]
    """
    if criterion == "hlr":
        return np.abs(major_pred - aux_output).mean(axis=1)
    signs = major_pred * 2 - 1
    if criterion == "mmr":
        return np.sum((1. - signs * aux_output) / 2., axis=1)
    if criterion == "shlr":
        return np.sum((b - np.clip(signs * aux_output, -b, b)) / 2. / b, axis=1)
    raise TypeError(f"supported criterion are {list(CRITERIA)}, the given one is: {criterion}")


class MultilabelWithAuxiliaryLearner(ScoredQueryStrategy):
    r"""Multi-label active learning with auxiliary learner (libact's
    ``MultilabelWithAuxiliaryLearner``; Hung and Lin 2011).

    The row where the major and the auxiliary multi-label learners disagree
    most is queried.

    Parameters
    ----------
    dataset : Dataset
        Labels are 0/1 vectors, one entry per label.
    major_learner : multi-label model
        The model that solves the problem (e.g. ``BinaryRelevance(LogisticRegression())``).
    auxiliary_learner : multi-label model
        For ``'shlr'`` and ``'mmr'`` it needs ``predict_real`` or ``predict_proba``.
        scikit-learn classifiers (in either) are wrapped by ``fastal.models.as_model``.
    criterion : {'hlr', 'shlr', 'mmr'}, default 'hlr'
        ``hlr`` Hamming loss reduction: fraction of labels the two predict
        differently.  ``mmr`` maximum margin reduction:
        ``sum_j (1 - s_j a_j) / 2``; ``shlr`` soft Hamming loss reduction:
        ``sum_j (b - clip(s_j a_j, -b, b)) / 2b``, with ``s`` the major
        prediction as -1/+1 and ``a`` the auxiliary ``predict_real`` (or
        ``2 predict_proba - 1``).
    b : float, default 1.0
        Clipping bound of ``shlr``.
    random_state : None, int or RandomState
        Breaks ties.

    Notes
    -----
    Deep copies of both learners are trained at every query.  Ties: rows
    whose score equals the maximum, picked with ``random_state_.choice``; a
    batch repeats that rule on the rows not picked yet.  libact reads the
    number of labels from row 0 and so fails when row 0 is unlabeled; fastal
    reads it from the labeled rows.

    Examples
    --------
    >>> import numpy as np
    >>> from fastal.base.dataset import Dataset
    >>> from fastal.models import SVM, LogisticRegression
    >>> from fastal.models.multilabel import BinaryRelevance
    >>> from fastal.query_strategies.multilabel import MultilabelWithAuxiliaryLearner
    >>> X = np.array([[0., 0], [0, 1], [1, 0], [1, 1], [.5, .5], [.2, .8], [.9, .1]])
    >>> Y = [[0, 0], [0, 1], [1, 0], [1, 1], None, None, None]
    >>> qs = MultilabelWithAuxiliaryLearner(
    ...     Dataset(X, Y), BinaryRelevance(LogisticRegression()),
    ...     BinaryRelevance(SVM(kernel="linear")), criterion="mmr", random_state=0)
    >>> int(qs.make_query())
    4
    """

    _tie = "exact"

    def __init__(self, dataset, major_learner, auxiliary_learner, criterion='hlr', b=1.,
                 random_state=None):
        super().__init__(dataset)
        self.n_labels = label_vector_length(self.dataset, "MultilabelWithAuxiliaryLearner")
        self.major_learner = as_model(major_learner, "major_learner")
        self.auxiliary_learner = as_model(auxiliary_learner, "auxiliary_learner")
        self.b = b
        self.random_state_ = seed_random_state(random_state)
        self.criterion = criterion
        if self.criterion not in CRITERIA:
            raise TypeError(f"supported criterion are {list(CRITERIA)}, the given one is: "
                            f"{self.criterion}")

    def _get_scores(self):
        dataset = self.dataset
        entry_ids, X_pool = dataset.get_unlabeled_entries()
        if len(entry_ids) == 0:
            return entry_ids, np.zeros(0)
        major_clf = copy.deepcopy(self.major_learner)
        major_clf.train(dataset)
        aux_clf = copy.deepcopy(self.auxiliary_learner)
        aux_clf.train(dataset)
        major_pred = np.asarray(major_clf.predict(X_pool))
        if self.criterion == "hlr":
            aux_output = np.asarray(aux_clf.predict(X_pool))
        elif "predict_real" in dir(aux_clf):
            aux_output = np.asarray(aux_clf.predict_real(X_pool))
        elif "predict_proba" in dir(aux_clf):
            aux_output = np.asarray(aux_clf.predict_proba(X_pool)) * 2 - 1
        else:
            raise AttributeError("aux_learner did not support either 'predict_real' or "
                                 "'predict_proba' method")
        return entry_ids, disagreement(major_pred, aux_output, self.criterion, self.b)
