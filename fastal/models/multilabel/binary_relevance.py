"""Binary relevance: one binary model per label."""
import copy

import numpy as np
from joblib import Parallel, delayed

from fastal.base.dataset import Dataset
from fastal.base.interfaces import MultilabelModel
from fastal.models._auto import as_model
from fastal.models._fit import labeled_xy
from fastal.models.multilabel.dummy_clf import DummyClf
from fastal.utils.multilabel import pairwise_f1_score

__all__ = ["BinaryRelevance"]


def _fit_one(base_clf, X, column):
    if np.unique(column).size == 1:
        clf = DummyClf()
        clf.fit(X, column)
        return clf
    clf = copy.deepcopy(base_clf)
    clf.train(Dataset(X, column))
    return clf


class BinaryRelevance(MultilabelModel):
    """Multi-label model made of one copy of ``base_clf`` per label column.

    Parameters
    ----------
    base_clf : fastal model (e.g. ``LogisticRegression()``) or scikit-learn classifier
        A scikit-learn classifier is wrapped by ``fastal.models.as_model``.
    n_jobs : int
        Labels trained in parallel (joblib).

    Examples
    --------
    >>> import numpy as np
    >>> from fastal.base.dataset import Dataset
    >>> from fastal.models import LogisticRegression
    >>> from fastal.models.multilabel import BinaryRelevance
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> Y = [[1, 0], [1, 0], [0, 1], [0, 1]]
    >>> br = BinaryRelevance(LogisticRegression())
    >>> br.train(Dataset(X, Y)).predict(X).shape
    (4, 2)
    """

    def __init__(self, base_clf, n_jobs=1):
        self.base_clf = copy.deepcopy(as_model(base_clf, "base_clf"))
        self.clfs_ = None
        self.n_jobs = n_jobs

    def train(self, dataset):
        X, Y = labeled_xy(dataset)
        Y = np.asarray(Y)
        if Y.ndim != 2:
            raise ValueError("BinaryRelevance needs multi-label rows (one 0/1 entry per label)")
        self.clfs_ = Parallel(n_jobs=self.n_jobs, backend="threading")(
            delayed(_fit_one)(self.base_clf, X, Y[:, j]) for j in range(Y.shape[1]))
        return self

    def _stack(self, method, X):
        if self.clfs_ is None:
            raise ValueError("BinaryRelevance is not trained yet; call train(dataset) first")
        return np.vstack([getattr(clf, method)(X) for clf in self.clfs_]).T

    def predict(self, X):
        return self._stack("predict", X).astype(int)

    def predict_real(self, X):
        return np.vstack([np.asarray(clf.predict_real(X))[:, 1] for clf in self.clfs_]).T

    def predict_proba(self, X):
        return np.vstack([np.asarray(clf.predict_proba(X))[:, 1] for clf in self.clfs_]).T

    def score(self, testing_dataset, criterion="hamming"):
        """Mean over rows of ``hamming`` (the Hamming loss: fraction of labels
        predicted wrong, as libact) or ``f1`` (F1 score).

        Raises
        ------
        NotImplementedError
            For another criterion (libact's error).
        """
        if criterion not in ("hamming", "f1"):
            raise NotImplementedError(f"criterion '{criterion}' not implemented")
        X, Y = labeled_xy(testing_dataset)
        Y = np.asarray(Y)
        P = self.predict(X)
        if criterion == "hamming":
            return np.mean(np.abs(P - Y).mean(axis=1))
        return float(np.mean(pairwise_f1_score(Y, P)))
