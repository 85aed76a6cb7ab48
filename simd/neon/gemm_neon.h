/* The NEON GEMM microkernel body shared by the rnnrt_f32_gemm_<MR>x<NR>__neon files: NV q
 * registers (NR = 4 NV) per row. MR * NV accumulators, NV panel registers and one broadcast
 * of A fit the 32 vector registers (6x16 and 8x12: 24 + 4 (3) + 1). Contract:
 * rnnrt_f32_gemm_t in simd/kernels.h. */
#ifndef RNNRT_SIMD_GEMM_NEON_H
#define RNNRT_SIMD_GEMM_NEON_H

#include <arm_neon.h>
#include <string.h>

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

/* One row over two panels of 4 NV columns, `next` weights apart (rnnrt_*_gemm_pair_t in
 * simd/kernels.h), for a batch of one: 2 NV accumulators instead of NV, each output the same
 * chain of fused multiply-adds as rnnrt_neon_gemm_tile at one row and as the portable bf16
 * and int8 tiles of this set (gemm_widen.h with FUSED), on the same float32 weights.
 * T: 0 f32, 1 bf16 (the bits shifted up 16), 2 int8 (times its column's scale, rounded). */
static inline __attribute__((always_inline)) float32x4_t
rnnrt_neon_pair_load(const int T, const void *b, size_t at, const float *scale)
{
    if (T == RNNRT_WEIGHTS_BF16)
        return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16((const uint16_t *)b + at), 16));
    if (T == RNNRT_WEIGHTS_INT8) {
        int8_t q[8] = {0};
        memcpy(q, (const int8_t *)b + at, 4);
        const int32x4_t w = vmovl_s16(vget_low_s16(vmovl_s8(vld1_s8(q))));
        return vmulq_f32(vcvtq_f32_s32(w), vld1q_f32(scale));
    }
    return vld1q_f32((const float *)b + at);
}

static inline __attribute__((always_inline)) void
rnnrt_neon_gemm_pair(const int T, const int NV, size_t kc, const float *a, const void *b,
                     size_t next, const float *scale, const float *init, float *c)
{
    const size_t nr = (size_t)(4 * NV);
    /* one array per panel: with a single array of 2 NV, gcc 12 kept it on the stack and
     * stored every accumulator on each k */
    float32x4_t acc0[4], acc1[4];
    for (int v = 0; v < NV; v++) {
        acc0[v] = init ? vld1q_f32(init + 4 * v) : vdupq_n_f32(0.0f);
        acc1[v] = init ? vld1q_f32(init + nr + 4 * v) : vdupq_n_f32(0.0f);
    }
    const float *s1 = T == RNNRT_WEIGHTS_INT8 ? scale + nr : NULL;
    for (size_t k = 0; k < kc; k++) {
        const float32x4_t ak = vdupq_n_f32(a[k]);
        for (int v = 0; v < NV; v++) {
            const size_t at = k * nr + 4 * (size_t)v;
            const float *sv = T == RNNRT_WEIGHTS_INT8 ? scale + 4 * v : NULL;
            acc0[v] = vfmaq_f32(acc0[v], ak, rnnrt_neon_pair_load(T, b, at, sv));
            acc1[v] = vfmaq_f32(acc1[v], ak,
                                rnnrt_neon_pair_load(T, b, next + at, s1 ? s1 + 4 * v : NULL));
        }
    }
    for (int v = 0; v < NV; v++) {
        vst1q_f32(c + 4 * v, acc0[v]);
        vst1q_f32(c + nr + 4 * v, acc1[v]);
    }
}

#endif
