"""Stopping criteria: when an active learning loop should stop asking for labels.

Each criterion is called with the loop's history so far, a list of
``(n_labeled, accuracy, cost_spent)`` tuples, one per round, and says whether
to stop.  ``any_of`` combines them.
"""

__all__ = ["StopAfterLabels", "StopAfterRounds", "StopOnPlateau", "StopOnBudget", "any_of",
           "parse_stop"]


class StopAfterLabels:
    """Stop once at least ``n_labels`` rows are labeled."""

    def __init__(self, n_labels):
        if n_labels < 1:
            raise ValueError("n_labels must be at least 1")
        self.n_labels = n_labels

    def __call__(self, history):
        return bool(history) and history[-1][0] >= self.n_labels

    def spec(self):
        return f"labels={self.n_labels}"


class StopAfterRounds:
    """Stop after ``n_rounds`` rounds of queries (round 0 is the initial set)."""

    def __init__(self, n_rounds):
        if n_rounds < 1:
            raise ValueError("n_rounds must be at least 1")
        self.n_rounds = n_rounds

    def __call__(self, history):
        return len(history) > self.n_rounds

    def spec(self):
        return f"rounds={self.n_rounds}"


class StopOnPlateau:
    """Stop when accuracy gained less than ``min_delta`` over the last ``patience`` rounds.

    Examples
    --------
    >>> stop = StopOnPlateau(patience=2, min_delta=0.01)
    >>> stop([(10, 0.5, 0), (20, 0.7, 0), (30, 0.705, 0)])
    False
    >>> stop([(10, 0.5, 0), (20, 0.7, 0), (30, 0.705, 0), (40, 0.709, 0)])
    True
    """

    def __init__(self, patience=3, min_delta=0.005):
        if patience < 1:
            raise ValueError("patience must be at least 1")
        self.patience = patience
        self.min_delta = min_delta

    def __call__(self, history):
        if len(history) <= self.patience:
            return False
        best_before = max(acc for _, acc, _ in history[: -self.patience])
        recent = max(acc for _, acc, _ in history[-self.patience:])
        return recent - best_before < self.min_delta

    def spec(self):
        return f"plateau={self.patience}:{self.min_delta!r}"


class StopOnBudget:
    """Stop when the label cost spent reaches ``budget``."""

    def __init__(self, budget):
        if budget <= 0:
            raise ValueError("budget must be positive")
        self.budget = budget

    def __call__(self, history):
        return bool(history) and history[-1][2] >= self.budget

    def spec(self):
        return f"cost={self.budget!r}"


class _AnyOf:
    def __init__(self, criteria):
        self.criteria = tuple(criteria)

    def __call__(self, history):
        return any(c(history) for c in self.criteria)

    def spec(self):
        return " ".join(c.spec() for c in self.criteria)


def any_of(*criteria):
    """A criterion that stops as soon as one of ``criteria`` does."""
    return _AnyOf(criteria)


_KINDS = {"labels": "labels=N (stop once N rows are labeled, the initial ones included)",
          "plateau": "plateau[=PATIENCE[:MIN_DELTA]] (stop when accuracy gained less than "
                     "MIN_DELTA, default 0.005, over the last PATIENCE rounds, default 3)",
          "cost": "cost=BUDGET (stop when the queried labels cost BUDGET; each costs one unit "
                  "unless the data gives costs)",
          "rounds": "rounds=N (stop after N rounds of queries)"}


def _parse_one(text):
    kind, _, value = text.strip().partition("=")
    kind = kind.strip().lower()
    valid = "; ".join(_KINDS.values())
    if kind not in _KINDS:
        raise ValueError(f"unknown stopping criterion {text!r}; valid: {valid}")
    try:
        if kind == "labels":
            return StopAfterLabels(int(value))
        if kind == "rounds":
            return StopAfterRounds(int(value))
        if kind == "cost":
            return StopOnBudget(float(value))
        patience, _, delta = value.partition(":")
        return StopOnPlateau(int(patience) if patience else 3,
                             float(delta) if delta else 0.005)
    except ValueError as exc:
        raise ValueError(f"stopping criterion {text!r}: {exc}; the form is {_KINDS[kind]}") \
            from None


def parse_stop(stop):
    """The criteria a ``stop`` argument names, as a tuple (empty for None).

    ``stop`` is a criterion of this module, a spec string (``"labels=200"``,
    ``"plateau"``, ``"plateau=3:0.005"``, ``"cost=50"``, ``"rounds=10"``;
    several separated by spaces or commas), or a list of these: the run stops
    as soon as any of them says so.

    Examples
    --------
    >>> [c.spec() for c in parse_stop("labels=200, plateau")]
    ['labels=200', 'plateau=3:0.005']
    >>> parse_stop("budget=5")
    Traceback (most recent call last):
    ...
    ValueError: unknown stopping criterion 'budget=5'; valid: labels=N (stop once N rows are labeled, the initial ones included); plateau[=PATIENCE[:MIN_DELTA]] (stop when accuracy gained less than MIN_DELTA, default 0.005, over the last PATIENCE rounds, default 3); cost=BUDGET (stop when the queried labels cost BUDGET; each costs one unit unless the data gives costs); rounds=N (stop after N rounds of queries)
    """
    if stop is None:
        return ()
    items = [stop] if isinstance(stop, str) or callable(stop) else list(stop)
    criteria = []
    for item in items:
        if isinstance(item, str):
            criteria.extend(_parse_one(part) for part in item.replace(",", " ").split()
                            if part.strip())
        elif isinstance(item, _AnyOf):
            criteria.extend(parse_stop(list(item.criteria)))
        elif callable(getattr(item, "spec", None)):
            criteria.append(item)
        else:
            raise TypeError(f"a stopping criterion must be one of fastal.experiment's "
                            f"(StopAfterLabels, StopOnPlateau, StopOnBudget, StopAfterRounds) "
                            f"or a spec string such as 'labels=200', got {item!r}")
    return tuple(criteria)
