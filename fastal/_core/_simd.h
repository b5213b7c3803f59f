/* Hot loop of fastal's direct (non-matrix-product) distance kernels.
 *
 * fastal_block_raw_ld(x, RT, ld, d, bj, metric, out):
 *     out[c] = sum over k = 0..d-1, in this order, of f(x[k], RT[k*ld + c]), c < bj
 * (fastal_block_raw: ld = bj)
 *     f = (x - r)^2 (metric 0), |x - r| (metric 1), x * r (metric 2).
 *
 * Each out[c] is accumulated feature by feature exactly as a scalar loop
 * would, so the results are bitwise those of the NumPy/SciPy twin; the
 * vectorisation is across columns c (16 at a time, in registers).  GCC builds
 * an AVX2 clone next to the portable one and picks at load time; no FMA is
 * enabled, so no product is fused into a sum.
 *
 * Compilers without GCC's vector extensions (MSVC), or any compiler given
 * -DFASTAL_PORTABLE_C, get plain C loops instead that add the same terms in
 * the same order, so they return the same bits.
 */
#ifndef FASTAL_SIMD_H
#define FASTAL_SIMD_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <math.h>

#if (defined(__GNUC__) || defined(__clang__)) && !defined(FASTAL_PORTABLE_C)
#define FASTAL_VECTOR_EXT 1
#else
#define FASTAL_VECTOR_EXT 0
#endif

#if defined(_MSC_VER) && !defined(__clang__) && !defined(__cplusplus)
#define FASTAL_SIMD_INLINE __inline
#else
#define FASTAL_SIMD_INLINE inline
#endif

#if FASTAL_VECTOR_EXT && defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) \
    && !defined(FASTAL_NO_CLONES)
#define FASTAL_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define FASTAL_CLONES
#endif

#if FASTAL_VECTOR_EXT

typedef double fastal_v4d __attribute__((vector_size(32)));
typedef int64_t fastal_v4i __attribute__((vector_size(32)));
typedef float fastal_v8f __attribute__((vector_size(32)));
typedef int32_t fastal_v8i __attribute__((vector_size(32)));

