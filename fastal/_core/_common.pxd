# Inline helpers shared by the compiled kernels: distances, packing, GEMM,
# workspace allocation and interruption.
#
# Conventions (the readable statement of each is in fastal._core._reference):
# * euclidean rows arrive in fastal.kernels' scaled frame (largest |value| at
#   most 2**480), so squared sums never overflow; a squared sum below 2**-960
#   is recomputed with a per-pair power-of-two scale (robust_euclidean) and
#   kept as an order-preserving negative "key" (euclidean_key / key_to_distance).
# * cosine rows arrive as canonical unit rows: the distance is 1 - dot,
#   clipped to [0, 2].
# * nothing here may fail: workspace comes from checked_malloc (MemoryError)
#   before the nogil loops start, and a pending signal is turned into a stop
#   flag that the kernel raises after its threads have joined.
from cython cimport floating
from libc.math cimport sqrt, fabs, frexp, ldexp, INFINITY
from libc.stdlib cimport malloc
from scipy.linalg.cython_blas cimport dgemm, sgemm

cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    #define FASTAL_HAVE_OPENMP 1
    #else
    #define FASTAL_HAVE_OPENMP 0
    static int omp_get_max_threads(void) { return 1; }
    static int omp_get_thread_num(void) { return 0; }
    #endif
    #if defined(_MSC_VER) && !defined(__clang__) && !defined(__cplusplus)
    #define FASTAL_INLINE __inline
    #else
    #define FASTAL_INLINE inline
    #endif
    /* Scratch blocks of 4 MB or more on 2 MB boundaries that Linux may back
       with transparent huge pages (a page fault per 2 MB rather than per
       4 KB, as NumPy asks for its large arrays); malloc otherwise.  Either
       is released with free(). */
    #if defined(__linux__)
    #include <sys/mman.h>
    #endif
    static void *fastal_alloc_large(size_t nbytes) {
    #if defined(__linux__) && defined(MADV_HUGEPAGE)
        const size_t huge = (size_t)2 << 20;
        if (nbytes >= 2 * huge) {
            void *p = NULL;
            size_t rounded = (nbytes + huge - 1) / huge * huge;
            if (posix_memalign(&p, huge, rounded) != 0)
                return NULL;
            madvise(p, rounded, MADV_HUGEPAGE);
            return p;
        }
    #endif
        return malloc(nbytes > 0 ? nbytes : 1);
    }
    #if defined(__GNUC__) || defined(__clang__)
    static FASTAL_INLINE int fastal_flag_get(const int *f) { return __atomic_load_n(f, __ATOMIC_RELAXED); }
    static FASTAL_INLINE void fastal_flag_set(int *f) { __atomic_store_n(f, 1, __ATOMIC_RELAXED); }
    #else
    static FASTAL_INLINE int fastal_flag_get(const int *f) { return *(const volatile int *)f; }
    static FASTAL_INLINE void fastal_flag_set(int *f) { *(volatile int *)f = 1; }
    #endif
    /* A kernel's stop state: the flag its threads watch, and the exception a
       signal handler raised, held (not pending) until the kernel re-raises it. */
    typedef struct { int flag; PyObject *type, *value, *tb; } fastal_stop;
    static FASTAL_INLINE void fastal_stop_init(fastal_stop *s) {
        s->flag = 0; s->type = NULL; s->value = NULL; s->tb = NULL;
    }
    /* with the GIL: run the signal handlers; 1 if one raised (exception kept in s) */
    static int fastal_stop_check(fastal_stop *s) {
        if (PyErr_CheckSignals() == 0) return 0;
        PyErr_Fetch(&s->type, &s->value, &s->tb);
        fastal_flag_set(&s->flag);
        return 1;
    }
    /* with the GIL: -1 with the held exception raised again, else 0 */
    static int fastal_stop_raise(fastal_stop *s) {
        if (!fastal_flag_get(&s->flag)) return 0;
        PyErr_Restore(s->type, s->value, s->tb);
        s->type = s->value = s->tb = NULL;
        return -1;
    }
    #if (defined(_MSC_VER) && !defined(__clang__)) || defined(FASTAL_PORTABLE_C)
    /* 2**-64 and 2**-960 as exact products, for compilers without hexadecimal floats */
    #define FASTAL_KEY_UNIT (1.0 / 18446744073709551616.0)
    #define FASTAL_POW2_M320 (FASTAL_KEY_UNIT * FASTAL_KEY_UNIT * FASTAL_KEY_UNIT * FASTAL_KEY_UNIT * FASTAL_KEY_UNIT)
    #define FASTAL_TINY (FASTAL_POW2_M320 * FASTAL_POW2_M320 * FASTAL_POW2_M320)
    #else
    #define FASTAL_TINY 0x1p-960
    #define FASTAL_KEY_UNIT 0x1p-64
    #endif
    """
    const double FASTAL_TINY
    const double FASTAL_KEY_UNIT
    void* fastal_alloc_large(size_t nbytes) noexcept nogil
    int FASTAL_HAVE_OPENMP
    int omp_get_max_threads() noexcept nogil
    int omp_get_thread_num() noexcept nogil
    int fastal_flag_get(const int* f) noexcept nogil
    void fastal_flag_set(int* f) noexcept nogil
    ctypedef struct fastal_stop:
        int flag
    void fastal_stop_init(fastal_stop* s) noexcept nogil
    int fastal_stop_check(fastal_stop* s) noexcept
    int fastal_stop_raise(fastal_stop* s) except -1

# Metric codes (fastal.kernels maps names to these).
cdef enum:
    EUCLIDEAN = 0
    MANHATTAN = 1
    COSINE = 2

# Squared euclidean sums below FASTAL_TINY = 2**-960 are recomputed by
# robust_euclidean; their keys are -(2**-64 / distance), below every squared sum.


# -- workspace and interruption ------------------------------------------------
cdef inline void* checked_malloc(size_t nbytes) except NULL:
    """malloc that raises MemoryError (naming the size) instead of returning NULL."""
    cdef void* p = malloc(nbytes if nbytes > 0 else 1)
    if p == NULL:
        raise MemoryError(f"fastal could not allocate {nbytes} bytes of kernel workspace")
    return p


cdef inline bint stop_requested(fastal_stop* stop) noexcept nogil:
    """True once the kernel must stop.

    Only OpenMP thread 0 -- the Python thread that called the kernel -- runs
    Python's signal handlers (a Ctrl-C raises KeyboardInterrupt there); the
    exception they raise is taken out of the thread (no Python code may run
    with it pending) and held in ``stop`` until raise_if_stopped, and the flag
    tells every other thread to skip its remaining work.
    """
    if fastal_flag_get(&stop.flag):
        return True
    if omp_get_thread_num() == 0:
        with gil:
            return fastal_stop_check(stop) != 0
    return False


cdef inline int raise_if_stopped(fastal_stop* stop) except -1:
    """Raise the held exception again (with the GIL, after the loops), else 0."""
    return fastal_stop_raise(stop)


# -- distances -----------------------------------------------------------------
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


cdef inline double robust_euclidean(const floating[:, :] A, Py_ssize_t i,
                                    const floating[:, :] B, Py_ssize_t j) noexcept nogil:
    """Euclidean distance with the differences scaled by a power of two first.

    With m = max |a_k - b_k| = f * 2**e (0.5 <= f < 1), the sum of
    ((a_k - b_k) * 2**-e)**2 lies in [0.25, d] and cannot underflow or
    overflow; the distance is sqrt of it times 2**e.
    """
    cdef Py_ssize_t k, d = A.shape[1]
    cdef double m = 0.0, t, s = 0.0, p
    cdef int e
    for k in range(d):
        t = fabs(<double>A[i, k] - <double>B[j, k])
        if t > m:
            m = t
    if m == 0.0:
        return 0.0
    frexp(m, &e)
    p = ldexp(1.0, -e)
    for k in range(d):
        t = (<double>A[i, k] - <double>B[j, k]) * p
        s = s + t * t
    return ldexp(sqrt(s), e)


cdef inline double euclidean_key(double raw, const floating[:, :] A, Py_ssize_t i,
                                 const floating[:, :] B, Py_ssize_t j) noexcept nogil:
    """Order-preserving key of a euclidean pair from its squared sum ``raw``.

    raw >= FASTAL_TINY: raw itself.  Below (it may have underflowed): the
    distance D is recomputed with robust_euclidean and the key is
    -(2**-64 / D), negative and increasing with D (-inf for D = 0), so it
    orders below every squared sum without underflowing.
    """
    cdef double dist
    if raw >= FASTAL_TINY:
        return raw
    dist = robust_euclidean(A, i, B, j)
    if dist > 0.0:
        return -(FASTAL_KEY_UNIT / dist)
    return -INFINITY


cdef inline double key_to_distance(double key) noexcept nogil:
    """The euclidean distance a key stands for."""
    if key >= 0.0:
        return sqrt(key)
    if key == -INFINITY:
        return 0.0
    return FASTAL_KEY_UNIT / (-key)


cdef inline double cosine_from_dot(double dot) noexcept nogil:
    """1 - dot of two unit rows, clipped to [0, 2] (a zero row gives 1)."""
    cdef double c = 1.0 - dot
    if c < 0.0:
        return 0.0
    if c > 2.0:
        return 2.0
    return c


cdef inline double pair_key(double raw, const floating[:, :] A, Py_ssize_t i,
                            const floating[:, :] B, Py_ssize_t j, int metric) noexcept nogil:
    """Ranking key from a raw accumulation: euclidean key, manhattan/cosine distance."""
    if metric == EUCLIDEAN:
        return euclidean_key(raw, A, i, B, j)
    if metric == MANHATTAN:
        return raw
    return cosine_from_dot(raw)


cdef inline double key_distance(double key, int metric) noexcept nogil:
    if metric == EUCLIDEAN:
        return key_to_distance(key)
    return key


cdef inline double pair_distance(const floating[:, :] A, Py_ssize_t i,
                                 const floating[:, :] B, Py_ssize_t j, int metric) noexcept nogil:
    """The distance of one pair, exactly as the twin's ``distances`` computes it."""
    return key_distance(pair_key(raw_pair(A, i, B, j, metric), A, i, B, j, metric), metric)


