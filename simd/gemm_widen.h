/* GEMM microkernels on bf16 and int8 panels in portable C (rnnrt_bf16_gemm_t and
 * rnnrt_int8_gemm_t in simd/kernels.h): each k's panel row is widened to float32 once, then
 * used by every row of the tile as the f32 kernels use theirs. The scalar set runs them
 * as they are; the AVX-512 and NEON sets compile them with their own flags until kernels
 * written for AVX512-BF16, VNNI, AMX or SDOT can be tested on such hardware. Each row count
 * is its own case (gemm_rows.h) so the compiler sees constant bounds. FUSED says whether the
 * set's f32 tiles fuse the multiply-add (AVX-512, NEON) or not (scalar), so that each
 * output is the same chain of operations as the f32 tile's (kernels.h). */
#ifndef RNNRT_SIMD_GEMM_WIDEN_H
#define RNNRT_SIMD_GEMM_WIDEN_H

#include <math.h>
#include <string.h>

#include "gemm_rows.h"
#include "kernels.h"

#define RNNRT_WIDEN_MAX_NR 64

static inline float rnnrt_widen_bf16(uint16_t v)
{
    uint32_t u = (uint32_t)v << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Row k of a panel as float32 into w[NR]: bf16 when q8 is NULL, else int8 times scale. */
static inline void rnnrt_widen_row(size_t NR, const uint16_t *b16, const int8_t *q8,
                                   const float *scale, size_t k, float *w)
{
    if (q8)
        for (size_t j = 0; j < NR; j++)
            w[j] = (float)q8[k * NR + j] * scale[j];
    else
        for (size_t j = 0; j < NR; j++)
            w[j] = rnnrt_widen_bf16(b16[k * NR + j]);
}

static inline __attribute__((always_inline)) void
rnnrt_widen_gemm_tile(const int FUSED, const size_t R, const size_t NR, size_t kc, const float *a, size_t lda,
                      const uint16_t *b16, const int8_t *q8, const float *scale,
                      const float *init, size_t ld_init, float *c, size_t ldc)
{
    float acc[8][RNNRT_WIDEN_MAX_NR], w[RNNRT_WIDEN_MAX_NR];
    for (size_t m = 0; m < R; m++)
        for (size_t j = 0; j < NR; j++)
            acc[m][j] = init ? init[m * ld_init + j] : 0.0f;
    for (size_t k = 0; k < kc; k++) {
        rnnrt_widen_row(NR, b16, q8, scale, k, w);
        for (size_t m = 0; m < R; m++) {
            float am = a[m * lda + k];
            for (size_t j = 0; j < NR; j++)
                acc[m][j] = FUSED ? fmaf(am, w[j], acc[m][j]) : acc[m][j] + am * w[j];
        }
    }
    for (size_t m = 0; m < R; m++)
        memcpy(c + m * ldc, acc[m], NR * sizeof(float));
}

static inline __attribute__((always_inline)) void
rnnrt_widen_gemm(const int FUSED, const size_t MR, const size_t NR, size_t mr, size_t kc, const float *a,
                 size_t lda, const uint16_t *b16, const int8_t *q8, const float *scale,
                 const float *init, size_t ld_init, float *c, size_t ldc)
{
    assert(NR <= RNNRT_WIDEN_MAX_NR && (b16 || (q8 && scale)));
#define RNNRT_WIDEN_TILE(R)                                                                  \
    rnnrt_widen_gemm_tile(FUSED, R, NR, kc, a, lda, b16, q8, scale, init, ld_init, c, ldc)
    RNNRT_GEMM_SWITCH_ROWS(MR, mr, RNNRT_WIDEN_TILE);
#undef RNNRT_WIDEN_TILE
}

#endif
