"""The one place where models turn a Dataset into scikit-learn's (X, y)."""
import functools
import inspect

import numpy as np


def labeled_xy(dataset):
    """``dataset.format_sklearn()``, with a clear error when nothing is labeled."""
    X, y = dataset.format_sklearn()
    if len(y) == 0:
        raise ValueError("the dataset has no labeled entries; label some rows before training")
    return X, y


def two_class_columns(dvalue):
    """Decision values as (n, n_classes): a 1-D binary output becomes [-d, d]."""
    dvalue = np.asarray(dvalue)
    if dvalue.ndim == 1:
        return np.vstack((-dvalue, dvalue)).T
    return dvalue


class WrappedEstimator:
    """``train`` / ``predict`` / ``score`` delegated to ``self.model``, a scikit-learn estimator."""

    def train(self, dataset, *args, **kwargs):
        return self.model.fit(*(labeled_xy(dataset) + args), **kwargs)

    def predict(self, feature, *args, **kwargs):
        return self.model.predict(feature, *args, **kwargs)

    def score(self, testing_dataset, *args, **kwargs):
        return self.model.score(*(labeled_xy(testing_dataset) + args), **kwargs)


def changed_arguments(init, values):
    """The entries of ``values`` (an ``__init__``'s arguments, ``self`` left out) that
    are not its defaults.

    The model wrappers declare scikit-learn's parameters with the defaults of
    the scikit-learn they were written for and hand scikit-learn only the
    arguments a caller changed, so any supported scikit-learn version applies
    its own defaults to the rest (the same values, where they agree).  A
    default is recognised by identity: a value passed explicitly is always
    handed on unless it is the very default object (None, True, small ints, ...).
    """
    defaults = _defaults(init)
    return {name: value for name, value in values.items()
            if name != "self" and (name not in defaults or value is not defaults[name])}


@functools.lru_cache(maxsize=None)
def _defaults(init):
    return {p.name: p.default for p in inspect.signature(init).parameters.values()
            if p.default is not inspect.Parameter.empty}
