/* Random models made in memory, as safetensors bytes, for tests that need shapes or sizes
 * the committed goldens do not have. */
#ifndef RNNRT_TEST_MODEL_BUILDER_H
#define RNNRT_TEST_MODEL_BUILDER_H

#include <stddef.h>

#include "rnnrt.h"

typedef struct model_spec {
    rnnrt_cell cell;
    int input_size, hidden, proj, layers, directions, bias;
    unsigned seed;
} model_spec;

/* The safetensors bytes of a model with weights uniform in +-1/sqrt(hidden), PyTorch's
 * initialisation; free() the result. */
unsigned char *build_model_bytes(const model_spec *spec, size_t *size);
/* The same with more members of its metadata object ("\"key\":\"value\"", ...; NULL for
 * none). */
unsigned char *build_model_bytes_meta(const model_spec *spec, const char *meta, size_t *size);

/* The same, loaded; fails the test if it does not load. */
rnnrt_model *build_model(const model_spec *spec);

/* One small model of each cell, covering projection, bias=False, stacks and both
 * directions; larger than the goldens (several GEMM tiles, panels and tails). */
enum { N_CELL_SPECS = 10 };
extern const model_spec cell_specs[N_CELL_SPECS];

/* Uniform values in [-scale, scale] from a seeded generator. */
void fill_uniform(float *v, size_t n, float scale, unsigned *seed);

#endif
