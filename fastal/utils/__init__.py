"""Utilities with libact's names: random state seeding, docstrings, cost."""
import numpy as np

__all__ = ["inherit_docstring_from", "seed_random_state", "calc_cost", "zip"]

zip = zip


def inherit_docstring_from(cls):
    """Decorator: give a method the docstring of the same method on ``cls``."""
    def decorate(fn):
        fn.__doc__ = getattr(cls, fn.__name__).__doc__
        return fn
    return decorate


def seed_random_state(seed):
    """Turn ``seed`` (None, int or ``np.random.RandomState``) into a RandomState.

    Examples
    --------
    >>> seed_random_state(0).randint(10)
    5
    """
    if seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)):
        return np.random.RandomState(seed)
    if isinstance(seed, np.random.RandomState):
        return seed
    raise ValueError(f"{seed!r} can not be used to generate numpy.random.RandomState instance")


def calc_cost(y, yhat, cost_matrix):
    """Mean cost of predicting ``yhat`` for truth ``y`` under ``cost_matrix[y, yhat]``."""
    cost_matrix = np.asarray(cost_matrix)
    return np.mean(cost_matrix[list(y), list(yhat)])
