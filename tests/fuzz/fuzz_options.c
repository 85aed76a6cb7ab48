/* libFuzzer target: rnnrt_options strings and the loads that take them, on a fixed small
 * model (tests/data/golden/lstm_basic.model.safetensors; RNNRT_FUZZ_MODEL overrides it).
 * Input: lines of "key=value" (the first '=' splits; a line without one is a key with a
 * NULL value), each given to rnnrt_options_set, then rnnrt_model_load_memory_ex with the
 * options and one forward step.
 * Contracts checked (abort when broken):
 *  - rnnrt_options_set accepts exactly: threads = decimal digits with a value <= 4096;
 *    isa = auto or a kernel set this process runs; weights = f32, bf16 or int8;
 *    activations = f32, int8 or bf16; the batchers' max_batch, max_wait_us, max_streams,
 *    max_pending and idle_timeout_ms = decimal digits within their ranges (rnnrt.h).
 *    Anything else is INVALID (UNSUPPORTED for a known kernel set the CPU lacks) with a
 *    message;
 *  - a load succeeds with every accepted combination but int8 (bf16) activations without
 *    int8 (bf16) weights, which it refuses as INVALID with a message; a loaded model reports the kernel
 *    set, weights, activations and threads the options hold; one forward step gives finite
 *    outputs. */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rnnrt.h"

#ifndef RNNRT_FUZZ_OPTIONS_MODEL_DEFAULT
#define RNNRT_FUZZ_OPTIONS_MODEL_DEFAULT "tests/data/golden/lstm_basic.model.safetensors"
#endif

#define FUZZ_TARGET "fuzz_options"
#include "fuzz_check.h"

static unsigned char *model_bytes;
static size_t model_size;
static const char *process_isa;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *path = getenv("RNNRT_FUZZ_MODEL");
    if (!path)
        path = RNNRT_FUZZ_OPTIONS_MODEL_DEFAULT;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fuzz_options: cannot open %s\n", path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    model_size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    model_bytes = malloc(model_size);
    if (!model_bytes || fread(model_bytes, 1, model_size, f) != model_size) {
        fprintf(stderr, "fuzz_options: cannot read %s\n", path);
        exit(1);
    }
    fclose(f);
    rnnrt_set_num_threads(1);
    process_isa = rnnrt_isa();
    return 0;
}

/* What the options should hold, by this file's own reading of the header. */
typedef struct expected {
    long threads; /* 0: the process count */
    char isa[16]; /* "" for auto */
    char weights[8];
    char activations[8];
} expected;

/* Decimal digits only; the value saturates at 10^9 (far above any accepted count). */
static int is_decimal(const char *v, long *n)
{
    if (!*v)
        return 0;
    long acc = 0;
    for (const char *p = v; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return 0;
        acc = acc >= 100000000 ? 1000000000 : acc * 10 + (*p - '0');
    }
    *n = acc;
    return 1;
}

static int kernel_set_known(const char *v)
{
    return !strcmp(v, "scalar") || !strcmp(v, "avx2") || !strcmp(v, "avx512") ||
           !strcmp(v, "neon");
}

/* One key=value pair: the status the header promises, applied to `e` when accepted. */
static rnnrt_status predict(const char *key, const char *value, expected *e)
{
    long n;
    if (!key || !value)
        return RNNRT_E_INVALID;
    if (!strcmp(key, "threads")) {
        if (!is_decimal(value, &n) || n > 4096)
            return RNNRT_E_INVALID;
        e->threads = n;
        return RNNRT_OK;
    }
    if (!strcmp(key, "isa")) {
        if (!strcmp(value, "auto")) {
            e->isa[0] = '\0';
            return RNNRT_OK;
        }
        if (!kernel_set_known(value))
            return RNNRT_E_INVALID;
        /* whether this CPU runs it: rnnrt_set_isa answers that independently */
        if (rnnrt_set_isa(value) != RNNRT_OK) {
            rnnrt_set_isa(process_isa);
            return RNNRT_E_UNSUPPORTED;
        }
        rnnrt_set_isa(process_isa);
        snprintf(e->isa, sizeof e->isa, "%s", value);
        return RNNRT_OK;
    }
    if (!strcmp(key, "weights")) {
        if (strcmp(value, "f32") && strcmp(value, "bf16") && strcmp(value, "int8"))
            return RNNRT_E_INVALID;
        snprintf(e->weights, sizeof e->weights, "%s", value);
        return RNNRT_OK;
    }
    if (!strcmp(key, "activations")) {
        if (strcmp(value, "f32") && strcmp(value, "int8") && strcmp(value, "bf16"))
            return RNNRT_E_INVALID;
        snprintf(e->activations, sizeof e->activations, "%s", value);
        return RNNRT_OK;
    }
    /* the batchers' keys (issue 26): decimal digits only, within each key's range */
    static const struct {
        const char *name;
        long long lo, hi;
    } batcher[] = {{"max_batch", 1, 65536},        {"max_wait_us", 0, 10000000},
                   {"max_streams", 1, 1 << 24},    {"max_pending", 1, 1 << 30},
                   {"idle_timeout_ms", 0, 2147483647}};
    for (size_t i = 0; i < sizeof batcher / sizeof batcher[0]; i++) {
        if (strcmp(key, batcher[i].name))
            continue;
        long long n = 0;
        for (const char *p = value; *p; p++) {
            if (!isdigit((unsigned char)*p))
                return RNNRT_E_INVALID;
            n = n > 100000000000LL ? n : n * 10 + (*p - '0'); /* past every range: stays so */
        }
        return *value && n >= batcher[i].lo && n <= batcher[i].hi ? RNNRT_OK
                                                                    : RNNRT_E_INVALID;
    }
    return RNNRT_E_INVALID;
}

