/* Allocation failure, in a build with -Dalloc_fail_hook=true (and -Db_sanitize=address, whose
 * LeakSanitizer fails the run on any leak): loading from memory and from a path, creating a
 * state, forward passes (time-major and batch-first, with and without a state, every cell,
 * multi-layer bidirectional with lengths, 1 and 2 threads, every forward variant), creating a
 * batcher, opening a stream and pushing on it are run with
 * allocation number n failing, for n = 1, 2, ... until the call makes fewer than n allocations.
 * Each run either returns RNNRT_E_NOMEM with a message that says so, leaving its outputs (and
 * the state) untouched, after which the same objects give the expected result; or it absorbs
 * the failure and still gives the expected result. The same again with every allocation from
 * the n-th on failing ("sticky"), which also fails whatever a cleanup path might allocate.
 * Refused sizes must be refused before any allocation. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc.h"
#include "model_builder.h"
#include "dispatch.h"
#include "test_util.h"

/* Same tolerance as the golden suite: outputs after a failure must be PyTorch's. */
#define TOLERANCE 1e-5

static const char *const models[] = {
    "lstm_bidir_lengths_state",      "gru_bidir_lengths_state", "lstm_proj_bidir_2layer",
    "peephole_2layer_bidir_lengths", "coupled_bidir_lengths_state", "lstm_3layer_bidir",
    "gru_f16",                       "lstm_bf16",               "lstm_with_head",
    "lstm_select_prefix",
};
static const char *const variants[] = {"reference", "blocked"};

/* Over the whole run: allocation sites failed, and failures absorbed without an error. */
static long sites_failed, absorbed;

/* Says which failures were absorbed (the first few), so that a fallback path is visible. */
static void note_absorbed(const char *what, long n, int sticky)
{
    if (++absorbed <= 8)
        print_message("[  INFO    ] %s: allocation %ld failing%s absorbed, result correct\n",
                      what, n, sticky ? " (sticky)" : "");
}

static void hook_off(void)
{
    rnnrt_alloc_fail_after(0, 0);
}

/* A failed call must say it ran out of memory (msg: its rnnrt_last_error(), or NULL for the
 * current one). */
static void expect_nomem_msg(rnnrt_status s, const char *msg, const char *what, long n,
                             int sticky)
{
    if (!msg)
        msg = rnnrt_last_error();
    if (s != RNNRT_E_NOMEM || !strstr(msg, "memory"))
        fail_msg("%s, allocation %ld failing%s: status %d, message '%s' (expected "
                 "RNNRT_E_NOMEM, 'out of memory ...')", what, n, sticky ? " (sticky)" : "", s,
                 msg);
}

static void expect_nomem(rnnrt_status s, const char *what, long n, int sticky)
{
    expect_nomem_msg(s, NULL, what, n, sticky);
}

/* y still holds the 0x5a bytes it was filled with. */
static void expect_untouched(const float *y, size_t n, const char *what, long fail_at)
{
    for (size_t k = 0; k < n; k++) {
        uint32_t bits;
        memcpy(&bits, &y[k], sizeof bits);
        if (bits != 0x5a5a5a5au)
            fail_msg("%s, allocation %ld failing: output [%zu] was written", what, fail_at, k);
    }
}

static void expect_close(const char *what, const float *got, const float *ref, size_t count)
{
    size_t at;
    double e = max_rel_error(got, ref, count, &at);
    if (e > TOLERANCE)
        fail_msg("%s: [%zu] = %.9g, expected %.9g", what, at, got[at], ref[at]);
}

/* A loaded model gives the golden outputs. */
static void expect_runs(const rnnrt_model *m, const golden *g, const char *what)
{
    size_t ny = (size_t)g->seq_len * g->batch * g->output_size;
    float *y = malloc(ny * sizeof *y);
    rnnrt_state *s;
    assert_int_equal(rnnrt_state_create(m, g->batch, &s), RNNRT_OK);
    if (g->h0)
        assert_int_equal(rnnrt_state_write(s, g->h0, g->c0), RNNRT_OK);
    if (rnnrt_forward(m, s, g->x, g->seq_len, g->batch, g->lengths, y))
        fail_msg("%s: forward after the failures: %s", what, rnnrt_last_error());
    expect_close(what, y, g->y, ny);
    rnnrt_state_free(s);
    free(y);
}

/* --- loading ------------------------------------------------------------------------- */

