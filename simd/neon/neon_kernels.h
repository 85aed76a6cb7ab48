/* Declarations of the AArch64 NEON kernel set (signatures from simd/kernels.h). */
#ifndef RNNRT_SIMD_NEON_KERNELS_H
#define RNNRT_SIMD_NEON_KERNELS_H

#include <stddef.h>

void rnnrt_f32_vexp__neon(size_t n, const float *x, float *y);
void rnnrt_f32_vsigmoid__neon(size_t n, const float *x, float *y);
void rnnrt_f32_vtanh__neon(size_t n, const float *x, float *y);

void rnnrt_f32_lstm_gates__neon(size_t n, const float *i, const float *f, const float *g,
                                const float *o, const float *c_prev, float *c, float *h);
void rnnrt_f32_lstm_peephole_gates__neon(size_t n, const float *i, const float *f,
                                         const float *g, const float *o, const float *p_i,
                                         const float *p_f, const float *p_o,
                                         const float *c_prev, float *c, float *h);
void rnnrt_f32_lstm_coupled_gates__neon(size_t n, const float *f, const float *g,
                                        const float *o, const float *c_prev, float *c,
                                        float *h);
void rnnrt_f32_gru_gates__neon(size_t n, const float *r, const float *z, const float *xn,
                               const float *hn, const float *h_prev, float *h);

#endif
