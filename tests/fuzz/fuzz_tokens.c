/* libFuzzer target: the token/prompt path of `rnnrt generate`, on a fixed character model
 * (tests/data/stack/lstm_char.model.safetensors; RNNRT_FUZZ_MODEL overrides the path).
 * Input layout:
 *   byte 0       steps to generate after the prompt (low 3 bits) and the batch of the
 *                raw-id pass (bits 3-4, plus 1)
 *   byte 1       top_k (signed)
 *   bytes 2-5    temperature, raw float bits (NaN, negative, subnormal, inf all reachable)
 *   bytes 6-13   sampling seed
 *   bytes 14..   the prompt (up to the first NUL); the same bytes are also read as int16 ids
 *                for rnnrt_forward_tokens and as float logits for rnnrt_sample
 * Contracts checked (abort when broken):
 *  - rnnrt_model_encode accepts exactly the texts made of the vocabulary's characters, and
 *    its ids spell the prompt back through rnnrt_model_token; a refusal is INVALID with a
 *    message and leaves *count alone;
 *  - rnnrt_forward_tokens gives finite logits for valid ids; an id outside the vocabulary
 *    within a sequence's length is INVALID naming it; ids past a sequence's length are never
 *    read;
 *  - rnnrt_sample refuses NaN/+inf logits, a NaN or negative temperature and all -inf
 *    logits; otherwise returns an index in range whose logit is not -inf, and the greedy
 *    choice is the first largest logit. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rnnrt.h"

#ifndef RNNRT_FUZZ_MODEL_DEFAULT
#define RNNRT_FUZZ_MODEL_DEFAULT "tests/data/stack/lstm_char.model.safetensors"
#endif

#define FUZZ_TARGET "fuzz_tokens"
#include "fuzz_check.h"

enum { HEADER = 14, MAX_PROMPT = 256 };

static rnnrt_model *model;
static int vocab, n_chars, n_logits;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *path = getenv("RNNRT_FUZZ_MODEL");
    if (!path)
        path = RNNRT_FUZZ_MODEL_DEFAULT;
    if (rnnrt_model_load(path, &model)) {
        fprintf(stderr, "fuzz_tokens: %s: %s\n", path, rnnrt_last_error());
        exit(1);
    }
    rnnrt_set_num_threads(1);
    vocab = rnnrt_model_vocab_size(model);
    n_chars = rnnrt_model_num_chars(model);
    n_logits = rnnrt_model_logits_size(model);
    if (vocab < 1 || n_chars < 1 || n_chars > vocab) {
        fprintf(stderr, "fuzz_tokens: %s is not a character model\n", path);
        exit(1);
    }
    return 0;
}

static void check_logits(const float *logits, int n)
{
    for (int k = 0; k < n; k++)
        FUZZ_CHECK(isfinite(logits[k]), "logits[%d] = %g from valid ids", k, logits[k]);
}

/* rnnrt_sample on n logits: refuses exactly what the header says it refuses. */
static int sample(const float *logits, int n, float temperature, int top_k, rnnrt_rng *rng)
{
    int bad = !(temperature >= 0), finite = 0, first_max = -1;
    for (int k = 0; k < n; k++) {
        bad |= isnan(logits[k]) || logits[k] == INFINITY;
        if (logits[k] != -INFINITY && !isnan(logits[k])) {
            finite = 1;
            if (first_max < 0 || logits[k] > logits[first_max])
                first_max = k;
        }
    }
    int token = -7;
    rnnrt_status s = rnnrt_sample(logits, n, temperature, top_k, rng, &token);
    if (bad || !finite) {
        FUZZ_CHECK(s == RNNRT_E_INVALID && token == -7 && rnnrt_last_error()[0],
                   "status %d token %d for temperature %g", s, token, temperature);
        return -1;
    }
    FUZZ_CHECK(s == RNNRT_OK, "rnnrt_sample: %s", rnnrt_last_error());
    FUZZ_CHECK(token >= 0 && token < n && logits[token] != -INFINITY, "token %d of %d", token, n);
    if (temperature == 0 || top_k == 1)
        FUZZ_CHECK(token == first_max, "greedy picked %d, the first largest is %d", token,
                   first_max);
    return token;
}

