"""The interfaces of libact, with fastal's batch and score extensions.

``QueryStrategy.make_query()`` keeps libact's meaning (one entry id); fastal
strategies also accept ``make_query(return_score=..., n_instances=k)``.

Every subclass of ``QueryStrategy``, ``Labeler`` and ``Model`` declares its
parameters in its ``__init__``; a keyword it does not know raises a
``TypeError`` that names the class, the keyword and the valid parameters
(``fastal.utils.signatures``).
"""
from abc import ABCMeta, abstractmethod

from fastal.utils.signatures import KeywordChecked

__all__ = ["QueryStrategy", "Labeler", "Model", "ContinuousModel", "ProbabilisticModel",
           "MultilabelModel"]


class QueryStrategy(KeywordChecked, metaclass=ABCMeta):
    """Pool-based query strategy: advises which unlabeled row to label next.

    Parameters
    ----------
    dataset : fastal.base.dataset.Dataset
        The pool; the strategy registers ``self.update`` with
        ``dataset.on_update`` so it learns of every new label.
    """

    def __init__(self, dataset, **kwargs):
        self._dataset = dataset
        dataset.on_update(self.update)

    @property
    def dataset(self):
        """The Dataset this strategy queries."""
        return self._dataset

    def update(self, entry_id, label):
        """Called after ``dataset.update(entry_id, label)``; override to keep state."""

    def _get_scores(self):
        """``(entry_ids ndarray, scores ndarray)`` of the unlabeled rows; larger = query.

        Raises
        ------
        NotImplementedError
            When the strategy has no per-row score.
        """
        raise NotImplementedError(f"{type(self).__name__} does not provide per-row scores")

    @abstractmethod
    def make_query(self):
        """Return the entry id of the unlabeled row to label next (read-only)."""


class Labeler(KeywordChecked, metaclass=ABCMeta):
    """Answers with the label of a queried row."""

    @abstractmethod
    def label(self, feature):
        """Return the label of ``feature`` (array-like, shape (n_features,))."""


class Model(KeywordChecked, metaclass=ABCMeta):
    """Classification model trained on a Dataset's labeled rows."""

    @abstractmethod
    def train(self, dataset, *args, **kwargs):
        """Fit on the labeled rows of ``dataset``; return the fitted estimator."""

    @abstractmethod
    def predict(self, feature, *args, **kwargs):
        """Class labels of the rows of ``feature`` (n_samples, n_features)."""

    @abstractmethod
    def score(self, testing_dataset, *args, **kwargs):
        """Mean accuracy on the labeled rows of ``testing_dataset``."""


class MultilabelModel(Model):
    """Model whose predictions are 0/1 rows, one column per label."""


class ContinuousModel(Model):
    """Model with real-valued confidence per (sample, class)."""

    @abstractmethod
    def predict_real(self, feature, *args, **kwargs):
        """Confidence scores, shape (n_samples, n_classes); larger = more confident."""


class ProbabilisticModel(ContinuousModel):
    """Model with class probabilities."""

    def predict_real(self, feature, *args, **kwargs):
        return self.predict_proba(feature, *args, **kwargs)

    @abstractmethod
    def predict_proba(self, feature, *args, **kwargs):
        """Class probabilities, shape (n_samples, n_classes)."""
