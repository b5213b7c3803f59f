"""Active learning with cost embedding (libact's ``ActiveLearningWithCostEmbedding``, ALCE)."""
import copy

import numpy as np
from sklearn.neighbors import NearestNeighbors

from fastal.base.interfaces import QueryStrategy
from fastal.query_strategies._selection import answer, check_n_instances, rank_with_ties
from fastal.query_strategies.multiclass.mdsp import MDSP
from fastal.utils import seed_random_state

__all__ = ["ActiveLearningWithCostEmbedding"]


class ActiveLearningWithCostEmbedding(QueryStrategy):
    """Cost-sensitive uncertainty sampling through an embedding of the cost matrix (ALCE).

    At construction the classes are embedded by non-metric MDS with partial
    dissimilarities (:class:`~fastal.query_strategies.multiclass.mdsp.MDSP`):
    2 K points, K "class" points and K "prediction" points, whose distances
    across the two groups fit ``cost_matrix`` (row = true class, column =
    prediction).  At every query one copy of ``base_regressor`` per
    embedding dimension is fitted to map the labeled rows to their class
    points; the unlabeled row whose predicted point is farthest from the
    nearest prediction point is queried.

    Parameters
    ----------
    dataset : Dataset
        Labels must be the integers 0..K-1, every class present among the
        labeled rows (libact's assumptions).
    cost_matrix : array-like (K, K)
        ``cost_matrix[i, j]``: cost of predicting class j for a row of class i.
    base_regressor : scikit-learn regressor
        Copied (``copy.deepcopy``) once per embedding dimension.
    embed_dim : int or None, default None
        Dimension of the embedding; None means K.
    mds_params : dict, default {}
        Overrides the MDS settings: ``metric=False``, ``n_components=embed_dim``,
        ``n_uq=K``, ``max_iter=300``, ``eps=1e-6``,
        ``dissimilarity='precomputed'``, ``n_init=8``, ``n_jobs=1``,
        ``random_state=random_state_`` (the MDS draws its starts from the
        strategy's own generator unless given another one).
    nn_params : dict, default {}
        Keywords for ``sklearn.neighbors.NearestNeighbors(n_neighbors=1, ...)``.
    random_state : None, int or RandomState

    Attributes
    ----------
    class_embed : ndarray (K, embed_dim)
        Class points of the embedding.
    nn_ : NearestNeighbors
        Fitted on the prediction points.
    regressors : list of embed_dim regressors
    random_state_ : RandomState

    Notes
    -----
    Ties: every distance ``np.isclose`` to the largest is a candidate and
    ``random_state_.choice`` picks one.  libact has no ``_get_scores`` for
    ALCE and neither has fastal (it raises ``NotImplementedError``);
    :meth:`embedding_distances` gives the distance of every unlabeled row
    (larger = query), and ``make_query(return_score=True)`` pairs the rows
    with it.  ``make_query(n_instances=k)`` returns the k largest distances,
    ties broken as for a single query (the first id is the single query's).

    The embedding is libact's to the last bit (same starts, same arithmetic,
    same run kept; see :mod:`~fastal.query_strategies.multiclass.mdsp`), so
    a seed gives libact's queries, with any ``base_regressor``.  A
    ``cost_matrix`` given as a nested list is accepted (libact needs an
    ndarray).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from fastal.base.dataset import Dataset
    >>> from fastal.query_strategies.multiclass import ActiveLearningWithCostEmbedding
    >>> X = np.array([[0.0], [0.1], [1.0], [1.1], [2.0], [2.1], [0.5], [1.5]])
    >>> ds = Dataset(X, [0, 0, 1, 1, 2, 2, None, None])
    >>> cost = np.array([[0., 1., 2.], [1., 0., 1.], [2., 1., 0.]])
    >>> qs = ActiveLearningWithCostEmbedding(ds, cost, LinearRegression(), random_state=0)
    >>> qs.class_embed.shape
    (3, 3)
    >>> int(qs.make_query()) in (6, 7)
    True
    """

    def __init__(self, dataset, cost_matrix, base_regressor, embed_dim=None, mds_params={},
                 nn_params={}, random_state=None):
        super().__init__(dataset)
        self.cost_matrix = cost_matrix
        self.base_regressor = base_regressor
        self.n_classes = len(cost_matrix)
        self.embed_dim = self.n_classes if embed_dim is None else embed_dim
        self.regressors = [copy.deepcopy(self.base_regressor) for _ in range(self.embed_dim)]
        self.random_state_ = seed_random_state(random_state)

        self.mds_params = {
            "metric": False,
            "n_components": self.embed_dim,
            "n_uq": self.n_classes,
            "max_iter": 300,
            "eps": 1e-6,
            "dissimilarity": "precomputed",
            "n_init": 8,
            "n_jobs": 1,
            "random_state": self.random_state_,
        }
        self.mds_params.update(mds_params)
        self.nn_params = {}
        self.nn_params.update(nn_params)
        self.nn_ = NearestNeighbors(n_neighbors=1, **self.nn_params)

        costs = np.asarray(cost_matrix, dtype=np.float64)
        k = self.n_classes
        if costs.shape != (k, k):
            raise ValueError(f"cost_matrix must be square (n_classes, n_classes), "
                             f"got shape {costs.shape}")
        dissimilarity = np.zeros((2 * k, 2 * k))
        dissimilarity[:k, k:] = costs
        dissimilarity[k:, :k] = costs.T
        embedding = MDSP(**self.mds_params).fit(dissimilarity).embedding_
        self.class_embed = embedding[:k, :]
        self.nn_.fit(embedding[k:, :])

    def embedding_distances(self):
        """``(entry_ids, distances)``: each unlabeled row's predicted point to the nearest
        prediction point (larger = query).

        Fits the regressors on the labeled rows first (they are left fitted).
        """
        dataset = self.dataset
        entry_ids, pool_X = dataset.get_unlabeled_entries()
        if len(entry_ids) == 0:
            return entry_ids, np.zeros(0)
        X, y = dataset.get_labeled_entries()
        targets = self.class_embed[y]
        pred_embed = np.zeros((len(entry_ids), self.embed_dim))
        for i, regressor in enumerate(self.regressors):
            regressor.fit(X, targets[:, i])
            pred_embed[:, i] = regressor.predict(pool_X)
        dist, _ = self.nn_.kneighbors(pred_embed)
        return entry_ids, dist[:, 0]

    def _get_scores(self):
        """Not provided, as in libact: use :meth:`embedding_distances` (larger = query).

        Raises
        ------
        NotImplementedError
        """
        raise NotImplementedError(
            "ActiveLearningWithCostEmbedding does not provide _get_scores(); "
            "embedding_distances() returns the score of every unlabeled row (larger = query)")

    def make_query(self, return_score=False, *, n_instances=None):
        """Entry id whose predicted embedding is farthest from every prediction point, or a batch.

        Parameters
        ----------
        return_score : bool
            Also return ``[(entry_id, distance), ...]`` for the whole pool.
        n_instances : int or None
            None: one id, as libact.  k: the k largest distances, ties broken
            as for a single query.
        """
        k = check_n_instances(n_instances, self.dataset.len_unlabeled(), return_score)
        entry_ids, dist = self.embedding_distances()
        picks = rank_with_ties(dist, 1 if k is None else k, "isclose", self.random_state_)
        chosen = entry_ids[picks[0]] if k is None else entry_ids[picks]
        return answer(chosen, entry_ids, dist, return_score)
