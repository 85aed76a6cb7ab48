/* AVX2+FMA matmul_nt: each output one dot product, 8 lanes with two accumulators, the tail
 * in scalar code. Contract: simd/kernels.h. */
#include <immintrin.h>

#include "kernels.h"

static float dot(size_t K, const float *x, const float *w)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    size_t k = 0;
    for (; k + 16 <= K; k += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k), _mm256_loadu_ps(w + k), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + k + 8), _mm256_loadu_ps(w + k + 8), s1);
    }
    __m256 s = _mm256_add_ps(s0, s1);
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    q = _mm_add_ss(q, _mm_movehdup_ps(q));
    float total = _mm_cvtss_f32(q);
    for (; k < K; k++)
        total += x[k] * w[k];
    return total;
}

void rnnrt_f32_matmul_nt__avx2(size_t M, size_t N, size_t K, const float *a, size_t lda,
                               const float *w, size_t ldw, const float *bias, float *c,
                               size_t ldc)
{
    for (size_t m = 0; m < M; m++)
        for (size_t n = 0; n < N; n++)
            c[m * ldc + n] = (bias ? bias[n] : 0.0f) + dot(K, a + m * lda, w + n * ldw);
}
