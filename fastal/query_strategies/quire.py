r"""QUIRE: querying informative and representative examples (libact's ``QUIRE``).

Huang, Jin & Zhou, "Active learning by querying informative and
representative examples", NIPS 2010, in the form libact computes it.

libact's score
--------------
Write ``A = K + lambda I`` for the kernel matrix K of all n rows,
``L = A^{-1}``, U for the unlabeled rows and Lb for the labeled rows (both in
ascending id order), y for the labels of Lb (numbers).  libact evaluates,
for every candidate i in U, with ``r = U \ {i}``::

    M      = lambda I + K[U, U] - K[U, Lb] K[Lb, U] / lambda
    s_i    = (sum over j in r of M[j, i]^2) / M[i, i]
    tmp_i  = (L[i, Lb] - L[i, r] (M[r, r] - s_i) L[r, Lb]) . y
    eva_i  = L[i, i] - det(L[U, U]) / L[i, i] + 2 |tmp_i|

and queries the first row with the smallest ``eva`` (``_get_scores`` returns
``-eva``: larger = query).  Two details of that code are kept as they are:
``M[r, r] - s_i`` subtracts the scalar ``s_i`` from every entry (the code
takes the inner product of ``M[r, i]`` with itself, not its outer product),
and M is not the inverse of ``L[U, U]`` (that would use
``K[Lb, Lb] + lambda I`` in place of ``lambda I``).

How fastal computes it
----------------------
With ``a = L[U, Lb] y`` and ``b = M a``, every sum over ``r`` is a sum over
U without the candidate's own term, so::

    tmp_i = a_i - (sum_r L[i, j] b_j - a_i sum_r L[i, j] M[j, i])
                + s_i (sum_r L[i, j]) (sum_r a_j)

A query is then three n x n matrix-vector products (a, b and
``L b``), O(n^2), instead of libact's O(|U|^3).  The state behind it is
computed once and kept up to date:

* ``L`` is the same for every query: ``A`` is factored once (Cholesky when A
  is symmetric positive definite, LU otherwise), O(n^3).
* M is kept for all n rows as ``lambda I + K - K[:, Lb] K[Lb, :] / lambda``;
  a newly labeled row j is the rank-one downdate ``- K[:, j] K[j, :] / lambda``
  (a row put back into the pool: the matching update), O(n^2).
* The per-candidate sums ``sum_r L[i, j] M[j, i]``, ``sum_r M[j, i]^2`` and
  ``sum_r L[i, j]`` lose row j's term and follow the downdate of M with two
  matrix-vector products per label, O(n^2) (recomputed, O(n |U|), after a
  row returns to the pool or a rebuild).
* ``det(L[U, U]) = det(A[Lb, Lb]) / det(A)`` (Jacobi's identity for the minors
  of an inverse).  ``log det A`` comes from the factorisation of A; the
  Cholesky factor of ``A[Lb, Lb]`` grows by one row per label (a triangular
  solve, O(|Lb|^2)), its new diagonal entry being the Schur complement
  ``A[j, j] - A[j, Lb] A[Lb, Lb]^{-1} A[Lb, j]``.  Where ``A[Lb, Lb]`` is not
  positive definite (an indefinite kernel or a negative lambda), the
  determinant is computed directly at each query, O(min(|Lb|, |U|)^3).

Every update of the dataset is applied from ``Dataset.on_update``
(:meth:`QUIRE.update`); the labeled mask the state was built for is compared
with the dataset's before each query, so a relabeled row (nothing to do), a
row put back into the pool, several updates at once (rebuilt with one matrix
product when cheaper) and an appended row (kernel and inverse recomputed)
all give the scores of the current dataset.
"""
import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack, solve_triangular
from sklearn.metrics.pairwise import linear_kernel, polynomial_kernel, rbf_kernel

from fastal.query_strategies._selection import ScoredQueryStrategy

__all__ = ["QUIRE", "quire_kernel_matrix"]

