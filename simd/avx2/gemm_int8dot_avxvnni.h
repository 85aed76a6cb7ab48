/* The AVX-VNNI int8 dot-product tiles (rnnrt_int8dot_gemm_t and rnnrt_int8dot_gemm_pair_t in
 * simd/kernels.h) for CPUs that have the 256-bit VEX vpdpbusd without AVX-512 (Intel's
 * Alder Lake and later clients, Sierra Forest): 32 products per instruction where the AVX2
 * tiles need four instructions (gemm_int8dot_avx2.h). As in the AVX-512 tiles
 * (simd/avx512/gemm_int8dot_vnni.h), the activations are flipped to unsigned (+128) per
 * call and 128 times each column's weight sum is taken away, so the int32 sums are exact
 * and the bytes are every set's.
 *
 * Native in the avx2 set (-mavxvnni) or on the software model of the instructions
 * (simd/x86_intrinsics.h) in the model set avx2_model. */
#ifndef RNNRT_SIMD_GEMM_INT8DOT_AVXVNNI_H
#define RNNRT_SIMD_GEMM_INT8DOT_AVXVNNI_H

#include <string.h>

#include "x86_intrinsics.h"

#include "gemm_rows.h"
#include "kernels.h"

/* Bytes of each A row flipped to unsigned per pass through the stack buffer. */
#define RNNRT_AVXVNNI_KB 1024

/* The first kb bytes of R rows of a (lda apart) + 128, as unsigned bytes, into u. */
static inline __attribute__((always_inline)) void
rnnrt_avxvnni_flip(const int R, const int8_t *a, size_t lda, size_t kb, uint8_t *u)
{
    const __m256i bias = _mm256_set1_epi8((char)0x80);
    for (int m = 0; m < R; m++) {
        const int8_t *am = a + (size_t)m * lda;
        uint8_t *um = u + (size_t)m * RNNRT_AVXVNNI_KB;
        size_t k = 0;
        for (; k + 32 <= kb; k += 32)
            _mm256_store_si256((__m256i *)(void *)(um + k),
                               _mm256_xor_si256(_mm256_loadu_si256((const void *)(am + k)), bias));
        for (; k < kb; k++)
            um[k] = (uint8_t)(am[k] ^ 0x80);
    }
}

/* c[8v + j] = fma((float)(acc - 128 * sum), a_scale * scale[8v + j], init or +0). */
static inline __attribute__((always_inline)) void
rnnrt_avxvnni_store(const int NV, const __m256i *acc, const int32_t *sums, float a_scale,
                    const float *scale, const float *init, float *c)
{
    const __m256 sa = _mm256_set1_ps(a_scale);
    for (int v = 0; v < NV; v++) {
        const __m256i corr = _mm256_slli_epi32(_mm256_loadu_si256((const void *)(sums + 8 * v)), 7);
        const __m256 s = _mm256_mul_ps(sa, _mm256_loadu_ps(scale + 8 * v));
        const __m256 base = init ? _mm256_loadu_ps(init + 8 * v) : _mm256_setzero_ps();
        _mm256_storeu_ps(c + 8 * v, _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(acc[v], corr)),
                                                    s, base));
    }
}

/* R rows by 8 NV columns (R * NV accumulators, at most 12: with the panel vectors and the
 * broadcast quad, 16 ymm registers). */
