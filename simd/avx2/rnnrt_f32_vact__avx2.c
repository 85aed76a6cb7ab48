/* rnnrt_f32_vact__avx2: the activation functions of simd/kernels.h on 8 lanes, the body of
 * simd/vact_body.h over AVX2 + FMA; the tail through maskload/maskstore (masked-off lanes
 * are neither read nor written). */
#include "kernels.h"
#include "vmath_avx2.h"

typedef __m256 vf;
#define VF_LANES 8

static inline vf vf_load(const float *p) { return _mm256_loadu_ps(p); }
static inline void vf_store(float *p, vf v) { _mm256_storeu_ps(p, v); }
static inline vf vf_load_tail(const float *p, size_t rem)
{
    return _mm256_maskload_ps(p, rnnrt_avx2_tail_mask(rem));
}
static inline void vf_store_tail(float *p, size_t rem, vf v)
{
    _mm256_maskstore_ps(p, rnnrt_avx2_tail_mask(rem), v);
}
static inline vf vf_set(float s) { return _mm256_set1_ps(s); }
static inline vf vf_add(vf a, vf b) { return _mm256_add_ps(a, b); }
static inline vf vf_sub(vf a, vf b) { return _mm256_sub_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
static inline vf vf_div(vf a, vf b) { return _mm256_div_ps(a, b); }
static inline vf vf_fma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
static inline vf vf_abs(vf x) { return rnnrt_avx2_abs(x); }
/* maxps and minps return their second operand when either is NaN */
static inline vf vf_max(vf k, vf v) { return _mm256_max_ps(k, v); }
static inline vf vf_min(vf k, vf v) { return _mm256_min_ps(k, v); }
static inline vf vf_if_ge(vf x, vf t, vf a, vf b)
{
    return _mm256_blendv_ps(b, a, _mm256_cmp_ps(x, t, _CMP_GE_OQ));
}
static inline vf vf_if_gt(vf x, vf t, vf a, vf b)
{
    return _mm256_blendv_ps(b, a, _mm256_cmp_ps(x, t, _CMP_GT_OQ));
}
static inline vf vf_keep_nan(vf y, vf x)
{
    return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}
static inline vf vf_exp(vf x) { return rnnrt_avx2_exp_core(x); }
static inline vf vf_sigmoid(vf x) { return rnnrt_avx2_sigmoid_core(x); }
static inline vf vf_tanh(vf x) { return rnnrt_avx2_tanh_core(x); }

#define RNNRT_VACT_FN rnnrt_f32_vact__avx2
#include "vact_body.h"
