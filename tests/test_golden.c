/* The forward pass against PyTorch (and the NumPy oracle for the peephole and coupled
 * cells) on every golden case of tests/data/golden, under every kernel set this machine
 * runs; plus streaming and thread-count invariance on the same cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_util.h"

/* The references are PyTorch's results computed in float64 (exact for our purpose), so the
 * error is rnnrt's own float32 rounding: ~1e-6 on ordinary cases. 1e-5 relative to
 * max(1, |ref|) leaves a 10x margin and still catches any wrong formula, gate order or
 * state bookkeeping (those give 1e-2 and more).
 * On ill-conditioned cases (lstm_saturate: pre-activations near 100 that cancel), any
 * float32 evaluation is off by ~1e-5, PyTorch's included (its float32 error is stored in
 * the case as torch_fp32_error). There we ask rnnrt to be within twice PyTorch's own
 * error: as accurate as PyTorch, up to summation order. */
#define TOLERANCE 1e-5

static double tolerance(const golden *g)
{
    return g->torch_fp32_error * 2 > TOLERANCE ? g->torch_fp32_error * 2 : TOLERANCE;
}

static char **cases;
static int case_count;
static double worst_error; /* over every output checked, reported at the end of a suite */

/* Runs a case from its initial state (h0/c0 or zeros); writes y, hn, cn. */
static void run_case(const golden *g, float *y, float *hn, float *cn)
{
    rnnrt_state *state;
    assert_int_equal(rnnrt_state_create(g->model, g->batch, &state), RNNRT_OK);
    if (g->h0)
        assert_int_equal(rnnrt_state_write(state, g->h0, g->c0), RNNRT_OK);
    rnnrt_status s = rnnrt_forward(g->model, state, g->x, g->seq_len, g->batch, g->lengths, y);
    if (s)
        fail_msg("%s: forward failed: %s", g->name, rnnrt_last_error());
    assert_int_equal(rnnrt_state_read(state, hn, cn), RNNRT_OK);
    rnnrt_state_free(state);
}

/* Compares one output; prints and counts a failure. */
static int check(const char *isa, const golden *g, const char *what, const float *got,
                 const float *ref, size_t n)
{
    size_t at;
    double e = max_rel_error(got, ref, n, &at);
    if (e > worst_error)
        worst_error = e;
    if (getenv("RNNRT_TEST_VERBOSE"))
        print_message("[  INFO    ] [%s] %s %s: error %.3g at %zu\n", isa, g->name, what, e, at);
    if (e <= tolerance(g))
        return 0;
    print_error("[%s] %s: %s[%zu] = %.9g, expected %.9g (error %.3g > %.3g)\n", isa, g->name,
                what, at, got[at], ref[at], e, tolerance(g));
    return 1;
}

typedef struct config {
    const char *variant, *isa;
} config;

static void golden_suite(void **st)
{
    const config *cfg = *st;
    const char *isa = cfg->isa;
    if (rnnrt_set_isa(isa) != RNNRT_OK) {
        print_message("[  SKIP    ] %s kernels: %s\n", isa, rnnrt_last_error());
        skip();
    }
    assert_int_equal(rnnrt_set_variant(cfg->variant), RNNRT_OK);
    int failures = 0;
    worst_error = 0.0;
    for (int k = 0; k < case_count; k++) {
        golden g;
        golden_load(test_data_dir, cases[k], &g);
        size_t ny = (size_t)g.seq_len * g.batch * g.output_size;
        float *y = malloc(ny * sizeof *y), *hn = malloc(g.h_count * sizeof *hn);
        float *cn = g.c_count ? malloc(g.c_count * sizeof *cn) : NULL;
        run_case(&g, y, hn, cn);
        failures += check(isa, &g, "y", y, g.y, ny);
        failures += check(isa, &g, "h_n", hn, g.hn, g.h_count);
        if (cn)
            failures += check(isa, &g, "c_n", cn, g.cn, g.c_count);
        if (!g.h0) { /* a NULL state must mean zeros in, final state discarded */
            memset(y, 0, ny * sizeof *y);
            assert_int_equal(rnnrt_forward(g.model, NULL, g.x, g.seq_len, g.batch, g.lengths, y),
                             RNNRT_OK);
            failures += check(isa, &g, "y (state NULL)", y, g.y, ny);
        }
        free(y);
        free(hn);
        free(cn);
        golden_free(&g);
    }
    print_message("[  INFO    ] %s/%s: %d golden cases, %d mismatches, worst error %.3g\n",
                  cfg->variant, isa, case_count, failures, worst_error);
    assert_int_equal(failures, 0);
}

/* Two calls on consecutive chunks through one state give the bytes of one whole call
 * (unidirectional models, every split point). */
