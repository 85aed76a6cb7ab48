/* rnnrt_f32_vact__neon: the activation functions of simd/kernels.h on 4 lanes, the body of
 * simd/vact_body.h over AArch64 Advanced SIMD; the tail through a stack vector (nothing past
 * the last element is read or written). */
#include "kernels.h"
#include "vmath_neon.h"

typedef float32x4_t vf;
#define VF_LANES 4

static inline vf vf_load(const float *p) { return vld1q_f32(p); }
static inline void vf_store(float *p, vf v) { vst1q_f32(p, v); }
static inline vf vf_load_tail(const float *p, size_t rem) { return rnnrt_neon_load_tail(p, rem); }
static inline void vf_store_tail(float *p, size_t rem, vf v) { rnnrt_neon_store_tail(p, rem, v); }
static inline vf vf_set(float s) { return vdupq_n_f32(s); }
static inline vf vf_add(vf a, vf b) { return vaddq_f32(a, b); }
static inline vf vf_sub(vf a, vf b) { return vsubq_f32(a, b); }
static inline vf vf_mul(vf a, vf b) { return vmulq_f32(a, b); }
static inline vf vf_div(vf a, vf b) { return vdivq_f32(a, b); }
static inline vf vf_fma(vf a, vf b, vf c) { return vfmaq_f32(c, a, b); }
static inline vf vf_abs(vf x) { return vabsq_f32(x); }
/* fmax and fmin give NaN when either operand is NaN */
static inline vf vf_max(vf k, vf v) { return vmaxq_f32(k, v); }
static inline vf vf_min(vf k, vf v) { return vminq_f32(k, v); }
static inline vf vf_if_ge(vf x, vf t, vf a, vf b) { return vbslq_f32(vcgeq_f32(x, t), a, b); }
static inline vf vf_if_gt(vf x, vf t, vf a, vf b) { return vbslq_f32(vcgtq_f32(x, t), a, b); }
static inline vf vf_keep_nan(vf y, vf x) { return vbslq_f32(vceqq_f32(x, x), y, x); }
static inline vf vf_exp(vf x) { return rnnrt_neon_exp_core(x); }
static inline vf vf_sigmoid(vf x) { return rnnrt_neon_sigmoid_core(x); }
static inline vf vf_tanh(vf x) { return rnnrt_neon_tanh_core(x); }

#define RNNRT_VACT_FN rnnrt_f32_vact__neon
#include "vact_body.h"
