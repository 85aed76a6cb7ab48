/* rnnrt_f32_lstm_gates__neon: the LSTM cell update of simd/kernels.h on 4 units at a time,
 * the tail through a zeroed stack vector (nothing past n is read or written).
 * NaN inputs give NaN outputs; they may raise FE_INVALID (see vmath_neon.h). */
#include "kernels.h"
#include "vmath_neon.h"

static inline void lstm_cell(float32x4_t i, float32x4_t f, float32x4_t g, float32x4_t o,
                             float32x4_t cp, float32x4_t *c, float32x4_t *h)
{
    float32x4_t ig = vmulq_f32(rnnrt_neon_sigmoid_core(i), rnnrt_neon_tanh_core(g));
    *c = vfmaq_f32(ig, rnnrt_neon_sigmoid_core(f), cp);
    *h = vmulq_f32(rnnrt_neon_sigmoid_core(o), rnnrt_neon_tanh_core(*c));
}

static void lstm_row(size_t n, const float *i, const float *f, const float *g,
                     const float *o, const float *c_prev, float *c, float *h)
{
    float32x4_t cv, hv;
    size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        lstm_cell(vld1q_f32(i + j), vld1q_f32(f + j), vld1q_f32(g + j), vld1q_f32(o + j),
                  vld1q_f32(c_prev + j), &cv, &hv);
        vst1q_f32(c + j, cv);
        vst1q_f32(h + j, hv);
    }
    if (j < n) {
        size_t rem = n - j;
        lstm_cell(rnnrt_neon_load_tail(i + j, rem), rnnrt_neon_load_tail(f + j, rem),
                  rnnrt_neon_load_tail(g + j, rem), rnnrt_neon_load_tail(o + j, rem),
                  rnnrt_neon_load_tail(c_prev + j, rem), &cv, &hv);
        rnnrt_neon_store_tail(c + j, rem, cv);
        rnnrt_neon_store_tail(h + j, rem, hv);
    }
}

void rnnrt_f32_lstm_gates__neon(size_t rows, size_t n, const float *t, size_t ldt, size_t gs,
                                const float *c_prev, float *c, size_t ldc, float *h, size_t ldh)
{
    rnnrt_f32_lstm_rows(lstm_row, rows, n, t, ldt, gs, c_prev, c, ldc, h, ldh);
}
