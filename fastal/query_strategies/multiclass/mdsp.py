r"""Multidimensional scaling with partial dissimilarities (libact's ``mdsp``).

SMACOF (scaling by majorizing a complicated function) with weights: the
configuration X (n_samples x n_components) minimises the weighted stress

.. math::  \sigma(X) = \tfrac12 \sum_{i, j} w_{ij} (d_{ij}(X) - \hat\delta_{ij})^2

where the weights are 0 for pairs inside the first ``n_uq`` points and for
pairs inside the remaining points, 1 between the two groups, so only the
dissimilarities *between* the two groups are fitted (libact's "partial"
MDS, used by cost embedding to place classes and their predictions).

Every iteration is the weighted Guttman transform
``X <- V^+ B(X) X`` with ``V = diag(W 1) - W``, ``V^+ = (V + 11^T/n)^{-1} -
11^T/n`` and ``B(X) = diag(R 1) - R``, ``R = W * disparities / d(X)``
(distances that are exactly 0 read as 1e-5).  In the non-metric case the
disparities are the isotonic regression of the current distances on the
nonzero dissimilarities (dissimilarities equal to within 1e-15 pooled, their
distances averaged, as scikit-learn's ``IsotonicRegression`` does), scaled so
that their squares sum to ``n (n - 1) / 2``, and 0 where the dissimilarity
is 0.  A run stops when ``stress_prev - stress / sum_i |x_i| < eps`` (the
stress being that of the configuration before the transform) or after
``max_iter`` transforms; of ``n_init`` runs from random starts
(``random_state.rand``, one start after the other, or one seed per run when
``n_jobs != 1``) the one with the smallest stress is kept (the first on
ties).  These are libact's definitions.

fastal runs all starts together: the isotonic step is done for every start
at once (the pooling of equal dissimilarities is found once; the pool
adjacent violators routine is called only where the pooled distances are
not already increasing), and the other steps work on the stacked arrays.
Each value is computed with the same floating-point operations in the same
order as libact's calls into scikit-learn (``euclidean_distances``,
``IsotonicRegression``) and NumPy, so the embedding, the stress and the
number of iterations are libact's to the last bit.
"""
import functools
import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.isotonic import isotonic_regression
from sklearn.metrics import euclidean_distances
from sklearn.utils import check_array, check_random_state, check_symmetric

__all__ = ["MDSP", "smacof_p", "isotonic_fit"]

# Dissimilarities closer than this are pooled by the isotonic step
# (scikit-learn's ``np.finfo(np.float64).resolution``).
POOL_RESOLUTION = float(np.finfo(np.float64).resolution)


def partial_weights(n_samples, n_uq):
    """Stress weights: 0 inside the first ``n_uq`` points and inside the rest, 1 across.

    Examples
    --------
    >>> partial_weights(3, 1).tolist()
    [[0.0, 1.0, 1.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]
    """
    W = np.ones((n_samples, n_samples))
    W[:n_uq, :n_uq] = 0.0
    W[n_uq:, n_uq:] = 0.0
    return W


def configuration_distances(X):
    """Euclidean distances between the rows of one configuration X (n, p).

    The expression scikit-learn's ``euclidean_distances(X)`` evaluates
    (squared norms plus ``-2 X X^T``, clipped at 0, zero diagonal), so the
    values are the same to the last bit.

    Examples
    --------
    >>> import numpy as np
    >>> configuration_distances(np.array([[0.0, 0.0], [3.0, 4.0]])).tolist()
    [[0.0, 5.0], [5.0, 0.0]]
    """
    sq = np.einsum("ij,ij->i", X, X)
    d = -2 * (X @ X.T)
    d += sq[:, None]
    d += sq[None, :]
    np.maximum(d, 0, out=d)
    np.fill_diagonal(d, 0)
    return np.sqrt(d, out=d)


@functools.lru_cache(maxsize=None)
def _scikit_learn_pava():
    """The pool adjacent violators routine scikit-learn's ``isotonic_regression`` runs.

    scikit-learn delegates to scipy's ``optimize.isotonic_regression`` when
    scipy >= 1.12: call it directly then (scikit-learn's wrapper validates
    its arguments at every call); otherwise call scikit-learn's function.
    """
    import sklearn.isotonic as sk_isotonic
    try:
        from scipy.optimize import isotonic_regression as scipy_pava
        delegates = sk_isotonic.sp_base_version >= sk_isotonic.parse_version("1.12.0")
    except (ImportError, AttributeError):
        delegates = False
    if delegates:
        return lambda y, w: np.asarray(scipy_pava(y=y, weights=w, increasing=True).x,
                                       dtype=np.float64)
    return lambda y, w: isotonic_regression(y, sample_weight=w, increasing=True)


