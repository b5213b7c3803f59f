"""Compiled SMO solver of the hint-SVM dual.

Readable definition: ``fastal.query_strategies._hintsvm_reference.solve``;
this module takes the same steps in the same order (working-set selection,
pair update, shrinking, gradient reconstruction, rho), so both backends reach
the same solution.  Kernel rows are computed on demand from the training rows
(double-precision sums in feature order, stored in single precision) and kept
in a least-recently-used cache of ``cache_size`` MB.  The loop runs without
the GIL; a pending Ctrl-C is noticed every ``min(m, 1000)`` iterations and
raised as KeyboardInterrupt.
"""
import numpy as np
from libc.math cimport exp, tanh, INFINITY
from libc.stdlib cimport free
from libc.stdint cimport int64_t

from fastal._core._common cimport (checked_malloc, stop_requested, raise_if_stopped,
                                   fastal_stop, fastal_stop_init)

cdef double TAU = 1e-12
cdef enum:
    LOWER = 0
    UPPER = 1
    FREE = 2
cdef enum:
    K_LINEAR = 0
    K_POLY = 1
    K_RBF = 2
    K_SIGMOID = 3


cdef struct Solver:
    Py_ssize_t m          # dual variables
    Py_ssize_t l          # training rows
    Py_ssize_t d          # features
    Py_ssize_t active     # variables in positions [0, active) are optimised
    const double* X
    double* xsq
    int kernel
    int degree
    double gamma
    double coef0
    # per position (swapped together by shrinking)
    Py_ssize_t* pt
    Py_ssize_t* perm
    double* y
    double* lin
    double* up
    double* ridge
    double* QD
    double* alpha
    double* G
    double* Gbar
    char* status
    # kernel row cache (least recently used first out)
    float* pool
    Py_ssize_t* slot
    Py_ssize_t* prev
    Py_ssize_t* nxt
    Py_ssize_t head
    Py_ssize_t tail
    Py_ssize_t n_cached
    Py_ssize_t max_cached
    # Q row buffers
    float* bi
    float* bj
    float* bf


cdef inline double _powi(double base, int times) noexcept nogil:
    cdef double tmp = base, ret = 1.0
    cdef int t = times
    while t > 0:
        if t % 2 == 1:
            ret *= tmp
        tmp = tmp * tmp
        t = t // 2
    return ret


