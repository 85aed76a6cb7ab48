/* Float32 exp, sigmoid and tanh on 8 lanes of AVX2 + FMA, shared by the AVX2 vector-math
 * and gate kernels. The method and its constants are in simd/vmath_constants.h.
 *
 * Two flavours of each function:
 *  - rnnrt_avx2_<f>_core(x): NaN in gives NaN out, but a NaN input may raise FE_INVALID
 *    (vminps/vmaxps signal on quiet NaNs). The gate kernels use these.
 *  - rnnrt_avx2_<f>(x): the same values, and no FE_INVALID, FE_DIVBYZERO or FE_OVERFLOW on
 *    any input, signalling NaNs included: NaN lanes are found with integer compares, replaced
 *    by 0 before any float operation and returned quieted. FE_INEXACT and FE_UNDERFLOW may be
 *    raised (results are rounded, and tiny ones are subnormal or 0). The vector-math kernels
 *    use these.
 * Only included by files compiled with -mavx2 -mfma; static inline code only.
 */
#ifndef RNNRT_SIMD_AVX2_VMATH_AVX2_H
#define RNNRT_SIMD_AVX2_VMATH_AVX2_H

#include <immintrin.h>
#include <stddef.h>

#include "vmath_constants.h"

static inline __m256 rnnrt_avx2_abs(__m256 x)
{
    return _mm256_and_ps(x, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)));
}

/* All-ones in the lanes of x that hold a NaN; integer compares raise no exception. */
static inline __m256 rnnrt_avx2_nan_mask(__m256 x)
{
    __m256i ax = _mm256_and_si256(_mm256_castps_si256(x), _mm256_set1_epi32(0x7fffffff));
    return _mm256_castsi256_ps(_mm256_cmpgt_epi32(ax, _mm256_set1_epi32(0x7f800000)));
}

/* y, with the NaN lanes of x (nan: their mask) returned quieted. */
static inline __m256 rnnrt_avx2_put_nan(__m256 y, __m256 x, __m256 nan)
{
    __m256 quiet = _mm256_or_ps(x, _mm256_castsi256_ps(_mm256_set1_epi32(0x00400000)));
    return _mm256_blendv_ps(y, quiet, nan);
}

/* Lanes j < rem (1 <= rem <= 8) set, for maskload/maskstore of a tail. */
static inline __m256i rnnrt_avx2_tail_mask(size_t rem)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)rem),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* Cody-Waite reduction of x (finite, |x| <= 150 ln2): returns r, sets *zbits to the bits of
 * x*log2e + SHIFTER, whose integer difference from SHIFTER_BITS is n. */
static inline __m256 rnnrt_avx2_exp_reduce(__m256 x, __m256i *zbits)
{
    __m256 z =
        _mm256_fmadd_ps(x, _mm256_set1_ps(RNNRT_VM_LOG2E), _mm256_set1_ps(RNNRT_VM_SHIFTER));
    __m256 n = _mm256_sub_ps(z, _mm256_set1_ps(RNNRT_VM_SHIFTER));
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(RNNRT_VM_LN2_HI), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(RNNRT_VM_LN2_LO), r);
    *zbits = _mm256_castps_si256(z);
    return r;
}

