/* Limits: sizes that would overflow size_t or cannot be real are refused with
 * RNNRT_E_INVALID / RNNRT_E_FORMAT and a message that names the size, before anything is
 * read or written (the alloc_fail suite checks that nothing is allocated either); files at
 * the edge of what the format allows still load. docs/reliability.md lists the limits. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model.h"
#include "model_build.h"
#include "model_builder.h"
#include "test_util.h"

#define MAX_DIM RNNRT_MAX_DIM

static const char *shipped_model; /* models/charlstm.safetensors, from argv[2] */

static void expect_refused(rnnrt_status got, rnnrt_status want, const char *word,
                           const char *what)
{
    if (got != want || !strstr(rnnrt_last_error(), word))
        fail_msg("%s: status %d, message '%s'; expected status %d and a message with '%s'",
                 what, got, rnnrt_last_error(), want, word);
}

static rnnrt_model *golden_model(const char *name)
{
    char path[512];
    rnnrt_model *m;
    snprintf(path, sizeof path, "%s/golden/%s.model.safetensors", test_data_dir, name);
    if (rnnrt_model_load(path, &m))
        fail_msg("%s: %s", path, rnnrt_last_error());
    return m;
}

/* --- forward and state sizes ------------------------------------------------------------ */

/* No y or x is touched: every float still holds the canary. */
static void assert_untouched(const float *y, size_t n, const char *what)
{
    for (size_t j = 0; j < n; j++) {
        uint32_t bits;
        memcpy(&bits, &y[j], sizeof bits);
        if (bits != 0x5a5a5a5au)
            fail_msg("%s: out[%zu] was written", what, j);
    }
}

/* The two entry points with rnnrt_forward's limits: time-major and batch-first. */
typedef rnnrt_status (*forward_t)(const rnnrt_model *, rnnrt_state *, const float *, int, int,
                                  const int *, float *);
static const forward_t forward_fn[2] = {rnnrt_forward, rnnrt_forward_batch_first};
static const char *const forward_name[2] = {"rnnrt_forward", "rnnrt_forward_batch_first"};

static void forward_refuses_sizes_past_size_t(void **st)
{
    (void)st;
    rnnrt_model *m = golden_model("lstm_3layer_bidir");
    float x[16] = {0}, y[16];
    const int sizes[][2] = {{INT_MAX, INT_MAX}, {1 << 30, 1 << 30}, {INT_MAX, 1 << 28},
                            {1 << 28, INT_MAX}, {INT_MAX, MAX_DIM}, {1 << 30, 1 << 13}};
    for (size_t k = 0; k < 2 * (sizeof sizes / sizeof sizes[0]); k++) {
        const int *size = sizes[k / 2], bf = k % 2;
        memset(y, 0x5a, sizeof y);
        char what[96];
        snprintf(what, sizeof what, "%s(seq_len %d, batch %d)", forward_name[bf], size[0],
                 size[1]);
        /* x and y are far too small: the call must not touch them */
        /* batches past MAX_DIM are refused as such, before any size product */
        expect_refused(forward_fn[bf](m, NULL, x, size[0], size[1], NULL, y), RNNRT_E_INVALID,
                       size[1] > MAX_DIM ? "batch" : "too large", what);
        assert_untouched(y, 16, what);
    }
    rnnrt_model_free(m);
}

/* At the wrap boundary of 64 bits: seq_len 2^30 x batch 2^24 x width 256 x 4 bytes is 2^64,
 * which wraps to 0; one step more wraps to 2^34 bytes, an array that could exist. Both
 * must be refused as too large, before anything is allocated (the alloc_fail suite counts
 * the allocations); a check that wraps sends them on to allocate a zero state of 16 GB. */
static void forward_refuses_sizes_that_wrap(void **st)
{
    (void)st;
    const model_spec spec = {RNNRT_CELL_LSTM, 256, 256, 0, 1, 1, 1, 1};
    rnnrt_model *m = build_model(&spec);
    float x[16] = {0}, y[16];
    int t = wrapping_seq_len(MAX_DIM, 256);
    assert_int_equal(t, 1 << 30);
    const int sizes[][2] = {{t, MAX_DIM}, {t + 1, MAX_DIM}, {INT_MAX, MAX_DIM}, {t, MAX_DIM - 1}};
    for (size_t k = 0; k < 2 * (sizeof sizes / sizeof sizes[0]); k++) {
        const int *size = sizes[k / 2], bf = k % 2;
        char what[96];
        snprintf(what, sizeof what, "%s(seq_len %d, batch %d, width 256)", forward_name[bf],
                 size[0], size[1]);
        memset(y, 0x5a, sizeof y);
        expect_refused(forward_fn[bf](m, NULL, x, size[0], size[1], NULL, y), RNNRT_E_INVALID,
                       "too large", what);
        assert_untouched(y, 16, what);
    }
    rnnrt_model_free(m);
}

