"""Helpers for tests of fastal and of code built on it.

Examples
--------
>>> import numpy as np
>>> from fastal.base.dataset import Dataset
>>> from fastal.query_strategies import RandomSampling
>>> from fastal.testing import both_backends, query_sequence
>>> from fastal.kernels import min_distance
>>> out = both_backends(lambda: min_distance(np.array([[0.0], [3.0]]), np.array([[1.0]])))
>>> out["compiled"].tolist() == out["python"].tolist() == [1.0, 2.0]
True
>>> ds = Dataset(np.arange(4.0)[:, None], [0, None, None, None])
>>> len(query_sequence(RandomSampling(ds, random_state=0), ds, [0, 1, 0, 1], 3))
3
"""
import fastal

__all__ = ["both_backends", "query_sequence"]


def both_backends(fn):
    """Call ``fn()`` with the kernels forced to each backend; ``{backend: result}``."""
    out = {}
    for name in ("compiled", "python"):
        with fastal.use_backend(name):
            out[name] = fn()
    return out


def query_sequence(qs, dataset, labels, n_queries):
    """Ask ``qs`` ``n_queries`` times, labeling each answer from ``labels``; the ids asked."""
    asked = []
    for _ in range(n_queries):
        ask = int(qs.make_query())
        dataset.update(ask, labels[ask])
        asked.append(ask)
    return asked