def _interpolated_row(x_levels, fitted, T):
    """scikit-learn's isotonic ``transform``: constant runs trimmed, ``np.interp`` at T,
    NaN outside the thresholds."""
    keep = np.ones(fitted.size, dtype=bool)
    keep[1:-1] = (fitted[1:-1] != fitted[:-2]) | (fitted[1:-1] != fitted[2:])
    if keep.sum() == 1:
        return np.repeat(fitted[keep], T.size)
    xs = x_levels[keep]
    out = np.interp(T, xs, fitted[keep])
    out[(T < xs[0]) | (T > xs[-1])] = np.nan     # out of bounds (a pooled x above the last)
    return out


class _IsotonicStep:
    """scikit-learn's ``IsotonicRegression().fit_transform(x, y)`` for a stack of targets y.

    x (the dissimilarities) is fixed, so its order and pooling are found
    once.  Per target: sort by (x, y), average the y of x values within 1e-15
    (summed in that order), run the pool adjacent violators algorithm where
    the averages are not already increasing (scikit-learn's own
    ``isotonic_regression``), and evaluate the fit at x as scikit-learn's
    ``np.interp`` does -- the arithmetic is scikit-learn's, so the values are
    the same to the last bit.
    """

    def __init__(self, x):
        x = np.asarray(x, dtype=np.float64)
        self.x = x
        xs = np.sort(x, kind="mergesort")
        starts = [0]
        current = xs[0] if xs.size else 0.0
        for j in range(1, xs.size):
            if xs[j] - current >= POOL_RESOLUTION:
                starts.append(j)
                current = xs[j]
        self.starts = np.asarray(starts, dtype=np.intp)
        self.lengths = np.diff(np.append(self.starts, xs.size))
        self.weights = self.lengths.astype(np.float64)
        self.levels = xs[self.starts]
        # every x equal to the first x of its pool: the fit at x is the pool's value
        self.exact_pools = bool(np.array_equal(xs, np.repeat(self.levels, self.lengths)))
        self.level_of = np.searchsorted(self.levels, x) if self.exact_pools else None

    def fit(self, y):
        """Fitted values (b, len(x)) for targets ``y`` (b, len(x))."""
        y = np.asarray(y, dtype=np.float64)
        order = np.lexsort((y, np.broadcast_to(self.x, y.shape)), axis=-1)
        ys = np.take_along_axis(y, order, axis=1)
        sums = ys[:, self.starts]
        for offset in range(1, int(self.lengths.max(initial=1))):
            longer = self.lengths > offset
            sums[:, longer] += ys[:, self.starts[longer] + offset]
        fitted = sums / self.weights
        violated = ~(np.diff(fitted, axis=1) > 0).all(axis=1)
        if violated.any():
            pava = _scikit_learn_pava()
            for row in np.flatnonzero(violated):
                fitted[row] = pava(fitted[row], self.weights)
        if not self.exact_pools:
            return np.stack([_interpolated_row(self.levels, f, self.x) for f in fitted])
        # np.interp at a threshold returns the threshold's value itself
        return fitted[:, self.level_of]


def isotonic_fit(x, y):
    """``IsotonicRegression().fit_transform(x, y)`` of scikit-learn, for one or many targets.

    ``y`` may be a stack of targets (b, len(x)), each fitted on its own;
    the values are scikit-learn's to the last bit.

    Examples
    --------
    >>> isotonic_fit([1.0, 2.0, 3.0, 4.0], [1.0, 3.0, 2.0, 4.0]).tolist()
    [1.0, 2.5, 2.5, 4.0]
    """
    y = np.asarray(y, dtype=np.float64)
    out = _IsotonicStep(x).fit(np.atleast_2d(y))
    return out[0] if y.ndim == 1 else out


