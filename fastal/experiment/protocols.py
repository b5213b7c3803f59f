"""Experiment protocols: data, split, initial labels, rounds, batch size, model."""
import json
import os
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Optional

import numpy as np
from sklearn.datasets import load_digits, make_classification
from sklearn.model_selection import train_test_split

from fastal.experiment.models import MarginSVC

__all__ = ["Protocol", "PROTOCOLS", "get_protocol"]


@dataclass(frozen=True)
class Protocol:
    """One comparison setting.

    ``load(seed)`` returns ``(X, y)`` or ``(X, y, X_test, y_test)``.  Without a
    test set of its own the data is split (stratified, by ``seed``) into a pool
    and a test part of ``test_size``; ``initial`` rows of the pool, drawn with
    ``seed`` (``initial_sampling``: "random" — any rows, redrawn until two
    classes are present — or "stratified" — every class in proportion, each
    at least once), start labeled; then ``rounds`` rounds of ``batch``
    queries follow, with test accuracy recorded before the first round and
    after each, unless one of the ``stop`` criteria stops the task earlier.
    ``cost`` (optional) is each row's labelling cost, for cost budgets.  ``settings`` are what else identifies the results (the data's
    checksum, a model spec): they go into ``config()`` and so into every
    record, and a run resuming with other settings stops with an error.

    Protocols for one's own data come from ``Protocol.from_arrays`` or
    ``Protocol.from_file``.
    """

    name: str
    load: Callable = field(repr=False)
    rounds: int
    batch: int
    initial: int
    make_model: Callable = field(default=MarginSVC, repr=False)
    description: str = ""
    test_size: float = 0.5
    initial_sampling: str = "random"
    cost: Optional[Any] = field(default=None, repr=False, compare=False)
    settings: tuple = ()
    stop: tuple = field(default=(), repr=False, compare=False)

    def __post_init__(self):
        for attr in ("rounds", "batch", "initial"):
            value = getattr(self, attr)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{attr} must be a positive integer, got {value!r}")
        if not 0.0 < self.test_size < 1.0:
            raise ValueError(f"test_size must be in (0, 1), got {self.test_size!r}")
        if self.initial_sampling not in ("random", "stratified"):
            raise ValueError(f"initial_sampling must be 'random' or 'stratified', got "
                             f"{self.initial_sampling!r}")

    @classmethod
    def from_arrays(cls, X, y, *, name="data", X_test=None, y_test=None, test_size=0.25,
                    initial=20, initial_sampling="stratified", rounds=20, batch=10,
                    make_model=None, cost=None, description="", checksum=None):
        """A protocol on one's own arrays.

        Parameters
        ----------
        X : array-like or sparse matrix, shape (n, d)
        y : array-like, shape (n,)
            Every row's label (the simulated oracle answers with it).
        name : str, default "data"
            The name results are stored and reported under.
        X_test, y_test : optional
            A test set; without one, ``test_size`` of the rows are split off
            (stratified, by seed).
        test_size : float, default 0.25
        initial : int, default 20
            Labels to start with, drawn by seed as ``initial_sampling`` says
            ("stratified", the default, or "random").
        rounds, batch : int, default 20 and 10
        make_model : callable, optional
            Returns a fresh fastal model (default: ``MarginSVC``); see
            ``fastal.experiment.model_from_spec`` for scikit-learn estimators.
        cost : array-like, shape (n,), optional
            Each row's labelling cost (default one unit), for cost budgets.
        checksum : str, optional
            What identifies the data in the records (default: a SHA-256 of
            the arrays' values); a resumed run with other data stops with an
            error.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import make_classification
        >>> X, y = make_classification(200, random_state=0)
        >>> p = Protocol.from_arrays(X, y, name="mine", rounds=5, batch=10, initial=10)
        >>> X_pool, y_pool, X_test, y_test, initial = p.split(seed=0)
        >>> X_pool.shape, X_test.shape, len(initial), np.unique(y_pool[initial]).tolist()
        ((150, 20), (50, 20), 10, [0, 1])
        """
        from fastal.experiment.data import _costs, _features, _labels, data_checksum
        from fastal.utils.validation import is_dataframe, frame_values

        if is_dataframe(X):
            X = frame_values(X)
        X = _features(X, name)
        y = _labels(y, X.shape[0], name)
        if (X_test is None) != (y_test is None):
            raise ValueError("a test set needs both X_test and y_test")
        if X_test is not None:
            if is_dataframe(X_test):
                X_test = frame_values(X_test, "X_test")
            X_test = _features(X_test, name, "X_test")
            y_test = _labels(y_test, X_test.shape[0], name, "y_test")
            if X_test.shape[1] != X.shape[1]:
                raise ValueError(f"X_test has {X_test.shape[1]} features, X {X.shape[1]}")
        cost = _costs(cost, X.shape[0], name)
        if checksum is None:
            checksum = data_checksum(X, y, X_test, y_test, cost)
        settings = {"data": checksum}
        if X_test is None:
            settings["test_size"] = test_size
        settings["initial_sampling"] = initial_sampling
        protocol = cls(name, _FixedData(X, y, X_test, y_test), rounds=rounds, batch=batch,
                       initial=initial,
                       description=description or f"{name}: {X.shape[0]} rows, "
                                                  f"{X.shape[1]} features",
                       test_size=test_size, initial_sampling=initial_sampling, cost=cost,
                       settings=tuple(sorted(settings.items())))
        return protocol if make_model is None else protocol.with_model(make_model)

    @classmethod
    def from_file(cls, path, *, target=None, fmt=None, cost_column=None, name=None, **options):
        """``from_arrays`` on the data ``fastal.experiment.data.load_data`` reads from ``path``.

        ``name`` defaults to the file's name without its ending; the file's
        SHA-256 identifies the data in the records, so a changed file is
        detected when a run resumes.  ``options`` are those of ``from_arrays``.
        """
        from fastal.experiment.data import load_data

        data = load_data(path, target=target, fmt=fmt, cost_column=cost_column)
        name = name or os.path.splitext(os.path.basename(os.fspath(path)))[0]
        return cls.from_arrays(data.X, data.y, name=name, X_test=data.X_test,
                               y_test=data.y_test, cost=data.cost, checksum=data.checksum,
                               **options)

    def with_changes(self, **changes):
        """A copy with some fields replaced (None values are left as they are)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def with_model(self, make_model):
        """A copy whose models come from ``make_model``.

        A factory with a ``config()`` method (``ModelSpec``) is recorded in the
        configuration by what it returns; for any other callable, its module
        and name are.
        """
        if not callable(make_model):
            raise TypeError(f"make_model must be callable, got {make_model!r}")
        described = getattr(make_model, "config", None)
        spec = described() if callable(described) else \
            f"{getattr(make_model, '__module__', '?')}:{getattr(make_model, '__qualname__', '?')}"
        settings = dict(self.settings)
        settings["model"] = spec
        return replace(self, make_model=make_model, settings=tuple(sorted(settings.items())))

    def split_rows(self, seed):
        """(pool rows, test rows or None, initial ids into the pool) for one seed."""
        loaded = self.load(seed)
        y = loaded[1]
        rows = np.arange(len(y))
        if len(loaded) == 4:
            pool, test = rows, None
        else:
            try:
                pool, test = train_test_split(rows, test_size=self.test_size,
                                              random_state=seed, stratify=y)
            except ValueError as exc:
                raise ValueError(f"protocol {self.name!r}: cannot split a stratified test set "
                                 f"of {self.test_size} ({exc})") from None
        y_pool = y[pool]
        needed = self.initial + self.rounds * self.batch
        if needed > len(y_pool):
            raise ValueError(f"protocol {self.name!r} needs {needed} pool rows "
                             f"({self.initial} initial + {self.rounds} x {self.batch}) "
                             f"but the pool has {len(y_pool)}")
        if np.unique(y_pool).size < 2:
            raise ValueError(f"protocol {self.name!r}: the pool has one class only")
        if self.initial_sampling == "stratified":
            initial = self._stratified_initial(y_pool, seed)
        else:
            rs = np.random.RandomState(seed)
            initial = rs.choice(len(y_pool), self.initial, replace=False)
            while np.unique(y_pool[initial]).size < 2:   # a model needs two classes
                initial = rs.choice(len(y_pool), self.initial, replace=False)
        return pool, test, np.sort(initial)

    def _stratified_initial(self, y_pool, seed):
        classes = np.unique(y_pool)
        if self.initial < len(classes):
            raise ValueError(f"protocol {self.name!r}: a stratified initial set of "
                             f"{self.initial} cannot hold each of the {len(classes)} classes; "
                             "give more initial labels or sample them at random")
        if self.initial == len(y_pool):
            return np.arange(len(y_pool))
        try:
            initial, _ = train_test_split(np.arange(len(y_pool)), train_size=self.initial,
                                          random_state=seed, stratify=y_pool)
        except ValueError:
            # a class with a single row: scikit-learn cannot stratify; take one row of
            # every class, then the rest at random
            rs = np.random.RandomState(seed)
            first = np.array([rs.choice(np.flatnonzero(y_pool == c)) for c in classes])
            rest = np.setdiff1d(np.arange(len(y_pool)), first)
            initial = np.concatenate(
                [first, rs.choice(rest, self.initial - len(first), replace=False)])
        return initial

    def split(self, seed):
        """(X_pool, y_pool, X_test, y_test, initial ids into the pool) for one seed."""
        pool, test, initial = self.split_rows(seed)
        loaded = self.load(seed)
        X, y = loaded[0], loaded[1]
        if test is None:
            X_test, y_test = loaded[2], loaded[3]
        else:
            X_test, y_test = X[test], y[test]
        return X[pool], y[pool], X_test, y_test, initial

    def pool_cost(self, seed):
        """The labelling cost of each pool row for one seed (ones without a ``cost``)."""
        pool, _, _ = self.split_rows(seed)
        if self.cost is None:
            return np.ones(len(pool))
        return np.asarray(self.cost, dtype=np.float64)[pool]

    def config(self):
        """What identifies the protocol's results (stored in every record)."""
        config = {"name": self.name, "rounds": self.rounds, "batch": self.batch,
                  "initial": self.initial}
        config.update((key, json.loads(json.dumps(value))) for key, value in self.settings)
        return config


class _FixedData:
    """``load(seed)`` of a protocol on fixed arrays: the same data for every seed."""

    def __init__(self, X, y, X_test=None, y_test=None):
        self.arrays = (X, y) if X_test is None else (X, y, X_test, y_test)

    def __call__(self, seed):
        return self.arrays


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
    """A protocol, optionally with other rounds / batch / initial size.

    ``name`` is a built-in protocol's name or a ``Protocol`` (one's own data).
    """
    if isinstance(name, Protocol):
        base = name
    elif name not in PROTOCOLS:
        raise ValueError(f"unknown protocol {name!r}; valid: {sorted(PROTOCOLS)}")
    else:
        base = PROTOCOLS[name]
    return base.with_changes(rounds=rounds, batch=batch, initial=initial)
