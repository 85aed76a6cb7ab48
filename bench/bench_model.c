/* In-memory models for the benchmarks: see bench_model.h. */
#include "bench_model.h"
#include "model_build.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rnnrt_bench_gates(const char *cell)
{
    if (!strcmp(cell, "lstm"))
        return 4;
    if (!strcmp(cell, "gru"))
        return 3;
    return 0;
}

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void rnnrt_bench_fill(float *x, size_t n, uint64_t seed, float scale)
{
    uint64_t s = seed;
    for (size_t j = 0; j < n; j++) {
        /* 24 random bits -> [0, 1) exactly representable, then [-scale, scale). */
        float u = (float)(splitmix64(&s) >> 40) * (1.0f / 16777216.0f);
        x[j] = (2.0f * u - 1.0f) * scale;
    }
}

float *rnnrt_bench_alloc(size_t n)
{
    void *p = NULL;
    size_t bytes = (n ? n : 1) * sizeof(float);
    bytes = (bytes + 63) / 64 * 64;
    if (posix_memalign(&p, 64, bytes))
        return NULL;
    memset(p, 0, bytes);
    return (float *)p;
}

void rnnrt_bench_free(float *p)
{
    free(p);
}

/* Element (row, col) of a tensor of the model: the tensor's own splitmix64 stream (seed
 * + 1000003 * (k + 1) for the k-th of weight_ih, weight_hh, bias_ih, bias_hh) at index
 * row * cols + col, so a model is the same bytes whatever order it is written in. */
typedef struct fill_ctx {
    uint64_t seed;
    int cols[4];
    float scale;
} fill_ctx;

static float fill_one(void *ctx, const char *kind, int layer, int dir, int row, int col)
{
    static const char *const kinds[4] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
    const fill_ctx *f = ctx;
    int k = 0;
    (void)layer, (void)dir;
    while (k < 3 && strcmp(kind, kinds[k]))
        k++;
    uint64_t index = (uint64_t)row * (uint64_t)f->cols[k] + (uint64_t)col;
    uint64_t s = f->seed + 1000003u * (uint64_t)(k + 1) + index * 0x9e3779b97f4a7c15ull;
    float u = (float)(splitmix64(&s) >> 40) * (1.0f / 16777216.0f);
    return (2.0f * u - 1.0f) * f->scale;
}

rnnrt_status rnnrt_bench_make_model(const char *cell, int H, int I, uint64_t seed,
                                    rnnrt_model **out)
{
    return rnnrt_bench_make_model_ex(cell, H, I, seed, NULL, out);
}

unsigned char *rnnrt_bench_model_bytes(const char *cell, int H, int I, uint64_t seed,
                                       size_t *size)
{
    if (!rnnrt_bench_gates(cell) || H < 1 || I < 1)
        return NULL;
    /* the tests' in-memory model writer (tests/stress/model_build.c) */
    mb_shape shape = {cell, I, H, 0, 1, 1, 1};
    fill_ctx f = {seed, {I, H, 1, 1}, 1.0f / sqrtf((float)H)};
    return mb_model(&shape, fill_one, &f, size);
}

rnnrt_status rnnrt_bench_make_model_ex(const char *cell, int H, int I, uint64_t seed,
                                       const rnnrt_options *o, rnnrt_model **out)
{
    if (!rnnrt_bench_gates(cell) || H < 1 || I < 1 || !out)
        return RNNRT_E_INVALID;
    size_t size;
    unsigned char *file = rnnrt_bench_model_bytes(cell, H, I, seed, &size);
    if (!file)
        return RNNRT_E_NOMEM;
    rnnrt_status s = rnnrt_model_load_memory_ex(file, size, o, out);
    free(file);
    return s;
}
