r"""Hinted support vector machine (libact's ``HintSVM``).

Li, Ferng & Lin, "Active Learning with Hinted Support Vector Machine", ACML
2012: unlabeled rows drawn at random ("hints") are asked to lie near the
decision boundary while the labeled rows are classified with a margin; the
query is chosen from the decision values of that hinted SVM.

The problem
-----------
Labeled rows ``(x_i, y_i)``, ``y_i`` in {-1, +1}, i in L; hint rows ``h_j``,
j in H, each with target ``t_j = 0``; a tube half-width ``eps = 0.1`` (fixed,
as in libact).  The primal, for ``f(x) = w . phi(x) - rho``::

    min  1/2 |w|^2 + Cl sum_i xi_i + sum_j loss_h(zeta_j) + loss_h(zeta*_j)
    s.t. y_i f(x_i) >= 1 - xi_i,  xi_i >= 0                     (i in L)
         f(h_j) - t_j <= eps + zeta_j,  t_j - f(h_j) <= eps + zeta*_j   (j in H)

Its dual, the problem actually solved, has one variable ``a_i`` per labeled
row and two, ``a+_j`` and ``a-_j``, per hint row.  Write ``s_v`` for the sign
of variable v (``y_i`` for a_i, +1 for a+_j, -1 for a-_j) and ``x_v`` for its
row; then::

    min_a  1/2 sum_{u,v} s_u s_v a_u a_v K(x_u, x_v) + 1/2 sum_{v in hints} r a_v^2
             - sum_{i in L} a_i + sum_{j in H} (eps - t_j) a+_j + (eps + t_j) a-_j
    s.t.   sum_{i in L} y_i a_i + sum_{j in H} (a+_j - a-_j) = 0
           0 <= a_i <= Cl,   0 <= a+_j, a-_j <= U

    f(x) = sum_{i in L} y_i a_i K(x_i, x) + sum_{j in H} (a+_j - a-_j) K(h_j, x) - rho

``a+_j`` is the multiplier of ``t_j - f(h_j) <= eps + zeta*_j`` and ``a-_j``
of ``f(h_j) - t_j <= eps + zeta_j``.  ``rho`` is the multiplier of the
equality constraint: the mean of ``s_v G_v`` over the free variables (G the
gradient of the dual objective), or, with none free, the midpoint of the
interval that the KKT conditions of the bounded variables leave.  With
``t_j = 0`` the hint part is epsilon-insensitive regression of f to 0: the
hints pull the boundary through the unlabeled region.

How the hint penalty enters follows libact's solver, where the ``degree``
parameter selects it:

* ``degree == 1``: linear penalty ``Ch (zeta + zeta*)``: ``U = Ch`` (computed as
  ``(Ch / Cl) * Cl``), ``r = 0``.
* ``degree == 2``: squared penalty ``Ch (zeta^2 + zeta*^2)``: ``U = inf``,
  ``r = 1 / (2 Ch)``.
* any other degree (the default, 3): hard tube ``|f(h_j)| <= eps``: ``U = inf``,
  ``r = 0``; ``Ch`` then has no effect.

``degree`` is also the exponent of the polynomial kernel.  Without hints
(``p = 0`` or a pool too small for ``int(p n) >= 1``) the problem is the
standard C-SVM dual with ``C = Cl``.

The query
---------
Every query draws ``int(p * n_unlabeled)`` hint rows from the unlabeled pool
with ``random_state_.choice`` (with replacement: a row may be a hint twice),
trains the hinted SVM and scores each unlabeled row by ``|f(x)|``; the row
with the largest score is queried (the first on ties), as libact does.

Labels follow libact's encoding: each label is truncated to an integer,
classes are taken in order of first appearance among the labeled rows
(followed by the hints), the first class is +1 and the second -1.  A labeled
class that truncates to 0 is not a class there: its rows join the hints with
their label as target (and weight 1).  :class:`HintSVM` warns once when that
happens.
"""
import warnings
from collections import namedtuple

import numpy as np
import scipy.sparse as sp

