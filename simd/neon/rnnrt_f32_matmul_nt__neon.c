/* NEON matmul_nt: each output one dot product, 4 lanes with two accumulators, the tail in
 * scalar code. Contract: simd/kernels.h. */
#include <arm_neon.h>

#include "kernels.h"

static float dot(size_t K, const float *x, const float *w)
{
    float32x4_t s0 = vdupq_n_f32(0.0f), s1 = vdupq_n_f32(0.0f);
    size_t k = 0;
    for (; k + 8 <= K; k += 8) {
        s0 = vfmaq_f32(s0, vld1q_f32(x + k), vld1q_f32(w + k));
        s1 = vfmaq_f32(s1, vld1q_f32(x + k + 4), vld1q_f32(w + k + 4));
    }
    float total = vaddvq_f32(vaddq_f32(s0, s1));
    for (; k < K; k++)
        total += x[k] * w[k];
    return total;
}

void rnnrt_f32_matmul_nt__neon(size_t M, size_t N, size_t K, const float *a, size_t lda,
                               const float *w, size_t ldw, const float *bias, float *c,
                               size_t ldc)
{
    for (size_t m = 0; m < M; m++)
        for (size_t n = 0; n < N; n++)
            c[m * ldc + n] = (bias ? bias[n] : 0.0f) + dot(K, a + m * lda, w + n * ldw);
}
