"""libact's SVM model: scikit-learn's SVC, one-vs-rest for several classes."""
import logging

import sklearn.svm
from sklearn.multiclass import OneVsRestClassifier

from fastal.base.interfaces import ContinuousModel
from fastal.models._fit import WrappedEstimator, two_class_columns

LOGGER = logging.getLogger(__name__)
__all__ = ["SVM"]


class SVM(WrappedEstimator, ContinuousModel):
    """C-Support Vector Classifier with decision values per class.

    With ``decision_function_shape='ovr'`` (the default) a real one-vs-rest
    classifier (``OneVsRestClassifier(SVC)``) is trained, as libact does.
    ``predict_real`` gives one column per class; two classes give ``[-d, d]``.
    """

    def __init__(self, *args, **kwargs):
        self.model = sklearn.svm.SVC(*args, **kwargs)
        self.decision_function_shape = self.model.decision_function_shape
        if self.decision_function_shape == "ovr":
            self.model = OneVsRestClassifier(self.model)

    def predict_real(self, feature, *args, **kwargs):
        dvalue = self.model.decision_function(feature, *args, **kwargs)
        if dvalue.ndim > 1 and self.decision_function_shape != "ovr":
            LOGGER.warning("SVM supports only 'ovr' for multiclass predict_real.")
        return two_class_columns(dvalue)
