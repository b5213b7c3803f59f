r"""Variance reduction (libact's ``VarianceReduction``), vectorised in NumPy.

Schein & Ungar, "Active learning for logistic regression: an evaluation",
Machine Learning 68(3), 2007, in the form libact computes it.

libact's criterion
------------------
Let ``sigmoid(z) = 1 / (1 + exp(-z))`` and let the model, trained on the
labeled rows ``(x_n, y_n)``, give ``q = sigmoid(predict_real(x))`` for a
candidate x.  For every hypothetical label ``c = 0, ..., k - 1`` (k the number
of distinct labels; the labels are taken to be the integers 0..k-1, as libact
takes them) a copy of the model is trained on the labeled rows plus
``(x, c)``, and ``pi_n`` (labeled row n) and ``pi`` (the candidate) are
``sigmoid(predict_real(.))`` of that model, vectors over its K classes.
Then, with indices ``(p, i)`` running over classes x features::

    G_n      = diag(pi_n) - pi_n pi_n^T                     (K x K)
    A        = sum_n kron(G_n G_n^T, x_n x_n^T)
    B[p, q]  = pi_p (1 - pi_p) if p == q else pi_p pi_q
    F        = kron(B, x x^T) + r I,    r = (1 / sigma) * sigma
    Phi_c(x) = trace(A pinv(F))

``pinv`` drops singular values <= 1e-30, and the expected variance is
``E(x) = sum_c q_c Phi_c(x)``; libact queries the first candidate with the
smallest E.  :meth:`VarianceReduction.expected_variances` returns E for the
pool; ``_get_scores`` raises ``NotImplementedError``, as libact's does.

Two details are kept exactly as libact's C code has them: the off-diagonal
blocks of F carry ``+pi_p pi_q`` (not the Fisher information's minus sign),
and the ridge is ``1.0 / sigma * sigma``, which is 1 for every valid sigma --
so ``sigma`` does not change the result (libact's docstring says 1/sigma is
added).  For sigma values whose binary representation ends in 32 zero bits
(1.0, the default, 0.5, 2.0, 100.0, ...) libact's C code reads sigma as the
integer 0 and its result is undefined; fastal uses r = 1 there as well.

libact runs the candidates through ``multiprocessing.Pool.map``, which sends
them in chunks of ``ceil(u / (4 n_jobs))``; the model copies are shallow, so
within a chunk every candidate after the first gets its weights q from the
model as retrained for the previous candidate (with label k - 1), not from
the model trained on the labeled rows.  fastal computes the criterion above
for every candidate, which is what libact computes when each chunk holds one
candidate (u <= 4 n_jobs, as in libact's own test); on larger pools libact's
picks depend on n_jobs and may differ.

How fastal computes it
----------------------
``x x^T`` has rank one, so with ``s = |x|^2`` and ``P = s B + r I`` (K x K)::

    pinv(F)      = I / r + kron(pinv(P) - I / r, x x^T / s)
    Phi_c(x)     = trace(A) / r
                   + sum_{p,q} (pinv(P) - I / r)[q, p] sum_n (G_n G_n^T)[p, q] (x_n . x)^2 / s
    trace(A)     = sum_n |x_n|^2 trace(G_n G_n^T)

so no (K d) x (K d) matrix is formed and every candidate is handled in one
batched NumPy expression (:func:`expected_variance`).  The model fits, k per
candidate, are what remains; ``n_jobs`` runs them in parallel with joblib.
"""
import copy
import numbers
import os

import numpy as np
import scipy.sparse as sp

import fastal.models
from fastal.base.dataset import Dataset
from fastal.base.interfaces import ContinuousModel, QueryStrategy
from fastal.models._auto import as_model
from fastal.query_strategies._selection import answer, check_n_instances, rank_with_ties

__all__ = ["VarianceReduction", "expected_variance"]

OPTIMALITIES = ("trace", "determinant", "eigenvalue")
# Singular values of F at or below this are dropped by the pseudo-inverse.
PINV_CUTOFF = 1e-30
# Entries of the (candidates, labeled rows, K, K) temporaries handled at a time.
_BLOCK_ENTRIES = 1 << 22


