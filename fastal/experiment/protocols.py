"""Experiment protocols: data, split, initial labels, rounds, batch size, model."""
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from sklearn.datasets import load_digits, make_classification
from sklearn.model_selection import train_test_split

from fastal.experiment.models import MarginSVC

__all__ = ["Protocol", "PROTOCOLS", "get_protocol"]


@dataclass(frozen=True)
class Protocol:
    """One comparison setting.

    ``load(seed)`` returns ``(X, y)``; the data is split 50/50 (stratified, by
    ``seed``) into a pool and a test half; ``initial`` rows of the pool, drawn
    with ``seed``, start labeled; then ``rounds`` rounds of ``batch`` queries
    follow, with test accuracy recorded before the first round and after each.
    """

    name: str
    load: Callable = field(repr=False)
    rounds: int
    batch: int
    initial: int
    make_model: Callable = field(default=MarginSVC, repr=False)
    description: str = ""

    def __post_init__(self):
        for attr in ("rounds", "batch", "initial"):
            value = getattr(self, attr)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{attr} must be a positive integer, got {value!r}")

    def split(self, seed):
        """(X_pool, y_pool, X_test, y_test, initial ids into the pool) for one seed."""
        X, y = self.load(seed)
        X_pool, X_test, y_pool, y_test = train_test_split(
            X, y, test_size=0.5, random_state=seed, stratify=y)
        needed = self.initial + self.rounds * self.batch
        if needed > len(y_pool):
            raise ValueError(f"protocol {self.name!r} needs {needed} pool rows "
                             f"({self.initial} initial + {self.rounds} x {self.batch}) "
                             f"but the pool has {len(y_pool)}")
        rs = np.random.RandomState(seed)
        initial = rs.choice(len(y_pool), self.initial, replace=False)
        while np.unique(y_pool[initial]).size < 2:   # a model needs two classes
            initial = rs.choice(len(y_pool), self.initial, replace=False)
        return X_pool, y_pool, X_test, y_test, np.sort(initial)

    def config(self):
        """What identifies the protocol's results (stored in every record)."""
        return {"name": self.name, "rounds": self.rounds, "batch": self.batch,
                "initial": self.initial}


def _synthetic(seed):
    return make_classification(n_samples=1000, n_features=20, n_informative=10,
                               n_redundant=5, n_classes=10, n_clusters_per_class=1,
                               random_state=seed)


def _digits(seed):
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


PROTOCOLS = {
    "synthetic": Protocol(
        "synthetic", _synthetic, rounds=20, batch=20, initial=20,
        description="make_classification: 1,000 samples, 10 classes, 20 features; "
                    "the seed also generates the data; 20 rounds of 20"),
    "digits": Protocol(
        "digits", _digits, rounds=16, batch=50, initial=50,
        description="load_digits: 1,797 samples, 10 classes; the seed draws the first "
                    "batch; 16 rounds of 50"),
}


def get_protocol(name, rounds=None, batch=None, initial=None):
    """A built-in protocol by name, optionally with other rounds / batch / initial size."""
    if name not in PROTOCOLS:
        raise ValueError(f"unknown protocol {name!r}; valid: {sorted(PROTOCOLS)}")
    base = PROTOCOLS[name]
    return Protocol(base.name, base.load,
                    rounds=base.rounds if rounds is None else rounds,
                    batch=base.batch if batch is None else batch,
                    initial=base.initial if initial is None else initial,
                    make_model=base.make_model, description=base.description)
