/* AMX tiles for the dot-product panels (rnnrt_int8dot_gemm_t with tdpbssd, rnnrt_bf16dot_gemm_t
 * with tdpbf16ps): up to 16 rows by NR = 16 NV columns (NV <= 4) per call, all of K.
 *
 * Tile registers: 0..NV-1 hold C (16 rows of 16 int32 or float32), 4 a block of A (16 rows
 * of 64 bytes: 64 int8 or 32 bf16 of k), 5 a block of one column group's panel (16 rows of
 * 64 bytes: a k group of 16 columns per row). A panel row of k groups is 64 NV bytes, the
 * layout of every dot-product panel (simd/kernels.h), so the B tiles load with that stride.
 * Rows of A past mr and k past kc go through zeroed stack blocks, so one configuration
 * (every tile 16 x 64 bytes) serves every call: it is loaded on a thread's first AMX call
 * and kept until the pass ends and releases the tiles (the set's tile_release kernel).
 *
 * int8: the sums are exact int32, then scaled as every int8dot tile does, so the bytes are
 * every set's. bf16: the products are summed in the hardware's order within each tile
 * instruction (the SDM's pseudocode gives one; the model follows it), so the bytes may
 * differ from the vector tiles' within a bound (docs/reduced-precision.md).
 *
 * Native (the avx512 set, -mamx-tile -mamx-int8 -mamx-bf16) or on the software model
 * (simd/model/amx_model.h) in the model sets. */
#ifndef RNNRT_SIMD_GEMM_AMX_H
#define RNNRT_SIMD_GEMM_AMX_H

#include <assert.h>
#include <math.h>
#include <string.h>

#ifdef RNNRT_INTRINSICS_MODEL
#include "model/amx_model.h"
#define RNNRT_AMX_CONFIGURED rnnrt_amx_configured_model
#else
#include <immintrin.h>
#define RNNRT_AMX_CONFIGURED rnnrt_amx_configured_native
#endif

#include "kernels.h"

/* Whether this thread has loaded the configuration below (defined with the set's
 * tile_release kernel, which clears it). */
extern _Thread_local int RNNRT_AMX_CONFIGURED;

/* LDTILECFG's 64-byte operand, palette 1. */
typedef struct __attribute__((aligned(64))) rnnrt_amx_config {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} rnnrt_amx_config;

static inline void rnnrt_amx_ensure(void)
{
    if (RNNRT_AMX_CONFIGURED)
        return;
    rnnrt_amx_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.palette = 1;
    for (int t = 0; t < 6; t++) {
        cfg.colsb[t] = 64;
        cfg.rows[t] = 16;
    }
    /* gcc 12 at -O1 and above dropped the stores that fill cfg before LDTILECFG read it
     * (../shared/AMX.md): tell it the asm reads all of cfg */
    __asm__ volatile("" : : "m"(cfg) : "memory");
    _tile_loadconfig(&cfg);
    RNNRT_AMX_CONFIGURED = 1;
}

/* Tile 4 = rows [0, mr) of A from column k0 (kb bytes), through a zeroed block when the
 * tile would read past them. */
static inline __attribute__((always_inline)) void
rnnrt_amx_load_a(size_t mr, const uint8_t *a, size_t lda_bytes, size_t kb, uint8_t *pad)
{
    if (mr == 16 && kb == 64) {
        _tile_loadd(4, a, (long)lda_bytes);
        return;
    }
    memset(pad, 0, 16 * 64);
    for (size_t m = 0; m < mr; m++)
        memcpy(pad + 64 * m, a + m * lda_bytes, kb);
    _tile_loadd(4, pad, 64);
}

/* Tile 5 = `groups` k groups (rows) of one 16-column block of a panel, rows ldb bytes
 * apart, through a zeroed block when fewer than 16. */
static inline __attribute__((always_inline)) void
rnnrt_amx_load_b(const uint8_t *w, size_t ldb, size_t groups, uint8_t *pad)
{
    if (groups == 16) {
        _tile_loadd(5, w, (long)ldb);
        return;
    }
    memset(pad, 0, 16 * 64);
    for (size_t r = 0; r < groups; r++)
        memcpy(pad + 64 * r, w + r * ldb, 64);
    _tile_loadd(5, pad, 64);
}

/* C tile v += A tile * B tile, v a constant (the tile intrinsics take immediates). */
#define RNNRT_AMX_STEP(v, dot, w, ldb, groups, pad)                                          \
    do {                                                                                      \
        rnnrt_amx_load_b((w) + 64 * (v), ldb, groups, pad);                                   \
        dot(v, 4, 5);                                                                         \
    } while (0)