static void load_sweep(const golden *g, const char *path, const unsigned char *bytes,
                       size_t size, int sticky)
{
    char what[256];
    snprintf(what, sizeof what, "%s from %s", g->name, bytes ? "memory" : "a path");
    for (long n = 1;; n++) {
        rnnrt_model *m = NULL;
        rnnrt_alloc_fail_after(n, sticky);
        rnnrt_status s = bytes ? rnnrt_model_load_memory(bytes, size, &m)
                               : rnnrt_model_load(path, &m);
        long made = rnnrt_alloc_fail_after(0, 0);
        if (s == RNNRT_OK) {
            expect_runs(m, g, what);
            rnnrt_model_free(m);
            if (made < n) {
                if (!sticky)
                    sites_failed += n - 1;
                return;
            }
            note_absorbed(what, n, sticky);
            continue;
        }
        expect_nomem(s, what, n, sticky);
        if (m)
            fail_msg("%s, allocation %ld failing: *out was written", what, n);
    }
}

static void load_fails_cleanly(void **st)
{
    (void)st;
    hook_off();
    for (size_t k = 0; k < sizeof models / sizeof models[0]; k++) {
        golden g;
        golden_load(test_data_dir, models[k], &g);
        char path[512];
        snprintf(path, sizeof path, "%s/golden/%s.model.safetensors", test_data_dir, models[k]);
        size_t size;
        unsigned char *bytes = read_file_bytes(path, &size);
        assert_non_null(bytes);
        for (int sticky = 0; sticky < 2; sticky++) {
            load_sweep(&g, path, bytes, size, sticky);
            load_sweep(&g, path, NULL, 0, sticky);
        }
        free(bytes);
        golden_free(&g);
    }
}

/* --- states -------------------------------------------------------------------------- */

static void state_create_fails_cleanly(void **st)
{
    (void)st;
    hook_off();
    for (size_t k = 0; k < sizeof models / sizeof models[0]; k++) {
        golden g;
        golden_load(test_data_dir, models[k], &g);
        for (int sticky = 0; sticky < 2; sticky++)
            for (long n = 1;; n++) {
                rnnrt_state *s = NULL;
                rnnrt_alloc_fail_after(n, sticky);
                rnnrt_status status = rnnrt_state_create(g.model, g.batch, &s);
                long made = rnnrt_alloc_fail_after(0, 0);
                if (status == RNNRT_OK) {
                    rnnrt_state_free(s);
                    if (made < n) {
                        if (!sticky)
                            sites_failed += n - 1;
                        break;
                    }
                    note_absorbed("rnnrt_state_create", n, sticky);
                    continue;
                }
                expect_nomem(status, "rnnrt_state_create", n, sticky);
                assert_null(s);
            }
        /* the model is untouched by all that */
        expect_runs(g.model, &g, g.name);
        golden_free(&g);
    }
}

/* --- forward passes ------------------------------------------------------------------ */

typedef struct fwd_case {
    const golden *g;
    int use_state;
    int batch_first;           /* rnnrt_forward_batch_first instead of rnnrt_forward */
    const float *x, *y_want;   /* the golden x and y in the call's layout */
    size_t ny;
    float *y, *h, *c; /* outputs and the state read back */
} fwd_case;

static rnnrt_status forward_call(const fwd_case *fc, rnnrt_state *s)
{
    const golden *g = fc->g;
    return (fc->batch_first ? rnnrt_forward_batch_first : rnnrt_forward)(
        g->model, s, fc->x, g->seq_len, g->batch, g->lengths, fc->y);
}

/* One forward attempt with allocation n failing; returns 1 when the call made fewer than n
 * allocations (the sweep is over). */
static int forward_attempt(fwd_case *fc, long n, int sticky, const char *what)
{
    const golden *g = fc->g;
    rnnrt_state *s = NULL;
    if (fc->use_state) {
        assert_int_equal(rnnrt_state_create(g->model, g->batch, &s), RNNRT_OK);
        if (g->h0)
            assert_int_equal(rnnrt_state_write(s, g->h0, g->c0), RNNRT_OK);
    }
    memset(fc->y, 0x5a, fc->ny * sizeof *fc->y);
    rnnrt_alloc_fail_after(n, sticky);
    rnnrt_status st = forward_call(fc, s);
    long made = rnnrt_alloc_fail_after(0, 0);
    int over = 0;
    if (st == RNNRT_OK) {
        over = made < n;
        if (!over)
            note_absorbed(what, n, sticky);
    } else {
        expect_nomem(st, what, n, sticky);
        expect_untouched(fc->y, fc->ny, what, n);
        if (s) { /* the state is what it was, and carries on as if nothing happened */
            assert_int_equal(rnnrt_state_read(s, fc->h, fc->c), RNNRT_OK);
            if (g->h0)
                expect_close("state after a failed forward", fc->h, g->h0, g->h_count);
            if (g->c0)
                expect_close("state after a failed forward", fc->c, g->c0, g->c_count);
        }
        if (forward_call(fc, s))
            fail_msg("%s: forward after the failure: %s", what, rnnrt_last_error());
    }
    expect_close(what, fc->y, fc->y_want, fc->ny);
    if (s) {
        assert_int_equal(rnnrt_state_read(s, fc->h, fc->c), RNNRT_OK);
        expect_close("h_n", fc->h, g->hn, g->h_count);
        if (g->cn)
            expect_close("c_n", fc->c, g->cn, g->c_count);
    }
    rnnrt_state_free(s);
    return over;
}

