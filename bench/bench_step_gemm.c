/* rnnrt-bench-step-gemm: the recurrent step's GEMM (C[M][N] = init + A[M][K] W^T, the
 * weights packed in panels) as the library runs it (rnnrt_gemm_rows over each panel in
 * turn), with every f32 tile of a kernel set and k-block sizes from K down to 64, timed
 * interleaved: each round runs every variant once (best of 3 calls), and each variant's
 * figure is the median over rounds of its time against the first variant's in the same
 * round. On a shared machine whose speed drifts over seconds, separate runs per variant
 * cannot resolve 10%; paired rounds can. The first variant is what the library chooses
 * (the gemm4 tile, its kc rule: rnnrt_gemm_kc). Weights beyond L2 stream from L3 or memory
 * on every call, as a step's do.
 *
 *   rnnrt-bench-step-gemm [--isa NAME] [--rounds R] K N M [K N M ...]
 *     (default: the active kernel set, 15 rounds, 512 2048 16 512 2048 32
 *      512 512 32 1024 4096 32)
 *
 * Prints one table per shape: variant, median GFLOP/s, median ratio to the first and the
 * interquartile range of the ratios. Exit status 0, or 2 on bad arguments. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu_features.h"
#include "dispatch.h"
#include "gemm.h"

enum { MAX_VARIANTS = 32, MAX_ROUNDS = 200, CALLS = 3 };

typedef struct variant {
    char name[64];
    const rnnrt_gemm_ukernel *uk;
    int kc;
    float *panels; /* W packed for this tile's nr */
} variant;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* 64-byte aligned floats; aligned_alloc wants a size that is a multiple of the alignment */
static float *alloc_floats(size_t n)
{
    return aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One step's GEMM: every panel in turn, all rows (the step's loop order). */
static void step(const variant *v, int K, int N, int M, const float *a, const float *init,
                 float *c)
{
    const int nr = v->uk->nr, panels = (N + nr - 1) / nr;
    for (int p = 0; p < panels; p++)
        rnnrt_gemm_rows(v->uk, v->kc, M, K, a, (size_t)K,
                        rnnrt_f32_panel(v->panels + (size_t)p * K * nr), init + p * nr,
                        (size_t)panels * nr, c + p * nr, (size_t)panels * nr);
}

/* Every variant computes the same product: checked against double precision on a few
 * rows before timing, within the float32 error bound of a K-term sum (gamma_K * sum |a w|,
 * Higham 3.1). Returns 0, or 1 with a message. */
static int check(const variant *v, int K, int N, int M, const float *a, const float *w,
                 const float *init, float *c)
{
    const int ld = (N + v->uk->nr - 1) / v->uk->nr * v->uk->nr;
    step(v, K, N, M, a, init, c);
    for (int i = 0; i < M; i += M > 4 ? M / 4 : 1)
        for (int j = 0; j < N; j++) {
            double ref = 0, mag = 0;
            for (int kk = 0; kk < K; kk++) {
                double p = (double)a[(size_t)i * K + kk] * w[(size_t)j * K + kk];
                ref += p;
                mag += p < 0 ? -p : p;
            }
            double err = c[(size_t)i * ld + j] - ref, bound = K * 0x1p-24 * mag * 1.01;
            if (err > bound || -err > bound) {
                fprintf(stderr, "rnnrt-bench-step-gemm: %s gives C[%d][%d] = %.9g, expected "
                                "%.9g (bound %.3g)\n",
                        v->name, i, j, c[(size_t)i * ld + j], ref, bound);
                return 1;
            }
        }
    return 0;
}

static int add_tile(variant *vs, int n, const char *slot, const rnnrt_gemm_ukernel *uk, int K,
                    int N, const float *w)
{
    if (!rnnrt_ukernel_present(uk) || uk->dtype != RNNRT_WEIGHTS_F32)
        return n;
    const int nr = uk->nr, panels = (N + nr - 1) / nr;
    float *packed = alloc_floats((size_t)panels * K * nr);
    if (!packed)
        return n;
    rnnrt_pack_columns(w, N, K, nr, panels, packed);
    const int rule = rnnrt_gemm_kc(uk);
    const int kcs[] = {rule, K, 256, 128, 64};
    for (int i = 0; i < 5 && n < MAX_VARIANTS; i++) {
        int kc = kcs[i] > K ? K : kcs[i];
        bool seen = false;
        for (int j = 0; j < n; j++)
            seen |= vs[j].uk == uk && vs[j].kc == kc;
        if (seen)
            continue;
        vs[n] = (variant){.uk = uk, .kc = kc, .panels = packed};
        snprintf(vs[n].name, sizeof vs[n].name, "%s %dx%d kc %d%s", slot, uk->mr, nr, kc,
                 i == 0 ? " (rule)" : "");
        n++;
    }
    return n;
}

