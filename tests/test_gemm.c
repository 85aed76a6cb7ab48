/* GEMM microkernels, the packed blocked GEMM of every kernel set against a naive double-precision
 * oracle, on edge shapes: every mr up to MR, k from 1 to past a cache block, tight and
 * padded strides, no init / broadcast init / per-row init / init aliasing c, unaligned A,
 * init and C, canaries around C for out-of-bounds writes. Every failure prints the shape
 * and its seed (RNNRT_TEST_SEED changes the data of every shape). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cpu_features.h"
#include "dispatch.h"
#include "gemm.h"
#include "tuning.h"
#include "model_builder.h"
#include "test_util.h"

#define CANARY 12345.0f

/* The classic bound for a float32 sum of k products: |error| <= k * eps * sum |a_i b_i|
 * (Higham, "Accuracy and Stability of Numerical Algorithms", 3.1); eps = 2^-24, plus the
 * rounding of the init term. */
static double bound(size_t k, double abs_sum, double init)
{
    return (double)(k + 2) * 0x1p-24 * (abs_sum + fabs(init)) + 1e-30;
}

/* The seed of every shape's data: RNNRT_TEST_SEED or a fixed default, mixed with the
 * shape's numbers, so that the seed printed with a failure reproduces that one shape. */
static unsigned base_seed(void)
{
    const char *env = getenv("RNNRT_TEST_SEED");
    return env ? (unsigned)strtoul(env, NULL, 10) : 7u;
}

static unsigned shape_seed(unsigned a, unsigned b, unsigned c, unsigned d)
{
    unsigned h = base_seed() | 1u;
    const unsigned v[4] = {a, b, c, d};
    for (int k = 0; k < 4; k++)
        h = (h ^ v[k]) * 16777619u;
    return h;
}

/* One tile shape: mr rows, kc deep, A's rows lda_pad longer than kc, C's ldc_pad longer than
 * nr, under each init mode; every element against the oracle, canaries around C. */
static void check_ukernel_shape(const char *isa, const char *which, const rnnrt_gemm_ukernel *uk,
                                size_t mr, size_t kc, size_t lda_pad, size_t ldc_pad)
{
    const size_t nr = (size_t)uk->nr, MR = (size_t)uk->mr, lda = kc + lda_pad;
    const size_t ldc = nr + ldc_pad, ld_init = nr + 2, nc = 1 + MR * ldc + 8;
    float *b = aligned_alloc(64, (kc * nr * sizeof(float) + 63) / 64 * 64);
    float *a = malloc((1 + MR * lda) * sizeof(float));
    float *init = malloc((1 + MR * ld_init) * sizeof(float));
    float *c = malloc(nc * sizeof(float));
    for (int mode = 0; mode < 4; mode++) { /* 0 none, 1 broadcast, 2 rows, 3 init == c */
        unsigned seed = shape_seed((unsigned)mr, (unsigned)kc, (unsigned)(lda_pad * 64 + ldc_pad),
                                   (unsigned)mode), seed0 = seed;
        fill_uniform(b, kc * nr, 1.0f, &seed);
        fill_uniform(a, 1 + MR * lda, 1.0f, &seed);
        fill_uniform(init, 1 + MR * ld_init, 1.0f, &seed);
        float *au = a + 1, *cu = c + 1, *iu = init + 1; /* unaligned */
        for (size_t k = 0; k < nc; k++)
            c[k] = CANARY;
        const float *ip = NULL;
        size_t ldi = 0;
        if (mode == 1)
            ip = iu;
        else if (mode == 2)
            ip = iu, ldi = ld_init;
        else if (mode == 3) {
            for (size_t m = 0; m < mr; m++)
                memcpy(cu + m * ldc, iu + m * ld_init, nr * sizeof(float));
            ip = cu, ldi = ldc;
        }
        uk->fn(mr, kc, au, lda, b, ip, ldi, cu, ldc);
        for (size_t m = 0; m < MR; m++)
            for (size_t j = 0; j < ldc; j++) {
                float got = cu[m * ldc + j];
                if (m >= mr || j >= nr) {
                    if (got != CANARY)
                        fail_msg("%s %s: mr %zu kc %zu lda %zu ldc %zu mode %d seed %u: wrote "
                                 "c[%zu][%zu]", isa, which, mr, kc, lda, ldc, mode, seed0, m, j);
                    continue;
                }
                double init_v = mode == 0 ? 0 : mode == 1 ? iu[j] : iu[m * ld_init + j];
                double ref = init_v, abs_sum = 0;
                for (size_t k = 0; k < kc; k++) {
                    double p = (double)au[m * lda + k] * b[k * nr + j];
                    ref += p;
                    abs_sum += fabs(p);
                }
                if (fabs(got - ref) > bound(kc, abs_sum, init_v))
                    fail_msg("%s %s: mr %zu kc %zu lda %zu ldc %zu mode %d seed %u: c[%zu][%zu] "
                             "= %.9g, expected %.9g", isa, which, mr, kc, lda, ldc, mode, seed0,
                             m, j, got, ref);
            }
        if (cu[-1] != CANARY || cu[MR * ldc] != CANARY)
            fail_msg("%s %s: mr %zu kc %zu lda %zu ldc %zu mode %d seed %u: wrote outside c",
                     isa, which, mr, kc, lda, ldc, mode, seed0);
    }
    free(a);
    free(b);
    free(init);
    free(c);
}