typedef rnnrt_status (*tokens_fn)(const rnnrt_model *, rnnrt_state *, const int *, int, int,
                                  const int *, int, float *);
typedef rnnrt_status (*head_fn)(const rnnrt_model *, rnnrt_state *, const float *, int, int,
                                const int *, int, float *);

/* The token and head forwards check seq_len x batch x (input + output + logits) floats, the
 * scratch they need per step: at the seq_len where that wraps, they refuse, time-major and
 * batch-first. */
static void token_and_head_forwards_refuse_sizes_that_wrap(void **st)
{
    (void)st;
    rnnrt_model *m;
    if (rnnrt_model_load(shipped_model, &m))
        fail_msg("%s: %s", shipped_model, rnnrt_last_error());
    uint64_t width = (uint64_t)rnnrt_model_input_size(m) + rnnrt_model_output_size(m) +
                     rnnrt_model_logits_size(m);
    int ids[16] = {0};
    float x[16] = {0}, out[16];
    for (int batch = MAX_DIM; batch >= MAX_DIM / 2; batch -= MAX_DIM / 2) {
        int t = wrapping_seq_len(batch, width);
        char what[128];
        static const tokens_fn tokens[2] = {rnnrt_forward_tokens,
                                            rnnrt_forward_tokens_batch_first};
        static const head_fn head[2] = {rnnrt_forward_head, rnnrt_forward_head_batch_first};
        static const char *const suffix[2] = {"", "_batch_first"};
        for (int last = 0; last <= 1; last++)
            for (int bf = 0; bf < 2; bf++) {
                snprintf(what, sizeof what, "rnnrt_forward_tokens%s(seq_len %d, batch %d%s)",
                         suffix[bf], t, batch, last ? ", last step" : "");
                memset(out, 0x5a, sizeof out);
                expect_refused(tokens[bf](m, NULL, ids, t, batch, NULL, last, out),
                               RNNRT_E_INVALID, "too large", what);
                assert_untouched(out, 16, what);
                snprintf(what, sizeof what, "rnnrt_forward_head%s(seq_len %d, batch %d%s)",
                         suffix[bf], t, batch, last ? ", last step" : "");
                expect_refused(head[bf](m, NULL, x, t, batch, NULL, last, out),
                               RNNRT_E_INVALID, "too large", what);
                assert_untouched(out, 16, what);
            }
    }
    rnnrt_model_free(m);
}

/* A state's h and c: layers x directions x batch x (h_size + hidden) floats. No loadable
 * file has a shape that reaches 2^48 bytes of state, so the shape is set in place (only the
 * fields rnnrt_state_create reads): 1024 layers x 2 directions x 2 x 2^24 floats is 2^38
 * bytes a sequence, so batch 2^10 + 1 passes 2^48 bytes and batch 2^24 reaches 2^62. */
static void state_create_refuses_states_past_2_48_bytes(void **st)
{
    (void)st;
    rnnrt_model shape = {.cell = RNNRT_CELL_LSTM, .gates = 4, .layers = 1024, .directions = 2,
                         .input_size = MAX_DIM, .hidden = MAX_DIM, .h_size = MAX_DIM};
    const int batches[] = {(1 << 10) + 1, MAX_DIM};
    for (size_t k = 0; k < sizeof batches / sizeof batches[0]; k++) {
        rnnrt_state *s = (rnnrt_state *)&s;
        char what[96];
        snprintf(what, sizeof what, "rnnrt_state_create(1024 x 2 x 2^24 LSTM, batch %d)",
                 batches[k]);
        expect_refused(rnnrt_state_create(&shape, batches[k], &s), RNNRT_E_INVALID,
                       "too large", what);
        assert_ptr_equal(s, (rnnrt_state *)&s);
    }
}

static void state_create_refuses_huge_batches(void **st)
{
    (void)st;
    rnnrt_model *m = golden_model("lstm_3layer_bidir");
    const int batches[] = {INT_MAX, MAX_DIM + 1, 0, -1, INT_MIN};
    for (size_t k = 0; k < sizeof batches / sizeof batches[0]; k++) {
        rnnrt_state *s = (rnnrt_state *)&s;
        char what[64];
        snprintf(what, sizeof what, "rnnrt_state_create(batch %d)", batches[k]);
        expect_refused(rnnrt_state_create(m, batches[k], &s), RNNRT_E_INVALID, "batch", what);
        assert_ptr_equal(s, (rnnrt_state *)&s);
    }
    rnnrt_model_free(m);
}

/* --- loader sizes ------------------------------------------------------------------------ */

