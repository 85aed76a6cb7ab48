/* Whole models: embedding -> recurrent stack -> head against PyTorch (tests/data/stack, made
 * by tools/make_stack_tests.py), the shipped character model, streaming, the vocabulary,
 * sampling, and every kind of bad id, prompt and file.
 *
 * Tolerance against PyTorch: 1e-4 relative to max(1, |ref|). The recurrent stack alone is
 * within 1e-5 (tests/test_golden.c); the head adds a float dot product of up to 512 terms in
 * another order than PyTorch's, and logits of a trained model reach |20|. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rnnrt.h"
#include "safetensors.h"
#include "model_builder.h"
#include "stress/model_build.h"
#include "test_util.h"
#include "tuning.h"

#define TOL 1e-4

#define EXPECT_INVALID(call, msg)                                                          \
    do {                                                                                   \
        assert_int_equal((call), RNNRT_E_INVALID);                                         \
        if (!strstr(rnnrt_last_error(), (msg)))                                            \
            fail_msg("%s: message '%s' lacks '%s'", #call, rnnrt_last_error(), (msg));     \
    } while (0)

static const char *model_path = "models/charlstm.safetensors";

/* An io file: its tensors copied out to aligned arrays. */
typedef struct io_file {
    unsigned char *bytes;
    rnnrt_st_file st;
} io_file;

static void io_open(io_file *io, const char *name)
{
    char path[600];
    size_t size;
    snprintf(path, sizeof path, "%s/stack/%s", test_data_dir, name);
    io->bytes = read_file_bytes(path, &size);
    if (!io->bytes)
        fail_msg("cannot read %s", path);
    if (rnnrt_st_parse(io->bytes, size, &io->st))
        fail_msg("%s: %s", path, rnnrt_last_error());
}

static void io_close(io_file *io)
{
    rnnrt_st_free(&io->st);
    free(io->bytes);
}

/* A copy of tensor `name` (F32 or I32, 4 bytes an element), NULL if absent. */
static void *io_get(const io_file *io, const char *name, const rnnrt_st_tensor **t)
{
    const rnnrt_st_tensor *found = rnnrt_st_find(&io->st, name);
    if (t)
        *t = found;
    if (!found)
        return NULL;
    void *copy = malloc(found->nbytes ? found->nbytes : 1);
    memcpy(copy, found->data, found->nbytes);
    return copy;
}

static rnnrt_model *load_model(const char *path)
{
    rnnrt_model *m = NULL;
    if (rnnrt_model_load(path, &m))
        fail_msg("%s: %s", path, rnnrt_last_error());
    return m;
}

static rnnrt_model *load_case(const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/stack/%s.model.safetensors", test_data_dir, name);
    return load_model(path);
}

/* A stack case: its model, and its io file opened into io. */
static rnnrt_model *open_case(const char *name, io_file *io)
{
    char io_name[300];
    snprintf(io_name, sizeof io_name, "%s.io.safetensors", name);
    io_open(io, io_name);
    return load_case(name);
}

static void expect_close(const char *what, const float *got, const float *ref, size_t n)
{
    size_t at;
    double err = max_rel_error(got, ref, n, &at);
    if (err > TOL)
        fail_msg("%s: error %.3g at element %zu (got %.7g, PyTorch %.7g)", what, err, at,
                 (double)got[at], (double)ref[at]);
}

/* --- PyTorch's outputs --------------------------------------------------------------- */

static void check_case(const char *name)
{
    char what[400];
    io_file io;
    rnnrt_model *m = open_case(name, &io);
    const rnnrt_st_tensor *in, *out_t;
    int *ids = io_get(&io, "ids", &in);
    float *x = ids ? NULL : io_get(&io, "x", &in);
    int *lengths = io_get(&io, "lengths", NULL);
    float *ref = io_get(&io, "out", &out_t), *last = io_get(&io, "last", NULL);
    int T = (int)in->shape[0], B = (int)in->shape[1], N = rnnrt_model_logits_size(m);
    assert_int_equal(out_t->shape[2], N);
    size_t n = (size_t)T * B * N;
    float *y = malloc(n * sizeof *y);
    for (int last_only = 0; last_only < 2; last_only++) {
        memset(y, 0xff, n * sizeof *y); /* NaN: what is not written shows */
        rnnrt_status s = ids ? rnnrt_forward_tokens(m, NULL, ids, T, B, lengths, last_only, y)
                             : rnnrt_forward_head(m, NULL, x, T, B, lengths, last_only, y);
        if (s)
            fail_msg("%s: %s", name, rnnrt_last_error());
        snprintf(what, sizeof what, "%s (%s, variant %s)", name,
                 last_only ? "last step" : "every step", rnnrt_variant());
        expect_close(what, y, last_only ? last : ref, last_only ? (size_t)B * N : n);
    }
    if (ids && !lengths && rnnrt_model_num_directions(m) == 1) {
        /* one step per call with the state carried gives every step's output too */
        rnnrt_state *s;
        assert_int_equal(rnnrt_state_create(m, B, &s), RNNRT_OK);
        for (int t = 0; t < T; t++)
            assert_int_equal(rnnrt_forward_tokens(m, s, ids + (size_t)t * B, 1, B, NULL, 1,
                                                  y + (size_t)t * B * N), RNNRT_OK);
        snprintf(what, sizeof what, "%s (one step per call, variant %s)", name, rnnrt_variant());
        expect_close(what, y, ref, n);
        rnnrt_state_free(s);
    }
    free(y);
    free(ids);
    free(x);
    free(lengths);
    free(ref);
    free(last);
    rnnrt_model_free(m);
    io_close(&io);
}

