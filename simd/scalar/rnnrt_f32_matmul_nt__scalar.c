/* rnnrt_f32_matmul_nt__scalar: each output one dot product (see simd/kernels.h), summed in
 * 8 interleaved partial sums as the SIMD sets do: the rounding error then grows with K/8
 * rather than K, and the compiler can keep the partial sums in one vector register. */
#include "scalar_kernels.h"

#define LANES 8

static float dot(size_t K, const float *x, const float *w)
{
    float part[LANES] = {0};
    size_t k = 0;
    for (; k + LANES <= K; k += LANES)
        for (int l = 0; l < LANES; l++)
            part[l] += x[k + l] * w[k + l];
    for (int l = 0; k < K; k++, l++)
        part[l] += x[k] * w[k];
    float total = 0.0f;
    for (int l = 0; l < LANES; l++)
        total += part[l];
    return total;
}

void rnnrt_f32_matmul_nt__scalar(size_t M, size_t N, size_t K, const float *a, size_t lda,
                                 const float *w, size_t ldw, const float *bias, float *c,
                                 size_t ldc)
{
    for (size_t m = 0; m < M; m++)
        for (size_t n = 0; n < N; n++)
            c[m * ldc + n] = (bias ? bias[n] : 0.0f) + dot(K, a + m * lda, w + n * ldw);
}