static inline fastal_v4d fastal_load4(const double *p) {
    fastal_v4d v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void fastal_store4(double *p, fastal_v4d v) { memcpy(p, &v, sizeof v); }

static inline fastal_v4d fastal_abs4(fastal_v4d v) {
    const fastal_v4i mask = {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX};
    return (fastal_v4d)((fastal_v4i)v & mask);
}

#define FASTAL_BLOCK_LOOP(OP)                                                   \
    for (; c + 16 <= bj; c += 16) {                                             \
        fastal_v4d a0 = {0, 0, 0, 0}, a1 = a0, a2 = a0, a3 = a0;                \
        const double *rt = RT + c;                                              \
        for (k = 0; k < d; ++k, rt += ld) {                                     \
            const double s = x[k];                                              \
            const fastal_v4d xv = {s, s, s, s};                                 \
            fastal_v4d r0 = fastal_load4(rt), r1 = fastal_load4(rt + 4);        \
            fastal_v4d r2 = fastal_load4(rt + 8), r3 = fastal_load4(rt + 12);   \
            OP(a0, r0); OP(a1, r1); OP(a2, r2); OP(a3, r3);                     \
        }                                                                       \
        fastal_store4(out + c, a0); fastal_store4(out + c + 4, a1);             \
        fastal_store4(out + c + 8, a2); fastal_store4(out + c + 12, a3);        \
    }                                                                           \
    for (; c + 4 <= bj; c += 4) {                                               \
        fastal_v4d a0 = {0, 0, 0, 0};                                           \
        const double *rt = RT + c;                                              \
        for (k = 0; k < d; ++k, rt += ld) {                                     \
            const double s = x[k];                                              \
            const fastal_v4d xv = {s, s, s, s};                                 \
            fastal_v4d r0 = fastal_load4(rt);                                   \
            OP(a0, r0);                                                         \
        }                                                                       \
        fastal_store4(out + c, a0);                                             \
    }

#define FASTAL_OP_SQ(a, r) { fastal_v4d t = xv - r; a = a + t * t; }
#define FASTAL_OP_ABS(a, r) { a = a + fastal_abs4(xv - r); }
#define FASTAL_OP_DOT(a, r) { a = a + xv * r; }

FASTAL_CLONES
static void fastal_block_raw_ld(const double *x, const double *RT, ptrdiff_t ld, ptrdiff_t d,
                                ptrdiff_t bj, int metric, double *out)
{
    ptrdiff_t c = 0, k;
    if (metric == 0) {
        FASTAL_BLOCK_LOOP(FASTAL_OP_SQ)
    } else if (metric == 1) {
        FASTAL_BLOCK_LOOP(FASTAL_OP_ABS)
    } else {
        FASTAL_BLOCK_LOOP(FASTAL_OP_DOT)
    }
    for (; c < bj; ++c) {
        double s = 0.0, t;
        for (k = 0; k < d; ++k) {
            const double r = RT[k * ld + c];
            if (metric == 0) { t = x[k] - r; s = s + t * t; }
            else if (metric == 1) { s = s + fabs(x[k] - r); }
            else { s = s + x[k] * r; }
        }
        out[c] = s;
    }
}


/* One row of a density tile (see fastal/_core/_density.pyx).
 *
 * g[c0..nb) holds, by mode: 0 the dot products of centred rows (squared
 * euclidean distance sa + sb[c] - 2 g[c], approximate), 1 exact squared
 * euclidean sums, 2 dot products of unit rows (cosine distance 1 - g,
 * clipped to [0, 2]), 3 exact manhattan distances.  On return g[c] holds the
 * distance's square (modes 0, 1) or the distance (2, 3), v[c] the
 * transformed value (transform 0: scale / (scale + distance); 1: the
 * distance), col_acc[c] (unless NULL) has v[c] added, and *row_sum has the
 * sum of v[c0..nb) added.  Returns how many entries need an exact
 * recomputation: mode 0 below recheck * (sa + sb[c]) (cancellation), mode 1
 * below tiny (the squared sum may have underflowed).
 */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(FASTAL_NO_CLONES)
#include <immintrin.h>
#define FASTAL_HAVE_AVX512 1

/* Whether fastal_density_row(_single) take their AVX-512 paths: the CPU has AVX-512F
 * and fastal_use_avx512(1) was called (the density module does so when it
 * is imported; tests switch it off to check the other path). */
static int fastal_avx512_on = 0;

static int fastal_use_avx512(int on)
{
    __builtin_cpu_init();
    fastal_avx512_on = on && __builtin_cpu_supports("avx512f");
    return fastal_avx512_on;
}

/* fastal_density_row for mode 0, transform 0 (scale / (scale + distance)),
 * eight entries at a time, without the divide unit: 1 / sqrt and 1 / t start
 * from the 14-bit estimates vrsqrt14pd / vrcp14pd, refined by one Newton step
 * each (28 correct bits); the square root and the quotient are then finished
 * by one fused multiply-add correction each (s + y (a - s^2) / 2 and
 * q + z (scale - t q), which double the correct bits again), so both are
 * within about an ulp of sqrt and of the division.  Entries with a <= 0 get
 * distance 0; eight entries with a square outside [2**-900, 2**900] take the
 * square root instruction (the caller keeps scale within the same range).
 */
__attribute__((target("avx512f")))
static ptrdiff_t fastal_density_row_avx512(double *g, double sa, const double *sb, ptrdiff_t c0,
                                           ptrdiff_t nb, double scale, double recheck,
                                           double *v, double *col_acc, double *row_sum)
{
    const __m512d vsa = _mm512_set1_pd(sa), vrecheck = _mm512_set1_pd(recheck);
    const __m512d vscale = _mm512_set1_pd(scale), two = _mm512_set1_pd(2.0);
    const __m512d one = _mm512_set1_pd(1.0), half = _mm512_set1_pd(0.5);
    const __m512d three_halves = _mm512_set1_pd(1.5), zero = _mm512_setzero_pd();
    const __m512d lo = _mm512_set1_pd(0x1p-900), hi = _mm512_set1_pd(0x1p900);
    __m512d acc = zero;
    ptrdiff_t c = c0, hits = 0;
    double tail = 0.0;
    for (; c + 8 <= nb; c += 8) {
        const __m512d ab = _mm512_add_pd(vsa, _mm512_loadu_pd(sb + c));
        const __m512d a = _mm512_sub_pd(ab, _mm512_mul_pd(two, _mm512_loadu_pd(g + c)));
        _mm512_storeu_pd(g + c, a);
        hits += __builtin_popcount(_mm512_cmp_pd_mask(a, _mm512_mul_pd(vrecheck, ab),
                                                      _CMP_LT_OQ));
        const __mmask8 positive = _mm512_cmp_pd_mask(a, zero, _CMP_GT_OQ);
        __m512d dist;
        if (positive & ~(_mm512_cmp_pd_mask(a, lo, _CMP_GT_OQ)
                         & _mm512_cmp_pd_mask(a, hi, _CMP_LT_OQ))) {
            /* a square outside [2**-900, 2**900], where y * y could leave the
               double range: the square root instruction for these eight */
            dist = _mm512_sqrt_pd(_mm512_maskz_mov_pd(positive, a));
        } else {
            __m512d y = _mm512_maskz_rsqrt14_pd(positive, a);      /* 0 where a <= 0 */
            y = _mm512_mul_pd(y, _mm512_fnmadd_pd(_mm512_mul_pd(half, a), _mm512_mul_pd(y, y),
                                                  three_halves));
            const __m512d s0 = _mm512_mul_pd(a, y);
            dist = _mm512_fmadd_pd(_mm512_mul_pd(half, y), _mm512_fnmadd_pd(s0, s0, a), s0);
        }
        const __m512d t = _mm512_add_pd(vscale, dist);
        __m512d z = _mm512_rcp14_pd(t);
        z = _mm512_fmadd_pd(z, _mm512_fnmadd_pd(t, z, one), z);
        const __m512d q = _mm512_mul_pd(vscale, z);
        const __m512d val = _mm512_fmadd_pd(z, _mm512_fnmadd_pd(t, q, vscale), q);
        _mm512_storeu_pd(v + c, val);
        if (col_acc != NULL)
            _mm512_storeu_pd(col_acc + c, _mm512_add_pd(_mm512_loadu_pd(col_acc + c), val));
        acc = _mm512_add_pd(acc, val);
    }
    for (; c < nb; ++c) {
        const double a = sa + sb[c] - 2.0 * g[c];
        g[c] = a;
        hits += a < recheck * (sa + sb[c]);
        v[c] = scale / (scale + sqrt(a > 0.0 ? a : 0.0));
        if (col_acc != NULL)
            col_acc[c] += v[c];
        tail += v[c];
    }
    *row_sum += _mm512_reduce_add_pd(acc) + tail;
    return hits;
}

/* fastal_density_row_single (below) sixteen entries at a time: 1 / sqrt and
 * 1 / t from vrsqrt14ps / vrcp14ps and one Newton step each (about 27 correct
 * bits, more than float's 24; sixteen entries with a square outside
 * [2**-100, 2**100] take the square root instruction); the values are added
 * in double. */
__attribute__((target("avx512f")))
static ptrdiff_t fastal_density_row_single_avx512(float *g, float sa, const float *sb,
                                                  ptrdiff_t c0, ptrdiff_t nb, float recheck,
                                                  float *v, double *col_acc, double *row_sum)
{
    const __m512 vsa = _mm512_set1_ps(sa), vrecheck = _mm512_set1_ps(recheck);
    const __m512 two = _mm512_set1_ps(2.0f), one = _mm512_set1_ps(1.0f);
    const __m512 half = _mm512_set1_ps(0.5f), three_halves = _mm512_set1_ps(1.5f);
    const __m512 zero = _mm512_setzero_ps();
    const __m512 lo = _mm512_set1_ps(0x1p-100f), hi = _mm512_set1_ps(0x1p100f);
    __m512d acc0 = _mm512_setzero_pd(), acc1 = acc0;
    ptrdiff_t c = c0, hits = 0;
    double tail = 0.0;
    for (; c + 16 <= nb; c += 16) {
        const __m512 ab = _mm512_add_ps(vsa, _mm512_loadu_ps(sb + c));
        const __m512 a = _mm512_sub_ps(ab, _mm512_mul_ps(two, _mm512_loadu_ps(g + c)));
        hits += __builtin_popcount(_mm512_cmp_ps_mask(a, _mm512_mul_ps(vrecheck, ab),
                                                      _CMP_LT_OQ));
        const __mmask16 positive = _mm512_cmp_ps_mask(a, zero, _CMP_GT_OQ);
        const __m512 sq = _mm512_maskz_mov_ps(positive, a);           /* clamped at 0 */
        _mm512_storeu_ps(g + c, sq);
        __m512 dist;
        if (positive & ~(_mm512_cmp_ps_mask(a, lo, _CMP_GT_OQ)
                         & _mm512_cmp_ps_mask(a, hi, _CMP_LT_OQ))) {
            dist = _mm512_sqrt_ps(sq);     /* a square outside [2**-100, 2**100] */
        } else {
            __m512 y = _mm512_maskz_rsqrt14_ps(positive, sq);
            y = _mm512_mul_ps(y, _mm512_fnmadd_ps(_mm512_mul_ps(half, sq), _mm512_mul_ps(y, y),
                                                  three_halves));
            dist = _mm512_mul_ps(sq, y);
        }
        const __m512 t = _mm512_add_ps(one, dist);
        __m512 z = _mm512_rcp14_ps(t);
        z = _mm512_fmadd_ps(z, _mm512_fnmadd_ps(t, z, one), z);
        _mm512_storeu_ps(v + c, z);
        const __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(z));
        const __m512d hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(
            _mm512_castps_pd(z), 1)));
        if (col_acc != NULL) {
            _mm512_storeu_pd(col_acc + c, _mm512_add_pd(_mm512_loadu_pd(col_acc + c), lo));
            _mm512_storeu_pd(col_acc + c + 8, _mm512_add_pd(_mm512_loadu_pd(col_acc + c + 8), hi));
        }
        acc0 = _mm512_add_pd(acc0, lo);
        acc1 = _mm512_add_pd(acc1, hi);
    }
    for (; c < nb; ++c) {
        const float a = sa + sb[c] - 2.0f * g[c];
        g[c] = a > 0.0f ? a : 0.0f;
        hits += a < recheck * (sa + sb[c]);
        v[c] = 1.0f / (1.0f + sqrtf(g[c]));
        if (col_acc != NULL)
            col_acc[c] += (double)v[c];
        tail += (double)v[c];
    }
    *row_sum += _mm512_reduce_add_pd(_mm512_add_pd(acc0, acc1)) + tail;
    return hits;
}
#endif

