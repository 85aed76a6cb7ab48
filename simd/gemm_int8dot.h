/* Integer dot-product GEMM tiles in portable C (rnnrt_int8dot_gemm_t and
 * rnnrt_int8dot_gemm_pair_t in simd/kernels.h): int8 activations times int8 weights summed
 * in int32, then one fused multiply-add by both scales per output. The scalar set runs them
 * as they are; the NEON set compiles them with its flags until an SDOT kernel is written
 * (the x86 sets have their own: vpmaddubsw, VNNI, AMX). The sums are exact, so these bodies are
 * also what every hand-written int8dot kernel must equal, byte for byte. */
#ifndef RNNRT_SIMD_GEMM_INT8DOT_H
#define RNNRT_SIMD_GEMM_INT8DOT_H

#include <math.h>

#include "gemm_rows.h"
#include "kernels.h"

#define RNNRT_INT8DOT_MAX_NR 64

/* Row m's sums over the tile's NR columns: four k of column j are b[4 j .. 4 j + 3] of each
 * group of 4 NR bytes. */
static inline __attribute__((always_inline)) void
rnnrt_int8dot_row(const size_t NR, size_t kc, const int8_t *a, const int8_t *b, int32_t *acc)
{
    for (size_t j = 0; j < NR; j++)
        acc[j] = 0;
    for (size_t k4 = 0; k4 < kc / 4; k4++) {
        const int8_t *w = b + k4 * 4 * NR, *x = a + 4 * k4;
        for (size_t j = 0; j < NR; j++)
            acc[j] += (int32_t)x[0] * w[4 * j] + (int32_t)x[1] * w[4 * j + 1] +
                      (int32_t)x[2] * w[4 * j + 2] + (int32_t)x[3] * w[4 * j + 3];
    }
}

/* c[j] = fma((float)acc[j], a_scale * scale[j], init[j] or +0): the one rounding every
 * int8dot kernel applies. */
static inline void rnnrt_int8dot_store(size_t NR, const int32_t *acc, float a_scale,
                                       const float *scale, const float *init, float *c)
{
    for (size_t j = 0; j < NR; j++)
        c[j] = fmaf((float)acc[j], a_scale * scale[j], init ? init[j] : 0.0f);
}

static inline __attribute__((always_inline)) void
rnnrt_int8dot_tile(const size_t R, const size_t NR, size_t kc, const int8_t *a, size_t lda,
                   const float *a_scale, const int8_t *b, const float *scale, const float *init,
                   size_t ld_init, float *c, size_t ldc)
{
    int32_t acc[RNNRT_INT8DOT_MAX_NR];
    for (size_t m = 0; m < R; m++) {
        rnnrt_int8dot_row(NR, kc, a + m * lda, b, acc);
        rnnrt_int8dot_store(NR, acc, a_scale[m], scale, init ? init + m * ld_init : NULL,
                            c + m * ldc);
    }
}

static inline __attribute__((always_inline)) void
rnnrt_int8dot_gemm(const size_t MR, const size_t NR, size_t mr, size_t kc, const int8_t *a,
                   size_t lda, const float *a_scale, const int8_t *b, const float *scale,
                   const float *init, size_t ld_init, float *c, size_t ldc)
{
    assert(NR <= RNNRT_INT8DOT_MAX_NR && kc % 4 == 0 && kc <= RNNRT_INT8DOT_MAX_K);
#define RNNRT_INT8DOT_TILE(R)                                                                \
    rnnrt_int8dot_tile(R, NR, kc, a, lda, a_scale, b, scale, init, ld_init, c, ldc)
    RNNRT_GEMM_SWITCH_ROWS(MR, mr, RNNRT_INT8DOT_TILE);
#undef RNNRT_INT8DOT_TILE
}

static inline __attribute__((always_inline)) void
rnnrt_int8dot_gemm_pair(const size_t NR, size_t kc, const int8_t *a, float a_scale,
                        const int8_t *b, size_t next, const float *scale, const float *init,
                        float *c)
{
    assert(NR <= RNNRT_INT8DOT_MAX_NR && kc % 4 == 0 && kc <= RNNRT_INT8DOT_MAX_K);
    int32_t acc[RNNRT_INT8DOT_MAX_NR];
    for (size_t q = 0; q < 2; q++) {
        rnnrt_int8dot_row(NR, kc, a, b + q * next, acc);
        rnnrt_int8dot_store(NR, acc, a_scale, scale + q * NR, init ? init + q * NR : NULL,
                            c + q * NR);
    }
}

#endif
