/* bf16 dot-product GEMM tiles in portable C (rnnrt_bf16dot_gemm_t in simd/kernels.h): the
 * chain VDPBF16PS computes, one output at a time, for the sets without that instruction
 * (scalar, avx2, neon, and avx512 where the CPU lacks AVX512-BF16). Subnormals are flushed
 * by the floating-point mode the forward pass sets, as the contract says. */
#ifndef RNNRT_SIMD_GEMM_BF16DOT_H
#define RNNRT_SIMD_GEMM_BF16DOT_H

#include <math.h>
#include <string.h>

#include "gemm_rows.h"
#include "kernels.h"

#define RNNRT_BF16DOT_MAX_NR 64

static inline __attribute__((always_inline)) float rnnrt_bf16dot_widen(uint16_t h)
{
    const uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Row m of the tile: acc over the NR columns, pair by pair, the odd k first. */
static inline __attribute__((always_inline)) void
rnnrt_bf16dot_row(const size_t NR, size_t kc, const uint16_t *a, const uint16_t *b,
                  const float *init, float *c)
{
    float acc[RNNRT_BF16DOT_MAX_NR];
    for (size_t j = 0; j < NR; j++)
        acc[j] = init ? init[j] : 0.0f;
    for (size_t p = 0; p < kc / 2; p++) {
        const uint16_t *w = b + p * 2 * NR;
        const float x0 = rnnrt_bf16dot_widen(a[2 * p]), x1 = rnnrt_bf16dot_widen(a[2 * p + 1]);
        for (size_t j = 0; j < NR; j++)
            acc[j] = fmaf(x0, rnnrt_bf16dot_widen(w[2 * j]),
                          fmaf(x1, rnnrt_bf16dot_widen(w[2 * j + 1]), acc[j]));
    }
    for (size_t j = 0; j < NR; j++)
        c[j] = acc[j];
}

static inline __attribute__((always_inline)) void
rnnrt_bf16dot_gemm(const size_t MR, const size_t NR, size_t mr, size_t kc, const uint16_t *a,
                   size_t lda, const uint16_t *b, const float *init, size_t ld_init, float *c,
                   size_t ldc)
{
    assert(NR <= RNNRT_BF16DOT_MAX_NR && kc % 2 == 0 && mr >= 1 && mr <= MR);
    (void)MR;
    for (size_t m = 0; m < mr; m++)
        rnnrt_bf16dot_row(NR, kc, a + m * lda, b, init ? init + m * ld_init : NULL,
                          c + m * ldc);
}

#endif
