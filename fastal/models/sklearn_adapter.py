"""Adapters that give any scikit-learn classifier the libact Model interface."""
from sklearn.base import clone as _sk_clone

from fastal.base.interfaces import Model, ProbabilisticModel
from fastal.models._fit import WrappedEstimator

__all__ = ["SklearnAdapter", "SklearnProbaAdapter"]


class SklearnAdapter(WrappedEstimator, Model):
    """Wrap a scikit-learn classifier as a fastal/libact ``Model``.

    Parameters
    ----------
    clf : scikit-learn classifier
        Fitted by ``train``; not copied.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from fastal.base.dataset import Dataset
    >>> from fastal.models import SklearnAdapter
    >>> model = SklearnAdapter(LogisticRegression())
    >>> _ = model.train(Dataset([[0.0], [1.0], [5.0]], [0, 0, 1]))
    >>> model.predict([[6.0]]).tolist()
    [1]
    """

    def __init__(self, clf):
        self._model = clf

    @property
    def model(self):
        """The wrapped scikit-learn classifier."""
        return self._model

    def clone(self):
        """A new adapter around an unfitted clone of the classifier."""
        return type(self)(_sk_clone(self._model))


class SklearnProbaAdapter(SklearnAdapter, ProbabilisticModel):
    """Wrap a scikit-learn classifier with ``predict_proba``; ``predict_real`` is 2p - 1.

    Parameters
    ----------
    clf : scikit-learn classifier with ``predict_proba``
        Fitted by ``train``; not copied.
    """

    def predict_real(self, feature, *args, **kwargs):
        return self._model.predict_proba(feature, *args, **kwargs) * 2 - 1

    def predict_proba(self, feature, *args, **kwargs):
        return self._model.predict_proba(feature, *args, **kwargs)
