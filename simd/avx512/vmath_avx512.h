/* Float32 exp, sigmoid and tanh on 16 lanes of AVX-512 (F, BW, DQ, VL), shared by the
 * AVX-512 vector-math and gate kernels. The method and its constants are in
 * simd/vmath_constants.h; 2^n is applied with vscalefps, which rounds a subnormal result
 * once, so the exponent needs no splitting.
 *
 * Two flavours of each function:
 *  - rnnrt_avx512_<f>_core(x): NaN in gives NaN out, but a NaN input may raise FE_INVALID
 *    (vminps/vmaxps signal on quiet NaNs). The gate kernels use these.
 *  - rnnrt_avx512_<f>(x): the same values, and no FE_INVALID, FE_DIVBYZERO or FE_OVERFLOW on
 *    any input, signalling NaNs included: NaN lanes are found with vfpclassps (which raises
 *    nothing), replaced by 0 before any float operation and returned quieted. FE_INEXACT and
 *    FE_UNDERFLOW may be raised. The vector-math kernels use these.
 * Only included by files compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl; static
 * inline code only.
 */
#ifndef RNNRT_SIMD_AVX512_VMATH_AVX512_H
#define RNNRT_SIMD_AVX512_VMATH_AVX512_H

#include <immintrin.h>
#include <stddef.h>

#include "vmath_constants.h"

static inline __m512 rnnrt_avx512_abs(__m512 x)
{
    return _mm512_castsi512_ps(
        _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7fffffff)));
}

/* Lanes of x that hold a quiet (0x01) or signalling (0x80) NaN. */
static inline __mmask16 rnnrt_avx512_nan_mask(__m512 x)
{
    return _mm512_fpclass_ps_mask(x, 0x81);
}

/* y, with the NaN lanes of x (nan: their mask) returned quieted. */
static inline __m512 rnnrt_avx512_put_nan(__m512 y, __m512 x, __mmask16 nan)
{
    __m512i quiet = _mm512_or_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x00400000));
    return _mm512_mask_mov_ps(y, nan, _mm512_castsi512_ps(quiet));
}

/* Lanes j < rem (0 <= rem <= 16) set, for masked loads and stores of a tail. */
static inline __mmask16 rnnrt_avx512_tail_mask(size_t rem)
{
    return _cvtu32_mask16((1u << rem) - 1u);
}

/* Cody-Waite reduction of x (finite, |x| <= 150 ln2): returns r, sets *n to round(x/ln2). */
static inline __m512 rnnrt_avx512_exp_reduce(__m512 x, __m512 *n)
{
    __m512 z =
        _mm512_fmadd_ps(x, _mm512_set1_ps(RNNRT_VM_LOG2E), _mm512_set1_ps(RNNRT_VM_SHIFTER));
    *n = _mm512_sub_ps(z, _mm512_set1_ps(RNNRT_VM_SHIFTER));
    __m512 r = _mm512_fnmadd_ps(*n, _mm512_set1_ps(RNNRT_VM_LN2_HI), x);
    return _mm512_fnmadd_ps(*n, _mm512_set1_ps(RNNRT_VM_LN2_LO), r);
}

/* exp(r) for |r| <= ln2/2 (relative error 2^-28.2 before rounding). */
static inline __m512 rnnrt_avx512_exp_poly(__m512 r)
{
    __m512 p =
        _mm512_fmadd_ps(_mm512_set1_ps(RNNRT_VM_EXP_E6), r, _mm512_set1_ps(RNNRT_VM_EXP_E5));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(RNNRT_VM_EXP_E4));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(RNNRT_VM_EXP_E3));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(RNNRT_VM_EXP_E2));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
}

/* e^x for EXP_LO <= x <= EXP_HI (-150 <= n <= 128; vscalefps rounds once). */
static inline __m512 rnnrt_avx512_exp_inrange(__m512 x)
{
    __m512 n;
    __m512 r = rnnrt_avx512_exp_reduce(x, &n);
    return _mm512_scalef_ps(rnnrt_avx512_exp_poly(r), n);
}

static inline __m512 rnnrt_avx512_exp_core(__m512 x)
{
    /* min/max with x second return x when it is NaN, so NaN flows through. */
    __m512 xc = _mm512_max_ps(_mm512_set1_ps(RNNRT_VM_EXP_LO), x);
    xc = _mm512_min_ps(_mm512_set1_ps(RNNRT_VM_EXP_HI), xc);
    __m512 y = rnnrt_avx512_exp_inrange(xc);
    __mmask16 over = _mm512_cmp_ps_mask(x, _mm512_set1_ps(RNNRT_VM_EXP_HI), _CMP_GT_OQ);
    return _mm512_mask_mov_ps(y, over, _mm512_set1_ps(__builtin_inff()));
}

