"""Stopping criteria: when an active learning loop should stop asking for labels.

Each criterion is called with the loop's history so far, a list of
``(n_labeled, accuracy, cost_spent)`` tuples, one per round, and says whether
to stop.  ``any_of`` combines them.
"""

__all__ = ["StopAfterLabels", "StopAfterRounds", "StopOnPlateau", "StopOnBudget", "any_of"]


class StopAfterLabels:
    """Stop once at least ``n_labels`` rows are labeled."""

    def __init__(self, n_labels):
        if n_labels < 1:
            raise ValueError("n_labels must be at least 1")
        self.n_labels = n_labels

    def __call__(self, history):
        return bool(history) and history[-1][0] >= self.n_labels


class StopAfterRounds:
    """Stop after ``n_rounds`` rounds of queries (round 0 is the initial set)."""

    def __init__(self, n_rounds):
        if n_rounds < 1:
            raise ValueError("n_rounds must be at least 1")
        self.n_rounds = n_rounds

    def __call__(self, history):
        return len(history) > self.n_rounds


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


class StopOnBudget:
    """Stop when the label cost spent reaches ``budget``."""

    def __init__(self, budget):
        if budget <= 0:
            raise ValueError("budget must be positive")
        self.budget = budget

    def __call__(self, history):
        return bool(history) and history[-1][2] >= self.budget


def any_of(*criteria):
    """A criterion that stops as soon as one of ``criteria`` does."""
    def stop(history):
        return any(c(history) for c in criteria)
    return stop