/* check(name) for every case of tests/data/stack, under both forward variants. */
static void for_each_case(void (*check)(const char *name))
{
    char path[600];
    int count;
    snprintf(path, sizeof path, "%s/stack/MANIFEST", test_data_dir);
    char **names = manifest_read(path, &count);
    assert_true(count >= 6);
    static const char *const variants[] = {"reference", "blocked"};
    for (int v = 0; v < 2; v++) {
        if (rnnrt_set_variant(variants[v])) {
            print_message("variant %s not available: skipped\n", variants[v]);
            continue;
        }
        for (int k = 0; k < count; k++)
            check(names[k]);
    }
    rnnrt_set_variant("blocked");
    manifest_free(names, count);
}

static void cases_match_pytorch(void **st)
{
    (void)st;
    for_each_case(check_case);
}

/* The shipped model: PyTorch's logits at every step of prompts of several lengths, in one
 * call and character by character with the state carried. */
static void shipped_model_matches_pytorch(void **st)
{
    (void)st;
    io_file io;
    io_open(&io, "charlstm.io.safetensors");
    rnnrt_model *m = load_model(model_path);
    int V = rnnrt_model_logits_size(m);
    assert_int_equal(V, rnnrt_model_num_chars(m));
    assert_int_equal(V, rnnrt_model_vocab_size(m));
    int checked = 0;
    for (size_t k = 0; k < io.st.count; k++) {
        const char *name = io.st.tensors[k].name;
        if (strncmp(name, "ids_", 4))
            continue;
        char logits_name[64], what[128];
        snprintf(logits_name, sizeof logits_name, "logits_%s", name + 4);
        const rnnrt_st_tensor *t;
        int *ids = io_get(&io, name, &t);
        float *ref = io_get(&io, logits_name, NULL);
        int n = (int)t->shape[0];
        float *y = malloc((size_t)n * V * sizeof *y), *step = malloc((size_t)n * V * sizeof *y);
        assert_int_equal(rnnrt_forward_tokens(m, NULL, ids, n, 1, NULL, 0, y), RNNRT_OK);
        snprintf(what, sizeof what, "charlstm prompt of %d, one call", n);
        expect_close(what, y, ref, (size_t)n * V);
        rnnrt_state *s;
        assert_int_equal(rnnrt_state_create(m, 1, &s), RNNRT_OK);
        for (int t = 0; t < n; t++)
            assert_int_equal(rnnrt_forward_tokens(m, s, &ids[t], 1, 1, NULL, 1,
                                                  step + (size_t)t * V), RNNRT_OK);
        snprintf(what, sizeof what, "charlstm prompt of %d, one character per call", n);
        expect_close(what, step, ref, (size_t)n * V);
        /* streaming equals whole-prompt processing, to float rounding (the forward
         * variants may order sums differently for one step and for many) */
        size_t at;
        double err = max_rel_error(step, y, (size_t)n * V, &at);
        if (err > 1e-5)
            fail_msg("prompt of %d: streaming differs from one call by %.3g at %zu", n, err, at);
        float last[512];
        assert_true(V <= 512);
        assert_int_equal(rnnrt_forward_tokens(m, NULL, ids, n, 1, NULL, 1, last), RNNRT_OK);
        expect_close("last step only", last, ref + (size_t)(n - 1) * V, (size_t)V);
        rnnrt_state_free(s);
        free(ids);
        free(ref);
        free(y);
        free(step);
        checked++;
    }
    assert_true(checked >= 4);
    rnnrt_model_free(m);
    io_close(&io);
}

/* --- Generation ---------------------------------------------------------------------- */

/* prompt, then n characters sampled with the state carried, into out. */
static void generate(const rnnrt_model *m, const char *prompt, int n, float temperature,
                     int top_k, unsigned long long seed, char *out, size_t size)
{
    int ids[256], count, V = rnnrt_model_logits_size(m);
    float *logits = malloc((size_t)V * sizeof *logits);
    assert_int_equal(rnnrt_model_encode(m, prompt, ids, 256, &count), RNNRT_OK);
    rnnrt_state *s;
    assert_int_equal(rnnrt_state_create(m, 1, &s), RNNRT_OK);
    rnnrt_rng rng;
    rnnrt_rng_seed(&rng, seed);
    assert_int_equal(rnnrt_forward_tokens(m, s, ids, count, 1, NULL, 1, logits), RNNRT_OK);
    snprintf(out, size, "%s", prompt);
    for (int k = 0; k < n; k++) {
        int id;
        assert_int_equal(rnnrt_sample(logits, V, temperature, top_k, &rng, &id), RNNRT_OK);
        strncat(out, rnnrt_model_token(m, id), size - strlen(out) - 1);
        assert_int_equal(rnnrt_forward_tokens(m, s, &id, 1, 1, NULL, 1, logits), RNNRT_OK);
    }
    rnnrt_state_free(s);
    free(logits);
}

