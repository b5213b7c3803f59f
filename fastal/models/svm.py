"""libact's SVM model: scikit-learn's SVC, one-vs-rest for several classes."""
import logging

import sklearn.svm
from sklearn.multiclass import OneVsRestClassifier

from fastal.base.interfaces import ContinuousModel
from fastal.models._fit import WrappedEstimator, changed_arguments, two_class_columns

LOGGER = logging.getLogger(__name__)
__all__ = ["SVM"]


class SVM(WrappedEstimator, ContinuousModel):
    """C-Support Vector Classifier with decision values per class.

    With ``decision_function_shape='ovr'`` (the default) a real one-vs-rest
    classifier (``OneVsRestClassifier(SVC)``) is trained, as libact does.
    ``predict_real`` gives one column per class; two classes give ``[-d, d]``.

    Parameters
    ----------
    C, kernel, degree, gamma, coef0, shrinking, probability, tol, cache_size, \
class_weight, verbose, max_iter, decision_function_shape, break_ties, random_state
        ``sklearn.svm.SVC``'s parameters, with its defaults (scikit-learn 1.9);
        only those given are passed on, so an older scikit-learn applies its
        own defaults.

    Examples
    --------
    >>> from fastal.base.dataset import Dataset
    >>> from fastal.models import SVM
    >>> model = SVM(kernel="linear")
    >>> _ = model.train(Dataset([[0.0], [1.0], [3.0], [4.0]], [0, 0, 1, 1]))
    >>> model.predict([[0.5], [3.5]]).tolist()
    [0, 1]
    """

    def __init__(self, *, C=1.0, kernel="rbf", degree=3, gamma="scale", coef0=0.0,
                 shrinking=True, probability="deprecated", tol=0.001, cache_size=200,
                 class_weight=None, verbose=False, max_iter=-1, decision_function_shape="ovr",
                 break_ties=False, random_state=None):
        self.model = sklearn.svm.SVC(**changed_arguments(SVM.__init__, locals()))
        self.decision_function_shape = self.model.decision_function_shape
        if self.decision_function_shape == "ovr":
            self.model = OneVsRestClassifier(self.model)

    def predict_real(self, feature, *args, **kwargs):
        dvalue = self.model.decision_function(feature, *args, **kwargs)
        if dvalue.ndim > 1 and self.decision_function_shape != "ovr":
            LOGGER.warning("SVM supports only 'ovr' for multiclass predict_real.")
        return two_class_columns(dvalue)