static void expect_load(const char *json, size_t data_size, rnnrt_status want, const char *word,
                        const char *what)
{
    size_t size;
    unsigned char *file = mb_pack(json, NULL, data_size, &size);
    rnnrt_model *m = NULL;
    rnnrt_status s = rnnrt_model_load_memory(file, size, &m);
    free(file);
    if (want == RNNRT_OK) {
        if (s)
            fail_msg("%s: refused: %s", what, rnnrt_last_error());
        rnnrt_model_free(m);
        return;
    }
    expect_refused(s, want, word, what);
    assert_null(m);
}

static void loader_refuses_impossible_sizes(void **st)
{
    (void)st;
    char json[1024];
    static const struct {
        const char *json, *word, *what;
        size_t data_size;
    } headers[] = {
        /* offsets past 2^53 are not exact in JSON's doubles */
        {"{\"weight_ih_l0\":{\"dtype\":\"F32\",\"shape\":[4,1],"
         "\"data_offsets\":[0,18014398509481984]}}", "data_offsets", "offsets past 2^53", 16},
        /* a shape whose element count overflows 64 bits */
        {"{\"weight_ih_l0\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],"
         "\"data_offsets\":[0,16]}}", "overflows", "element count past 2^64", 16},
        /* bytes past 2^64 although the count fits */
        {"{\"weight_ih_l0\":{\"dtype\":\"F64\",\"shape\":[4503599627370496,2048],"
         "\"data_offsets\":[0,16]}}", "weight_ih_l0", "byte count past 2^64", 16},
        /* element and byte counts of exactly 2^64: they wrap to 0, an empty span's size */
        {"{\"weight_ih_l0\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
         "\"data_offsets\":[0,0]}}", "overflows", "element count of exactly 2^64", 0},
        {"{\"weight_ih_l0\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],"
         "\"data_offsets\":[0,0]}}", "weight_ih_l0", "2^62 floats: 2^64 bytes", 0},
        /* nine dimensions */
        {"{\"weight_ih_l0\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,4],"
         "\"data_offsets\":[0,16]}}", "dimensions", "9 dimensions", 16},
    };
    for (size_t k = 0; k < sizeof headers / sizeof headers[0]; k++)
        expect_load(headers[k].json, headers[k].data_size, RNNRT_E_FORMAT, headers[k].word,
                    headers[k].what);
    /* a layer index past RNNRT_MAX_LAYERS (1024) */
    snprintf(json, sizeof json,
             "{\"weight_ih_l0\":{\"dtype\":\"F32\",\"shape\":[4,1],\"data_offsets\":[0,16]},"
             "\"weight_hh_l0\":{\"dtype\":\"F32\",\"shape\":[4,1],\"data_offsets\":[16,32]},"
             "\"weight_ih_l1024\":{\"dtype\":\"F32\",\"shape\":[4,1],\"data_offsets\":[32,48]}}");
    expect_load(json, 48, RNNRT_E_FORMAT, "weight_ih_l1024", "layer 1024");
    snprintf(json, sizeof json,
             "{\"weight_ih_l0\":{\"dtype\":\"F32\",\"shape\":[4,1],\"data_offsets\":[0,16]},"
             "\"weight_hh_l0\":{\"dtype\":\"F32\",\"shape\":[4,1],\"data_offsets\":[16,32]},"
             "\"weight_ih_l99999999999999999999\":{\"dtype\":\"F32\",\"shape\":[4,1],"
             "\"data_offsets\":[32,48]}}");
    expect_load(json, 48, RNNRT_E_FORMAT, "weight_ih_l9999", "layer index past 2^64");
    /* JSON nested far deeper than any header: refused, no stack overflow */
    enum { DEPTH = 100000 };
    char *deep = malloc(2 * DEPTH + 32);
    size_t n = (size_t)sprintf(deep, "{\"a\":");
    for (int k = 0; k < DEPTH; k++)
        deep[n++] = '[';
    for (int k = 0; k < DEPTH; k++)
        deep[n++] = ']';
    strcpy(deep + n, "}");
    expect_load(deep, 0, RNNRT_E_FORMAT, "JSON", "JSON nested 100000 deep");
    free(deep);
}

/* A dimension past RNNRT_MAX_DIM with every byte present: refused by the dimension check
 * itself (U8 keeps the file at 64 MB; the dimensions are checked before the dtype). */
static void loader_refuses_dims_past_max_dim(void **st)
{
    (void)st;
    char json[512];
    const uint64_t cols = (uint64_t)MAX_DIM + 1, bytes = 4 * cols;
    snprintf(json, sizeof json,
             "{\"weight_ih_l0\":{\"dtype\":\"U8\",\"shape\":[4,%llu],\"data_offsets\":[0,%llu]},"
             "\"weight_hh_l0\":{\"dtype\":\"U8\",\"shape\":[4,1],\"data_offsets\":[%llu,%llu]}}",
             (unsigned long long)cols, (unsigned long long)bytes, (unsigned long long)bytes,
             (unsigned long long)bytes + 4);
    expect_load(json, (size_t)bytes + 4, RNNRT_E_FORMAT, "16777216", "input size 2^24 + 1");
}