from fastal import _core
from fastal._config import requested_backend
from fastal.query_strategies import _hintsvm_reference as _ref
from fastal.query_strategies._selection import ScoredQueryStrategy
from fastal.utils import seed_random_state

__all__ = ["HintSVM", "fit_dual", "decision_values", "HintSVMFit"]

HINT_EPSILON = 0.1
_KERNEL_CODES = {"linear": 0, "poly": 1, "rbf": 2, "sigmoid": 3}
_EVAL_BLOCK = 4096

try:
    from fastal._core import _hintsvm as _compiled
except ImportError:  # extension not built
    _compiled = None
    if _core.COMPILED is not None and requested_backend() == "auto":
        warnings.warn("fastal._core._hintsvm is not built (the other compiled kernels are): "
                      "HintSVM uses the NumPy solver, which gives the same results more "
                      "slowly; rebuild fastal (pip install -e .) to compile it",
                      RuntimeWarning, stacklevel=2)

HintSVMFit = namedtuple("HintSVMFit", [
    "X", "coef", "rho", "alpha", "sign", "lin", "upper", "ridge", "point", "n_iter"])
HintSVMFit.__doc__ = """A trained hinted SVM.

``X`` holds the training rows in solver order, ``coef`` their coefficients
(``f(x) = sum coef_r K(X_r, x) - rho``); ``alpha``, ``sign``, ``lin``,
``upper``, ``ridge`` and ``point`` state the dual (one entry per dual
variable, ``point`` its row of ``X``); ``n_iter`` counts solver iterations.
"""


def _use_compiled():
    requested = requested_backend()
    if requested == "python":
        return False
    if _compiled is None:
        if requested == "compiled":
            raise ImportError("the compiled backend was requested but fastal._core._hintsvm "
                              "is not built; use FASTAL_BACKEND=python for the NumPy solver")
        return False
    return True


def _encode(targets, weight, Cl, degree):
    """Solver order of the training rows and the dual variables (libact's encoding).

    ``targets`` holds the labels of the labeled rows followed by 0 for each
    hint row.  Returns ``order`` (training rows in solver order) and, per dual
    variable, ``point`` (index into ``order``), sign, linear term, upper bound
    and diagonal ridge.
    """
    keys = np.trunc(targets).astype(np.int64)
    groups = list(dict.fromkeys(keys.tolist()))
    if groups == [-1, 1]:  # libsvm keeps +1 as the positive class
        groups = [1, -1]
    order = np.concatenate([np.flatnonzero(keys == g) for g in groups]) if len(keys) else \
        np.zeros(0, dtype=np.int64)
    value = np.empty(len(keys))
    sign = +1.0
    for g in groups:
        rows = keys == g
        if g == 0:
            value[rows] = targets[rows]
        else:
            value[rows] = sign
            sign = -sign
    value, w = value[order], weight[order]
    hint = (value > -1) & (value < 1)
    n = len(order)
    hint_rows = np.flatnonzero(hint)
    point = np.concatenate([np.arange(n), hint_rows])
    sign = np.concatenate([np.where(hint, 1.0, value), -np.ones(len(hint_rows))])
    lin = np.concatenate([np.where(hint, HINT_EPSILON - value, -1.0),
                          HINT_EPSILON + value[hint_rows]])
    bound = w * Cl
    hint_bound = bound if degree == 1 else np.full(n, np.inf)
    upper = np.concatenate([np.where(hint, hint_bound, bound), hint_bound[hint_rows]])
    ridge = np.zeros(n + len(hint_rows))
    if degree == 2:
        r = 0.5 / (Cl * w)
        ridge[:n] = np.where(hint, r, 0.0)
        ridge[n:] = r[hint_rows]
    return order, point, sign, lin, upper, ridge


