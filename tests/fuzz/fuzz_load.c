/* libFuzzer target: any bytes through rnnrt_model_load_memory(); every model that loads then
 * runs small forward passes under every forward variant, with and without a state and
 * lengths. Besides the sanitizers' reports, the harness aborts when a contract of the API
 * is broken:
 *  - a rejected file leaves *out NULL, returns FORMAT, UNSUPPORTED or NOMEM, and says why;
 *  - a loaded model reports a consistent shape;
 *  - forward passes on valid arguments succeed; y is exactly zero past each sequence's
 *    length; for unidirectional models two chunks through a state give the bytes of one
 *    call; a full-length sequence does not depend on the other sequences' lengths (bitwise
 *    for the reference variant, the oracle; within 1e-4 for the others, whose tiles may
 *    change with the number of sequences still running). "Bitwise" counts any two NaNs
 *    as equal;
 *  - a whole model's embedding, head and vocabulary work (see run_stack);
 *  - it loads and runs with bf16 and int8 weights too (see run_reduced).
 * tests/fuzz/replay.c runs the same function on the committed corpus and regressions in the
 * default test suite. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rnnrt.h"

#define FUZZ_TARGET "fuzz_load"
#include "fuzz_check.h"

enum { T = 3, B = 3 };
static const int lengths[B] = {T, 1, 2}; /* sequence 0 runs the whole length */
static const char *const variants[] = {"reference", "blocked"};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* Two threads split the batch: exercises the per-thread workspaces at little cost. */
    rnnrt_set_num_threads(2);
    return 0;
}

static void check_model(const rnnrt_model *m)
{
    int layers = rnnrt_model_num_layers(m), dirs = rnnrt_model_num_directions(m);
    int hidden = rnnrt_model_hidden_size(m), proj = rnnrt_model_proj_size(m);
    int h = rnnrt_model_state_h_size(m), in = rnnrt_model_input_size(m);
    rnnrt_cell cell = rnnrt_model_cell(m);
    FUZZ_CHECK(layers >= 1 && (dirs == 1 || dirs == 2) && hidden >= 1 && in >= 1, "shape");
    FUZZ_CHECK(proj >= 0 && h == (proj ? proj : hidden), "h size %d, proj %d", h, proj);
    FUZZ_CHECK(rnnrt_model_output_size(m) == dirs * h, "output size");
    FUZZ_CHECK(cell >= RNNRT_CELL_LSTM && cell <= RNNRT_CELL_GRU_RESET_BEFORE, "cell %d", cell);
    FUZZ_CHECK(cell == RNNRT_CELL_LSTM || cell == RNNRT_CELL_LSTM_PEEPHOLE ||
                   cell == RNNRT_CELL_LSTM_COUPLED || proj == 0,
               "%s with a projection", rnnrt_model_cell_name(m));
    FUZZ_CHECK(strlen(rnnrt_model_cell_name(m)) > 0, "cell name");
    for (int u = 0; u < layers * dirs; u++) { /* rnnrt.activation_functions, as text */
        const char *f = rnnrt_model_activation_functions(m, u / dirs, u % dirs);
        FUZZ_CHECK(f && *f, "gate functions of layer %d, direction %d", u / dirs, u % dirs);
    }
    FUZZ_CHECK(rnnrt_model_batch_major(m) == 0 || rnnrt_model_batch_major(m) == 1, "layout");
}

/* Runs T steps of B sequences; y gets NaN-filled first so that unwritten outputs show. */
static void forward(const rnnrt_model *m, rnnrt_state *s, const float *x, int seq_len,
                    const int *lens, float *y, size_t ny)
{
    for (size_t k = 0; k < ny; k++)
        y[k] = NAN;
    rnnrt_status st = rnnrt_forward(m, s, x, seq_len, B, lens, y);
    FUZZ_CHECK(st == RNNRT_OK, "forward failed: %s", rnnrt_last_error());
}

/* Bitwise equality, except that any two NaNs are equal: the sign and payload of a NaN are
 * not specified by IEEE 754 arithmetic, and depend on the order of operations. */
static int same(float a, float b)
{
    return !memcmp(&a, &b, sizeof a) || (isnan(a) && isnan(b));
}

static int close_enough(float a, float b, int exact)
{
    if (exact)
        return same(a, b);
    if (isnan(a) || isnan(b) || isinf(a) || isinf(b))
        return 1; /* overflow may be reached by another order of operations */
    return fabsf(a - b) <= 1e-4f * fmaxf(1.0f, fabsf(a));
}

