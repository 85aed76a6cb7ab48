/* rnnrt_f32_vact__avx512: the activation functions of simd/kernels.h on 16 lanes, the body
 * of simd/vact_body.h over AVX-512; the tail through masked loads and stores (masked-off
 * lanes are neither read nor written). */
#include "kernels.h"
#include "vmath_avx512.h"

typedef __m512 vf;
#define VF_LANES 16

static inline vf vf_load(const float *p) { return _mm512_loadu_ps(p); }
static inline void vf_store(float *p, vf v) { _mm512_storeu_ps(p, v); }
static inline vf vf_load_tail(const float *p, size_t rem)
{
    return _mm512_maskz_loadu_ps(rnnrt_avx512_tail_mask(rem), p);
}
static inline void vf_store_tail(float *p, size_t rem, vf v)
{
    _mm512_mask_storeu_ps(p, rnnrt_avx512_tail_mask(rem), v);
}
static inline vf vf_set(float s) { return _mm512_set1_ps(s); }
static inline vf vf_add(vf a, vf b) { return _mm512_add_ps(a, b); }
static inline vf vf_sub(vf a, vf b) { return _mm512_sub_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
static inline vf vf_div(vf a, vf b) { return _mm512_div_ps(a, b); }
static inline vf vf_fma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
static inline vf vf_abs(vf x) { return rnnrt_avx512_abs(x); }
/* vmaxps and vminps return their second operand when either is NaN */
static inline vf vf_max(vf k, vf v) { return _mm512_max_ps(k, v); }
static inline vf vf_min(vf k, vf v) { return _mm512_min_ps(k, v); }
static inline vf vf_if_ge(vf x, vf t, vf a, vf b)
{
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, t, _CMP_GE_OQ), b, a);
}
static inline vf vf_if_gt(vf x, vf t, vf a, vf b)
{
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, t, _CMP_GT_OQ), b, a);
}
static inline vf vf_keep_nan(vf y, vf x)
{
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), y, x);
}
static inline vf vf_exp(vf x) { return rnnrt_avx512_exp_core(x); }
static inline vf vf_sigmoid(vf x) { return rnnrt_avx512_sigmoid_core(x); }
static inline vf vf_tanh(vf x) { return rnnrt_avx512_tanh_core(x); }

#define RNNRT_VACT_FN rnnrt_f32_vact__avx512
#include "vact_body.h"