/* Allocation n failing for n = 1, 2, ... until the call makes fewer, then sticky. */
static void forward_sweep(fwd_case *fc, const char *what)
{
    for (int sticky = 0; sticky < 2; sticky++)
        for (long n = 1;; n++)
            if (forward_attempt(fc, n, sticky, what)) {
                if (!sticky)
                    sites_failed += n - 1;
                break;
            }
}

/* Both entry points: rnnrt_forward_batch_first adds its scratch (the state's, or the
 * call's own) to what rnnrt_forward allocates; it runs on batch-major copies of the
 * goldens, on one thread. */
static void forward_fails_cleanly(void **st)
{
    (void)st;
    hook_off();
    for (size_t k = 0; k < sizeof models / sizeof models[0]; k++) {
        golden g;
        golden_load(test_data_dir, models[k], &g);
        fwd_case fc = {.g = &g, .ny = (size_t)g.seq_len * g.batch * g.output_size};
        size_t nx = (size_t)g.seq_len * g.batch * g.input_size;
        float *xb = malloc(nx * sizeof *xb), *yb = malloc(fc.ny * sizeof *yb);
        swap_axes(xb, g.x, g.batch, g.seq_len, (size_t)g.input_size);
        swap_axes(yb, g.y, g.batch, g.seq_len, (size_t)g.output_size);
        fc.y = malloc(fc.ny * sizeof *fc.y);
        fc.h = malloc(g.h_count * sizeof *fc.h);
        fc.c = g.c_count ? malloc(g.c_count * sizeof *fc.c) : NULL;
        for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
            if (rnnrt_set_variant(variants[v]) != RNNRT_OK)
                continue;
            for (int threads = 1; threads <= 2; threads++) {
                rnnrt_set_num_threads(threads);
                for (int bf = 0; bf <= (threads == 1); bf++)
                    for (int use_state = 0; use_state < 2; use_state++) {
                        /* a case with an initial state needs one to start from */
                        if (!use_state && g.h0)
                            continue;
                        fc.use_state = use_state;
                        fc.batch_first = bf;
                        fc.x = bf ? xb : g.x;
                        fc.y_want = bf ? yb : g.y;
                        char what[256];
                        snprintf(what, sizeof what, "%s %s (%s, %d thread%s, %s)", g.name,
                                 bf ? "forward_batch_first" : "forward", variants[v], threads,
                                 threads > 1 ? "s" : "", use_state ? "state" : "state NULL");
                        forward_sweep(&fc, what);
                    }
            }
        }
        rnnrt_set_num_threads(0);
        free(xb);
        free(yb);
        free(fc.y);
        free(fc.h);
        free(fc.c);
        golden_free(&g);
    }
}

/* A model loaded under one kernel set and run under another packs its weights for the new
 * set in the forward call: failures there too, on a fresh model every time. */
static void lazy_packing_fails_cleanly(void **st)
{
    (void)st;
    hook_off();
    const char *const *isas = rnnrt_kernel_set_names;
    char start[16];
    snprintf(start, sizeof start, "%s", rnnrt_isa());
    golden g;
    golden_load(test_data_dir, "lstm_proj_bidir_2layer", &g);
    size_t ny = (size_t)g.seq_len * g.batch * g.output_size;
    float *y = malloc(ny * sizeof *y);
    char path[512];
    snprintf(path, sizeof path, "%s/golden/lstm_proj_bidir_2layer.model.safetensors",
             test_data_dir);
    assert_int_equal(rnnrt_set_variant("blocked"), RNNRT_OK);
    for (int i = 0; i < rnnrt_kernel_set_count; i++) {
        if (!strcmp(isas[i], start) || rnnrt_set_isa(isas[i]) != RNNRT_OK)
            continue;
        char what[96];
        snprintf(what, sizeof what, "forward packing for %s after loading under %s", isas[i],
                 start);
        for (int sticky = 0; sticky < 2; sticky++) {
            for (long n = 1;; n++) {
                rnnrt_model *m;
                assert_int_equal(rnnrt_set_isa(start), RNNRT_OK);
                assert_int_equal(rnnrt_model_load(path, &m), RNNRT_OK);
                assert_int_equal(rnnrt_set_isa(isas[i]), RNNRT_OK);
                memset(y, 0x5a, ny * sizeof *y);
                rnnrt_alloc_fail_after(n, sticky);
                rnnrt_status s = rnnrt_forward(m, NULL, g.x, g.seq_len, g.batch, g.lengths, y);
                long made = rnnrt_alloc_fail_after(0, 0);
                if (s) {
                    expect_nomem(s, what, n, sticky);
                    expect_untouched(y, ny, what, n);
                    s = rnnrt_forward(m, NULL, g.x, g.seq_len, g.batch, g.lengths, y);
                    assert_int_equal(s, RNNRT_OK);
                    s = RNNRT_E_NOMEM;
                }
                expect_close(what, y, g.y, ny);
                rnnrt_model_free(m);
                if (!s && made < n) {
                    if (!sticky)
                        sites_failed += n - 1;
                    break;
                }
                if (!s)
                    note_absorbed(what, n, sticky);
            }
        }
    }
    assert_int_equal(rnnrt_set_isa(start), RNNRT_OK);
    free(y);
    golden_free(&g);
}

