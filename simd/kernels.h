/* Kernel families of rnnrt: one signature per family, shared by every ISA.
 *
 * Names follow rnnrt_f32_<family>__<isa> (file simd/<isa>/rnnrt_f32_<family>__<isa>.c).
 * Contract common to all families:
 *  - n is a count of elements (any value >= 0, no multiple required);
 *  - pointers need only float alignment; kernels never read or write past n elements;
 *  - outputs may alias the inputs they replace element by element (y == x is allowed for
 *    vector math; c may alias c_prev and h may alias h_prev in the gate kernels);
 *  - kernels do not fail and do not allocate.
 */
#ifndef RNNRT_SIMD_KERNELS_H
#define RNNRT_SIMD_KERNELS_H

#include <stddef.h>

/* Vector math: y[j] = f(x[j]) for j < n. */
typedef void (*rnnrt_f32_vunary_fn)(size_t n, const float *x, float *y);

/* LSTM cell update for n units, from gate pre-activations with both products and both biases
 * already summed (gate order i, f, g, o as in PyTorch):
 *   c[j] = sigmoid(f[j]) * c_prev[j] + sigmoid(i[j]) * tanh(g[j])
 *   h[j] = sigmoid(o[j]) * tanh(c[j])                                                      */
typedef void (*rnnrt_f32_lstm_gates_fn)(size_t n, const float *i, const float *f,
                                        const float *g, const float *o, const float *c_prev,
                                        float *c, float *h);

/* Peephole LSTM (Gers & Schmidhuber): p_i, p_f see c_prev, p_o sees the new c:
 *   c[j] = sigmoid(f[j] + p_f[j]*c_prev[j]) * c_prev[j]
 *        + sigmoid(i[j] + p_i[j]*c_prev[j]) * tanh(g[j])
 *   h[j] = sigmoid(o[j] + p_o[j]*c[j]) * tanh(c[j])                                        */
typedef void (*rnnrt_f32_lstm_peephole_gates_fn)(size_t n, const float *i, const float *f,
                                                 const float *g, const float *o,
                                                 const float *p_i, const float *p_f,
                                                 const float *p_o, const float *c_prev,
                                                 float *c, float *h);

/* Coupled input-forget gate LSTM: i = 1 - f.
 *   c[j] = sigmoid(f[j]) * c_prev[j] + (1 - sigmoid(f[j])) * tanh(g[j])
 *   h[j] = sigmoid(o[j]) * tanh(c[j])                                                      */
typedef void (*rnnrt_f32_lstm_coupled_gates_fn)(size_t n, const float *f, const float *g,
                                                const float *o, const float *c_prev,
                                                float *c, float *h);

/* GRU as PyTorch computes it. r and z hold both products and all their biases; xn holds
 * W_in x + b_in and hn holds W_hn h + b_hn (kept apart because r scales only hn):
 *   n = tanh(xn[j] + sigmoid(r[j]) * hn[j])
 *   h[j] = (1 - sigmoid(z[j])) * n + sigmoid(z[j]) * h_prev[j]                              */
typedef void (*rnnrt_f32_gru_gates_fn)(size_t n, const float *r, const float *z,
                                       const float *xn, const float *hn, const float *h_prev,
                                       float *h);

/* One kernel set: what dispatch fills once per ISA. */
typedef struct rnnrt_kernels {
    const char *isa;
    rnnrt_f32_vunary_fn vexp;
    rnnrt_f32_vunary_fn vsigmoid;
    rnnrt_f32_vunary_fn vtanh;
    rnnrt_f32_lstm_gates_fn lstm_gates;
    rnnrt_f32_lstm_peephole_gates_fn lstm_peephole_gates;
    rnnrt_f32_lstm_coupled_gates_fn lstm_coupled_gates;
    rnnrt_f32_gru_gates_fn gru_gates;
} rnnrt_kernels;

#endif /* RNNRT_SIMD_KERNELS_H */
