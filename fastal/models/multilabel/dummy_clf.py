"""A classifier for a label column that holds a single class."""
import numpy as np

from fastal.utils.signatures import KeywordChecked

__all__ = ["DummyClf"]


class DummyClf(KeywordChecked):
    """Predicts the one class it saw in training (0 or 1), with certainty.

    Used by ``BinaryRelevance`` for label columns where every training row has
    the same value.
    """

    def __init__(self):
        self.cls = None

    def fit(self, X, y):
        y = np.asarray(y)
        values = np.unique(y)
        if values.size != 1:
            raise ValueError(f"DummyClf needs a single class, got {values.tolist()}")
        self.cls = int(values[0])
        return self

    def train(self, dataset):
        X, y = dataset.format_sklearn()
        return self.fit(X, y)

    def predict(self, X):
        return np.full(np.shape(X)[0], self.cls)

    def predict_real(self, X):
        return self.predict_proba(X) * 2 - 1

    def predict_proba(self, X):
        proba = np.zeros((np.shape(X)[0], 2))
        proba[:, self.cls] = 1.0
        return proba
