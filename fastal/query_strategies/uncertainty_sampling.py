"""Uncertainty sampling: least confident, smallest margin, entropy."""
import numpy as np

from fastal.query_strategies._selection import ScoredQueryStrategy
from fastal.query_strategies._uncertainty import (
    checked_model_and_method, entropy, model_output, top_margin, top_value)

__all__ = ["UncertaintySampling"]


class UncertaintySampling(ScoredQueryStrategy):
    """Query the row the model is least sure about (libact's ``UncertaintySampling``).

    Parameters
    ----------
    dataset : Dataset
    model : ContinuousModel or ProbabilisticModel or scikit-learn classifier (required)
        Trained on the dataset at construction and before every query.  A
        scikit-learn classifier (a ``Pipeline`` too) is wrapped by
        ``fastal.models.as_model``.
    method : {'lc', 'sm', 'entropy'}, default 'lc'
        Scores (larger = query): ``lc`` -max p, ``sm`` -(p1 - p2) of the two
        largest, ``entropy`` -sum p log p (needs a ProbabilisticModel; 0 log 0 = 0).
        Decision values replace p for a ContinuousModel.

    Notes
    -----
    Ties go to the first row (libact takes the first argmax).

    Examples
    --------
    >>> import numpy as np
    >>> from fastal.base.dataset import Dataset
    >>> from fastal.models import LogisticRegression
    >>> from fastal.query_strategies import UncertaintySampling
    >>> ds = Dataset(np.array([[0.0], [0.4], [0.6], [1.0], [0.5]]), [0, None, None, 1, None])
    >>> int(UncertaintySampling(ds, model=LogisticRegression()).make_query())
    4
    """

    _tie = "first"

    def __init__(self, dataset, *, model, method="lc"):
        super().__init__(dataset)
        self.model, self.method = checked_model_and_method(model, method)
        self.model.train(self.dataset)

    def _get_scores(self):
        dataset = self.dataset
        self.model.train(dataset)
        entry_ids, X_pool = dataset.get_unlabeled_entries()
        if len(entry_ids) == 0:
            return entry_ids, np.zeros(0)
        dvalue = model_output(self.model, X_pool)
        if self.method == "lc":
            scores = -top_value(dvalue)
        elif self.method == "sm":
            scores = -top_margin(dvalue)
        else:
            scores = entropy(dvalue)
        return entry_ids, scores

    def get_model(self):
        """The model trained by the last query."""
        return self.model
