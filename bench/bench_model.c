/* In-memory models for the benchmarks: see bench_model.h. */
#include "bench_model.h"

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

/* The tensors of one layer in file order, with their element counts. */
struct tensor {
    const char *name;
    size_t rows, cols; /* cols == 0: a vector of `rows` elements */
};

rnnrt_status rnnrt_bench_make_model(const char *cell, int H, int I, uint64_t seed,
                                    rnnrt_model **out)
{
    int G = rnnrt_bench_gates(cell);
    if (!G || H < 1 || I < 1 || !out)
        return RNNRT_E_INVALID;
    const struct tensor t[4] = {
        {"weight_ih_l0", (size_t)G * H, (size_t)I},
        {"weight_hh_l0", (size_t)G * H, (size_t)H},
        {"bias_ih_l0", (size_t)G * H, 0},
        {"bias_hh_l0", (size_t)G * H, 0},
    };
    char header[1024];
    size_t off = 0, len = 0;
    len += (size_t)snprintf(header + len, sizeof header - len,
                            "{\"__metadata__\":{\"rnnrt.cell\":\"%s\"}", cell);
    for (int k = 0; k < 4; k++) {
        size_t bytes = t[k].rows * (t[k].cols ? t[k].cols : 1) * sizeof(float);
        if (t[k].cols)
            len += (size_t)snprintf(header + len, sizeof header - len,
                                    ",\"%s\":{\"dtype\":\"F32\",\"shape\":[%zu,%zu],"
                                    "\"data_offsets\":[%zu,%zu]}",
                                    t[k].name, t[k].rows, t[k].cols, off, off + bytes);
        else
            len += (size_t)snprintf(header + len, sizeof header - len,
                                    ",\"%s\":{\"dtype\":\"F32\",\"shape\":[%zu],"
                                    "\"data_offsets\":[%zu,%zu]}",
                                    t[k].name, t[k].rows, off, off + bytes);
        off += bytes;
    }
    len += (size_t)snprintf(header + len, sizeof header - len, "}");
    while (len % 8) /* the data that follows stays 8-byte aligned, as safetensors writes it */
        header[len++] = ' ';

    size_t total = 8 + len + off;
    unsigned char *file = malloc(total);
    if (!file)
        return RNNRT_E_NOMEM;
    for (int b = 0; b < 8; b++)
        file[b] = (unsigned char)((uint64_t)len >> (8 * b));
    memcpy(file + 8, header, len);
    float *data = (float *)(file + 8 + len);
    float scale = 1.0f / sqrtf((float)H);
    size_t pos = 0;
    for (int k = 0; k < 4; k++) {
        size_t n = t[k].rows * (t[k].cols ? t[k].cols : 1);
        rnnrt_bench_fill(data + pos, n, seed + 1000003u * (uint64_t)(k + 1), scale);
        pos += n;
    }
    rnnrt_status s = rnnrt_model_load_memory(file, total, out);
    free(file);
    return s;
}
