/* The two forward variants agree on models larger than the goldens (several GEMM tiles,
 * k-blocks and panels, tails everywhere), under every kernel set; and the blocked variant
 * gives the same bytes for 1, 2, 3 and 4 threads. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model_builder.h"
#include "test_util.h"
#include "tuning.h"

/* Uniform weights of +-1/sqrt(H) keep every pre-activation well conditioned: float32
 * paths differ from the double-accumulating reference by ~1e-6; 1e-5 relative to
 * max(1, |ref|) as in the golden suite. */
#define TOLERANCE 1e-5

enum { T = 9, B = 7 };

typedef struct run_out {
    float *y, *h, *c;
} run_out;

static void run(const rnnrt_model *m, const float *x, const int *lengths, const float *h0,
                const float *c0, run_out *out)
{
    int units = rnnrt_model_num_layers(m) * rnnrt_model_num_directions(m);
    size_t nh = (size_t)units * B * rnnrt_model_state_h_size(m);
    size_t nc = !model_has_c(m) ? 0 : (size_t)units * B * rnnrt_model_hidden_size(m);
    out->y = malloc((size_t)T * B * rnnrt_model_output_size(m) * sizeof(float));
    out->h = malloc(nh * sizeof(float));
    out->c = nc ? malloc(nc * sizeof(float)) : NULL;
    rnnrt_state *s;
    assert_int_equal(rnnrt_state_create(m, B, &s), RNNRT_OK);
    assert_int_equal(rnnrt_state_write(s, h0, nc ? c0 : NULL), RNNRT_OK);
    rnnrt_status st = rnnrt_forward(m, s, x, T, B, lengths, out->y);
    if (st)
        fail_msg("forward (%s, %s): %s", rnnrt_variant(), rnnrt_isa(), rnnrt_last_error());
    assert_int_equal(rnnrt_state_read(s, out->h, out->c), RNNRT_OK);
    rnnrt_state_free(s);
}

static void run_free(run_out *o)
{
    free(o->y);
    free(o->h);
    free(o->c);
}

static size_t sizes(const rnnrt_model *m, size_t *nh, size_t *nc)
{
    int units = rnnrt_model_num_layers(m) * rnnrt_model_num_directions(m);
    *nh = (size_t)units * B * rnnrt_model_state_h_size(m);
    *nc = !model_has_c(m) ? 0 : (size_t)units * B * rnnrt_model_hidden_size(m);
    return (size_t)T * B * rnnrt_model_output_size(m);
}

static void inputs(const rnnrt_model *m, unsigned seed, float **x, float **h0, float **c0,
                   int *lengths)
{
    size_t nh, nc;
    sizes(m, &nh, &nc);
    size_t nx = (size_t)T * B * rnnrt_model_input_size(m);
    *x = malloc(nx * sizeof **x);
    *h0 = malloc(nh * sizeof **h0);
    *c0 = malloc((nc ? nc : 1) * sizeof **c0);
    fill_uniform(*x, nx, 2.0f, &seed);
    fill_uniform(*h0, nh, 0.5f, &seed);
    fill_uniform(*c0, nc, 0.5f, &seed);
    for (int b = 0; b < B; b++)
        lengths[b] = 1 + (b * 5 + 3) % T;
    lengths[B / 2] = T;
}

