/* rnnrt_f32_gru_gates__neon: the GRU cell update of simd/kernels.h on 4 units at a time, the
 * tail through maskload/maskstore (nothing past n is read or written).
 * h = n + z*(h_prev - n), the form PyTorch evaluates. NaN inputs give NaN outputs; they may
 * raise FE_INVALID (see vmath_neon.h). */
#include "kernels.h"
#include "vmath_neon.h"

static inline float32x4_t gru_cell(float32x4_t r, float32x4_t z, float32x4_t xn,
                                   float32x4_t hn, float32x4_t hp)
{
    float32x4_t nn = rnnrt_neon_tanh_core(vfmaq_f32(xn, rnnrt_neon_sigmoid_core(r), hn));
    return vfmaq_f32(nn, rnnrt_neon_sigmoid_core(z), vsubq_f32(hp, nn));
}

void rnnrt_f32_gru_gates__neon(size_t n, const float *r, const float *z, const float *xn,
                               const float *hn, const float *h_prev, float *h)
{
    size_t j = 0;
    for (; j + 4 <= n; j += 4)
        vst1q_f32(h + j, gru_cell(vld1q_f32(r + j), vld1q_f32(z + j), vld1q_f32(xn + j),
                                  vld1q_f32(hn + j), vld1q_f32(h_prev + j)));
    if (j < n) {
        size_t rem = n - j;
        float32x4_t hv =
            gru_cell(rnnrt_neon_load_tail(r + j, rem), rnnrt_neon_load_tail(z + j, rem),
                     rnnrt_neon_load_tail(xn + j, rem), rnnrt_neon_load_tail(hn + j, rem),
                     rnnrt_neon_load_tail(h_prev + j, rem));
        rnnrt_neon_store_tail(h + j, rem, hv);
    }
}
