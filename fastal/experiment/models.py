"""The classifier of the built-in protocols, and models named by a spec string."""
import importlib
import json

import numpy as np
import sklearn.svm

from fastal.base.interfaces import Model, ProbabilisticModel
from fastal.models._auto import SklearnDecisionAdapter
from fastal.models._fit import WrappedEstimator, two_class_columns
from fastal.models.sklearn_adapter import SklearnProbaAdapter

__all__ = ["MarginSVC", "SoftmaxDecisionAdapter", "ModelSpec", "model_from_spec"]


def softmax_rows(d):
    """Each row of ``d`` through the softmax (shifted by its maximum first)."""
    e = np.exp(d - d.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


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
        return softmax_rows(self.predict_real(feature))


class SoftmaxDecisionAdapter(SklearnDecisionAdapter, ProbabilisticModel):
    """A scikit-learn classifier without ``predict_proba``, its probabilities the softmax of
    its ``decision_function`` (one column per class), as ``MarginSVC`` gives them.

    Examples
    --------
    >>> from sklearn.svm import LinearSVC
    >>> from fastal.base.dataset import Dataset
    >>> m = SoftmaxDecisionAdapter(LinearSVC())
    >>> _ = m.train(Dataset([[0.0], [1.0], [3.0], [4.0]], [0, 0, 1, 1]))
    >>> m.predict_proba([[0.0], [4.0]]).argmax(axis=1).tolist()
    [0, 1]
    """

    def predict_proba(self, feature, *args, **kwargs):
        return softmax_rows(self.predict_real(feature))


class ModelSpec:
    """Makes fresh models from ``"package.module:name"`` and keyword arguments.

    ``name`` is a scikit-learn classifier class or any callable returning
    one (or a fastal ``Model``), called with ``params``.  A classifier with
    ``predict_proba`` becomes a ``SklearnProbaAdapter``; one with only
    ``decision_function`` a ``SoftmaxDecisionAdapter``.  The spec is checked
    when the object is made (it imports and builds one model), and it can be
    pickled, so experiment tasks in other processes build the same model.

    Examples
    --------
    >>> make = ModelSpec("sklearn.linear_model:LogisticRegression", {"C": 0.5})
    >>> type(make()).__name__, make().model.C
    ('SklearnProbaAdapter', 0.5)
    >>> make.config()
    'sklearn.linear_model:LogisticRegression {"C": 0.5}'
    """

    def __init__(self, spec, params=None):
        if not isinstance(spec, str) or spec.count(":") != 1 or not all(spec.split(":")):
            raise ValueError(f"a model spec is 'package.module:name', got {spec!r}")
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise TypeError(f"model parameters must be a dict (a JSON object), got "
                            f"{type(params).__name__}")
        try:
            json.dumps(params)
        except TypeError as exc:
            raise TypeError(f"model parameters must be JSON values: {exc}") from None
        self.spec, self.params = spec, dict(params)
        self()          # fail now, not in a worker process

    def _target(self):
        module, _, attr = self.spec.partition(":")
        try:
            target = importlib.import_module(module)
        except ImportError as exc:
            raise ValueError(f"model spec {self.spec!r}: cannot import {module!r} ({exc})") \
                from None
        for part in attr.split("."):
            if not hasattr(target, part):
                raise ValueError(f"model spec {self.spec!r}: {module!r} has no {attr!r}")
            target = getattr(target, part)
        if not callable(target):
            raise ValueError(f"model spec {self.spec!r}: {attr!r} is not callable")
        return target

    def __call__(self):
        try:
            made = self._target()(**self.params)
        except TypeError as exc:
            raise ValueError(f"model spec {self.spec!r} with parameters {self.params}: "
                             f"{exc}") from None
        if isinstance(made, Model):
            return made
        if hasattr(made, "fit") and hasattr(made, "predict_proba"):
            return SklearnProbaAdapter(made)
        if hasattr(made, "fit") and hasattr(made, "decision_function"):
            return SoftmaxDecisionAdapter(made)
        raise TypeError(f"model spec {self.spec!r} made {made!r}, which is neither a fastal "
                        "Model nor a scikit-learn classifier with predict_proba or "
                        "decision_function")

    def config(self):
        """The spec and its parameters as one string (what the records store)."""
        if not self.params:
            return self.spec
        return f"{self.spec} {json.dumps(self.params, sort_keys=True)}"

    def __repr__(self):
        return f"ModelSpec({self.spec!r}, {self.params!r})"


def model_from_spec(spec, params=None):
    """``ModelSpec(spec, params)``: a factory of fresh fastal models (see ``ModelSpec``).

    ``params`` may also be a JSON object as text (``'{"C": 0.5}'``).
    """
    if isinstance(params, str):
        try:
            params = json.loads(params)
        except json.JSONDecodeError as exc:
            raise ValueError(f"model parameters are not valid JSON: {exc}") from None
    return ModelSpec(spec, params)