FASTAL_CLONES
static ptrdiff_t fastal_density_row(double *g, double sa, const double *sb, ptrdiff_t c0,
                                    ptrdiff_t nb, int mode, int transform, double scale,
                                    double recheck, double tiny, double *v, double *col_acc,
                                    double *row_sum)
{
    ptrdiff_t c, hits = 0;
    fastal_v4d s0 = {0, 0, 0, 0}, s1 = s0;
    double tail = 0.0;
#ifdef FASTAL_HAVE_AVX512
    if (mode == 0 && transform == 0 && fastal_avx512_on && scale >= 0x1p-900 && scale <= 0x1p900)
        return fastal_density_row_avx512(g, sa, sb, c0, nb, scale, recheck, v, col_acc, row_sum);
#endif
    if (mode == 0) {
        for (c = c0; c < nb; ++c) {
            const double a = sa + sb[c] - 2.0 * g[c];
            g[c] = a;
            hits += a < recheck * (sa + sb[c]);
        }
    } else if (mode == 1) {
        for (c = c0; c < nb; ++c)
            hits += g[c] < tiny;
    } else if (mode == 2) {
        for (c = c0; c < nb; ++c) {
            const double a = 1.0 - g[c];
            g[c] = a < 0.0 ? 0.0 : (a > 2.0 ? 2.0 : a);
        }
    }
    if (mode <= 1) {
        for (c = c0; c < nb; ++c) {
            const double dist = sqrt(g[c] > 0.0 ? g[c] : 0.0);
            v[c] = transform == 0 ? scale / (scale + dist) : dist;
        }
    } else {
        for (c = c0; c < nb; ++c)
            v[c] = transform == 0 ? scale / (scale + g[c]) : g[c];
    }
    if (col_acc != NULL)
        for (c = c0; c < nb; ++c)
            col_acc[c] += v[c];
    for (c = c0; c + 8 <= nb; c += 8) {
        s0 = s0 + fastal_load4(v + c);
        s1 = s1 + fastal_load4(v + c + 4);
    }
    for (; c < nb; ++c)
        tail += v[c];
    s0 = s0 + s1;
    *row_sum += ((s0[0] + s0[1]) + (s0[2] + s0[3])) + tail;
    return hits;
}


