/* rnnrt_forward_batch_first against rnnrt_forward: on x [B][T][I] it must give the bytes
 * rnnrt_forward gives on the transposed x, transposed back (y, h_n and c_n), for every cell,
 * with and without lengths and an initial state, stacked and bidirectional, under both
 * forward variants; refuse what rnnrt_forward refuses with the same status and message
 * (under its own name) and leave y untouched; and stream: two chunks equal one call. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model_builder.h"
#include "state.h"
#include "test_util.h"

static const char *const variants[] = {"reference", "blocked"};

/* The sizes of one model's arrays for seq_len t and batch b. */
typedef struct shape {
    int t, b;
    size_t in, out, nx, ny, nh, nc;
} shape;

static shape shape_of(const rnnrt_model *m, int t, int b)
{
    int units = rnnrt_model_num_layers(m) * rnnrt_model_num_directions(m);
    shape s = {.t = t, .b = b};
    s.in = (size_t)rnnrt_model_input_size(m);
    s.out = (size_t)rnnrt_model_output_size(m);
    s.nx = (size_t)t * b * s.in;
    s.ny = (size_t)t * b * s.out;
    s.nh = (size_t)units * b * rnnrt_model_state_h_size(m);
    s.nc = model_has_c(m) ? (size_t)units * b * rnnrt_model_hidden_size(m) : 0;
    return s;
}

/* The outputs of one call: y in the call's own layout, then the final state. */
typedef struct result {
    float *y, *h, *c;
} result;

static result result_new(const shape *s)
{
    result r = {malloc(s->ny * sizeof(float)), malloc(s->nh * sizeof(float)),
                s->nc ? malloc(s->nc * sizeof(float)) : NULL};
    return r;
}

static void result_free(result *r)
{
    free(r->y);
    free(r->h);
    free(r->c);
}

/* One call from initial state (h0, c0) or from none (h0 NULL: the final state is then not
 * read back). */
static void call(const rnnrt_model *m, int batch_first, const shape *s, const float *x,
                 const int *lengths, const float *h0, const float *c0, result *r)
{
    rnnrt_state *st = NULL;
    if (h0) {
        assert_int_equal(rnnrt_state_create(m, s->b, &st), RNNRT_OK);
        assert_int_equal(rnnrt_state_write(st, h0, s->nc ? c0 : NULL), RNNRT_OK);
    }
    rnnrt_status status = batch_first
                              ? rnnrt_forward_batch_first(m, st, x, s->t, s->b, lengths, r->y)
                              : rnnrt_forward(m, st, x, s->t, s->b, lengths, r->y);
    if (status)
        fail_msg("%s (%s): %s", batch_first ? "rnnrt_forward_batch_first" : "rnnrt_forward",
                 rnnrt_variant(), rnnrt_last_error());
    if (st)
        assert_int_equal(rnnrt_state_read(st, r->h, r->c), RNNRT_OK);
    rnnrt_state_free(st);
}

static void expect_same(const char *what, const float *got, const float *want, size_t n,
                        const char *ctx)
{
    for (size_t k = 0; k < n; k++)
        if (memcmp(&got[k], &want[k], sizeof(float)))
            fail_msg("%s: %s[%zu] = %.9g, time-major gives %.9g", ctx, what, k, got[k], want[k]);
}

