"""Pure-NumPy solver of the hint-SVM dual: the readable definition.

The compiled solver ``fastal._core._hintsvm.solve`` takes the same arguments
and follows the same steps; this module states them.  The problem (see
``fastal.query_strategies.hintsvm`` for where it comes from) is the
libsvm-form quadratic programme over ``m`` dual variables

    minimise    f(a) = 1/2 a' Q a + lin' a
    subject to  y' a = 0,   0 <= a_v <= upper_v   (upper_v may be +inf)

with ``y_v`` in {-1, +1} and ``Q_uv = y_u y_v K(x_point[u], x_point[v])``
(plus ``ridge_v`` on the diagonal).  Several variables may share one training
row (``point``): a hint row owns two, one of each sign.

Algorithm (sequential minimal optimisation, Fan, Chen & Lin, JMLR 2005, with
the shrinking of Chang & Lin, "LIBSVM: a library for support vector
machines", 2011):

* working set: ``i`` maximises ``-y_t G_t`` over I_up = {y=+1, a<upper} U
  {y=-1, a>0}; ``j`` in I_low = {y=+1, a>0} U {y=-1, a<upper} with
  ``b = -y_i G_i + y_j G_j > 0`` minimises ``-b^2 / q`` where
  ``q = Q_ii + Q_jj - 2 y_i y_j Q_ij`` (``TAU`` when not positive).  Among
  equal values the variable at the later position wins.
* stop when ``max_{I_up} -y G + max_{I_low} y G < tol``, the maximal
  violation of the KKT conditions (checked again on all variables after
  shrinking).
* the pair is moved along ``y_i d_i + y_j d_j = 0`` to the minimum of ``f`` on
  that line and clipped to the box.
* every ``min(m, 1000)`` iterations variables that sit at a bound and whose
  gradient keeps them there are set aside (shrinking); their gradient is
  rebuilt from ``G_bar`` (the gradient contribution of variables at their
  upper bound) when the active ones are optimal, and once when the violation
  first falls below ``10 tol``.
* ``rho`` is the mean of ``y_t G_t`` over free variables, else the midpoint of
  the interval that the bounded variables allow.

Kernel entries are stored in single precision (as libsvm's cache does), the
diagonal used for step lengths in double precision; everything else is
double.  The variable order, the tie rules and the shrinking order are part
of the definition, so that both backends (and libsvm-based
implementations) take the same steps.
"""
import numpy as np
from scipy.spatial.distance import cdist

__all__ = ["kernel_matrix", "kernel_diagonal", "solve", "TAU", "KERNELS"]

TAU = 1e-12
LOWER, UPPER, FREE = 0, 1, 2
KERNELS = ("linear", "poly", "rbf", "sigmoid")


def _powi(base, times):
    """base ** times by repeated squaring, elementwise (libsvm's rounding)."""
    result = np.ones_like(base)
    tmp = base.copy()
    t = times
    while t > 0:
        if t % 2 == 1:
            result = result * tmp
        tmp = tmp * tmp
        t //= 2
    return result


def kernel_matrix(A, B, kernel, degree, gamma, coef0, *, training=False):
    """Kernel values ``K(A[i], B[j])`` in double precision.

    ``training=True`` evaluates rbf through the norm expansion
    ``|a|^2 + |b|^2 - 2 a.b`` (the form used while solving) and returns an
    exactly symmetric matrix when ``A is B``; otherwise rbf uses the direct
    squared distance (the form used for predictions).
    """
    if kernel == "rbf" and not training:
        return np.exp(-gamma * cdist(A, B, "sqeuclidean"))
    dot = A @ B.T
    if A is B:  # the sum of products is symmetric; make the rounding so too
        dot = np.triu(dot) + np.triu(dot, 1).T
    if kernel == "linear":
        return dot
    if kernel == "poly":
        return _powi(gamma * dot + coef0, degree)
    if kernel == "rbf":
        sa = np.einsum("ij,ij->i", A, A)
        sb = sa if A is B else np.einsum("ij,ij->i", B, B)
        K = np.exp(-gamma * (sa[:, None] + sb[None, :] - 2 * dot))
        if A is B:
            K = np.triu(K) + np.triu(K, 1).T
        return K
    if kernel == "sigmoid":
        return np.tanh(gamma * dot + coef0)
    raise ValueError(f"unknown kernel {kernel!r}; valid kernels: {list(KERNELS)}")


def kernel_diagonal(X, kernel, degree, gamma, coef0):
    """``K(x, x)`` for every row of X, double precision."""
    sq = np.einsum("ij,ij->i", X, X)
    if kernel == "linear":
        return sq
    if kernel == "poly":
        return _powi(gamma * sq + coef0, degree)
    if kernel == "rbf":
        return np.exp(-gamma * (sq + sq - 2 * sq))
    return np.tanh(gamma * sq + coef0)