/* One row of a float32 euclidean density tile: g[c] (a float dot product of
 * centred rows) becomes the float squared distance sa + sb[c] - 2 g[c]
 * (negative rounding clamped to 0) and v[c] its similarity 1 / (1 + sqrt(.)) in float.  Returns how many squared
 * distances are below recheck * (sa + sb[c]) (the caller recomputes those in
 * double and corrects the sums); every v[c] is added, in double, to *row_sum
 * and, if col_acc, to col_acc[c].
 */
typedef float fastal_v4f __attribute__((vector_size(16)));

FASTAL_CLONES
static ptrdiff_t fastal_density_row_single(float *g, float sa, const float *sb, ptrdiff_t c0,
                                           ptrdiff_t nb, float recheck, float *v,
                                           double *col_acc, double *row_sum)
{
    ptrdiff_t c, hits = 0;
    fastal_v4d s0 = {0, 0, 0, 0}, s1 = s0;
    double tail = 0.0;
#ifdef FASTAL_HAVE_AVX512
    if (fastal_avx512_on)
        return fastal_density_row_single_avx512(g, sa, sb, c0, nb, recheck, v, col_acc, row_sum);
#endif
    for (c = c0; c < nb; ++c) {
        const float a = sa + sb[c] - 2.0f * g[c];
        g[c] = a > 0.0f ? a : 0.0f;       /* (a clamped 0 is still below the bound) */
        hits += a < recheck * (sa + sb[c]);
    }
    for (c = c0; c < nb; ++c)
        v[c] = 1.0f / (1.0f + sqrtf(g[c]));
    if (col_acc != NULL)
        for (c = c0; c < nb; ++c)
            col_acc[c] += (double)v[c];
    for (c = c0; c + 8 <= nb; c += 8) {
        fastal_v4f a, b;
        memcpy(&a, v + c, sizeof a);
        memcpy(&b, v + c + 4, sizeof b);
        s0 = s0 + __builtin_convertvector(a, fastal_v4d);
        s1 = s1 + __builtin_convertvector(b, fastal_v4d);
    }
    for (; c < nb; ++c)
        tail += (double)v[c];
    s0 = s0 + s1;
    *row_sum += ((s0[0] + s0[1]) + (s0[2] + s0[3])) + tail;
    return hits;
}


/* One row of a minimum-distance tile (see _min_block in fastal/_core/_maxmin.pyx):
 * g[c] becomes the approximate squared distance sa + sb[c] - 2 g[c] of
 * centred rows; returns the smallest of them.
 */
