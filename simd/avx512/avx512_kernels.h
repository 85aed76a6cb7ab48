/* Declarations of the AVX-512 (F, BW, DQ, VL) kernel set (signatures from simd/kernels.h). */
#ifndef RNNRT_SIMD_AVX512_KERNELS_H
#define RNNRT_SIMD_AVX512_KERNELS_H

#include <stddef.h>

void rnnrt_f32_vexp__avx512(size_t n, const float *x, float *y);
void rnnrt_f32_vsigmoid__avx512(size_t n, const float *x, float *y);
void rnnrt_f32_vtanh__avx512(size_t n, const float *x, float *y);

void rnnrt_f32_lstm_gates__avx512(size_t n, const float *i, const float *f, const float *g,
                                  const float *o, const float *c_prev, float *c, float *h);
void rnnrt_f32_lstm_peephole_gates__avx512(size_t n, const float *i, const float *f,
                                           const float *g, const float *o, const float *p_i,
                                           const float *p_f, const float *p_o,
                                           const float *c_prev, float *c, float *h);
void rnnrt_f32_lstm_coupled_gates__avx512(size_t n, const float *f, const float *g,
                                          const float *o, const float *c_prev, float *c,
                                          float *h);
void rnnrt_f32_gru_gates__avx512(size_t n, const float *r, const float *z, const float *xn,
                                 const float *hn, const float *h_prev, float *h);

#endif
