/* Per-model options (rnnrt_options in the public header): what a model is loaded with. */
#ifndef RNNRT_OPTIONS_H
#define RNNRT_OPTIONS_H

#include <stdbool.h>

#include "kernels.h"
#include "rnnrt.h"

/* rnnrt_weight_type (the "weights" key) is simd/kernels.h's: the panels' data type. */

#define RNNRT_MAX_THREADS 4096

struct rnnrt_options {
    int threads;                  /* 0: the process-wide count at each call */
    const rnnrt_kernels *kernels; /* NULL: the process-wide kernel set at each call */
    rnnrt_weight_type weights;
    bool int8_activations; /* "activations": "int8" (needs weights int8) */
};

/* The type a model's panels are packed in: its weights', or int8dot for int8 activations. */
static inline rnnrt_weight_type rnnrt_options_panel_type(const struct rnnrt_options *o)
{
    return o->int8_activations ? RNNRT_WEIGHTS_INT8DOT : o->weights;
}

/* The defaults rnnrt_options_create gives and rnnrt_model_load uses. */
extern const struct rnnrt_options rnnrt_default_options;

const char *rnnrt_weight_type_name(rnnrt_weight_type w);

/* Checks that options can load on this CPU (a kernel set forced while it was available may
 * be checked again). `fn` names the caller. */
rnnrt_status rnnrt_options_check_load(const char *fn, const struct rnnrt_options *o);

#endif