FASTAL_CLONES
static double fastal_min_row(double *g, double sa, const double *sb, ptrdiff_t nb)
{
    ptrdiff_t c = 0;
    fastal_v4d m0 = {INFINITY, INFINITY, INFINITY, INFINITY}, m1 = m0;
    const fastal_v4d sav = {sa, sa, sa, sa}, two = {2.0, 2.0, 2.0, 2.0};
    double best = INFINITY;
    for (; c + 8 <= nb; c += 8) {
        fastal_v4d a0 = sav + fastal_load4(sb + c) - two * fastal_load4(g + c);
        fastal_v4d a1 = sav + fastal_load4(sb + c + 4) - two * fastal_load4(g + c + 4);
        fastal_v4i k0 = a0 < m0, k1 = a1 < m1;
        fastal_store4(g + c, a0);
        fastal_store4(g + c + 4, a1);
        m0 = (fastal_v4d)(((fastal_v4i)a0 & k0) | ((fastal_v4i)m0 & ~k0));
        m1 = (fastal_v4d)(((fastal_v4i)a1 & k1) | ((fastal_v4i)m1 & ~k1));
    }
    for (; c < nb; ++c) {
        const double a = sa + sb[c] - 2.0 * g[c];
        g[c] = a;
        if (a < best) best = a;
    }
    for (int q = 0; q < 4; ++q) {
        if (m0[q] < best) best = m0[q];
        if (m1[q] < best) best = m1[q];
    }
    return best;
}


#else  /* plain C: the same sums, term by term, without vector types */

FASTAL_CLONES
static void fastal_block_raw_ld(const double *x, const double *RT, ptrdiff_t ld, ptrdiff_t d,
                                ptrdiff_t bj, int metric, double *out)
{
    ptrdiff_t c, k;
    for (c = 0; c < bj; ++c)
        out[c] = 0.0;
    for (k = 0; k < d; ++k) {
        const double s = x[k];
        const double *rt = RT + k * ld;
        if (metric == 0) {
            for (c = 0; c < bj; ++c) { const double t = s - rt[c]; out[c] = out[c] + t * t; }
        } else if (metric == 1) {
            for (c = 0; c < bj; ++c) out[c] = out[c] + fabs(s - rt[c]);
        } else {
            for (c = 0; c < bj; ++c) out[c] = out[c] + s * rt[c];
        }
    }
}

/* The vector versions add v[c] into 8 lanes (lane q takes c = c0 + q mod 8),
   then combine the lanes as ((l0 + l1) + (l2 + l3)) with l_q = lane q + lane
   q + 4, then add the tail: done here with an array of 8 sums. */
static FASTAL_SIMD_INLINE double fastal_lane_sum(const double *lanes, double tail)
{
    const double l0 = lanes[0] + lanes[4], l1 = lanes[1] + lanes[5];
    const double l2 = lanes[2] + lanes[6], l3 = lanes[3] + lanes[7];
    return ((l0 + l1) + (l2 + l3)) + tail;
}

static ptrdiff_t fastal_density_row(double *g, double sa, const double *sb, ptrdiff_t c0,
                                    ptrdiff_t nb, int mode, int transform, double scale,
                                    double recheck, double tiny, double *v, double *col_acc,
                                    double *row_sum)
{
    ptrdiff_t c, hits = 0;
    double lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    double tail = 0.0;
    int q;
    if (mode == 0) {
        for (c = c0; c < nb; ++c) {
            const double a = sa + sb[c] - 2.0 * g[c];
            g[c] = a;
            hits += a < recheck * (sa + sb[c]);
        }
    } else if (mode == 1) {
        for (c = c0; c < nb; ++c)
            hits += g[c] < tiny;
    } else if (mode == 2) {
        for (c = c0; c < nb; ++c) {
            const double a = 1.0 - g[c];
            g[c] = a < 0.0 ? 0.0 : (a > 2.0 ? 2.0 : a);
        }
    }
    if (mode <= 1) {
        for (c = c0; c < nb; ++c) {
            const double dist = sqrt(g[c] > 0.0 ? g[c] : 0.0);
            v[c] = transform == 0 ? scale / (scale + dist) : dist;
        }
    } else {
        for (c = c0; c < nb; ++c)
            v[c] = transform == 0 ? scale / (scale + g[c]) : g[c];
    }
    if (col_acc != NULL)
        for (c = c0; c < nb; ++c)
            col_acc[c] += v[c];
    for (c = c0; c + 8 <= nb; c += 8)
        for (q = 0; q < 8; ++q)
            lanes[q] = lanes[q] + v[c + q];
    for (; c < nb; ++c)
        tail += v[c];
    *row_sum += fastal_lane_sum(lanes, tail);
    return hits;
}

