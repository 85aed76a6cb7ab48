/* The AVX-512 tiles on weight-only bf16 and int8 panels (rnnrt_bf16_gemm_t and
 * rnnrt_int8_gemm_t in simd/kernels.h): each k's panel row is widened to float32 in
 * registers, 16 columns per instruction chain (bf16: zero-extend and shift up 16; int8:
 * sign-extend, convert, multiply by the columns' scales), then used by every row of the
 * tile with the f32 tile's chain of fused multiply-adds (gemm_avx512.h), so each output
 * is the bytes of the set's f32 tile on the widened panel. (The scales are read from L1
 * by the multiplies: in registers, 6x64 would need 33.) */
#ifndef RNNRT_SIMD_GEMM_WIDEN_AVX512_H
#define RNNRT_SIMD_GEMM_WIDEN_AVX512_H

#include "x86_intrinsics.h"

#include "gemm_rows.h"
#include "kernels.h"

/* Panel row k, column vector v (16 columns) as float32: bf16 when q8 is NULL. */
static inline __attribute__((always_inline)) __m512
rnnrt_avx512_widen(const int NV, const uint16_t *b16, const int8_t *q8, const float *scale,
                   size_t k, int v)
{
    if (!q8) {
        const __m256i h = _mm256_loadu_si256((const __m256i *)(b16 + k * 16 * (size_t)NV + 16 * v));
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    }
    const __m128i q = _mm_loadu_si128((const __m128i *)(q8 + k * 16 * (size_t)NV + 16 * v));
    return _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q)),
                         _mm512_loadu_ps(scale + 16 * v));
}

static inline __attribute__((always_inline)) void
rnnrt_avx512_widen_tile(const int MR, const int NV, size_t kc, const float *a, size_t lda,
                        const uint16_t *b16, const int8_t *q8, const float *scale,
                        const float *init, size_t ld_init, float *c, size_t ldc)
{
    __m512 acc[8][4];
    for (int m = 0; m < MR; m++)
        for (int v = 0; v < NV; v++)
            acc[m][v] = init ? _mm512_loadu_ps(init + m * ld_init + 16 * v) : _mm512_setzero_ps();
    for (size_t k = 0; k < kc; k++) {
        __m512 bv[4];
        for (int v = 0; v < NV; v++)
            bv[v] = rnnrt_avx512_widen(NV, b16, q8, scale, k, v);
        for (int m = 0; m < MR; m++) {
            const __m512 am = _mm512_set1_ps(a[m * lda + k]);
            for (int v = 0; v < NV; v++)
                acc[m][v] = _mm512_fmadd_ps(am, bv[v], acc[m][v]);
        }
    }
    for (int m = 0; m < MR; m++)
        for (int v = 0; v < NV; v++)
            _mm512_storeu_ps(c + m * ldc + 16 * v, acc[m][v]);
}

/* A tile of mr <= MR rows and 16 NV columns. */
static inline __attribute__((always_inline)) void
rnnrt_avx512_widen_gemm(const int MR, const int NV, size_t mr, size_t kc, const float *a,
                        size_t lda, const uint16_t *b16, const int8_t *q8, const float *scale,
                        const float *init, size_t ld_init, float *c, size_t ldc)
{
#define RNNRT_AVX512_WIDEN_TILE(R)                                                          \
    rnnrt_avx512_widen_tile(R, NV, kc, a, lda, b16, q8, scale, init, ld_init, c, ldc)
    RNNRT_GEMM_SWITCH_ROWS(MR, mr, RNNRT_AVX512_WIDEN_TILE);
#undef RNNRT_AVX512_WIDEN_TILE
}

#endif
