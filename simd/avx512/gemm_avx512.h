/* The AVX-512 GEMM microkernel body shared by the rnnrt_f32_gemm_<MR>x<NR>__avx512 files: NV
 * zmm columns (NR = 16 NV) per row. MR * NV accumulators, NV panel registers and one
 * broadcast of A fit the 32 zmm registers (6x64 and 8x48: 24 + 4 (3) + 1). Contract:
 * rnnrt_f32_gemm_t in simd/kernels.h. */
#ifndef RNNRT_SIMD_GEMM_AVX512_H
#define RNNRT_SIMD_GEMM_AVX512_H

#include "x86_intrinsics.h"

#include "gemm_rows.h"
#include "kernels.h"

static inline __attribute__((always_inline)) void
rnnrt_avx512_gemm_tile(const int MR, const int NV, size_t kc, const float *a, size_t lda,
                     const float *b, const float *init, size_t ld_init, float *c, size_t ldc)
{
    __m512 acc[8][4];
    for (int m = 0; m < MR; m++)
        for (int v = 0; v < NV; v++)
            acc[m][v] = init ? _mm512_loadu_ps(init + m * ld_init + 16 * v) : _mm512_setzero_ps();
    for (size_t k = 0; k < kc; k++) {
        __m512 bv[4];
        for (int v = 0; v < NV; v++)
            bv[v] = _mm512_load_ps(b + k * (size_t)(16 * NV) + 16 * v);
        for (int m = 0; m < MR; m++) {
            __m512 am = _mm512_set1_ps(a[m * lda + k]);
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
rnnrt_avx512_gemm(const int MR, const int NV, size_t mr, size_t kc, const float *a, size_t lda,
                const float *b, const float *init, size_t ld_init, float *c, size_t ldc)
{
#define RNNRT_AVX512_TILE(R) rnnrt_avx512_gemm_tile(R, NV, kc, a, lda, b, init, ld_init, c, ldc)
    RNNRT_GEMM_SWITCH_ROWS(MR, mr, RNNRT_AVX512_TILE);
#undef RNNRT_AVX512_TILE
}

#endif
