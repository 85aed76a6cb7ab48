/* The scalar GEMM microkernel body shared by the rnnrt_f32_gemm_4x<NR>__scalar files: the
 * contract of rnnrt_f32_gemm_t in simd/kernels.h in plain C that the compiler may vectorize
 * for the baseline ISA. The fallback when no SIMD set runs. */
#ifndef RNNRT_SIMD_GEMM_SCALAR_H
#define RNNRT_SIMD_GEMM_SCALAR_H

#include <assert.h>
#include <string.h>

#include "kernels.h"

static inline void rnnrt_scalar_gemm(size_t MR, size_t nr, size_t mr, size_t kc,
                                     const float *a, size_t lda, const float *b,
                                     const float *init, size_t ld_init, float *c, size_t ldc)
{
    float acc[8][32];
    assert(1 <= mr && mr <= MR && MR <= 8 && nr <= 32);
    if (mr < 1 || mr > MR)
        return;
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

#endif
