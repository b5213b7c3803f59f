"""libact's Perceptron model."""
import sklearn.linear_model

from fastal.base.interfaces import ContinuousModel
from fastal.models._fit import WrappedEstimator, changed_arguments, two_class_columns

__all__ = ["Perceptron"]


class Perceptron(WrappedEstimator, ContinuousModel):
    """scikit-learn's Perceptron with decision values as ``predict_real``.

    Parameters
    ----------
    penalty, alpha, l1_ratio, fit_intercept, max_iter, tol, shuffle, verbose, eta0, \
n_jobs, random_state, early_stopping, validation_fraction, n_iter_no_change, \
class_weight, warm_start
        ``sklearn.linear_model.Perceptron``'s parameters, with its defaults
        (scikit-learn 1.9); only those given are passed on.
    """

    def __init__(self, *, penalty=None, alpha=0.0001, l1_ratio=0.15, fit_intercept=True,
                 max_iter=1000, tol=0.001, shuffle=True, verbose=0, eta0=1.0, n_jobs=None,
                 random_state=0, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, class_weight=None, warm_start=False):
        self.model = sklearn.linear_model.Perceptron(
            **changed_arguments(Perceptron.__init__, locals()))

    def predict_real(self, feature, *args, **kwargs):
        return two_class_columns(self.model.decision_function(feature, *args, **kwargs))
