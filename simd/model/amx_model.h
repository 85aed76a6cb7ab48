/* A software model of the AMX instructions rnnrt's tiles use (Intel SDM pseudocode), under
 * the intrinsics' names, for the model kernel sets: eight tiles of up to 16 rows of 64 bytes
 * in a thread-local tile file, shaped by the configuration _tile_loadconfig reads (palette
 * 1: bytes 16.. the colsb of each tile as 16-bit words, bytes 48.. the rows as bytes).
 *  - tdpbssd: C[m][n] += sum over k of the four signed x signed byte products, wrapping;
 *  - tdpbf16ps: C[m][n] += A[m][2k] B[k][2n], then += A[m][2k+1] B[k][2n+1], for k in
 *    order, each rounded to nearest even with subnormals read and written as zero. The
 *    hardware's order of accumulation is its own, so native and model agree within a bound
 *    (docs/reduced-precision.md), not bit for bit.
 * The tile file is defined once, in the model set's tile configuration file. */
#ifndef RNNRT_SIMD_MODEL_AMX_MODEL_H
#define RNNRT_SIMD_MODEL_AMX_MODEL_H

#include <math.h>
#include <stdint.h>
#include <string.h>

typedef struct rnnrt_amx_model_tiles {
    uint8_t data[8][16][64];
    int rows[8], colsb[8];
    int configured;
} rnnrt_amx_model_tiles;

extern _Thread_local rnnrt_amx_model_tiles rnnrt_amx_model_file;

static inline void _tile_loadconfig(const void *config)
{
    const uint8_t *c = (const uint8_t *)config;
    rnnrt_amx_model_tiles *f = &rnnrt_amx_model_file;
    memset(f, 0, sizeof *f);
    for (int t = 0; t < 8; t++) {
        uint16_t colsb;
        memcpy(&colsb, c + 16 + 2 * t, sizeof colsb);
        f->colsb[t] = colsb > 64 ? 64 : colsb;
        f->rows[t] = c[48 + t] > 16 ? 16 : c[48 + t];
    }
    f->configured = c[0] == 1;
}

static inline void _tile_release(void)
{
    memset(&rnnrt_amx_model_file, 0, sizeof rnnrt_amx_model_file);
}

static inline void _tile_zero(int t)
{
    memset(rnnrt_amx_model_file.data[t], 0, sizeof rnnrt_amx_model_file.data[t]);
}

static inline void _tile_loadd(int t, const void *base, long stride)
{
    rnnrt_amx_model_tiles *f = &rnnrt_amx_model_file;
    memset(f->data[t], 0, sizeof f->data[t]);
    for (int r = 0; r < f->rows[t]; r++)
        memcpy(f->data[t][r], (const uint8_t *)base + (long)r * stride, (size_t)f->colsb[t]);
}

static inline void _tile_stored(int t, void *base, long stride)
{
    const rnnrt_amx_model_tiles *f = &rnnrt_amx_model_file;
    for (int r = 0; r < f->rows[t]; r++)
        memcpy((uint8_t *)base + (long)r * stride, f->data[t][r], (size_t)f->colsb[t]);
}

static inline void _tile_dpbssd(int dst, int a, int b)
{
    rnnrt_amx_model_tiles *f = &rnnrt_amx_model_file;
    for (int m = 0; m < f->rows[dst]; m++)
        for (int n = 0; n < f->colsb[dst] / 4; n++) {
            uint32_t acc;
            memcpy(&acc, &f->data[dst][m][4 * n], sizeof acc);
            for (int k = 0; k < f->colsb[a] / 4; k++)
                for (int i = 0; i < 4; i++)
                    acc += (uint32_t)((int32_t)(int8_t)f->data[a][m][4 * k + i] *
                                      (int32_t)(int8_t)f->data[b][k][4 * n + i]);
            memcpy(&f->data[dst][m][4 * n], &acc, sizeof acc);
        }
}

static inline float rnnrt_amx_model_flush(float x)
{
    return fpclassify(x) == FP_SUBNORMAL ? copysignf(0.0f, x) : x;
}

static inline float rnnrt_amx_model_bf16(const uint8_t *p)
{
    uint16_t h;
    memcpy(&h, p, sizeof h);
    const uint32_t u = (uint32_t)h << 16;
    float x;
    memcpy(&x, &u, sizeof x);
    return rnnrt_amx_model_flush(x);
}

static inline void _tile_dpbf16ps(int dst, int a, int b)
{
    rnnrt_amx_model_tiles *f = &rnnrt_amx_model_file;
    for (int m = 0; m < f->rows[dst]; m++)
        for (int n = 0; n < f->colsb[dst] / 4; n++) {
            float acc;
            memcpy(&acc, &f->data[dst][m][4 * n], sizeof acc);
            acc = rnnrt_amx_model_flush(acc);
            for (int k = 0; k < f->colsb[a] / 4; k++)
                for (int i = 0; i < 2; i++)
                    acc = rnnrt_amx_model_flush(
                        fmaf(rnnrt_amx_model_bf16(&f->data[a][m][4 * k + 2 * i]),
                             rnnrt_amx_model_bf16(&f->data[b][k][4 * n + 2 * i]), acc));
            memcpy(&f->data[dst][m][4 * n], &acc, sizeof acc);
        }
}

#endif
