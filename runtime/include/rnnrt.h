/* rnnrt: recurrent neural network inference (LSTM and its variants, GRU) on CPUs.
 *
 * Conventions
 *  - Every function that can fail returns an rnnrt_status; on failure, rnnrt_last_error()
 *    says in words which argument or which part of the file was wrong. Outputs are written
 *    through the last arguments and are left untouched on failure.
 *  - Tensors are dense, row-major, float32, in PyTorch's layouts and gate orders.
 *  - Thread safety. A loaded model may be shared by any number of threads calling
 *    rnnrt_forward, rnnrt_forward_batch_first, rnnrt_forward_tokens, rnnrt_forward_head,
 *    rnnrt_state_create and the model queries at once (its only mutable part, the weights
 *    packed per kernel set, is guarded by a mutex). Models may be loaded and freed on any
 *    thread while others run, but a model must outlive every call that uses it. A state
 *    belongs to one call at a time; it does not refer to its model. Results are the same
 *    bytes whatever other threads do and whatever the thread count. Each call runs its own
 *    OpenMP team of up to rnnrt_num_threads() threads, so N concurrent callers use up to N
 *    times as many: callers that parallelise over requests should call
 *    rnnrt_set_num_threads(1). rnnrt_last_error() is per thread and valid until that
 *    thread's next rnnrt call. rnnrt_set_num_threads(), rnnrt_set_isa() and
 *    rnnrt_set_variant() change process-wide settings: call them before starting forward
 *    passes from several threads. An rnnrt_rng belongs to one thread (copy it to fork).
 *  - Floating point: the blocked forward pass flushes subnormal numbers to zero inside its
 *    own threads (they slow the arithmetic) and restores the caller's mode before it
 *    returns; the library never leaves the caller's floating-point environment changed.
 *  - Limits: dimensions up to 2^24, up to 1024 layers, batch up to 2^24, and x and y
 *    arrays below 2^48 bytes; larger requests are refused before anything is allocated.
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
    RNNRT_E_BUSY = 6,        /* a batcher's limit (max_streams, max_pending) would be exceeded */
    RNNRT_E_TIMEOUT = 7,     /* a wait ran out of time */
    RNNRT_E_CLOSED = 8,      /* the stream was closed, evicted, or its batcher freed */
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
 * the final state in it (PyTorch's h_0/c_0 -> h_n/c_n), so for models whose layers all run
 * forward two calls on consecutive chunks give the same y as one call on the whole
 * sequence. A direction that runs backward in time (bidirectional models, and layers
 * declared reverse: rnnrt_model_layer_reverse) starts at the end of the sequence: the state
 * is its initial and final state (ONNX's initial_h -> Y_h, after step 0), and chunks do not
 * compose (such a model cannot stream step by step).
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
 * RNN_TANH and RNN_RELU are PyTorch's nn.RNN (h = act(W_ih x + b_ih + W_hh h + b_hh)), which
 * has no cell state. GRU_RESET_BEFORE is the GRU that applies the reset gate before the
 * product, n = tanh(W_in x + b_in + W_hn (r * h) + b_hn) (Keras reset_after=False, ONNX
 * linear_before_reset=0), in nn.GRU's tensors. docs/model-format.md gives their equations
 * and how a file declares them. */
typedef enum rnnrt_cell {
    RNNRT_CELL_LSTM = 0,
    RNNRT_CELL_GRU = 1,
    RNNRT_CELL_LSTM_PEEPHOLE = 2,
    RNNRT_CELL_LSTM_COUPLED = 3,
    RNNRT_CELL_RNN_TANH = 4,
    RNNRT_CELL_RNN_RELU = 5,
    RNNRT_CELL_GRU_RESET_BEFORE = 6,
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
/* 1 when layer `layer` (0-based) of a one-direction model runs backward in time (metadata
 * rnnrt.direction: ONNX direction=reverse, Keras go_backwards), 0 when it runs forward or
 * the model is bidirectional; -1 when m is NULL or layer is out of range. y[t] is always
 * the output at input step t: a reverse layer's y[t] has seen steps t..len-1. */
RNNRT_API int          rnnrt_model_layer_reverse(const rnnrt_model *m, int layer);
/* The bound gate pre-activations are clamped to (metadata rnnrt.clip, ONNX's clip), 0 for
 * none; -1 when m is NULL. */
RNNRT_API float        rnnrt_model_clip(const rnnrt_model *m);
/* The gate functions of layer `layer` (0-based), direction `direction` (0 forward, 1 the
 * backward half of a bidirectional layer), in ONNX's names as the metadata key
 * rnnrt.activation_functions writes them: "Sigmoid,Tanh,Tanh" for the LSTMs' f, g, h (their
 * own), "Sigmoid,Tanh" for the GRUs' f, g, "Tanh" or "Relu" for the RNN's f, or others such
 * as "HardSigmoid(0.2,0.5),Tanh,Tanh" (docs/model-format.md). Owned by the model; NULL when
 * m is NULL or layer or direction is out of range. */
RNNRT_API const char  *rnnrt_model_activation_functions(const rnnrt_model *m, int layer,
                                                        int direction);
/* 1 when the file records that its source's inputs and outputs are batch-major (metadata
 * rnnrt.layout=batch_major: ONNX layout=1, Keras), so that tools and bindings default to
 * rnnrt_forward_batch_first for it; 0 otherwise; -1 when m is NULL. It changes no entry
 * point: rnnrt_forward stays time-major. */
RNNRT_API int          rnnrt_model_batch_major(const rnnrt_model *m);

/* The batch a state was created for. */
RNNRT_API int          rnnrt_state_batch(const rnnrt_state *s);
/* Resets the state to zeros. */
RNNRT_API rnnrt_status rnnrt_state_reset(rnnrt_state *s);

/* rnnrt_forward on batch-major arrays (PyTorch's batch_first=True, Keras' layout, ONNX's
 * layout=1): x [batch][seq_len][input_size], y [batch][seq_len][output_size]. state,
 * lengths, the zeros past each length and the arguments refused are those of rnnrt_forward,
 * and the results are the same bytes as rnnrt_forward on the transposed x. It works in
 * time-major scratch the size of x and y: kept in the state between calls (streaming
 * allocates nothing after the first call), or this call's own when state is NULL. */
RNNRT_API rnnrt_status rnnrt_forward_batch_first(const rnnrt_model *m, rnnrt_state *state,
                                                 const float *x, int seq_len, int batch,
                                                 const int *lengths, float *y);

/* Forward-pass variant, for benchmarking and testing: "reference" (plain loops, the
 * oracle) or "blocked" (packed weights, blocked GEMM with fused gates; the default).
 * Deprecated: "simd", a variant no longer in the library, is accepted as an alias of
 * "blocked" (rnnrt_variant() then returns "blocked"). RNNRT_VARIANT in the environment
 * sets it at startup. Unknown names: RNNRT_E_INVALID. */
RNNRT_API rnnrt_status rnnrt_set_variant(const char *name);
RNNRT_API const char  *rnnrt_variant(void);

/* The thread count forward passes use (resolving n <= 0 to the OpenMP default). */
RNNRT_API int          rnnrt_num_threads(void);

/* ---- Per-model options ----------------------------------------------------------------- */

/* Options a model is loaded with. A model loaded without options (rnnrt_model_load) follows
 * the process-wide settings at each call (rnnrt_set_num_threads, rnnrt_set_isa); options fix
 * them for one model, so models with different kernel sets and thread counts can run side by
 * side in one process. Keys and values:
 *   "threads": "N", N >= 0 (0: the process-wide count at each call; at most 4096)
 *   "isa":     "auto" (the process-wide kernel set at each call) or a kernel set name:
 *              "scalar", "avx2", "avx512", "neon"
 *   "weights": "f32" (default), "bf16" or "int8": the recurrent and projection matrices
 *              are rounded at load to bfloat16, or to int8 with one float32 scale per row
 *              (symmetric, the row's largest magnitude to 127); activations, state, biases,
 *              the head and all arithmetic stay float32 (docs/reduced-precision.md). int8
 *              refuses non-finite weights with RNNRT_E_UNSUPPORTED naming the tensor.
 *   "activations": "f32" (default) or "int8", the latter with "weights" "int8" only: at
 *              every step each row of every matrix product's input (x_t, h_{t-1}, the
 *              projection's input, the reset-before GRU's r * h) is rounded to int8 with
 *              its own scale (its largest magnitude to 127), and the products are exact
 *              int32 sums times both scales (docs/reduced-precision.md). Biases, the gate
 *              math, the state and the head stay float32. A row holding a NaN or an infinity
 *              gives NaN products. Loading it with other weights is RNNRT_E_INVALID.
 *              "bf16", with "weights" "bf16" only: at every step every element of those
 *              inputs is rounded to bfloat16 (to nearest, ties to even; subnormals to zero),
 *              and the products are summed in float32 in the order of the AVX512-BF16
 *              instruction VDPBF16PS (docs/reduced-precision.md); the rest stays float32.
 *              Loading it with other weights is RNNRT_E_INVALID.
 * An unknown key or a malformed value is RNNRT_E_INVALID naming it; a kernel set this CPU or
 * build lacks is RNNRT_E_UNSUPPORTED, at rnnrt_options_set and again at load. The options
 * object is copied at load: it may be changed or freed afterwards. */
typedef struct rnnrt_options rnnrt_options;
RNNRT_API rnnrt_status rnnrt_options_create(rnnrt_options **out); /* f32, auto, threads 0 */
RNNRT_API void         rnnrt_options_free(rnnrt_options *o);
RNNRT_API rnnrt_status rnnrt_options_set(rnnrt_options *o, const char *key, const char *value);
/* rnnrt_model_load / rnnrt_model_load_memory with options; o NULL means the defaults. */
RNNRT_API rnnrt_status rnnrt_model_load_ex(const char *path, const rnnrt_options *o,
                                           rnnrt_model **out);
RNNRT_API rnnrt_status rnnrt_model_load_memory_ex(const void *data, size_t size,
                                                  const rnnrt_options *o, rnnrt_model **out);
/* The kernel set this model runs now, "f32"/"bf16"/"int8", and its thread count now (the
 * process-wide setting for a model that follows it); "" or -1 when m is NULL. */
RNNRT_API const char  *rnnrt_model_isa(const rnnrt_model *m);
RNNRT_API const char  *rnnrt_model_weights(const rnnrt_model *m);
/* Its "activations" option, "f32", "int8" or "bf16"; "" when m is NULL. */
RNNRT_API const char  *rnnrt_model_activations(const rnnrt_model *m);
RNNRT_API int          rnnrt_model_threads(const rnnrt_model *m);

/* ---- Whole models: embedding table, linear head, vocabulary, sampling ----------------- */

/* A file may hold, around the recurrent stack, an embedding table (token ids in, vectors of
 * input_size out), a linear head (output_size in, head_size out) and a vocabulary of
 * characters (docs/model-format.md, "Embedding, head and vocabulary"). rnnrt_forward never
 * uses them. Each query returns -1 when m is NULL. */
RNNRT_API int          rnnrt_model_vocab_size(const rnnrt_model *m);  /* embedding rows, 0 if none */
RNNRT_API int          rnnrt_model_head_size(const rnnrt_model *m);   /* head outputs, 0 if none */
/* What the two functions below write per step and sequence: head_size, or output_size for
 * a model without a head. */
RNNRT_API int          rnnrt_model_logits_size(const rnnrt_model *m);

/* ids: [seq_len][batch], each in [0, vocab_size) -> the embedding's rows -> the recurrent
 * stack -> the head. out: [seq_len][batch][logits_size], or with last_step_only != 0
 * [batch][logits_size] from each sequence's last step (lengths[b] - 1, or seq_len - 1).
 * state, seq_len, batch and lengths mean what they mean for rnnrt_forward; steps past a
 * sequence's length are not read (their ids may be anything) and their outputs are zeros.
 * An id out of range is RNNRT_E_INVALID naming its step t and sequence b; a model without an
 * embedding table is RNNRT_E_INVALID. */
RNNRT_API rnnrt_status rnnrt_forward_tokens(const rnnrt_model *m, rnnrt_state *state,
                                            const int *ids, int seq_len, int batch,
                                            const int *lengths, int last_step_only, float *out);
/* The same from float inputs x [seq_len][batch][input_size]: rnnrt_forward, then the head
 * (a sequence classifier or a regressor). */
RNNRT_API rnnrt_status rnnrt_forward_head(const rnnrt_model *m, rnnrt_state *state,
                                          const float *x, int seq_len, int batch,
                                          const int *lengths, int last_step_only, float *out);
/* The two above on batch-major arrays (as rnnrt_forward_batch_first): ids [batch][seq_len],
 * x [batch][seq_len][input_size], out [batch][seq_len][logits_size], or with
 * last_step_only != 0 [batch][logits_size] as the time-major calls give it. The arguments
 * refused, the statuses and messages (under their own names; a bad id is named by its place
 * in the array, ids[b][t]) and the results' bytes are those of the time-major calls on the
 * transposed inputs. They work in time-major scratch kept in the state between calls, or
 * this call's own when state is NULL. Thread safety as for the two above. */
RNNRT_API rnnrt_status rnnrt_forward_tokens_batch_first(const rnnrt_model *m,
                                                        rnnrt_state *state, const int *ids,
                                                        int seq_len, int batch,
                                                        const int *lengths,
                                                        int last_step_only, float *out);
RNNRT_API rnnrt_status rnnrt_forward_head_batch_first(const rnnrt_model *m, rnnrt_state *state,
                                                      const float *x, int seq_len, int batch,
                                                      const int *lengths, int last_step_only,
                                                      float *out);

/* The vocabulary: token k is the k-th Unicode character of the file's rnnrt.vocab.
 * rnnrt_model_token gives token id's UTF-8 text (NUL-terminated, owned by the model), or
 * NULL when the model has no vocabulary or id is out of range. */
RNNRT_API int          rnnrt_model_num_chars(const rnnrt_model *m);   /* 0 without a vocabulary */
RNNRT_API const char  *rnnrt_model_token(const rnnrt_model *m, int id);
/* UTF-8 text (NUL-terminated) -> one id per character, *count of them (at most
 * strlen(text)). RNNRT_E_INVALID when the model has no vocabulary, when max_ids is too
 * small, and for text that is not valid UTF-8 or holds a character outside the vocabulary
 * (the message gives its byte offset and code point). Empty text gives *count = 0. */
RNNRT_API rnnrt_status rnnrt_model_encode(const rnnrt_model *m, const char *text, int *ids,
                                          int max_ids, int *count);

/* A seeded pseudo-random generator (xoshiro256**, seeded through splitmix64): the same seed
 * gives the same sequence on every platform. A plain struct: copy it to fork the stream. */
typedef struct rnnrt_rng { unsigned long long s[4]; } rnnrt_rng;
RNNRT_API void               rnnrt_rng_seed(rnnrt_rng *rng, unsigned long long seed);
RNNRT_API unsigned long long rnnrt_rng_next(rnnrt_rng *rng);
RNNRT_API double             rnnrt_rng_uniform(rnnrt_rng *rng); /* in [0, 1), 53 bits */

/* Picks a token from n logits. temperature 0 (or top_k 1): greedy, the largest logit (the
 * lowest index among equals), rng unused and may be NULL. Otherwise one draw from
 * softmax(logits / temperature) restricted to the top_k largest logits (top_k <= 0 or >= n:
 * all of them). -INFINITY logits are never picked; NaN or +INFINITY logits, a negative or NaN
 * temperature, or no finite logit are RNNRT_E_INVALID. */
RNNRT_API rnnrt_status rnnrt_sample(const float *logits, int n, float temperature, int top_k,
                                    rnnrt_rng *rng, int *token);

/* ---- Streams: many stateful sequences batched into one step ------------------------- */

/* A batcher serves streams: sequences that each keep their own state and arrive a step or a
 * chunk at a time (an audio feed, a sensor, a chat). Its thread runs batched steps: each
 * takes the streams that have a step queued, the longest waiting first, up to "max_batch"
 * of them, gathers their states into one batch, runs one step of every layer on it (the
 * blocked pass, on "threads" threads) and scatters the states back. A stream in the middle
 * of a long chunk takes one row of a step like any other, so a stream that has just
 * arrived runs in the next step. With fewer than max_batch streams ready, a step waits up
 * to "max_wait_us" (from the time the oldest waiting push was made) for more. An idle
 * batcher sleeps; a busy one allocates nothing and makes no system call but futex.
 *
 * Exactness: a stream's outputs and state are the bytes rnnrt_forward gives its whole input
 * alone (batch 1, from zeros), with the same model, whatever streams it shared steps with
 * and however its input was split into pushes (rows never mix, and the tiles used are
 * row-invariant). This holds for f32, bf16 and int8 weights and for int8 activations; for
 * bf16 activations it holds on the vector tiles, while a kernel set with AMX tiles (from
 * RNNRT_MX_ROWS rows) sums in its own order, so there the bytes depend on the step's row
 * count and stay within float32 rounding of the vector tiles' (docs/streams.md).
 *
 * Models with a layer that runs backward in time (bidirectional, or rnnrt_model_layer_reverse)
 * are refused with RNNRT_E_UNSUPPORTED: their first output needs the last input, which a
 * stream has not sent yet. Use rnnrt_forward for them.
 *
 * Options for rnnrt_batcher_create (rnnrt_options_set; a model load ignores them):
 *   "max_batch"       rows per batched step, 1..65536 (default 64)
 *   "max_wait_us"     how long a step waits to gather more streams, 0..10000000 (default 200)
 *   "max_streams"     open streams, 1..16777216 (default 65536)
 *   "max_pending"     steps queued per stream, 1..1073741824 (default 65536)
 *   "idle_timeout_ms" a stream with nothing queued for this long is evicted (its state
 *                     freed); 0 = never (default 0); up to 2147483647
 *   "threads"         threads per batched step (default 0: the model's count at each step)
 * The kernel set and data types are the model's: load it with the options you want. The
 * model must outlive the batcher. Every function below may be called from any thread. */
typedef struct rnnrt_batcher rnnrt_batcher;
typedef struct rnnrt_stream  rnnrt_stream;
RNNRT_API rnnrt_status rnnrt_batcher_create(const rnnrt_model *m, const rnnrt_options *o,
                                            rnnrt_batcher **out);
/* Cancels pending work, stops the batcher's threads (it returns once they have stopped) and
 * frees every stream that has not been freed. Calls blocked on its streams (waits) return
 * RNNRT_E_CLOSED first; no call on the batcher or its streams may start once this has. */
RNNRT_API void         rnnrt_batcher_free(rnnrt_batcher *b);
/* A new stream with a zero state. RNNRT_E_BUSY when max_streams streams are open. */
RNNRT_API rnnrt_status rnnrt_stream_open(rnnrt_batcher *b, rnnrt_stream **out);
/* Queues x [steps][input_size] -> y [steps][output_size]; returns at once. y is written by
 * the time rnnrt_stream_wait returns RNNRT_OK; x and y must stay valid until then. Pushes
 * on one stream run in the order made. RNNRT_E_BUSY (nothing queued) when the stream
 * would hold more than max_pending steps; RNNRT_E_CLOSED when it was closed or evicted. */
RNNRT_API rnnrt_status rnnrt_stream_push(rnnrt_stream *s, const float *x, int steps, float *y);
/* Waits until every push made so far on s is done. timeout_ms -1: no limit, 0: a poll.
 * RNNRT_OK, RNNRT_E_TIMEOUT, or RNNRT_E_CLOSED when the stream was closed (by
 * rnnrt_stream_close, even while this waits), evicted or its batcher freed (the message says
 * which); a failed step's status (RNNRT_E_NOMEM, memory running out after create) or a
 * failed sample's (rnnrt_stream_generate): that push and those queued after it are dropped,
 * the state is that after the last step done, and waits report it until the next push. */
RNNRT_API rnnrt_status rnnrt_stream_wait(rnnrt_stream *s, int timeout_ms);
/* The stream's state after every step done so far, in rnnrt_state_read's layout for a batch
 * of one (c NULL for GRU and RNN; optional for LSTMs). While a step of the stream runs, it
 * waits for that step (the next waits for the read). */
RNNRT_API rnnrt_status rnnrt_stream_state(const rnnrt_stream *s, float *h, float *c);
/* Cancels the stream's pending steps (a step running now finishes first, and a push in the
 * middle of its chunk stops there), frees its state and its place among max_streams, and
 * makes calls on it, those blocked now included, return RNNRT_E_CLOSED. The handle stays
 * valid (a few hundred bytes) until rnnrt_stream_free or rnnrt_batcher_free. Closing a
 * closed or evicted stream does nothing; s NULL does nothing. */
RNNRT_API void         rnnrt_stream_close(rnnrt_stream *s);

/* Additions to the streams API. */
/* Closes s if it is open and frees its handle. No other call on s may be running or start
 * later (as with free): a service that closes streams it no longer uses frees them, so that
 * handles do not pile up until rnnrt_batcher_free. s NULL does nothing. */
RNNRT_API void         rnnrt_stream_free(rnnrt_stream *s);
/* Waits until the first `pushes` pushes accepted on s (counted from 1) are done: one push
 * among several in flight (what rnnrt_stream_wait does for all of them). Statuses as
 * rnnrt_stream_wait; pushes larger than the count accepted so far is RNNRT_E_INVALID. */
RNNRT_API rnnrt_status rnnrt_stream_wait_pushes(rnnrt_stream *s, unsigned long long pushes,
                                                int timeout_ms);
/* rnnrt_stream_push, and done(user, status) once the push is over, exactly once per push
 * accepted: RNNRT_OK once y is written, RNNRT_E_CLOSED when the stream was closed or its
 * batcher freed first, a failed step's status. It runs on the batcher's thread after the
 * step, or for a push dropped by rnnrt_stream_close, _free or rnnrt_batcher_free on the
 * thread that called them, before they return; never with the batcher's lock held. It may
 * push (on any stream) but must not wait on, close or free a stream of this batcher, and it
 * should be quick: the batcher's next step waits for it. For callers that must not block a
 * thread per push (a server, a load generator). done NULL: rnnrt_stream_push. */
typedef void (*rnnrt_push_done)(void *user, rnnrt_status status);
RNNRT_API rnnrt_status rnnrt_stream_push_notify(rnnrt_stream *s, const float *x, int steps,
                                                float *y, rnnrt_push_done done, void *user);
/* Token pushes, for models with an embedding table: ids [steps] (each in [0, vocab_size))
 * -> the embedding's rows -> the stack -> the head: logits [steps][logits_size], or with
 * last_step_only != 0 [logits_size] from the last step. The bytes are those of
 * rnnrt_forward_tokens on the stream's whole input. Queued, ordered, waited for and told
 * (done, user: NULL or as rnnrt_stream_push_notify) like rnnrt_stream_push; a stream may mix
 * both kinds. An id out of range, or a model without an embedding, is RNNRT_E_INVALID. */
RNNRT_API rnnrt_status rnnrt_stream_push_tokens(rnnrt_stream *s, const int *ids, int steps,
                                                int last_step_only, float *logits,
                                                rnnrt_push_done done, void *user);
/* Generation, for models with an embedding and a head of at most vocab_size outputs: feeds
 * the prompt [prompt_len], then samples n tokens into out [n], each fed back as the next
 * step; every step is batched with the other streams' steps. Sampling is rnnrt_sample's
 * (temperature, top_k) with a generator seeded with seed, one draw per token, so the tokens
 * are those of rnnrt_forward_tokens (last_step_only) and rnnrt_sample in a loop, as
 * `rnnrt generate` does. prompt_len + n - 1 steps count against max_pending. A sample
 * refused (NaN logits) fails the push with its status. Waits and callbacks as above. */
RNNRT_API rnnrt_status rnnrt_stream_generate(rnnrt_stream *s, const int *prompt,
                                             int prompt_len, int n, float temperature,
                                             int top_k, unsigned long long seed, int *out,
                                             rnnrt_push_done done, void *user);
/* A batcher's counters since it was created, for monitoring. Histograms count by powers of
 * two: batch_rows[k] the steps of 2^(k-1) + 1 .. 2^k rows ([0]: one row), latency_us[k] the
 * pushes done within 2^k microseconds of being made but not within 2^(k-1) (the last bucket
 * takes everything slower). */
#define RNNRT_STATS_BUCKETS 32
typedef struct rnnrt_batcher_stats {
    unsigned long long steps;   /* batched steps run */
    unsigned long long rows;    /* stream steps run in them: rows / steps is the mean batch */
    unsigned long long pushes;  /* pushes done */
    unsigned long long evicted; /* streams evicted after idle_timeout_ms */
    unsigned long long batch_rows[RNNRT_STATS_BUCKETS];
    unsigned long long latency_us[RNNRT_STATS_BUCKETS];
    int open_streams;           /* neither closed nor evicted */
    int ready_streams;          /* with a step queued, waiting for a step */
} rnnrt_batcher_stats;
RNNRT_API rnnrt_status rnnrt_batcher_read_stats(rnnrt_batcher *b, rnnrt_batcher_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* RNNRT_H */