def fit_dual(X_labeled, y_labeled, X_hint, Cl=0.1, Ch=0.1, kernel="linear", degree=3,
             gamma=0.1, coef0=0.0, tol=1e-3, shrinking=1, cache_size=100.0):
    """Train the hinted SVM of the module docstring.

    Parameters
    ----------
    X_labeled : ndarray (n_l, d)
    y_labeled : sequence of n_l numbers
        Encoded as libact does (module docstring); at most two classes.
    X_hint : ndarray (n_h, d)
        Hint rows (target 0), duplicates allowed.
    Cl, Ch, kernel, degree, gamma, coef0, tol, shrinking, cache_size
        As :class:`HintSVM`.

    Returns
    -------
    HintSVMFit

    Examples
    --------
    >>> import numpy as np
    >>> fit = fit_dual(np.array([[1.0], [-1.0]]), [1, -1], np.array([[0.0]]), Cl=10.0)
    >>> fit.coef.round(6).tolist()
    [0.5, -0.5, 0.0]
    >>> decision_values(fit, np.array([[-1.0], [0.0], [1.0]])).round(6).tolist()
    [-1.0, 0.0, 1.0]
    """
    X_labeled = np.asarray(X_labeled, dtype=np.float64)
    X_hint = np.asarray(X_hint, dtype=np.float64)
    d = X_labeled.shape[1] if X_labeled.ndim == 2 and X_labeled.shape[0] else X_hint.shape[-1]
    X_labeled = X_labeled.reshape(-1, d)
    X_hint = X_hint.reshape(-1, d)
    X_all = np.vstack([X_labeled, X_hint])
    if X_all.shape[0] == 0:
        raise ValueError("HintSVM needs at least one labeled or hint row to train on")
    targets = np.concatenate([np.asarray(y_labeled, dtype=np.float64).reshape(-1),
                              np.zeros(len(X_hint))])
    weight = np.concatenate([np.ones(len(X_labeled)), np.full(len(X_hint), Ch / Cl)])
    order, point, sign, lin, upper, ridge = _encode(targets, weight, Cl, degree)
    X = np.ascontiguousarray(X_all[order])
    if _use_compiled():
        alpha, rho, n_iter = _compiled.solve(
            X, _KERNEL_CODES[kernel], int(degree), float(gamma), float(coef0),
            point.astype(np.int64), sign, lin, upper, ridge, float(tol), int(bool(shrinking)),
            float(cache_size))
    else:
        K = _ref.kernel_matrix(X, X, kernel, degree, gamma, coef0, training=True)
        Kdiag = _ref.kernel_diagonal(X, kernel, degree, gamma, coef0)
        alpha, rho, n_iter = _ref.solve(K.astype(np.float32), Kdiag, point, sign, lin, upper,
                                        ridge, tol=tol, shrinking=bool(shrinking))
    if n_iter >= max(10_000_000, 100 * len(sign)):
        from sklearn.exceptions import ConvergenceWarning
        warnings.warn(f"the hint-SVM solver stopped after {n_iter} iterations before reaching "
                      f"tol={tol}; the query may not be the optimum's", ConvergenceWarning,
                      stacklevel=3)
    coef = np.zeros(len(X))
    np.add.at(coef, point, sign * alpha)
    return HintSVMFit(X, coef, float(rho), alpha, sign, lin, upper, ridge, point, int(n_iter))


def decision_values(fit, X, kernel="linear", degree=3, gamma=0.1, coef0=0.0):
    """``f(x)`` of a trained hinted SVM for every row of X.

    Parameters
    ----------
    fit : HintSVMFit
        From :func:`fit_dual`.
    X : ndarray (n, d) float64
    kernel, degree, gamma, coef0
        The kernel ``fit`` was trained with.

    Returns
    -------
    ndarray (n,)
        ``sum_r coef_r K(X_r, x) - rho`` over the rows with a nonzero
        coefficient (rbf through the direct squared distance); positive on the
        side of the first class seen.
    """
    sv = np.flatnonzero(fit.coef != 0)
    out = np.full(X.shape[0], -fit.rho)
    if sv.size == 0:
        return out
    for start in range(0, X.shape[0], _EVAL_BLOCK):
        block = X[start:start + _EVAL_BLOCK]
        K = _ref.kernel_matrix(block, fit.X[sv], kernel, degree, gamma, coef0)
        out[start:start + _EVAL_BLOCK] = K @ fit.coef[sv] - fit.rho
    return out