static void streaming_equals_whole(void **st)
{
    (void)st;
    assert_int_equal(rnnrt_set_variant("blocked"), RNNRT_OK);
    int checked = 0;
    for (int k = 0; k < case_count; k++) {
        golden g;
        golden_load(test_data_dir, cases[k], &g);
        if (rnnrt_model_num_directions(g.model) != 1 || g.lengths || g.seq_len < 2) {
            golden_free(&g);
            continue;
        }
        size_t step = (size_t)g.batch * g.output_size, ny = g.seq_len * step;
        float *whole = malloc(ny * sizeof *whole), *chunks = malloc(ny * sizeof *chunks);
        float *h1 = malloc(g.h_count * sizeof *h1), *h2 = malloc(g.h_count * sizeof *h2);
        float *c1 = g.c_count ? malloc(g.c_count * sizeof *c1) : NULL;
        float *c2 = g.c_count ? malloc(g.c_count * sizeof *c2) : NULL;
        run_case(&g, whole, h1, c1);
        for (int split = 1; split < g.seq_len; split++) {
            rnnrt_state *state;
            assert_int_equal(rnnrt_state_create(g.model, g.batch, &state), RNNRT_OK);
            if (g.h0)
                assert_int_equal(rnnrt_state_write(state, g.h0, g.c0), RNNRT_OK);
            size_t x_step = (size_t)g.batch * g.input_size;
            assert_int_equal(rnnrt_forward(g.model, state, g.x, split, g.batch, NULL, chunks),
                             RNNRT_OK);
            assert_int_equal(rnnrt_forward(g.model, state, g.x + split * x_step,
                                           g.seq_len - split, g.batch, NULL,
                                           chunks + split * step), RNNRT_OK);
            assert_int_equal(rnnrt_state_read(state, h2, c2), RNNRT_OK);
            rnnrt_state_free(state);
            if (memcmp(whole, chunks, ny * sizeof *whole) || memcmp(h1, h2, g.h_count * 4) ||
                (c1 && memcmp(c1, c2, g.c_count * 4)))
                fail_msg("%s: chunks split at step %d differ from the whole sequence", g.name,
                         split);
        }
        checked++;
        free(whole);
        free(chunks);
        free(h1);
        free(h2);
        free(c1);
        free(c2);
        golden_free(&g);
    }
    print_message("[  INFO    ] streaming checked on %d cases\n", checked);
    assert_true(checked >= 5);
}

/* 1, 2, 3 and 4 threads give identical bytes: no thread ever splits a dot product. */
static void thread_count_invariance(void **st)
{
    (void)st;
    assert_int_equal(rnnrt_set_variant("reference"), RNNRT_OK); /* splits the batch */
    for (int k = 0; k < case_count; k++) {
        golden g;
        golden_load(test_data_dir, cases[k], &g);
        size_t ny = (size_t)g.seq_len * g.batch * g.output_size;
        float *ref = malloc(ny * sizeof *ref), *y = malloc(ny * sizeof *y);
        float *h = malloc(g.h_count * sizeof *h), *c = g.c_count ? malloc(g.c_count * 4) : NULL;
        rnnrt_set_num_threads(1);
        run_case(&g, ref, h, c);
        for (int threads = 2; threads <= 4; threads++) {
            rnnrt_set_num_threads(threads);
            run_case(&g, y, h, c);
            if (memcmp(ref, y, ny * sizeof *y))
                fail_msg("%s: %d threads differ from 1 thread", g.name, threads);
        }
        rnnrt_set_num_threads(0);
        free(ref);
        free(y);
        free(h);
        free(c);
        golden_free(&g);
    }
}

int main(int argc, char **argv)
{
    char manifest[512];
    if (argc > 1)
        test_data_dir = argv[1];
    snprintf(manifest, sizeof manifest, "%s/golden/MANIFEST", test_data_dir);
    cases = manifest_read(manifest, &case_count);
    /* every variant under every kernel set; sets this CPU lacks are skipped, visibly */
    static const config configs[] = {
        {"reference", "scalar"}, {"reference", "avx2"}, {"reference", "avx512"},
        {"reference", "neon"},   {"blocked", "scalar"}, {"blocked", "avx2"},
        {"blocked", "avx512"},   {"blocked", "neon"},
    };
    enum { NCONFIGS = sizeof configs / sizeof configs[0] };
    static char names[NCONFIGS][48];
    struct CMUnitTest tests[NCONFIGS + 2];
    for (int k = 0; k < NCONFIGS; k++) {
        snprintf(names[k], sizeof names[k], "golden_%s_%s", configs[k].variant, configs[k].isa);
        tests[k] = (struct CMUnitTest){names[k], golden_suite, NULL, NULL, (void *)&configs[k]};
    }
    tests[NCONFIGS] = (struct CMUnitTest)cmocka_unit_test(streaming_equals_whole);
    tests[NCONFIGS + 1] = (struct CMUnitTest)cmocka_unit_test(thread_count_invariance);
    int rc = cmocka_run_group_tests_name("golden", tests, NULL, NULL);
    manifest_free(cases, case_count);
    return rc;
}
