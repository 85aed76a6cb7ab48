#include "model_builder.h"
#include "stress/model_build.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

void fill_uniform(float *v, size_t n, float scale, unsigned *seed)
{
    for (size_t k = 0; k < n; k++) {
        *seed = *seed * 1664525u + 1013904223u;
        v[k] = scale * ((float)(*seed >> 8) * (2.0f / 16777216.0f) - 1.0f);
    }
}

/* Every weight uniform in +-1/sqrt(hidden), drawn in the order mb_model asks for them. */
typedef struct uniform_fill {
    unsigned seed;
    float scale;
} uniform_fill;

static float fill_one(void *ctx, const char *kind, int layer, int dir, int row, int col)
{
    uniform_fill *u = ctx;
    float v;
    (void)kind, (void)layer, (void)dir, (void)row, (void)col;
    fill_uniform(&v, 1, u->scale, &u->seed);
    return v;
}

unsigned char *build_model_bytes(const model_spec *spec, size_t *size)
{
    return build_model_bytes_meta(spec, NULL, size);
}

unsigned char *build_model_bytes_meta(const model_spec *spec, const char *meta, size_t *size)
{
    static const char *const cells[] = {"lstm",         "gru",      "lstm_peephole",
                                        "lstm_coupled", "rnn_tanh", "rnn_relu",
                                        "gru_reset_before"};
    mb_shape shape = {cells[spec->cell], spec->input_size, spec->hidden, spec->proj,
                      spec->layers, spec->directions, spec->bias};
    uniform_fill u = {spec->seed, 1.0f / sqrtf((float)spec->hidden)};
    return mb_model_meta(&shape, meta, fill_one, &u, size);
}

rnnrt_model *build_model(const model_spec *spec)
{
    size_t size;
    unsigned char *bytes = build_model_bytes(spec, &size);
    rnnrt_model *m = NULL;
    if (rnnrt_model_load_memory(bytes, size, &m) != RNNRT_OK)
        fail_msg("built model does not load: %s", rnnrt_last_error());
    free(bytes);
    return m;
}

const model_spec cell_specs[N_CELL_SPECS] = {
    /* cell, I, H, P, layers, directions, bias, seed */
    {RNNRT_CELL_LSTM, 37, 83, 0, 2, 2, 1, 1},
    {RNNRT_CELL_LSTM, 50, 70, 19, 2, 1, 1, 2},
    {RNNRT_CELL_GRU, 29, 61, 0, 2, 2, 1, 3},
    {RNNRT_CELL_GRU, 16, 40, 0, 1, 1, 0, 4},
    {RNNRT_CELL_LSTM_PEEPHOLE, 21, 45, 0, 1, 2, 1, 5},
    {RNNRT_CELL_LSTM_COUPLED, 33, 52, 17, 2, 1, 1, 6},
    {RNNRT_CELL_RNN_TANH, 23, 50, 0, 2, 2, 1, 7},
    {RNNRT_CELL_RNN_RELU, 19, 37, 0, 2, 1, 0, 8},
    {RNNRT_CELL_GRU_RESET_BEFORE, 31, 77, 0, 2, 2, 1, 9},
    {RNNRT_CELL_GRU_RESET_BEFORE, 14, 33, 0, 1, 1, 0, 10},
};
