"""The one place where models turn a Dataset into scikit-learn's (X, y)."""
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
