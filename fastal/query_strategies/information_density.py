"""Information density: uncertainty weighted by similarity to the rest of the pool."""
import numpy as np

from fastal.kernels import check_rows, drawn_similarity_sums, mean_of_sums, similarity_sums
from fastal.query_strategies._selection import ScoredQueryStrategy
from fastal.query_strategies._transform import check_transformer, transform_rows
from fastal.query_strategies._uncertainty import (
    checked_model_and_method, model_output, positive_uncertainty)
from fastal.utils import seed_random_state
from fastal.utils.validation import check_count, check_metric

__all__ = ["InformationDensity"]


class InformationDensity(ScoredQueryStrategy):
    """libact's ``InformationDensity`` (Settles & Craven 2008) on the pairwise-density kernel.

    score(x) = uncertainty(x) * density(x) ** beta, where density is the mean
    of 1 / (1 + d(x, u)) over the other unlabeled rows u (a pool of one row
    has density 1) and uncertainty is 1 - max p (``lc``), 1 - margin (``sm``)
    or the entropy of p clipped to [1e-10, 1] (``entropy``), floored at 0.
    The density is computed in blocks by ``fastal.kernels.similarity_sums``
    (``include_self=False``): no n x n matrix.  The per-row similarity sums are
    kept between queries: when a row is labeled, its similarities to the rest
    of the pool are subtracted (O(n d)) instead of recomputing all pairs.

    Parameters
    ----------
    dataset : Dataset
    model : ContinuousModel or ProbabilisticModel or scikit-learn classifier (required)
        A scikit-learn classifier (a ``Pipeline`` too) is wrapped by
        ``fastal.models.as_model``.
    method : {'lc', 'sm', 'entropy'}, default 'entropy'
    metric : {'euclidean', 'manhattan'/'cityblock', 'cosine'}, default 'euclidean'
    beta : float, default 1.0
    random_state : None, int or RandomState
        Ties (``np.isclose`` to the maximum) are broken with ``random_state_.choice``.
    transformer : None, object with ``transform(X)``, or 'model', keyword only
        fastal only.  The space the density is measured in: None, the raw
        rows (libact); an object, ``transformer.transform(rows)`` at every
        query; ``'model'``, every step but the last of ``model``, a
        scikit-learn ``Pipeline``, as fitted by the query (e.g. the scaled
        rows of ``Pipeline([StandardScaler(), LogisticRegression()])``).  With
        a transformer the similarity sums are recomputed at every query.
    cache_features : bool, default False, keyword only
        fastal only.  With a transformer object that never changes, True
        transforms the whole dataset once and keeps the similarity sums up
        to date between queries, as without a transformer (not allowed with
        ``'model'``, which changes whenever the model is retrained).
    density_samples : int or None, default None, keyword only
        fastal only.  None: the exact density (libact).  m: each row's mean
        similarity to m pool rows drawn at random without replacement
        (``fastal.kernels.pairwise_density(n_samples=m)``: an unbiased
        estimate in O(n m d) instead of O(n^2 d), for pools too large for the
        exact density; float32 rows are used as they are).  The drawn rows are
        kept between queries: a labeled row leaves them and its similarities
        leave the sums.  The draw uses a generator seeded once from
        ``random_state``.

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

    def __init__(self, dataset, *, model, method="entropy", metric="euclidean", beta=1.0,
                 random_state=None, transformer=None, cache_features=False,
                 density_samples=None):
        super().__init__(dataset)
        self.model, self.method = checked_model_and_method(model, method)
        self.metric = metric
        check_metric(self.metric)
        self.beta = beta
        self.random_state_ = seed_random_state(random_state)
        self.transformer = check_transformer(transformer, self.model, "InformationDensity")
        self.cache_features = bool(cache_features)
        if self.cache_features and isinstance(self.transformer, str):   # "model"
            raise ValueError("cache_features=True needs a transformer that never changes; "
                             "transformer='model' changes whenever the model is retrained")
        self.density_samples = None if density_samples is None else check_count(
            density_samples, "density_samples", 2, np.iinfo(np.int64).max)
        # the draw of reference rows has its own generator (ties keep libact's stream)
        self._draw_rs = None if density_samples is None else np.random.RandomState(
            self.random_state_.randint(np.iinfo(np.int32).max))
        self._features = None        # (dataset length, transformed rows), cache_features only
        # (dataset revision, pool entry ids, similarity sums, term counts or None when
        # exact, entry ids of the drawn reference rows or None when exact)
        self._sums = None
        self.model.train(self.dataset)

    @property
    def _incremental(self):
        """Whether the similarity sums are kept between queries."""
        return self.transformer is None or self.cache_features

    def _transform(self, X):
        return transform_rows(self.transformer, self.model, X, "InformationDensity")

    def _rows(self):
        """Every row of the dataset in the space the density is measured in (kept
        between queries when the sums are)."""
        if self.transformer is None:
            return self.dataset.get_entries()[0]
        if self._features is None or self._features[0] != len(self.dataset):
            X, _ = self.dataset.get_entries()
            self._features = (len(self.dataset), self._transform(X))
            self._sums = None
        return self._features[1]

    def _density_scores(self, X_pool):
        """Mean similarity 1 / (1 + d) of every row of ``X_pool`` to the other rows
        (libact's helper; 1 for a single row)."""
        X_pool = check_rows(X_pool, "X_pool", min_rows=0)
        if X_pool.shape[0] == 0:
            return np.ones(0)
        return mean_of_sums(self._similarity_sums(X_pool), X_pool.shape[0], True)

    def _similarity_sums(self, X_pool, reference=None):
        def float64_rows(rows):   # dense or sparse, as the kernels take them
            return check_rows(rows, min_rows=0).astype(np.float64, copy=False)
        return similarity_sums(float64_rows(X_pool),
                               None if reference is None else float64_rows(reference),
                               metric=self.metric, include_self=reference is not None)

    def _pool_sums(self, entry_ids, X_pool):
        """(sums, counts, drawn ids) of the pool rows: exact (counts and drawn None), or
        over ``density_samples`` drawn pool rows."""
        n = len(entry_ids)
        m = self.density_samples
        if m is None or m >= n - 1:
            return (self._similarity_sums(X_pool) if n else np.zeros(0)), None, None
        drawn = np.sort(self._draw_rs.permutation(n)[:m])
        sums, counts = drawn_similarity_sums(check_rows(X_pool, "X_pool"), drawn,
                                             metric=self.metric, include_self=False)
        return sums, counts, entry_ids[drawn]

    @staticmethod
    def _means(n, sums, counts):
        if counts is None:
            return mean_of_sums(sums, n, True)
        return np.where(counts > 0, sums / np.maximum(counts, 1.0), 1.0)

    def _density(self, entry_ids, X_pool):
        """Mean similarity of every pool row to the other pool rows, raised to beta."""
        n = len(entry_ids)
        if not self._incremental:
            sums, counts, _ = self._pool_sums(entry_ids, self._transform(X_pool))
            return self._means(n, sums, counts) ** self.beta
        if self.transformer is not None:
            X_pool = self._rows()[entry_ids]
        cached = self._sums
        revision = self.dataset.revision
        if cached is None or cached[0] != revision or not np.array_equal(cached[1], entry_ids):
            self._sums = cached = (revision, entry_ids.copy(), *self._pool_sums(entry_ids, X_pool))
        return self._means(n, cached[2], cached[3]) ** self.beta

    def _get_scores(self):
        self.model.train(self.dataset)
        entry_ids, X_pool = self.dataset.get_unlabeled_entries()
        if len(entry_ids) == 0:
            return entry_ids, np.zeros(0)
        uncertainty = np.maximum(positive_uncertainty(model_output(self.model, X_pool),
                                                      self.method), 0.0)
        return entry_ids, uncertainty * self._density(entry_ids, X_pool)

    def update(self, entry_id, label):
        """Retrain the model (as libact) and take the labeled row out of the density sums."""
        self.model.train(self.dataset)
        if not self._incremental or self._sums is None:
            return
        rows = self._rows()          # resets the sums if rows were appended
        cached = self._sums
        if cached is None:
            return
        revision = self.dataset.revision
        _, ids, sums, counts, drawn = cached
        if label is None or cached[0] != revision - 1:
            self._sums = None        # a row came back into the pool, or an update was missed
            return
        pos = int(np.searchsorted(ids, entry_id))
        if not (pos < len(ids) and ids[pos] == entry_id):
            self._sums = (revision, ids, sums, counts, drawn)   # a labeled row was relabeled
            return
        keep = np.delete(ids, pos)
        sums = np.delete(sums, pos)
        counts = None if counts is None else np.delete(counts, pos)
        if drawn is not None and not np.isin(entry_id, drawn):
            self._sums = (revision, keep, sums, counts, drawn)   # not a reference row
            return
        if len(keep):
            reference = rows[entry_id:entry_id + 1]
            if drawn is None:
                sums = sums - self._similarity_sums(rows[keep], reference)
            else:
                sums = sums - similarity_sums(check_rows(rows[keep]), check_rows(reference),
                                              metric=self.metric)
                counts = counts - 1.0
                drawn = drawn[drawn != entry_id]
        self._sums = (revision, keep, sums, counts, drawn)