# -- packing and blocked products ------------------------------------------------
# Values multiplied in float32 stay within 2**SINGLE_EXPONENT (no square or
# product of them overflows float32).  The float32 density path asks more of its
# rows (single_precision_fits: the largest |value| also at least
# 2**-SINGLE_EXPONENT, as its values are not rechecked); the minimum distance
# checks the bound block by block while packing (pack_rows_single).
cdef enum:
    SINGLE_EXPONENT = 40


cdef inline bint single_precision_fits(X, Y):
    """Whether the rows X and Y (non-empty) are within the range of the float32
    density path."""
    if not (X.shape[0] and Y.shape[0]):
        return False
    peak = max(float(X.max()), -float(X.min()), float(Y.max()), -float(Y.min()))  # no |X| copy
    return peak == 0.0 or 2.0 ** -SINGLE_EXPONENT <= peak <= 2.0 ** SINGLE_EXPONENT


cdef inline void pack_transposed(const floating[:, :] B, Py_ssize_t j0, Py_ssize_t bj,
                                 double* RT) noexcept nogil:
    """RT[k * bj + c] = B[j0 + c, k]: a column block laid out feature-major."""
    cdef Py_ssize_t c, k, d = B.shape[1]
    for c in range(bj):
        for k in range(d):
            RT[k * bj + c] = <double>B[j0 + c, k]