/* The header may be up to 100 MB; one byte more is refused before it is parsed. */
static void loader_refuses_headers_past_100mb(void **st)
{
    (void)st;
    const size_t limit = (size_t)100 << 20;
    char *json = malloc(limit + 2);
    memset(json, ' ', limit + 1);
    json[0] = '{';
    json[limit] = '}';
    json[limit + 1] = '\0';
    expect_load(json, 0, RNNRT_E_FORMAT, "100 MB", "header of 100 MB + 1 byte");
    json[limit - 1] = '}';
    json[limit] = '\0';
    /* exactly 100 MB of (valid, empty) JSON: parsed, then no recurrent layer */
    expect_load(json, 0, RNNRT_E_FORMAT, "weight_ih_l0", "header of exactly 100 MB");
    free(json);
}

/* --- edges that must still load ---------------------------------------------------------- */

static float small_fill(void *ctx, const char *kind, int layer, int dir, int row, int col)
{
    (void)ctx, (void)kind, (void)dir;
    return (float)((layer * 7 + row * 3 + col) % 5) * 0.1f - 0.2f;
}

/* A prefix of 2000 characters and 40,000 unrelated tensors next to the model. */
static void long_prefix_and_many_tensors_load(void **st)
{
    (void)st;
    mb_shape shape = {"lstm", 2, 3, 0, 2, 1, 1};
    size_t size;
    unsigned char *plain = mb_model(&shape, small_fill, NULL, &size);
    uint64_t hlen = 0;
    for (int k = 7; k >= 0; k--)
        hlen = hlen << 8 | plain[k];
    const char *header = (const char *)plain + 8;
    const unsigned char *data = plain + 8 + hlen;
    size_t data_size = size - 8 - hlen;

    /* the same JSON with every "weight_..."/"bias_..." name prefixed */
    enum { PREFIX = 2000, EXTRA = 40000 };
    char *prefix = malloc(PREFIX + 2);
    memset(prefix, 'p', PREFIX);
    prefix[PREFIX - 1] = '.';
    prefix[PREFIX] = '\0';
    size_t cap = 2 * hlen + 64 * (size_t)PREFIX + (size_t)EXTRA * 96;
    char *json = malloc(cap);
    size_t n = 0;
    for (size_t k = 0; k < hlen; k++) {
        if (header[k] == '"' && (!strncmp(header + k + 1, "weight_", 7) ||
                                 !strncmp(header + k + 1, "bias_", 5))) {
            n += (size_t)sprintf(json + n, "\"%s", prefix);
            continue;
        }
        json[n++] = header[k];
    }
    json[n - 1] = '\0'; /* drop the closing brace, append the unrelated tensors */
    n--;
    for (int k = 0; k < EXTRA; k++)
        n += (size_t)sprintf(json + n, ",\"other.t%d\":{\"dtype\":\"F32\",\"shape\":[0],"
                                       "\"data_offsets\":[0,0]}", k);
    strcpy(json + n, "}");
    size_t fsize;
    unsigned char *file = mb_pack(json, data, data_size, &fsize);
    rnnrt_model *m = NULL;
    if (rnnrt_model_load_memory(file, fsize, &m))
        fail_msg("a model under a %d-character prefix next to %d other tensors: %s", PREFIX,
                 EXTRA, rnnrt_last_error());
    assert_int_equal(rnnrt_model_num_layers(m), 2);
    rnnrt_model_free(m);
    free(file);
    free(json);
    free(prefix);
    free(plain);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: test_limits DATA_DIR SHIPPED_MODEL\n");
        return 2;
    }
    test_data_dir = argv[1];
    shipped_model = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(forward_refuses_sizes_past_size_t),
        cmocka_unit_test(forward_refuses_sizes_that_wrap),
        cmocka_unit_test(token_and_head_forwards_refuse_sizes_that_wrap),
        cmocka_unit_test(state_create_refuses_states_past_2_48_bytes),
        cmocka_unit_test(state_create_refuses_huge_batches),
        cmocka_unit_test(loader_refuses_impossible_sizes),
        cmocka_unit_test(loader_refuses_dims_past_max_dim),
        cmocka_unit_test(loader_refuses_headers_past_100mb),
        cmocka_unit_test(long_prefix_and_many_tensors_load),
    };
    return cmocka_run_group_tests_name("limits", tests, NULL, NULL);
}
