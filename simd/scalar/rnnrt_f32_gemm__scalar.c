/* Scalar GEMM microkernels, 4 x 32 and 4 x 24 (panels of 8 units times 4 or 3 gates): the
 * contract of rnnrt_f32_gemm_fn in simd/kernels.h, in plain C that the compiler may
 * vectorize for the baseline ISA. The fallback when no SIMD set runs. */
#include <string.h>

#include "scalar_kernels.h"

#define MR 4

static inline void gemm_tile(size_t nr, size_t mr, size_t kc, const float *a, size_t lda,
                             const float *b, const float *init, size_t ld_init, float *c,
                             size_t ldc)
{
    float acc[MR][32];
    for (size_t m = 0; m < mr; m++)
        for (size_t j = 0; j < nr; j++)
            acc[m][j] = init ? init[m * ld_init + j] : 0.0f;
    for (size_t k = 0; k < kc; k++)
        for (size_t m = 0; m < mr; m++) {
            float am = a[m * lda + k];
            for (size_t j = 0; j < nr; j++)
                acc[m][j] += am * b[k * nr + j];
        }
    for (size_t m = 0; m < mr; m++)
        memcpy(c + m * ldc, acc[m], nr * sizeof(float));
}

void rnnrt_f32_gemm_4x32__scalar(size_t mr, size_t kc, const float *a, size_t lda,
                                 const float *b, const float *init, size_t ld_init, float *c,
                                 size_t ldc)
{
    gemm_tile(32, mr, kc, a, lda, b, init, ld_init, c, ldc);
}

void rnnrt_f32_gemm_4x24__scalar(size_t mr, size_t kc, const float *a, size_t lda,
                                 const float *b, const float *init, size_t ld_init, float *c,
                                 size_t ldc)
{
    gemm_tile(24, mr, kc, a, lda, b, init, ld_init, c, ldc);
}
