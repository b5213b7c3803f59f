"""Per-row multi-label criteria with libact's conventions."""
import numpy as np

__all__ = ["pairwise_f1_score", "pairwise_rank_loss"]


def pairwise_f1_score(Z, Y):
    """F1 score of every row: 2 |Z & Y| / (|Z| + |Y|).

    Z is the truth and Y the prediction, both 0/1 matrices of one shape.  A row
    where both are empty scores 0 (libact's convention).

    Examples
    --------
    >>> import numpy as np
    >>> pairwise_f1_score(np.array([[1, 0, 1]]), np.array([[1, 1, 0]]))
    array([0.5])
    """
    Z = np.asarray(Z).astype(int)
    Y = np.asarray(Y).astype(int)
    if Z.shape != Y.shape or Z.ndim != 2:
        raise ValueError(f"Z and Y must be 2-D of one shape, got {Z.shape} and {Y.shape}")
    up = 2.0 * np.sum(Z & Y, axis=1)
    down = (Z.sum(axis=1) + Y.sum(axis=1)).astype(float)
    down[down == 0] = 1.0
    return up / down


def pairwise_rank_loss(Z, Y):
    """Negative rank loss of every row (larger is better), ties counted as half.

    Counts pairs (irrelevant label predicted, relevant label missed) of truth Z
    and prediction Y, plus half of the pairs tied within the predicted and
    within the unpredicted labels.

    Examples
    --------
    >>> import numpy as np
    >>> pairwise_rank_loss(np.array([[1, 0]]), np.array([[0, 1]]))
    array([-1.])
    """
    Z = np.asarray(Z)
    Y = np.asarray(Y)
    if Z.shape != Y.shape or Z.ndim != 2:
        raise ValueError(f"Z and Y must be 2-D of one shape, got {Z.shape} and {Y.shape}")
    wrong = ((Z == 0) & (Y == 1)).sum(axis=1) * ((Z == 1) & (Y == 0)).sum(axis=1)
    tie0 = 0.5 * ((Z == 0) & (Y == 0)).sum(axis=1) * ((Z == 1) & (Y == 0)).sum(axis=1)
    tie1 = 0.5 * ((Z == 0) & (Y == 1)).sum(axis=1) * ((Z == 1) & (Y == 1)).sum(axis=1)
    return -(wrong + tie0 + tie1).astype(float)
