/* Public queries of a loaded model and freeing it. */
#include <stdlib.h>

#include "alloc.h"
#include "dispatch.h"
#include "model.h"
#include "stack.h"
#include "pack.h"

void rnnrt_model_free(rnnrt_model *m)
{
    if (!m)
        return;
    for (int i = 0; i < RNNRT_MAX_PACKINGS; i++)
        rnnrt_packing_free(m->packings[i]);
    pthread_mutex_destroy(&m->pack_lock);
    rnnrt_free(m->arena);
    rnnrt_stack_free(m->stack);
    rnnrt_free(m->w);
    rnnrt_free(m);
}

int rnnrt_model_input_size(const rnnrt_model *m)
{
    return m ? m->input_size : -1;
}

int rnnrt_model_output_size(const rnnrt_model *m)
{
    return m ? m->directions * m->h_size : -1;
}

rnnrt_cell rnnrt_model_cell(const rnnrt_model *m)
{
    return m ? m->cell : (rnnrt_cell)-1;
}

const char *rnnrt_model_cell_name(const rnnrt_model *m)
{
    if (!m)
        return "";
    switch (m->cell) {
    case RNNRT_CELL_LSTM: return "lstm";
    case RNNRT_CELL_GRU: return "gru";
    case RNNRT_CELL_LSTM_PEEPHOLE: return "lstm_peephole";
    case RNNRT_CELL_LSTM_COUPLED: return "lstm_coupled";
    case RNNRT_CELL_RNN_TANH: return "rnn_tanh";
    case RNNRT_CELL_RNN_RELU: return "rnn_relu";
    case RNNRT_CELL_GRU_RESET_BEFORE: return "gru_reset_before";
    }
    return "";
}

int rnnrt_model_num_layers(const rnnrt_model *m)
{
    return m ? m->layers : -1;
}

int rnnrt_model_num_directions(const rnnrt_model *m)
{
    return m ? m->directions : -1;
}

int rnnrt_model_hidden_size(const rnnrt_model *m)
{
    return m ? m->hidden : -1;
}

int rnnrt_model_proj_size(const rnnrt_model *m)
{
    return m ? m->proj : -1;
}

int rnnrt_model_state_h_size(const rnnrt_model *m)
{
    return m ? m->h_size : -1;
}

int rnnrt_model_has_bias(const rnnrt_model *m)
{
    return m ? m->has_bias : -1;
}

int rnnrt_model_layer_reverse(const rnnrt_model *m, int layer)
{
    return !m || layer < 0 || layer >= m->layers ? -1 : m->layer_reverse[layer];
}

float rnnrt_model_clip(const rnnrt_model *m)
{
    return m ? m->clip : -1.0f;
}

const char *rnnrt_model_activation_functions(const rnnrt_model *m, int layer, int direction)
{
    if (!m || layer < 0 || layer >= m->layers || direction < 0 || direction >= m->directions)
        return NULL;
    return rnnrt_weights(m, layer, direction)->act_text;
}

int rnnrt_model_batch_major(const rnnrt_model *m)
{
    return m ? m->batch_major : -1;
}

const rnnrt_kernels *rnnrt_model_kernels(const rnnrt_model *m)
{
    return m->options.kernels ? m->options.kernels : rnnrt_active_kernels();
}

int rnnrt_model_thread_count(const rnnrt_model *m)
{
    return m->options.threads > 0 ? m->options.threads : rnnrt_num_threads();
}

const char *rnnrt_model_isa(const rnnrt_model *m)
{
    return m ? rnnrt_model_kernels(m)->isa : "";
}

const char *rnnrt_model_weights(const rnnrt_model *m)
{
    return m ? rnnrt_weight_type_name(m->options.weights) : "";
}

const char *rnnrt_model_activations(const rnnrt_model *m)
{
    return m ? rnnrt_activation_type_name(m->options.activations) : "";
}

int rnnrt_model_threads(const rnnrt_model *m)
{
    return m ? rnnrt_model_thread_count(m) : -1;
}
