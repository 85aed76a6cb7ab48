/* rnnrt_f32_rnn_relu_gates__neon: the ReLU RNN update of simd/kernels.h, 4 units at a time,
 * the tail through a zeroed stack vector (nothing past n is read or written). FMAX gives
 * NaN when either operand is NaN, so max(0, t) keeps a NaN t. */
#include "kernels.h"
#include "vmath_neon.h"

static void rnn_relu_row(size_t n, const float *t, float *h)
{
    const float32x4_t zero = vdupq_n_f32(0.0f);
    size_t j = 0;
    for (; j + 4 <= n; j += 4)
        vst1q_f32(h + j, vmaxq_f32(zero, vld1q_f32(t + j)));
    if (j < n) {
        size_t rem = n - j;
        rnnrt_neon_store_tail(h + j, rem, vmaxq_f32(zero, rnnrt_neon_load_tail(t + j, rem)));
    }
}

void rnnrt_f32_rnn_relu_gates__neon(size_t rows, size_t n, const float *t, size_t ldt, float *h,
                                    size_t ldh)
{
    rnnrt_f32_rnn_rows(rnn_relu_row, rows, n, t, ldt, h, ldh);
}