/* Every mr up to MR; k from 1 through powers of two and their neighbours to past a cache
 * block; A's rows exactly kc long or padded (odd, and by a cache line); C tight or padded. */
static void check_ukernel(const char *isa, const char *which, const rnnrt_gemm_ukernel *uk)
{
    static const size_t kcs[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 100, 129,
                                 255, 256, 257};
    static const size_t lda_pads[] = {0, 3, 17}, ldc_pads[] = {0, 5};
    int shapes = 0;
    for (size_t ki = 0; ki < sizeof kcs / sizeof kcs[0]; ki++)
        for (size_t li = 0; li < sizeof lda_pads / sizeof lda_pads[0]; li++)
            for (size_t ci = 0; ci < sizeof ldc_pads / sizeof ldc_pads[0]; ci++)
                for (size_t mr = 1; mr <= (size_t)uk->mr; mr++, shapes++)
                    check_ukernel_shape(isa, which, uk, mr, kcs[ki], lda_pads[li], ldc_pads[ci]);
    print_message("[  INFO    ] %s %s (%dx%d): %d tile shapes x 4 init modes\n", isa, which,
                  uk->mr, uk->nr, shapes);
}

/* The whole blocked GEMM on packed weights for one shape: C [M][N] = A [M][K] * W^T with
 * A's rows lda_pad longer than K and C's 3 longer than N, canaries past every row of C. */
static void check_packed_shape(const char *isa, const rnnrt_kernels *k, int M, int N, int K,
                               size_t lda_pad)
{
    unsigned seed = shape_seed((unsigned)M, (unsigned)N, (unsigned)K, (unsigned)lda_pad);
    const unsigned seed0 = seed;
    size_t ldc = (size_t)N + 3, lda = (size_t)K + lda_pad;
    float *a = malloc((size_t)M * lda * sizeof(float)), *w = malloc((size_t)N * K * sizeof(float));
    float *c = malloc(((size_t)M * ldc + 1) * sizeof(float));
    float *tile = malloc((size_t)M * k->gemm4.nr * sizeof(float));
    fill_uniform(a, (size_t)M * lda, 1.0f, &seed);
    fill_uniform(w, (size_t)N * K, 1.0f, &seed);
    for (size_t i = 0; i < (size_t)M * ldc + 1; i++)
        c[i] = CANARY;
    rnnrt_gemm_b *b = rnnrt_gemm_b_pack(k, w, N, K);
    assert_non_null(b);
    rnnrt_gemm_b_run(b, M, a, lda, c, ldc, tile);
    for (int m = 0; m < M; m++)
        for (size_t n = 0; n < ldc; n++) {
            float got = c[m * ldc + n];
            if ((int)n >= N) {
                if (got != CANARY)
                    fail_msg("%s packed gemm M %d N %d K %d lda %zu seed %u: wrote c[%d][%zu]",
                             isa, M, N, K, lda, seed0, m, n);
                continue;
            }
            double ref = 0, abs_sum = 0;
            for (int kk = 0; kk < K; kk++) {
                double p = (double)a[m * lda + kk] * w[n * K + kk];
                ref += p;
                abs_sum += fabs(p);
            }
            if (fabs(got - ref) > bound((size_t)K, abs_sum, 0))
                fail_msg("%s packed gemm M %d N %d K %d lda %zu seed %u: c[%d][%zu] = %.9g, "
                         "expected %.9g", isa, M, N, K, lda, seed0, m, n, got, ref);
        }
    if (c[(size_t)M * ldc] != CANARY)
        fail_msg("%s packed gemm M %d N %d K %d lda %zu seed %u: wrote past c", isa, M, N, K,
                 lda, seed0);
    rnnrt_gemm_b_free(b);
    free(a);
    free(w);
    free(c);
    free(tile);
}