cdef extern from "_simd.h" nogil:
    void fastal_block_raw_ld(const double* x, const double* RT, Py_ssize_t ld, Py_ssize_t d,
                             Py_ssize_t bj, int metric, double* out)
    void fastal_block_raw(const double* x, const double* RT, Py_ssize_t d, Py_ssize_t bj,
                          int metric, double* out)
    Py_ssize_t fastal_density_row(double* g, double sa, const double* sb, Py_ssize_t c0,
                                  Py_ssize_t nb, int mode, int transform, double scale,
                                  double recheck, double tiny, double* v, double* col_acc,
                                  double* row_sum)
    Py_ssize_t fastal_density_row_single(float* g, float sa, const float* sb, Py_ssize_t c0,
                                         Py_ssize_t nb, float recheck, float* v,
                                         double* col_acc, double* row_sum)
    int fastal_use_avx512(int on)
    double fastal_min_row(double* g, double sa, const double* sb, Py_ssize_t nb)
    float fastal_min_row_single(float* g, float sa, const float* sb, Py_ssize_t nb)
    int fastal_value_range(const double* x, Py_ssize_t n, double* lo, double* hi)
    Py_ssize_t fastal_candidates(const double* g, Py_ssize_t nb, double thr, Py_ssize_t* idx)
    Py_ssize_t fastal_candidates_single(const float* g, Py_ssize_t nb, float thr, Py_ssize_t* idx)
    int fastal_value_range_single(const float* x, Py_ssize_t n, double* lo, double* hi)
    Py_ssize_t fastal_filter_row(double* g, double sa, const double* sb, double thr_row,
                                 const double* thr_col, Py_ssize_t c0, Py_ssize_t nb, int metric)
    double fastal_pack_row_single(const double* a, const double* center, Py_ssize_t d,
                                  float* out, double* peak)
    double fastal_pack_row_single_from_single(const float* a, const double* center,
                                              Py_ssize_t d, float* out, double* peak)


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