/* Every model, variant, shape, with and without lengths and initial state. */
static void same_bytes_as_time_major(void **st)
{
    (void)st;
    static const int shapes[][2] = {{9, 7}, {4, 1}, {1, 3}}; /* T != B, batch 1, one step */
    int cases = 0;
    for (int k = 0; k < N_CELL_SPECS; k++) {
        rnnrt_model *m = build_model(&cell_specs[k]);
        for (size_t sh = 0; sh < sizeof shapes / sizeof shapes[0]; sh++) {
            shape s = shape_of(m, shapes[sh][0], shapes[sh][1]);
            unsigned seed = 1000u + (unsigned)(k * 10 + sh);
            float *xb = malloc(s.nx * sizeof *xb), *xt = malloc(s.nx * sizeof *xt);
            float *h0 = malloc(s.nh * sizeof *h0), *c0 = malloc((s.nc + 1) * sizeof *c0);
            float *yt = malloc(s.ny * sizeof *yt);
            int *lengths = malloc((size_t)s.b * sizeof *lengths);
            fill_uniform(xb, s.nx, 2.0f, &seed);
            fill_uniform(h0, s.nh, 0.5f, &seed);
            fill_uniform(c0, s.nc, 0.5f, &seed);
            for (int b = 0; b < s.b; b++)
                lengths[b] = 1 + (b * 5 + 3) % s.t;
            lengths[s.b / 2] = s.t;
            swap_axes(xt, xb, s.t, s.b, s.in); /* [B][T][I] -> [T][B][I] */
            for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
                assert_int_equal(rnnrt_set_variant(variants[v]), RNNRT_OK);
                for (int mode = 0; mode < 4; mode++) {
                    const int *len = mode & 1 ? lengths : NULL;
                    const float *h = mode & 2 ? h0 : NULL;
                    result want = result_new(&s), got = result_new(&s);
                    call(m, 0, &s, xt, len, h, c0, &want);
                    call(m, 1, &s, xb, len, h, c0, &got);
                    swap_axes(yt, want.y, s.b, s.t, s.out); /* [T][B][O] -> [B][T][O] */
                    char ctx[160];
                    snprintf(ctx, sizeof ctx, "model %d (%s), T %d, B %d, %s, lengths %s, %s",
                             k, rnnrt_model_cell_name(m), s.t, s.b, variants[v],
                             len ? "yes" : "no", h ? "initial state" : "state NULL");
                    expect_same("y", got.y, yt, s.ny, ctx);
                    if (h) {
                        expect_same("h_n", got.h, want.h, s.nh, ctx);
                        expect_same("c_n", got.c, want.c, s.nc, ctx);
                    }
                    /* and the zeros past each length are where batch-major puts them */
                    for (int b = 0; len && b < s.b; b++)
                        for (int t = len[b]; t < s.t; t++)
                            for (size_t o = 0; o < s.out; o++)
                                if (got.y[((size_t)b * s.t + t) * s.out + o] != 0.0f)
                                    fail_msg("%s: y[%d][%d][%zu] past the length %d is not 0",
                                             ctx, b, t, o, len[b]);
                    result_free(&want);
                    result_free(&got);
                    cases++;
                }
            }
            free(xb);
            free(xt);
            free(h0);
            free(c0);
            free(yt);
            free(lengths);
        }
        rnnrt_model_free(m);
    }
    assert_int_equal(rnnrt_set_variant("blocked"), RNNRT_OK);
    print_message("[  INFO    ] %d cases: the same bytes as rnnrt_forward\n", cases);
}

/* --- arguments ------------------------------------------------------------------------ */

enum { CANARY_FLOATS = 64 };

static void fill_canary(float *y)
{
    memset(y, 0x5a, CANARY_FLOATS * sizeof *y);
}

static void expect_canary(const float *y, const char *what)
{
    for (size_t k = 0; k < CANARY_FLOATS; k++) {
        uint32_t bits;
        memcpy(&bits, &y[k], sizeof bits);
        if (bits != 0x5a5a5a5au)
            fail_msg("%s: y[%zu] was written by a refused call", what, k);
    }
}

/* Both entry points on the same arguments: same status, same message but for the name at
 * its start, and a y left as it was. */
