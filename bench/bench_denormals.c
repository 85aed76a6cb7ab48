/* How much subnormal numbers slow the forward pass: time per step of one LSTM and one GRU
 * (I = H = 128, batch 8, 100 steps, one thread) under every kernel set this CPU runs and
 * every forward variant, with inputs that are normal (sub.x: subnormal; zeros), with a
 * model whose weights are all subnormal (sub.wts), and both subnormal cases again with the
 * caller's MXCSR set to flush-to-zero + denormals-are-zero (x86 only), to show what FTZ
 * inside the library would buy. A measurement, not a test: it prints a table, exits 0.
 *
 *   build/bench/rnnrt-bench-denormals [REPEATS]      (default 15; the median is shown) */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#define HAVE_MXCSR 1
#endif

#include "dispatch.h"
#include "model_build.h"
#include "rnnrt.h"

enum { I = 128, H = 128, B = 8, T = 100 };

static float weight_scale;

static float fill(void *ctx, const char *kind, int layer, int dir, int row, int col)
{
    (void)ctx, (void)layer, (void)dir;
    uint32_t h = (uint32_t)(row * 2654435761u) ^ (uint32_t)(col * 40503u) ^ (uint32_t)kind[0];
    h ^= h >> 13;
    h *= 2246822519u;
    h ^= h >> 16;
    return weight_scale * ((float)(h % 20001) / 10000.0f - 1.0f) * 0.09f; /* ~1/sqrt(H) */
}

static rnnrt_model *make(const char *cell, float scale)
{
    mb_shape s = {cell, I, H, 0, 1, 1, 1};
    size_t size;
    weight_scale = scale;
    unsigned char *bytes = mb_model(&s, fill, NULL, &size);
    rnnrt_model *m = NULL;
    if (rnnrt_model_load_memory(bytes, size, &m)) {
        fprintf(stderr, "bench_denormals: %s\n", rnnrt_last_error());
        exit(1);
    }
    free(bytes);
    return m;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median nanoseconds per time step (all B sequences) over `repeats` calls. */
static double time_forward(const rnnrt_model *m, const float *x, float *y, int repeats)
{
    double t[64];
    rnnrt_forward(m, NULL, x, T, B, NULL, y); /* warm-up: packing, thread pool, caches */
    for (int r = 0; r < repeats; r++) {
        double start = now();
        rnnrt_forward(m, NULL, x, T, B, NULL, y);
        t[r] = now() - start;
    }
    qsort(t, (size_t)repeats, sizeof *t, by_value);
    return t[repeats / 2] / T * 1e9;
}

int main(int argc, char **argv)
{
    int repeats = argc > 1 ? atoi(argv[1]) : 15;
    if (repeats < 1 || repeats > 64)
        repeats = 15;
    rnnrt_set_num_threads(1);
    static const char *const cells[] = {"lstm", "gru"};
    static const char *const variants[] = {"reference", "blocked"};
    const size_t nx = (size_t)T * B * I, ny = (size_t)T * B * H;
    float *normal = malloc(nx * sizeof *normal), *subnormal = malloc(nx * sizeof *subnormal);
    float *zeros = calloc(nx, sizeof *zeros), *y = malloc(ny * sizeof *y);
    uint32_t seed = 1;
    for (size_t k = 0; k < nx; k++) {
        seed = seed * 1664525u + 1013904223u;
        float u = (float)(seed >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
        normal[k] = u;
        subnormal[k] = u * 1e-39f; /* every nonzero value below FLT_MIN */
    }
    printf("rnnrt %s, 1 thread, I = H = %d, batch %d, %d steps; ns per step, median of %d\n",
           rnnrt_version(), H, B, T, repeats);
    printf("%-7s %-5s %-10s %9s %9s %9s %9s %11s %11s %11s %11s\n", "isa", "cell", "variant",
           "normal", "sub.x", "zeros", "sub.wts", "sub.x/norm", "sub.w/norm", "x+FTZ/DAZ",
           "w+FTZ/DAZ");
    const char *const *isas = rnnrt_kernel_set_names;
    for (int i = 0; i < rnnrt_kernel_set_count; i++)
    for (size_t c = 0; c < 2; c++) {
        if (rnnrt_set_isa(isas[i]) != RNNRT_OK)
            continue;
        rnnrt_model *m = make(cells[c], 1.0f), *tiny = make(cells[c], 1e-38f);
        for (size_t v = 0; v < 2; v++) {
            if (rnnrt_set_variant(variants[v]) != RNNRT_OK)
                continue;
            double tn = time_forward(m, normal, y, repeats);
            double ts = time_forward(m, subnormal, y, repeats);
            double tz = time_forward(m, zeros, y, repeats);
            double tw = time_forward(tiny, normal, y, repeats);
            double tf = NAN, twf = NAN;
#ifdef HAVE_MXCSR
            unsigned csr = _mm_getcsr();
            _mm_setcsr(csr | 0x8040); /* FTZ | DAZ, this thread only */
            tf = time_forward(m, subnormal, y, repeats);
            twf = time_forward(tiny, normal, y, repeats);
            _mm_setcsr(csr);
#endif
            printf("%-7s %-5s %-10s %9.0f %9.0f %9.0f %9.0f %10.2fx %10.2fx %10.2fx %10.2fx\n",
                   isas[i], cells[c], variants[v], tn, ts, tz, tw, ts / tn, tw / tn, tf / tn,
                   twf / tn);
        }
        rnnrt_model_free(m);
        rnnrt_model_free(tiny);
    }
    free(normal);
    free(subnormal);
    free(zeros);
    free(y);
    return 0;
}