cdef inline double pack_rows_single(const floating[:, :] A, Py_ssize_t i0, Py_ssize_t bi,
                                    const double* center, float* P, float* sqnorm) noexcept nogil:
    """pack_rows in float32: P[r, :] = A[i0 + r, :] - center rounded to float, and
    sqnorm[r] = |P[r]|^2 summed in double (in any order), then rounded.  Returns
    the largest |A[i0 + r, k] - center[k]| (before rounding)."""
    cdef Py_ssize_t r, k, d = A.shape[1]
    cdef float v
    cdef double s, w, peak = 0.0
    if A.strides[1] == sizeof(floating):        # rows in contiguous memory: vectorised
        for r in range(bi):
            if floating is double:
                s = fastal_pack_row_single(&A[i0 + r, 0], center, d, P + r * d, &peak)
            else:
                s = fastal_pack_row_single_from_single(&A[i0 + r, 0], center, d, P + r * d,
                                                       &peak)
            sqnorm[r] = <float>s
        return peak
    for r in range(bi):
        s = 0.0
        for k in range(d):
            w = <double>A[i0 + r, k] - center[k]
            peak = max(peak, fabs(w))
            v = <float>w
            P[r * d + k] = v
            s = s + <double>v * <double>v
        sqnorm[r] = <float>s
    return peak


cdef inline void gemm_abt_single(float* A, float* B, float* C, int ma, int mb,
                                 int d) noexcept nogil:
    """gemm_abt in float32."""
    cdef char ta = b'T'
    cdef char tb = b'N'
    cdef float one = 1.0
    cdef float zero = 0.0
    sgemm(&ta, &tb, &mb, &ma, &d, &one, B, &d, A, &d, &zero, C, &mb)


cdef inline void gemm_abt(double* A, double* B, double* C, int ma, int mb, int d) noexcept nogil:
    """C (ma x mb, row-major) = A (ma x d, row-major) . B (mb x d, row-major)^T."""
    cdef char ta = b'T'
    cdef char tb = b'N'
    cdef double one = 1.0
    cdef double zero = 0.0
    # Column-major view: C^T (mb x ma) = B (mb x d) . A^T (d x ma).
    dgemm(&ta, &tb, &mb, &ma, &d, &one, B, &d, A, &d, &zero, C, &mb)
