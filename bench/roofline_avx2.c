/* Roofline kernels for AVX2 + FMA (compiled with -mavx2 -mfma): see roofline.h. */
#include <immintrin.h>

#include "roofline.h"

/* 12 accumulators: 2 FMA pipes x 4-cycle latency needs 8 in flight; 12 leaves headroom and
 * 4 of the 16 ymm registers for the operands. */
double rnnrt_bench_fma__avx2(size_t iters, float *sink)
{
    const __m256 m = _mm256_set1_ps(0.9999999f), c = _mm256_set1_ps(1e-7f);
    __m256 a0 = _mm256_set1_ps(1.0f), a1 = _mm256_set1_ps(1.1f), a2 = _mm256_set1_ps(1.2f);
    __m256 a3 = _mm256_set1_ps(1.3f), a4 = _mm256_set1_ps(1.4f), a5 = _mm256_set1_ps(1.5f);
    __m256 a6 = _mm256_set1_ps(1.6f), a7 = _mm256_set1_ps(1.7f), a8 = _mm256_set1_ps(1.8f);
    __m256 a9 = _mm256_set1_ps(1.9f), a10 = _mm256_set1_ps(2.0f), a11 = _mm256_set1_ps(2.1f);
    for (size_t i = 0; i < iters; i++) {
        a0 = _mm256_fmadd_ps(a0, m, c);
        a1 = _mm256_fmadd_ps(a1, m, c);
        a2 = _mm256_fmadd_ps(a2, m, c);
        a3 = _mm256_fmadd_ps(a3, m, c);
        a4 = _mm256_fmadd_ps(a4, m, c);
        a5 = _mm256_fmadd_ps(a5, m, c);
        a6 = _mm256_fmadd_ps(a6, m, c);
        a7 = _mm256_fmadd_ps(a7, m, c);
        a8 = _mm256_fmadd_ps(a8, m, c);
        a9 = _mm256_fmadd_ps(a9, m, c);
        a10 = _mm256_fmadd_ps(a10, m, c);
        a11 = _mm256_fmadd_ps(a11, m, c);
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
    *sink += _mm256_cvtss_f32(s);
    return (double)iters * 12 * 8 * 2;
}

double rnnrt_bench_read__avx2(const float *buf, size_t n, size_t passes, float *sink)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0,
           s7 = s0;
    for (size_t p = 0; p < passes; p++)
        for (size_t j = 0; j < n; j += 64) {
            s0 = _mm256_add_ps(s0, _mm256_load_ps(buf + j));
            s1 = _mm256_add_ps(s1, _mm256_load_ps(buf + j + 8));
            s2 = _mm256_add_ps(s2, _mm256_load_ps(buf + j + 16));
            s3 = _mm256_add_ps(s3, _mm256_load_ps(buf + j + 24));
            s4 = _mm256_add_ps(s4, _mm256_load_ps(buf + j + 32));
            s5 = _mm256_add_ps(s5, _mm256_load_ps(buf + j + 40));
            s6 = _mm256_add_ps(s6, _mm256_load_ps(buf + j + 48));
            s7 = _mm256_add_ps(s7, _mm256_load_ps(buf + j + 56));
        }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)),
                             _mm256_add_ps(_mm256_add_ps(s4, s5), _mm256_add_ps(s6, s7)));
    *sink += _mm256_cvtss_f32(s);
    return (double)n * sizeof(float) * passes;
}