/* Rows around the microkernel's mr and its multiples, columns around its nr (one panel
 * partial, exact, and several with a partial last one), k around the forced k-block of 48,
 * A tight and padded. */
static void check_packed_gemm(const char *isa, const rnnrt_kernels *k)
{
    const int mr = k->gemm4.mr, nr = k->gemm4.nr;
    const int Ms[] = {1, 2, mr - 1, mr, mr + 1, 2 * mr + 1, 13};
    const int Ns[] = {1, nr - 1, nr, nr + 1, 2 * nr + 3, 130};
    const int Ks[] = {1, 2, 47, 48, 49, 97, 200};
    rnnrt_tuning_set_gemm_kc(48);
    int shapes = 0;
    for (size_t mi = 0; mi < sizeof Ms / sizeof Ms[0]; mi++)
        for (size_t ni = 0; ni < sizeof Ns / sizeof Ns[0]; ni++)
            for (size_t ki = 0; ki < sizeof Ks / sizeof Ks[0]; ki++)
                for (size_t pad = 0; pad <= 5; pad += 5) {
                    if (Ms[mi] < 1 || Ns[ni] < 1)
                        continue; /* mr - 1 or nr - 1 of a 1-wide tile */
                    check_packed_shape(isa, k, Ms[mi], Ns[ni], Ks[ki], pad);
                    shapes++;
                }
    rnnrt_tuning_set_gemm_kc(-1);
    print_message("[  INFO    ] %s packed gemm (%dx%d tiles, k-block 48): %d shapes\n", isa, mr,
                  nr, shapes);
}

static float uniform(unsigned *seed, float lo, float hi)
{
    float v;
    fill_uniform(&v, 1, 1.0f, seed); /* [-1, 1] */
    return lo + (v + 1.0f) * 0.5f * (hi - lo);
}

/* rnnrt_gemm_rows on bf16 and int8 panels: with more rows than one tile it widens each
 * block of the panel once and runs the set's f32 tile on it; one tile at a time it calls
 * the reduced tile directly. Both must give the same bytes (simd/kernels.h: a reduced tile
 * is its f32 twin on the widened panel), with K past the widening block (16384 floats:
 * 512 k at nr 32) and k-blocks of 100 and 1000. */
