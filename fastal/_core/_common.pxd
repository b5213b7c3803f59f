# Inline helpers shared by the compiled kernels (distance loops, packing, GEMM).
# Everything here runs without the GIL and without bounds checks; callers
# validate shapes and dtypes at the Python boundary (fastal.kernels).
from cython cimport floating
from libc.math cimport sqrt, fabs
from scipy.linalg.cython_blas cimport dgemm

cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    #define FASTAL_HAVE_OPENMP 1
    #else
    #define FASTAL_HAVE_OPENMP 0
    static int omp_get_max_threads(void) { return 1; }
    #endif
    """
    int FASTAL_HAVE_OPENMP
    int omp_get_max_threads() noexcept nogil

# Metric codes (fastal.kernels maps names to these).
cdef enum:
    EUCLIDEAN = 0
    MANHATTAN = 1
    COSINE = 2


cdef inline double cosine_distance_from_dot(double dot, double na, double nb) noexcept nogil:
    """1 - cos(a, b) clipped to [0, 2]; a zero row has similarity 0 (distance 1)."""
    cdef double c
    if na == 0.0 or nb == 0.0:
        return 1.0
    c = 1.0 - dot / (na * nb)
    if c < 0.0:
        return 0.0
    if c > 2.0:
        return 2.0
    return c


cdef inline double raw_pair(const floating[:, :] A, Py_ssize_t i,
                            const floating[:, :] B, Py_ssize_t j, int metric) noexcept nogil:
    """Sequential accumulation over features, in double precision.

    euclidean: squared distance; manhattan: distance; cosine: dot product.
    """
    cdef Py_ssize_t k, d = A.shape[1]
    cdef double s = 0.0, t
    if metric == EUCLIDEAN:
        for k in range(d):
            t = <double>A[i, k] - <double>B[j, k]
            s = s + t * t
    elif metric == MANHATTAN:
        for k in range(d):
            s = s + fabs(<double>A[i, k] - <double>B[j, k])
    else:
        for k in range(d):
            s = s + <double>A[i, k] * <double>B[j, k]
    return s


cdef inline double finish_distance(double raw, int metric, double na, double nb) noexcept nogil:
    """Turn a raw accumulation (see raw_pair) into the distance."""
    if metric == EUCLIDEAN:
        return sqrt(raw)
    if metric == MANHATTAN:
        return raw
    return cosine_distance_from_dot(raw, na, nb)


cdef inline double row_norm(const floating[:, :] A, Py_ssize_t i) noexcept nogil:
    cdef Py_ssize_t k
    cdef double s = 0.0
    for k in range(A.shape[1]):
        s = s + <double>A[i, k] * <double>A[i, k]
    return sqrt(s)


cdef inline void pack_transposed(const floating[:, :] B, Py_ssize_t j0, Py_ssize_t bj,
                                 double* RT) noexcept nogil:
    """RT[k * bj + c] = B[j0 + c, k]: a column block laid out feature-major."""
    cdef Py_ssize_t c, k, d = B.shape[1]
    for c in range(bj):
        for k in range(d):
            RT[k * bj + c] = <double>B[j0 + c, k]


cdef extern from "_simd.h" nogil:
    void fastal_block_raw(const double* x, const double* RT, Py_ssize_t d, Py_ssize_t bj,
                          int metric, double* out)


cdef inline void pack_row(const floating[:, :] A, Py_ssize_t i, double* out) noexcept nogil:
    """out[k] = A[i, k] as double."""
    cdef Py_ssize_t k
    for k in range(A.shape[1]):
        out[k] = <double>A[i, k]


cdef inline void raw_row_vs_block(const floating[:, :] A, Py_ssize_t i, const double* RT,
                                  Py_ssize_t bj, int metric, double* buf, double* xrow) noexcept nogil:
    """buf[c] = raw_pair(A[i], block row c), summed over features in order.

    xrow is scratch space for the row (n_features doubles).  The sums run over
    the features in order for every c, exactly as raw_pair does for one pair;
    the vectorisation (fastal_block_raw) is across c.
    """
    pack_row(A, i, xrow)
    fastal_block_raw(xrow, RT, A.shape[1], bj, metric, buf)


cdef inline void pack_rows(const floating[:, :] A, Py_ssize_t i0, Py_ssize_t bi,
                           const double* center, double* P, double* sqnorm) noexcept nogil:
    """P[r, :] = A[i0 + r, :] - center (row-major, double); sqnorm[r] = |P[r]|^2.

    center may be NULL (no shift).
    """
    cdef Py_ssize_t r, k, d = A.shape[1]
    cdef double v, s
    for r in range(bi):
        s = 0.0
        for k in range(d):
            v = <double>A[i0 + r, k]
            if center != NULL:
                v = v - center[k]
            P[r * d + k] = v
            s = s + v * v
        sqnorm[r] = s


cdef inline void gemm_abt(double* A, double* B, double* C, int ma, int mb, int d) noexcept nogil:
    """C (ma x mb, row-major) = A (ma x d, row-major) . B (mb x d, row-major)^T."""
    cdef char ta = b'T'
    cdef char tb = b'N'
    cdef double one = 1.0
    cdef double zero = 0.0
    # Column-major view: C^T (mb x ma) = B (mb x d) . A^T (d x ma).
    dgemm(&ta, &tb, &mb, &ma, &d, &one, B, &d, A, &d, &zero, C, &mb)
