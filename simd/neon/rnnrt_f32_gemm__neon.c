/* NEON GEMM microkernels 6x16 and 8x12: panels of 4 units times 4 or 3 gates, one q
 * register per gate. 24 accumulators, the panel row in 4 (3) registers, one broadcast of
 * A: 29 of the 32 vector registers. Contract: simd/kernels.h. */
#include <arm_neon.h>

#include "gemm_kernels.h"

static inline __attribute__((always_inline)) void
tile(const int MR, const int NV, size_t kc, const float *a, size_t lda, const float *b,
     const float *init, size_t ld_init, float *c, size_t ldc)
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

void rnnrt_f32_gemm_6x16__neon(size_t mr, size_t kc, const float *a, size_t lda, const float *b,
                               const float *init, size_t ld_init, float *c, size_t ldc)
{
    switch (mr) {
    case 1: tile(1, 4, kc, a, lda, b, init, ld_init, c, ldc); break;
    case 2: tile(2, 4, kc, a, lda, b, init, ld_init, c, ldc); break;
    case 3: tile(3, 4, kc, a, lda, b, init, ld_init, c, ldc); break;
    case 4: tile(4, 4, kc, a, lda, b, init, ld_init, c, ldc); break;
    case 5: tile(5, 4, kc, a, lda, b, init, ld_init, c, ldc); break;
    default: tile(6, 4, kc, a, lda, b, init, ld_init, c, ldc); break;
    }
}

void rnnrt_f32_gemm_8x12__neon(size_t mr, size_t kc, const float *a, size_t lda, const float *b,
                               const float *init, size_t ld_init, float *c, size_t ldc)
{
    switch (mr) {
    case 1: tile(1, 3, kc, a, lda, b, init, ld_init, c, ldc); break;
    case 2: tile(2, 3, kc, a, lda, b, init, ld_init, c, ldc); break;
    case 3: tile(3, 3, kc, a, lda, b, init, ld_init, c, ldc); break;
    case 4: tile(4, 3, kc, a, lda, b, init, ld_init, c, ldc); break;
    case 5: tile(5, 3, kc, a, lda, b, init, ld_init, c, ldc); break;
    case 6: tile(6, 3, kc, a, lda, b, init, ld_init, c, ldc); break;
    case 7: tile(7, 3, kc, a, lda, b, init, ld_init, c, ldc); break;
    default: tile(8, 3, kc, a, lda, b, init, ld_init, c, ldc); break;
    }
}