/* --- the token path: embedding, head, vocabulary, sampling ---------------------------- */

enum { TOK_T = 5, TOK_B = 2 };

static const char *const token_calls[] = {
    "rnnrt_forward_tokens", "rnnrt_forward_head", "rnnrt_forward_tokens_batch_first",
    "rnnrt_forward_head_batch_first",
};

/* Runs `call` (an index in token_calls; the batch-first ones return every step, so their
 * transposed out goes through scratch too) into out, from a fresh state or none, with
 * allocation fail_at failing (0: none); *made gets the allocations the call made. A failed
 * call must leave the state as it was (zeros). */
static char token_msg[512]; /* the message of token_call's call, before checks clear it */

static rnnrt_status whole_call(const rnnrt_model *m, int call, rnnrt_state *s, const int *ids,
                               const float *x, float *out)
{
    static const int lengths[TOK_B] = {TOK_T, 3};
    return call == 0 ? rnnrt_forward_tokens(m, s, ids, TOK_T, TOK_B, lengths, 0, out)
           : call == 1 ? rnnrt_forward_head(m, s, x, TOK_T, TOK_B, lengths, 1, out)
           : call == 2
               ? rnnrt_forward_tokens_batch_first(m, s, ids, TOK_T, TOK_B, lengths, 0, out)
               : rnnrt_forward_head_batch_first(m, s, x, TOK_T, TOK_B, lengths, 0, out);
}

static rnnrt_status token_call(const rnnrt_model *m, int call, int use_state, const int *ids,
                               const float *x, float *out, long fail_at, int sticky, long *made)
{
    rnnrt_state *s = NULL;
    if (use_state)
        assert_int_equal(rnnrt_state_create(m, TOK_B, &s), RNNRT_OK);
    rnnrt_alloc_fail_after(fail_at, sticky);
    rnnrt_status st = whole_call(m, call, s, ids, x, out);
    long count = rnnrt_alloc_fail_after(0, 0);
    snprintf(token_msg, sizeof token_msg, "%s", rnnrt_last_error());
    if (made)
        *made = count;
    if (st && s) {
        size_t nh = (size_t)rnnrt_model_num_layers(m) * rnnrt_model_num_directions(m) * TOK_B *
                    rnnrt_model_state_h_size(m);
        float *h = malloc(nh * sizeof *h);
        assert_int_equal(rnnrt_state_read(s, h, NULL), RNNRT_OK);
        for (size_t k = 0; k < nh; k++)
            if (h[k] != 0.0f)
                fail_msg("a failed whole-model forward changed the state: h[%zu] = %g", k, h[k]);
        free(h);
    }
    rnnrt_state_free(s);
    return st;
}

