/* AVX-512 matmul_nt: each output one dot product of a row of A and a row of W, 16 lanes
 * with two accumulators, the tail masked. Contract: simd/kernels.h. */
#include <immintrin.h>

#include "kernels.h"

static float dot(size_t K, const float *x, const float *w)
{
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    size_t k = 0;
    for (; k + 32 <= K; k += 32) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + k), _mm512_loadu_ps(w + k), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + k + 16), _mm512_loadu_ps(w + k + 16), s1);
    }
    for (; k < K; k += 16) {
        __mmask16 mask = K - k >= 16 ? 0xffff : (__mmask16)((1u << (K - k)) - 1);
        s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, x + k), _mm512_maskz_loadu_ps(mask, w + k),
                             s0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

void rnnrt_f32_matmul_nt__avx512(size_t M, size_t N, size_t K, const float *a, size_t lda,
                                 const float *w, size_t ldw, const float *bias, float *c,
                                 size_t ldc)
{
    for (size_t m = 0; m < M; m++)
        for (size_t n = 0; n < N; n++)
            c[m * ldc + n] = (bias ? bias[n] : 0.0f) + dot(K, a + m * lda, w + n * ldw);
}