def _smacof_stack(similarities, n_uq, inits, metric, max_iter, eps, verbose):
    """Run SMACOF with partial weights from every start in ``inits`` (b, n, p) together.

    The matrix products run per start, with libact's expressions; the rest
    (isotonic step, stress, B) on the stacked arrays -- elementwise, or sums
    over contiguous rows, which NumPy evaluates as it does for one start.
    Returns (positions (b, n, p), stresses (b,), iterations (b,), messages per start).
    """
    n_starts, n_samples, _ = inits.shape
    W = partial_weights(n_samples, n_uq)
    e = np.ones((n_samples, 1))
    V = -W
    V[np.arange(n_samples), np.arange(n_samples)] = W.sum(axis=1)
    Vp = np.linalg.inv(V + np.dot(e, e.T) / n_samples) - np.dot(e, e.T) / n_samples
    zero = similarities == 0
    nonzero = np.flatnonzero(~zero.ravel())
    if not metric and nonzero.size:
        iso = _IsotonicStep(similarities.ravel()[nonzero])
    scale = n_samples * (n_samples - 1) / 2
    diag = np.arange(n_samples)

    X = [np.array(start) for start in inits]
    stress = np.full(n_starts, np.nan)
    n_iter = np.zeros(n_starts, dtype=int)
    previous = np.full(n_starts, np.nan)
    messages = [[] for _ in range(n_starts)]
    active = np.arange(n_starts)
    for it in range(max_iter):
        dis = np.stack([configuration_distances(X[a]) for a in active])
        b = len(active)
        if metric:
            disparities = np.broadcast_to(similarities, dis.shape)
        else:
            flat = dis.reshape(b, -1)
            disparities = flat.copy()
            if nonzero.size:
                disparities[:, nonzero] = iso.fit(flat[:, nonzero])
            with np.errstate(divide="ignore", invalid="ignore"):
                disparities *= np.sqrt(scale / (disparities ** 2).sum(axis=1))[:, None]
            disparities = disparities.reshape(dis.shape)
            disparities[:, zero] = 0
        step_stress = (W * ((dis - disparities) ** 2)).reshape(b, -1).sum(axis=1) / 2
        dis[dis == 0] = 1e-5
        R = W * (disparities / dis)
        B = -R
        B[:, diag, diag] += R.sum(axis=2)
        norm = np.empty(b)
        for pos, a in enumerate(active):
            X[a] = np.dot(Vp, np.dot(B[pos], X[a]))
            norm[pos] = np.sqrt((X[a] ** 2).sum(axis=1)).sum()
        stress[active] = step_stress
        n_iter[active] = it + 1
        ratio = step_stress / norm
        stop = (previous[active] - ratio) < eps if it > 0 else np.zeros(b, dtype=bool)
        if verbose:
            for pos, a in enumerate(active):
                if verbose >= 2:
                    messages[a].append(f"it: {it}, stress {step_stress[pos]}")
                if stop[pos]:
                    messages[a].append(
                        f"breaking at iteration {it} with stress {step_stress[pos]}")
        previous[active] = ratio
        active = active[~stop]
        if active.size == 0:
            break
    return np.stack(X), stress, n_iter, messages


def smacof_p(similarities, n_uq, metric=True, n_components=2, init=None, n_init=8,
             n_jobs=1, max_iter=300, verbose=0, eps=1e-3, random_state=None,
             return_n_iter=False):
    """SMACOF with partial weights (libact's ``smacof_p``): the best of ``n_init`` runs.

    Parameters
    ----------
    similarities : symmetric array (n_samples, n_samples)
        Dissimilarities; in the non-metric case 0 marks a missing value.
    n_uq : int
        Pairs within the first ``n_uq`` points, and pairs within the rest,
        carry no weight.
    metric : bool, default True
        Fit the dissimilarities themselves (True) or an isotonic transform of them.
    n_components : int, default 2
        Dimension of the embedding (taken from ``init`` when given).
    init : array (n_samples, n_components) or None
        Start configuration; with it a single run is made (warning when
        ``n_init != 1``).
    n_init : int, default 8
        Runs from random starts.
    n_jobs : int, default 1
        As in libact, 1 draws the starts one after the other from
        ``random_state`` and any other value draws one seed per run first;
        fastal runs the starts together in either case.
    max_iter : int, default 300
    verbose : int, default 0
        1: the iteration where each run stopped; 2: the stress of every iteration.
    eps : float, default 1e-3
        Tolerance on the decrease of stress / sum of point norms.
    random_state : None, int or RandomState
    return_n_iter : bool, default False

    Returns
    -------
    X : ndarray (n_samples, n_components)
    stress : float
        Stress of the configuration before the last transform of the best run.
    n_iter : int
        Transforms of the best run (only with ``return_n_iter``).

    Examples
    --------
    >>> import numpy as np
    >>> D = np.array([[0., 0., 1., 2.], [0., 0., 2., 1.], [1., 2., 0., 0.], [2., 1., 0., 0.]])
    >>> X, stress = smacof_p(D, 2, n_init=2, eps=1e-12, max_iter=2000, random_state=0)
    >>> from scipy.spatial.distance import cdist
    >>> cdist(X[:2], X[2:]).round(6)      # the dissimilarities across the two groups
    array([[1., 2.],
           [2., 1.]])
    """
    similarities = check_array(similarities)
    random_state = check_random_state(random_state)
    if hasattr(init, "__array__"):
        init = np.asarray(init).copy()
        if not n_init == 1:
            warnings.warn("Explicit initial positions passed: performing only one init "
                          f"of the MDS instead of {n_init}")
            n_init = 1
    similarities = check_symmetric(similarities, raise_exception=True)
    n_samples = similarities.shape[0]
    if n_init < 1:
        raise ValueError(f"n_init must be at least 1, got {n_init}")
    if init is not None:
        init = np.asarray(init, dtype=np.float64)
        n_components = init.shape[1]
        if n_samples != init.shape[0]:
            raise ValueError("init matrix should be of shape (%d, %d)" %
                             (n_samples, n_components))
    if n_jobs == 1:
        generators = [random_state] * n_init
    else:
        generators = [np.random.RandomState(seed) for seed in
                      random_state.randint(np.iinfo(np.int32).max, size=n_init)]
    if init is not None:
        starts = np.repeat(init[None], n_init, axis=0)
    else:
        starts = np.stack([rs.rand(n_samples * n_components).reshape(
            (n_samples, n_components)) for rs in generators])
    positions, stresses, iterations, messages = _smacof_stack(
        similarities, n_uq, starts, metric, max_iter, eps, verbose)
    for lines in messages:
        for line in lines:
            print(line)
    best = 0
    for run in range(1, len(stresses)):
        if stresses[run] < stresses[best]:
            best = run
    if return_n_iter:
        return positions[best], stresses[best], int(iterations[best])
    return positions[best], stresses[best]