static ptrdiff_t fastal_density_row_single(float *g, float sa, const float *sb, ptrdiff_t c0,
                                           ptrdiff_t nb, float recheck, float *v,
                                           double *col_acc, double *row_sum)
{
    ptrdiff_t c, hits = 0;
    double lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    double tail = 0.0;
    int q;
    for (c = c0; c < nb; ++c) {
        const float a = sa + sb[c] - 2.0f * g[c];
        g[c] = a > 0.0f ? a : 0.0f;
        hits += a < recheck * (sa + sb[c]);
    }
    for (c = c0; c < nb; ++c)
        v[c] = 1.0f / (1.0f + sqrtf(g[c]));
    if (col_acc != NULL)
        for (c = c0; c < nb; ++c)
            col_acc[c] += (double)v[c];
    for (c = c0; c + 8 <= nb; c += 8)
        for (q = 0; q < 8; ++q)
            lanes[q] = lanes[q] + (double)v[c + q];
    for (; c < nb; ++c)
        tail += (double)v[c];
    *row_sum += fastal_lane_sum(lanes, tail);
    return hits;
}

static double fastal_min_row(double *g, double sa, const double *sb, ptrdiff_t nb)
{
    ptrdiff_t c;
    double best = INFINITY;
    for (c = 0; c < nb; ++c) {
        const double a = sa + sb[c] - 2.0 * g[c];
        g[c] = a;
        if (a < best) best = a;
    }
    return best;
}

#endif  /* FASTAL_VECTOR_EXT */

#ifndef FASTAL_HAVE_AVX512
static int fastal_use_avx512(int on) { (void)on; return 0; }
#endif

/* fastal_min_row in float32 (see _min_block_single in fastal/_core/_maxmin.pyx): g[c] becomes
 * sa + sb[c] - 2 g[c], and the smallest is returned.  With GCC's vector
 * extensions, 16 columns at a time in two registers of running minima (the
 * selects written as bit masks, so they stay vector operations).
 */
FASTAL_CLONES
static float fastal_min_row_single(float *g, float sa, const float *sb, ptrdiff_t nb)
{
    float best = INFINITY;
    ptrdiff_t c = 0;
#if FASTAL_VECTOR_EXT
    int q;
    fastal_v8f m0, m1, sav, two;
    for (q = 0; q < 8; ++q) {
        m0[q] = INFINITY; sav[q] = sa; two[q] = 2.0f;
    }
    m1 = m0;
    for (; c + 16 <= nb; c += 16) {
        fastal_v8f g0, g1, b0, b1, a0, a1;
        fastal_v8i k0, k1;
        memcpy(&g0, g + c, sizeof g0);
        memcpy(&g1, g + c + 8, sizeof g1);
        memcpy(&b0, sb + c, sizeof b0);
        memcpy(&b1, sb + c + 8, sizeof b1);
        a0 = sav + b0 - two * g0;
        a1 = sav + b1 - two * g1;
        memcpy(g + c, &a0, sizeof a0);
        memcpy(g + c + 8, &a1, sizeof a1);
        k0 = a0 < m0;
        k1 = a1 < m1;
        m0 = (fastal_v8f)(((fastal_v8i)a0 & k0) | ((fastal_v8i)m0 & ~k0));
        m1 = (fastal_v8f)(((fastal_v8i)a1 & k1) | ((fastal_v8i)m1 & ~k1));
    }
    for (q = 0; q < 8; ++q) {
        if (m0[q] < best) best = m0[q];
        if (m1[q] < best) best = m1[q];
    }
#endif
    for (; c < nb; ++c) {
        const float a = sa + sb[c] - 2.0f * g[c];
        g[c] = a;
        if (a < best) best = a;
    }
    return best;
}

/* fastal_value_range(x, n, &lo, &hi), n > 0: the smallest and largest of
 * x[0..n) (infinities included) into *lo and *hi; returns 1 when some x[i] is
 * NaN.  The comparisons ignore NaN; the mark v != v catches it.  With GCC's
 * vector extensions, 32 bytes at a time in two running minima, maxima and
 * marks (selects written as bit masks, so they stay vector operations).
 */
#if FASTAL_VECTOR_EXT
#define FASTAL_RANGE_VECTOR(T, VT, VI, LANES)                                   \
    {                                                                           \
        VT lo0, hi0, lo1, hi1;                                                  \
        VI bad0 = {0}, bad1 = {0};                                              \
        for (q = 0; q < LANES; ++q) {                                           \
            lo0[q] = (T)INFINITY; hi0[q] = -(T)INFINITY;                        \
        }                                                                       \
        lo1 = lo0; hi1 = hi0;                                                   \
        for (; i + 2 * LANES <= n; i += 2 * LANES) {                            \
            VT a, b;                                                            \
            VI m;                                                               \
            memcpy(&a, x + i, sizeof a);                                        \
            memcpy(&b, x + i + LANES, sizeof b);                                \
            m = a < lo0; lo0 = (VT)((m & (VI)a) | (~m & (VI)lo0));              \
            m = a > hi0; hi0 = (VT)((m & (VI)a) | (~m & (VI)hi0));              \
            m = b < lo1; lo1 = (VT)((m & (VI)b) | (~m & (VI)lo1));              \
            m = b > hi1; hi1 = (VT)((m & (VI)b) | (~m & (VI)hi1));              \
            bad0 |= a != a;                                                     \
            bad1 |= b != b;                                                     \
        }                                                                       \
        for (q = 0; q < LANES; ++q) {                                           \
            if (lo0[q] < low) low = lo0[q];                                     \
            if (lo1[q] < low) low = lo1[q];                                     \
            if (hi0[q] > high) high = hi0[q];                                   \
            if (hi1[q] > high) high = hi1[q];                                   \
            if (bad0[q] | bad1[q]) bad = 1;                                     \
        }                                                                       \
    }
