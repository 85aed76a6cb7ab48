/* Float32 exp, sigmoid and tanh on 4 lanes of AArch64 Advanced SIMD (NEON, with FMA),
 * shared by the NEON vector-math and gate kernels. The method and its constants are in
 * simd/vmath_constants.h.
 *
 * Two flavours of each function:
 *  - rnnrt_neon_<f>_core(x): NaN in gives NaN out, but a NaN input may raise FE_INVALID
 *    (fcmgt signals on quiet NaNs). The gate kernels use these.
 *  - rnnrt_neon_<f>(x): the same values, and no FE_INVALID, FE_DIVBYZERO or FE_OVERFLOW on
 *    any input, signalling NaNs included: NaN lanes are found with integer compares, replaced
 *    by 0 before any float operation and returned quieted. FE_INEXACT and FE_UNDERFLOW may be
 *    raised. The vector-math kernels use these.
 * NEON is baseline on AArch64: no extra compiler flags; static inline code only.
 */
#ifndef RNNRT_SIMD_NEON_VMATH_NEON_H
#define RNNRT_SIMD_NEON_VMATH_NEON_H

#include <arm_neon.h>
#include <stddef.h>

#include "vmath_constants.h"

/* Lanes of x that hold a NaN; integer compares raise no exception. */
static inline uint32x4_t rnnrt_neon_nan_mask(float32x4_t x)
{
    uint32x4_t ax = vandq_u32(vreinterpretq_u32_f32(x), vdupq_n_u32(0x7fffffffu));
    return vcgtq_u32(ax, vdupq_n_u32(0x7f800000u));
}

/* x with its NaN lanes (nan: their mask) replaced by +0, by bit selection only. */
static inline float32x4_t rnnrt_neon_drop_nan(float32x4_t x, uint32x4_t nan)
{
    return vreinterpretq_f32_u32(vbicq_u32(vreinterpretq_u32_f32(x), nan));
}

/* y, with the NaN lanes of x returned quieted. */
static inline float32x4_t rnnrt_neon_put_nan(float32x4_t y, float32x4_t x, uint32x4_t nan)
{
    uint32x4_t quiet = vorrq_u32(vreinterpretq_u32_f32(x), vdupq_n_u32(0x00400000u));
    return vbslq_f32(nan, vreinterpretq_f32_u32(quiet), y);
}

/* A tail of rem < 4 floats through a zeroed stack vector: nothing past p[rem - 1] is read or
 * written. */
static inline float32x4_t rnnrt_neon_load_tail(const float *p, size_t rem)
{
    float buf[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (size_t k = 0; k < rem; k++)
        buf[k] = p[k];
    return vld1q_f32(buf);
}

static inline void rnnrt_neon_store_tail(float *p, size_t rem, float32x4_t v)
{
    float buf[4];
    vst1q_f32(buf, v);
    for (size_t k = 0; k < rem; k++)
        p[k] = buf[k];
}

/* Cody-Waite reduction of x (finite, |x| <= 150 ln2): returns r, sets *n to round(x/ln2). */
static inline float32x4_t rnnrt_neon_exp_reduce(float32x4_t x, int32x4_t *n)
{
    float32x4_t shifter = vdupq_n_f32(RNNRT_VM_SHIFTER);
    float32x4_t z = vfmaq_f32(shifter, x, vdupq_n_f32(RNNRT_VM_LOG2E));
    float32x4_t nf = vsubq_f32(z, shifter);
    float32x4_t r = vfmsq_f32(x, nf, vdupq_n_f32(RNNRT_VM_LN2_HI));
    *n = vsubq_s32(vreinterpretq_s32_f32(z), vdupq_n_s32(RNNRT_VM_SHIFTER_BITS));
    return vfmsq_f32(r, nf, vdupq_n_f32(RNNRT_VM_LN2_LO));
}

/* exp(r) for |r| <= ln2/2 (relative error 2^-28.2 before rounding). */
static inline float32x4_t rnnrt_neon_exp_poly(float32x4_t r)
{
    float32x4_t p = vfmaq_f32(vdupq_n_f32(RNNRT_VM_EXP_E5), vdupq_n_f32(RNNRT_VM_EXP_E6), r);
    p = vfmaq_f32(vdupq_n_f32(RNNRT_VM_EXP_E4), p, r);
    p = vfmaq_f32(vdupq_n_f32(RNNRT_VM_EXP_E3), p, r);
    p = vfmaq_f32(vdupq_n_f32(RNNRT_VM_EXP_E2), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);
    return vfmaq_f32(vdupq_n_f32(1.0f), p, r);
}

/* 2^k as a float for -127 <= k <= 127 (k = -127 gives +0). */
static inline float32x4_t rnnrt_neon_pow2i(int32x4_t k)
{
    return vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(k, vdupq_n_s32(127)), 23));
}

/* e^x for EXP_LO <= x <= EXP_HI. 2^n (-150 <= n <= 128) is applied as two factors 2^(n>>1)
 * and 2^(n - (n>>1)), both normal; the first product is exact, so a subnormal result is
 * rounded once. */