static inline __attribute__((always_inline)) void
rnnrt_avxvnni_int8dot_tile(const int R, const int NV, size_t kc, const int8_t *a, size_t lda,
                           const float *a_scale, const int8_t *b, const float *scale,
                           const float *init, size_t ld_init, float *c, size_t ldc)
{
    __m256i acc[4][4]; /* rows past R: dead cases of RNNRT_GEMM_SWITCH_ROWS */
    uint8_t u[4 * RNNRT_AVXVNNI_KB] __attribute__((aligned(32)));
    for (int m = 0; m < R; m++)
        for (int v = 0; v < NV; v++)
            acc[m][v] = _mm256_setzero_si256();
    for (size_t k0 = 0; k0 < kc; k0 += RNNRT_AVXVNNI_KB) {
        const size_t kb = kc - k0 < RNNRT_AVXVNNI_KB ? kc - k0 : RNNRT_AVXVNNI_KB;
        rnnrt_avxvnni_flip(R, a + k0, lda, kb, u);
        for (size_t k4 = 0; k4 < kb / 4; k4++) {
            const int8_t *w = b + (k0 / 4 + k4) * 32 * (size_t)NV;
            __m256i bv[4];
            for (int v = 0; v < NV; v++)
                bv[v] = _mm256_load_si256((const void *)(w + 32 * v));
            for (int m = 0; m < R; m++) {
                int32_t quad;
                memcpy(&quad, u + (size_t)m * RNNRT_AVXVNNI_KB + 4 * k4, sizeof quad);
                const __m256i am = _mm256_set1_epi32(quad);
                for (int v = 0; v < NV; v++)
                    acc[m][v] = _mm256_dpbusd_avx_epi32(acc[m][v], am, bv[v]);
            }
        }
    }
    const int32_t *sums = (const int32_t *)(const void *)(b + kc * 8 * (size_t)NV);
    for (int m = 0; m < R; m++)
        rnnrt_avxvnni_store(NV, acc[m], sums, a_scale[m], scale,
                            init ? init + (size_t)m * ld_init : NULL, c + (size_t)m * ldc);
}

static inline __attribute__((always_inline)) void
rnnrt_avxvnni_int8dot_gemm(const int MR, const int NV, size_t mr, size_t kc, const int8_t *a,
                           size_t lda, const float *a_scale, const int8_t *b,
                           const float *scale, const float *init, size_t ld_init, float *c,
                           size_t ldc)
{
    assert(MR <= 4 && NV <= 4 && MR * NV <= 12 && kc % 4 == 0 && kc <= RNNRT_INT8DOT_MAX_K);
#define RNNRT_AVXVNNI_TILE(R)                                                               \
    rnnrt_avxvnni_int8dot_tile(R, NV, kc, a, lda, a_scale, b, scale, init, ld_init, c, ldc)
    RNNRT_GEMM_SWITCH_ROWS(MR, mr, RNNRT_AVXVNNI_TILE);
#undef RNNRT_AVXVNNI_TILE
}

/* One row over two panels (`next` bytes apart, each with its sums): 2 NV accumulators. */
static inline __attribute__((always_inline)) void
rnnrt_avxvnni_int8dot_pair(const int NV, size_t kc, const int8_t *a, float a_scale,
                           const int8_t *b, size_t next, const float *scale, const float *init,
                           float *c)
{
    assert(NV <= 4 && kc % 4 == 0 && kc <= RNNRT_INT8DOT_MAX_K);
    __m256i acc[2][4];
    uint8_t u[RNNRT_AVXVNNI_KB] __attribute__((aligned(32)));
    for (int q = 0; q < 2; q++)
        for (int v = 0; v < NV; v++)
            acc[q][v] = _mm256_setzero_si256();
    for (size_t k0 = 0; k0 < kc; k0 += RNNRT_AVXVNNI_KB) {
        const size_t kb = kc - k0 < RNNRT_AVXVNNI_KB ? kc - k0 : RNNRT_AVXVNNI_KB;
        rnnrt_avxvnni_flip(1, a + k0, kc, kb, u);
        for (size_t k4 = 0; k4 < kb / 4; k4++) {
            int32_t quad;
            memcpy(&quad, u + 4 * k4, sizeof quad);
            const __m256i am = _mm256_set1_epi32(quad);
            for (int q = 0; q < 2; q++) {
                const int8_t *w = b + (q ? next : 0) + (k0 / 4 + k4) * 32 * (size_t)NV;
                for (int v = 0; v < NV; v++)
                    acc[q][v] = _mm256_dpbusd_avx_epi32(
                        acc[q][v], am, _mm256_load_si256((const void *)(w + 32 * v)));
            }
        }
    }
    for (int q = 0; q < 2; q++)
        rnnrt_avxvnni_store(NV, acc[q], (const int32_t *)(const void *)(b + (q ? next : 0) +
                                                                          kc * 8 * (size_t)NV),
                            a_scale, scale + 8 * NV * q, init ? init + 8 * NV * q : NULL,
                            c + 8 * NV * q);
}

#endif
