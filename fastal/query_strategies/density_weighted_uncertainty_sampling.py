"""Density-weighted uncertainty sampling (libact's ``DWUS``).

Donmez, Carbonell & Bennett, "Dual strategy active learning", ECML 2007;
Nguyen & Smeulders, "Active learning using pre-clustering", ICML 2004.

At construction the whole pool is clustered with k-means; every row gets a
posterior over the clusters from an EM fit of the cluster priors under
Gaussian kernels ``exp(-||x - c_k||^2 / (2 sigma))`` around the fixed centres,
and a density ``p(x) = sum_k N(x; c_k, sqrt(sigma) I) P(k)``.  Every query fits
a logistic regression on the cluster centres, weighted by the labeled rows'
cluster posteriors, and asks for the row with the largest
``min(P(y|x), 1 - P(y|x)) * p(x)``.
"""
import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp
from sklearn.cluster import KMeans

from fastal.query_strategies._selection import ScoredQueryStrategy
from fastal.utils import seed_random_state

__all__ = ["DWUS", "DensityWeightedLogisticRegression"]

_ROW_BLOCK = 1 << 15
# rows whose largest kernel exponent is below this are rescaled before exp
_RESCALE_BELOW = -700.0


def _logistic(t):
    """1 / (1 + exp(-t)); exp may overflow to inf, which gives 0 as it should."""
    with np.errstate(over="ignore"):
        return 1. / (1. + np.exp(-t))


def squared_distances_to_centres(X, centres):
    """``||x_i - c_k||^2`` as an (n, K) float64 array, summed from the differences
    (no norm trick) in the order libact's ``einsum`` sums them."""
    X = np.asarray(X, dtype=np.float64)
    centres = np.asarray(centres, dtype=np.float64)
    out = np.empty((X.shape[0], centres.shape[0]))
    for start in range(0, X.shape[0], _ROW_BLOCK):
        block = X[start:start + _ROW_BLOCK]
        for k, centre in enumerate(centres):
            diff = block - centre
            out[start:start + _ROW_BLOCK, k] = np.einsum("ij,ji->i", diff, diff.T)
    return out


def cluster_posteriors_em(sq_dist, sigma, max_iter):
    """EM for the priors of K fixed kernels ``exp(-||x - c_k||^2 / (2 sigma))``.

    Starts from uniform priors and alternates ``P(k|x) ∝ kernel_k(x) P(k)``
    (E-step) and ``P(k) = mean_x P(k|x)`` (M-step) ``max_iter`` times; it stops
    earlier only at an exact fixed point of the priors, after which every
    further iteration would repeat the same numbers.  A row whose largest
    exponent is below -700 (where ``exp`` leaves the normal range) has its
    exponents shifted by that maximum before ``exp``: the shift cancels in
    ``P(k|x)`` and keeps one kernel of the row at 1, so no row becomes 0/0.
    The other rows are computed as libact computes them, bit for bit.

    Parameters
    ----------
    sq_dist : ndarray (n, K)
        Squared distances of the rows to the centres.
    sigma : float
    max_iter : int

    Returns
    -------
    prior : ndarray (K,)
        ``P(k)`` after the last M-step.
    posterior : ndarray (n, K)
        ``P(k|x)`` of the last E-step.

    Examples
    --------
    >>> import numpy as np
    >>> prior, post = cluster_posteriors_em(np.array([[0.0, 4.0], [4.0, 0.0], [0.1, 3.0]]),
    ...                                     sigma=1.0, max_iter=50)
    >>> np.round(prior, 3).tolist(), np.allclose(post.sum(axis=1), 1.0)
    ([0.696, 0.304], True)
    """
    n, n_clusters = sq_dist.shape
    log_kernel = -sq_dist / 2 / sigma
    row_max = log_kernel.max(axis=1, keepdims=True)
    kernel = np.exp(log_kernel - np.where(row_max < _RESCALE_BELOW, row_max, 0.0))
    prior = np.ones(n_clusters) / float(n_clusters)
    posterior = None
    for _ in range(max_iter):
        weighted = kernel * prior
        posterior = weighted / weighted.sum(axis=1, keepdims=True)
        new_prior = 1. / n * np.sum(posterior, axis=0)
        converged = np.array_equal(new_prior, prior)
        prior = new_prior
        if converged:
            break
    return prior, posterior


def log_mixture_density(sq_dist, n_features, sigma, prior):
    """``log sum_k P(k) N(x; c_k, sqrt(sigma) I)`` from the squared distances to the centres."""
    variance = np.sqrt(sigma)
    log_normal = -0.5 * (n_features * np.log(2 * np.pi * variance) + sq_dist / variance)
    with np.errstate(divide="ignore"):
        return logsumexp(log_normal + np.log(prior), axis=1)


