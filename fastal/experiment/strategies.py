"""Strategies by name for experiments; users can register their own.

A factory is called as ``factory(dataset, make_model, random_state)`` and
returns a fastal QueryStrategy; ``make_model()`` gives a fresh model.
"""
import importlib

from fastal import query_strategies as qs

__all__ = ["STRATEGIES", "register_strategy", "get_strategy"]

STRATEGIES = {
    "random": lambda ds, mm, rs: qs.RandomSampling(ds, random_state=rs),
    "lc": lambda ds, mm, rs: qs.UncertaintySampling(ds, model=mm(), method="lc"),
    "margin": lambda ds, mm, rs: qs.UncertaintySampling(ds, model=mm(), method="sm"),
    "entropy": lambda ds, mm, rs: qs.UncertaintySampling(ds, model=mm(), method="entropy"),
    "epsilon_margin": lambda ds, mm, rs: qs.EpsilonUncertaintySampling(
        ds, model=mm(), method="sm", epsilon=0.1, random_state=rs),
    "qbc": lambda ds, mm, rs: qs.QueryByCommittee(
        ds, models=[mm() for _ in range(3)], random_state=rs),
    "information_density": lambda ds, mm, rs: qs.InformationDensity(
        ds, model=mm(), method="entropy", random_state=rs),
    "density_weighted_meta": lambda ds, mm, rs: qs.DensityWeightedMeta(
        ds, qs.UncertaintySampling(ds, model=mm(), method="sm"), random_state=rs),
    "graph_density": lambda ds, mm, rs: qs.GraphDensity(ds),
    "coreset": lambda ds, mm, rs: qs.CoreSet(ds, random_state=rs),
    "ranked_batch": lambda ds, mm, rs: qs.RankedBatch(ds, mm()),
}


def register_strategy(name, factory):
    """Make ``factory(dataset, make_model, random_state)`` available under ``name``."""
    if not callable(factory):
        raise TypeError("factory must be callable")
    STRATEGIES[name] = factory


def get_strategy(name):
    """The factory for ``name``: a registered name, or ``"package.module:function"``."""
    if name in STRATEGIES:
        return STRATEGIES[name]
    if ":" in name:
        module, _, attr = name.partition(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise ValueError(f"cannot load strategy {name!r}: {exc}") from None
    raise ValueError(f"unknown strategy {name!r}; valid: {sorted(STRATEGIES)} "
                     "or 'package.module:factory'")
