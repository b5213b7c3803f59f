"""Ranked batch-mode sampling (Cardoso et al. 2017), as modAL's ``uncertainty_batch_sampling``."""
import numpy as np

from fastal.base.interfaces import ContinuousModel
from fastal.kernels import max_min_select
from fastal.models._auto import as_model
from fastal.query_strategies._selection import ScoredQueryStrategy, answer, check_n_instances
from fastal.query_strategies._transform import check_transformer, transform_rows
from fastal.query_strategies._uncertainty import model_output, top_value
from fastal.utils.validation import check_metric

__all__ = ["RankedBatch"]


class RankedBatch(ScoredQueryStrategy):
    """Batches that trade uncertainty against distance to what is labeled.

    Reproduces modAL's ``uncertainty_batch_sampling`` / ``ranked_batch``: with
    u = 1 - max p (modAL's ``classifier_uncertainty``), every pick maximises
    ``alpha * (1 - 1 / (1 + d_min)) + (1 - alpha) * u`` where d_min is the
    distance to the nearest labeled-or-already-picked row and
    ``alpha = |U'| / (|U'| + |L'|)``; ties go to the first row.  With no labeled
    row the model is not trained, u = 1 (as modAL does for an unfitted
    estimator) and the batch starts from the most central row.  The work is
    ``fastal.kernels.max_min_select`` (lazy greedy, O(n d) per pick at most).

    Parameters
    ----------
    dataset : Dataset
    model : ContinuousModel or ProbabilisticModel or scikit-learn classifier
        A scikit-learn classifier (a ``Pipeline`` too) is wrapped by
        ``fastal.models.as_model``.
    metric : {'euclidean', 'manhattan', 'cosine'}, default 'euclidean'
    n_jobs : int or None
    transformer : None, object with ``transform(X)``, or 'model', keyword only
        The space the distances are measured in: None, the raw rows; an
        object, ``transformer.transform(rows)`` at every query; ``'model'``,
        every step but the last of ``model``, a scikit-learn ``Pipeline``, as
        fitted by the query (the query needs a labeled row to fit it).

    Examples
    --------
    >>> import numpy as np
    >>> from fastal.base.dataset import Dataset
    >>> from fastal.models import LogisticRegression
    >>> from fastal.query_strategies import RankedBatch
    >>> X = np.array([[0.0], [0.4], [0.5], [0.6], [1.0], [5.0]])
    >>> ds = Dataset(X, [0, None, None, None, 1, None])
    >>> RankedBatch(ds, LogisticRegression()).make_query(n_instances=2).tolist()
    [5, 2]
    """

    _tie = "first"

    def __init__(self, dataset, model, metric="euclidean", n_jobs=None, *, transformer=None):
        super().__init__(dataset)
        model = as_model(model, "model")
        if not isinstance(model, ContinuousModel):
            raise TypeError("model has to be a ContinuousModel or ProbabilisticModel")
        self.model = model
        self.metric = check_metric(metric)
        self.n_jobs = n_jobs
        self.transformer = check_transformer(transformer, model, "RankedBatch")

    def _get_scores(self):
        """Uncertainty 1 - max p of the unlabeled rows (1 before any label)."""
        entry_ids, X_pool = self.dataset.get_unlabeled_entries()
        if len(entry_ids) == 0 or self.dataset.len_labeled() == 0:
            return entry_ids, np.ones(len(entry_ids))
        self.model.train(self.dataset)
        return entry_ids, 1.0 - top_value(model_output(self.model, X_pool))

    def make_query(self, return_score=False, *, n_instances=None):
        k = check_n_instances(n_instances, self.dataset.len_unlabeled(), return_score)
        entry_ids, uncertainty = self._get_scores()
        X, _ = self.dataset.get_entries()
        labeled = X[self.dataset.get_labeled_mask()]
        pool = X[entry_ids]
        if self.transformer is not None:
            if isinstance(self.transformer, str) and self.dataset.len_labeled() == 0:
                raise ValueError("transformer='model' needs the model fitted, and RankedBatch "
                                 "trains it only once a row is labeled")
            pool = transform_rows(self.transformer, self.model, pool, "RankedBatch")
            labeled = (transform_rows(self.transformer, self.model, labeled, "RankedBatch")
                       if labeled.shape[0] else pool[:0])
        picks = max_min_select(pool, labeled, 1 if k is None else k,
                               scores=uncertainty, metric=self.metric, n_jobs=self.n_jobs)
        chosen = entry_ids[picks[0]] if k is None else entry_ids[picks]
        return answer(chosen, entry_ids, uncertainty, return_score)
