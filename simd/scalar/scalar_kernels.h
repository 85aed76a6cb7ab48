/* Declarations of the scalar kernel set (signatures from simd/kernels.h). */
#ifndef RNNRT_SIMD_SCALAR_KERNELS_H
#define RNNRT_SIMD_SCALAR_KERNELS_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* NaN is tested on the bits and quieted with an OR: a float compare or arithmetic raises
 * FE_INVALID on a signalling NaN (and x >= 0 does on any NaN). */
static inline bool rnnrt_nan_quiet(float x, float *quiet)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7fffffffu) <= 0x7f800000u)
        return false;
    u |= 0x00400000u;
    memcpy(quiet, &u, sizeof u);
    return true;
}

/* 1 / (1 + e^-x), written so that neither branch overflows: for x < 0, e^x is in (0, 1]. */
static inline float rnnrt_sigmoidf(float x)
{
    float q;
    if (rnnrt_nan_quiet(x, &q))
        return q;
    if (!signbit(x))
        return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

void rnnrt_f32_vexp__scalar(size_t n, const float *x, float *y);
void rnnrt_f32_vsigmoid__scalar(size_t n, const float *x, float *y);
void rnnrt_f32_vtanh__scalar(size_t n, const float *x, float *y);

void rnnrt_f32_lstm_gates__scalar(size_t n, const float *i, const float *f, const float *g,
                                  const float *o, const float *c_prev, float *c, float *h);
void rnnrt_f32_lstm_peephole_gates__scalar(size_t n, const float *i, const float *f,
                                           const float *g, const float *o, const float *p_i,
                                           const float *p_f, const float *p_o,
                                           const float *c_prev, float *c, float *h);
void rnnrt_f32_lstm_coupled_gates__scalar(size_t n, const float *f, const float *g,
                                          const float *o, const float *c_prev, float *c,
                                          float *h);
void rnnrt_f32_gru_gates__scalar(size_t n, const float *r, const float *z, const float *xn,
                                 const float *hn, const float *h_prev, float *h);

void rnnrt_f32_matmul_nt__scalar(size_t M, size_t N, size_t K, const float *a, size_t lda,
                                 const float *w, size_t ldw, const float *bias, float *c,
                                 size_t ldc);
void rnnrt_f32_gemm_4x32__scalar(size_t mr, size_t kc, const float *a, size_t lda,
                                 const float *b, const float *init, size_t ld_init, float *c,
                                 size_t ldc);
void rnnrt_f32_gemm_4x24__scalar(size_t mr, size_t kc, const float *a, size_t lda,
                                 const float *b, const float *init, size_t ld_init, float *c,
                                 size_t ldc);

#endif