static void run_variant(const rnnrt_model *m, const float *x, float *y, float *y2, size_t ny,
                        int exact)
{
    const int in = rnnrt_model_input_size(m), out = rnnrt_model_output_size(m);
    const size_t step = (size_t)B * out;

    /* 1. zeros in, every sequence full length */
    forward(m, NULL, x, T, NULL, y, ny);

    /* 2. through a state, with lengths: zeros past each end, sequence 0 unchanged */
    rnnrt_state *s;
    FUZZ_CHECK(rnnrt_state_create(m, B, &s) == RNNRT_OK, "state: %s", rnnrt_last_error());
    forward(m, s, x, T, lengths, y2, ny);
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            for (int j = 0; j < out; j++) {
                float v = y2[t * step + (size_t)b * out + j];
                if (t >= lengths[b])
                    FUZZ_CHECK(v == 0.0f, "y[%d][%d][%d] = %g past the end", t,
                               b, j, v);
                else if (b == 0)
                    FUZZ_CHECK(close_enough(v, y[t * step + j], exact),
                               "y[%d][0][%d]: %.9g with lengths, %.9g without", t, j, v,
                               y[t * step + j]);
            }

    /* 3. the state carries on: a second call from the state left by the first */
    forward(m, s, x, T, NULL, y2, ny);

    /* 4. forward in time only: chunks of 1 and T-1 steps equal one call of T steps (a
     * layer declared reverse starts from the end of each call, as the backward half of a
     * bidirectional layer does) */
    int any_reverse = 0;
    for (int l = 0; l < rnnrt_model_num_layers(m); l++)
        any_reverse |= rnnrt_model_layer_reverse(m, l) == 1;
    if (rnnrt_model_num_directions(m) == 1 && !any_reverse) {
        FUZZ_CHECK(rnnrt_state_reset(s) == RNNRT_OK, "reset");
        forward(m, s, x, 1, NULL, y2, step);
        forward(m, s, x + (size_t)B * in, T - 1, NULL, y2 + step, ny - step);
        for (size_t k = 0; k < ny; k++)
            FUZZ_CHECK(same(y[k], y2[k]), "y[%zu]: %.9g from two chunks, %.9g from one call", k,
                       y2[k], y[k]);
    }
    rnnrt_state_free(s);
}

/* The embedding, head and vocabulary of a whole model (runtime/stack.c), when it has them:
 * rnnrt_forward_tokens and rnnrt_forward_head succeed, with zeros past each length; every
 * character of the vocabulary encodes to its own id. */
static void run_stack(const rnnrt_model *m, const float *x)
{
    const int vocab = rnnrt_model_vocab_size(m), chars = rnnrt_model_num_chars(m);
    const int n = rnnrt_model_logits_size(m);
    FUZZ_CHECK(vocab >= 0 && chars >= 0 && chars <= vocab && n >= 1, "vocab %d, chars %d, "
               "logits %d", vocab, chars, n);
    const size_t nout = (size_t)T * B * n;
    float *out = malloc(nout * sizeof *out);
    if (!out)
        abort();
    if (vocab > 0) {
        int ids[T * B];
        for (int k = 0; k < T * B; k++)
            ids[k] = (k * 7 + 3) % vocab;
        ids[T * B - 1] = -1; /* past sequence 2's length: must not be read */
        for (size_t k = 0; k < nout; k++)
            out[k] = NAN;
        rnnrt_status st = rnnrt_forward_tokens(m, NULL, ids, T, B, lengths, 0, out);
        FUZZ_CHECK(st == RNNRT_OK, "forward_tokens: %s", rnnrt_last_error());
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
                for (int j = 0; t >= lengths[b] && j < n; j++)
                    FUZZ_CHECK(out[((size_t)t * B + b) * n + j] == 0.0f, "logits past the end");
        st = rnnrt_forward_tokens(m, NULL, ids, T, B, lengths, 1, out);
        FUZZ_CHECK(st == RNNRT_OK, "forward_tokens, last step: %s", rnnrt_last_error());
    }
    rnnrt_status st = rnnrt_forward_head(m, NULL, x, T, B, lengths, 0, out);
    FUZZ_CHECK(st == RNNRT_OK, "forward_head: %s", rnnrt_last_error());
    for (int id = 0; id < chars; id++) {
        const char *text = rnnrt_model_token(m, id);
        FUZZ_CHECK(text && text[0], "token %d has no text", id);
        int got[8], count = 0;
        st = rnnrt_model_encode(m, text, got, 8, &count);
        FUZZ_CHECK(st == RNNRT_OK && count == 1 && got[0] == id,
                   "token %d ('%s') encodes to %d id(s), first %d: %s", id, text, count,
                   count ? got[0] : -1, rnnrt_last_error());
    }
    FUZZ_CHECK(rnnrt_model_token(m, chars) == NULL && rnnrt_model_token(m, -1) == NULL,
               "token text past the vocabulary");
    free(out);
}

