/* rnnrt_options: parsing and checking the per-model settings. */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "dispatch.h"
#include "error.h"

const struct rnnrt_options rnnrt_default_options = {
    .threads = 0, .kernels = NULL, .weights = RNNRT_WEIGHTS_F32,
    .activations = RNNRT_ACTIVATIONS_F32,
    .batcher = {.max_batch = 64, .max_wait_us = 200, .max_streams = 65536,
                .max_pending = 65536, .idle_timeout_ms = 0},
};

static const char *const weight_names[] = {"f32", "bf16", "int8"};

const char *rnnrt_weight_type_name(rnnrt_weight_type w)
{
    return (unsigned)w < sizeof weight_names / sizeof weight_names[0] ? weight_names[w] : "";
}

rnnrt_status rnnrt_options_create(rnnrt_options **out)
{
    rnnrt_clear_error();
    if (!out)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_options_create: out is NULL");
    rnnrt_options *o = rnnrt_malloc(sizeof *o);
    if (!o)
        return rnnrt_fail(RNNRT_E_NOMEM, "rnnrt_options_create: out of memory");
    *o = rnnrt_default_options;
    *out = o;
    return RNNRT_OK;
}

void rnnrt_options_free(rnnrt_options *o)
{
    rnnrt_free(o);
}

static rnnrt_status set_threads(rnnrt_options *o, const char *value)
{
    char *end;
    errno = 0;
    long n = strtol(value, &end, 10);
    if (!isdigit((unsigned char)value[0]) || *end || errno || n > RNNRT_MAX_THREADS)
        return rnnrt_fail(RNNRT_E_INVALID,
                          "rnnrt_options_set: \"threads\" must be an integer in [0, %d] "
                          "(0: the process default), got \"%s\"", RNNRT_MAX_THREADS, value);
    o->threads = (int)n;
    return RNNRT_OK;
}

static rnnrt_status set_isa(rnnrt_options *o, const char *value)
{
    if (!strcmp(value, "auto")) {
        o->kernels = NULL;
        return RNNRT_OK;
    }
    if (!rnnrt_isa_known(value)) {
        char names[128];
        rnnrt_kernel_set_list(names, sizeof names, ", ");
        return rnnrt_fail(RNNRT_E_INVALID,
                          "rnnrt_options_set: \"isa\" must be \"auto\" or a kernel set name "
                          "(%s), got \"%.64s\"", names, value);
    }
    const rnnrt_kernels *k = rnnrt_kernels_for_isa(value);
    if (!k)
        return rnnrt_fail(RNNRT_E_UNSUPPORTED,
                          "rnnrt_options_set: kernel set \"%s\" is not available: this CPU "
                          "lacks its features or this build does not include it", value);
    o->kernels = k;
    return RNNRT_OK;
}

static rnnrt_status set_weights(rnnrt_options *o, const char *value)
{
    for (int w = 0; w < (int)(sizeof weight_names / sizeof weight_names[0]); w++)
        if (!strcmp(value, weight_names[w])) {
            o->weights = (rnnrt_weight_type)w;
            return RNNRT_OK;
        }
    return rnnrt_fail(RNNRT_E_INVALID,
                      "rnnrt_options_set: \"weights\" must be \"f32\", \"bf16\" or \"int8\", "
                      "got \"%s\"", value);
}

static const char *const activation_names[] = {"f32", "int8", "bf16"};

const char *rnnrt_activation_type_name(rnnrt_activation_type a)
{
    return (unsigned)a < sizeof activation_names / sizeof activation_names[0]
               ? activation_names[a]
               : "";
}

static rnnrt_status set_activations(rnnrt_options *o, const char *value)
{
    for (int a = 0; a < (int)(sizeof activation_names / sizeof activation_names[0]); a++)
        if (!strcmp(value, activation_names[a])) {
            o->activations = (rnnrt_activation_type)a;
            return RNNRT_OK;
        }
    return rnnrt_fail(RNNRT_E_INVALID,
                      "rnnrt_options_set: \"activations\" must be \"f32\", \"int8\" or "
                      "\"bf16\", got \"%.64s\"", value);
}

/* The batcher's integer keys and their ranges (rnnrt.h, "Streams"). */
static const struct batcher_key {
    const char *name;
    size_t offset;
    long lo, hi;
} batcher_keys[] = {
    {"max_batch", offsetof(rnnrt_batcher_limits, max_batch), 1, 65536},
    {"max_wait_us", offsetof(rnnrt_batcher_limits, max_wait_us), 0, 10000000},
    {"max_streams", offsetof(rnnrt_batcher_limits, max_streams), 1, 1 << 24},
    {"max_pending", offsetof(rnnrt_batcher_limits, max_pending), 1, 1 << 30},
    {"idle_timeout_ms", offsetof(rnnrt_batcher_limits, idle_timeout_ms), 0, 2147483647},
};

static rnnrt_status set_batcher_key(rnnrt_options *o, const struct batcher_key *k,
                                    const char *value)
{
    char *end;
    errno = 0;
    long n = strtol(value, &end, 10);
    if (!isdigit((unsigned char)value[0]) || *end || errno || n < k->lo || n > k->hi)
        return rnnrt_fail(RNNRT_E_INVALID,
                          "rnnrt_options_set: \"%s\" must be an integer in [%ld, %ld], got "
                          "\"%.64s\"", k->name, k->lo, k->hi, value);
    *(int *)((char *)&o->batcher + k->offset) = (int)n;
    return RNNRT_OK;
}

rnnrt_status rnnrt_options_set(rnnrt_options *o, const char *key, const char *value)
{
    rnnrt_clear_error();
    if (!o)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_options_set: options is NULL");
    if (!key)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_options_set: key is NULL");
    if (!value)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_options_set: value of \"%.64s\" is NULL",
                          key);
    if (!strcmp(key, "threads"))
        return set_threads(o, value);
    if (!strcmp(key, "isa"))
        return set_isa(o, value);
    if (!strcmp(key, "weights"))
        return set_weights(o, value);
    if (!strcmp(key, "activations"))
        return set_activations(o, value);
    for (size_t i = 0; i < sizeof batcher_keys / sizeof batcher_keys[0]; i++)
        if (!strcmp(key, batcher_keys[i].name))
            return set_batcher_key(o, &batcher_keys[i], value);
    return rnnrt_fail(RNNRT_E_INVALID,
                      "rnnrt_options_set: unknown key \"%.64s\" (expected threads, isa, "
                      "weights, activations, or for batchers max_batch, max_wait_us, "
                      "max_streams, max_pending or idle_timeout_ms)", key);
}

rnnrt_status rnnrt_options_check_load(const char *fn, const struct rnnrt_options *o)
{
    if (o->kernels && rnnrt_kernels_for_isa(o->kernels->isa) != o->kernels)
        return rnnrt_fail(RNNRT_E_UNSUPPORTED, "%s: kernel set \"%s\" is not available", fn,
                          o->kernels->isa);
    const rnnrt_weight_type needs = o->activations == RNNRT_ACTIVATIONS_INT8   ? RNNRT_WEIGHTS_INT8
                                    : o->activations == RNNRT_ACTIVATIONS_BF16 ? RNNRT_WEIGHTS_BF16
                                                                               : o->weights;
    if (o->weights != needs)
        return rnnrt_fail(RNNRT_E_INVALID,
                          "%s: \"activations\" \"%s\" needs \"weights\" \"%s\", got "
                          "\"weights\" \"%s\"", fn, rnnrt_activation_type_name(o->activations),
                          rnnrt_weight_type_name(needs), rnnrt_weight_type_name(o->weights));
    return RNNRT_OK;
}
