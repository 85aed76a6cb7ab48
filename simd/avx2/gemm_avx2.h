/* The AVX2+FMA GEMM microkernel body shared by the rnnrt_f32_gemm_<MR>x<NR>__avx2 files: NV
 * ymm columns (NR = 8 NV) per row. MR * NV accumulators plus NV panel registers and one
 * broadcast must fit the 16 ymm registers (3x32, 4x24: 12 + 4 + 1, the compiler may fold
 * panel loads into the FMAs; 6x16: 12 + 2 + 1; 4x32 in two strips of 16: 8 + 2 + 1). Contract: rnnrt_f32_gemm_t in
 * simd/kernels.h. */
#ifndef RNNRT_SIMD_GEMM_AVX2_H
#define RNNRT_SIMD_GEMM_AVX2_H

#include <immintrin.h>

#include "gemm_rows.h"
#include "kernels.h"

/* The panel operand: 8 weights of row k starting at column j (a multiple of 8) as float32.
 * T is the panel's rnnrt_weight_type, a constant in every caller. bf16 widens by a shift;
 * int8 converts and multiplies by its columns' scales, once per panel vector, so the FMA
 * chain that follows is the f32 kernel's. */
static inline __attribute__((always_inline)) __m256
rnnrt_avx2_panel_load(const int T, const void *b, size_t index, const float *scale)
{
    if (T == RNNRT_WEIGHTS_BF16) {
        __m128i v = _mm_loadu_si128((const __m128i *)((const uint16_t *)b + index));
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(v), 16));
    }
    if (T == RNNRT_WEIGHTS_INT8) {
        __m128i v = _mm_loadl_epi64((const __m128i *)((const int8_t *)b + index));
        return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v)), _mm256_loadu_ps(scale));
    }
    return _mm256_load_ps((const float *)b + index);
}

/* bf16 panels widen 16 columns at a time from one 32-byte load: each 32-bit word holds
 * columns 2i (low half) and 2i + 1 (high half), so a shift left by 16 gives the even
 * columns as float32 and clearing the low half gives the odd ones, one instruction per 8
 * weights instead of two (zero-extend, shift). Their accumulators then hold even and odd
 * columns; each output's chain of FMAs is unchanged, and the columns are put back in order
 * on store (and taken apart on loading init). */
static inline __attribute__((always_inline)) void rnnrt_avx2_bf16_pair(const uint16_t *b,
                                                                       __m256 *even, __m256 *odd)
{
    const __m256i words = _mm256_loadu_si256((const __m256i *)b);
    *even = _mm256_castsi256_ps(_mm256_slli_epi32(words, 16));
    *odd = _mm256_castsi256_ps(_mm256_and_si256(words, _mm256_set1_epi32((int)0xffff0000u)));
}

/* Columns [0, 16) in order (lo = 0..7, hi = 8..15) as even and odd columns, and back. */
static inline __attribute__((always_inline)) void rnnrt_avx2_split_columns(__m256 lo, __m256 hi,
                                                                           __m256 *even,
                                                                           __m256 *odd)
{
    const __m256 a = _mm256_permute2f128_ps(lo, hi, 0x20), b = _mm256_permute2f128_ps(lo, hi, 0x31);
    *even = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    *odd = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
}

static inline __attribute__((always_inline)) void rnnrt_avx2_store_columns(float *c, __m256 even,
                                                                           __m256 odd)
{
    const __m256 a = _mm256_unpacklo_ps(even, odd), b = _mm256_unpackhi_ps(even, odd);
    _mm256_storeu_ps(c, _mm256_permute2f128_ps(a, b, 0x20));
    _mm256_storeu_ps(c + 8, _mm256_permute2f128_ps(a, b, 0x31));
}

/* One row of a tile, 8 NV columns of type T's panel. bf16: vectors [0, 2 G) are G even/odd
 * pairs (rnnrt_avx2_bf16_pair), G = NV / 2; other types hold the columns in order. */
#define RNNRT_AVX2_BF16_PAIRS(T, NV) ((T) == RNNRT_WEIGHTS_BF16 ? (NV) / 2 : 0)

/* The row's accumulators from its 8 NV floats of init, or zeros when init is NULL. */
static inline __attribute__((always_inline)) void
rnnrt_avx2_row_init(const int T, const int NV, const float *init, __m256 *acc)
{
    const int G = RNNRT_AVX2_BF16_PAIRS(T, NV);
    for (int g = 0; g < G; g++)
        if (init)
            rnnrt_avx2_split_columns(_mm256_loadu_ps(init + 16 * g),
                                     _mm256_loadu_ps(init + 16 * g + 8), &acc[2 * g],
                                     &acc[2 * g + 1]);
        else
            acc[2 * g] = acc[2 * g + 1] = _mm256_setzero_ps();
    for (int v = 2 * G; v < NV; v++)
        acc[v] = init ? _mm256_loadu_ps(init + 8 * v) : _mm256_setzero_ps();
}