class DensityWeightedLogisticRegression:
    """Logistic regression on the cluster centres, weighted by cluster posteriors.

    Minimises ``C/2 |w|^2 - sum_i log sum_k P(k|x_i) sigmoid(y_i (w . c_k + b))``
    over the labeled rows i (labels used as numbers, e.g. -1/+1) with
    scipy's conjugate gradient from ``w = 0`` (numerical gradient), as libact.

    Parameters
    ----------
    density_estimate : array-like (n_labeled, n_clusters)
        ``P(k|x)`` of the labeled rows.
    centers : array-like (n_clusters, n_features)
    C : float
        Weight of the L2 penalty.

    Attributes
    ----------
    w_ : ndarray (n_features + 1, 1) or None
        Weights, the bias last; None before ``train``.
    """

    def __init__(self, density_estimate, centers, C):
        self.density = np.asarray(density_estimate)
        self.centers = np.asarray(centers)
        self.C = C
        self.w_ = None

    def negative_log_likelihood(self, w, y):
        """The penalised objective at the flat weight vector ``w``; ``y`` has shape (n, 1)."""
        w = w.reshape(-1, 1)
        slope = w[:-1]
        cluster_logit = np.dot(self.centers, slope) + w[-1]
        agreement = _logistic(np.dot(y, cluster_logit.T))
        likelihood = np.sum(self.density * agreement, axis=1)
        with np.errstate(divide="ignore"):
            log_likelihood = np.sum(np.log(likelihood), axis=0)
        return (self.C / 2. * np.dot(slope.T, slope) - log_likelihood)[0][0]

    def train(self, X, y):
        """Fit the weights to the labels ``y`` (``X`` is not used: the rows enter
        only through ``density_estimate``; kept for libact's signature)."""
        y = np.asarray(y, dtype=np.float64).reshape(-1, 1)
        start = np.zeros(self.centers.shape[1] + 1)
        result = minimize(lambda w: self.negative_log_likelihood(w, y), start, method="CG")
        self.w_ = result.x.reshape(-1, 1)
        return self

    def predict(self):
        """``P(y = 1 | cluster k)`` as an (n_clusters, 1) array (None before ``train``)."""
        if self.w_ is None:
            return None
        return _logistic(np.dot(self.centers, self.w_[:-1]) + self.w_[-1])