/* exp(r) for |r| <= ln2/2 (relative error 2^-28.2 before rounding). */
static inline __m256 rnnrt_avx2_exp_poly(__m256 r)
{
    __m256 p =
        _mm256_fmadd_ps(_mm256_set1_ps(RNNRT_VM_EXP_E6), r, _mm256_set1_ps(RNNRT_VM_EXP_E5));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(RNNRT_VM_EXP_E4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(RNNRT_VM_EXP_E3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(RNNRT_VM_EXP_E2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    return _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
}

/* 2^k as a float for -127 <= k <= 127 (k = -127 gives +0). */
static inline __m256 rnnrt_avx2_pow2i(__m256i k)
{
    return _mm256_castsi256_ps(
        _mm256_slli_epi32(_mm256_add_epi32(k, _mm256_set1_epi32(127)), 23));
}

/* e^x for EXP_LO <= x <= EXP_HI. 2^n (-150 <= n <= 128) is applied as two factors 2^(n>>1)
 * and 2^(n - (n>>1)), both normal; the first product is exact, so a subnormal result is
 * rounded once. */
static inline __m256 rnnrt_avx2_exp_inrange(__m256 x)
{
    __m256i zb;
    __m256 r = rnnrt_avx2_exp_reduce(x, &zb);
    __m256 p = rnnrt_avx2_exp_poly(r);
    __m256i n = _mm256_sub_epi32(zb, _mm256_set1_epi32(RNNRT_VM_SHIFTER_BITS));
    __m256i n1 = _mm256_srai_epi32(n, 1);
    __m256i n2 = _mm256_sub_epi32(n, n1);
    return _mm256_mul_ps(_mm256_mul_ps(p, rnnrt_avx2_pow2i(n1)), rnnrt_avx2_pow2i(n2));
}

static inline __m256 rnnrt_avx2_exp_core(__m256 x)
{
    /* min/max with x second return x when it is NaN, so NaN flows through. */
    __m256 xc = _mm256_max_ps(_mm256_set1_ps(RNNRT_VM_EXP_LO), x);
    xc = _mm256_min_ps(_mm256_set1_ps(RNNRT_VM_EXP_HI), xc);
    __m256 y = rnnrt_avx2_exp_inrange(xc);
    __m256 over = _mm256_cmp_ps(x, _mm256_set1_ps(RNNRT_VM_EXP_HI), _CMP_GT_OQ);
    return _mm256_blendv_ps(y, _mm256_set1_ps(__builtin_inff()), over);
}

/* e^-a for 0 <= a <= SIGMOID_CLAMP with one scale factor; results below 2^-126 may be 0. */
static inline __m256 rnnrt_avx2_exp_neg_ftz(__m256 a)
{
    __m256i zb;
    __m256 na = _mm256_xor_ps(a, _mm256_set1_ps(-0.0f));
    __m256 r = rnnrt_avx2_exp_reduce(na, &zb);
    __m256 p = rnnrt_avx2_exp_poly(r);
    __m256i n = _mm256_sub_epi32(zb, _mm256_set1_epi32(RNNRT_VM_SHIFTER_BITS));
    return _mm256_mul_ps(p, rnnrt_avx2_pow2i(n));
}

/* sigmoid(x) = *pos / *d and sigmoid(-x) = 1 - sigmoid(x) = *neg / *d, both without
 * cancellation: with e = e^-|x|, d = 1 + e and {pos, neg} = {1, e}. */
static inline void rnnrt_avx2_sigmoid_parts(__m256 x, __m256 *pos, __m256 *neg, __m256 *d)
{
    __m256 a = _mm256_min_ps(_mm256_set1_ps(RNNRT_VM_SIGMOID_CLAMP), rnnrt_avx2_abs(x));
    __m256 e = rnnrt_avx2_exp_neg_ftz(a);
    __m256 one = _mm256_set1_ps(1.0f);
    *d = _mm256_add_ps(one, e);
    /* blendv picks by the sign bit: pos = e for x < 0 (and -0), 1 otherwise. */
    *pos = _mm256_blendv_ps(one, e, x);
    *neg = _mm256_blendv_ps(e, one, x);
}

static inline __m256 rnnrt_avx2_sigmoid_core(__m256 x)
{
    __m256 a = _mm256_min_ps(_mm256_set1_ps(RNNRT_VM_SIGMOID_CLAMP), rnnrt_avx2_abs(x));
    __m256 e = rnnrt_avx2_exp_neg_ftz(a);
    __m256 d = _mm256_add_ps(_mm256_set1_ps(1.0f), e);
    /* blendv picks by the sign bit: e / (1 + e) for x < 0 (and -0), 1 / (1 + e) otherwise. */
    __m256 num = _mm256_blendv_ps(_mm256_set1_ps(1.0f), e, x);
    return _mm256_div_ps(num, d);
}

/* expm1(2a) for 0 <= a <= TANH_CLAMP: 2^n * expm1(r) + (2^n - 1), 0 <= n <= 27. */
static inline __m256 rnnrt_avx2_expm1_2a(__m256 a)
{
    __m256i zb;
    __m256 r = rnnrt_avx2_exp_reduce(_mm256_add_ps(a, a), &zb);
    __m256 q = _mm256_fmadd_ps(_mm256_set1_ps(RNNRT_VM_EXPM1_M6), r,
                               _mm256_set1_ps(RNNRT_VM_EXPM1_M5));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(RNNRT_VM_EXPM1_M4));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(RNNRT_VM_EXPM1_M3));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(0.5f));
    q = _mm256_fmadd_ps(q, _mm256_mul_ps(r, r), r);
    __m256 s =
        rnnrt_avx2_pow2i(_mm256_sub_epi32(zb, _mm256_set1_epi32(RNNRT_VM_SHIFTER_BITS)));
    return _mm256_fmadd_ps(s, q, _mm256_sub_ps(s, _mm256_set1_ps(1.0f)));
}

static inline __m256 rnnrt_avx2_tanh_core(__m256 x)
{
    __m256 a = _mm256_min_ps(_mm256_set1_ps(RNNRT_VM_TANH_CLAMP), rnnrt_avx2_abs(x));
    __m256 m = rnnrt_avx2_expm1_2a(a);
    __m256 t = _mm256_div_ps(m, _mm256_add_ps(m, _mm256_set1_ps(2.0f)));
    return _mm256_or_ps(t, _mm256_and_ps(x, _mm256_set1_ps(-0.0f)));
}

static inline __m256 rnnrt_avx2_exp(__m256 x)
{
    __m256 nan = rnnrt_avx2_nan_mask(x);
    return rnnrt_avx2_put_nan(rnnrt_avx2_exp_core(_mm256_andnot_ps(nan, x)), x, nan);
}

static inline __m256 rnnrt_avx2_sigmoid(__m256 x)
{
    __m256 nan = rnnrt_avx2_nan_mask(x);
    return rnnrt_avx2_put_nan(rnnrt_avx2_sigmoid_core(_mm256_andnot_ps(nan, x)), x, nan);
}

static inline __m256 rnnrt_avx2_tanh(__m256 x)
{
    __m256 nan = rnnrt_avx2_nan_mask(x);
    return rnnrt_avx2_put_nan(rnnrt_avx2_tanh_core(_mm256_andnot_ps(nan, x)), x, nan);
}

#endif /* RNNRT_SIMD_AVX2_VMATH_AVX2_H */