static void token_path_fails_cleanly(void **st)
{
    (void)st;
    hook_off();
    char path[512];
    snprintf(path, sizeof path, "%s/stack/lstm_char.model.safetensors", test_data_dir);
    size_t size;
    unsigned char *bytes = read_file_bytes(path, &size);
    assert_non_null(bytes);
    rnnrt_model *m;
    assert_int_equal(rnnrt_model_load_memory(bytes, size, &m), RNNRT_OK);
    const int vocab = rnnrt_model_vocab_size(m), n = rnnrt_model_logits_size(m);
    const int in = rnnrt_model_input_size(m);
    assert_true(vocab > 0);
    int ids[TOK_T * TOK_B];
    float x[TOK_T * TOK_B * 64];
    assert_true(in <= 64);
    for (int k = 0; k < TOK_T * TOK_B; k++)
        ids[k] = (k * 5 + 1) % vocab;
    for (int k = 0; k < TOK_T * TOK_B * in; k++)
        x[k] = (float)(k % 9) / 4.0f - 1.0f;
    const size_t nout = (size_t)TOK_T * TOK_B * n;
    float *ref = malloc(nout * sizeof *ref), *out = malloc(nout * sizeof *out);

    /* loading a whole model (embedding, head, vocabulary) */
    assert_int_equal(token_call(m, 0, 0, ids, x, ref, 0, 0, NULL), RNNRT_OK);
    for (int sticky = 0; sticky < 2; sticky++)
        for (long k = 1;; k++) {
            rnnrt_model *m2 = NULL;
            rnnrt_alloc_fail_after(k, sticky);
            rnnrt_status s = rnnrt_model_load_memory(bytes, size, &m2);
            long made = rnnrt_alloc_fail_after(0, 0);
            if (s) {
                expect_nomem(s, "lstm_char from memory", k, sticky);
                assert_null(m2);
                continue;
            }
            assert_int_equal(token_call(m2, 0, 0, ids, x, out, 0, 0, NULL), RNNRT_OK);
            expect_close("lstm_char after failures", out, ref, nout);
            rnnrt_model_free(m2);
            if (made < k) {
                if (!sticky)
                    sites_failed += k - 1;
                break;
            }
            note_absorbed("lstm_char from memory", k, sticky);
        }

    /* the four whole-model forward passes */
    for (int call = 0; call < 4; call++)
        for (int use_state = 0; use_state < 2; use_state++) {
            const char *what = token_calls[call];
            assert_int_equal(token_call(m, call, use_state, ids, x, ref, 0, 0, NULL), RNNRT_OK);
            for (int sticky = 0; sticky < 2; sticky++)
                for (long k = 1;; k++) {
                    memset(out, 0x5a, nout * sizeof *out);
                    long made;
                    rnnrt_status s = token_call(m, call, use_state, ids, x, out, k, sticky, &made);
                    if (s) {
                        expect_nomem_msg(s, token_msg, what, k, sticky);
                        expect_untouched(out, nout, what, k);
                        continue;
                    }
                    expect_close(what, out, ref, call == 1 ? (size_t)TOK_B * n : nout);
                    if (made < k) {
                        if (!sticky)
                            sites_failed += k - 1;
                        break;
                    }
                    note_absorbed(what, k, sticky);
                }
        }

    /* sampling from logits (a draw allocates; greedy does not) */
    rnnrt_rng rng;
    int want = -1;
    rnnrt_rng_seed(&rng, 42);
    assert_int_equal(rnnrt_sample(ref, n, 0.8f, 0, &rng, &want), RNNRT_OK);
    for (long k = 1;; k++) {
        int token = -7;
        rnnrt_rng_seed(&rng, 42);
        rnnrt_alloc_fail_after(k, 0);
        rnnrt_status s = rnnrt_sample(ref, n, 0.8f, 0, &rng, &token);
        long made = rnnrt_alloc_fail_after(0, 0);
        if (s) {
            expect_nomem(s, "rnnrt_sample", k, 0);
            assert_int_equal(token, -7);
            continue;
        }
        assert_int_equal(token, want);
        if (made < k) {
            sites_failed += k - 1;
            break;
        }
        note_absorbed("rnnrt_sample", k, 0);
    }
    free(ref);
    free(out);
    free(bytes);
    rnnrt_model_free(m);
}

/* --- streams (rnnrt_batcher) --------------------------------------------------------- */

enum { ST_T = 6, ST_I = 7, ST_O = 9 };
static const model_spec stream_spec = {RNNRT_CELL_LSTM, ST_I, 13, ST_O, 2, 1, 1, 41};

/* A batcher where a lone stream stalls (a step waits for max_batch 2 ready streams, or
 * 10 s), so that pushes queue up; NULL options for the defaults. */
static rnnrt_status create_batcher(const rnnrt_model *m, int stalling, rnnrt_batcher **b)
{
    if (!stalling)
        return rnnrt_batcher_create(m, NULL, b);
    rnnrt_options *o;
    assert_int_equal(rnnrt_options_create(&o), RNNRT_OK);
    assert_int_equal(rnnrt_options_set(o, "max_batch", "2"), RNNRT_OK);
    assert_int_equal(rnnrt_options_set(o, "max_wait_us", "10000000"), RNNRT_OK);
    rnnrt_status st = rnnrt_batcher_create(m, o, b);
    rnnrt_options_free(o);
    return st;
}

/* A stream of b runs x (ST_T steps, in pushes of 1, 2 and 3) to the bytes of y_want. */
static void expect_stream_runs(rnnrt_batcher *b, const float *x, const float *y_want,
                               const char *what)
{
    rnnrt_stream *s;
    float y[ST_T * ST_O];
    if (rnnrt_stream_open(b, &s))
        fail_msg("%s: open after the failures: %s", what, rnnrt_last_error());
    for (int t0 = 0, n = 1; t0 < ST_T; t0 += n, n++)
        assert_int_equal(rnnrt_stream_push(s, x + t0 * ST_I, n, y + t0 * ST_O), RNNRT_OK);
    assert_int_equal(rnnrt_stream_wait(s, -1), RNNRT_OK);
    if (memcmp(y, y_want, sizeof y))
        fail_msg("%s: a stream after the failures differs from its whole sequence", what);
    rnnrt_stream_free(s);
}