static void variants_agree(void **st)
{
    const char *isa = *st;
    if (rnnrt_set_isa(isa) != RNNRT_OK) {
        print_message("[  SKIP    ] %s kernels: %s\n", isa, rnnrt_last_error());
        skip();
    }
    rnnrt_tuning_set_gemm_kc(24); /* several k-blocks on these small models */
    rnnrt_tuning_set_chunk(4); /* and several chunks of steps: 9 = 4 + 4 + 1 */
    double worst = 0;
    for (size_t k = 0; k < N_CELL_SPECS; k++) {
        rnnrt_model *m = build_model(&cell_specs[k]);
        float *x, *h0, *c0;
        int lengths[B];
        inputs(m, 100 + (unsigned)k, &x, &h0, &c0, lengths);
        size_t nh, nc, ny = sizes(m, &nh, &nc);
        for (int with_lengths = 0; with_lengths < 2; with_lengths++) {
            run_out ref, got;
            assert_int_equal(rnnrt_set_variant("reference"), RNNRT_OK);
            run(m, x, with_lengths ? lengths : NULL, h0, c0, &ref);
            {
                assert_int_equal(rnnrt_set_variant("blocked"), RNNRT_OK);
                run(m, x, with_lengths ? lengths : NULL, h0, c0, &got);
                double e = fmax(max_rel_error(got.y, ref.y, ny, NULL),
                                max_rel_error(got.h, ref.h, nh, NULL));
                if (nc)
                    e = fmax(e, max_rel_error(got.c, ref.c, nc, NULL));
                worst = fmax(worst, e);
                if (e > TOLERANCE)
                    fail_msg("[%s] model %zu (%s), %s, lengths %d: error %.3g", isa, k,
                             rnnrt_model_cell_name(m), rnnrt_variant(), with_lengths, e);
                run_free(&got);
            }
            run_free(&ref);
        }
        free(x);
        free(h0);
        free(c0);
        rnnrt_model_free(m);
    }
    rnnrt_tuning_set_gemm_kc(-1);
    rnnrt_tuning_set_chunk(-1);
    rnnrt_set_variant("blocked");
    print_message("[  INFO    ] %s: blocked within %.3g of the reference\n", isa, worst);
}

/* "simd", the variant that left the library, is a deprecated alias of "blocked". */
static void simd_is_blocked(void **st)
{
    (void)st;
    assert_int_equal(rnnrt_set_variant("simd"), RNNRT_OK);
    assert_string_equal(rnnrt_variant(), "blocked");
    assert_int_equal(rnnrt_set_variant("reference"), RNNRT_OK);
    assert_string_equal(rnnrt_variant(), "reference");
    assert_int_equal(rnnrt_set_variant("blocked"), RNNRT_OK);
}

/* Same bytes for any thread count: no thread ever splits a dot product. With `solo` set, a
 * pass that finds a partner descheduled finishes on one thread from the next step on
 * (forward_blocked.c, end_of_step): forcing that switch at every step boundary, with the
 * last thread as the survivor, must give the same bytes too. */
static void blocked_against_one_thread(int solo)
{
    assert_int_equal(rnnrt_set_variant("blocked"), RNNRT_OK);
    rnnrt_tuning_set_threads_exact(1); /* really run 2-4 threads, even on a loaded CI */
    if (solo)
        rnnrt_tuning_set_chunk(4); /* switches inside and at the edges of projection chunks */
    for (size_t k = 0; k < N_CELL_SPECS; k++) {
        rnnrt_model *m = build_model(&cell_specs[k]);
        float *x, *h0, *c0;
        int lengths[B];
        inputs(m, (solo ? 300 : 200) + (unsigned)k, &x, &h0, &c0, lengths);
        size_t nh, nc, ny = sizes(m, &nh, &nc);
        run_out one, many;
        rnnrt_set_num_threads(1);
        run(m, x, lengths, h0, c0, &one);
        int steps = T * rnnrt_model_num_layers(m) * rnnrt_model_num_directions(m);
        for (int threads = 2; threads <= (solo ? 3 : 4); threads++)
            for (int at = solo; at <= (solo ? steps : 0); at++) {
                rnnrt_set_num_threads(threads);
                rnnrt_tuning_set_solo_at(at);
                run(m, x, lengths, h0, c0, &many);
                rnnrt_tuning_set_solo_at(0);
                if (memcmp(one.y, many.y, ny * 4) || memcmp(one.h, many.h, nh * 4) ||
                    (nc && memcmp(one.c, many.c, nc * 4)))
                    fail_msg("model %zu (%s): %d threads (going solo after step barrier %d; "
                             "0: never) differ from 1", k, rnnrt_model_cell_name(m), threads,
                             at);
                run_free(&many);
            }
        run_free(&one);
        rnnrt_set_num_threads(0);
        free(x);
        free(h0);
        free(c0);
        rnnrt_model_free(m);
    }
    rnnrt_tuning_set_chunk(-1);
    rnnrt_tuning_set_threads_exact(-1);
}

static void blocked_thread_invariance(void **st)
{
    (void)st;
    blocked_against_one_thread(0);
}

static void blocked_solo_switch_invariance(void **st)
{
    (void)st;
    blocked_against_one_thread(1);
}

