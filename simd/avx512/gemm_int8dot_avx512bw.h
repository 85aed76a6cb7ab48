/* The AVX-512BW int8 dot-product tiles (rnnrt_int8dot_gemm_t in simd/kernels.h) for AVX-512
 * CPUs without VNNI (Skylake-SP): the AVX2 tiles' method 64 columns wide. vpmaddubsw takes
 * one operand unsigned, and a + 128 would saturate its int16 pairs (2 x 255 x 127 > 2^15), so
 * a's signs move onto the weights instead (AVX-512 has no vpsignb: a masked subtract from
 * zero, the mask from a's sign bits) and |a| multiplies them (2 x 127 x 127 < 2^15); vpmaddwd
 * by ones sums the pairs to int32. Exact sums: the bytes of every int8dot tile. */
#ifndef RNNRT_SIMD_GEMM_INT8DOT_AVX512BW_H
#define RNNRT_SIMD_GEMM_INT8DOT_AVX512BW_H

#include <immintrin.h>
#include <string.h>

#include "gemm_rows.h"
#include "kernels.h"

static inline __attribute__((always_inline)) void
rnnrt_avx512bw_int8dot_tile(const int R, const int NV, size_t kc, const int8_t *a, size_t lda,
                            const float *a_scale, const int8_t *b, const float *scale,
                            const float *init, size_t ld_init, float *c, size_t ldc)
{
    __m512i acc[6][4]; /* rows past R: dead cases of RNNRT_GEMM_SWITCH_ROWS */
    const __m512i ones = _mm512_set1_epi16(1), zero = _mm512_setzero_si512();
    for (int m = 0; m < R; m++)
        for (int v = 0; v < NV; v++)
            acc[m][v] = _mm512_setzero_si512();
    for (size_t k4 = 0; k4 < kc / 4; k4++) {
        const int8_t *w = b + k4 * 64 * (size_t)NV;
        __m512i bv[4];
        for (int v = 0; v < NV; v++)
            bv[v] = _mm512_load_si512((const void *)(w + 64 * v));
        for (int m = 0; m < R; m++) {
            int32_t q;
            memcpy(&q, a + (size_t)m * lda + 4 * k4, sizeof q);
            const __m512i quad = _mm512_set1_epi32(q), mag = _mm512_abs_epi8(quad);
            const __mmask64 negative = _mm512_movepi8_mask(quad);
            for (int v = 0; v < NV; v++) {
                const __m512i signed_w = _mm512_mask_sub_epi8(bv[v], negative, zero, bv[v]);
                const __m512i pairs = _mm512_maddubs_epi16(mag, signed_w);
                acc[m][v] = _mm512_add_epi32(acc[m][v], _mm512_madd_epi16(pairs, ones));
            }
        }
    }
    for (int m = 0; m < R; m++) {
        const __m512 sa = _mm512_set1_ps(a_scale[m]);
        for (int v = 0; v < NV; v++) {
            const __m512 s = _mm512_mul_ps(sa, _mm512_loadu_ps(scale + 16 * v));
            const __m512 base = init ? _mm512_loadu_ps(init + (size_t)m * ld_init + 16 * v)
                                     : _mm512_setzero_ps();
            _mm512_storeu_ps(c + (size_t)m * ldc + 16 * v,
                             _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[m][v]), s, base));
        }
    }
}

static inline __attribute__((always_inline)) void
rnnrt_avx512bw_int8dot_gemm(const int MR, const int NV, size_t mr, size_t kc, const int8_t *a,
                            size_t lda, const float *a_scale, const int8_t *b,
                            const float *scale, const float *init, size_t ld_init, float *c,
                            size_t ldc)
{
    assert(MR <= 6 && NV <= 4 && kc % 4 == 0 && kc <= RNNRT_INT8DOT_MAX_K);
#define RNNRT_AVX512BW_TILE(R)                                                              \
    rnnrt_avx512bw_int8dot_tile(R, NV, kc, a, lda, a_scale, b, scale, init, ld_init, c, ldc)
    RNNRT_GEMM_SWITCH_ROWS(MR, mr, RNNRT_AVX512BW_TILE);
#undef RNNRT_AVX512BW_TILE
}

#endif
