/* The AVX2+FMA GEMM microkernel body shared by the rnnrt_f32_gemm_<MR>x<NR>__avx2 files: NV
 * ymm columns (NR = 8 NV) per row. MR * NV accumulators plus NV panel registers and one
 * broadcast must fit the 16 ymm registers (3x32, 4x24: 12 + 4 + 1, the compiler may fold
 * panel loads into the FMAs; 6x16: 12 + 2 + 1; 4x32 in two strips of 16: 8 + 2 + 1). Contract: rnnrt_f32_gemm_t in
 * simd/kernels.h. */
#ifndef RNNRT_SIMD_GEMM_AVX2_H
#define RNNRT_SIMD_GEMM_AVX2_H

#include <immintrin.h>

#include "gemm_rows.h"
#include "kernels.h"

/* The panel operand: 8 weights of row k starting at column j (a multiple of 8) as float32.
 * T is the panel's rnnrt_weight_type, a constant in every caller. bf16 widens by a shift;
 * int8 converts and multiplies by its columns' scales, once per panel vector, so the FMA
 * chain that follows is the f32 kernel's. */
static inline __attribute__((always_inline)) __m256
rnnrt_avx2_panel_load(const int T, const void *b, size_t index, const float *scale)
{
    if (T == RNNRT_WEIGHTS_BF16) {
        __m128i v = _mm_loadu_si128((const __m128i *)((const uint16_t *)b + index));
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(v), 16));
    }
    if (T == RNNRT_WEIGHTS_INT8) {
        __m128i v = _mm_loadl_epi64((const __m128i *)((const int8_t *)b + index));
        return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v)), _mm256_loadu_ps(scale));
    }
    return _mm256_load_ps((const float *)b + index);
}

/* MR rows by 8 NV columns of a panel of type T whose rows are ldb weights apart (8 NV for
 * a whole panel; wider when a tile covers part of a panel's columns), starting at column
 * col; scale (int8) points at the tile's first column's scale. */
static inline __attribute__((always_inline)) void
rnnrt_avx2_gemm_tile_t(const int T, const int MR, const int NV, size_t kc, const float *a,
                       size_t lda, const void *b, size_t col, size_t ldb, const float *scale,
                       const float *init, size_t ld_init, float *c, size_t ldc)
{
    __m256 acc[8][4];
    for (int m = 0; m < MR; m++)
        for (int v = 0; v < NV; v++)
            acc[m][v] = init ? _mm256_loadu_ps(init + m * ld_init + 8 * v) : _mm256_setzero_ps();
    for (size_t k = 0; k < kc; k++) {
        __m256 bv[4];
        for (int v = 0; v < NV; v++)
            bv[v] = rnnrt_avx2_panel_load(T, b, k * ldb + col + 8 * v,
                                          T == RNNRT_WEIGHTS_INT8 ? scale + 8 * v : NULL);
        for (int m = 0; m < MR; m++) {
            __m256 am = _mm256_set1_ps(a[m * lda + k]);
            for (int v = 0; v < NV; v++)
                acc[m][v] = _mm256_fmadd_ps(am, bv[v], acc[m][v]);
        }
    }
    for (int m = 0; m < MR; m++)
        for (int v = 0; v < NV; v++)
            _mm256_storeu_ps(c + m * ldc + 8 * v, acc[m][v]);
}

/* A tile of mr <= MR rows and 8 NV columns on a panel of type T. */
static inline __attribute__((always_inline)) void
rnnrt_avx2_gemm_t(const int T, const int MR, const int NV, size_t mr, size_t kc, const float *a,
                  size_t lda, const void *b, const float *scale, const float *init,
                  size_t ld_init, float *c, size_t ldc)
{
#define RNNRT_AVX2_TILE(R)                                                                   \
    rnnrt_avx2_gemm_tile_t(T, R, NV, kc, a, lda, b, 0, (size_t)(8 * NV), scale, init, ld_init, \
                           c, ldc)
    RNNRT_GEMM_SWITCH_ROWS(MR, mr, RNNRT_AVX2_TILE);
#undef RNNRT_AVX2_TILE
}

/* A tile of mr <= MR rows and 8 NV columns computed as `halves` column strips, one after
 * the other: MR * NV / halves accumulators, so MR rows fit in registers where the whole
 * width would not, and every panel byte is still read once per call (each strip reads its
 * own cache lines). Each output is the same k-ordered chain of FMAs as in a one-strip
 * tile, so results do not depend on which tile ran. */
static inline __attribute__((always_inline)) void
rnnrt_avx2_gemm_strips_t(const int T, const int MR, const int NV, const int halves, size_t mr,
                         size_t kc, const float *a, size_t lda, const void *b,
                         const float *scale, const float *init, size_t ld_init, float *c,
                         size_t ldc)
{
    const int SV = NV / halves;
#define RNNRT_AVX2_STRIPS(R)                                                                 \
    for (int h = 0; h < halves; h++)                                                         \
        rnnrt_avx2_gemm_tile_t(T, R, SV, kc, a, lda, b, (size_t)(8 * SV * h), (size_t)(8 * NV), \
                               scale ? scale + 8 * SV * h : NULL,                             \
                               init ? init + 8 * SV * h : NULL, ld_init, c + 8 * SV * h, ldc)
    RNNRT_GEMM_SWITCH_ROWS(MR, mr, RNNRT_AVX2_STRIPS);
#undef RNNRT_AVX2_STRIPS
}

/* The f32 tiles, as the rnnrt_f32_gemm_*__avx2 files call them. */
static inline __attribute__((always_inline)) void
rnnrt_avx2_gemm(const int MR, const int NV, size_t mr, size_t kc, const float *a, size_t lda,
                const float *b, const float *init, size_t ld_init, float *c, size_t ldc)
{
    rnnrt_avx2_gemm_t(RNNRT_WEIGHTS_F32, MR, NV, mr, kc, a, lda, b, NULL, init, ld_init, c, ldc);
}

static inline __attribute__((always_inline)) void
rnnrt_avx2_gemm_strips(const int MR, const int NV, const int halves, size_t mr, size_t kc,
                       const float *a, size_t lda, const float *b, const float *init,
                       size_t ld_init, float *c, size_t ldc)
{
    rnnrt_avx2_gemm_strips_t(RNNRT_WEIGHTS_F32, MR, NV, halves, mr, kc, a, lda, b, NULL, init,
                             ld_init, c, ldc);
}

#endif