cdef inline double _dot(Solver* s, Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    cdef const double* xa = s.X + a * s.d
    cdef const double* xb = s.X + b * s.d
    cdef double acc = 0.0
    cdef Py_ssize_t k
    for k in range(s.d):
        acc += xa[k] * xb[k]
    return acc


cdef inline double _kernel(Solver* s, Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    cdef double dot = _dot(s, a, b)
    if s.kernel == K_LINEAR:
        return dot
    if s.kernel == K_POLY:
        return _powi(s.gamma * dot + s.coef0, s.degree)
    if s.kernel == K_RBF:
        return exp(-s.gamma * (s.xsq[a] + s.xsq[b] - 2 * dot))
    return tanh(s.gamma * dot + s.coef0)


cdef inline void _unlink(Solver* s, Py_ssize_t r) noexcept nogil:
    if s.prev[r] >= 0:
        s.nxt[s.prev[r]] = s.nxt[r]
    else:
        s.head = s.nxt[r]
    if s.nxt[r] >= 0:
        s.prev[s.nxt[r]] = s.prev[r]
    else:
        s.tail = s.prev[r]


cdef inline void _push_front(Solver* s, Py_ssize_t r) noexcept nogil:
    s.prev[r] = -1
    s.nxt[r] = s.head
    if s.head >= 0:
        s.prev[s.head] = r
    s.head = r
    if s.tail < 0:
        s.tail = r


cdef float* _kernel_row(Solver* s, Py_ssize_t r) noexcept nogil:
    """``K(x_r, x_c)`` for every training row c, single precision (cached)."""
    cdef Py_ssize_t c, k
    cdef float* row
    if s.slot[r] >= 0:
        if s.head != r:
            _unlink(s, r)
            _push_front(s, r)
        return s.pool + s.slot[r] * s.l
    if s.n_cached < s.max_cached:
        k = s.n_cached
        s.n_cached += 1
    else:
        c = s.tail
        k = s.slot[c]
        s.slot[c] = -1
        _unlink(s, c)
    s.slot[r] = k
    _push_front(s, r)
    row = s.pool + k * s.l
    for c in range(s.l):
        row[c] = <float> _kernel(s, r, c)
    return row


cdef void _q_row(Solver* s, Py_ssize_t i, Py_ssize_t length, float* out) noexcept nogil:
    """``Q[i, 0:length]`` in position order."""
    cdef float* K = _kernel_row(s, s.pt[i])
    cdef double yi = s.y[i]
    cdef Py_ssize_t j
    for j in range(length):
        if s.y[j] == yi:
            out[j] = K[s.pt[j]]
        else:
            out[j] = -K[s.pt[j]]
    if s.ridge[i] != 0.0 and i < length:
        out[i] = <float> (<double> out[i] + s.ridge[i])


cdef inline void _set_status(Solver* s, Py_ssize_t i) noexcept nogil:
    if s.alpha[i] >= s.up[i]:
        s.status[i] = UPPER
    elif s.alpha[i] <= 0:
        s.status[i] = LOWER
    else:
        s.status[i] = FREE


cdef inline bint _in_up(Solver* s, Py_ssize_t t) noexcept nogil:
    if s.y[t] > 0:
        return s.status[t] != UPPER
    return s.status[t] != LOWER


cdef inline bint _in_low(Solver* s, Py_ssize_t t) noexcept nogil:
    if s.y[t] > 0:
        return s.status[t] != LOWER
    return s.status[t] != UPPER


cdef inline void _swap(Solver* s, Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    s.pt[a], s.pt[b] = s.pt[b], s.pt[a]
    s.perm[a], s.perm[b] = s.perm[b], s.perm[a]
    s.y[a], s.y[b] = s.y[b], s.y[a]
    s.lin[a], s.lin[b] = s.lin[b], s.lin[a]
    s.up[a], s.up[b] = s.up[b], s.up[a]
    s.ridge[a], s.ridge[b] = s.ridge[b], s.ridge[a]
    s.QD[a], s.QD[b] = s.QD[b], s.QD[a]
    s.alpha[a], s.alpha[b] = s.alpha[b], s.alpha[a]
    s.status[a], s.status[b] = s.status[b], s.status[a]
    s.G[a], s.G[b] = s.G[b], s.G[a]
    s.Gbar[a], s.Gbar[b] = s.Gbar[b], s.Gbar[a]


cdef int _select(Solver* s, double tol, Py_ssize_t* out_i, Py_ssize_t* out_j) noexcept nogil:
    """Second-order working pair; 1 when the active variables are optimal."""
    cdef Py_ssize_t n = s.active, t, i = -1, j = -1
    cdef double gmax = -INFINITY, gmax2 = -INFINITY, best = INFINITY
    cdef double v, b, q, obj, yi = 0.0
    for t in range(n):
        if _in_up(s, t):
            v = -s.y[t] * s.G[t]
            if v >= gmax:
                gmax = v
                i = t
    if i != -1:
        _q_row(s, i, n, s.bi)
        yi = s.y[i]
    for t in range(n):
        if _in_low(s, t):
            v = s.y[t] * s.G[t]
            if v >= gmax2:
                gmax2 = v
            b = gmax + v
            if b > 0:
                if s.y[t] > 0:
                    q = s.QD[i] + s.QD[t] - 2.0 * yi * s.bi[t]
                else:
                    q = s.QD[i] + s.QD[t] + 2.0 * yi * s.bi[t]
                if q > 0:
                    obj = -(b * b) / q
                else:
                    obj = -(b * b) / TAU
                if obj <= best:
                    best = obj
                    j = t
    if gmax + gmax2 < tol:
        return 1
    out_i[0] = i
    out_j[0] = j
    return 0


cdef void _step(Solver* s, Py_ssize_t i, Py_ssize_t j) noexcept nogil:
    """Move the pair (i, j) to the minimum on its line, clipped; update G and Gbar."""
    cdef Py_ssize_t n = s.active, k
    cdef double Ci = s.up[i], Cj = s.up[j]
    cdef double old_i = s.alpha[i], old_j = s.alpha[j]
    cdef double ai = old_i, aj = old_j, q, delta, diff, total, di, dj
    cdef bint was_i, was_j
    _q_row(s, j, n, s.bj)
    if s.y[i] != s.y[j]:
        q = s.QD[i] + s.QD[j] + 2 * s.bi[j]
        if q <= 0:
            q = TAU
        delta = (-s.G[i] - s.G[j]) / q
        diff = ai - aj
        ai += delta
        aj += delta
        if diff > 0:
            if aj < 0:
                aj = 0
                ai = diff
        else:
            if ai < 0:
                ai = 0
                aj = -diff
        if diff > Ci - Cj:
            if ai > Ci:
                ai = Ci
                aj = Ci - diff
        else:
            if aj > Cj:
                aj = Cj
                ai = Cj + diff
    else:
        q = s.QD[i] + s.QD[j] - 2 * s.bi[j]
        if q <= 0:
            q = TAU
        delta = (s.G[i] - s.G[j]) / q
        total = ai + aj
        ai -= delta
        aj += delta
        if total > Ci:
            if ai > Ci:
                ai = Ci
                aj = total - Ci
        else:
            if aj < 0:
                aj = 0
                ai = total
        if total > Cj:
            if aj > Cj:
                aj = Cj
                ai = total - Cj
        else:
            if ai < 0:
                ai = 0
                aj = total
    s.alpha[i] = ai
    s.alpha[j] = aj
    di = ai - old_i
    dj = aj - old_j
    for k in range(n):
        s.G[k] += s.bi[k] * di + s.bj[k] * dj
    was_i = s.status[i] == UPPER
    was_j = s.status[j] == UPPER
    _set_status(s, i)
    _set_status(s, j)
    if was_i != (s.status[i] == UPPER):
        _q_row(s, i, s.m, s.bf)
        if was_i:
            for k in range(s.m):
                s.Gbar[k] -= Ci * s.bf[k]
        else:
            for k in range(s.m):
                s.Gbar[k] += Ci * s.bf[k]
    if was_j != (s.status[j] == UPPER):
        _q_row(s, j, s.m, s.bf)
        if was_j:
            for k in range(s.m):
                s.Gbar[k] -= Cj * s.bf[k]
        else:
            for k in range(s.m):
                s.Gbar[k] += Cj * s.bf[k]


cdef void _reconstruct(Solver* s) noexcept nogil:
    """Gradient of the set-aside variables from Gbar and the free active ones."""
    cdef Py_ssize_t n = s.active, m = s.m, i, j, n_free = 0
    cdef double acc
    if n == m:
        return
    for j in range(n, m):
        s.G[j] = s.Gbar[j] + s.lin[j]
    for j in range(n):
        if s.status[j] == FREE:
            n_free += 1
    if n_free * m > 2 * n * (m - n):
        # rows of the set-aside variables (fewer entries to compute)
        for i in range(n, m):
            _q_row(s, i, n, s.bf)
            acc = s.G[i]
            for j in range(n):
                if s.status[j] == FREE:
                    acc += s.alpha[j] * s.bf[j]
            s.G[i] = acc
    else:
        for i in range(n):
            if s.status[i] == FREE:
                _q_row(s, i, m, s.bf)
                for j in range(n, m):
                    s.G[j] += s.alpha[i] * s.bf[j]


cdef inline bint _shrinkable(Solver* s, Py_ssize_t i, double g1, double g2) noexcept nogil:
    if s.status[i] == UPPER:
        if s.y[i] > 0:
            return -s.G[i] > g1
        return -s.G[i] > g2
    if s.status[i] == LOWER:
        if s.y[i] > 0:
            return s.G[i] > g2
        return s.G[i] > g1
    return False


cdef bint _shrink(Solver* s, double tol, bint unshrunk) noexcept nogil:
    cdef Py_ssize_t i, n = s.active
    cdef double g1 = -INFINITY, g2 = -INFINITY, v
    for i in range(n):
        v = s.y[i] * s.G[i]
        if _in_up(s, i) and -v >= g1:
            g1 = -v
        if _in_low(s, i) and v >= g2:
            g2 = v
    if not unshrunk and g1 + g2 <= tol * 10:
        unshrunk = True
        _reconstruct(s)
        s.active = s.m
    i = 0
    while i < s.active:
        if _shrinkable(s, i, g1, g2):
            s.active -= 1
            while s.active > i:
                if not _shrinkable(s, s.active, g1, g2):
                    _swap(s, i, s.active)
                    break
                s.active -= 1
        i += 1
    return unshrunk


cdef double _rho(Solver* s) noexcept nogil:
    cdef Py_ssize_t i, n_free = 0
    cdef double ub = INFINITY, lb = -INFINITY, total = 0.0, yG
    for i in range(s.active):
        yG = s.y[i] * s.G[i]
        if s.status[i] == UPPER:
            if s.y[i] < 0:
                ub = min(ub, yG)
            else:
                lb = max(lb, yG)
        elif s.status[i] == LOWER:
            if s.y[i] > 0:
                ub = min(ub, yG)
            else:
                lb = max(lb, yG)
        else:
            n_free += 1
            total += yG
    if n_free > 0:
        return total / n_free
    return (ub + lb) / 2


def solve(const double[:, ::1] X, int kernel, int degree, double gamma, double coef0,
          const int64_t[::1] point, const double[::1] y, const double[::1] lin,
          const double[::1] upper, const double[::1] ridge, double tol, int shrinking,
          double cache_size):
    """Solve the hint-SVM dual; same arguments and results as the NumPy definition.

    Parameters
    ----------
    X : ndarray (l, d) float64, C order
        Training rows.
    kernel : int
        0 linear, 1 poly, 2 rbf, 3 sigmoid.
    degree, gamma, coef0 : kernel parameters
    point : ndarray (m,) int64
        Row of X of each dual variable.
    y, lin, upper, ridge : ndarray (m,) float64
        Signs (+1/-1), linear term, upper bounds (inf allowed), diagonal ridge.
    tol : float
        Stopping tolerance on the maximal KKT violation.
    shrinking : int
        Nonzero: set aside bounded variables.
    cache_size : float
        Kernel cache, MB.

    Returns
    -------
    (alpha ndarray (m,), rho float, n_iter int)
    """
    cdef Solver s
    cdef Py_ssize_t m = y.shape[0], l = X.shape[0], i, j, t
    cdef long long n_iter = 0, max_iter
    cdef Py_ssize_t counter
    cdef bint unshrunk = False, done
    cdef fastal_stop stop
    fastal_stop_init(&stop)
    cdef double rho = 0.0
    if point.shape[0] != m or lin.shape[0] != m or upper.shape[0] != m or ridge.shape[0] != m:
        raise ValueError("point, y, lin, upper and ridge must have one entry per dual variable")
    if kernel < 0 or kernel > 3:
        raise ValueError(f"unknown kernel code {kernel}")
    for t in range(m):
        if point[t] < 0 or point[t] >= l:
            raise ValueError(f"point[{t}] = {point[t]} is not a row of X ({l} rows)")
    alpha_out = np.zeros(m, dtype=np.float64)
    if m == 0:
        return alpha_out, 0.0, 0
    cdef double[::1] a_out = alpha_out
    s.m = m
    s.l = l
    s.d = X.shape[1]
    s.X = &X[0, 0]
    s.kernel = kernel
    s.degree = degree
    s.gamma = gamma
    s.coef0 = coef0
    s.max_cached = <Py_ssize_t> (cache_size * (1 << 20) / (4.0 * l))
    s.max_cached = max(2, min(l, s.max_cached))
    s.xsq = NULL
    s.pt = NULL
    s.perm = NULL
    s.y = NULL
    s.status = NULL
    s.pool = NULL
    s.slot = NULL
    s.bi = NULL
    try:
        s.xsq = <double*> checked_malloc(l * sizeof(double))
        s.pt = <Py_ssize_t*> checked_malloc(2 * m * sizeof(Py_ssize_t))
        s.perm = s.pt + m
        s.y = <double*> checked_malloc(9 * m * sizeof(double))
        s.lin = s.y + m
        s.up = s.y + 2 * m
        s.ridge = s.y + 3 * m
        s.QD = s.y + 4 * m
        s.alpha = s.y + 5 * m
        s.G = s.y + 6 * m
        s.Gbar = s.y + 7 * m
        s.status = <char*> checked_malloc(m * sizeof(char))
        s.pool = <float*> checked_malloc(s.max_cached * l * sizeof(float))
        s.slot = <Py_ssize_t*> checked_malloc(3 * l * sizeof(Py_ssize_t))
        s.prev = s.slot + l
        s.nxt = s.slot + 2 * l
        s.bi = <float*> checked_malloc(3 * m * sizeof(float))
        s.bj = s.bi + m
        s.bf = s.bi + 2 * m
        with nogil:
            s.head = -1
            s.tail = -1
            s.n_cached = 0
            for i in range(l):
                s.slot[i] = -1
                s.xsq[i] = _dot(&s, i, i) if kernel == K_RBF else 0.0
            for t in range(m):
                s.pt[t] = point[t]
                s.perm[t] = t
                s.y[t] = y[t]
                s.lin[t] = lin[t]
                s.up[t] = upper[t]
                s.ridge[t] = ridge[t]
                s.QD[t] = _kernel(&s, point[t], point[t]) + ridge[t]
                s.alpha[t] = 0.0
                s.G[t] = lin[t]
                s.Gbar[t] = 0.0
                _set_status(&s, t)
            s.active = m
            max_iter = max(<long long> 10000000, 100 * <long long> m)
            counter = min(m, <Py_ssize_t> 1000) + 1
            while n_iter < max_iter:
                counter -= 1
                if counter == 0:
                    counter = min(m, <Py_ssize_t> 1000)
                    if stop_requested(&stop):
                        break
                    if shrinking:
                        unshrunk = _shrink(&s, tol, unshrunk)
                if _select(&s, tol, &i, &j):
                    _reconstruct(&s)
                    s.active = m
                    if _select(&s, tol, &i, &j):
                        break
                    counter = 1
                n_iter += 1
                _step(&s, i, j)
            if not stop.flag:
                if s.active < m:
                    _reconstruct(&s)
                    s.active = m
                rho = _rho(&s)
                for t in range(m):
                    a_out[s.perm[t]] = s.alpha[t]
        raise_if_stopped(&stop)
    finally:
        free(s.xsq)
        free(s.pt)
        free(s.y)
        free(s.status)
        free(s.pool)
        free(s.slot)
        free(s.bi)
    return alpha_out, rho, n_iter