static int run_shape(const rnnrt_kernels *k, int K, int N, int M, int rounds)
{
    /* N rounded up to every tile's width; the padding columns are computed and ignored */
    const int Np = (N + 95) / 96 * 96;
    float *w = malloc((size_t)N * K * sizeof(float));
    float *a = alloc_floats((size_t)M * K);
    float *init = alloc_floats((size_t)M * Np);
    float *c = alloc_floats((size_t)M * Np);
    if (!w || !a || !init || !c) {
        fprintf(stderr, "rnnrt-bench-step-gemm: out of memory for K %d N %d M %d\n", K, N, M);
        free(w);
        free(a);
        free(init);
        free(c);
        return 1;
    }
    for (size_t i = 0; i < (size_t)N * K; i++)
        w[i] = (float)((i * 2654435761u) % 1000) * 1e-5f - 5e-3f;
    for (size_t i = 0; i < (size_t)M * K; i++)
        a[i] = (float)((i * 40503u) % 1000) * 1e-3f - 0.5f;
    memset(init, 0, (size_t)M * Np * sizeof(float));
    variant vs[MAX_VARIANTS];
    int n = 0;
    n = add_tile(vs, n, "gemm4", &k->gemm4, K, N, w);
    n = add_tile(vs, n, "gemm4_tall", &k->gemm4_tall, K, N, w);
    n = add_tile(vs, n, "gemm3", &k->gemm3, K, N, w);
    n = add_tile(vs, n, "gemm_proj", &k->gemm_proj, K, N, w);
    int status = 0;
    for (int v = 0; v < n && !status; v++)
        status = check(&vs[v], K, N, M, a, w, init, c);
    free(w);
    if (status)
        goto done;
    static double t[MAX_ROUNDS][MAX_VARIANTS];
    for (int r = 0; r < rounds; r++)
        for (int v = 0; v < n; v++) {
            double best = 1e30;
            for (int i = 0; i < CALLS; i++) {
                double t0 = now_s();
                step(&vs[v], K, N, M, a, init, c);
                double dt = now_s() - t0;
                best = dt < best ? dt : best;
            }
            t[r][v] = best;
        }
    printf("K %d N %d M %d: weights %.0f KiB, %d rounds\n", K, N, M, (double)N * K * 4 / 1024,
           rounds);
    printf("| variant | GFLOP/s (median) | vs the first (median, quartiles) |\n|---|---|---|\n");
    for (int v = 0; v < n; v++) {
        double g[MAX_ROUNDS], ratio[MAX_ROUNDS];
        for (int r = 0; r < rounds; r++) {
            g[r] = 2.0 * M * N * K / t[r][v] * 1e-9;
            ratio[r] = t[r][0] / t[r][v];
        }
        qsort(g, rounds, sizeof *g, by_value);
        qsort(ratio, rounds, sizeof *ratio, by_value);
        printf("| %s | %.1f | %.3fx [%.3f-%.3f] |\n", vs[v].name, g[rounds / 2],
               ratio[rounds / 2], ratio[rounds / 4], ratio[(3 * rounds) / 4]);
    }
    printf("\n");
done:
    for (int v = 0; v < n; v++) /* each tile's packing is shared by its kc variants */
        if (v == 0 || vs[v].panels != vs[v - 1].panels)
            free(vs[v].panels);
    free(a);
    free(init);
    free(c);
    return status;
}

int main(int argc, char **argv)
{
    const char *isa = NULL;
    int rounds = 15, nums[96], nn = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--isa") && i + 1 < argc)
            isa = argv[++i];
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (nn < 96 && atoi(argv[i]) > 0)
            nums[nn++] = atoi(argv[i]);
        else {
            fprintf(stderr, "rnnrt-bench-step-gemm: unexpected argument '%s'\n"
                            "usage: rnnrt-bench-step-gemm [--isa NAME] [--rounds R] K N M ...\n",
                    argv[i]);
            return 2;
        }
    }
    if (rounds < 1 || rounds > MAX_ROUNDS || nn % 3) {
        fprintf(stderr, "rnnrt-bench-step-gemm: --rounds takes 1..%d, and shapes come as "
                        "K N M triples (got %d numbers)\n", MAX_ROUNDS, nn);
        return 2;
    }
    if (!nn) {
        const int defaults[] = {512, 2048, 16, 512, 2048, 32, 512, 512, 32, 1024, 4096, 32};
        memcpy(nums, defaults, sizeof defaults);
        nn = 12;
    }
    const rnnrt_kernels *k = isa ? rnnrt_kernels_for_isa(isa) : rnnrt_active_kernels();
    if (!k) {
        fprintf(stderr, "rnnrt-bench-step-gemm: kernel set '%s' is not built or this CPU "
                        "lacks it\n", isa);
        return 2;
    }
    printf("kernel set %s, L1d %ld KiB, L2 %ld KiB\n\n", k->isa,
           (long)rnnrt_cpu()->l1d / 1024, (long)rnnrt_cpu()->l2 / 1024);
    for (int i = 0; i < nn; i += 3)
        if (run_shape(k, nums[i], nums[i + 1], nums[i + 2], rounds))
            return 1;
    return 0;
}