static void load_and_run(const rnnrt_options *o, const expected *e)
{
    rnnrt_model *m = (rnnrt_model *)(uintptr_t)1;
    rnnrt_status s = rnnrt_model_load_memory_ex(model_bytes, model_size, o, &m);
    if (strcmp(e->activations, "f32") && strcmp(e->weights, e->activations)) {
        FUZZ_CHECK(s == RNNRT_E_INVALID && strstr(rnnrt_last_error(), "activations"),
                   "%s activations with %s weights: status %d (%s)", e->activations, e->weights,
                   s, rnnrt_last_error());
        FUZZ_CHECK(m == (rnnrt_model *)(uintptr_t)1, "a refused load wrote *out");
        return;
    }
    FUZZ_CHECK(s == RNNRT_OK, "load: %s", rnnrt_last_error());
    FUZZ_CHECK(!strcmp(rnnrt_model_isa(m), e->isa[0] ? e->isa : process_isa), "isa %s",
               rnnrt_model_isa(m));
    FUZZ_CHECK(!strcmp(rnnrt_model_weights(m), e->weights), "weights %s, expected %s",
               rnnrt_model_weights(m), e->weights);
    FUZZ_CHECK(!strcmp(rnnrt_model_activations(m), e->activations),
               "activations %s, expected %s", rnnrt_model_activations(m), e->activations);
    FUZZ_CHECK(rnnrt_model_threads(m) == (e->threads ? e->threads : 1), "threads %d",
               rnnrt_model_threads(m));
    int in = rnnrt_model_input_size(m), out = rnnrt_model_output_size(m);
    float *x = calloc((size_t)in, sizeof *x), *y = malloc((size_t)out * sizeof *y);
    FUZZ_CHECK(x && y, "out of memory");
    for (int k = 0; k < in; k++)
        x[k] = 0.25f * (float)(k % 5) - 0.5f;
    FUZZ_CHECK(rnnrt_forward(m, NULL, x, 1, 1, NULL, y) == RNNRT_OK, "forward: %s",
               rnnrt_last_error());
    for (int k = 0; k < out; k++)
        FUZZ_CHECK(isfinite(y[k]), "y[%d] = %g", k, y[k]);
    free(x);
    free(y);
    rnnrt_model_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    rnnrt_options *o;
    FUZZ_CHECK(rnnrt_options_create(&o) == RNNRT_OK, "create: %s", rnnrt_last_error());
    expected e = {.threads = 0, .isa = "", .weights = "f32", .activations = "f32"};
    for (char *line = text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *eq = strchr(line, '=');
        if (eq)
            *eq = '\0';
        const char *value = eq ? eq + 1 : NULL;
        rnnrt_status want = predict(line, value, &e);
        rnnrt_status got = rnnrt_options_set(o, line, value);
        FUZZ_CHECK(got == want, "'%s' = '%s': status %d, expected %d (%s)", line,
                   value ? value : "(NULL)", got, want, rnnrt_last_error());
        FUZZ_CHECK(got == RNNRT_OK || rnnrt_last_error()[0], "no message for '%s'", line);
    }
    load_and_run(o, &e);
    rnnrt_options_free(o);
    free(text);
    return 0;
}