class _State:
    """Solver arrays in position order; ``perm[pos]`` is the variable there."""

    def __init__(self, K32, point, y, lin, upper, ridge, QD):
        m = len(lin)
        self.K32 = K32
        self.point = np.asarray(point, dtype=np.int64)
        self.m = m
        self.perm = np.arange(m)
        self.y = np.asarray(y, dtype=np.float64).copy()
        self.lin = np.asarray(lin, dtype=np.float64).copy()
        self.upper = np.asarray(upper, dtype=np.float64).copy()
        self.ridge = np.asarray(ridge, dtype=np.float64).copy()
        self.QD = np.asarray(QD, dtype=np.float64).copy()
        self.alpha = np.zeros(m)
        self.status = np.full(m, LOWER, dtype=np.int8)
        self.G = self.lin.copy()
        self.G_bar = np.zeros(m)
        self.active = m

    def row(self, pos, length):
        """Column entries ``Q[pos, 0:length]`` (float32 values, returned as float64)."""
        v = self.perm[pos]
        cols = self.perm[:length]
        r = self.K32[self.point[v], self.point[cols]] * np.float32(self.y[pos])
        r = r * self.y[:length].astype(np.float32)
        if self.ridge[pos] != 0.0 and pos < length:
            r[pos] = np.float32(np.float64(r[pos]) + self.ridge[pos])
        return r.astype(np.float64)

    def set_status(self, pos):
        a = self.alpha[pos]
        if a >= self.upper[pos]:
            self.status[pos] = UPPER
        elif a <= 0:
            self.status[pos] = LOWER
        else:
            self.status[pos] = FREE

    def swap(self, a, b):
        for arr in (self.perm, self.y, self.lin, self.upper, self.ridge, self.QD, self.alpha,
                    self.status, self.G, self.G_bar):
            arr[a], arr[b] = arr[b], arr[a]

    # -- the sets I_up, I_low --------------------------------------------
    def up_low(self, length):
        y = self.y[:length]
        st = self.status[:length]
        pos = y > 0
        up = np.where(pos, st != UPPER, st != LOWER)
        low = np.where(pos, st != LOWER, st != UPPER)
        return up, low

    def violation_bounds(self):
        """``(max_{I_up} -y G, max_{I_low} y G)`` over the active variables."""
        n = self.active
        up, low = self.up_low(n)
        yG = self.y[:n] * self.G[:n]
        g1 = np.max(-yG[up]) if up.any() else -np.inf
        g2 = np.max(yG[low]) if low.any() else -np.inf
        return g1, g2

    def select(self, tol):
        """Working pair ``(i, j)`` or None when the active variables are optimal."""
        n = self.active
        up, low = self.up_low(n)
        yG = self.y[:n] * self.G[:n]
        if up.any():
            vals = np.where(up, -yG, -np.inf)
            g_max = vals.max()
            i = n - 1 - int(np.argmax(vals[::-1] == g_max))
        else:
            g_max, i = -np.inf, -1
        g_max2 = np.max(yG[low]) if low.any() else -np.inf
        if g_max + g_max2 < tol:
            return None
        Qi = self.row(i, n)
        b = g_max + yG
        cand = low & (b > 0)
        t = 2.0 * self.y[i] * Qi
        s = self.QD[i] + self.QD[:n]
        q = np.where(self.y[:n] > 0, s - t, s + t)
        q = np.where(q > 0, q, TAU)
        obj = np.where(cand, -(b * b) / q, np.inf)
        o_min = obj.min()
        j = n - 1 - int(np.argmax(obj[::-1] == o_min))
        return i, j, Qi

    def take_step(self, i, j, Qi):
        n = self.active
        Qj = self.row(j, n)
        Ci, Cj = self.upper[i], self.upper[j]
        ai, aj = self.alpha[i], self.alpha[j]
        old_i, old_j = ai, aj
        if self.y[i] != self.y[j]:
            q = self.QD[i] + self.QD[j] + 2 * Qi[j]
            if q <= 0:
                q = TAU
            delta = (-self.G[i] - self.G[j]) / q
            diff = ai - aj
            ai += delta
            aj += delta
            if diff > 0:
                if aj < 0:
                    aj, ai = 0.0, diff
            elif ai < 0:
                ai, aj = 0.0, -diff
            with np.errstate(invalid="ignore"):
                use_i = diff > Ci - Cj  # inf - inf is nan: compare false
            if use_i:
                if ai > Ci:
                    ai, aj = Ci, Ci - diff
            elif aj > Cj:
                aj, ai = Cj, Cj + diff
        else:
            q = self.QD[i] + self.QD[j] - 2 * Qi[j]
            if q <= 0:
                q = TAU
            delta = (self.G[i] - self.G[j]) / q
            total = ai + aj
            ai -= delta
            aj += delta
            if total > Ci:
                if ai > Ci:
                    ai, aj = Ci, total - Ci
            elif aj < 0:
                aj, ai = 0.0, total
            if total > Cj:
                if aj > Cj:
                    aj, ai = Cj, total - Cj
            elif ai < 0:
                ai, aj = 0.0, total
        self.alpha[i], self.alpha[j] = ai, aj
        d_i, d_j = ai - old_i, aj - old_j
        self.G[:n] += Qi * d_i + Qj * d_j
        was_i, was_j = self.status[i] == UPPER, self.status[j] == UPPER
        self.set_status(i)
        self.set_status(j)
        for pos, was, C in ((i, was_i, Ci), (j, was_j, Cj)):
            if was != (self.status[pos] == UPPER):
                r = self.row(pos, self.m)
                if was:
                    self.G_bar -= C * r
                else:
                    self.G_bar += C * r

    def reconstruct_gradient(self):
        n, m = self.active, self.m
        if n == m:
            return
        self.G[n:] = self.G_bar[n:] + self.lin[n:]
        for pos in np.flatnonzero(self.status[:n] == FREE):
            self.G[n:] += self.alpha[pos] * self.row(pos, m)[n:]

    def shrink(self, tol, unshrunk):
        g1, g2 = self.violation_bounds()
        if not unshrunk and g1 + g2 <= tol * 10:
            unshrunk = True
            self.reconstruct_gradient()
            self.active = self.m
        n = self.active
        y, G, st = self.y[:n], self.G[:n], self.status[:n]
        out = np.where(st == UPPER, np.where(y > 0, -G > g1, -G > g2),
                       np.where(st == LOWER, np.where(y > 0, G > g2, G > g1), False))
        out = out.tolist()
        pos = 0
        while pos < n:
            if out[pos]:
                n -= 1
                while n > pos:
                    if not out[n]:
                        self.swap(pos, n)
                        out[pos], out[n] = out[n], out[pos]
                        break
                    n -= 1
            pos += 1
        self.active = n
        return unshrunk

    def rho(self):
        n = self.active
        yG = self.y[:n] * self.G[:n]
        st, y = self.status[:n], self.y[:n]
        free = st == FREE
        if free.any():
            return float(np.cumsum(yG[free])[-1] / free.sum())
        ub_mask = ((st == UPPER) & (y < 0)) | ((st == LOWER) & (y > 0))
        lb_mask = ((st == UPPER) & (y > 0)) | ((st == LOWER) & (y < 0))
        ub = yG[ub_mask].min() if ub_mask.any() else np.inf
        lb = yG[lb_mask].max() if lb_mask.any() else -np.inf
        return float((ub + lb) / 2)


