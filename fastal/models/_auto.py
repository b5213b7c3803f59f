"""scikit-learn classifiers where a strategy expects a libact ``Model``."""
from fastal.base.interfaces import ContinuousModel, Model
from fastal.models._fit import two_class_columns
from fastal.models.sklearn_adapter import SklearnAdapter, SklearnProbaAdapter

__all__ = ["as_model", "SklearnDecisionAdapter"]


class SklearnDecisionAdapter(SklearnAdapter, ContinuousModel):
    """``SklearnAdapter`` for a classifier with ``decision_function``: ``predict_real``
    gives its decision values, one column per class (two classes: ``[-d, d]``, as
    fastal's ``SVM``).

    Examples
    --------
    >>> from sklearn.svm import SVC
    >>> from fastal.base.dataset import Dataset
    >>> model = SklearnDecisionAdapter(SVC(kernel="linear"))
    >>> _ = model.train(Dataset([[0.0], [1.0], [3.0], [4.0]], [0, 0, 1, 1]))
    >>> model.predict_real([[0.0], [4.0]]).round(3).tolist()
    [[2.0, -2.0], [-2.0, 2.0]]
    """

    def predict_real(self, feature, *args, **kwargs):
        return two_class_columns(self._model.decision_function(feature, *args, **kwargs))


def as_model(estimator, name="model"):
    """The libact ``Model`` for ``estimator``, wrapping a scikit-learn classifier if needed.

    Parameters
    ----------
    estimator : fastal Model or scikit-learn classifier
        A fastal (libact) ``Model`` is returned as it is, and so is an object
        with libact's ``train`` and ``predict`` but no ``fit``.  A
        scikit-learn classifier (a ``Pipeline`` too) with ``predict_proba``
        becomes ``SklearnProbaAdapter(estimator)``; one with
        ``decision_function`` only, ``SklearnDecisionAdapter(estimator)`` (a
        ``SklearnAdapter`` that is a ``ContinuousModel``).  A ``Pipeline`` has
        these methods when its last step has them.  The estimator is not
        copied: training the model fits it.
    name : str, default "model"
        The parameter the estimator was given as, for the error message.

    Returns
    -------
    Model

    Raises
    ------
    TypeError
        When ``estimator`` is none of the above.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.svm import SVC
    >>> type(as_model(LogisticRegression())).__name__
    'SklearnProbaAdapter'
    >>> type(as_model(SVC())).__name__
    'SklearnDecisionAdapter'
    >>> as_model("svm", name="base_model")
    Traceback (most recent call last):
    ...
    TypeError: base_model must be a fastal Model or a scikit-learn classifier with predict_proba or decision_function, got 'svm' (str)
    """
    if isinstance(estimator, Model):
        return estimator
    has_fit = hasattr(estimator, "fit")
    if has_fit and hasattr(estimator, "predict_proba"):
        return SklearnProbaAdapter(estimator)
    if has_fit and hasattr(estimator, "decision_function"):
        return SklearnDecisionAdapter(estimator)
    if not has_fit and hasattr(estimator, "train") and hasattr(estimator, "predict"):
        return estimator          # a libact-style model that does not derive from Model
    raise TypeError(f"{name} must be a fastal Model or a scikit-learn classifier with "
                    f"predict_proba or decision_function, got {estimator!r} "
                    f"({type(estimator).__name__})")


def as_models(estimators, name="models"):
    """``[as_model(e, name) for e in estimators]``, or ``estimators`` itself when it is None."""
    if estimators is None:
        return None
    return [as_model(estimator, f"{name}[{i}]") for i, estimator in enumerate(estimators)]