KERNELS = ("rbf", "poly", "linear")
# Rows of the n x n matrices handled at a time (bounds the temporaries).
_ROW_BLOCK = 512
# |K - K.T| below this (relative to max |K|) counts as symmetric.
_SYMMETRY_RTOL = 1e-12


def quire_kernel_matrix(X, kernel="rbf", gamma=1., coef0=1, degree=3):
    """The n x n kernel matrix libact's QUIRE uses, checked as libact checks it.

    Parameters
    ----------
    X : array-like or sparse matrix (n_samples, n_features)
    kernel : {'rbf', 'poly', 'linear'} or callable
        A callable is called as ``kernel(X=X, Y=X)`` (dense X) and must return
        an ndarray of shape (n_samples, n_samples).
    gamma, coef0, degree : kernel parameters of scikit-learn's ``rbf_kernel``
        (gamma) and ``polynomial_kernel`` (gamma, coef0, degree).

    Returns
    -------
    K : ndarray (n_samples, n_samples), float64, C order (never the callable's own array)

    Raises
    ------
    NotImplementedError
        Unknown kernel.
    TypeError
        A callable kernel that does not return an ndarray.
    ValueError
        A kernel matrix of the wrong shape.

    Examples
    --------
    >>> quire_kernel_matrix([[0.0], [1.0]], kernel="linear")
    array([[0., 0.],
           [0., 1.]])
    """
    n = X.shape[0] if hasattr(X, "shape") else len(X)
    if isinstance(kernel, str):
        if kernel == "rbf":
            K = rbf_kernel(X=X, Y=X, gamma=gamma)
        elif kernel == "poly":
            K = polynomial_kernel(X=X, Y=X, coef0=coef0, degree=degree, gamma=gamma)
        elif kernel == "linear":
            K = linear_kernel(X=X, Y=X)
        else:
            raise NotImplementedError(
                f"kernel must be one of {list(KERNELS)} or a callable, got {kernel!r}")
    elif callable(kernel):
        dense = X.toarray() if sp.issparse(X) else np.array(X)
        K = kernel(X=dense, Y=dense)
    else:
        raise NotImplementedError(
            f"kernel must be one of {list(KERNELS)} or a callable, got {kernel!r}")
    if not isinstance(K, np.ndarray):
        raise TypeError("K should be an ndarray")
    if K.shape != (n, n):
        raise ValueError("kernel should have size (%d, %d)" % (n, n))
    if callable(kernel):                 # the caller may keep (and change) its array
        return np.array(K, dtype=np.float64, order="C")
    return np.ascontiguousarray(K, dtype=np.float64)


def _row_blocks(rows):
    for start in range(0, len(rows), _ROW_BLOCK):
        yield rows[start:start + _ROW_BLOCK]


def _is_symmetric(K):
    """K equals its transpose up to rounding (``_SYMMETRY_RTOL`` of max |K|)."""
    n = K.shape[0]
    tol = _SYMMETRY_RTOL * max(1.0, float(np.abs(K).max(initial=0.0)))
    for start in range(0, n, _ROW_BLOCK):
        stop = min(start + _ROW_BLOCK, n)
        if np.abs(K[start:stop] - K[:, start:stop].T).max(initial=0.0) > tol:
            return False
    return True


def _mirror_lower(V):
    """Copy the lower triangle of the square C-ordered V onto its upper triangle, in place."""
    n = V.shape[0]
    for start in range(0, n, _ROW_BLOCK):
        stop = min(start + _ROW_BLOCK, n)
        V[start:stop, stop:] = V[stop:, start:stop].T
        block = V[start:stop, start:stop]
        block[...] = np.tril(block) + np.tril(block, -1).T


