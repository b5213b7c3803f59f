"""libact's LogisticRegression model on current scikit-learn."""
import warnings

import numpy as np
import sklearn.linear_model
from sklearn.multiclass import OneVsRestClassifier

from fastal.base.interfaces import ProbabilisticModel
from fastal.models._fit import WrappedEstimator, labeled_xy, two_class_columns

__all__ = ["LogisticRegression"]


class LogisticRegression(WrappedEstimator, ProbabilisticModel):
    """scikit-learn's LogisticRegression behind the libact model interface.

    ``multi_class``, which scikit-learn has removed, is still accepted:
    ``'ovr'`` (and ``'auto'`` with the liblinear solver, as scikit-learn used to
    decide) trains one binary model per class with ``OneVsRestClassifier``
    when there are more than two classes, and a single binary model for two
    (as scikit-learn did; fit arguments such as ``sample_weight`` then reach
    it); ``'multinomial'`` and ``'auto'`` otherwise use scikit-learn's
    multinomial model, which is what scikit-learn did for them.
    """

    def __init__(self, *args, **kwargs):
        multi_class = kwargs.pop("multi_class", None)
        self.model = sklearn.linear_model.LogisticRegression(*args, **kwargs)
        self._one_vs_rest = None
        if multi_class is not None:
            if multi_class not in ("ovr", "multinomial", "auto"):
                raise ValueError(f"multi_class must be 'ovr', 'multinomial' or 'auto', got {multi_class!r}")
            solver = self.model.solver
            if multi_class == "ovr" or (multi_class == "auto" and solver == "liblinear"):
                self._one_vs_rest = OneVsRestClassifier(self.model)
                self.model = self._one_vs_rest
        self.multi_class = multi_class

    def train(self, dataset, *args, **kwargs):
        X, y = labeled_xy(dataset)
        if self._one_vs_rest is not None:
            binary = np.unique(y).size <= 2
            self.model = self._one_vs_rest.estimator if binary else self._one_vs_rest
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=FutureWarning)
            return self.model.fit(X, y, *args, **kwargs)

    def predict_real(self, feature, *args, **kwargs):
        return two_class_columns(self.model.decision_function(feature, *args, **kwargs))

    def predict_proba(self, feature, *args, **kwargs):
        return self.model.predict_proba(feature, *args, **kwargs)