def solve(K32, Kdiag, point, y, lin, upper, ridge, tol=1e-3, shrinking=True, max_iter=None):
    """Minimise the dual above.

    Parameters
    ----------
    K32 : ndarray (l, l) float32
        Kernel values among the l training rows, exactly symmetric.
    Kdiag : ndarray (l,) float64
        ``K(x, x)`` in double precision.
    point : ndarray (m,) int
        Training row of each dual variable.
    y : ndarray (m,) of +1 / -1
    lin : ndarray (m,) float64
        Linear term of the objective.
    upper : ndarray (m,) float64
        Upper bounds (``np.inf`` for none).
    ridge : ndarray (m,) float64
        Added to the diagonal of Q.
    tol : float
        Stopping tolerance on the maximal KKT violation.
    shrinking : bool
    max_iter : int, optional
        Default ``max(10**7, 100 m)``.

    Returns
    -------
    alpha : ndarray (m,)
        The dual solution, in variable order.
    rho : float
        Offset: the decision value is ``sum_v y_v alpha_v K(x_point[v], x) - rho``.
    n_iter : int

    Examples
    --------
    >>> import numpy as np
    >>> K = np.array([[1.0, -1.0], [-1.0, 1.0]], dtype=np.float32)
    >>> alpha, rho, _ = solve(K, np.ones(2), [0, 1], [1, -1], -np.ones(2), np.full(2, 10.0),
    ...                       np.zeros(2))
    >>> alpha.round(6).tolist(), round(rho, 6)
    ([0.5, 0.5], 0.0)
    """
    m = len(lin)
    point = np.asarray(point, dtype=np.int64)
    QD = np.asarray(Kdiag, dtype=np.float64)[point] + np.asarray(ridge, dtype=np.float64)
    st = _State(K32, point, y, lin, upper, ridge, QD)
    if max_iter is None:
        max_iter = max(10_000_000, 100 * m)
    counter = min(m, 1000) + 1
    unshrunk = False
    n_iter = 0
    while n_iter < max_iter:
        counter -= 1
        if counter == 0:
            counter = min(m, 1000)
            if shrinking:
                unshrunk = st.shrink(tol, unshrunk)
        pick = st.select(tol)
        if pick is None:
            st.reconstruct_gradient()
            st.active = m
            pick = st.select(tol)
            if pick is None:
                break
            counter = 1
        n_iter += 1
        st.take_step(*pick)
    else:
        st.reconstruct_gradient()
        st.active = m
    rho = st.rho()
    alpha = np.empty(m)
    alpha[st.perm] = st.alpha
    return alpha, rho, n_iter