def _inverse_and_logdet(K, lmbda, symmetric):
    """``inv(K + lmbda I)``, the sign of its determinant and log |det(K + lmbda I)|.

    A symmetric positive definite matrix is factored in place by Cholesky
    (potrf, potri); any other by LU (numpy's inv and slogdet).
    """
    n = K.shape[0]
    if symmetric:
        A = K + lmbda * np.eye(n)
        # A is symmetric, so its transpose (a Fortran-ordered view) is the
        # same matrix and LAPACK can work in place
        factor, info = lapack.dpotrf(A.T, lower=False, overwrite_a=True)
        if info == 0:
            logdet = 2.0 * float(np.log(np.diagonal(factor)).sum())
            inverse, info = lapack.dpotri(factor, lower=False, overwrite_c=True)
            if info == 0:
                V = inverse.T          # C-ordered, valid lower triangle
                _mirror_lower(V)
                return V, 1.0, logdet
        del A
    A = K + lmbda * np.eye(n)
    sign, logdet = np.linalg.slogdet(A)
    inverse = np.linalg.inv(A)
    return np.ascontiguousarray(inverse), float(sign), float(logdet)


class QUIRE(ScoredQueryStrategy):
    r"""libact's ``QUIRE`` (Huang, Jin & Zhou 2010) with state kept between queries.

    Scores are libact's formula (module docstring) computed in O(n^2) per
    query from state updated on every label (O(n^2) per label), instead of
    libact's O(|U|^3) per query.

    Parameters
    ----------
    dataset : Dataset
        Labels must be numbers (they enter the score as values).
    lambda_ : float, default 1.0, keyword only
        Regularisation.  libact's keyword ``lambda`` is accepted too
        (``QUIRE(ds, **{'lambda': 0.5})``); Python reserves the word, so the
        parameter is spelt ``lambda_``.  Must not be 0: libact's score divides
        by it.
    kernel : {'rbf', 'poly', 'linear'} or callable, default 'rbf'
        A callable is called once as ``kernel(X=X, Y=X)`` on the whole dataset
        and must return an ndarray of shape (n, n).
    gamma : float, default 1.0
        For 'rbf' and 'poly'.
    coef0 : float, default 1
        For 'poly'.
    degree : int, default 3
        For 'poly'.
    random_state : None, int or RandomState, keyword only
        Accepted and not used (QUIRE draws nothing; ties go to the first row),
        so that code passing a seed to every strategy works.

    Attributes
    ----------
    K : ndarray (n, n)
        The kernel matrix.
    L : ndarray (n, n)
        ``inv(K + lambda I)``.
    lmbda : float
    Uindex, Lindex : list of int
        The unlabeled and labeled entry ids, ascending (libact's attributes).

    Notes
    -----
    Memory: O(n^2).  Three n x n float64 matrices are kept -- the kernel
    matrix K, ``L`` and libact's M for every row -- so 24 n^2 bytes (600 MB
    at n = 5,000, 2.4 GB at n = 10,000), plus the Cholesky factor of
    ``K[Lb, Lb] + lambda I`` (8 |Lb|^2 bytes) and a few length-n vectors.
    Building them costs one kernel evaluation and one factorisation of
    ``K + lambda I``, O(n^3), with up to two more n x n matrices alive for a
    moment.  A label costs O(n^2); a query O(n^2).

    Ties go to the first row (libact takes the first argmax);
    ``make_query(n_instances=k)`` returns the k best rows in that order.

    Agreement with libact: the scores equal libact's formula up to
    floating-point rounding.  Both invert ``K + lambda I`` with a backward
    stable method (libact with LU, fastal with Cholesky when it applies), so
    the inverses agree to about ``cond(K + lambda I) * 1e-16`` relative to
    max |L|; the rest of the score is a re-association of the same sums, exact
    in real arithmetic, whose rounding is of the order of 1e-16 times the
    magnitude of its terms (times the number of labels since the sums were
    last recomputed, for the sums kept between queries).  ``det(L[U, U])`` is
    formed from log-determinants: it underflows to 0 (as numpy's determinant
    does) once it is below 1e-308, where its contribution to the score is
    negligible anyway.  The tests compare against a direct evaluation of
    libact's formula with relative tolerance 1e-9 (scaled by the largest
    |score|); the differences observed are below 1e-12.

    Where libact fails, fastal follows the dataset: a row labeled twice has
    its latest label, ``update(entry_id, None)`` puts the row back into the
    pool, and rows appended to the dataset are scored too (K and L are then
    recomputed, O(n^3)).

    Examples
    --------
    >>> from fastal.base.dataset import Dataset
    >>> from fastal.query_strategies.quire import QUIRE
    >>> X = [[-2, -1], [-1, -1], [-1, -2], [1, 1], [1, 2], [2, 1], [0, 1],
    ...      [0, -2], [1.5, 1.5], [-2, -2]]
    >>> ds = Dataset(X, [-1, -1, -1, 1, 1, 1, None, None, None, None])
    >>> qs = QUIRE(ds)
    >>> int(qs.make_query())
    6
    >>> qs.make_query(n_instances=4).tolist()
    [6, 7, 9, 8]
    """

    _tie = "first"

    _init_aliases = {"lambda": "lambda_"}   # libact's keyword, a reserved word in Python

    def __init__(self, dataset, *, lambda_=1., kernel="rbf", gamma=1., coef0=1, degree=3,
                 random_state=None):
        super().__init__(dataset)
        self.lmbda = lambda_
        if self.lmbda == 0:
            raise ValueError("lambda must not be 0 (QUIRE's score divides by it)")
        self.kernel = kernel
        self.gamma = gamma
        self.coef0 = coef0
        self.degree = degree
        if not (callable(self.kernel) or (isinstance(self.kernel, str)
                                          and self.kernel in KERNELS)):
            raise NotImplementedError(
                f"kernel must be one of {list(KERNELS)} or a callable, got {self.kernel!r}")
        self._n = None
        self._build()

    # -- libact's attributes ------------------------------------------------
    @property
    def Uindex(self):
        """Entry ids of the unlabeled rows, ascending."""
        return self.dataset.get_unlabeled_ids().tolist()

    @property
    def Lindex(self):
        """Entry ids of the labeled rows, ascending."""
        return np.flatnonzero(self.dataset.get_labeled_mask()).tolist()

    # -- state ----------------------------------------------------------------
    def _build(self):
        """Kernel matrix, inverse and label state for the dataset as it is now."""
        X, _ = self.dataset.get_entries()
        K = quire_kernel_matrix(X, self.kernel, self.gamma, self.coef0, self.degree)
        # scikit-learn's kernels are symmetric by construction (up to rounding)
        self._symmetric = not callable(self.kernel) or _is_symmetric(K)
        self.K = K
        self.L, self._sign_A, self._logdet_A = _inverse_and_logdet(K, self.lmbda,
                                                                   self._symmetric)
        self._n = K.shape[0]
        self._build_label_state(self.dataset.get_labeled_mask())

    def _build_label_state(self, labeled):
        """M for all rows and the factor of ``A[Lb, Lb]``, from scratch (one matrix product)."""
        K, lmbda = self.K, self.lmbda
        n = self._n
        labeled_ids = np.flatnonzero(labeled)
        M = K.copy()
        M[np.diag_indices(n)] += lmbda
        if len(labeled_ids):
            K_to_labeled = K[:, labeled_ids] * (1.0 / lmbda)
            K_from_labeled = K[labeled_ids, :]
            for start in range(0, n, _ROW_BLOCK):
                stop = start + _ROW_BLOCK
                M[start:stop] -= K_to_labeled[start:stop] @ K_from_labeled
        self._M = M
        self._labeled = labeled.copy()
        self._pool_sums = None
        self._factor_labeled_block()

    def _refresh_pool_sums(self):
        """Per-row sums over the other pool rows, from scratch (O(n |U|)).

        For i in U and r = U without i: ``sum_r L[i, j] M[j, i]``,
        ``sum_r M[j, i]^2`` and ``sum_r L[i, j]`` (entries of other rows: unused).
        """
        n = self._n
        L = self.L
        M_columns = self._M if self._symmetric else self._M.T   # rows of M.T are columns of M
        ids = np.flatnonzero(~self._labeled)
        in_pool = (~self._labeled).astype(np.float64)
        sums = np.zeros((3, n))
        for rows in _row_blocks(ids):
            local = np.arange(len(rows))
            L_rows = L[rows]
            M_rows = M_columns[rows]
            L_rows[local, rows] = 0.0              # leave the candidate itself out
            M_rows[local, rows] = 0.0
            sums[0, rows] = (L_rows * M_rows) @ in_pool
            sums[1, rows] = (M_rows * M_rows) @ in_pool
            sums[2, rows] = L_rows @ in_pool
        self._pool_sums = sums

    def _factor_labeled_block(self):
        """Cholesky factor of ``A[Lb, Lb] = K[Lb, Lb] + lambda I`` and its log-determinant."""
        ids = np.flatnonzero(self._labeled)
        self._chol_ids = ids.tolist()
        self._chol = np.zeros((max(16, 2 * len(ids)),) * 2)
        self._logdet_labeled = 0.0
        self._chol_ok = self._symmetric
        if not self._chol_ok or len(ids) == 0:
            return
        block = self.K[np.ix_(ids, ids)] + self.lmbda * np.eye(len(ids))
        factor, info = lapack.dpotrf(block, lower=True, clean=True)
        if info != 0:
            self._chol_ok = False
            return
        self._chol[:len(ids), :len(ids)] = factor
        self._logdet_labeled = 2.0 * float(np.log(np.diagonal(factor)).sum())

    def _extend_labeled_factor(self, j):
        """Append row j to the Cholesky factor of ``A[Lb, Lb]`` (O(|Lb|^2))."""
        if not self._chol_ok:
            return
        size = len(self._chol_ids)
        R = self._chol
        column = self.K[self._chol_ids, j]
        w = solve_triangular(R[:size, :size], column, lower=True, check_finite=False) \
            if size else np.zeros(0)
        schur = self.K[j, j] + self.lmbda - float(w @ w)
        if not schur > 0:            # A[Lb, Lb] is not positive definite
            self._chol_ok = False
            return
        if size + 1 > R.shape[0]:
            grown = np.zeros((2 * R.shape[0],) * 2)
            grown[:size, :size] = R[:size, :size]
            self._chol = R = grown
        R[size, :size] = w
        R[size, size] = np.sqrt(schur)
        self._chol_ids.append(int(j))
        self._logdet_labeled += float(np.log(schur))

    def _rank_one_M(self, j, sign):
        """``M += sign * K[:, j] K[j, :] / lambda`` (j leaves the labeled set: +1; joins it: -1)."""
        column = self.K[:, j] * (sign / self.lmbda)
        row = self.K[j, :]
        M = self._M
        for start in range(0, self._n, _ROW_BLOCK):
            stop = start + _ROW_BLOCK
            M[start:stop] += np.multiply.outer(column[start:stop], row)

    def _label_row(self, j):
        """Move pool row j to the labeled set: pool sums, M, then the mask (O(n^2))."""
        self._labeled[j] = True
        sums = self._pool_sums
        if sums is not None:
            # M loses -k_c k_r^T (k_c = K[:, j] / lambda, k_r = K[j, :]); the sums
            # over r lose row j and change with M, both from M before the update
            L, M = self.L, self._M
            in_pool = (~self._labeled).astype(np.float64)
            k_c = self.K[:, j] / self.lmbda
            k_r = self.K[j, :]
            pooled_k = k_c * in_pool
            diag_L = np.diagonal(L)
            diag_M = np.diagonal(M)
            L_k = L @ pooled_k - diag_L * pooled_k             # sum_r L[i, j'] k_c[j']
            M_k = M.T @ pooled_k - diag_M * pooled_k           # sum_r M[j', i] k_c[j']
            k_k = pooled_k @ k_c - pooled_k * k_c              # sum_r k_c[j']^2
            M_j = M[j, :]
            L_j = L[:, j]
            sums[0] -= L_j * M_j + k_r * L_k
            sums[1] += k_r * (k_r * k_k - 2.0 * M_k) - M_j * M_j
            sums[2] -= L_j
        self._rank_one_M(j, -1.0)

    def _sync(self):
        """Bring the state to the dataset's current rows and labeled mask."""
        if self._n != len(self.dataset):
            self._build()
            return
        labeled = self.dataset.get_labeled_mask()
        changed = np.flatnonzero(labeled != self._labeled)
        if len(changed) == 0:
            return
        if len(changed) > max(1, int(labeled.sum()) // 8):
            # a matrix product over the labeled set beats many rank-one updates
            self._build_label_state(labeled)
            return
        added = changed[labeled[changed]]
        removed = changed[~labeled[changed]]
        if len(removed):
            self._pool_sums = None                 # recomputed at the next query
        for j in removed:
            self._rank_one_M(j, +1.0)
        self._labeled[removed] = False
        for j in added:
            self._label_row(j)
        if len(removed):
            self._factor_labeled_block()
        else:
            for j in added:
                self._extend_labeled_factor(j)

    def update(self, entry_id, label):
        """Apply the new label (or the row's return to the pool) to the kept state."""
        if self._n is not None:
            self._sync()

    # -- scores -----------------------------------------------------------------
    def _det_unlabeled_block(self, unlabeled_ids):
        """``det(L[U, U])``, as ``det(A[Lb, Lb]) / det(A)``."""
        if self._chol_ok:
            sign, logdet = self._sign_A, self._logdet_labeled - self._logdet_A
        else:
            labeled_ids = np.flatnonzero(self._labeled)
            if len(labeled_ids) <= len(unlabeled_ids):
                block = self.K[np.ix_(labeled_ids, labeled_ids)] + \
                    self.lmbda * np.eye(len(labeled_ids))
                sign, logdet = np.linalg.slogdet(block)
                sign, logdet = sign * self._sign_A, logdet - self._logdet_A
            else:
                sign, logdet = np.linalg.slogdet(self.L[np.ix_(unlabeled_ids, unlabeled_ids)])
        with np.errstate(over="ignore", under="ignore"):
            return float(sign * np.exp(logdet))

    def _labels(self, labeled_ids):
        _, y = self.dataset.get_entries()
        return np.asarray(y[labeled_ids].tolist(), dtype=np.float64)

    def _get_scores(self):
        """``(entry_ids, -eva)`` of the unlabeled rows: libact's QUIRE value, negated."""
        self._sync()
        ids = self.dataset.get_unlabeled_ids().copy()
        u = len(ids)
        if u == 0:
            return ids, np.zeros(0)
        if self._pool_sums is None:
            self._refresh_pool_sums()
        n = self._n
        L, M = self.L, self._M
        labeled_ids = np.flatnonzero(self._labeled)
        y_full = np.zeros(n)
        y_full[labeled_ids] = self._labels(labeled_ids)
        in_pool = np.zeros(n)
        in_pool[ids] = 1.0

        a_full = (L @ y_full) * in_pool                 # a = L[U, Lb] y on U, 0 elsewhere
        b_full = (M @ a_full) * in_pool                 # b = M[U, U] a
        a = a_full[ids]
        diag_L = L[ids, ids]
        diag_M = M[ids, ids]
        Lb_off = (L @ b_full)[ids] - diag_L * b_full[ids]     # sum_r L[i, j] b_j
        LM_off, MM_off, L_off = self._pool_sums[:, ids]

        with np.errstate(divide="ignore", invalid="ignore"):
            tmp = a - (Lb_off - a * LM_off)
            if u > 1:
                s = (1.0 / diag_M) * MM_off
                tmp = tmp + s * (L_off * (a.sum() - a))
            det = self._det_unlabeled_block(ids)
            eva = diag_L - det / diag_L + 2.0 * np.abs(tmp)
        return ids, -eva