static inline float32x4_t rnnrt_neon_exp_inrange(float32x4_t x)
{
    int32x4_t n;
    float32x4_t p = rnnrt_neon_exp_poly(rnnrt_neon_exp_reduce(x, &n));
    int32x4_t n1 = vshrq_n_s32(n, 1);
    int32x4_t n2 = vsubq_s32(n, n1);
    return vmulq_f32(vmulq_f32(p, rnnrt_neon_pow2i(n1)), rnnrt_neon_pow2i(n2));
}

static inline float32x4_t rnnrt_neon_exp_core(float32x4_t x)
{
    float32x4_t hi = vdupq_n_f32(RNNRT_VM_EXP_HI);
    float32x4_t xc = vminq_f32(vmaxq_f32(x, vdupq_n_f32(RNNRT_VM_EXP_LO)), hi);
    float32x4_t y = rnnrt_neon_exp_inrange(xc);
    return vbslq_f32(vcgtq_f32(x, hi), vdupq_n_f32(__builtin_inff()), y);
}

/* sigmoid(x) = *pos / *d and sigmoid(-x) = 1 - sigmoid(x) = *neg / *d, both without
 * cancellation: with e = e^-|x|, d = 1 + e and {pos, neg} = {1, e}. e uses one factor 2^n;
 * |x| is clamped to SIGMOID_CLAMP, where n = -127 gives e = 0. */
static inline void rnnrt_neon_sigmoid_parts(float32x4_t x, float32x4_t *pos, float32x4_t *neg,
                                            float32x4_t *d)
{
    float32x4_t a = vminq_f32(vabsq_f32(x), vdupq_n_f32(RNNRT_VM_SIGMOID_CLAMP));
    int32x4_t n;
    float32x4_t p = rnnrt_neon_exp_poly(rnnrt_neon_exp_reduce(vnegq_f32(a), &n));
    float32x4_t e = vmulq_f32(p, rnnrt_neon_pow2i(n));
    float32x4_t one = vdupq_n_f32(1.0f);
    uint32x4_t negative = vcltq_s32(vreinterpretq_s32_f32(x), vdupq_n_s32(0)); /* -0 too */
    *d = vaddq_f32(one, e);
    *pos = vbslq_f32(negative, e, one);
    *neg = vbslq_f32(negative, one, e);
}

static inline float32x4_t rnnrt_neon_sigmoid_core(float32x4_t x)
{
    float32x4_t pos, neg, d;
    rnnrt_neon_sigmoid_parts(x, &pos, &neg, &d);
    return vdivq_f32(pos, d);
}

/* expm1(2a) for 0 <= a <= TANH_CLAMP: 2^n * expm1(r) + (2^n - 1), 0 <= n <= 27. */
static inline float32x4_t rnnrt_neon_expm1_2a(float32x4_t a)
{
    int32x4_t n;
    float32x4_t r = rnnrt_neon_exp_reduce(vaddq_f32(a, a), &n);
    float32x4_t q =
        vfmaq_f32(vdupq_n_f32(RNNRT_VM_EXPM1_M5), vdupq_n_f32(RNNRT_VM_EXPM1_M6), r);
    q = vfmaq_f32(vdupq_n_f32(RNNRT_VM_EXPM1_M4), q, r);
    q = vfmaq_f32(vdupq_n_f32(RNNRT_VM_EXPM1_M3), q, r);
    q = vfmaq_f32(vdupq_n_f32(0.5f), q, r);
    q = vfmaq_f32(r, q, vmulq_f32(r, r));
    float32x4_t s = rnnrt_neon_pow2i(n);
    return vfmaq_f32(vsubq_f32(s, vdupq_n_f32(1.0f)), s, q);
}

static inline float32x4_t rnnrt_neon_tanh_core(float32x4_t x)
{
    float32x4_t a = vminq_f32(vabsq_f32(x), vdupq_n_f32(RNNRT_VM_TANH_CLAMP));
    float32x4_t m = rnnrt_neon_expm1_2a(a);
    float32x4_t t = vdivq_f32(m, vaddq_f32(m, vdupq_n_f32(2.0f)));
    uint32x4_t sign = vandq_u32(vreinterpretq_u32_f32(x), vdupq_n_u32(0x80000000u));
    return vreinterpretq_f32_u32(vorrq_u32(vreinterpretq_u32_f32(t), sign));
}

static inline float32x4_t rnnrt_neon_exp(float32x4_t x)
{
    uint32x4_t nan = rnnrt_neon_nan_mask(x);
    return rnnrt_neon_put_nan(rnnrt_neon_exp_core(rnnrt_neon_drop_nan(x, nan)), x, nan);
}

static inline float32x4_t rnnrt_neon_sigmoid(float32x4_t x)
{
    uint32x4_t nan = rnnrt_neon_nan_mask(x);
    return rnnrt_neon_put_nan(rnnrt_neon_sigmoid_core(rnnrt_neon_drop_nan(x, nan)), x, nan);
}

static inline float32x4_t rnnrt_neon_tanh(float32x4_t x)
{
    uint32x4_t nan = rnnrt_neon_nan_mask(x);
    return rnnrt_neon_put_nan(rnnrt_neon_tanh_core(rnnrt_neon_drop_nan(x, nan)), x, nan);
}

#endif /* RNNRT_SIMD_NEON_VMATH_NEON_H */