#define RNNRT_AMX_COLUMNS(NV, dot, w, ldb, groups, pad)                                      \
    do {                                                                                      \
        RNNRT_AMX_STEP(0, dot, w, ldb, groups, pad);                                          \
        if ((NV) > 1)                                                                         \
            RNNRT_AMX_STEP(1, dot, w, ldb, groups, pad);                                      \
        if ((NV) > 2)                                                                         \
            RNNRT_AMX_STEP(2, dot, w, ldb, groups, pad);                                      \
        if ((NV) > 3)                                                                         \
            RNNRT_AMX_STEP(3, dot, w, ldb, groups, pad);                                      \
    } while (0)

/* C tiles into acc (16 rows of 64 32-bit values). */
static inline __attribute__((always_inline)) void rnnrt_amx_store_c(const int NV, void *acc)
{
    _tile_stored(0, acc, 256);
    if (NV > 1)
        _tile_stored(1, (char *)acc + 64, 256);
    if (NV > 2)
        _tile_stored(2, (char *)acc + 128, 256);
    if (NV > 3)
        _tile_stored(3, (char *)acc + 192, 256);
}

static inline __attribute__((always_inline)) void
rnnrt_amx_int8dot(const int NV, size_t mr, size_t kc, const int8_t *a, size_t lda,
                  const float *a_scale, const int8_t *b, const float *scale, const float *init,
                  size_t ld_init, float *c, size_t ldc)
{
    assert(NV >= 1 && NV <= 4 && mr >= 1 && mr <= 16 && kc % 4 == 0 &&
           kc <= RNNRT_INT8DOT_MAX_K);
    uint8_t apad[16 * 64] __attribute__((aligned(64))), bpad[16 * 64] __attribute__((aligned(64)));
    int32_t acc[16][64] __attribute__((aligned(64)));
    const size_t ldb = 64 * (size_t)NV;
    rnnrt_amx_ensure();
    _tile_zero(0);
    if (NV > 1)
        _tile_zero(1);
    if (NV > 2)
        _tile_zero(2);
    if (NV > 3)
        _tile_zero(3);
    for (size_t k0 = 0; k0 < kc; k0 += 64) { /* 64 k: 16 groups of four */
        const size_t kb = kc - k0 < 64 ? kc - k0 : 64;
        rnnrt_amx_load_a(mr, (const uint8_t *)a + k0, lda, kb, apad);
        const uint8_t *w = (const uint8_t *)b + (k0 / 4) * ldb;
        RNNRT_AMX_COLUMNS(NV, _tile_dpbssd, w, ldb, kb / 4, bpad);
    }
    rnnrt_amx_store_c(NV, acc);
    for (size_t m = 0; m < mr; m++)
        for (size_t j = 0; j < 16 * (size_t)NV; j++)
            c[m * ldc + j] = fmaf((float)acc[m][j], a_scale[m] * scale[j],
                                  init ? init[m * ld_init + j] : 0.0f);
}

static inline __attribute__((always_inline)) void
rnnrt_amx_bf16dot(const int NV, size_t mr, size_t kc, const uint16_t *a, size_t lda,
                  const uint16_t *b, const float *init, size_t ld_init, float *c, size_t ldc)
{
    assert(NV >= 1 && NV <= 4 && mr >= 1 && mr <= 16 && kc % 2 == 0);
    uint8_t apad[16 * 64] __attribute__((aligned(64))), bpad[16 * 64] __attribute__((aligned(64)));
    float acc[16][64] __attribute__((aligned(64)));
    const size_t ldb = 64 * (size_t)NV, n = 16 * (size_t)NV;
    rnnrt_amx_ensure();
    /* C starts at init (zeros past mr), as the vector tiles' chains do */
    for (size_t m = 0; m < 16; m++)
        for (size_t j = 0; j < n; j++)
            acc[m][j] = init && m < mr ? init[m * ld_init + j] : 0.0f;
    _tile_loadd(0, acc[0], 256);
    if (NV > 1)
        _tile_loadd(1, &acc[0][16], 256);
    if (NV > 2)
        _tile_loadd(2, &acc[0][32], 256);
    if (NV > 3)
        _tile_loadd(3, &acc[0][48], 256);
    for (size_t k0 = 0; k0 < kc; k0 += 32) { /* 32 k: 16 pairs */
        const size_t kb = kc - k0 < 32 ? kc - k0 : 32;
        rnnrt_amx_load_a(mr, (const uint8_t *)(a + k0), 2 * lda, 2 * kb, apad);
        const uint8_t *w = (const uint8_t *)(b + (k0 / 2) * 2 * n);
        RNNRT_AMX_COLUMNS(NV, _tile_dpbf16ps, w, ldb, kb / 2, bpad);
    }
    rnnrt_amx_store_c(NV, acc);
    for (size_t m = 0; m < mr; m++)
        memcpy(c + m * ldc, acc[m], n * sizeof(float));
}

#endif