/* sigmoid(x) = *pos / *d and sigmoid(-x) = 1 - sigmoid(x) = *neg / *d, both without
 * cancellation: with e = e^-|x|, d = 1 + e and {pos, neg} = {1, e}. vscalefps gives e
 * down to the subnormals, so |x| is clamped only where e rounds to 0 (-EXP_LO). */
static inline void rnnrt_avx512_sigmoid_parts(__m512 x, __m512 *pos, __m512 *neg, __m512 *d)
{
    __m512 a = _mm512_min_ps(_mm512_set1_ps(-RNNRT_VM_EXP_LO), rnnrt_avx512_abs(x));
    __m512 n;
    __m512 r = rnnrt_avx512_exp_reduce(_mm512_sub_ps(_mm512_setzero_ps(), a), &n);
    __m512 e = _mm512_scalef_ps(rnnrt_avx512_exp_poly(r), n);
    __m512 one = _mm512_set1_ps(1.0f);
    __mmask16 negative = _mm512_movepi32_mask(_mm512_castps_si512(x)); /* sign bit, -0 too */
    *d = _mm512_add_ps(one, e);
    *pos = _mm512_mask_mov_ps(one, negative, e);
    *neg = _mm512_mask_mov_ps(e, negative, one);
}

static inline __m512 rnnrt_avx512_sigmoid_core(__m512 x)
{
    __m512 pos, neg, d;
    rnnrt_avx512_sigmoid_parts(x, &pos, &neg, &d);
    return _mm512_div_ps(pos, d);
}

/* expm1(2a) for 0 <= a <= TANH_CLAMP: 2^n * expm1(r) + (2^n - 1), 0 <= n <= 27. */
static inline __m512 rnnrt_avx512_expm1_2a(__m512 a)
{
    __m512 n;
    __m512 r = rnnrt_avx512_exp_reduce(_mm512_add_ps(a, a), &n);
    __m512 q = _mm512_fmadd_ps(_mm512_set1_ps(RNNRT_VM_EXPM1_M6), r,
                               _mm512_set1_ps(RNNRT_VM_EXPM1_M5));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(RNNRT_VM_EXPM1_M4));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(RNNRT_VM_EXPM1_M3));
    q = _mm512_fmadd_ps(q, r, _mm512_set1_ps(0.5f));
    q = _mm512_fmadd_ps(q, _mm512_mul_ps(r, r), r);
    __m512 s = _mm512_scalef_ps(_mm512_set1_ps(1.0f), n);
    return _mm512_fmadd_ps(s, q, _mm512_sub_ps(s, _mm512_set1_ps(1.0f)));
}

static inline __m512 rnnrt_avx512_tanh_core(__m512 x)
{
    __m512 a = _mm512_min_ps(_mm512_set1_ps(RNNRT_VM_TANH_CLAMP), rnnrt_avx512_abs(x));
    __m512 m = rnnrt_avx512_expm1_2a(a);
    __m512 t = _mm512_div_ps(m, _mm512_add_ps(m, _mm512_set1_ps(2.0f)));
    __m512i sign =
        _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u));
    return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(t), sign));
}

static inline __m512 rnnrt_avx512_exp(__m512 x)
{
    __mmask16 nan = rnnrt_avx512_nan_mask(x);
    __m512 y = rnnrt_avx512_exp_core(_mm512_mask_mov_ps(x, nan, _mm512_setzero_ps()));
    return rnnrt_avx512_put_nan(y, x, nan);
}

static inline __m512 rnnrt_avx512_sigmoid(__m512 x)
{
    __mmask16 nan = rnnrt_avx512_nan_mask(x);
    __m512 y = rnnrt_avx512_sigmoid_core(_mm512_mask_mov_ps(x, nan, _mm512_setzero_ps()));
    return rnnrt_avx512_put_nan(y, x, nan);
}

static inline __m512 rnnrt_avx512_tanh(__m512 x)
{
    __mmask16 nan = rnnrt_avx512_nan_mask(x);
    __m512 y = rnnrt_avx512_tanh_core(_mm512_mask_mov_ps(x, nan, _mm512_setzero_ps()));
    return rnnrt_avx512_put_nan(y, x, nan);
}

#endif /* RNNRT_SIMD_AVX512_VMATH_AVX512_H */