class MDSP(BaseEstimator):
    """Multidimensional scaling with partial dissimilarities (libact's ``MDSP``).

    Parameters
    ----------
    n_components : int, default 2
    n_uq : int, default 1
        Size of the first group of points (see :func:`smacof_p`).
    metric : bool, default True
    n_init : int, default 4
    max_iter : int, default 300
    verbose : int, default 0
    eps : float, default 1e-3
    n_jobs : int, default 1
        Only chooses how the random starts are drawn (see :func:`smacof_p`).
    random_state : None, int or RandomState
    dissimilarity : {'euclidean', 'precomputed'}, default 'euclidean'

    Attributes
    ----------
    embedding_ : ndarray (n_samples, n_components)
    stress_ : float
    n_iter_ : int
    dissimilarity_matrix_ : ndarray (n_samples, n_samples)

    Examples
    --------
    >>> import numpy as np
    >>> D = np.array([[0., 0., 1., 2.], [0., 0., 2., 1.], [1., 2., 0., 0.], [2., 1., 0., 0.]])
    >>> mds = MDSP(n_uq=2, dissimilarity="precomputed", random_state=0).fit(D)
    >>> mds.embedding_.shape
    (4, 2)
    """

    def __init__(self, n_components=2, n_uq=1, metric=True, n_init=4, max_iter=300,
                 verbose=0, eps=1e-3, n_jobs=1, random_state=None,
                 dissimilarity="euclidean"):
        self.n_components = n_components
        self.n_uq = n_uq
        self.dissimilarity = dissimilarity
        self.metric = metric
        self.n_init = n_init
        self.max_iter = max_iter
        self.eps = eps
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.random_state = random_state

    def fit(self, X, y=None, init=None):
        """Compute the embedding of X (data, or dissimilarities when precomputed)."""
        self.fit_transform(X, init=init)
        return self

    def fit_transform(self, X, y=None, init=None):
        """Compute the embedding of X and return it."""
        X = check_array(X)
        if X.shape[0] == X.shape[1] and self.dissimilarity != "precomputed":
            warnings.warn("The MDS API has changed. ``fit`` now constructs an dissimilarity "
                          "matrix from data. To use a custom dissimilarity matrix, set "
                          "``dissimilarity=precomputed``.")
        if self.dissimilarity == "precomputed":
            self.dissimilarity_matrix_ = X
        elif self.dissimilarity == "euclidean":
            self.dissimilarity_matrix_ = euclidean_distances(X)
        else:
            raise ValueError("Proximity must be 'precomputed' or 'euclidean'. Got %s instead"
                             % str(self.dissimilarity))
        self.embedding_, self.stress_, self.n_iter_ = smacof_p(
            self.dissimilarity_matrix_, self.n_uq, metric=self.metric,
            n_components=self.n_components, init=init, n_init=self.n_init,
            n_jobs=self.n_jobs, max_iter=self.max_iter, verbose=self.verbose,
            eps=self.eps, random_state=self.random_state, return_n_iter=True)
        return self.embedding_