static void widened_rows_equal_tiles(const char *isa, const rnnrt_kernels *k)
{
    static const int Ks[] = {7, 700, 1300};
    const rnnrt_weight_type types[] = {RNNRT_WEIGHTS_BF16, RNNRT_WEIGHTS_INT8};
    unsigned seed = base_seed();
    for (int t = 0; t < 2; t++) {
        rnnrt_gemm_slots g = rnnrt_kernels_gemms(k, types[t]);
        const rnnrt_gemm_ukernel *uks[] = {&g.gemm4, &g.gemm3, &g.gemm_proj, &g.gemm4_tall};
        for (int u = 0; u < 4; u++) {
            const rnnrt_gemm_ukernel *uk = uks[u];
            if (!rnnrt_ukernel_present(uk))
                continue;
            assert_non_null(uk->fn); /* its f32 twin */
            for (size_t ki = 0; ki < sizeof Ks / sizeof Ks[0]; ki++)
                for (int kc = 100; kc <= 1000; kc += 900) {
                    const int K = Ks[ki], nr = uk->nr, rows = 3 * uk->mr + 2;
                    size_t nw = (size_t)K * nr;
                    void *w = aligned_alloc(64, (nw * 2 + 63) / 64 * 64);
                    float *scale = malloc((size_t)nr * sizeof *scale);
                    float *a = malloc((size_t)rows * K * sizeof *a);
                    float *init = malloc((size_t)nr * sizeof *init);
                    float *c1 = malloc((size_t)rows * nr * sizeof *c1);
                    float *c2 = malloc((size_t)rows * nr * sizeof *c2);
                    assert_true(w && scale && a && init && c1 && c2);
                    for (size_t i = 0; i < nw; i++) {
                        float v = uniform(&seed, -1, 1);
                        uint32_t bits;
                        memcpy(&bits, &v, sizeof bits);
                        if (types[t] == RNNRT_WEIGHTS_BF16)
                            ((uint16_t *)w)[i] = (uint16_t)(bits >> 16);
                        else
                            ((int8_t *)w)[i] = (int8_t)lrintf(v * 127);
                    }
                    for (int j = 0; j < nr; j++)
                        scale[j] = uniform(&seed, 0.001f, 0.02f), init[j] = uniform(&seed, -1, 1);
                    for (size_t i = 0; i < (size_t)rows * K; i++)
                        a[i] = uniform(&seed, -1, 1);
                    rnnrt_panel panel = {w, types[t] == RNNRT_WEIGHTS_INT8 ? scale : NULL};
                    rnnrt_gemm_rows(uk, kc, rows, K, a, (size_t)K, panel, init, 0, c1,
                                    (size_t)nr);
                    for (int i = 0, r, n; i < (rows + uk->mr - 1) / uk->mr; i++) {
                        rnnrt_row_block(rows, uk->mr, i, &r, &n);
                        rnnrt_gemm_rows(uk, kc, n, K, a + (size_t)r * K, (size_t)K, panel, init,
                                        0, c2 + (size_t)r * nr, (size_t)nr);
                    }
                    if (memcmp(c1, c2, (size_t)rows * nr * sizeof *c1))
                        fail_msg("%s %s %s: K %d kc %d: widened rows differ from tile by tile",
                                 isa, types[t] == RNNRT_WEIGHTS_BF16 ? "bf16" : "int8",
                                 uk->name, K, kc);
                    free(w), free(scale), free(a), free(init), free(c1), free(c2);
                }
        }
    }
}

/* The k-block rules of kernels.inc: mr rows of A (kc_share > 0) or, for a tile in column
 * strips (kc_share < 0), kc rows of the panel fill their share of this CPU's L1d; a
 * multiple of 8 in [64, 4096], unless RNNRT_GEMM_KC overrides it. */
static void check_kc_rule(const char *isa, const char *which, const rnnrt_gemm_ukernel *uk)
{
    if (!rnnrt_ukernel_present(uk) || rnnrt_tuning_gemm_kc() > 0)
        return;
    long share = uk->kc_share ? labs((long)uk->kc_share) : 2;
    long per_k = 4l * (uk->kc_share < 0 ? uk->nr : uk->mr);
    long want = rnnrt_cpu()->l1d / share / per_k / 8 * 8;
    want = want < 64 ? 64 : want > 4096 ? 4096 : want;
    if (rnnrt_gemm_kc(uk) != want)
        fail_msg("%s %s (%s, kc_share %d): kc %d, the rule gives %ld", isa, which, uk->name,
                 uk->kc_share, rnnrt_gemm_kc(uk), want);
}

static void kernels_of(void **st)
{
    const char *isa = *st;
    const rnnrt_kernels *k = rnnrt_kernels_for_isa(isa);
    if (!k) {
        print_message("[  SKIP    ] %s kernels: not built or not supported by this CPU\n", isa);
        skip();
    }
    assert_int_equal(k->gemm4.nr, 4 * k->units);
    assert_int_equal(k->gemm3.nr, 3 * k->units);
    check_ukernel(isa, "gemm4", &k->gemm4);
    check_ukernel(isa, "gemm3", &k->gemm3);
    check_packed_gemm(isa, k);
    widened_rows_equal_tiles(isa, k);
    check_kc_rule(isa, "gemm4", &k->gemm4);
    check_kc_rule(isa, "gemm4_tall", &k->gemm4_tall);
    check_kc_rule(isa, "gemm_proj", &k->gemm_proj);
    check_kc_rule(isa, "bf16.gemm4_tall", &k->bf16.gemm4_tall);
}

int main(void)
{
    print_message("[  INFO    ] seed %u (RNNRT_TEST_SEED sets it); each failure prints its "
                  "shape's own seed\n", base_seed());
    struct CMUnitTest tests[64];
    const int n = per_set_tests(tests, "gemm_", kernels_of);
    return _cmocka_run_group_tests("gemm", tests, (size_t)n, NULL, NULL);
}