static void batcher_create_sweep(const rnnrt_model *m, const float *x, const float *y_want,
                                 int sticky)
{
    for (long n = 1;; n++) {
        rnnrt_batcher *b = NULL;
        rnnrt_alloc_fail_after(n, sticky);
        rnnrt_status st = create_batcher(m, 0, &b);
        long made = rnnrt_alloc_fail_after(0, 0);
        if (st == RNNRT_OK) {
            expect_stream_runs(b, x, y_want, "rnnrt_batcher_create");
            rnnrt_batcher_free(b);
            if (made < n) {
                if (!sticky)
                    sites_failed += n - 1;
                return;
            }
            note_absorbed("rnnrt_batcher_create", n, sticky);
            continue;
        }
        expect_nomem(st, "rnnrt_batcher_create", n, sticky);
        assert_null(b);
    }
}

static void stream_open_sweep(const rnnrt_model *m, const float *x, const float *y_want,
                              int sticky)
{
    rnnrt_batcher *b;
    assert_int_equal(create_batcher(m, 0, &b), RNNRT_OK);
    for (long n = 1;; n++) {
        rnnrt_stream *s = NULL;
        rnnrt_alloc_fail_after(n, sticky);
        rnnrt_status st = rnnrt_stream_open(b, &s);
        long made = rnnrt_alloc_fail_after(0, 0);
        if (st == RNNRT_OK) {
            rnnrt_stream_free(s);
            if (made < n) {
                if (!sticky)
                    sites_failed += n - 1;
                break;
            }
            note_absorbed("rnnrt_stream_open", n, sticky);
            continue;
        }
        expect_nomem(st, "rnnrt_stream_open", n, sticky);
        assert_null(s);
    }
    rnnrt_batcher_stats stats;
    assert_int_equal(rnnrt_batcher_read_stats(b, &stats), RNNRT_OK);
    assert_int_equal(stats.open_streams, 0); /* failed opens gave their places back */
    expect_stream_runs(b, x, y_want, "rnnrt_stream_open");
    rnnrt_batcher_free(b);
}

/* Pushes of one step on a stalled stream fill its ring (2 pushes) and then grow it: the
 * third push allocates. A failed push queues nothing; the stream then runs exactly. */
static void stream_push_sweep(const rnnrt_model *m, const float *x, const float *y_want,
                              int sticky)
{
    for (long n = 1;; n++) {
        rnnrt_batcher *b;
        rnnrt_stream *s, *t;
        assert_int_equal(create_batcher(m, 1, &b), RNNRT_OK);
        assert_int_equal(rnnrt_stream_open(b, &s), RNNRT_OK);
        assert_int_equal(rnnrt_stream_open(b, &t), RNNRT_OK);
        float y[ST_T * ST_O], yt[ST_T * ST_O];
        for (int k = 0; k < 2; k++)
            assert_int_equal(rnnrt_stream_push(s, x + k * ST_I, 1, y + k * ST_O), RNNRT_OK);
        rnnrt_alloc_fail_after(n, sticky);
        rnnrt_status st = rnnrt_stream_push(s, x + 2 * ST_I, 1, y + 2 * ST_O);
        long made = rnnrt_alloc_fail_after(0, 0);
        if (st) {
            expect_nomem(st, "rnnrt_stream_push", n, sticky);
            assert_int_equal(rnnrt_stream_push(s, x + 2 * ST_I, 1, y + 2 * ST_O), RNNRT_OK);
        }
        assert_int_equal(rnnrt_stream_push(s, x + 3 * ST_I, ST_T - 3, y + 3 * ST_O), RNNRT_OK);
        assert_int_equal(rnnrt_stream_push(t, x, ST_T, yt), RNNRT_OK); /* unstalls both */
        assert_int_equal(rnnrt_stream_wait(s, -1), RNNRT_OK);
        assert_int_equal(rnnrt_stream_wait(t, -1), RNNRT_OK);
        if (memcmp(y, y_want, sizeof y) || memcmp(yt, y_want, sizeof yt))
            fail_msg("rnnrt_stream_push, allocation %ld failing%s: the streams differ from "
                     "their whole sequence", n, sticky ? " (sticky)" : "");
        rnnrt_batcher_free(b);
        if (!st && made < n) {
            if (!sticky)
                sites_failed += n - 1;
            return;
        }
        if (!st)
            note_absorbed("rnnrt_stream_push", n, sticky);
    }
}