/* A sequence's bytes do not depend on the batch it runs in: the blocked pass picks its
 * tile by batch size (4x32 where it takes fewer row blocks than 3x32, on AVX2) and its
 * chunk by batch, yet every output is the same k-ordered chain of FMAs. Each sequence of a
 * batch of B, run alone (batch 1, its own initial state and length), gives the same y, h_n
 * and c_n, on every kernel set this CPU runs. */
static void batch_composition_invariance(void **st)
{
    (void)st;
    const char *before = rnnrt_isa();
    assert_int_equal(rnnrt_set_variant("blocked"), RNNRT_OK);
    for (int set = 0; set < kernel_set_count(); set++) {
        if (rnnrt_set_isa(kernel_set_name(set)) != RNNRT_OK)
            continue;
        for (size_t k = 0; k < N_CELL_SPECS; k++) {
            rnnrt_model *m = build_model(&cell_specs[k]);
            float *x, *h0, *c0;
            int lengths[B];
            inputs(m, 400 + (unsigned)k, &x, &h0, &c0, lengths);
            run_out all;
            run(m, x, lengths, h0, c0, &all);
            const int units = rnnrt_model_num_layers(m) * rnnrt_model_num_directions(m);
            const int I = rnnrt_model_input_size(m), O = rnnrt_model_output_size(m);
            const int hs = rnnrt_model_state_h_size(m), H = rnnrt_model_hidden_size(m);
            const int gru = !model_has_c(m); /* no c: GRU or RNN */
            for (int b = 0; b < B; b++) {
                float *xb = malloc((size_t)T * I * sizeof *xb), *yb = malloc((size_t)T * O * 4);
                float *hb = malloc((size_t)units * hs * 4), *cb = malloc((size_t)units * H * 4);
                for (int t = 0; t < T; t++)
                    memcpy(xb + (size_t)t * I, x + ((size_t)t * B + b) * I, (size_t)I * 4);
                for (int u = 0; u < units; u++) {
                    memcpy(hb + (size_t)u * hs, h0 + ((size_t)u * B + b) * hs, (size_t)hs * 4);
                    if (!gru)
                        memcpy(cb + (size_t)u * H, c0 + ((size_t)u * B + b) * H, (size_t)H * 4);
                }
                rnnrt_state *s1;
                assert_int_equal(rnnrt_state_create(m, 1, &s1), RNNRT_OK);
                assert_int_equal(rnnrt_state_write(s1, hb, gru ? NULL : cb), RNNRT_OK);
                assert_int_equal(rnnrt_forward(m, s1, xb, T, 1, &lengths[b], yb), RNNRT_OK);
                assert_int_equal(rnnrt_state_read(s1, hb, gru ? NULL : cb), RNNRT_OK);
                rnnrt_state_free(s1);
                for (int t = 0; t < T; t++)
                    if (memcmp(yb + (size_t)t * O, all.y + ((size_t)t * B + b) * O,
                               (size_t)O * 4))
                        fail_msg("%s, model %zu (%s): sequence %d alone differs at step %d "
                                 "from its batch of %d", kernel_set_name(set), k, rnnrt_model_cell_name(m),
                                 b, t, B);
                for (int u = 0; u < units; u++)
                    if (memcmp(hb + (size_t)u * hs, all.h + ((size_t)u * B + b) * hs,
                               (size_t)hs * 4) ||
                        (!gru && memcmp(cb + (size_t)u * H, all.c + ((size_t)u * B + b) * H,
                                        (size_t)H * 4)))
                        fail_msg("%s, model %zu: sequence %d alone ends in another state",
                                 kernel_set_name(set), k, b);
                free(xb);
                free(yb);
                free(hb);
                free(cb);
            }
            run_free(&all);
            free(x);
            free(h0);
            free(c0);
            rnnrt_model_free(m);
        }
    }
    assert_int_equal(rnnrt_set_isa(before), RNNRT_OK);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        test_data_dir = argv[1];
    struct CMUnitTest tests[64] = {
        cmocka_unit_test(blocked_thread_invariance),
        cmocka_unit_test(blocked_solo_switch_invariance),
        cmocka_unit_test(simd_is_blocked),
        cmocka_unit_test(batch_composition_invariance),
    };
    int n = 0;
    while (tests[n].name)
        n++;
    n += per_set_tests(tests + n, "variants_agree_", variants_agree);
    return _cmocka_run_group_tests("variants", tests, (size_t)n, NULL, NULL);
}