/* run_variant under every forward variant, the reference (the oracle) bitwise; the
 * process-wide variant is restored. */
static void run_variants(const rnnrt_model *m, const float *x, float *y, float *y2, size_t ny)
{
    const char *chosen = rnnrt_variant();
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++)
        if (rnnrt_set_variant(variants[v]) == RNNRT_OK)
            run_variant(m, x, y, y2, ny, v == 0);
    rnnrt_set_variant(chosen);
}

/* A file that loads as f32 loads as bf16 too, and as int8 unless a weight is not finite
 * (UNSUPPORTED, with a message); the reduced model then keeps every contract above under
 * both variants. (Its blocked pass is not compared with its reference pass here: on hostile
 * weights, float32 and double sums of huge pre-activations legitimately differ.) */
static void run_reduced(const uint8_t *data, size_t size, const float *x, float *y, float *y2,
                        size_t ny)
{
    static const char *const types[] = {"bf16", "int8"};
    for (int t = 0; t < 2; t++) {
        rnnrt_options *o;
        rnnrt_model *m = (rnnrt_model *)&m;
        FUZZ_CHECK(rnnrt_options_create(&o) == RNNRT_OK &&
                       rnnrt_options_set(o, "weights", types[t]) == RNNRT_OK,
                   "options");
        rnnrt_status st = rnnrt_model_load_memory_ex(data, size, o, &m);
        rnnrt_options_free(o);
        if (st == RNNRT_E_NOMEM)
            continue;
        FUZZ_CHECK(st == RNNRT_OK || (t == 1 && st == RNNRT_E_UNSUPPORTED &&
                                      strstr(rnnrt_last_error(), "finite")),
                   "%s load: status %d: %s", types[t], st, rnnrt_last_error());
        if (st != RNNRT_OK) {
            FUZZ_CHECK(m == (rnnrt_model *)&m, "failed load wrote *out");
            continue;
        }
        check_model(m);
        FUZZ_CHECK(!strcmp(rnnrt_model_weights(m), types[t]), "weights %s",
                   rnnrt_model_weights(m));
        run_variants(m, x, y, y2, ny);
        rnnrt_model_free(m);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rnnrt_model *m = (rnnrt_model *)&m; /* any non-NULL value: a failure must reset it */
    rnnrt_status st = rnnrt_model_load_memory(data, size, &m);
    if (st != RNNRT_OK) {
        FUZZ_CHECK(m == NULL || m == (rnnrt_model *)&m, "failed load wrote *out");
        FUZZ_CHECK(st == RNNRT_E_FORMAT || st == RNNRT_E_UNSUPPORTED || st == RNNRT_E_NOMEM ||
                       (size == 0 && st == RNNRT_E_INVALID),
                   "status %d", st);
        FUZZ_CHECK(rnnrt_last_error()[0] != '\0', "no message for status %d", st);
        return 0;
    }
    check_model(m);
    const int in = rnnrt_model_input_size(m), out = rnnrt_model_output_size(m);
    const size_t nx = (size_t)T * B * in, ny = (size_t)T * B * out;
    float *x = malloc(nx * sizeof *x), *y = malloc(ny * sizeof *y), *y2 = malloc(ny * sizeof *y);
    if (!x || !y || !y2)
        abort();
    uint32_t seed = (uint32_t)size * 2654435761u;
    for (size_t k = 0; k < nx; k++) {
        seed = seed * 1664525u + 1013904223u;
        x[k] = (float)(seed >> 8) / (float)(1u << 24) * 4.0f - 2.0f;
    }
    run_variants(m, x, y, y2, ny);
    run_stack(m, x);
    run_reduced(data, size, x, y, y2, ny);
    free(x);
    free(y);
    free(y2);
    rnnrt_model_free(m);
    return 0;
}
