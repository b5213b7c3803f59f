"""Model outputs and uncertainty measures shared by the strategies."""
import numpy as np

from fastal.base.interfaces import ContinuousModel, ProbabilisticModel
from fastal.models._auto import as_model

METHODS = ("lc", "sm", "entropy")


def check_uncertainty_model(model, method):
    """libact's checks: model present and continuous/probabilistic; method valid."""
    if model is None:
        raise TypeError("__init__() missing required keyword-only argument: 'model'")
    if not isinstance(model, (ContinuousModel, ProbabilisticModel)):
        raise TypeError("model has to be a ContinuousModel or ProbabilisticModel")
    if method not in METHODS:
        raise TypeError(f"supported methods are {list(METHODS)}, the given one is: {method!r}")
    if method == "entropy" and not isinstance(model, ProbabilisticModel):
        raise TypeError("method 'entropy' requires model to be a ProbabilisticModel")


def model_output(model, X):
    """predict_proba for probabilistic models, predict_real otherwise, as (n, n_classes)."""
    if isinstance(model, ProbabilisticModel):
        return np.asarray(model.predict_proba(X), dtype=np.float64)
    return np.asarray(model.predict_real(X), dtype=np.float64)


def top_value(dvalue):
    return np.max(dvalue, axis=1)


def top_margin(dvalue):
    """|largest - second largest| of every row."""
    if dvalue.shape[1] < 2:
        raise ValueError("margin ('sm') needs at least two classes among the labeled rows")
    top2 = np.partition(dvalue, dvalue.shape[1] - 2, axis=1)[:, -2:]
    return np.abs(top2[:, 1] - top2[:, 0])


def entropy(proba):
    """-sum p log p per row, with 0 log 0 = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(proba > 0, -proba * np.log(np.where(proba > 0, proba, 1.0)), 0.0)
    return terms.sum(axis=1)


def clipped_entropy(proba):
    """Entropy of every row (last axis) of ``proba`` clipped to [1e-10, 1] (libact's form).

    After the clip every entry is positive, so no ``0 log 0`` guard is needed;
    the value equals ``entropy(np.clip(proba, 1e-10, 1))`` bit for bit.
    """
    clipped = np.clip(proba, 1e-10, 1.0)
    return -np.sum(clipped * np.log(clipped), axis=-1)


def positive_uncertainty(dvalue, method):
    """Uncertainty >= 0 as libact's InformationDensity / EpsilonUncertaintySampling compute it:
    lc = 1 - max, sm = 1 - margin, entropy of probabilities clipped to [1e-10, 1]."""
    if method == "lc":
        return 1.0 - top_value(dvalue)
    if method == "sm":
        return 1.0 - top_margin(dvalue)
    return clipped_entropy(dvalue)


def checked_model_and_method(model, method):
    """``(as_model(model), method)``, checked as libact checks them."""
    if model is not None:
        model = as_model(model, "model")
    check_uncertainty_model(model, method)
    return model, method
