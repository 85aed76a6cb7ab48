/* The blocked pass's gate math for units the cell's kernels do not cover (rnnrt_gate_path
 * RNNRT_GATES_GENERAL, model.h): gate functions other than the cell's own
 * (rnnrt.activation_functions), and rnnrt.clip on the cells whose kernels complete a
 * pre-activation themselves (the peephole LSTM, both GRUs). The same tiles and state as
 * the kernels of simd/kernels.h take, row by row: each gate block through the set's vact,
 * the clamps and the cell's sums in portable loops. The tile's gate columns are scratch. */
#ifndef RNNRT_GATES_GENERAL_H
#define RNNRT_GATES_GENERAL_H

#include <stddef.h>

#include "model.h"

/* The LSTM cells (lstm, lstm_peephole, lstm_coupled) as rnnrt_f32_lstm_gates_t and its
 * variants, c updated in place; or the RNN as rnnrt_f32_rnn_tanh_gates_t (gs and c unused).
 * u0: the panel's first unit, for the peepholes. */
void rnnrt_general_rows(const rnnrt_model *m, const rnnrt_kernels *k,
                        const rnnrt_layer_weights *w, int u0, size_t rows, size_t n, float *t,
                        size_t ldt, size_t gs, float *c, size_t ldc, float *h, size_t ldh);

/* The GRU as rnnrt_f32_gru_gates_t: t holds U h (r, z, n), x the input projection with its
 * biases; b_hn is the unit's (w->b_hh). h_prev and h share ldh. */
void rnnrt_general_gru_rows(const rnnrt_model *m, const rnnrt_kernels *k,
                            const rnnrt_layer_weights *w, int u0, size_t rows, size_t n,
                            float *t, size_t ldt, size_t gs, const float *x, size_t ldx,
                            const float *h_prev, float *h, size_t ldh);

/* The reset-before GRU's two halves as rnnrt_f32_gru_rb_rz_gates_t and
 * rnnrt_f32_gru_rb_h_gates_t. */
void rnnrt_general_rb_rz_rows(const rnnrt_model *m, const rnnrt_kernels *k,
                              const rnnrt_layer_weights *w, size_t rows, size_t n, float *t,
                              size_t ldt, size_t gs, const float *h_prev, float *rh, float *z,
                              size_t ld);
void rnnrt_general_rb_h_rows(const rnnrt_model *m, const rnnrt_kernels *k,
                             const rnnrt_layer_weights *w, size_t rows, size_t n, float *t,
                             size_t ldt, const float *z, const float *h_prev, float *h,
                             size_t ldh);

#endif
