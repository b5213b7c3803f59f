"""Strategies by name for experiments and ``fastal.query``; users can register their own.

A factory is called as ``factory(dataset, make_model, random_state, **params)``
and returns a fastal QueryStrategy; ``make_model()`` gives a fresh model and
``params`` are keyword arguments of the strategy class that replace the
name's settings (``fastal.query(X, y, "coreset", metric="cosine")``).
Factories registered by users may take only the first three arguments.
"""
import importlib

from fastal import query_strategies as qs

__all__ = ["STRATEGIES", "register_strategy", "get_strategy"]


def _named(cls, *, needs_model=False, seeded=False, **settings):
    """A factory for ``cls(dataset, model=..., random_state=..., **settings)``."""
    def factory(dataset, make_model, random_state, **params):
        kwargs = dict(settings)
        if needs_model:
            kwargs["model"] = make_model()
        if seeded:
            kwargs["random_state"] = random_state
        kwargs.update(params)
        return cls(dataset, **kwargs)
    factory.strategy_class = cls
    return factory


def _committee(dataset, make_model, random_state, n_models=3, **params):
    return qs.QueryByCommittee(dataset, models=[make_model() for _ in range(n_models)],
                               **{"random_state": random_state, **params})


def _density_weighted_margin(dataset, make_model, random_state, **params):
    base = qs.UncertaintySampling(dataset, model=make_model(), method="sm")
    return qs.DensityWeightedMeta(dataset, base, **{"random_state": random_state, **params})


STRATEGIES = {
    "random": _named(qs.RandomSampling, seeded=True),
    "lc": _named(qs.UncertaintySampling, needs_model=True, method="lc"),
    "margin": _named(qs.UncertaintySampling, needs_model=True, method="sm"),
    "entropy": _named(qs.UncertaintySampling, needs_model=True, method="entropy"),
    "epsilon_margin": _named(qs.EpsilonUncertaintySampling, needs_model=True, seeded=True,
                             method="sm", epsilon=0.1),
    "qbc": _committee,
    "information_density": _named(qs.InformationDensity, needs_model=True, seeded=True,
                                  method="entropy"),
    "density_weighted_meta": _density_weighted_margin,
    "graph_density": _named(qs.GraphDensity),
    "coreset": _named(qs.CoreSet, seeded=True),
    "ranked_batch": _named(qs.RankedBatch, needs_model=True),
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
