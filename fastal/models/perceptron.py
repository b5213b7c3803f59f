"""libact's Perceptron model."""
import sklearn.linear_model

from fastal.base.interfaces import ContinuousModel
from fastal.models._fit import WrappedEstimator, two_class_columns

__all__ = ["Perceptron"]


class Perceptron(WrappedEstimator, ContinuousModel):
    """scikit-learn's Perceptron with decision values as ``predict_real``."""

    def __init__(self, *args, **kwargs):
        self.model = sklearn.linear_model.Perceptron(*args, **kwargs)

    def predict_real(self, feature, *args, **kwargs):
        return two_class_columns(self.model.decision_function(feature, *args, **kwargs))
