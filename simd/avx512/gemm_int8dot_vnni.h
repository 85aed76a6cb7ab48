/* The AVX512-VNNI int8 dot-product tiles (rnnrt_int8dot_gemm_t in simd/kernels.h).
 *
 * vpdpbusd multiplies unsigned bytes by signed bytes, four k per int32 lane: 64 products per
 * instruction. The activations are signed (symmetric int8 rows), so the tile adds 128 to
 * them (a XOR 0x80 is a + 128 as an unsigned byte) and takes 128 * sum_k w(k, j) away from
 * each column's sum, read from the panel's trailer (rnnrt_int8dot_column_sums). The int32
 * arithmetic wraps, so the difference is exact even where the biased sum would overflow:
 * every output is the portable body's, byte for byte.
 *
 * The same source builds on native intrinsics (the avx512 set, with -mavx512vnni) and on
 * the software model of the instructions (simd/x86_intrinsics.h) in the model sets. */
#ifndef RNNRT_SIMD_GEMM_INT8DOT_VNNI_H
#define RNNRT_SIMD_GEMM_INT8DOT_VNNI_H

#include <string.h>

#include "x86_intrinsics.h"

#include "gemm_rows.h"
#include "kernels.h"

/* Bytes of each A row flipped to unsigned per pass through the stack buffer. */
#define RNNRT_VNNI_KB 1024

/* acc[m][v] (R rows, NV vectors of 16 columns; S partial sums per output, over
 * alternating groups of k, so that one or two rows still keep enough independent
 * vpdpbusd chains in flight) += the products of kb bytes of the flipped rows u. */
static inline __attribute__((always_inline)) void
rnnrt_vnni_accumulate(const int R, const int NV, const int S, size_t kb, const uint8_t *u,
                      const int8_t *w, __m512i acc[][4])
{
    for (size_t k4 = 0; k4 < kb / 4; k4 += (size_t)S) {
        for (int s = 0; s < S; s++) {
            const int8_t *wk = w + (k4 + (size_t)s) * 64 * (size_t)NV;
            __m512i bv[4];
            for (int v = 0; v < NV; v++)
                bv[v] = _mm512_load_si512((const void *)(wk + 64 * v));
            for (int m = 0; m < R; m++) {
                int32_t quad;
                memcpy(&quad, u + (size_t)m * RNNRT_VNNI_KB + 4 * (k4 + (size_t)s), sizeof quad);
                const __m512i am = _mm512_set1_epi32(quad);
                for (int v = 0; v < NV; v++)
                    acc[m * S + s][v] = _mm512_dpbusd_epi32(acc[m * S + s][v], am, bv[v]);
            }
        }
    }
}

static inline __attribute__((always_inline)) void
rnnrt_vnni_int8dot_tile(const int R, const int NV, size_t kc, const int8_t *a, size_t lda,
                        const float *a_scale, const int8_t *b, const float *scale,
                        const float *init, size_t ld_init, float *c, size_t ldc)
{
    /* one row: 4 partial sums per output (4 NV chains); two rows: 2; more: 1 */
    const int S = R == 1 ? 4 : R == 2 ? 2 : 1;
    __m512i acc[8][4]; /* [m * S + s][v]; entries past R * S: dead cases */
    uint8_t u[8 * RNNRT_VNNI_KB] __attribute__((aligned(64)));
    for (int i = 0; i < R * S; i++)
        for (int v = 0; v < NV; v++)
            acc[i][v] = _mm512_setzero_si512();
    const __m512i bias = _mm512_set1_epi8((char)0x80);
    for (size_t k0 = 0; k0 < kc; k0 += RNNRT_VNNI_KB) {
        /* the chunk's groups in rounds of S, and the groups left over with one sum */
        const size_t kb = kc - k0 < RNNRT_VNNI_KB ? kc - k0 : RNNRT_VNNI_KB;
        for (int m = 0; m < R; m++) {
            const int8_t *am = a + (size_t)m * lda + k0;
            size_t k = 0;
            for (; k + 64 <= kb; k += 64)
                _mm512_store_si512((void *)(u + (size_t)m * RNNRT_VNNI_KB + k),
                                   _mm512_xor_si512(_mm512_loadu_si512((const void *)(am + k)),
                                                    bias));
            for (; k < kb; k++)
                u[(size_t)m * RNNRT_VNNI_KB + k] = (uint8_t)(am[k] ^ 0x80);
        }
        const int8_t *w = b + k0 * 16 * (size_t)NV;
        const size_t whole = kb / (4 * (size_t)S) * (4 * (size_t)S);
        rnnrt_vnni_accumulate(R, NV, S, whole, u, w, acc);
        if (whole < kb) { /* the groups left over: into partial sum 0 */
            __m512i tail[8][4];
            for (int m = 0; m < R; m++)
                for (int v = 0; v < NV; v++)
                    tail[m][v] = _mm512_setzero_si512();
            uint8_t *ut = u + whole;
            rnnrt_vnni_accumulate(R, NV, 1, kb - whole, ut, w + whole * 16 * (size_t)NV, tail);
            for (int m = 0; m < R; m++)
                for (int v = 0; v < NV; v++)
                    acc[m * S][v] = _mm512_add_epi32(acc[m * S][v], tail[m][v]);
        }
    }
    const int32_t *sums = (const int32_t *)(const void *)(b + kc * 16 * (size_t)NV);
    for (int v = 0; v < NV; v++) {
        const __m512i corr = _mm512_slli_epi32(_mm512_load_si512((const void *)(sums + 16 * v)), 7);
        const __m512 s = _mm512_loadu_ps(scale + 16 * v);
        for (int m = 0; m < R; m++) {
            __m512i sum = acc[m * S][v];
            for (int i = 1; i < S; i++)
                sum = _mm512_add_epi32(sum, acc[m * S + i][v]);
            sum = _mm512_sub_epi32(sum, corr);
            const __m512 base = init ? _mm512_loadu_ps(init + (size_t)m * ld_init + 16 * v)
                                     : _mm512_setzero_ps();
            const __m512 sm = _mm512_mul_ps(_mm512_set1_ps(a_scale[m]), s);
            _mm512_storeu_ps(c + (size_t)m * ldc + 16 * v,
                             _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), sm, base));
        }
    }
}

static inline __attribute__((always_inline)) void
rnnrt_vnni_int8dot_gemm(const int MR, const int NV, size_t mr, size_t kc, const int8_t *a,
                        size_t lda, const float *a_scale, const int8_t *b, const float *scale,
                        const float *init, size_t ld_init, float *c, size_t ldc)
{
    assert(MR <= 8 && NV <= 4 && MR * NV <= 32 && kc % 4 == 0 && kc <= RNNRT_INT8DOT_MAX_K);
#define RNNRT_VNNI_INT8DOT_TILE(R)                                                          \
    rnnrt_vnni_int8dot_tile(R, NV, kc, a, lda, a_scale, b, scale, init, ld_init, c, ldc)
    RNNRT_GEMM_SWITCH_ROWS(MR, mr, RNNRT_VNNI_INT8DOT_TILE);
#undef RNNRT_VNNI_INT8DOT_TILE
}

#endif
