"""Noiseless oracle answering with the true label of a row."""
import numpy as np

from fastal.base.interfaces import Labeler
from fastal.utils import inherit_docstring_from, seed_random_state

__all__ = ["IdealLabeler"]


class IdealLabeler(Labeler):
    """Answers with the ground-truth label of the row equal to ``feature``.

    Rows are indexed by their bytes once, so a lookup costs O(n_features).
    When several rows equal ``feature`` (duplicates), one of their labels is
    picked at random.

    Parameters
    ----------
    dataset : Dataset
        Fully labeled dataset holding the truth.
    random_state : None, int or RandomState, keyword only
        For choosing among duplicate rows (fastal only).

    Examples
    --------
    >>> from fastal.base.dataset import Dataset
    >>> from fastal.labelers import IdealLabeler
    >>> IdealLabeler(Dataset([[0.0, 1.0], [2.0, 3.0]], ["a", "b"])).label([2.0, 3.0])
    'b'
    """

    def __init__(self, dataset, *, random_state=None):
        X, y = dataset.get_entries()
        if dataset.len_unlabeled() > 0:
            raise ValueError("IdealLabeler needs a fully labeled dataset "
                             f"({dataset.len_unlabeled()} rows have no label)")
        X = np.asarray(X.toarray() if hasattr(X, "toarray") else X)
        self._dtype = X.dtype
        self._n_features = X.shape[1] if X.ndim == 2 else 0
        self.random_state_ = seed_random_state(random_state)
        self._labels = {}
        # label vectors kept as libact keeps them, a 2-D array: answer a copy of the row
        self._copy_answers = np.ndim(y) == 2
        for i, row in enumerate(self._canonical(X)):
            self._labels.setdefault(row.tobytes(), []).append(y[i])

    def _canonical(self, rows):
        # +0.0 turns -0.0 into 0.0 so equal rows have equal bytes
        return np.ascontiguousarray(rows, dtype=self._dtype) + self._dtype.type(0)

    @inherit_docstring_from(Labeler)
    def label(self, feature):
        row = np.asarray(feature)
        if row.ndim == 2 and row.shape[0] == 1:
            row = row[0]
        if row.shape != (self._n_features,):
            raise ValueError(f"feature must have shape ({self._n_features},), got {row.shape}")
        labels = self._labels.get(self._canonical(row).tobytes())
        if labels is None:
            raise ValueError("feature is not a row of the labeler's dataset")
        answer = labels[0] if len(labels) == 1 else labels[self.random_state_.randint(len(labels))]
        return answer.copy() if self._copy_answers else answer
