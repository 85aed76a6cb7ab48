/* Builds safetensors model files in memory, for tests that need weights chosen value by
 * value (saturating gates, weights bounded away from zero) or headers no generator writes. */
#ifndef RNNRT_TEST_MODEL_BUILD_H
#define RNNRT_TEST_MODEL_BUILD_H

#include <stddef.h>

/* A file of `json` as header followed by `data_size` bytes of `data` (zeros if NULL).
 * Free with free(). */
unsigned char *mb_pack(const char *json, const void *data, size_t data_size, size_t *size);

typedef struct mb_shape {
    const char *cell;  /* "lstm", "gru", "lstm_peephole", "lstm_coupled" */
    int input, hidden, proj, layers, directions, bias;
} mb_shape;

/* The value of element [row][col] of tensor `kind` ("weight_ih", "bias_hh", "weight_ci", ...)
 * of layer `layer`, direction `dir`. Vectors have col 0. */
typedef float (*mb_fill_fn)(void *ctx, const char *kind, int layer, int dir, int row, int col);

/* A model file in PyTorch's layout (F32; rnnrt.cell declared for every cell but lstm). */
unsigned char *mb_model(const mb_shape *shape, mb_fill_fn fill, void *ctx, size_t *size);
/* The same with `more` members of its metadata object ("\"key\":\"value\"", ...). */
unsigned char *mb_model_meta(const mb_shape *shape, const char *more, mb_fill_fn fill,
                             void *ctx, size_t *size);

/* Gate blocks of a cell: 4 lstm and lstm_peephole, 3 gru and lstm_coupled. */
int mb_gates(const char *cell);

#endif
