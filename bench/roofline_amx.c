/* Roofline kernels for AMX (compiled with -mamx-tile -mamx-bf16 -mamx-int8): see
 * roofline.h. The caller has the process's AMX permission (rnnrt_cpu_request_amx); each
 * call configures the tiles of its own thread and releases them before it returns. */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "roofline.h"

/* The 64-byte tile configuration of palette 1 (Intel SDM, LDTILECFG). */
typedef struct tile_config {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} tile_config;

/* Tiles 0..7 all 16 rows of 64 bytes: C tiles 16 x 16 fp32 or int32, A and B tiles of
 * 16 x 32 bf16 or 16 x 64 bytes. */
static void configure_tiles(void)
{
    tile_config c;
    memset(&c, 0, sizeof c);
    c.palette = 1;
    for (int t = 0; t < 8; t++) {
        c.colsb[t] = 64;
        c.rows[t] = 16;
    }
    _tile_loadconfig(&c);
}

/* 2 x 2 blocking: 4 independent accumulating tiles (0..3) from 2 A tiles (4, 5) and 2 B
 * tiles (6, 7), so consecutive TDP instructions never wait for one another. */
#define RNNRT_AMX_ROUNDS(op)                                                                  \
    for (size_t i = 0; i < iters; i++) {                                                      \
        op(0, 4, 6);                                                                          \
        op(1, 4, 7);                                                                          \
        op(2, 5, 6);                                                                          \
        op(3, 5, 7);                                                                          \
    }

/* Stores the accumulators, sums them into *sink (as type T) and releases the tiles. */
#define RNNRT_AMX_FINISH(T)                                                                   \
    do {                                                                                      \
        T out[4][256];                                                                        \
        _tile_stored(0, out[0], 64);                                                          \
        _tile_stored(1, out[1], 64);                                                          \
        _tile_stored(2, out[2], 64);                                                          \
        _tile_stored(3, out[3], 64);                                                          \
        _tile_release();                                                                      \
        float s = 0;                                                                          \
        for (int k = 0; k < 4; k++)                                                           \
            for (int j = 0; j < 256; j++)                                                     \
                s += (float)out[k][j];                                                        \
        *sink += s;                                                                           \
    } while (0)

static void load_operands(const void *a, const void *b)
{
    _tile_loadd(4, a, 64);
    _tile_loadd(5, a, 64);
    _tile_loadd(6, b, 64);
    _tile_loadd(7, b, 64);
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
}

/* TDPBF16PS on full tiles: 16 x 16 outputs, 32 products each: 16,384 FLOP. bf16 inputs of
 * 1e-3 (0x3a83) keep the sums small and normal. */
double rnnrt_bench_dot_bf16__amx(size_t iters, float *sink)
{
    uint16_t a[16 * 32]; /* on each thread's own stack */
    for (int j = 0; j < 16 * 32; j++)
        a[j] = 0x3a83;
    configure_tiles();
    load_operands(a, a);
    RNNRT_AMX_ROUNDS(_tile_dpbf16ps)
    RNNRT_AMX_FINISH(float);
    return (double)iters * 4 * 16 * 16 * 32 * 2;
}

/* TDPBUSD (u8 x s8) on full tiles: 16 x 16 outputs, 64 products each: 32,768 OP. Inputs of
 * 1 add 64 a round: no int32 overflow below 2^25 rounds. */
double rnnrt_bench_dot_int8__amx(size_t iters, float *sink)
{
    uint8_t a[16 * 64];
    memset(a, 1, sizeof a);
    configure_tiles();
    load_operands(a, a);
    RNNRT_AMX_ROUNDS(_tile_dpbusd)
    RNNRT_AMX_FINISH(int32_t);
    return (double)iters * 4 * 16 * 16 * 64 * 2;
}