class DWUS(ScoredQueryStrategy):
    r"""Density-weighted uncertainty sampling (libact's ``DWUS``), binary labels.

    Parameters
    ----------
    dataset : Dataset
        Labels are used as numbers in the logistic model: -1 / +1 as libact's
        heart_scale examples (a 0 label contributes a constant).
    n_clusters : int, default 5
    sigma : float, default 0.1
        Kernel width: the EM uses ``exp(-||x - c||^2 / (2 sigma))``, the
        density Gaussians of variance ``sqrt(sigma)`` per feature (libact's
        choices, both kept).
    max_iter : int, default 100
        EM iterations (all are run, as libact, unless the priors reach an
        exact fixed point earlier, which gives the same numbers).
    tol : float, default 1e-4
        Stored, not used (libact does not use it either).
    C : float, default 1.0
        L2 penalty of the density-weighted logistic regression.
    random_state : None, int or RandomState
        Seeds the RandomState handed to ``KMeans`` (unless ``kmeans_param``
        has its own ``random_state``): the same clustering as libact's.
    kmeans_param : dict, default {}
        More keyword arguments for ``sklearn.cluster.KMeans``.

    Attributes
    ----------
    kmeans_ : sklearn.cluster.KMeans
    cluster_prior_ : ndarray (n_clusters,)
        ``P(k)`` from the EM.
    P_k_x : ndarray (n_rows, n_clusters)
        ``P(k|x)`` of every row of the dataset.
    log_p_x, p_x : ndarray (n_rows,)
        Log density and density of every row (``p_x`` may underflow to 0 on
        many features; ``log_p_x`` does not).
    dwlr_ : DensityWeightedLogisticRegression
        The model fitted by the last query.

    Notes
    -----
    Score of an unlabeled row: ``log e(x) + log p(x)``, the logarithm of
    libact's ``e(x) * p(x)``, with expected error
    ``e(x) = min(P(y|x), 1 - P(y|x))`` (``-inf`` where it is exactly 0),
    ``P(y|x) = sum_k P(y|k) P(k|x)`` and ``P(y|k)`` from the density-weighted
    logistic regression.  Taking the logarithm keeps libact's ranking and
    keeps rows apart whose ``e(x) * p(x)`` would underflow to 0 (on digits,
    most rows).  Ties go to the first row (libact takes the first argmax); a
    batch is the k best scores.

    Difference from libact: libact evaluates ``exp(-||x - c||^2 / (2 sigma))``
    and the Gaussian densities directly.  With the default ``sigma = 0.1``, once
    a row's squared distance to its nearest centre exceeds ~150 (``2 sigma``
    times 745; common with dozens of unscaled features) every kernel of the
    row underflows to 0, ``P(k|x)`` becomes 0/0 = NaN, the NaN
    spreads to the priors and to every score, and libact's query silently
    becomes the first unlabeled row.  fastal shifts the exponents of such
    rows by their maximum before ``exp`` (the shift cancels in ``P(k|x)``) and
    computes ``log p(x)`` with a log-sum-exp, so ``P(k|x)``, the priors and the
    scores stay finite.  Rows with a kernel above ``e^-700`` are computed
    exactly as libact computes them: when every row has one (libact's
    numbers are then finite), fastal's ``P(k|x)``, priors and logistic
    weights are libact's to the bit, ``p(x)`` and ``exp`` of the scores equal
    libact's up to rounding, and the queries are the same.  Also: with no
    labeled row libact fails (it indexes with an empty float array) while
    fastal fits ``w = 0``, i.e. asks for the densest row; a ``kmeans_param``
    dict passed in is copied, not modified.

    Examples
    --------
    >>> import numpy as np
    >>> from fastal.base.dataset import Dataset
    >>> from fastal.query_strategies.density_weighted_uncertainty_sampling import DWUS
    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([rng.normal(-1, 0.2, (10, 2)), rng.normal(1, 0.2, (10, 2))])
    >>> ds = Dataset(X, [-1] + [None] * 18 + [1])
    >>> qs = DWUS(ds, n_clusters=2, sigma=0.5, random_state=0)
    >>> int(qs.make_query())
    13
    >>> qs.make_query(n_instances=3).tolist()
    [13, 6, 7]
    """

    _tie = "first"

    def __init__(self, dataset, *, n_clusters=5, sigma=0.1, max_iter=100, tol=1e-4, C=1.,
                 random_state=None, kmeans_param={}):
        super().__init__(dataset)
        self.n_clusts = n_clusters
        self.sigma = sigma
        self.max_iter = max_iter
        self.tol = tol
        self.C = C
        self.random_state_ = seed_random_state(random_state)
        kmeans_param = dict(kmeans_param)           # copied: the default is never modified
        kmeans_param.setdefault("random_state", self.random_state_)
        if not self.sigma > 0:
            raise ValueError(f"sigma must be positive, got {self.sigma!r}")
        if isinstance(self.max_iter, bool) or not isinstance(self.max_iter, (int, np.integer)) \
                or self.max_iter < 1:
            raise ValueError(f"max_iter must be a positive integer, got {self.max_iter!r}")

        X, _ = self.dataset.get_entries()
        X = X.toarray() if hasattr(X, "toarray") else np.asarray(X)
        self.kmeans_ = KMeans(n_clusters=self.n_clusts, **kmeans_param)
        self.kmeans_.fit(X)
        centres = self.kmeans_.cluster_centers_
        sq_dist = squared_distances_to_centres(X, centres)
        self.cluster_prior_, self.P_k_x = cluster_posteriors_em(sq_dist, self.sigma,
                                                                self.max_iter)
        self.log_p_x = log_mixture_density(sq_dist, X.shape[1], self.sigma, self.cluster_prior_)
        self.p_x = np.exp(self.log_p_x)
        self._n_rows = X.shape[0]
        self.dwlr_ = None

    def _get_scores(self):
        dataset = self.dataset
        if len(dataset) != self._n_rows:
            raise ValueError(f"DWUS clustered the {self._n_rows} rows present at construction; "
                             f"the dataset now has {len(dataset)}: build a new DWUS")
        labeled = dataset.get_labeled_mask()
        entry_ids = np.flatnonzero(~labeled)
        if len(entry_ids) == 0:
            return entry_ids, np.zeros(0)
        _, y = dataset.get_entries()
        self.dwlr_ = DensityWeightedLogisticRegression(
            self.P_k_x[labeled], self.kmeans_.cluster_centers_, self.C)
        self.dwlr_.train(None, list(y[labeled]))
        label_given_cluster = self.dwlr_.predict()
        pool_posterior = self.P_k_x[entry_ids]
        label_given_row = np.zeros(len(entry_ids))
        for k in range(pool_posterior.shape[1]):        # summed cluster by cluster, as libact
            label_given_row += label_given_cluster[k] * pool_posterior[:, k]
        expected_error = np.where(label_given_row >= 0.5, 1. - label_given_row, label_given_row)
        with np.errstate(divide="ignore"):
            log_expected_error = np.log(expected_error)
        return entry_ids, log_expected_error + self.log_p_x[entry_ids]
