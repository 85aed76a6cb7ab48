/* The NEON GEMM microkernel body shared by the rnnrt_f32_gemm_<MR>x<NR>__neon files: NV q
 * registers (NR = 4 NV) per row. MR * NV accumulators, NV panel registers and one broadcast
 * of A fit the 32 vector registers (6x16 and 8x12: 24 + 4 (3) + 1). Contract:
 * rnnrt_f32_gemm_t in simd/kernels.h. */
#ifndef RNNRT_SIMD_GEMM_NEON_H
#define RNNRT_SIMD_GEMM_NEON_H

#include <arm_neon.h>

#include "gemm_rows.h"
#include "kernels.h"

static inline __attribute__((always_inline)) void
rnnrt_neon_gemm_tile(const int MR, const int NV, size_t kc, const float *a, size_t lda,
                     const float *b, const float *init, size_t ld_init, float *c, size_t ldc)
{
    float32x4_t acc[8][4];
    for (int m = 0; m < MR; m++)
        for (int v = 0; v < NV; v++)
            acc[m][v] = init ? vld1q_f32(init + m * ld_init + 4 * v) : vdupq_n_f32(0.0f);
    for (size_t k = 0; k < kc; k++) {
        float32x4_t bv[4];
        for (int v = 0; v < NV; v++)
            bv[v] = vld1q_f32(b + k * (size_t)(4 * NV) + 4 * v);
        for (int m = 0; m < MR; m++) {
            float32x4_t am = vdupq_n_f32(a[m * lda + k]);
            for (int v = 0; v < NV; v++)
                acc[m][v] = vfmaq_f32(acc[m][v], am, bv[v]);
        }
    }
    for (int m = 0; m < MR; m++)
        for (int v = 0; v < NV; v++)
            vst1q_f32(c + m * ldc + 4 * v, acc[m][v]);
}

/* A tile of mr <= MR rows and 4 NV columns. */
static inline __attribute__((always_inline)) void
rnnrt_neon_gemm(const int MR, const int NV, size_t mr, size_t kc, const float *a, size_t lda,
                const float *b, const float *init, size_t ld_init, float *c, size_t ldc)
{
#define RNNRT_NEON_TILE(R) rnnrt_neon_gemm_tile(R, NV, kc, a, lda, b, init, ld_init, c, ldc)
    RNNRT_GEMM_SWITCH_ROWS(MR, mr, RNNRT_NEON_TILE);
#undef RNNRT_NEON_TILE
}

#endif