static void same_seed_same_text(void **st)
{
    (void)st;
    rnnrt_model *m = load_model(model_path);
    static char a[4096], b[4096], c[4096], g1[4096], g2[4096];
    generate(m, "The ", 300, 0.8f, 0, 42, a, sizeof a);
    generate(m, "The ", 300, 0.8f, 0, 42, b, sizeof b);
    generate(m, "The ", 300, 0.8f, 0, 43, c, sizeof c);
    assert_string_equal(a, b);
    assert_true(strcmp(a, c) != 0);
    generate(m, "And ", 100, 1.0f, 5, 7, a, sizeof a);
    generate(m, "And ", 100, 1.0f, 5, 7, b, sizeof b);
    assert_string_equal(a, b);
    generate(m, "In the ", 100, 0.0f, 0, 1, g1, sizeof g1); /* greedy: seed is irrelevant */
    generate(m, "In the ", 100, 0.0f, 0, 99, g2, sizeof g2);
    assert_string_equal(g1, g2);
    /* it writes words: most of what it writes is letters and spaces, and spaces come often */
    int letters = 0, spaces = 0;
    for (const char *p = c; *p; p++) {
        letters += (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z');
        spaces += *p == ' ';
    }
    if (letters < 200 || spaces < 30)
        fail_msg("generated text does not look like words: %s", c);
    rnnrt_model_free(m);
}

/* --- Bad ids, prompts, files --------------------------------------------------------- */

static void bad_ids(void **st)
{
    (void)st;
    rnnrt_model *m = load_case("lstm_char");
    int V = rnnrt_model_vocab_size(m), N = rnnrt_model_logits_size(m);
    int ids[3][2] = {{0, 1}, {2, 3}, {4, 5}}, lengths[2] = {3, 2};
    float out[3 * 2 * 32];
    assert_true(N <= 32);
    for (int bad = 0; bad < 3; bad++) {
        int bad_id = bad == 0 ? -1 : bad == 1 ? V : 1 << 30;
        ids[2][0] = bad_id;
        for (size_t k = 0; k < sizeof out / sizeof *out; k++)
            out[k] = 123.0f;
        assert_int_equal(rnnrt_forward_tokens(m, NULL, &ids[0][0], 3, 2, NULL, 0, out),
                         RNNRT_E_INVALID);
        char want[128];
        snprintf(want, sizeof want, "ids[2][0] = %d (step t = 2, sequence b = 0) is outside "
                 "the vocabulary [0, %d)", bad_id, V);
        assert_non_null(strstr(rnnrt_last_error(), want));
        for (size_t k = 0; k < sizeof out / sizeof *out; k++)
            assert_true(out[k] == 123.0f); /* nothing written */
    }
    /* past sequence 1's length, ids are not read */
    ids[2][0] = 0;
    ids[2][1] = -7;
    assert_int_equal(rnnrt_forward_tokens(m, NULL, &ids[0][0], 3, 2, lengths, 0, out), RNNRT_OK);
    for (int k = 0; k < N; k++)
        assert_true(out[(2 * 2 + 1) * N + k] == 0.0f); /* padded step: zeros */
    ids[1][1] = V + 3;
    assert_int_equal(rnnrt_forward_tokens(m, NULL, &ids[0][0], 3, 2, lengths, 0, out),
                     RNNRT_E_INVALID);
    assert_non_null(strstr(rnnrt_last_error(), "ids[1][1]"));
    rnnrt_model_free(m);
}

static void bad_arguments(void **st)
{
    (void)st;
    rnnrt_model *m = load_case("lstm_char"), *plain = load_case("float_classifier");
    int ids[4] = {0, 1, 2, 3}, lengths[2] = {2, 3};
    float out[4 * 64], x[4 * 8] = {0};
    EXPECT_INVALID(rnnrt_forward_tokens(NULL, NULL, ids, 2, 2, NULL, 0, out), "model is NULL");
    EXPECT_INVALID(rnnrt_forward_tokens(m, NULL, NULL, 2, 2, NULL, 0, out), "ids is NULL");
    EXPECT_INVALID(rnnrt_forward_tokens(m, NULL, ids, 2, 2, NULL, 0, NULL), "out is NULL");
    EXPECT_INVALID(rnnrt_forward_tokens(m, NULL, ids, 0, 2, NULL, 0, out),
                   "seq_len must be >= 1, got 0");
    EXPECT_INVALID(rnnrt_forward_tokens(m, NULL, ids, 2, 0, NULL, 0, out),
                   "batch must be in [1, 16777216], got 0");
    EXPECT_INVALID(rnnrt_forward_tokens(m, NULL, ids, 2, 2, lengths, 0, out),
                   "lengths[1] = 3, expected 1..seq_len (2)");
    EXPECT_INVALID(rnnrt_forward_tokens(plain, NULL, ids, 2, 2, NULL, 0, out),
                   "the model has no embedding table");
    EXPECT_INVALID(rnnrt_forward_head(NULL, NULL, x, 2, 2, NULL, 0, out), "model is NULL");
    EXPECT_INVALID(rnnrt_forward_head(m, NULL, NULL, 2, 2, NULL, 0, out), "x is NULL");
    EXPECT_INVALID(rnnrt_forward_head(plain, NULL, x, 1, 4, NULL, 0, NULL), "out is NULL");
    /* a state for another batch is refused by rnnrt_forward, nothing written */
    rnnrt_state *s;
    assert_int_equal(rnnrt_state_create(m, 3, &s), RNNRT_OK);
    assert_int_equal(rnnrt_forward_tokens(m, s, ids, 2, 2, NULL, 0, out), RNNRT_E_INVALID);
    assert_non_null(strstr(rnnrt_last_error(), "batch"));
    rnnrt_state_free(s);
    /* queries */
    assert_int_equal(rnnrt_model_vocab_size(NULL), -1);
    assert_int_equal(rnnrt_model_head_size(NULL), -1);
    assert_int_equal(rnnrt_model_logits_size(NULL), -1);
    assert_int_equal(rnnrt_model_num_chars(NULL), -1);
    assert_int_equal(rnnrt_model_vocab_size(plain), 0);
    assert_int_equal(rnnrt_model_head_size(plain), 3);
    assert_int_equal(rnnrt_model_num_chars(plain), 0);
    assert_null(rnnrt_model_token(plain, 0));
    assert_null(rnnrt_model_token(m, -1));
    assert_null(rnnrt_model_token(m, rnnrt_model_num_chars(m)));
    rnnrt_model_free(m);
    rnnrt_model_free(plain);
}

/* The vocabulary of lstm_char is "abc de\nfgé€." (12 characters, two outside ASCII). */
static void prompts(void **st)
{
    (void)st;
    rnnrt_model *m = load_case("lstm_char"), *plain = load_case("float_classifier");
    int ids[64], count = -1;
    assert_int_equal(rnnrt_model_num_chars(m), 12);
    assert_int_equal(rnnrt_model_encode(m, "", ids, 64, &count), RNNRT_OK);
    assert_int_equal(count, 0); /* empty text: no ids (generate refuses an empty prompt) */
    assert_int_equal(rnnrt_model_encode(m, "a€é.\n", ids, 64, &count), RNNRT_OK);
    assert_int_equal(count, 5);
    int want[5] = {0, 10, 9, 11, 6};
    assert_memory_equal(ids, want, sizeof want);
    char back[64] = "";
    for (int k = 0; k < count; k++)
        strcat(back, rnnrt_model_token(m, ids[k]));
    assert_string_equal(back, "a€é.\n");
    struct { const char *text; const char *msg; } bad[] = {
        {"ab\xc3\xbc", "the character U+00FC at byte offset 2 is not in the model's vocabulary"},
        {"z", "the character U+007A at byte offset 0"},
        {"a\xff", "not valid UTF-8 at byte offset 1 (byte 0xFF)"},
        {"a\xc3", "not valid UTF-8 at byte offset 1"},          /* truncated */
        {"\xc0\xa1", "not valid UTF-8 at byte offset 0"},       /* overlong */
        {"\xed\xa0\x80", "not valid UTF-8 at byte offset 0"},   /* surrogate */
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        count = -1;
        assert_int_equal(rnnrt_model_encode(m, bad[k].text, ids, 64, &count), RNNRT_E_INVALID);
        assert_int_equal(count, -1);
        if (!strstr(rnnrt_last_error(), bad[k].msg))
            fail_msg("'%s': message '%s'", bad[k].text, rnnrt_last_error());
    }
    assert_int_equal(rnnrt_model_encode(m, "abc", ids, 2, &count), RNNRT_E_INVALID);
    assert_non_null(strstr(rnnrt_last_error(), "text has 3 characters but max_ids is 2"));
    assert_int_equal(rnnrt_model_encode(plain, "a", ids, 64, &count), RNNRT_E_INVALID);
    assert_non_null(strstr(rnnrt_last_error(), "has no vocabulary"));
    assert_int_equal(rnnrt_model_encode(NULL, "a", ids, 64, &count), RNNRT_E_INVALID);
    assert_int_equal(rnnrt_model_encode(m, NULL, ids, 64, &count), RNNRT_E_INVALID);
    assert_int_equal(rnnrt_model_encode(m, "a", ids, 64, NULL), RNNRT_E_INVALID);
    rnnrt_model_free(m);
    rnnrt_model_free(plain);
}

static void bad_files(void **st)
{
    (void)st;
    char path[600];
    int count;
    snprintf(path, sizeof path, "%s/stack/BAD", test_data_dir);
    char **lines = manifest_read(path, &count);
    assert_true(count >= 8);
    for (int k = 0; k < count; k++) {
        char file[200], status[32];
        int used = 0;
        assert_int_equal(sscanf(lines[k], "%199s %31s %n", file, status, &used), 2);
        const char *msg = lines[k] + used;
        snprintf(path, sizeof path, "%s/stack/%s", test_data_dir, file);
        rnnrt_model *m = (rnnrt_model *)1;
        rnnrt_status s = rnnrt_model_load(path, &m);
        if (s != RNNRT_E_FORMAT || strcmp(status, "FORMAT"))
            fail_msg("%s: status %s, expected %s", file, rnnrt_status_string(s), status);
        assert_ptr_equal(m, (rnnrt_model *)1);
        if (!strstr(rnnrt_last_error(), msg))
            fail_msg("%s: message '%s' lacks '%s'", file, rnnrt_last_error(), msg);
    }
    manifest_free(lines, count);
}

/* --- Sampling ------------------------------------------------------------------------ */

static void rng_known_answers(void **st)
{
    (void)st;
    rnnrt_rng r;
    rnnrt_rng_seed(&r, 0);
    assert_true(r.s[0] == 0xe220a8397b1dcdafull); /* splitmix64's first output for seed 0 */
    rnnrt_rng_seed(&r, 42); /* xoshiro256** from an independent Python implementation */
    assert_true(rnnrt_rng_next(&r) == 0x15780b2e0c2ec716ull);
    assert_true(rnnrt_rng_next(&r) == 0x6104d9866d113a7eull);
    assert_true(rnnrt_rng_next(&r) == 0xae17533239e499a1ull);
    for (int k = 0; k < 1000; k++) {
        double u = rnnrt_rng_uniform(&r);
        assert_true(u >= 0.0 && u < 1.0);
    }
}

static void sampling(void **st)
{
    (void)st;
    rnnrt_rng r;
    rnnrt_rng_seed(&r, 5);
    int tok = -1;
    float l[6] = {0.5f, 2.0f, -1.0f, 2.0f, -INFINITY, 1.0f};
    assert_int_equal(rnnrt_sample(l, 6, 0.0f, 0, NULL, &tok), RNNRT_OK);
    assert_int_equal(tok, 1); /* greedy: the lowest index among equal maxima */
    assert_int_equal(rnnrt_sample(l, 6, 0.7f, 1, NULL, &tok), RNNRT_OK);
    assert_int_equal(tok, 1);
    /* frequencies follow softmax(l / T): 60000 draws, 5 standard deviations */
    for (int top_k = 0; top_k <= 3; top_k += 3) {
        int hits[6] = {0}, draws = 60000;
        double T = 1.5, p[6], total = 0;
        for (int k = 0; k < 6; k++)
            total += (p[k] = (top_k && (k == 0 || k == 2)) || k == 4 ? 0 : exp(l[k] / T));
        for (int k = 0; k < draws; k++) {
            assert_int_equal(rnnrt_sample(l, 6, (float)T, top_k, &r, &tok), RNNRT_OK);
            hits[tok]++;
        }
        for (int k = 0; k < 6; k++) {
            double mean = draws * p[k] / total, sd = sqrt(draws * p[k] / total * (1 - p[k] / total));
            if (fabs(hits[k] - mean) > 5 * sd + 1e-9)
                fail_msg("top_k %d: token %d drawn %d times, expected %.0f +- %.0f", top_k, k,
                         hits[k], mean, sd);
        }
    }
    float bad[3] = {0.0f, NAN, 1.0f}, inf[2] = {-INFINITY, -INFINITY};
    assert_int_equal(rnnrt_sample(bad, 3, 1.0f, 0, &r, &tok), RNNRT_E_INVALID);
    assert_non_null(strstr(rnnrt_last_error(), "logits[1] is nan"));
    bad[1] = INFINITY;
    assert_int_equal(rnnrt_sample(bad, 3, 1.0f, 0, &r, &tok), RNNRT_E_INVALID);
    assert_int_equal(rnnrt_sample(inf, 2, 1.0f, 0, &r, &tok), RNNRT_E_INVALID);
    assert_non_null(strstr(rnnrt_last_error(), "all 2 logits are -inf"));
    assert_int_equal(rnnrt_sample(l, 6, -1.0f, 0, &r, &tok), RNNRT_E_INVALID);
    assert_int_equal(rnnrt_sample(l, 6, NAN, 0, &r, &tok), RNNRT_E_INVALID);
    assert_int_equal(rnnrt_sample(l, 6, 1.0f, 0, NULL, &tok), RNNRT_E_INVALID);
    assert_non_null(strstr(rnnrt_last_error(), "rng is NULL"));
    assert_int_equal(rnnrt_sample(NULL, 6, 1.0f, 0, &r, &tok), RNNRT_E_INVALID);
    assert_int_equal(rnnrt_sample(l, 0, 1.0f, 0, &r, &tok), RNNRT_E_INVALID);
    assert_int_equal(rnnrt_sample(l, 6, 1.0f, 0, &r, NULL), RNNRT_E_INVALID);
}

/* A head wide enough to be shared by threads (1000 outputs): rnnrt_forward_head equals
 * rnnrt_forward followed by the head computed here in double, and gives the same bytes on 1
 * and 2 threads (each thread owns whole panels of the head's GEMM). */
enum { HEAD_I = 8, HEAD_H = 16, HEAD_N = 1000, HEAD_T = 6, HEAD_B = 3 };

static void wide_head_is_one_gemm(void **st)
{
    (void)st;
    const int G = 4, I = HEAD_I, H = HEAD_H, N = HEAD_N;
    size_t counts[] = {(size_t)G * H * I, (size_t)G * H * H, (size_t)G * H, (size_t)G * H,
                       (size_t)N * H, (size_t)N};
    size_t total = 0;
    for (int k = 0; k < 6; k++)
        total += counts[k];
    float *data = malloc(total * sizeof *data);
    unsigned seed = 77;
    fill_uniform(data, total, 0.25f, &seed);
    char json[1024];
    size_t at[7] = {0};
    for (int k = 0; k < 6; k++)
        at[k + 1] = at[k] + counts[k] * 4;
    snprintf(json, sizeof json,
             "{\"lstm.weight_ih_l0\":{\"dtype\":\"F32\",\"shape\":[%d,%d],\"data_offsets\":[%zu,%zu]},"
             "\"lstm.weight_hh_l0\":{\"dtype\":\"F32\",\"shape\":[%d,%d],\"data_offsets\":[%zu,%zu]},"
             "\"lstm.bias_ih_l0\":{\"dtype\":\"F32\",\"shape\":[%d],\"data_offsets\":[%zu,%zu]},"
             "\"lstm.bias_hh_l0\":{\"dtype\":\"F32\",\"shape\":[%d],\"data_offsets\":[%zu,%zu]},"
             "\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[%d,%d],\"data_offsets\":[%zu,%zu]},"
             "\"fc.bias\":{\"dtype\":\"F32\",\"shape\":[%d],\"data_offsets\":[%zu,%zu]}}",
             G * H, I, at[0], at[1], G * H, H, at[1], at[2], G * H, at[2], at[3], G * H, at[3],
             at[4], N, H, at[4], at[5], N, at[5], at[6]);
    size_t size;
    unsigned char *bytes = mb_pack(json, data, total * sizeof *data, &size);
    const float *head_w = data + counts[0] + counts[1] + counts[2] + counts[3];
    const float *head_b = head_w + counts[4];

    float x[HEAD_T * HEAD_B * HEAD_I], y[HEAD_T * HEAD_B * HEAD_H];
    int lengths[HEAD_B] = {HEAD_T, 2, 5};
    fill_uniform(x, sizeof x / sizeof *x, 1.0f, &seed);
    float *out[2];
    rnnrt_tuning_set_threads_exact(1); /* 2 threads even where measuring would pick 1 */
    for (int threads = 1; threads <= 2; threads++) {
        rnnrt_options *o;
        rnnrt_model *m;
        char value[8];
        snprintf(value, sizeof value, "%d", threads);
        assert_int_equal(rnnrt_options_create(&o), RNNRT_OK);
        assert_int_equal(rnnrt_options_set(o, "threads", value), RNNRT_OK);
        if (rnnrt_model_load_memory_ex(bytes, size, o, &m))
            fail_msg("wide head model: %s", rnnrt_last_error());
        rnnrt_options_free(o);
        assert_int_equal(rnnrt_model_head_size(m), N);
        out[threads - 1] = malloc((size_t)HEAD_T * HEAD_B * N * sizeof(float));
        assert_int_equal(rnnrt_forward_head(m, NULL, x, HEAD_T, HEAD_B, lengths, 0,
                                            out[threads - 1]), RNNRT_OK);
        assert_int_equal(rnnrt_forward(m, NULL, x, HEAD_T, HEAD_B, lengths, y), RNNRT_OK);
        rnnrt_model_free(m);
    }
    rnnrt_tuning_set_threads_exact(-1);
    /* float32 GEMM against double over H = 16 terms of size <= 0.25: errors near 1e-7 */
    double worst = 0;
    for (int t = 0; t < HEAD_T; t++)
        for (int b = 0; b < HEAD_B; b++)
            for (int n = 0; n < N; n++) {
                double ref = 0;
                if (t < lengths[b]) {
                    ref = head_b[n];
                    for (int k = 0; k < H; k++)
                        ref += (double)head_w[(size_t)n * H + k] * y[(t * HEAD_B + b) * H + k];
                }
                double got = out[0][((size_t)t * HEAD_B + b) * N + n];
                double err = fabs(got - ref) / (fabs(ref) > 1 ? fabs(ref) : 1);
                worst = err > worst ? err : worst;
                if (t >= lengths[b] && got != 0)
                    fail_msg("padded step t=%d b=%d output %d is %g, not 0", t, b, n, got);
            }
    if (worst > 1e-5)
        fail_msg("head GEMM differs from the double head by %.3g", worst);
    if (memcmp(out[0], out[1], (size_t)HEAD_T * HEAD_B * N * sizeof(float)))
        fail_msg("the head on 2 threads differs from 1 thread");
    free(out[0]);
    free(out[1]);
    free(bytes);
    free(data);
}

/* --- Batch-first --------------------------------------------------------------------- */

/* One whole-model call: tokens when ids is not NULL, else the head; batch_first picks the
 * entry point (the caller lays out ids or x to match). */
static rnnrt_status whole(const rnnrt_model *m, int batch_first, rnnrt_state *s,
                          const int *ids, const float *x, int T, int B, const int *lengths,
                          int last_only, float *out)
{
    if (ids)
        return (batch_first ? rnnrt_forward_tokens_batch_first : rnnrt_forward_tokens)(
            m, s, ids, T, B, lengths, last_only, out);
    return (batch_first ? rnnrt_forward_head_batch_first : rnnrt_forward_head)(
        m, s, x, T, B, lengths, last_only, out);
}

static void expect_bytes(const char *what, const float *got, const float *want, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (memcmp(&got[k], &want[k], sizeof *got))
            fail_msg("%s: out[%zu] = %.9g, the time-major call gives %.9g", what, k,
                     (double)got[k], (double)want[k]);
}

/* One stack case: the batch-first calls on the transposed ids or x give the time-major
 * call's bytes (transposed back when every step is returned), with and without lengths,
 * without a state and streaming two calls through one (the second from a state that is not
 * zeros), every step and the last. */
static void check_case_batch_first(const char *name)
{
    char what[400];
    io_file io;
    rnnrt_model *m = open_case(name, &io);
    const rnnrt_st_tensor *in;
    int *ids = io_get(&io, "ids", &in);
    float *x = ids ? NULL : io_get(&io, "x", &in);
    int T = (int)in->shape[0], B = (int)in->shape[1], N = rnnrt_model_logits_size(m);
    size_t I = ids ? 1 : (size_t)rnnrt_model_input_size(m), n = (size_t)T * B * N;
    /* the file's padded steps hold ids outside the vocabulary: 0 there, for the calls
     * without lengths */
    for (int k = 0; ids && k < T * B; k++)
        if (ids[k] < 0 || ids[k] >= rnnrt_model_vocab_size(m))
            ids[k] = 0;
    /* the batch-major input: ids are 4-byte elements, swapped as such */
    void *in_bf = malloc((size_t)T * B * I * 4);
    swap_axes(in_bf, ids ? (const float *)(const void *)ids : x, B, T, I * 4 / sizeof(float));
    int *lengths = io_get(&io, "lengths", NULL); /* the file's, or some of our own */
    if (!lengths) {
        lengths = malloc((size_t)B * sizeof *lengths);
        for (int b = 0; b < B; b++)
            lengths[b] = 1 + (b * 5 + 2) % T;
        lengths[B - 1] = T;
    }
    float *want = malloc(n * sizeof *want), *want_bf = malloc(n * sizeof *want_bf);
    float *got = malloc(n * sizeof *got);
    for (int mode = 0; mode < 8; mode++) {
        int last_only = mode & 1, use_state = (mode >> 1) & 1;
        const int *len = mode & 4 ? lengths : NULL;
        rnnrt_state *s[2] = {NULL, NULL};
        for (int k = 0; use_state && k < 2; k++)
            assert_int_equal(rnnrt_state_create(m, B, &s[k]), RNNRT_OK);
        size_t count = last_only ? (size_t)B * N : n;
        for (int call = 0; call < 1 + use_state; call++) {
            memset(got, 0xff, n * sizeof *got); /* NaN: what is not written shows */
            if (whole(m, 0, s[0], ids, x, T, B, len, last_only, want) ||
                whole(m, 1, s[1], ids ? in_bf : NULL, ids ? NULL : in_bf, T, B, len, last_only,
                      got))
                fail_msg("%s: %s", name, rnnrt_last_error());
            if (!last_only)
                swap_axes(want_bf, want, B, T, (size_t)N);
            snprintf(what, sizeof what, "%s batch-first (%s, %s, %s, call %d, variant %s)",
                     name, last_only ? "last step" : "every step",
                     len ? "lengths" : "no lengths", use_state ? "state" : "no state",
                     call + 1, rnnrt_variant());
            expect_bytes(what, got, last_only ? want : want_bf, count);
        }
        rnnrt_state_free(s[0]);
        rnnrt_state_free(s[1]);
    }
    free(want);
    free(want_bf);
    free(got);
    free(lengths);
    free(in_bf);
    free(ids);
    free(x);
    rnnrt_model_free(m);
    io_close(&io);
}

static void batch_first_same_bytes(void **st)
{
    (void)st;
    for_each_case(check_case_batch_first);
}

enum { BAD_T = 3, BAD_B = 2, BAD_OUT = BAD_T * BAD_B * 64 };

/* A refused call of both layouts: the same status, the batch-first message is the
 * time-major one under the batch-first name (the time-major stack's own refusals name
 * rnnrt_forward), and neither writes out. ids_bf / x_bf: the same arguments batch-major. */
static void expect_refused_alike(const rnnrt_model *m, rnnrt_state *s, const int *ids,
                                 const int *ids_bf, const float *x, const float *x_bf, int T,
                                 int B, const int *lengths, int last_only, int no_out)
{
    const char *names[2][2] = {{"rnnrt_forward_head", "rnnrt_forward_head_batch_first"},
                               {"rnnrt_forward_tokens", "rnnrt_forward_tokens_batch_first"}};
    int tok = ids || ids_bf;
    char msg[2][512];
    rnnrt_status status[2];
    for (int bf = 0; bf < 2; bf++) {
        float out[BAD_OUT];
        for (int k = 0; k < BAD_OUT; k++)
            out[k] = 123.0f;
        status[bf] = whole(m, bf, s, tok ? (bf ? ids_bf : ids) : NULL,
                           tok ? NULL : bf ? x_bf : x, T, B, lengths, last_only,
                           no_out ? NULL : out);
        snprintf(msg[bf], sizeof msg[bf], "%s", rnnrt_last_error());
        for (int k = 0; k < BAD_OUT; k++)
            if (out[k] != 123.0f)
                fail_msg("%s refused (%s) but wrote out[%d]", names[tok][bf], msg[bf], k);
    }
    if (!status[0])
        fail_msg("%s accepted the case", names[tok][0]);
    assert_int_equal(status[1], status[0]);
    size_t own = strlen(names[tok][1]);
    if (strncmp(msg[1], names[tok][1], own) || strncmp(msg[1] + own, ": ", 2))
        fail_msg("'%s' does not start with '%s: '", msg[1], names[tok][1]);
    const char *rest = strchr(msg[0], ':');
    if (!rest || strcmp(msg[1] + own, rest))
        fail_msg("batch-first '%s' differs from time-major '%s'", msg[1], msg[0]);
}

static void batch_first_bad_arguments(void **st)
{
    (void)st;
    rnnrt_model *m = load_case("lstm_char"), *plain = load_case("float_classifier");
    assert_true(rnnrt_model_logits_size(m) <= 64 && rnnrt_model_logits_size(plain) <= 64);
    int ids[BAD_T][BAD_B] = {{0, 1}, {2, 3}, {4, 5}}, ids_bf[BAD_B][BAD_T];
    int bad_len[BAD_B] = {2, 4}, zero_len[BAD_B] = {0, 1};
    float x[BAD_T * BAD_B * 64] = {0};
    for (int t = 0; t < BAD_T; t++)
        for (int b = 0; b < BAD_B; b++)
            ids_bf[b][t] = ids[t][b];
    const int *i = &ids[0][0], *ib = &ids_bf[0][0];
    for (int last = 0; last < 2; last++) {
        expect_refused_alike(NULL, NULL, i, ib, NULL, NULL, BAD_T, BAD_B, NULL, last, 0);
        expect_refused_alike(m, NULL, NULL, NULL, NULL, NULL, BAD_T, BAD_B, NULL, last, 0);
        expect_refused_alike(m, NULL, i, ib, NULL, NULL, BAD_T, BAD_B, NULL, last, 1);
        expect_refused_alike(m, NULL, i, ib, NULL, NULL, 0, BAD_B, NULL, last, 0);
        expect_refused_alike(m, NULL, i, ib, NULL, NULL, BAD_T, 0, NULL, last, 0);
        expect_refused_alike(m, NULL, i, ib, NULL, NULL, BAD_T, BAD_B, bad_len, last, 0);
        expect_refused_alike(m, NULL, i, ib, NULL, NULL, BAD_T, BAD_B, zero_len, last, 0);
        expect_refused_alike(plain, NULL, i, ib, NULL, NULL, BAD_T, BAD_B, NULL, last, 0);
        expect_refused_alike(NULL, NULL, NULL, NULL, x, x, BAD_T, BAD_B, NULL, last, 0);
        expect_refused_alike(plain, NULL, NULL, NULL, x, x, BAD_T, BAD_B, NULL, last, 1);
        expect_refused_alike(plain, NULL, NULL, NULL, x, x, BAD_T, BAD_B, bad_len, last, 0);
        expect_refused_alike(plain, NULL, NULL, NULL, x, x, 1 << 30, 1 << 24, NULL, last, 0);
        /* a state for another batch, or for another model, is refused by the stack */
        rnnrt_state *s3, *other;
        assert_int_equal(rnnrt_state_create(m, 3, &s3), RNNRT_OK);
        assert_int_equal(rnnrt_state_create(plain, BAD_B, &other), RNNRT_OK);
        expect_refused_alike(m, s3, i, ib, NULL, NULL, BAD_T, BAD_B, NULL, last, 0);
        expect_refused_alike(m, other, i, ib, NULL, NULL, BAD_T, BAD_B, NULL, last, 0);
        expect_refused_alike(m, s3, NULL, NULL, x, x, BAD_T, BAD_B, NULL, last, 0);
        rnnrt_state_free(s3);
        rnnrt_state_free(other);
    }
    /* a bad id is named by its place in the batch-major array */
    int V = rnnrt_model_vocab_size(m);
    ids_bf[0][2] = V;
    float out[BAD_OUT];
    for (int k = 0; k < BAD_OUT; k++)
        out[k] = 123.0f;
    assert_int_equal(rnnrt_forward_tokens_batch_first(m, NULL, ib, BAD_T, BAD_B, NULL, 0, out),
                     RNNRT_E_INVALID);
    char want[160];
    snprintf(want, sizeof want, "rnnrt_forward_tokens_batch_first: ids[0][2] = %d (step t = 2, "
             "sequence b = 0) is outside the vocabulary [0, %d)", V, V);
    if (strcmp(rnnrt_last_error(), want))
        fail_msg("message '%s', expected '%s'", rnnrt_last_error(), want);
    for (int k = 0; k < BAD_OUT; k++)
        assert_true(out[k] == 123.0f);
    /* past sequence 0's length that id is not read */
    int lengths[BAD_B] = {2, 3};
    assert_int_equal(rnnrt_forward_tokens_batch_first(m, NULL, ib, BAD_T, BAD_B, lengths, 0, out),
                     RNNRT_OK);
    rnnrt_model_free(m);
    rnnrt_model_free(plain);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        test_data_dir = argv[1];
    if (argc > 2)
        model_path = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cases_match_pytorch),
        cmocka_unit_test(shipped_model_matches_pytorch),
        cmocka_unit_test(same_seed_same_text),
        cmocka_unit_test(bad_ids),
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(prompts),
        cmocka_unit_test(bad_files),
        cmocka_unit_test(rng_known_answers),
        cmocka_unit_test(sampling),
        cmocka_unit_test(wide_head_is_one_gemm),
        cmocka_unit_test(batch_first_same_bytes),
        cmocka_unit_test(batch_first_bad_arguments),
    };
    return cmocka_run_group_tests_name("tokens", tests, NULL, NULL);
}