#define FASTAL_RANGE_VECTOR_DOUBLE FASTAL_RANGE_VECTOR(double, fastal_v4d, fastal_v4i, 4)
#define FASTAL_RANGE_VECTOR_FLOAT FASTAL_RANGE_VECTOR(float, fastal_v8f, fastal_v8i, 8)
#else
#define FASTAL_RANGE_VECTOR_DOUBLE
#define FASTAL_RANGE_VECTOR_FLOAT
#endif

#define FASTAL_VALUE_RANGE(NAME, T, VECTOR_LOOP)                                \
FASTAL_CLONES                                                                   \
static int NAME(const T *x, ptrdiff_t n, double *lo, double *hi)                \
{                                                                               \
    T low = (T)INFINITY, high = -(T)INFINITY;                                   \
    int bad = 0, q;                                                             \
    ptrdiff_t i = 0;                                                            \
    (void)q;                                                                    \
    VECTOR_LOOP                                                                 \
    for (; i < n; ++i) {                                                        \
        if (x[i] < low) low = x[i];                                             \
        if (x[i] > high) high = x[i];                                           \
        if (x[i] != x[i]) bad = 1;                                              \
    }                                                                           \
    *lo = (double)low;                                                          \
    *hi = (double)high;                                                         \
    return bad;                                                                 \
}

FASTAL_VALUE_RANGE(fastal_value_range, double, FASTAL_RANGE_VECTOR_DOUBLE)
FASTAL_VALUE_RANGE(fastal_value_range_single, float, FASTAL_RANGE_VECTOR_FLOAT)

/* The columns c < nb with g[c] <= thr, in increasing order, into idx; returns
 * how many.  With GCC's vector extensions, four vectors of columns are compared
 * at once and only a vector with a hit is looked at column by column, writing
 * every column and counting the hits (idx has room for nb entries).
 */
#if FASTAL_VECTOR_EXT
#define FASTAL_CANDIDATES_VECTOR(VT, VI, LANES)                                 \
    {                                                                           \
        VT tv;                                                                  \
        const VI none = {0};                                                    \
        for (q = 0; q < LANES; ++q)                                             \
            tv[q] = thr;                                                        \
        for (; c + 4 * LANES <= nb; c += 4 * LANES) {                           \
            VT a0, a1, a2, a3;                                                  \
            VI m;                                                               \
            memcpy(&a0, g + c, sizeof a0);                                      \
            memcpy(&a1, g + c + LANES, sizeof a1);                              \
            memcpy(&a2, g + c + 2 * LANES, sizeof a2);                          \
            memcpy(&a3, g + c + 3 * LANES, sizeof a3);                          \
            m = (a0 <= tv) | (a1 <= tv) | (a2 <= tv) | (a3 <= tv);              \
            if (memcmp(&m, &none, sizeof m) != 0)                               \
                for (p = 0; p < 4 * LANES; p += LANES) {                        \
                    memcpy(&a0, g + c + p, sizeof a0);                          \
                    m = a0 <= tv;                                               \
                    if (memcmp(&m, &none, sizeof m) != 0)                       \
                        for (q = 0; q < LANES; ++q) {  /* no branch on data */  \
                            idx[count] = c + p + q;                             \
                            count += g[c + p + q] <= thr;                       \
                        }                                                       \
                }                                                               \
        }                                                                       \
    }
#define FASTAL_CANDIDATES_VECTOR_DOUBLE FASTAL_CANDIDATES_VECTOR(fastal_v4d, fastal_v4i, 4)
#define FASTAL_CANDIDATES_VECTOR_FLOAT FASTAL_CANDIDATES_VECTOR(fastal_v8f, fastal_v8i, 8)
#else
#define FASTAL_CANDIDATES_VECTOR_DOUBLE
#define FASTAL_CANDIDATES_VECTOR_FLOAT
#endif

#define FASTAL_CANDIDATES(NAME, T, VECTOR_LOOP)                                 \
FASTAL_CLONES                                                                   \
static ptrdiff_t NAME(const T *g, ptrdiff_t nb, T thr, ptrdiff_t *idx)          \
{                                                                               \
    ptrdiff_t c = 0, count = 0;                                                 \
    int p, q;                                                                   \
    (void)p;                                                                    \
    (void)q;                                                                    \
    VECTOR_LOOP                                                                 \
    for (; c < nb; ++c)                                                         \
        if (g[c] <= thr)                                                        \
            idx[count++] = c;                                                   \
    return count;                                                               \
}

