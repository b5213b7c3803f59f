"""Simulated oracles for experiments."""
import numpy as np

from fastal.base.interfaces import Labeler
from fastal.utils import seed_random_state

__all__ = ["NoisyLabeler", "noisy_labels"]


def noisy_labels(y, flip_rate, random_state=None):
    """A copy of y where each label is, with probability flip_rate, replaced by another class.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.zeros(1000, dtype=int); y[500:] = 1
    >>> float((noisy_labels(y, 0.1, 0) != y).mean())
    0.098
    """
    if not 0.0 <= flip_rate <= 1.0:
        raise ValueError(f"flip_rate must be in [0, 1], got {flip_rate}")
    rs = seed_random_state(random_state)
    y = np.asarray(y)
    classes = np.unique(y)
    out = y.copy()
    flip = rs.random_sample(len(y)) < flip_rate
    if len(classes) > 1:
        for i in np.flatnonzero(flip):
            others = classes[classes != y[i]]
            out[i] = others[rs.randint(len(others))]
    return out


class NoisyLabeler(Labeler):
    """Answers with a label flipped to another class with probability ``flip_rate``.

    The flips are drawn once for every row (so asking twice gives the same
    answer, and every strategy of an experiment sees the same noise).

    Parameters
    ----------
    X, y : the rows and their true labels
    flip_rate : float in [0, 1]
    random_state : None, int or RandomState
    """

    def __init__(self, X, y, flip_rate, random_state=None):
        X = np.ascontiguousarray(X)
        self._noisy = noisy_labels(y, flip_rate, random_state)
        self._index = {row.tobytes(): i for i, row in enumerate(X)}
        self._dtype = X.dtype

    def label_of(self, i):
        """The (possibly flipped) label of row i."""
        return self._noisy[i]

    def label(self, feature):
        key = np.ascontiguousarray(feature, dtype=self._dtype).tobytes()
        if key not in self._index:
            raise ValueError("feature is not a row of the labeler's data")
        return self._noisy[self._index[key]]