/* The 8 NV panel weights from element `at` as float32, in the accumulators' order; scale
 * (int8) at their first column's scale. */
static inline __attribute__((always_inline)) void
rnnrt_avx2_row_panel(const int T, const int NV, const void *b, size_t at, const float *scale,
                     __m256 *bv)
{
    const int G = RNNRT_AVX2_BF16_PAIRS(T, NV);
    for (int g = 0; g < G; g++)
        rnnrt_avx2_bf16_pair((const uint16_t *)b + at + 16 * g, &bv[2 * g], &bv[2 * g + 1]);
    for (int v = 2 * G; v < NV; v++)
        bv[v] = rnnrt_avx2_panel_load(T, b, at + 8 * v,
                                      T == RNNRT_WEIGHTS_INT8 ? scale + 8 * v : NULL);
}

/* The row's accumulators back to its 8 NV columns of c, in order. */
static inline __attribute__((always_inline)) void
rnnrt_avx2_row_store(const int T, const int NV, float *c, const __m256 *acc)
{
    const int G = RNNRT_AVX2_BF16_PAIRS(T, NV);
    for (int g = 0; g < G; g++)
        rnnrt_avx2_store_columns(c + 16 * g, acc[2 * g], acc[2 * g + 1]);
    for (int v = 2 * G; v < NV; v++)
        _mm256_storeu_ps(c + 8 * v, acc[v]);
}

/* How far ahead of the row it reads a prefetching tile (PF) asks for its panel: beyond the
 * next k-block of a 4x32 strip tile (kc 128 rows of 128 bytes). A batch of 4 does 8 FMAs per
 * 64-byte line, so the out-of-order window keeps only about 16 lines in flight, too few to
 * cover memory latency; the hardware prefetcher alone left a 4-row strip pass over 38 MB of
 * panels at 8-14 GB/s, against 17-30 GB/s for a plain read on one core (Zen 3, 2026-12-01).
 * Prefetching 16 to 128 KiB ahead into L2 measured 1.2-1.45x on that pass, and 1.07-1.47x
 * on the f32 LSTM batch-4 shapes (H 1024-2048); on a Zen 4, 8 and 32 KiB measured 0.81-1.04x
 * and 0.91-1.09x of 16 KiB over six such shapes. Only the f32 strip tiles prefetch: they run
 * only in the recurrent step (also on the widened copy of bf16 and int8 panels at batches
 * above 4), and cost about 3% where the panel is in cache. The 4x24 tile
 * measured 1.26x streaming but 3-20% slower in L2, and bf16 and int8 gained nothing whole
 * (bf16 reads half the bytes; int8 is bound by widening), so they do not. */
#define RNNRT_AVX2_PREFETCH_AHEAD 16384

/* Prefetches (into L2) the line of the panel row at element `row` (float32),
 * RNNRT_AVX2_PREFETCH_AHEAD bytes on: a 16-column f32 strip's row is one 64-byte line. */
static inline __attribute__((always_inline)) void rnnrt_avx2_prefetch_row(const float *b,
                                                                          size_t row)
{
    _mm_prefetch((const char *)(b + row) + RNNRT_AVX2_PREFETCH_AHEAD, _MM_HINT_T1);
}

/* MR rows by 8 NV columns of a panel of type T whose rows are ldb weights apart (8 NV for
 * a whole panel; wider when a tile covers part of a panel's columns), starting at column
 * col; scale (int8) points at the tile's first column's scale. PF: prefetch the panel
 * ahead (RNNRT_AVX2_PREFETCH_AHEAD). */
static inline __attribute__((always_inline)) void
rnnrt_avx2_gemm_tile_t(const int T, const int MR, const int NV, const int PF, size_t kc,
                       const float *a,
                       size_t lda, const void *b, size_t col, size_t ldb, const float *scale,
                       const float *init, size_t ld_init, float *c, size_t ldc)
{
    __m256 acc[8][4];
    for (int m = 0; m < MR; m++)
        rnnrt_avx2_row_init(T, NV, init ? init + m * ld_init : NULL, acc[m]);
    for (size_t k = 0; k < kc; k++) {
        __m256 bv[4];
        if (PF) /* f32 strips only (rnnrt_avx2_gemm_strips_t) */
            rnnrt_avx2_prefetch_row((const float *)b, k * ldb + col);
        rnnrt_avx2_row_panel(T, NV, b, k * ldb + col, scale, bv);
        for (int m = 0; m < MR; m++) {
            __m256 am = _mm256_set1_ps(a[m * lda + k]);
            for (int v = 0; v < NV; v++)
                acc[m][v] = _mm256_fmadd_ps(am, bv[v], acc[m][v]);
        }
    }
    for (int m = 0; m < MR; m++)
        rnnrt_avx2_row_store(T, NV, c + m * ldc, acc[m]);
}

