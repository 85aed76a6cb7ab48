/* Naive double-precision oracle of every kernel family in simd/kernels.h: the formulas as
 * written there, one element at a time, in double, with libm's double exp and tanh. Float
 * inputs are widened exactly, so the oracle's error (~1e-16 relative) is far below any
 * float kernel's. Not a kernel: no tiling, no vectors, no dispatch. */
#ifndef RNNRT_TESTS_KERNELS_ORACLE_H
#define RNNRT_TESTS_KERNELS_ORACLE_H

#include <stddef.h>

#include "kernels.h"

double oracle_sigmoid(double x);

void oracle_vexp(size_t n, const float *x, double *y);
void oracle_vsigmoid(size_t n, const float *x, double *y);
void oracle_vtanh(size_t n, const float *x, double *y);

void oracle_lstm_gates(size_t n, const float *i, const float *f, const float *g,
                       const float *o, const float *c_prev, double *c, double *h);
void oracle_lstm_peephole_gates(size_t n, const float *i, const float *f, const float *g,
                                const float *o, const float *p_i, const float *p_f,
                                const float *p_o, const float *c_prev, double *c, double *h);
void oracle_lstm_coupled_gates(size_t n, const float *f, const float *g, const float *o,
                               const float *c_prev, double *c, double *h);
/* GRU from the parts the kernel takes: r = r_h + r_x, z = z_h + z_x, the candidate
 * tanh(n_x + r (n_h + b_hn)). */
void oracle_gru_gates(size_t n, const float *r_h, const float *z_h, const float *n_h,
                      const float *r_x, const float *z_x, const float *n_x, const float *b_hn,
                      const float *h_prev, double *h);
/* The reset-before GRU's two kernels: z = sigmoid(z_pre), rh = sigmoid(r) h_prev; then
 * h = (1 - z) tanh(t) + z h_prev. */
void oracle_gru_rb_rz_gates(size_t n, const float *r, const float *z_pre, const float *h_prev,
                            double *rh, double *z);
void oracle_gru_rb_h_gates(size_t n, const float *t, const float *z, const float *h_prev,
                           double *h);
/* The vanilla RNN's update from its summed pre-activation: tanh(t), max(t, 0) (NaN kept). */
void oracle_rnn_tanh_gates(size_t n, const float *t, double *h);
void oracle_rnn_relu_gates(size_t n, const float *t, double *h);

/* One ONNX activation function (rnnrt_f32_vact_t), element by element. */
double oracle_act(double x, const rnnrt_activation *a);
void oracle_vact(size_t n, const float *x, double *y, const rnnrt_activation *a);

#endif
