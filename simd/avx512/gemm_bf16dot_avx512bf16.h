/* The AVX512-BF16 dot-product tiles (rnnrt_bf16dot_gemm_t in simd/kernels.h): vdpbf16ps
 * adds the products of 16 pairs of bf16 to 16 float32 accumulators, each pair in the order
 * the contract states (the instruction defines it). Per pair of k, each row's pair of
 * activations is broadcast once and meets NV panel vectors of 16 columns.
 *
 * The same source builds on native intrinsics and on the software model of the
 * instructions (simd/x86_intrinsics.h), as gemm_int8dot_vnni.h does. */
#ifndef RNNRT_SIMD_GEMM_BF16DOT_AVX512BF16_H
#define RNNRT_SIMD_GEMM_BF16DOT_AVX512BF16_H

#include <string.h>

#include "x86_intrinsics.h"

#include "gemm_rows.h"
#include "kernels.h"

static inline __attribute__((always_inline)) void
rnnrt_avx512bf16_tile(const int R, const int NV, size_t kc, const uint16_t *a, size_t lda,
                      const uint16_t *b, const float *init, size_t ld_init, float *c,
                      size_t ldc)
{
    __m512 acc[8][4]; /* rows past R: dead cases of RNNRT_GEMM_SWITCH_ROWS */
    for (int m = 0; m < R; m++)
        for (int v = 0; v < NV; v++)
            acc[m][v] = init ? _mm512_loadu_ps(init + (size_t)m * ld_init + 16 * v)
                             : _mm512_setzero_ps();
    for (size_t p = 0; p < kc / 2; p++) {
        const uint16_t *w = b + p * 32 * (size_t)NV;
        __m512bh bv[4];
        for (int v = 0; v < NV; v++)
            bv[v] = (__m512bh)_mm512_load_si512((const void *)(w + 32 * v));
        for (int m = 0; m < R; m++) {
            int32_t pair;
            memcpy(&pair, a + (size_t)m * lda + 2 * p, sizeof pair);
            const __m512bh am = (__m512bh)_mm512_set1_epi32(pair);
            for (int v = 0; v < NV; v++)
                acc[m][v] = _mm512_dpbf16_ps(acc[m][v], am, bv[v]);
        }
    }
    for (int m = 0; m < R; m++)
        for (int v = 0; v < NV; v++)
            _mm512_storeu_ps(c + (size_t)m * ldc + 16 * v, acc[m][v]);
}

static inline __attribute__((always_inline)) void
rnnrt_avx512bf16_gemm(const int MR, const int NV, size_t mr, size_t kc, const uint16_t *a,
                      size_t lda, const uint16_t *b, const float *init, size_t ld_init,
                      float *c, size_t ldc)
{
    assert(MR <= 8 && NV <= 4 && MR * NV <= 24 && kc % 2 == 0);
#define RNNRT_AVX512BF16_TILE(R)                                                            \
    rnnrt_avx512bf16_tile(R, NV, kc, a, lda, b, init, ld_init, c, ldc)
    RNNRT_GEMM_SWITCH_ROWS(MR, mr, RNNRT_AVX512BF16_TILE);
#undef RNNRT_AVX512BF16_TILE
}

#endif