static void batcher_fails_cleanly(void **st)
{
    (void)st;
    hook_off();
    rnnrt_model *m = build_model(&stream_spec);
    float x[ST_T * ST_I], y_want[ST_T * ST_O];
    unsigned seed = 5;
    fill_uniform(x, ST_T * ST_I, 1.0f, &seed);
    assert_int_equal(rnnrt_forward(m, NULL, x, ST_T, 1, NULL, y_want), RNNRT_OK);
    for (int sticky = 0; sticky < 2; sticky++) {
        batcher_create_sweep(m, x, y_want, sticky);
        stream_open_sweep(m, x, y_want, sticky);
        stream_push_sweep(m, x, y_want, sticky);
    }
    rnnrt_model_free(m);
}

/* Once a batcher has run, its steps and pushes that fit the streams' rings allocate nothing:
 * with every allocation failing, three streams run 40 rounds of pushes of 1-3 steps (steps
 * of 1 to 3 rows) to the bytes of their whole sequences. */
static void streams_allocate_nothing(void **st)
{
    (void)st;
    hook_off();
    rnnrt_model *m = build_model(&stream_spec);
    enum { ROUNDS = 40, S = 3, T = ROUNDS * 3 };
    float *x = malloc((size_t)T * ST_I * sizeof *x), *want = malloc((size_t)T * ST_O * 4);
    float *y = malloc((size_t)S * T * ST_O * sizeof *y);
    unsigned seed = 6;
    fill_uniform(x, (size_t)T * ST_I, 1.0f, &seed);
    rnnrt_batcher *b;
    rnnrt_stream *s[S];
    assert_int_equal(create_batcher(m, 0, &b), RNNRT_OK);
    for (int i = 0; i < S; i++)
        assert_int_equal(rnnrt_stream_open(b, &s[i]), RNNRT_OK);
    int t[S] = {0};
    rnnrt_alloc_fail_after(1, 1);
    for (int r = 0; r < ROUNDS; r++)
        for (int i = 0; i < S; i++) {
            const int n = 1 + (r + i) % 3;
            if (t[i] + n > T)
                continue;
            if (rnnrt_stream_push(s[i], x + t[i] * ST_I, n, y + ((size_t)i * T + t[i]) * ST_O))
                fail_msg("round %d, stream %d: %s", r, i, rnnrt_last_error());
            t[i] += n;
            if ((r + i) % 2 && rnnrt_stream_wait(s[i], -1))
                fail_msg("round %d, stream %d: %s", r, i, rnnrt_last_error());
        }
    for (int i = 0; i < S; i++)
        assert_int_equal(rnnrt_stream_wait(s[i], -1), RNNRT_OK);
    long made = rnnrt_alloc_fail_after(0, 0);
    if (made)
        fail_msg("steady pushes and steps made %ld allocations", made);
    for (int i = 0; i < S; i++) {
        assert_int_equal(rnnrt_forward(m, NULL, x, t[i], 1, NULL, want), RNNRT_OK);
        if (memcmp(y + (size_t)i * T * ST_O, want, (size_t)t[i] * ST_O * sizeof(float)))
            fail_msg("stream %d differs from its whole sequence", i);
    }
    rnnrt_batcher_free(b);
    rnnrt_model_free(m);
    free(x);
    free(want);
    free(y);
}

/* tests/data/stack/lstm_char: embedding, LSTM, head, vocabulary. */
static rnnrt_model *load_char_model(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/stack/lstm_char.model.safetensors", test_data_dir);
    rnnrt_model *m;
    assert_int_equal(rnnrt_model_load(path, &m), RNNRT_OK);
    return m;
}

/* Token pushes and generation (sampling at temperature 0.8, top-k 3 included) allocate
 * nothing either once the batcher runs. */
static void generation_allocates_nothing(void **st)
{
    (void)st;
    hook_off();
    rnnrt_model *m = load_char_model();
    rnnrt_batcher *b;
    rnnrt_stream *s[2];
    assert_int_equal(create_batcher(m, 0, &b), RNNRT_OK);
    for (int i = 0; i < 2; i++)
        assert_int_equal(rnnrt_stream_open(b, &s[i]), RNNRT_OK);
    int prompt[3] = {1, 2, 3}, out[2][40];
    float logits[3 * 12];
    rnnrt_alloc_fail_after(1, 1);
    for (int i = 0; i < 2; i++) {
        if (rnnrt_stream_push_tokens(s[i], prompt, 3, 0, logits, NULL, NULL) ||
            rnnrt_stream_generate(s[i], prompt, 2, 40, 0.8f, i ? 3 : 0, 7, out[i], NULL, NULL))
            fail_msg("stream %d: %s", i, rnnrt_last_error());
    }
    for (int i = 0; i < 2; i++)
        if (rnnrt_stream_wait(s[i], -1))
            fail_msg("stream %d: %s", i, rnnrt_last_error());
    long made = rnnrt_alloc_fail_after(0, 0);
    if (made)
        fail_msg("token pushes and generation made %ld allocations", made);
    rnnrt_batcher_free(b);
    rnnrt_model_free(m);
}

