/* Roofline kernels for AVX-512F (compiled with -mavx512f): see roofline.h. */
#include <immintrin.h>

#include "roofline.h"

/* 16 accumulators: 2 512-bit FMA pipes x 4-cycle latency needs 8 in flight. */
double rnnrt_bench_fma__avx512(size_t iters, float *sink)
{
    const __m512 m = _mm512_set1_ps(0.9999999f), c = _mm512_set1_ps(1e-7f);
    __m512 a0 = _mm512_set1_ps(1.0f);
    __m512 a1 = _mm512_set1_ps(1.1f);
    __m512 a2 = _mm512_set1_ps(1.2f);
    __m512 a3 = _mm512_set1_ps(1.3f);
    __m512 a4 = _mm512_set1_ps(1.4f);
    __m512 a5 = _mm512_set1_ps(1.5f);
    __m512 a6 = _mm512_set1_ps(1.6f);
    __m512 a7 = _mm512_set1_ps(1.7f);
    __m512 a8 = _mm512_set1_ps(1.8f);
    __m512 a9 = _mm512_set1_ps(1.9f);
    __m512 a10 = _mm512_set1_ps(2.0f);
    __m512 a11 = _mm512_set1_ps(2.1f);
    __m512 a12 = _mm512_set1_ps(2.2f);
    __m512 a13 = _mm512_set1_ps(2.3f);
    __m512 a14 = _mm512_set1_ps(2.4f);
    __m512 a15 = _mm512_set1_ps(2.5f);
    for (size_t i = 0; i < iters; i++) {
        a0 = _mm512_fmadd_ps(a0, m, c);
        a1 = _mm512_fmadd_ps(a1, m, c);
        a2 = _mm512_fmadd_ps(a2, m, c);
        a3 = _mm512_fmadd_ps(a3, m, c);
        a4 = _mm512_fmadd_ps(a4, m, c);
        a5 = _mm512_fmadd_ps(a5, m, c);
        a6 = _mm512_fmadd_ps(a6, m, c);
        a7 = _mm512_fmadd_ps(a7, m, c);
        a8 = _mm512_fmadd_ps(a8, m, c);
        a9 = _mm512_fmadd_ps(a9, m, c);
        a10 = _mm512_fmadd_ps(a10, m, c);
        a11 = _mm512_fmadd_ps(a11, m, c);
        a12 = _mm512_fmadd_ps(a12, m, c);
        a13 = _mm512_fmadd_ps(a13, m, c);
        a14 = _mm512_fmadd_ps(a14, m, c);
        a15 = _mm512_fmadd_ps(a15, m, c);
    }
    __m512 s = _mm512_add_ps(a0, a1);
    s = _mm512_add_ps(s, a2);
    s = _mm512_add_ps(s, a3);
    s = _mm512_add_ps(s, a4);
    s = _mm512_add_ps(s, a5);
    s = _mm512_add_ps(s, a6);
    s = _mm512_add_ps(s, a7);
    s = _mm512_add_ps(s, a8);
    s = _mm512_add_ps(s, a9);
    s = _mm512_add_ps(s, a10);
    s = _mm512_add_ps(s, a11);
    s = _mm512_add_ps(s, a12);
    s = _mm512_add_ps(s, a13);
    s = _mm512_add_ps(s, a14);
    s = _mm512_add_ps(s, a15);
    *sink += _mm512_reduce_add_ps(s);
    return (double)iters * 16 * 16 * 2;
}

double rnnrt_bench_read__avx512(const float *buf, size_t n, size_t passes, float *sink)
{
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0,
           s7 = s0;
    for (size_t p = 0; p < passes; p++)
        for (size_t j = 0; j < n; j += 128) {
            s0 = _mm512_add_ps(s0, _mm512_load_ps(buf + j));
            s1 = _mm512_add_ps(s1, _mm512_load_ps(buf + j + 16));
            s2 = _mm512_add_ps(s2, _mm512_load_ps(buf + j + 32));
            s3 = _mm512_add_ps(s3, _mm512_load_ps(buf + j + 48));
            s4 = _mm512_add_ps(s4, _mm512_load_ps(buf + j + 64));
            s5 = _mm512_add_ps(s5, _mm512_load_ps(buf + j + 80));
            s6 = _mm512_add_ps(s6, _mm512_load_ps(buf + j + 96));
            s7 = _mm512_add_ps(s7, _mm512_load_ps(buf + j + 112));
        }
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)),
                             _mm512_add_ps(_mm512_add_ps(s4, s5), _mm512_add_ps(s6, s7)));
    *sink += _mm512_reduce_add_ps(s);
    return (double)n * sizeof(float) * passes;
}
