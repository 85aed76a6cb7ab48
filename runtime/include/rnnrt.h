/* rnnrt: recurrent neural network inference (LSTM and its variants, GRU) on CPUs.
 *
 * Conventions
 *  - Every function that can fail returns an rnnrt_status; on failure, rnnrt_last_error()
 *    says in words which argument or which part of the file was wrong. Outputs are written
 *    through the last arguments and are left untouched on failure.
 *  - Tensors are dense, row-major, float32, in PyTorch's layouts and gate orders.
 *  - Thread safety: a loaded model is immutable and may be shared by any number of threads.
 *    A state belongs to one forward call at a time. Error messages are per thread.
 *    rnnrt_set_num_threads() and rnnrt_set_isa() change process-wide settings: call them
 *    before starting forward passes from several threads.
 */
#ifndef RNNRT_H
#define RNNRT_H

#include <stddef.h>

/* Marks the public functions: the library is built with hidden visibility by default. */
#if defined(__GNUC__) && !defined(RNNRT_STATIC_ONLY)
#define RNNRT_API __attribute__((visibility("default")))
#else
#define RNNRT_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define RNNRT_VERSION_MAJOR 0
#define RNNRT_VERSION_MINOR 1
#define RNNRT_VERSION_PATCH 0

typedef enum rnnrt_status {
    RNNRT_OK = 0,
    RNNRT_E_INVALID = 1,     /* bad argument: NULL, size <= 0, lengths out of range, ... */
    RNNRT_E_NOMEM = 2,
    RNNRT_E_IO = 3,          /* the file cannot be opened or read */
    RNNRT_E_FORMAT = 4,      /* the file or buffer is not a valid model */
    RNNRT_E_UNSUPPORTED = 5, /* well-formed but not supported (dtype, an ISA this CPU lacks) */
} rnnrt_status;
RNNRT_API const char  *rnnrt_status_string(rnnrt_status s);
RNNRT_API const char  *rnnrt_last_error(void);       /* this thread's last failure, in words */

typedef struct rnnrt_model rnnrt_model;    /* immutable once loaded: share across threads */
typedef struct rnnrt_state rnnrt_state;    /* the recurrent state of `batch` sequences */

RNNRT_API rnnrt_status rnnrt_model_load(const char *path, rnnrt_model **out);
RNNRT_API rnnrt_status rnnrt_model_load_memory(const void *data, size_t size, rnnrt_model **out);
RNNRT_API void         rnnrt_model_free(rnnrt_model *m);
RNNRT_API int          rnnrt_model_input_size(const rnnrt_model *m);
RNNRT_API int          rnnrt_model_output_size(const rnnrt_model *m); /* per step and sequence */

RNNRT_API rnnrt_status rnnrt_state_create(const rnnrt_model *m, int batch, rnnrt_state **out); /* zeros */
RNNRT_API void         rnnrt_state_free(rnnrt_state *s);
/* h: [layers*directions][batch][h_size], c: [layers*directions][batch][hidden_size]
 * (PyTorch's h_n / c_n layout); c is NULL for GRU models. */
RNNRT_API rnnrt_status rnnrt_state_read(const rnnrt_state *s, float *h, float *c);
RNNRT_API rnnrt_status rnnrt_state_write(rnnrt_state *s, const float *h, const float *c);

/* x: [seq_len][batch][input_size], y: [seq_len][batch][output_size], time-major.
 * state NULL: start from zeros, discard the final state. Otherwise start from it and leave
 * the final state in it (PyTorch's h_0/c_0 -> h_n/c_n), so for unidirectional models two
 * calls on consecutive chunks give the same y as one call on the whole sequence.
 * lengths NULL: every sequence has seq_len steps. Otherwise 1 <= lengths[b] <= seq_len, with
 * PyTorch's packed-sequence semantics: y is zero past each sequence's end, its final state is
 * the one at its own last step, the reverse direction starts at its own last step. */
RNNRT_API rnnrt_status rnnrt_forward(const rnnrt_model *m, rnnrt_state *state, const float *x,
                           int seq_len, int batch, const int *lengths, float *y);

RNNRT_API void         rnnrt_set_num_threads(int n);    /* n <= 0: the OpenMP default */
RNNRT_API const char  *rnnrt_isa(void);                 /* "scalar", "avx2", "avx512" or "neon" */
RNNRT_API rnnrt_status rnnrt_set_isa(const char *name); /* RNNRT_E_UNSUPPORTED if this CPU lacks it */

/* ---- Additions beyond the core contract ---------------------------------------------- */

/* "0.1.0": the version of the library that is running. */
RNNRT_API const char  *rnnrt_version(void);

/* The recurrent cell of a model. PEEPHOLE and COUPLED are LSTM variants PyTorch lacks;
 * docs/model-format.md gives their equations and how a file declares them. */
typedef enum rnnrt_cell {
    RNNRT_CELL_LSTM = 0,
    RNNRT_CELL_GRU = 1,
    RNNRT_CELL_LSTM_PEEPHOLE = 2,
    RNNRT_CELL_LSTM_COUPLED = 3,
} rnnrt_cell;

/* Queries of a loaded model; each returns -1 (or "") when m is NULL. */
RNNRT_API rnnrt_cell   rnnrt_model_cell(const rnnrt_model *m);
RNNRT_API const char  *rnnrt_model_cell_name(const rnnrt_model *m); /* "lstm", "gru", ... */
RNNRT_API int          rnnrt_model_num_layers(const rnnrt_model *m);
RNNRT_API int          rnnrt_model_num_directions(const rnnrt_model *m); /* 1, or 2 if bidirectional */
RNNRT_API int          rnnrt_model_hidden_size(const rnnrt_model *m);    /* units per direction: H */
RNNRT_API int          rnnrt_model_proj_size(const rnnrt_model *m);      /* LSTM projection, 0 if none */
RNNRT_API int          rnnrt_model_state_h_size(const rnnrt_model *m);   /* proj_size if set, else H */
RNNRT_API int          rnnrt_model_has_bias(const rnnrt_model *m);       /* 0 for bias=False models */

/* The batch a state was created for. */
RNNRT_API int          rnnrt_state_batch(const rnnrt_state *s);
/* Resets the state to zeros. */
RNNRT_API rnnrt_status rnnrt_state_reset(rnnrt_state *s);

/* Forward-pass variant, for benchmarking and testing: "reference" (plain loops, the
 * oracle), "simd" (the kernel set's gate kernels and vector products on the weights as
 * loaded) or "blocked" (packed weights, blocked GEMM with fused gates; the default).
 * RNNRT_VARIANT in the environment sets it at startup. Unknown names: RNNRT_E_INVALID. */
RNNRT_API rnnrt_status rnnrt_set_variant(const char *name);
RNNRT_API const char  *rnnrt_variant(void);

/* The thread count forward passes use (resolving n <= 0 to the OpenMP default). */
RNNRT_API int          rnnrt_num_threads(void);

#ifdef __cplusplus
}
#endif

#endif /* RNNRT_H */