/* --- sizes refused before any allocation --------------------------------------------- */

/* With a state, a whole-model call allocates nothing once a call of its shape has run: its
 * scratch (for the batch-first calls the transposes' too) is kept in the state. */
static void streaming_allocates_nothing(void **st)
{
    (void)st;
    hook_off();
    rnnrt_model *m = load_char_model();
    const int n = rnnrt_model_logits_size(m), in = rnnrt_model_input_size(m);
    int ids[TOK_T * TOK_B] = {0};
    float x[TOK_T * TOK_B * 64] = {0};
    assert_true(in <= 64);
    float *out = malloc((size_t)TOK_T * TOK_B * n * sizeof *out);
    for (int call = 0; call < 4; call++) {
        rnnrt_state *s;
        assert_int_equal(rnnrt_state_create(m, TOK_B, &s), RNNRT_OK);
        long count = 0;
        for (int k = 0; k < 2; k++) {
            rnnrt_alloc_fail_after(0, 0);
            rnnrt_status r = whole_call(m, call, s, ids, x, out);
            count = rnnrt_alloc_fail_after(0, 0);
            assert_int_equal(r, RNNRT_OK);
            if (!k && !count) /* the first call reserves the scratch: the count counts */
                fail_msg("%s: the first call with a state made no allocation",
                         token_calls[call]);
        }
        if (count)
            fail_msg("%s: the second call with a state made %ld allocations", token_calls[call],
                     count);
        rnnrt_state_free(s);
    }
    free(out);
    rnnrt_model_free(m);
}

static void refused_sizes_allocate_nothing(void **st)
{
    (void)st;
    golden g;
    golden_load(test_data_dir, "lstm_3layer_bidir", &g);
    float x[64] = {0}, y[64];
    rnnrt_state *s = NULL;
    /* I = H = 256: seq_len x batch x 256 floats reaches 2^64 bytes at seq_len 2^30 with
     * batch 2^24, and wraps (tests/stress/test_limits.c has the other wrap cases) */
    const model_spec spec = {RNNRT_CELL_LSTM, 256, 256, 0, 1, 1, 1, 1};
    rnnrt_model *wide = build_model(&spec);
    int wrap_t = wrapping_seq_len(1 << 24, 256);
    rnnrt_alloc_fail_after(0, 0);
    assert_int_equal(rnnrt_forward(g.model, NULL, x, INT32_MAX, INT32_MAX, NULL, y),
                     RNNRT_E_INVALID);
    assert_int_equal(rnnrt_forward(wide, NULL, x, wrap_t, 1 << 24, NULL, y), RNNRT_E_INVALID);
    assert_int_equal(rnnrt_forward(wide, NULL, x, wrap_t + 1, 1 << 24, NULL, y),
                     RNNRT_E_INVALID);
    assert_int_equal(rnnrt_forward_batch_first(g.model, NULL, x, INT32_MAX, INT32_MAX, NULL, y),
                     RNNRT_E_INVALID);
    assert_int_equal(rnnrt_forward_batch_first(wide, NULL, x, wrap_t, 1 << 24, NULL, y),
                     RNNRT_E_INVALID);
    assert_int_equal(rnnrt_state_create(g.model, INT32_MAX, &s), RNNRT_E_INVALID);
    assert_null(s);
    long made = rnnrt_alloc_fail_after(0, 0);
    if (made)
        fail_msg("%ld allocations before refusing a size", made);
    rnnrt_model_free(wide);
    golden_free(&g);
}

static int report(void **st)
{
    (void)st;
    print_message("[  INFO    ] %ld allocation sites failed one at a time (and again sticky); "
                  "%ld failures absorbed with a correct result\n", sites_failed, absorbed);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        test_data_dir = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(load_fails_cleanly),
        cmocka_unit_test(state_create_fails_cleanly),
        cmocka_unit_test(forward_fails_cleanly),
        cmocka_unit_test(lazy_packing_fails_cleanly),
        cmocka_unit_test(token_path_fails_cleanly),
        cmocka_unit_test(streaming_allocates_nothing),
        cmocka_unit_test(refused_sizes_allocate_nothing),
        cmocka_unit_test(batcher_fails_cleanly),
        cmocka_unit_test(streams_allocate_nothing),
        cmocka_unit_test(generation_allocates_nothing),
    };
    return cmocka_run_group_tests_name("alloc_fail", tests, NULL, report);
}