/* The prompt through the vocabulary and the model, then up to `steps` sampled characters. */
static void generate(const char *prompt, int steps, float temperature, int top_k,
                     rnnrt_rng *rng)
{
    int ids[MAX_PROMPT + 1], count = -7;
    rnnrt_status s = rnnrt_model_encode(model, prompt, ids, MAX_PROMPT, &count);
    if (s) {
        FUZZ_CHECK(s == RNNRT_E_INVALID && count == -7 && rnnrt_last_error()[0],
                   "encode: status %d", s);
        return;
    }
    FUZZ_CHECK(count >= 0 && (size_t)count <= strlen(prompt), "count %d", count);
    char spelled[4 * MAX_PROMPT + 8] = "";
    for (int k = 0; k < count; k++) {
        FUZZ_CHECK(ids[k] >= 0 && ids[k] < n_chars, "ids[%d] = %d", k, ids[k]);
        strcat(spelled, rnnrt_model_token(model, ids[k]));
    }
    FUZZ_CHECK(!strcmp(spelled, prompt), "the ids spell '%s', not the prompt", spelled);
    if (count == 0)
        return;
    rnnrt_state *st;
    FUZZ_CHECK(rnnrt_state_create(model, 1, &st) == RNNRT_OK, "state");
    float *logits = malloc((size_t)n_logits * sizeof *logits);
    s = rnnrt_forward_tokens(model, st, ids, count, 1, NULL, 1, logits);
    FUZZ_CHECK(s == RNNRT_OK, "prompt of %d ids: %s", count, rnnrt_last_error());
    for (int k = 0; k < steps; k++) {
        check_logits(logits, n_logits);
        int next = sample(logits, n_logits, temperature, top_k, rng);
        if (next < 0 || next >= n_chars)
            break; /* refused, or a logit past the vocabulary's characters */
        FUZZ_CHECK(rnnrt_model_token(model, next) != NULL, "token %d has no text", next);
        s = rnnrt_forward_tokens(model, st, &next, 1, 1, NULL, 1, logits);
        FUZZ_CHECK(s == RNNRT_OK, "step %d: %s", k, rnnrt_last_error());
    }
    free(logits);
    rnnrt_state_free(st);
}

/* The input bytes as ids [seq_len][batch] with lengths: refused exactly when an id within a
 * length is outside the vocabulary, and the message names its step and sequence. */
static void raw_ids(const uint8_t *p, size_t n, int batch)
{
    int seq_len = (int)(n / 2 / (size_t)batch);
    if (seq_len < 1)
        return;
    if (seq_len > 64)
        seq_len = 64;
    int *ids = malloc((size_t)seq_len * batch * sizeof *ids), lengths[4];
    for (int k = 0; k < seq_len * batch; k++)
        ids[k] = (int16_t)(p[2 * k] | p[2 * k + 1] << 8);
    int bad_t = -1, bad_b = -1;
    for (int b = 0; b < batch; b++)
        lengths[b] = 1 + (p[b] + b) % seq_len;
    for (int t = 0; t < seq_len && bad_t < 0; t++)
        for (int b = 0; b < batch && bad_t < 0; b++)
            if (t < lengths[b] && (ids[t * batch + b] < 0 || ids[t * batch + b] >= vocab)) {
                bad_t = t;
                bad_b = b;
            }
    float *out = malloc((size_t)seq_len * batch * n_logits * sizeof *out);
    rnnrt_status s = rnnrt_forward_tokens(model, NULL, ids, seq_len, batch, lengths, 0, out);
    if (bad_t >= 0) {
        char want[64];
        snprintf(want, sizeof want, "ids[%d][%d] = %d", bad_t, bad_b, ids[bad_t * batch + bad_b]);
        FUZZ_CHECK(s == RNNRT_E_INVALID && strstr(rnnrt_last_error(), want),
                   "status %d, message '%s', expected '%s'", s, rnnrt_last_error(), want);
    } else {
        FUZZ_CHECK(s == RNNRT_OK, "valid ids refused: %s", rnnrt_last_error());
        for (int t = 0; t < seq_len; t++)
            for (int b = 0; b < batch; b++)
                if (t < lengths[b])
                    check_logits(out + ((size_t)t * batch + b) * n_logits, n_logits);
    }
    free(out);
    free(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEADER)
        return 0;
    int steps = data[0] & 7, batch = 1 + (data[0] >> 3 & 3), top_k = (int8_t)data[1];
    float temperature;
    memcpy(&temperature, data + 2, sizeof temperature);
    uint64_t seed = 0;
    memcpy(&seed, data + 6, sizeof seed);
    rnnrt_rng rng;
    rnnrt_rng_seed(&rng, seed);

    const uint8_t *rest = data + HEADER;
    size_t n = size - HEADER;
    char prompt[MAX_PROMPT + 1];
    size_t len = 0;
    while (len < n && len < MAX_PROMPT && rest[len])
        len++;
    memcpy(prompt, rest, len);
    prompt[len] = '\0';
    generate(prompt, steps, temperature, top_k, &rng);

    raw_ids(rest, n, batch);

    int nl = (int)(n / sizeof(float));
    if (nl > 0) {
        float *logits = malloc((size_t)nl * sizeof *logits);
        memcpy(logits, rest, (size_t)nl * sizeof *logits);
        sample(logits, nl, temperature, top_k, &rng);
        free(logits);
    }
    return 0;
}