FASTAL_CANDIDATES(fastal_candidates, double, FASTAL_CANDIDATES_VECTOR_DOUBLE)
FASTAL_CANDIDATES(fastal_candidates_single, float, FASTAL_CANDIDATES_VECTOR_FLOAT)

/* One row of T around a centre, rounded to float32 (the float32 products of the
 * minimum distance and of the density): out[k] = (float)(a[k] - center[k]),
 * k < d.  Returns the sum of the squares of the out[k] (in double, in four
 * running sums: the callers need it only to within a float32 rounding) and
 * raises *peak to the largest |a[k] - center[k]|.
 */
#if FASTAL_VECTOR_EXT
#define FASTAL_PACK_VECTOR(T, VT)                                               \
    {                                                                           \
        fastal_v4d sv = {0, 0, 0, 0}, pv = sv, wv, aw;                          \
        fastal_v4i m;                                                           \
        fastal_v4f vf;                                                          \
        VT av;                                                                  \
        for (; k + 4 <= d; k += 4) {                                            \
            memcpy(&av, a + k, sizeof av);                                      \
            wv = __builtin_convertvector(av, fastal_v4d) - fastal_load4(center + k); \
            aw = fastal_abs4(wv);                                               \
            m = aw > pv;                                                        \
            pv = (fastal_v4d)((m & (fastal_v4i)aw) | (~m & (fastal_v4i)pv));    \
            vf = __builtin_convertvector(wv, fastal_v4f);                       \
            memcpy(out + k, &vf, sizeof vf);                                    \
            wv = __builtin_convertvector(vf, fastal_v4d);                       \
            sv = sv + wv * wv;                                                  \
        }                                                                       \
        s = (sv[0] + sv[1]) + (sv[2] + sv[3]);                                  \
        for (q = 0; q < 4; ++q)                                                 \
            if (pv[q] > p)                                                      \
                p = pv[q];                                                      \
    }
#define FASTAL_PACK_VECTOR_DOUBLE FASTAL_PACK_VECTOR(double, fastal_v4d)
#define FASTAL_PACK_VECTOR_FLOAT FASTAL_PACK_VECTOR(float, fastal_v4f)
#else
#define FASTAL_PACK_VECTOR_DOUBLE
#define FASTAL_PACK_VECTOR_FLOAT
#endif

#define FASTAL_PACK_ROW_SINGLE(NAME, T, VECTOR_LOOP)                            \
FASTAL_CLONES                                                                   \
static double NAME(const T *a, const double *center, ptrdiff_t d, float *out,   \
                   double *peak)                                                \
{                                                                               \
    ptrdiff_t k = 0;                                                            \
    double s = 0.0, p = *peak, w;                                               \
    float v;                                                                    \
    int q;                                                                      \
    (void)q;                                                                    \
    VECTOR_LOOP                                                                 \
    for (; k < d; ++k) {                                                        \
        w = (double)a[k] - center[k];                                           \
        if (fabs(w) > p)                                                        \
            p = fabs(w);                                                        \
        v = (float)w;                                                           \
        out[k] = v;                                                             \
        s += (double)v * (double)v;                                             \
    }                                                                           \
    *peak = p;                                                                  \
    return s;                                                                   \
}

FASTAL_PACK_ROW_SINGLE(fastal_pack_row_single, double, FASTAL_PACK_VECTOR_DOUBLE)
FASTAL_PACK_ROW_SINGLE(fastal_pack_row_single_from_single, float, FASTAL_PACK_VECTOR_FLOAT)

static FASTAL_SIMD_INLINE void fastal_block_raw(const double *x, const double *RT, ptrdiff_t d,
                                                ptrdiff_t bj, int metric, double *out)
{
    fastal_block_raw_ld(x, RT, bj, d, bj, metric, out);
}

/* Candidate filter of the matrix-product k-NN tiles (see fastal/_core/_knn.pyx).
 *
 * For c in [c0, nb): approx[c] = sa + sb[c] - 2 g[c] (metric 0, squared
 * euclidean from centred rows) or 1 - g[c] (metric 2, cosine of unit rows),
 * written over g; returns how many satisfy approx <= thr_row or approx <=
 * thr_col[c].  Branch-free so that it vectorises.
 */
FASTAL_CLONES
static ptrdiff_t fastal_filter_row(double *g, double sa, const double *sb, double thr_row,
                                   const double *thr_col, ptrdiff_t c0, ptrdiff_t nb, int metric)
{
    ptrdiff_t c, hits = 0;
    if (metric == 0) {
        for (c = c0; c < nb; ++c) {
            const double a = sa + sb[c] - 2.0 * g[c];
            g[c] = a;
            hits += (a <= thr_row) | (a <= thr_col[c]);
        }
    } else {
        for (c = c0; c < nb; ++c) {
            const double a = 1.0 - g[c];
            g[c] = a;
            hits += (a <= thr_row) | (a <= thr_col[c]);
        }
    }
    return hits;
}

#endif