static void expect_refused_alike(const char *what, const rnnrt_model *m, rnnrt_state *st,
                                 const float *x, int seq_len, int batch, const int *lengths,
                                 int with_y)
{
    float y[CANARY_FLOATS];
    fill_canary(y);
    rnnrt_status want = rnnrt_forward(m, st, x, seq_len, batch, lengths, with_y ? y : NULL);
    char want_msg[512];
    snprintf(want_msg, sizeof want_msg, "%s", rnnrt_last_error());
    expect_canary(y, what);
    rnnrt_status got =
        rnnrt_forward_batch_first(m, st, x, seq_len, batch, lengths, with_y ? y : NULL);
    const char *got_msg = rnnrt_last_error();
    if (want == RNNRT_OK || got != want)
        fail_msg("%s: rnnrt_forward gave %d, rnnrt_forward_batch_first %d (%s)", what, want, got,
                 got_msg);
    static const char old_name[] = "rnnrt_forward:", new_name[] = "rnnrt_forward_batch_first:";
    if (strncmp(want_msg, old_name, strlen(old_name)) ||
        strncmp(got_msg, new_name, strlen(new_name)) ||
        strcmp(want_msg + strlen(old_name), got_msg + strlen(new_name)))
        fail_msg("%s: messages differ:\n  rnnrt_forward:             '%s'\n"
                 "  rnnrt_forward_batch_first: '%s'", what, want_msg, got_msg);
    expect_canary(y, what);
}

static void refuses_what_forward_refuses(void **st)
{
    (void)st;
    rnnrt_model *m = build_model(&cell_specs[0]); /* LSTM, 2 layers, bidirectional */
    rnnrt_model *other = build_model(&cell_specs[2]); /* GRU: another state shape */
    const model_spec wide_spec = {RNNRT_CELL_LSTM, 256, 256, 0, 1, 1, 1, 1};
    rnnrt_model *wide = build_model(&wide_spec);
    float x[CANARY_FLOATS] = {0};
    int zero[2] = {1, 0}, long_[2] = {1, 3};
    rnnrt_state *s2, *s_other;
    assert_int_equal(rnnrt_state_create(m, 2, &s2), RNNRT_OK);
    assert_int_equal(rnnrt_state_create(other, 1, &s_other), RNNRT_OK);
    int wrap_t = wrapping_seq_len(1 << 24, 256);

    expect_refused_alike("model NULL", NULL, NULL, x, 1, 1, NULL, 1);
    expect_refused_alike("x NULL", m, NULL, NULL, 1, 1, NULL, 1);
    expect_refused_alike("y NULL", m, NULL, x, 1, 1, NULL, 0);
    expect_refused_alike("seq_len 0", m, NULL, x, 0, 1, NULL, 1);
    expect_refused_alike("seq_len -1", m, NULL, x, -1, 1, NULL, 1);
    expect_refused_alike("batch 0", m, NULL, x, 1, 0, NULL, 1);
    expect_refused_alike("batch 2^24 + 1", m, NULL, x, 1, (1 << 24) + 1, NULL, 1);
    expect_refused_alike("lengths[1] = 0", m, NULL, x, 2, 2, zero, 1);
    expect_refused_alike("lengths[1] > seq_len", m, NULL, x, 2, 2, long_, 1);
    expect_refused_alike("INT_MAX x INT_MAX", m, NULL, x, INT_MAX, INT_MAX, NULL, 1);
    expect_refused_alike("size wrapping 2^64", wide, NULL, x, wrap_t, 1 << 24, NULL, 1);
    expect_refused_alike("size past 2^64", wide, NULL, x, wrap_t + 1, 1 << 24, NULL, 1);
    expect_refused_alike("state of another batch", m, s2, x, 1, 1, NULL, 1);
    expect_refused_alike("state of another model", m, s_other, x, 1, 1, NULL, 1);
    rnnrt_state_free(s2);
    rnnrt_state_free(s_other);
    rnnrt_model_free(m);
    rnnrt_model_free(other);
    rnnrt_model_free(wide);
}

/* --- streaming ------------------------------------------------------------------------ */

/* x[:, t0:t0+n] of a batch-major [B][T][w] array, as its own contiguous [B][n][w] array. */
static float *slice_steps(const float *x, int batch, int steps, int t0, int n, size_t w)
{
    float *out = malloc((size_t)batch * n * w * sizeof *out);
    for (int b = 0; b < batch; b++)
        memcpy(out + (size_t)b * n * w, x + ((size_t)b * steps + t0) * w, n * w * sizeof *out);
    return out;
}

