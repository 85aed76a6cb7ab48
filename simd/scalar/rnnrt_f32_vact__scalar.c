/* rnnrt_f32_vact__scalar: the activation functions of simd/kernels.h one element at a time,
 * the body of simd/vact_body.h over floats, with libm's exp and tanh as the scalar set's
 * vector math is; the fallback set and the model sets' kernel. */
#include <math.h>

#include "scalar_kernels.h"

typedef float vf;
#define VF_LANES 1

static inline vf vf_load(const float *p) { return *p; }
static inline void vf_store(float *p, vf v) { *p = v; }
/* never called: one lane leaves no tail */
static inline vf vf_load_tail(const float *p, size_t rem) { return rem ? *p : 0.0f; }
static inline void vf_store_tail(float *p, size_t rem, vf v)
{
    if (rem)
        *p = v;
}
static inline vf vf_set(float s) { return s; }
static inline vf vf_add(vf a, vf b) { return a + b; }
static inline vf vf_sub(vf a, vf b) { return a - b; }
static inline vf vf_mul(vf a, vf b) { return a * b; }
static inline vf vf_div(vf a, vf b) { return a / b; }
static inline vf vf_fma(vf a, vf b, vf c) { return a * b + c; } /* unfused, as the set's tiles */
static inline vf vf_abs(vf x) { return fabsf(x); }
static inline vf vf_max(vf k, vf v) { return isnan(v) || isgreater(v, k) ? v : k; }
static inline vf vf_min(vf k, vf v) { return isnan(v) || isless(v, k) ? v : k; }
static inline vf vf_if_ge(vf x, vf t, vf a, vf b) { return isgreaterequal(x, t) ? a : b; }
static inline vf vf_if_gt(vf x, vf t, vf a, vf b) { return isgreater(x, t) ? a : b; }
static inline vf vf_keep_nan(vf y, vf x) { return isnan(x) ? x : y; }
/* past ln(FLT_MAX) expf would raise FE_OVERFLOW; the rounded result is +inf */
static inline vf vf_exp(vf x) { return isgreater(x, 0x1.62e42ep+6f) ? INFINITY : expf(x); }
static inline vf vf_sigmoid(vf x) { return rnnrt_sigmoidf(x); }
static inline vf vf_tanh(vf x) { return tanhf(x); }

#define RNNRT_VACT_FN rnnrt_f32_vact__scalar
#include "vact_body.h"
