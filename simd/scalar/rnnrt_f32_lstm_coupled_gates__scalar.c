/* rnnrt_f32_lstm_coupled_gates__scalar: the plain formula of simd/kernels.h, one unit at a time. */
#include "scalar_kernels.h"

static void coupled_row(size_t n, const float *f, const float *g,
                        const float *o, const float *c_prev, float *c,
                        float *h)
{
    for (size_t j = 0; j < n; j++) {
        float fg = rnnrt_sigmoidf(f[j]);
        float cj = fg * c_prev[j] + (1.0f - fg) * tanhf(g[j]);
        c[j] = cj;
        h[j] = rnnrt_sigmoidf(o[j]) * tanhf(cj);
    }
}

void rnnrt_f32_lstm_coupled_gates__scalar(size_t rows, size_t n, const float *t, size_t ldt,
                                          size_t gs, const float *c_prev, float *c, size_t ldc,
                                          float *h, size_t ldh)
{
    rnnrt_f32_lstm_coupled_rows(coupled_row, rows, n, t, ldt, gs, c_prev, c, ldc, h, ldh);
}