/* Unidirectional models carry on across calls: steps 0-3 then 4-8 give the bytes of one call,
 * and the second call reuses the state's scratch instead of allocating its own. */
static void streaming_equals_one_call(void **st)
{
    (void)st;
    enum { T = 9, B = 5, T1 = 4 };
    int streamed = 0;
    for (int k = 0; k < N_CELL_SPECS; k++) {
        if (cell_specs[k].directions != 1)
            continue;
        rnnrt_model *m = build_model(&cell_specs[k]);
        shape s = shape_of(m, T, B);
        unsigned seed = 2000u + (unsigned)k;
        float *x = malloc(s.nx * sizeof *x), *h0 = malloc(s.nh * sizeof *h0);
        float *c0 = malloc((s.nc + 1) * sizeof *c0);
        fill_uniform(x, s.nx, 2.0f, &seed);
        fill_uniform(h0, s.nh, 0.5f, &seed);
        fill_uniform(c0, s.nc, 0.5f, &seed);
        float *x1 = slice_steps(x, B, T, 0, T1, s.in), *x2 = slice_steps(x, B, T, T1, T - T1, s.in);
        for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
            assert_int_equal(rnnrt_set_variant(variants[v]), RNNRT_OK);
            result one = result_new(&s), two = result_new(&s);
            call(m, 1, &s, x, NULL, h0, c0, &one);
            rnnrt_state *state;
            assert_int_equal(rnnrt_state_create(m, B, &state), RNNRT_OK);
            assert_int_equal(rnnrt_state_write(state, h0, s.nc ? c0 : NULL), RNNRT_OK);
            float *y1 = malloc((size_t)B * T1 * s.out * sizeof *y1);
            float *y2 = malloc((size_t)B * (T - T1) * s.out * sizeof *y2);
            assert_int_equal(rnnrt_forward_batch_first(m, state, x1, T1, B, NULL, y1), RNNRT_OK);
            assert_int_equal(rnnrt_forward_batch_first(m, state, x2, T - T1, B, NULL, y2),
                             RNNRT_OK);
            assert_int_equal(rnnrt_state_read(state, two.h, two.c), RNNRT_OK);
            for (int b = 0; b < B; b++) { /* the chunks side by side along time */
                memcpy(two.y + (size_t)b * T * s.out, y1 + (size_t)b * T1 * s.out,
                       T1 * s.out * sizeof(float));
                memcpy(two.y + ((size_t)b * T + T1) * s.out, y2 + (size_t)b * (T - T1) * s.out,
                       (T - T1) * s.out * sizeof(float));
            }
            char ctx[128];
            snprintf(ctx, sizeof ctx, "model %d (%s), %s, two chunks against one call", k,
                     rnnrt_model_cell_name(m), variants[v]);
            expect_same("y", two.y, one.y, s.ny, ctx);
            expect_same("h_n", two.h, one.h, s.nh, ctx);
            expect_same("c_n", two.c, one.c, s.nc, ctx);
            /* a repeated call fits in the scratch the state already holds */
            const void *scratch = state->io.data;
            assert_int_equal(rnnrt_forward_batch_first(m, state, x2, T - T1, B, NULL, y2),
                             RNNRT_OK);
            if (!scratch || state->io.data != scratch)
                fail_msg("%s: a repeated call did not reuse the state's scratch", ctx);
            rnnrt_state_free(state);
            free(y1);
            free(y2);
            result_free(&one);
            result_free(&two);
            streamed++;
        }
        free(x);
        free(x1);
        free(x2);
        free(h0);
        free(c0);
        rnnrt_model_free(m);
    }
    assert_int_equal(rnnrt_set_variant("blocked"), RNNRT_OK);
    assert_true(streamed > 0);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        test_data_dir = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_bytes_as_time_major),
        cmocka_unit_test(refuses_what_forward_refuses),
        cmocka_unit_test(streaming_equals_one_call),
    };
    return cmocka_run_group_tests_name("batch_first", tests, NULL, NULL);
}
