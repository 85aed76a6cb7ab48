/* The speed half of issue 11's int8 choice (the accuracy half: tools/int8_activation_study.py):
 * one recurrent step's GEMM at batch 1, h (1 x K) times W_hh (K x 4K, panels of 32 columns,
 * two panels per call as the pair tiles run), on AVX2, with
 *   f32          the library's f32 pair tile (rnnrt_f32_gemm_pair32__avx2's body);
 *   int8 w-only  the library's int8 pair tile: each weight widened to float32 and scaled,
 *                then the f32 FMA chain (rnnrt's "weights": "int8" today);
 *   s8 x s8      h rounded per step to int8 (largest magnitude to 127), weights packed four
 *                k per 32-bit word ([K/4][32][4]); vpsignb puts h's signs on the weights so
 *                that vpmaddubsw multiplies |h| (unsigned) by them without saturating
 *                (127 * 127 * 2 < 2^15), vpmaddwd by ones sums to int32: 32 products in 4
 *                instructions;
 *   s16 x s8     h rounded to int16 (largest magnitude to 8191, so that 2048 products of
 *                127 * 8191 fit int32), weights two k per word ([K/2][32][2]) widened by
 *                vpmovsxbw, vpmaddwd: 16 products in 3 instructions;
 *   s16 on [k][32]  the same on rnnrt's int8 panels as they are ([K][32]), rows k and k + 1
 *                interleaved in registers (vpunpck*bw, vpmovsxbw).
 * The quantized variants include rounding h (once per step, scalar) and the int32 -> float
 * conversion with both scales. Every variant's output is checked before it is timed: the
 * integer ones exactly against a scalar int32 oracle, the float ones against double.
 * Medians of REPEATS passes: each variant's passes back to back on its own copy of the
 * weights (a step reuses them, so they are as cached as the machine allows: at H 2048 the
 * f32 weights are 64 MB, the int8 ones 16 MB), in three rounds of variants in turn.
 *
 *   build/bench/rnnrt-bench-int8-dot [H ...] [--repeats N]     (default H 512 1024 2048, 60)
 *
 * Exit status 1 on a wrong result, 77 when the CPU lacks AVX2 + FMA. A measurement, built
 * with -O3 -mavx2 -mfma as the library's AVX2 kernels are. */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "avx2/gemm_avx2.h"

