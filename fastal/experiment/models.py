"""The classifier of the built-in protocols."""
import numpy as np
import sklearn.svm

from fastal.base.interfaces import ProbabilisticModel
from fastal.models._fit import WrappedEstimator, two_class_columns

__all__ = ["MarginSVC"]


class MarginSVC(WrappedEstimator, ProbabilisticModel):
    """scikit-learn's ``SVC`` (RBF, C=1.0 by default) with probabilities from its margins.

    ``predict_real`` is the one-vs-rest decision function (two classes: [-d, d]);
    ``predict_proba`` is its softmax.  These "probabilities" are monotone in the
    margins but not calibrated.  ``SVC(probability=True)`` is deprecated in
    scikit-learn 1.9, and cross-validated calibration cannot run on the first
    rounds (a handful of labels for ten classes), so neither is used.

    Examples
    --------
    >>> import numpy as np
    >>> from fastal.base.dataset import Dataset
    >>> m = MarginSVC()
    >>> _ = m.train(Dataset(np.array([[0.0], [1.0], [5.0], [6.0]]), [0, 0, 1, 1]))
    >>> m.predict_proba(np.array([[0.5]])).round(2).tolist()
    [[0.89, 0.11]]
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("decision_function_shape", "ovr")
        self.model = sklearn.svm.SVC(**kwargs)

    def predict_real(self, feature, *args, **kwargs):
        return two_class_columns(self.model.decision_function(feature))

    def predict_proba(self, feature, *args, **kwargs):
        d = self.predict_real(feature)
        e = np.exp(d - d.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
