/* The loaded model: float32 weights per layer and direction, in PyTorch's layouts. */
#ifndef RNNRT_MODEL_H
#define RNNRT_MODEL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels.h"
#include "options.h"
#include "rnnrt.h"
#include "thread_choice.h"

/* Largest accepted dimension (hidden, input, projection size, layers): far above any
 * real RNN, low enough that sizes computed from a few of them cannot overflow size_t. */
#define RNNRT_MAX_DIM (1 << 24)
#define RNNRT_MAX_LAYERS 1024
#define RNNRT_MAX_ARRAY_BYTES ((uint64_t)1 << 48) /* largest x or y rnnrt_forward accepts */
#define RNNRT_MAX_PACKINGS 4 /* one per kernel set: scalar, avx2, avx512 / neon */

struct rnnrt_st_tensor;

/* How a unit's gate math runs in the blocked pass. */
typedef enum rnnrt_gate_path {
    RNNRT_GATES_KERNELS = 0, /* the cell's gate kernels: its own functions, no clip */
    RNNRT_GATES_CLAMP,       /* rnnrt.clip on a tile of whole pre-activations, then them */
    RNNRT_GATES_GENERAL,     /* row by row with the set's vact and vector math: other
                              * functions, or a clip inside what the kernel completes */
} rnnrt_gate_path;

/* Room for three functions as rnnrt_model_activation_functions writes them: at most
 * 3 x 44 + 2 characters ("HardSigmoid(-1.17549435e-38,-1.17549435e-38)" is the longest). */
#define RNNRT_ACT_TEXT 160

/* One layer in one direction. Rows are gate blocks in the cell's order (i f g o; r z n for
 * both GRUs; f g o for the coupled LSTM; one block for the RNN), each `hidden` rows long.
 * The matrices are kept only packed (pack.h: rnnrt_model_matrix reads them back); the
 * vectors as loaded, in float32. */
typedef struct rnnrt_layer_weights {
    int in_size;        /* columns of W_ih */
    const float *b_ih;  /* [gates*hidden], zeros for bias=False models */
    const float *b_hh;  /* [gates*hidden], zeros for bias=False models */
    const float *p_i, *p_f, *p_o; /* [hidden] peepholes; p_i is NULL for the coupled cell */
    /* While loading only: the file's W_ih [gates*hidden][in_size], W_hh [gates*hidden]
     * [h_size] and W_hr [proj][hidden] (NULL without projection); NULL once packed. */
    const struct rnnrt_st_tensor *src_ih, *src_hh, *src_hr;
    /* While loading only: the row scales ([rows] F32) of those that are I8, else NULL. */
    const struct rnnrt_st_tensor *scale_ih, *scale_hh, *scale_hr;
    /* Its gate functions in ONNX's order (LSTM f, g, h; GRU f, g; RNN f): the cell's own
     * unless rnnrt.activation_functions declares others (model_metadata.c), and as text
     * for rnnrt_model_activation_functions. */
    rnnrt_activation act[3];
    char act_text[RNNRT_ACT_TEXT];
    /* How the blocked pass applies the gate math (set at load): */
    rnnrt_gate_path gate_path;
} rnnrt_layer_weights;

struct rnnrt_model {
    rnnrt_cell cell;
    int gates;          /* gate blocks: 4 LSTM and peephole, 3 GRU and coupled, 1 RNN */
    int layers, directions;
    int input_size, hidden, proj;
    int h_size;         /* width of h: proj if > 0, else hidden */
    bool has_bias;
    /* Metadata rnnrt.direction and rnnrt.clip (model_metadata.c). A one-direction layer may
     * run backward in time (ONNX direction=reverse, Keras go_backwards); its output at step
     * t is still written at t. clip > 0 clamps every gate pre-activation to [-clip, clip]
     * before its activation (ONNX's clip); 0: no clipping. */
    bool layer_reverse[RNNRT_MAX_LAYERS];
    int reverse_layers; /* how many of layer_reverse are set */
    float clip;
    bool batch_major;   /* rnnrt.layout=batch_major: the source's inputs are [B][T][I] */
    rnnrt_layer_weights *w; /* [layers * directions], layer-major */
    float *arena;        /* owns the vectors of w */
    struct rnnrt_stack *stack; /* embedding, head, vocabulary (stack.h); NULL if none */
    struct rnnrt_options options; /* as loaded: kernel set and threads, NULL/0 to follow
                                   * the process-wide settings */
    /* Weights packed for the blocked forward pass, one layout per kernel set in use
     * (runtime/pack.c): made at load for the active set, later ones on first use. */
    pthread_mutex_t pack_lock;
    struct rnnrt_packing *packings[RNNRT_MAX_PACKINGS];
    /* Measured one-thread and several-thread times of recent call shapes (mutable, like
     * the packings: atomics only). */
    rnnrt_choice choice;
};

/* The kernel set and thread count a call on m runs with now. */
const rnnrt_kernels *rnnrt_model_kernels(const rnnrt_model *m);
int rnnrt_model_thread_count(const rnnrt_model *m);

static inline const rnnrt_layer_weights *rnnrt_weights(const rnnrt_model *m, int layer,
                                                       int direction)
{
    return &m->w[layer * m->directions + direction];
}

/* Whether layer `layer`, direction `dir` reads its sequence from the end: the second
 * direction of a bidirectional layer, or a one-direction layer declared reverse. */
static inline bool rnnrt_runs_backward(const rnnrt_model *m, int layer, int dir)
{
    return dir == 1 || m->layer_reverse[layer];
}

/* GRU and the vanilla RNN keep h only; the LSTM cells also keep c. */
static inline bool rnnrt_cell_has_c(rnnrt_cell cell)
{
    return cell == RNNRT_CELL_LSTM || cell == RNNRT_CELL_LSTM_PEEPHOLE ||
           cell == RNNRT_CELL_LSTM_COUPLED;
}

static inline bool rnnrt_cell_is_rnn(rnnrt_cell cell)
{
    return cell == RNNRT_CELL_RNN_TANH || cell == RNNRT_CELL_RNN_RELU;
}

/* The gate functions a cell has: LSTM f, g, h (3); GRU f, g (2); RNN f (1). */
static inline int rnnrt_cell_functions(rnnrt_cell cell)
{
    return rnnrt_cell_has_c(cell) ? 3 : rnnrt_cell_is_rnn(cell) ? 1 : 2;
}

/* The longest row any of m's matrix products takes: x (input_size), a layer's output
 * below (directions * h_size), o * tanh(c) or r * h (hidden). */
static inline int rnnrt_model_widest_input(const rnnrt_model *m)
{
    int w = m->input_size > m->hidden ? m->input_size : m->hidden;
    return w > m->directions * m->h_size ? w : m->directions * m->h_size;
}

/* Floats in a state's h and c arrays for `batch` sequences. */
static inline size_t rnnrt_state_h_count(const rnnrt_model *m, int batch)
{
    return (size_t)m->layers * m->directions * batch * m->h_size;
}
static inline size_t rnnrt_state_c_count(const rnnrt_model *m, int batch)
{
    return !rnnrt_cell_has_c(m->cell) ? 0 : (size_t)m->layers * m->directions * batch * m->hidden;
}

#endif