enum { NR = 32, VARIANTS = 5, MAX_REPEATS = 1000, ROUNDS = 3 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Rounds a[0, K) to `levels` with one symmetric scale; returns the scale. */
static float quantize(const float *a, size_t K, int levels, int8_t *q8, int16_t *q16)
{
    float largest = 0.0f;
    for (size_t k = 0; k < K; k++)
        largest = fabsf(a[k]) > largest ? fabsf(a[k]) : largest;
    const float scale = largest > 0.0f ? largest / (float)levels : 1.0f;
    for (size_t k = 0; k < K; k++) {
        long v = lrintf(a[k] / scale);
        v = v > levels ? levels : v < -levels ? -levels : v;
        if (q8)
            q8[k] = (int8_t)v;
        if (q16)
            q16[k] = (int16_t)v;
    }
    return scale;
}

/* c[j] = (float)dot[j] * (sa * sw[j]) for the 64 columns of a pair, from 8 int32 vectors
 * holding columns in order. */
static inline void store_scaled(const __m256i *acc, float sa, const float *sw, float *c)
{
    const __m256 vsa = _mm256_set1_ps(sa);
    for (int i = 0; i < 8; i++)
        _mm256_storeu_ps(c + 8 * i, _mm256_mul_ps(_mm256_cvtepi32_ps(acc[i]),
                                                  _mm256_mul_ps(vsa, _mm256_loadu_ps(sw + 8 * i))));
}

static void s8_pair(size_t K, const int8_t *aq, float sa, const int8_t *b, size_t next,
                    const float *sw, float *c)
{
    __m256i acc[8];
    for (int i = 0; i < 8; i++)
        acc[i] = _mm256_setzero_si256();
    const __m256i ones = _mm256_set1_epi16(1);
    for (size_t k4 = 0; k4 < K / 4; k4++) {
        int32_t quad;
        memcpy(&quad, aq + 4 * k4, 4);
        const __m256i av = _mm256_set1_epi32(quad), au = _mm256_abs_epi8(av);
        for (int q = 0; q < 2; q++)
            for (int v = 0; v < 4; v++) {
                const __m256i w = _mm256_load_si256(
                    (const __m256i *)(b + (q ? next : 0) + k4 * 4 * NR + 32 * v));
                const __m256i p = _mm256_maddubs_epi16(au, _mm256_sign_epi8(w, av));
                acc[4 * q + v] = _mm256_add_epi32(acc[4 * q + v], _mm256_madd_epi16(p, ones));
            }
    }
    store_scaled(acc, sa, sw, c);
}

static void s16_pair(size_t K, const int16_t *aq, float sa, const int8_t *b, size_t next,
                     const float *sw, float *c)
{
    __m256i acc[8];
    for (int i = 0; i < 8; i++)
        acc[i] = _mm256_setzero_si256();
    for (size_t k2 = 0; k2 < K / 2; k2++) {
        int32_t pair;
        memcpy(&pair, aq + 2 * k2, 4);
        const __m256i av = _mm256_set1_epi32(pair);
        for (int q = 0; q < 2; q++)
            for (int v = 0; v < 4; v++) {
                const __m256i w = _mm256_cvtepi8_epi16(_mm_load_si128(
                    (const __m128i *)(b + (q ? next : 0) + k2 * 2 * NR + 16 * v)));
                acc[4 * q + v] = _mm256_add_epi32(acc[4 * q + v], _mm256_madd_epi16(w, av));
            }
    }
    store_scaled(acc, sa, sw, c);
}

static void s16_rows_pair(size_t K, const int16_t *aq, float sa, const int8_t *b, size_t next,
                          const float *sw, float *c)
{
    __m256i acc[8];
    for (int i = 0; i < 8; i++)
        acc[i] = _mm256_setzero_si256();
    for (size_t k = 0; k + 1 < K; k += 2) {
        int32_t pair;
        memcpy(&pair, aq + k, 4);
        const __m256i av = _mm256_set1_epi32(pair);
        for (int q = 0; q < 2; q++) {
            const int8_t *p = b + (q ? next : 0) + k * NR;
            const __m256i r0 = _mm256_load_si256((const __m256i *)p);
            const __m256i r1 = _mm256_load_si256((const __m256i *)(p + NR));
            const __m256i lo = _mm256_unpacklo_epi8(r0, r1), hi = _mm256_unpackhi_epi8(r0, r1);
            const __m256i w[4] = {
                _mm256_cvtepi8_epi16(_mm256_castsi256_si128(lo)),      /* columns 0-7 */
                _mm256_cvtepi8_epi16(_mm256_castsi256_si128(hi)),      /* 8-15 */
                _mm256_cvtepi8_epi16(_mm256_extracti128_si256(lo, 1)), /* 16-23 */
                _mm256_cvtepi8_epi16(_mm256_extracti128_si256(hi, 1))};/* 24-31 */
            for (int v = 0; v < 4; v++)
                acc[4 * q + v] = _mm256_add_epi32(acc[4 * q + v], _mm256_madd_epi16(w[v], av));
        }
    }
    store_scaled(acc, sa, sw, c);
}

typedef struct problem {
    size_t K, N, P;          /* K = H, N = 4H columns in P panels of NR */
    float *wf, *sw, *a, *c;  /* f32 panels [P][K][NR], column scales, h, output */
    int8_t *w8;              /* int8 panels [P][K][NR] (rnnrt's layout) */
    int8_t *w8_k4, *w8_k2;   /* the same weights four and two k per word */
    int8_t *a8;
    int16_t *a16;
} problem;

/* aligned_alloc wants a size that is a multiple of the alignment */
static void *alloc64(size_t bytes)
{
    return aligned_alloc(64, (bytes + 63) / 64 * 64);
}

static int setup(problem *pr, size_t H)
{
    pr->K = H, pr->N = 4 * H, pr->P = pr->N / NR;
    const size_t KN = pr->K * pr->N;
    pr->wf = alloc64(KN * 4);
    pr->w8 = alloc64(KN);
    pr->w8_k4 = alloc64(KN);
    pr->w8_k2 = alloc64(KN);
    pr->sw = alloc64(pr->N * 4);
    pr->a = alloc64(pr->K * 4);
    pr->c = alloc64(pr->N * 4);
    pr->a8 = alloc64(pr->K);
    pr->a16 = alloc64(pr->K * 2);
    if (!pr->wf || !pr->w8 || !pr->w8_k4 || !pr->w8_k2 || !pr->sw || !pr->a || !pr->c ||
        !pr->a8 || !pr->a16)
        return -1;
    srand(12345);
    for (size_t j = 0; j < pr->N; j++)
        pr->sw[j] = 0.001f * (float)(1 + (int)(j % 7));
    for (size_t p = 0; p < pr->P; p++)
        for (size_t k = 0; k < pr->K; k++)
            for (size_t j = 0; j < NR; j++) {
                const int8_t q = (int8_t)(rand() % 255 - 127);
                const size_t col = p * NR + j, base = p * pr->K * NR;
                pr->w8[base + k * NR + j] = q;
                pr->wf[base + k * NR + j] = (float)q * pr->sw[col];
                pr->w8_k4[base + (k / 4) * 4 * NR + j * 4 + k % 4] = q;
                pr->w8_k2[base + (k / 2) * 2 * NR + j * 2 + k % 2] = q;
            }
    for (size_t k = 0; k < pr->K; k++) /* an LSTM's h, in (-1, 1) */
        pr->a[k] = tanhf(2.0f * ((float)rand() / (float)RAND_MAX - 0.5f) * 3.0f);
    return 0;
}

static void run(const problem *pr, int variant)
{
    const size_t K = pr->K, panel = K * NR;
    float sa = 1.0f;
    if (variant == 2)
        sa = quantize(pr->a, K, 127, pr->a8, NULL);
    else if (variant >= 3)
        sa = quantize(pr->a, K, 8191, NULL, pr->a16);
    for (size_t p = 0; p + 1 < pr->P; p += 2) {
        const size_t at = p * panel;
        float *c = pr->c + p * NR;
        const float *sw = pr->sw + p * NR;
        switch (variant) {
        case 0: rnnrt_avx2_gemm_pair_t(RNNRT_WEIGHTS_F32, 4, K, pr->a, pr->wf + at, panel, NULL, NULL, c); break;
        case 1: rnnrt_avx2_gemm_pair_t(RNNRT_WEIGHTS_INT8, 4, K, pr->a, pr->w8 + at, panel, sw, NULL, c); break;
        case 2: s8_pair(K, pr->a8, sa, pr->w8_k4 + at, panel, sw, c); break;
        case 3: s16_pair(K, pr->a16, sa, pr->w8_k2 + at, panel, sw, c); break;
        case 4: s16_rows_pair(K, pr->a16, sa, pr->w8 + at, panel, sw, c); break;
        }
    }
}

/* The variant's output against its definition: the float ones against the double product
 * of the same float weights (bound: K float32 roundings of partial sums, each at most half
 * an ulp of sum |a w| <= K * 127 * max scale), the quantized ones against the scalar int32
 * dot times the same float scales, which must match to the last bit. */
static int check(const problem *pr, int variant)
{
    run(pr, variant);
    const size_t K = pr->K;
    float sa = 1.0f;
    if (variant == 2)
        sa = quantize(pr->a, K, 127, pr->a8, NULL);
    else if (variant >= 3)
        sa = quantize(pr->a, K, 8191, NULL, pr->a16);
    for (size_t col = 0; col < pr->N; col++) {
        const size_t p = col / NR, j = col % NR, base = p * K * NR;
        if (variant <= 1) {
            double exact = 0.0, magnitude = 0.0;
            for (size_t k = 0; k < K; k++) {
                exact += (double)pr->a[k] * (double)pr->wf[base + k * NR + j];
                magnitude += fabs((double)pr->a[k] * (double)pr->wf[base + k * NR + j]);
            }
            if (fabs((double)pr->c[col] - exact) > (double)K * magnitude * 0x1p-24) {
                fprintf(stderr, "H %zu variant %d column %zu: %g, expected %g\n", K, variant,
                        col, pr->c[col], exact);
                return -1;
            }
            continue;
        }
        int32_t dot = 0;
        for (size_t k = 0; k < K; k++)
            dot += (int32_t)pr->w8[base + k * NR + j] *
                   (variant == 2 ? (int32_t)pr->a8[k] : (int32_t)pr->a16[k]);
        const float want = (float)dot * (sa * pr->sw[col]);
        if (memcmp(&want, &pr->c[col], sizeof want) != 0) {
            fprintf(stderr, "H %zu variant %d column %zu: %.9g, expected %.9g\n", K, variant,
                    col, pr->c[col], want);
            return -1;
        }
    }
    return 0;
}

static int cmp_double(const void *x, const void *y)
{
    const double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

int main(int argc, char **argv)
{
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        puts("skipped: this CPU lacks AVX2 + FMA");
        return 77;
    }
    size_t sizes[16];
    int n_sizes = 0, repeats = 60;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--repeats") && i + 1 < argc) {
            repeats = atoi(argv[++i]);
            if (repeats < ROUNDS || repeats > MAX_REPEATS) {
                fprintf(stderr, "--repeats: expected %d to %d, got %s\n", ROUNDS, MAX_REPEATS, argv[i]);
                return 2;
            }
        } else {
            long h = atol(argv[i]);
            /* a multiple of 16: whole pairs of panels and of k quads; at most 2048: the
             * s16 variants' int32 sums (127 * 8191 * 2048 < 2^31) */
            if (h < 16 || h > 2048 || h % 16 || n_sizes == 16) {
                fprintf(stderr, "H: expected a multiple of 16 in [16, 2048] (at most 16 of "
                                "them), got %s\n", argv[i]);
                return 2;
            }
            sizes[n_sizes++] = (size_t)h;
        }
    }
    if (!n_sizes)
        sizes[n_sizes++] = 512, sizes[n_sizes++] = 1024, sizes[n_sizes++] = 2048;
    static const char *names[VARIANTS] = {"f32", "int8 w-only", "s8 x s8", "s16 x s8",
                                          "s16 on [k][32]"};
    static double t[VARIANTS][MAX_REPEATS];
    printf("%-6s %-16s %10s %10s %10s %9s\n", "H", "variant", "us/step", "GB/s", "GMAC/s",
           "vs f32");
    for (int s = 0; s < n_sizes; s++) {
        problem pr;
        if (setup(&pr, sizes[s])) {
            fprintf(stderr, "H %zu: out of memory\n", sizes[s]);
            return 1;
        }
        for (int v = 0; v < VARIANTS; v++)
            if (check(&pr, v))
                return 1;
        /* A step's GEMM runs over the same weights every step: each variant runs its
         * passes back to back after one untimed pass, so its weights are as cached as the
         * machine allows (each variant has its own copy); three rounds of such blocks,
         * variants in turn, so that drifts of the machine hit them alike. */
        for (int round = 0, r = 0; round < ROUNDS; round++) {
            const int r1 = repeats * (round + 1) / ROUNDS;
            for (int v = 0; v < VARIANTS; v++) {
                run(&pr, v);
                for (int i = r; i < r1; i++) {
                    const double t0 = now();
                    run(&pr, v);
                    t[v][i] = now() - t0;
                }
            }
            r = r1;
        }
        double base = 0.0;
        for (int v = 0; v < VARIANTS; v++) {
            qsort(t[v], (size_t)repeats, sizeof(double), cmp_double);
            const double med = t[v][repeats / 2], macs = (double)pr.K * (double)pr.N;
            base = v == 0 ? med : base;
            printf("%-6zu %-16s %10.1f %10.1f %10.1f %8.2fx\n", pr.K, names[v], med * 1e6,
                   macs * (v == 0 ? 4.0 : 1.0) / med * 1e-9, macs / med * 1e-9, base / med);
        }
        free(pr.wf), free(pr.w8), free(pr.w8_k4), free(pr.w8_k2), free(pr.sw), free(pr.a);
        free(pr.c), free(pr.a8), free(pr.a16);
    }
    return 0;
}