class HintSVM(ScoredQueryStrategy):
    """Hinted SVM query strategy (libact's ``HintSVM``), binary classification.

    Each query trains the hinted SVM of this module's docstring on the
    labeled rows and ``int(p * n_unlabeled)`` hint rows drawn from the pool,
    then asks for the unlabeled row with the largest ``|f(x)|`` (first on
    ties).  The dual is solved by fastal's own SMO solver (second-order
    working-set selection, shrinking, stopping when the maximal KKT violation
    is below ``tol``): compiled when built, else the NumPy definition in
    ``fastal.query_strategies._hintsvm_reference``.

    Parameters
    ----------
    dataset : Dataset
    Cl : float > 0, default 0.1
        Weight of the classification error of the labeled rows.
    Ch : float > 0, default 0.1
        Weight of the hint error; used by the penalty that ``degree``
        selects (1: linear, 2: squared), unused otherwise.
    p : float in [0, 1], default 0.5
        Fraction of the unlabeled pool drawn as hints at each query.
    random_state : None, int or RandomState
    kernel : {'linear', 'poly', 'rbf', 'sigmoid'}, default 'linear'
        ``u.v``, ``(gamma u.v + coef0)^degree``, ``exp(-gamma |u-v|^2)``,
        ``tanh(gamma u.v + coef0)``.
    degree : int >= 0, default 3
        Polynomial degree; also selects the hint penalty (module docstring).
    gamma : float >= 0, default 0.1
    coef0 : float, default 0.
    tol : float > 0, default 1e-3
        Stopping tolerance of the solver.
    shrinking : {0, 1}, default 1
        Whether the solver sets aside variables stuck at a bound.
    cache_size : float > 0, default 100.
        Kernel cache of the compiled solver, in MB.
    verbose : int, default 0
        Nonzero: print the number of solver iterations and rho after each fit.

    Attributes
    ----------
    random_state_ : np.random.RandomState
    fit_ : HintSVMFit or None
        The hinted SVM of the last query.

    Notes
    -----
    The solver takes the steps of libsvm's algorithm in the same order, so
    with the default parameters the decision values agree with libact's to
    rounding (about 1e-14), and so do the picks unless two scores lie within
    rounding of each other.  Where
    fastal differs from libact:

    * libact's solver wrapper consumes its parameter dictionary on the first
      query, so libact trains every later query with its defaults (linear
      kernel, degree 3, gamma 0.1, coef0 0, tol 1e-3, shrinking, labeled
      bound 0.1); fastal uses the parameters given on every query.
    * ``degree=2`` with ``shrinking=1``: libact adds the squared-penalty
      ridge by solver position, which shrinking reorders, so its problem
      drifts from the stated one; fastal solves the stated problem (the two
      agree with ``shrinking=0``).
    * A dataset with no labeled row raises ValueError (libact returns the
      first unlabeled id, every score being 0, or fails when there is no
      hint either).

    Examples
    --------
    >>> import numpy as np
    >>> from fastal.base.dataset import Dataset
    >>> from fastal.query_strategies.hintsvm import HintSVM
    >>> X = np.array([[-3.0], [-2.0], [-1.0], [0.0], [0.5], [1.0], [3.0]])
    >>> ds = Dataset(X, [-1, None, None, None, None, None, 1])
    >>> qs = HintSVM(ds, random_state=1)
    >>> int(qs.make_query())
    1
    """

    _tie = "first"

    def __init__(self, dataset, *, Cl=0.1, Ch=0.1, p=0.5, random_state=None, kernel="linear",
                 degree=3, gamma=0.1, coef0=0., tol=1e-3, shrinking=1, cache_size=100.,
                 verbose=0):
        super().__init__(dataset)
        self.cl = Cl
        if not 0 < self.cl < np.inf:
            raise ValueError("Parameter Cl should be greater than 0 (and finite).")
        self.ch = Ch
        if not 0 < self.ch < np.inf:
            raise ValueError("Parameter Ch should be greater than 0 (and finite).")
        self.p = p
        if not 0.0 <= self.p <= 1.0:
            raise ValueError("Parameter p should be greater than or equal to 0 and less "
                             "than or equal to 1.")
        self.random_state_ = seed_random_state(random_state)
        params = {"kernel": kernel, "degree": degree, "gamma": gamma, "coef0": coef0, "tol": tol,
                  "shrinking": shrinking, "cache_size": cache_size, "verbose": verbose}
        self._check_params(params)
        self.svm_params = dict(params, C=self.cl)
        self.fit_ = None
        self._warned_zero_class = False

    @staticmethod
    def _check_params(params):
        if params["kernel"] not in _KERNEL_CODES:
            raise ValueError(f"unknown kernel {params['kernel']!r}; valid kernels: "
                             f"{list(_KERNEL_CODES)}")
        degree = params["degree"]
        if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)) or degree < 0:
            raise ValueError(f"degree must be an integer >= 0, got {degree!r}")
        if not params["gamma"] >= 0:
            raise ValueError(f"gamma must be >= 0, got {params['gamma']!r}")
        if not np.isfinite(params["coef0"]):
            raise ValueError(f"coef0 must be finite, got {params['coef0']!r}")
        if not params["tol"] > 0:
            raise ValueError(f"tol must be > 0, got {params['tol']!r}")
        if params["shrinking"] not in (0, 1):
            raise ValueError(f"shrinking must be 0 or 1, got {params['shrinking']!r}")
        if not params["cache_size"] > 0:
            raise ValueError(f"cache_size must be > 0, got {params['cache_size']!r}")

    def _labels(self, y):
        try:
            labels = np.asarray(y, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise ValueError("HintSVM needs numeric class labels (two classes, e.g. -1 and +1)") \
                from None
        if not np.all(np.isfinite(labels)):
            raise ValueError("HintSVM labels must be finite numbers")
        if not self._warned_zero_class and np.any(np.trunc(labels) == 0):
            self._warned_zero_class = True
            warnings.warn("HintSVM treats labeled rows whose label truncates to 0 as hint rows "
                          "(libact's encoding); label the two classes -1 and +1 to train a "
                          "two-class hinted SVM", UserWarning, stacklevel=4)
        return labels

    def _get_scores(self):
        dataset = self.dataset
        entry_ids, X_pool = dataset.get_unlabeled_entries()
        if len(entry_ids) == 0:
            return np.array([], dtype=int), np.array([], dtype=float)
        X_lab, y_lab = dataset.get_labeled_entries()
        if len(y_lab) == 0:
            raise ValueError("HintSVM needs at least one labeled row")
        try:
            n_classes = len(np.unique(y_lab))
        except TypeError:  # labels of mixed types
            n_classes = len({repr(v) for v in y_lab})
        if n_classes > 2:
            raise ValueError("HintSVM query strategy support binary class active learning "
                             f"only. Found {n_classes} classes")
        if sp.issparse(X_pool):
            X_pool, X_lab = X_pool.toarray(), X_lab.toarray()
        X_pool = np.asarray(X_pool, dtype=np.float64)
        X_lab = np.asarray(X_lab, dtype=np.float64)
        hints = self.random_state_.choice(len(X_pool), int(len(X_pool) * self.p))
        labels = self._labels(y_lab)
        params = self.svm_params
        kernel_params = {k: params[k] for k in ("kernel", "degree", "gamma", "coef0")}
        fit = fit_dual(X_lab, labels, X_pool[hints], Cl=self.cl, Ch=self.ch, tol=params["tol"],
                       shrinking=params["shrinking"], cache_size=params["cache_size"],
                       **kernel_params)
        self.fit_ = fit
        if params["verbose"]:
            print(f"HintSVM: {len(X_lab)} labeled + {len(hints)} hint rows, "
                  f"{fit.n_iter} iterations, rho = {fit.rho:.6g}")
        return np.asarray(entry_ids), np.abs(decision_values(fit, X_pool, **kernel_params))