def _sigmoid(z):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


def fisher_ridge(sigma):
    """The value libact's C code adds to the diagonal of F: ``1.0 / sigma * sigma``."""
    return (1.0 / sigma) * sigma


def _class_products(pi):
    """``diag(pi) - pi pi^T`` for every row of ``pi`` (..., K) -> (..., K, K)."""
    out = -(pi[..., :, None] * pi[..., None, :])
    k = pi.shape[-1]
    out[..., np.arange(k), np.arange(k)] = pi * (1.0 - pi)
    return out


def expected_variance(proba_labeled, X_labeled, proba_query, X_query, ridge=1.0):
    """``trace(A pinv(F))`` of libact's variance reduction, for many candidates at once.

    Parameters
    ----------
    proba_labeled : ndarray (m, n_labeled, K)
        ``pi_n`` of each labeled row, for each of the m candidates (from the
        model retrained with that candidate).
    X_labeled : ndarray (n_labeled, d)
    proba_query : ndarray (m, K)
        ``pi`` of each candidate.
    X_query : ndarray (m, d)
        The candidates.
    ridge : float, default 1.0
        r, added to the diagonal of F (:func:`fisher_ridge`).

    Returns
    -------
    ndarray (m,)

    Examples
    --------
    >>> import numpy as np
    >>> X_labeled = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> proba = np.full((1, 2, 2), 0.5)
    >>> expected_variance(proba, X_labeled, np.full((1, 2), 0.5), np.array([[0.0, 0.0]]))
    array([0.5])
    """
    PL = np.asarray(proba_labeled, dtype=np.float64)
    XL = np.asarray(X_labeled, dtype=np.float64)
    pq = np.asarray(proba_query, dtype=np.float64)
    Xq = np.asarray(X_query, dtype=np.float64)
    m, n_labeled, k = PL.shape
    out = np.empty(m)
    if m == 0:
        return out
    sq_norm_labeled = np.einsum("nd,nd->n", XL, XL)
    sq_norm_query = np.einsum("md,md->m", Xq, Xq)
    inv_ridge = 1.0 / ridge if abs(ridge) > PINV_CUTOFF else 0.0
    eye = np.eye(k)
    step = max(1, _BLOCK_ENTRIES // max(1, n_labeled * k * k))
    for start in range(0, m, step):
        stop = min(start + step, m)
        G = _class_products(PL[start:stop])                  # (b, n, K, K)
        H = G @ np.swapaxes(G, -1, -2)                        # G_n G_n^T
        trace_A = np.einsum("bnpp,n->b", H, sq_norm_labeled)
        s = sq_norm_query[start:stop]
        projections = (Xq[start:stop] @ XL.T) ** 2            # (x_n . x)^2, (b, n)
        S = np.einsum("bnpq,bn->bpq", H, projections)
        B = pq[start:stop, :, None] * pq[start:stop, None, :]
        B[:, np.arange(k), np.arange(k)] = pq[start:stop] * (1.0 - pq[start:stop])
        P = s[:, None, None] * B + ridge * eye
        mu, V = np.linalg.eigh(P)
        keep = np.abs(mu) > PINV_CUTOFF
        inv_mu = np.where(keep, 1.0 / np.where(keep, mu, 1.0), 0.0)
        W = (V * inv_mu[:, None, :]) @ np.swapaxes(V, -1, -2) - inv_ridge * eye
        along_query = np.einsum("bpq,bpq->b", W, S)
        along_query = np.where(s > 0, along_query / np.where(s > 0, s, 1.0), 0.0)
        out[start:stop] = inv_ridge * trace_A + along_query
    return out


def _dense(X):
    return np.asarray(X.toarray() if sp.issparse(X) else X)


def retrained_outputs(model, X_labeled, y_labeled, X_candidates, n_labels):
    """``sigmoid(predict_real)`` on the labeled rows and the candidate, retrained per label.

    For each candidate x, a copy of ``model`` is trained on the labeled rows
    plus ``(x, c)`` for c = 0, 1, ..., n_labels - 1 in turn (one copy per
    candidate, retrained for each label, as libact's worker does).

    Returns
    -------
    list of n_labels ndarrays, each (n_candidates, n_labeled + 1, n_classes)
        The last row of each is the candidate's own output.
    """
    per_label = [[] for _ in range(n_labels)]
    for x in X_candidates:
        stacked = np.vstack((X_labeled, x[None, :]))
        clf = copy.deepcopy(model)
        for c in range(n_labels):
            clf.train(Dataset(stacked, np.append(y_labeled, c)))
            per_label[c].append(_sigmoid(clf.predict_real(stacked)))
    return [np.stack(outputs) for outputs in per_label]


def _n_workers(n_jobs):
    if n_jobs is None:                       # multiprocessing.Pool(None): every CPU
        return os.cpu_count() or 1
    if n_jobs < 0:                           # joblib's convention: -1 = every CPU
        return max(1, (os.cpu_count() or 1) + 1 + n_jobs)
    return n_jobs


class VarianceReduction(QueryStrategy):
    r"""libact's ``VarianceReduction`` (Schein & Ungar 2007), without a C extension.

    Scores every unlabeled row by libact's expected variance (module
    docstring) and queries the smallest.

    Parameters
    ----------
    dataset : Dataset
        Labels are taken to be the integers 0..k-1 (libact's assumption).
    model : ContinuousModel, scikit-learn classifier or a ``fastal.models`` class name (required)
        Trained on the labeled rows at every query; copies of it are trained
        with each candidate added under each label (k fits per candidate).
        libact supports logistic regression only.  A scikit-learn classifier
        is wrapped by ``fastal.models.as_model``.
    optimality : {'trace'}, default 'trace'
        libact documents 'determinant' and 'eigenvalue' as well but computes
        the trace criterion for every value; fastal raises
        ``NotImplementedError`` for those two and ``ValueError`` for others.
    sigma : float > 0, default 1.0
        Enters the ridge of F as libact computes it, ``1.0 / sigma * sigma``
        (= 1): it has no effect on the scores.
    n_jobs : int or None, default 1
        Processes for the model fits (joblib).  None uses every CPU (as
        libact's ``multiprocessing.Pool(None)``); negative values count back
        from the number of CPUs (-1: all).  Results do not depend on it.

    Notes
    -----
    Ties go to the first row, as libact's ``errors.index(min(errors))``;
    ``make_query(n_instances=k)`` returns the k smallest expected variances
    in that order.  As in libact, ``_get_scores`` raises
    ``NotImplementedError``; :meth:`expected_variances` gives E for the pool,
    and ``make_query(return_score=True)`` pairs each row with ``-E`` (larger =
    query, as every fastal score).

    Agreement with libact: the same model fits; the trace is computed through
    the rank-one structure of F (eigendecomposition of a K x K matrix) instead
    of an SVD of the (K d) x (K d) matrix, which changes the result only by
    rounding, about 1e-16 times cond(F) relative (the tests ask 1e-9 of a
    direct evaluation).  Cost per query: k model fits per candidate plus
    O(u n_labeled K^2 (K + d)) arithmetic, against libact's O(n_labeled (K d)^2
    + (K d)^3) per candidate and label.

    Examples
    --------
    >>> from fastal.base.dataset import Dataset
    >>> from fastal.models import LogisticRegression
    >>> from fastal.query_strategies.variance_reduction import VarianceReduction
    >>> X = [[-2, -1], [1, 1], [-1, -2], [-1, -1], [1, 2], [2, 1]]
    >>> ds = Dataset(X, [0, 1, None, None, None, None])
    >>> qs = VarianceReduction(ds, model=LogisticRegression(solver="liblinear"), sigma=0.1)
    >>> int(qs.make_query())
    4
    """

    def __init__(self, dataset, *, model, optimality="trace", sigma=1.0, n_jobs=1):
        super().__init__(dataset)
        if isinstance(model, str):
            model = getattr(fastal.models, model)()
        if model is None:
            raise TypeError("__init__() missing required keyword-only argument: 'model'")
        model = as_model(model, "model")
        if not isinstance(model, ContinuousModel):
            raise TypeError("model has to be a ContinuousModel (it needs predict_real)")
        self.model = model
        self.optimality = optimality
        if self.optimality not in OPTIMALITIES:
            raise ValueError(f"optimality must be one of {list(OPTIMALITIES)}, "
                             f"got {self.optimality!r}")
        if self.optimality != "trace":
            raise NotImplementedError(
                f"optimality={self.optimality!r} is not supported: only 'trace' is "
                "(libact computes the trace criterion whatever this argument says)")
        self.sigma = sigma
        if (isinstance(self.sigma, bool) or not isinstance(self.sigma, numbers.Real)
                or not np.isfinite(self.sigma) or self.sigma <= 0):
            raise ValueError(f"sigma must be a positive finite number, got {self.sigma!r}")
        self.n_jobs = n_jobs
        if self.n_jobs is not None and (isinstance(self.n_jobs, bool)
                                        or not isinstance(self.n_jobs, numbers.Integral)
                                        or self.n_jobs == 0):
            raise ValueError(f"n_jobs must be a nonzero integer or None, got {self.n_jobs!r}")

    def _retrained_outputs(self, X_labeled, y_labeled, X_pool, n_labels):
        workers = min(_n_workers(self.n_jobs), len(X_pool))
        if workers <= 1:
            return retrained_outputs(self.model, X_labeled, y_labeled, X_pool, n_labels)
        from joblib import Parallel, delayed
        chunks = [c for c in np.array_split(np.arange(len(X_pool)), 2 * workers) if len(c)]
        parts = Parallel(n_jobs=workers)(
            delayed(retrained_outputs)(self.model, X_labeled, y_labeled, X_pool[c], n_labels)
            for c in chunks)
        return [np.concatenate([part[c] for part in parts]) for c in range(n_labels)]

    def expected_variances(self):
        """``(entry_ids, E)``: libact's expected variance of every unlabeled row (smaller = query).

        Trains ``model`` on the labeled rows (it is left trained on them, as
        in libact) and copies of it with each candidate added under each label.
        """
        dataset = self.dataset
        entry_ids, X_pool = dataset.get_unlabeled_entries()
        if len(entry_ids) == 0:
            return entry_ids, np.zeros(0)
        X_labeled, y_labeled = dataset.get_labeled_entries()
        X_labeled, X_pool = _dense(X_labeled), _dense(X_pool)
        n_labels = dataset.get_num_of_labels()
        self.model.train(dataset)
        query_output = _sigmoid(self.model.predict_real(X_pool))
        outputs = self._retrained_outputs(X_labeled, list(y_labeled), X_pool, n_labels)
        ridge = fisher_ridge(self.sigma)
        errors = np.zeros(len(entry_ids))
        for c in range(n_labels):
            PI = outputs[c]
            errors += query_output[:, c] * expected_variance(
                PI[:, :-1], X_labeled, PI[:, -1], X_pool, ridge)
        return entry_ids, errors

    def _get_scores(self):
        """Not provided, as in libact: use :meth:`expected_variances` (smaller = query).

        Raises
        ------
        NotImplementedError
        """
        raise NotImplementedError(
            "VarianceReduction does not provide _get_scores(); expected_variances() "
            "returns the expected variance of every unlabeled row (smaller = query)")

    def make_query(self, return_score=False, *, n_instances=None):
        """Entry id with the smallest expected variance (the first on ties), or a batch.

        Parameters
        ----------
        return_score : bool
            Also return ``[(entry_id, -E), ...]`` for the whole pool.
        n_instances : int or None
            None: one id, as libact.  k: the k smallest expected variances, ties
            to the first row (the first id is the single query's answer).
        """
        k = check_n_instances(n_instances, self.dataset.len_unlabeled(), return_score)
        entry_ids, variances = self.expected_variances()
        scores = -variances
        if k is None:
            chosen = entry_ids[rank_with_ties(scores, 1, "first", None)[0]]
        else:
            chosen = entry_ids[rank_with_ties(scores, k, "first", None)]
        return answer(chosen, entry_ids, scores, return_score)
