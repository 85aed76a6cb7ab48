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

/* MR rows by 8 NV columns of a panel whose rows are ldb floats apart (8 NV for a whole
 * panel; wider when a tile covers part of a panel's columns). */
static inline __attribute__((always_inline)) void
rnnrt_avx2_gemm_tile(const int MR, const int NV, size_t kc, const float *a, size_t lda,
                     const float *b, size_t ldb, const float *init, size_t ld_init, float *c,
                     size_t ldc)
{
    __m256 acc[8][4];
    for (int m = 0; m < MR; m++)
        for (int v = 0; v < NV; v++)
            acc[m][v] = init ? _mm256_loadu_ps(init + m * ld_init + 8 * v) : _mm256_setzero_ps();
    for (size_t k = 0; k < kc; k++) {
        __m256 bv[4];
        for (int v = 0; v < NV; v++)
            bv[v] = _mm256_load_ps(b + k * ldb + 8 * v);
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

/* A tile of mr <= MR rows and 8 NV columns. */
static inline __attribute__((always_inline)) void
rnnrt_avx2_gemm(const int MR, const int NV, size_t mr, size_t kc, const float *a, size_t lda,
                const float *b, const float *init, size_t ld_init, float *c, size_t ldc)
{
#define RNNRT_AVX2_TILE(R)                                                                   \
    rnnrt_avx2_gemm_tile(R, NV, kc, a, lda, b, (size_t)(8 * NV), init, ld_init, c, ldc)
    RNNRT_GEMM_SWITCH_ROWS(MR, mr, RNNRT_AVX2_TILE);
#undef RNNRT_AVX2_TILE
}

/* A tile of mr <= MR rows and 8 NV columns computed as `halves` column strips, one after
 * the other: MR * NV / halves accumulators, so MR rows fit in registers where the whole
 * width would not, and every panel byte is still read once per call (each strip reads its
 * own cache lines). Each output is the same k-ordered chain of FMAs as in a one-strip
 * tile, so results do not depend on which tile ran. */
static inline __attribute__((always_inline)) void
rnnrt_avx2_gemm_strips(const int MR, const int NV, const int halves, size_t mr, size_t kc,
                       const float *a, size_t lda, const float *b, const float *init,
                       size_t ld_init, float *c, size_t ldc)
{
    const int SV = NV / halves;
#define RNNRT_AVX2_STRIPS(R)                                                                 \
    for (int h = 0; h < halves; h++)                                                         \
        rnnrt_avx2_gemm_tile(R, SV, kc, a, lda, b + 8 * SV * h, (size_t)(8 * NV),            \
                             init ? init + 8 * SV * h : NULL, ld_init, c + 8 * SV * h, ldc)
    RNNRT_GEMM_SWITCH_ROWS(MR, mr, RNNRT_AVX2_STRIPS);
#undef RNNRT_AVX2_STRIPS
}

#endif
