"""Maximum loss reduction with maximal confidence (MMC) for multi-label data."""
import warnings

import numpy as np
from sklearn.svm import SVC

from fastal.base.dataset import Dataset
from fastal.models import LogisticRegression, SklearnProbaAdapter, as_model
from fastal.models.multilabel import BinaryRelevance, DummyClf
from fastal.query_strategies._selection import ScoredQueryStrategy
from fastal.query_strategies.multilabel._common import label_vector_length, labeled_label_matrix
from fastal.utils import seed_random_state

__all__ = ["MaximumLossReductionMaximalConfidence", "MMC"]


class _LinearSVCProba(SklearnProbaAdapter):
    """The default ``br_base``: ``SVC(kernel='linear', probability=True)``, trained
    without scikit-learn's deprecation notice for ``probability`` (same model)."""

    def train(self, dataset, *args, **kwargs):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*probability.*", category=FutureWarning)
            return super().train(dataset, *args, **kwargs)


def predicted_label_sets(order, counts, n_labels):
    """+1 at the ``counts[i]`` labels of row i that come first in ``order[i]``, -1 elsewhere.

    ``counts[i]`` is read as the stop of the slice ``order[i, :counts[i]]`` (a
    negative count leaves out that many labels at the end).

    Examples
    --------
    >>> import numpy as np
    >>> predicted_label_sets(np.array([[2, 0, 1], [1, 2, 0]]), np.array([2, 0]), 3).tolist()
    [[1, -1, 1], [-1, -1, -1]]
    """
    n, width = order.shape
    counts = np.asarray(counts, dtype=np.int64)
    stop = np.where(counts >= 0, np.minimum(counts, width), np.maximum(width + counts, 0))
    rows, ranks = np.nonzero(np.arange(width)[None, :] < stop[:, None])
    yhat = -np.ones((n, n_labels), dtype=int)
    yhat[rows, order[rows, ranks]] = 1
    return yhat


class MaximumLossReductionMaximalConfidence(ScoredQueryStrategy):
    r"""Maximum loss reduction with maximal confidence (libact's ``MMC``; Yang et al. 2009).

    Binary relevance with probabilistic outputs predicts every label of every
    unlabeled row; a logistic regression on the sorted, normalised outputs
    predicts how many labels a row has; the row whose predicted label set the
    outputs disagree with most is queried.

    Parameters
    ----------
    dataset : Dataset
        Labels are 0/1 vectors, one entry per label.
    base_learner : object, optional
        Accepted and not used (libact's ``MMC`` reads only ``br_base``).
    br_base : ProbabilisticModel or scikit-learn classifier, optional
        Model of each label in the binary relevance (a scikit-learn classifier
        with ``predict_proba`` is wrapped by ``fastal.models.as_model``).
        Default: ``SklearnProbaAdapter(SVC(kernel='linear', probability=True,
        gamma='auto', random_state=random_state))``.
    logreg_param : dict, optional
        Keyword arguments of the ``LogisticRegression`` predicting the number
        of labels.  Default (None) ``{'multi_class': 'multinomial', 'solver':
        'newton-cg', 'random_state': random_state}``.
    random_state : None, int or RandomState
        Breaks ties; also handed, as given, to the default models.

    Attributes
    ----------
    logistic_regression_ : LogisticRegression
        The model of the number of labels (a ``DummyClf`` replaces it in a query
        where every labeled row has the same number of labels).
    n_labels : int or None
        Length of the label vectors (None while nothing is labeled).

    Notes
    -----
    With ``p`` the binary relevance's probabilities of an unlabeled row, the
    number ``k`` of its labels is predicted from ``sort(p)`` descending divided
    by its sum; ``yhat`` is +1 on the ``k`` most probable labels and -1
    elsewhere; the score is ``sum_j (1 - yhat_j (2 p_j - 1)) / 2``.  Models
    are retrained at every query.  Ties: rows whose score equals the maximum,
    picked with ``random_state_.choice``; a batch repeats that rule on the
    rows not picked yet.  libact fails when nothing is labeled at
    construction; fastal fails at the first query instead.

    Examples
    --------
    >>> import numpy as np
    >>> from fastal.base.dataset import Dataset
    >>> from fastal.models import LogisticRegression
    >>> from fastal.query_strategies.multilabel import MMC
    >>> X = np.array([[0., 0], [0, 1], [1, 0], [1, 1], [.5, .5], [.2, .8], [.9, .1]])
    >>> Y = [[0, 0], [0, 1], [1, 0], [1, 1], None, None, None]
    >>> qs = MMC(Dataset(X, Y), br_base=LogisticRegression(), random_state=0)
    >>> int(qs.make_query())
    4
    """

    _tie = "exact"

    def __init__(self, dataset, *, base_learner=None, br_base=None, logreg_param=None,
                 random_state=None):
        super().__init__(dataset)
        self.n_labels = label_vector_length(self.dataset, "MMC")
        self.random_state_ = seed_random_state(random_state)
        self.base_learner = base_learner
        if logreg_param is None:
            logreg_param = {"multi_class": "multinomial", "solver": "newton-cg",
                            "random_state": random_state}
        self.logreg_param = logreg_param
        self.logistic_regression_ = LogisticRegression(**self.logreg_param)
        if br_base is None:
            br_base = _LinearSVCProba(SVC(kernel="linear", probability=True, gamma="auto",
                                          random_state=random_state))
        else:
            br_base = as_model(br_base, "br_base")
            if not hasattr(br_base, "predict_proba"):
                raise TypeError("br_base has to be a ProbabilisticModel (MMC reads "
                                "predict_proba)")
        self.br_base = br_base

    def _get_scores(self):
        dataset = self.dataset
        entry_ids, X_pool = dataset.get_unlabeled_entries()
        if len(entry_ids) == 0:
            return entry_ids, np.zeros(0)
        X, Y = labeled_label_matrix(dataset, "MMC")
        n_labels = Y.shape[1] if self.n_labels is None else self.n_labels
        br = BinaryRelevance(self.br_base)
        br.train(Dataset(X, Y))
        train_proba = br.predict_proba(X)
        pool_proba = br.predict_proba(X_pool)
        f = pool_proba * 2 - 1

        train_sorted = np.sort(train_proba, axis=1)[:, ::-1]
        with np.errstate(invalid="ignore", divide="ignore"):   # 0/0 where no label is possible
            train_sorted = train_sorted / train_sorted.sum(axis=1)[:, None]
        counts = Y.sum(axis=1)
        if np.unique(counts).size == 1:
            count_model = DummyClf()
            count_model.fit(train_sorted, counts)
        else:
            count_model = self.logistic_regression_
            count_model.train(Dataset(train_sorted, counts))

        order = np.argsort(pool_proba, axis=1)[:, ::-1]
        pool_sorted = np.sort(pool_proba, axis=1)[:, ::-1]
        with np.errstate(invalid="ignore", divide="ignore"):
            pool_sorted = pool_sorted / pool_sorted.sum(axis=1)[:, None]
        predicted_counts = np.asarray(count_model.predict(pool_sorted)).astype(int)
        yhat = predicted_label_sets(order, predicted_counts, n_labels)
        return entry_ids, ((1 - yhat * f) / 2).sum(axis=1)


MMC = MaximumLossReductionMaximalConfidence
