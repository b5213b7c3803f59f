"""Information density: uncertainty weighted by similarity to the rest of the pool."""
import numpy as np

from fastal.kernels import pairwise_density
from fastal.query_strategies._selection import ScoredQueryStrategy
from fastal.query_strategies._uncertainty import (
    pop_model_and_method, model_output, positive_uncertainty)
from fastal.utils import seed_random_state
from fastal.utils.validation import check_metric

__all__ = ["InformationDensity"]


class InformationDensity(ScoredQueryStrategy):
    """libact's ``InformationDensity`` (Settles & Craven 2008) on the pairwise-density kernel.

    score(x) = uncertainty(x) * density(x) ** beta, where density is the mean
    of 1 / (1 + d(x, u)) over the other unlabeled rows u (a pool of one row
    has density 1) and uncertainty is 1 - max p (``lc``), 1 - margin (``sm``)
    or the entropy of p clipped to [1e-10, 1] (``entropy``), floored at 0.
    The density is computed in blocks by ``fastal.kernels.pairwise_density``
    (``include_self=False``): no n x n matrix.

    Parameters
    ----------
    model : ContinuousModel or ProbabilisticModel (required)
    method : {'lc', 'sm', 'entropy'}, default 'entropy'
    metric : {'euclidean', 'manhattan'/'cityblock', 'cosine'}, default 'euclidean'
    beta : float, default 1.0
    random_state : None, int or RandomState
        Ties (``np.isclose`` to the maximum) are broken with ``random_state_.choice``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastal.base.dataset import Dataset
    >>> from fastal.models import LogisticRegression
    >>> from fastal.query_strategies import InformationDensity
    >>> X = np.array([[0.0], [0.45], [0.5], [0.55], [3.0], [1.0]])
    >>> ds = Dataset(X, [0, None, None, None, None, 1])
    >>> int(InformationDensity(ds, model=LogisticRegression(), random_state=0).make_query())
    2
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.model, self.method = pop_model_and_method(kwargs, "entropy")
        self.metric = kwargs.pop("metric", "euclidean")
        check_metric(self.metric)
        self.beta = kwargs.pop("beta", 1.0)
        self.random_state_ = seed_random_state(kwargs.pop("random_state", None))
        self.model.train(self.dataset)

    def _get_scores(self):
        self.model.train(self.dataset)
        entry_ids, X_pool = self.dataset.get_unlabeled_entries()
        if len(entry_ids) == 0:
            return entry_ids, np.zeros(0)
        uncertainty = np.maximum(positive_uncertainty(model_output(self.model, X_pool),
                                                      self.method), 0.0)
        density = pairwise_density(np.asarray(X_pool, dtype=np.float64), metric=self.metric,
                                   include_self=False, beta=self.beta)
        return entry_ids, uncertainty * density

    def update(self, entry_id, label):
        """Retrain the model after a new label (as libact)."""
        self.model.train(self.dataset)
