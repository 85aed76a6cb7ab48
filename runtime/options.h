/* Per-model options (rnnrt_options in the public header): what a model is loaded with. */
#ifndef RNNRT_OPTIONS_H
#define RNNRT_OPTIONS_H

#include <stdbool.h>

#include "kernels.h"
#include "rnnrt.h"

/* rnnrt_weight_type (the "weights" key) is simd/kernels.h's: the panels' data type. */

#define RNNRT_MAX_THREADS 4096

/* What every matrix product's input is rounded to at each step (the "activations" key):
 * nothing, int8 per row (needs weights int8), or bf16 (needs weights bf16). */
typedef enum rnnrt_activation_type {
    RNNRT_ACTIVATIONS_F32 = 0,
    RNNRT_ACTIVATIONS_INT8 = 1,
    RNNRT_ACTIVATIONS_BF16 = 2,
} rnnrt_activation_type;

/* The batcher's keys (rnnrt_batcher_create, runtime/batcher.c); a model load ignores them. */
typedef struct rnnrt_batcher_limits {
    int max_batch, max_wait_us, max_streams, max_pending, idle_timeout_ms;
} rnnrt_batcher_limits;

struct rnnrt_options {
    int threads;                  /* 0: the process-wide count at each call */
    const rnnrt_kernels *kernels; /* NULL: the process-wide kernel set at each call */
    rnnrt_weight_type weights;
    rnnrt_activation_type activations;
    rnnrt_batcher_limits batcher;
};

/* The type a model's panels are packed in: its weights', or the dot-product panels of its
 * weight type when the activations are rounded too. */
static inline rnnrt_weight_type rnnrt_options_panel_type(const struct rnnrt_options *o)
{
    return o->activations == RNNRT_ACTIVATIONS_INT8   ? RNNRT_WEIGHTS_INT8DOT
           : o->activations == RNNRT_ACTIVATIONS_BF16 ? RNNRT_WEIGHTS_BF16DOT
                                                      : o->weights;
}

const char *rnnrt_activation_type_name(rnnrt_activation_type a);

/* The defaults rnnrt_options_create gives and rnnrt_model_load uses. */
extern const struct rnnrt_options rnnrt_default_options;

const char *rnnrt_weight_type_name(rnnrt_weight_type w);

/* Checks that options can load on this CPU (a kernel set forced while it was available may
 * be checked again). `fn` names the caller. */
rnnrt_status rnnrt_options_check_load(const char *fn, const struct rnnrt_options *o);

#endif
