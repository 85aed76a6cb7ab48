/* The AVX2 int8 dot-product tiles (rnnrt_int8dot_gemm_t, rnnrt_int8dot_gemm_pair_t in
 * simd/kernels.h). AVX2 has no signed x signed byte product: vpmaddubsw multiplies unsigned
 * by signed bytes and adds pairs into int16. So a's signs move onto the weights (vpsignb;
 * a is in [-127, 127], so |a| fits a byte and 2 * 127 * 127 cannot saturate int16), and
 * vpmaddwd by ones adds the pairs into int32: 32 products in four instructions, against 8
 * per FMA (plus widening) for int8 weights on float activations. A 32-byte panel vector is 8
 * columns of four k, so each int32 lane accumulates one column. */
#ifndef RNNRT_SIMD_GEMM_INT8DOT_AVX2_H
#define RNNRT_SIMD_GEMM_INT8DOT_AVX2_H

#include <immintrin.h>
#include <string.h>

#include "gemm_rows.h"
#include "kernels.h"

/* acc += the four-k products of a's quad (as one int32) with panel vector w. */
static inline __attribute__((always_inline)) __m256i rnnrt_avx2_dot4(__m256i acc, __m256i quad,
                                                                     __m256i abs_quad, __m256i w)
{
    const __m256i pairs = _mm256_maddubs_epi16(abs_quad, _mm256_sign_epi8(w, quad));
    return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
}

static inline __attribute__((always_inline)) __m256i rnnrt_avx2_quad(const int8_t *x)
{
    int32_t q;
    memcpy(&q, x, sizeof q);
    return _mm256_set1_epi32(q);
}

/* c[8v + j] = fma((float)acc[v][j], a_scale * scale[8v + j], init or +0) (kernels.h). */
static inline __attribute__((always_inline)) void
rnnrt_avx2_int8dot_store(const int NV, const __m256i *acc, float a_scale, const float *scale,
                         const float *init, float *c)
{
    const __m256 sa = _mm256_set1_ps(a_scale);
    for (int v = 0; v < NV; v++) {
        const __m256 s = _mm256_mul_ps(sa, _mm256_loadu_ps(scale + 8 * v));
        const __m256 base = init ? _mm256_loadu_ps(init + 8 * v) : _mm256_setzero_ps();
        _mm256_storeu_ps(c + 8 * v, _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[v]), s, base));
    }
}

/* R rows by 8 NV columns: per group of four k, each row's quad once, then its NV products;
 * R * NV accumulators (at most 8 keep the panel vector, quad and |quad| in registers). */
static inline __attribute__((always_inline)) void
rnnrt_avx2_int8dot_tile(const int R, const int NV, size_t kc, const int8_t *a, size_t lda,
                        const float *a_scale, const int8_t *b, const float *scale,
                        const float *init, size_t ld_init, float *c, size_t ldc)
{
    __m256i acc[8][4]; /* rows past MR: dead cases of RNNRT_GEMM_SWITCH_ROWS */
    for (int m = 0; m < R; m++)
        for (int v = 0; v < NV; v++)
            acc[m][v] = _mm256_setzero_si256();
    for (size_t k4 = 0; k4 < kc / 4; k4++) {
        const int8_t *w = b + k4 * 32 * (size_t)NV;
        for (int m = 0; m < R; m++) {
            const __m256i quad = rnnrt_avx2_quad(a + (size_t)m * lda + 4 * k4);
            const __m256i abs_quad = _mm256_abs_epi8(quad);
            for (int v = 0; v < NV; v++)
                acc[m][v] = rnnrt_avx2_dot4(acc[m][v], quad, abs_quad,
                                            _mm256_load_si256((const __m256i *)(w + 32 * v)));
        }
    }
    for (int m = 0; m < R; m++)
        rnnrt_avx2_int8dot_store(NV, acc[m], a_scale[m], scale,
                                 init ? init + (size_t)m * ld_init : NULL, c + (size_t)m * ldc);
}

static inline __attribute__((always_inline)) void
rnnrt_avx2_int8dot_gemm(const int MR, const int NV, size_t mr, size_t kc, const int8_t *a,
                        size_t lda, const float *a_scale, const int8_t *b, const float *scale,
                        const float *init, size_t ld_init, float *c, size_t ldc)
{
    assert(MR <= 4 && NV <= 4 && kc % 4 == 0 && kc <= RNNRT_INT8DOT_MAX_K);
#define RNNRT_AVX2_INT8DOT_TILE(R)                                                          \
    rnnrt_avx2_int8dot_tile(R, NV, kc, a, lda, a_scale, b, scale, init, ld_init, c, ldc)
    RNNRT_GEMM_SWITCH_ROWS(MR, mr, RNNRT_AVX2_INT8DOT_TILE);
#undef RNNRT_AVX2_INT8DOT_TILE
}

/* One row over two panels: 2 NV accumulators, the quad shared. */
static inline __attribute__((always_inline)) void
rnnrt_avx2_int8dot_pair(const int NV, size_t kc, const int8_t *a, float a_scale,
                        const int8_t *b, size_t next, const float *scale, const float *init,
                        float *c)
{
    assert(NV <= 4 && kc % 4 == 0 && kc <= RNNRT_INT8DOT_MAX_K);
    __m256i acc[2][4];
    for (int q = 0; q < 2; q++)
        for (int v = 0; v < NV; v++)
            acc[q][v] = _mm256_setzero_si256();
    for (size_t k4 = 0; k4 < kc / 4; k4++) {
        const __m256i quad = rnnrt_avx2_quad(a + 4 * k4), abs_quad = _mm256_abs_epi8(quad);
        for (int q = 0; q < 2; q++) {
            const int8_t *w = b + (q ? next : 0) + k4 * 32 * (size_t)NV;
            for (int v = 0; v < NV; v++)
                acc[q][v] = rnnrt_avx2_dot4(acc[q][v], quad, abs_quad,
                                            _mm256_load_si256((const __m256i *)(w + 32 * v)));
        }
    }
    for (int q = 0; q < 2; q++)
        rnnrt_avx2_int8dot_store(NV, acc[q], a_scale, scale + 8 * NV * q,
                                 init ? init + 8 * NV * q : NULL, c + 8 * NV * q);
}

#endif
