"""libact's LogisticRegression model on current scikit-learn."""
import warnings

import numpy as np
import sklearn.linear_model
from sklearn.multiclass import OneVsRestClassifier

from fastal.base.interfaces import ProbabilisticModel
from fastal.models._fit import WrappedEstimator, changed_arguments, labeled_xy, two_class_columns

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

    Parameters
    ----------
    penalty, C, l1_ratio, dual, tol, fit_intercept, intercept_scaling, class_weight, \
random_state, solver, max_iter, verbose, warm_start, n_jobs
        ``sklearn.linear_model.LogisticRegression``'s parameters, with its
        defaults (scikit-learn 1.9); only those given are passed on, so an older
        scikit-learn applies its own defaults.
    multi_class : {'ovr', 'multinomial', 'auto'} or None, default None
        As described above; None leaves the choice to scikit-learn.

    Examples
    --------
    >>> from fastal.base.dataset import Dataset
    >>> from fastal.models import LogisticRegression
    >>> model = LogisticRegression(C=1.0)
    >>> _ = model.train(Dataset([[0.0], [1.0], [3.0], [4.0]], [0, 0, 1, 1]))
    >>> model.predict([[0.5], [3.5]]).tolist()
    [0, 1]
    """

    def __init__(self, penalty="deprecated", *, C=1.0, l1_ratio=0.0, dual=False, tol=0.0001,
                 fit_intercept=True, intercept_scaling=1, class_weight=None, random_state=None,
                 solver="lbfgs", max_iter=100, verbose=0, warm_start=False, n_jobs=None,
                 multi_class=None):
        arguments = changed_arguments(LogisticRegression.__init__, locals())
        arguments.pop("multi_class", None)
        self.model = sklearn.linear_model.LogisticRegression(**arguments)
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