/* A tile of mr <= MR rows and 8 NV columns on a panel of type T (no prefetch). */
static inline __attribute__((always_inline)) void
rnnrt_avx2_gemm_t(const int T, const int MR, const int NV, size_t mr, size_t kc, const float *a,
                  size_t lda, const void *b, const float *scale, const float *init,
                  size_t ld_init, float *c, size_t ldc)
{
#define RNNRT_AVX2_TILE(R)                                                                   \
    rnnrt_avx2_gemm_tile_t(T, R, NV, 0, kc, a, lda, b, 0, (size_t)(8 * NV), scale, init, ld_init, \
                           c, ldc)
    RNNRT_GEMM_SWITCH_ROWS(MR, mr, RNNRT_AVX2_TILE);
#undef RNNRT_AVX2_TILE
}

/* A tile of mr <= MR rows and 8 NV columns computed as `halves` column strips, one after
 * the other: MR * NV / halves accumulators, so MR rows fit in registers where the whole
 * width would not, and every panel byte is still read once per call (each strip reads its
 * own cache lines). Each output is the same k-ordered chain of FMAs as in a one-strip
 * tile, so results do not depend on which tile ran. The f32 strips prefetch (PF above). */
static inline __attribute__((always_inline)) void
rnnrt_avx2_gemm_strips_t(const int T, const int MR, const int NV, const int halves, size_t mr,
                         size_t kc, const float *a, size_t lda, const void *b,
                         const float *scale, const float *init, size_t ld_init, float *c,
                         size_t ldc)
{
    const int SV = NV / halves;
#define RNNRT_AVX2_STRIPS(R)                                                                 \
    for (int h = 0; h < halves; h++)                                                         \
        rnnrt_avx2_gemm_tile_t(T, R, SV, T == RNNRT_WEIGHTS_F32, kc, a, lda, b, (size_t)(8 * SV * h), (size_t)(8 * NV), \
                               scale ? scale + 8 * SV * h : NULL,                             \
                               init ? init + 8 * SV * h : NULL, ld_init, c + 8 * SV * h, ldc)
    RNNRT_GEMM_SWITCH_ROWS(MR, mr, RNNRT_AVX2_STRIPS);
#undef RNNRT_AVX2_STRIPS
}

/* One row over two panels of 8 NV columns, `next` weights apart (rnnrt_*_gemm_pair_t):
 * 2 NV accumulators, each output the k-ordered FMA chain of rnnrt_avx2_gemm_tile_t at one
 * row. scale (int8) holds both panels' column scales, 16 NV floats. */
static inline __attribute__((always_inline)) void
rnnrt_avx2_gemm_pair_t(const int T, const int NV, size_t kc, const float *a, const void *b,
                       size_t next, const float *scale, const float *init, float *c)
{
    const size_t nr = (size_t)(8 * NV);
    __m256 acc[2][4];
    for (int q = 0; q < 2; q++)
        rnnrt_avx2_row_init(T, NV, init ? init + q * nr : NULL, acc[q]);
    for (size_t k = 0; k < kc; k++) {
        const __m256 ak = _mm256_set1_ps(a[k]);
        for (int q = 0; q < 2; q++) {
            __m256 bv[4];
            rnnrt_avx2_row_panel(T, NV, b, (q ? next : 0) + k * nr,
                                 T == RNNRT_WEIGHTS_INT8 ? scale + q * nr : NULL, bv);
            for (int v = 0; v < NV; v++)
                acc[q][v] = _mm256_fmadd_ps(ak, bv[v], acc[q][v]);
        }
    }
    for (int q = 0; q < 2; q++)
        rnnrt_avx2_row_store(T, NV, c + q * nr, acc[q]);
}

/* The f32 tiles, as the rnnrt_f32_gemm_*__avx2 files call them. */
static inline __attribute__((always_inline)) void
rnnrt_avx2_gemm(const int MR, const int NV, size_t mr, size_t kc, const float *a, size_t lda,
                const float *b, const float *init, size_t ld_init, float *c, size_t ldc)
{
    rnnrt_avx2_gemm_t(RNNRT_WEIGHTS_F32, MR, NV, mr, kc, a, lda, b, NULL, init, ld_init, c, ldc);
}

static inline __attribute__((always_inline)) void
rnnrt_avx2_gemm_strips(const int MR, const int NV, const int halves, size_t mr, size_t kc,
                       const float *a, size_t lda, const float *b, const float *init,
                       size_t ld_init, float *c, size_t ldc)
{
    rnnrt_avx2_gemm_strips_t(RNNRT_WEIGHTS_F32, MR, NV, halves, mr, kc, a, lda, b, NULL, init,
                             ld_init, c, ldc);
}

#endif
