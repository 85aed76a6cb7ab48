/* rnnrt_f32_lstm_peephole_gates__scalar: the plain formula of simd/kernels.h, one unit at a time. */
#include "scalar_kernels.h"

static void peephole_row(size_t n, const float *i, const float *f,
                         const float *g, const float *o, const float *p_i,
                         const float *p_f, const float *p_o,
                         const float *c_prev, float *c, float *h)
{
    for (size_t j = 0; j < n; j++) {
        float cp = c_prev[j];
        float ig = rnnrt_sigmoidf(i[j] + p_i[j] * cp);
        float fg = rnnrt_sigmoidf(f[j] + p_f[j] * cp);
        float cj = fg * cp + ig * tanhf(g[j]);
        c[j] = cj;
        h[j] = rnnrt_sigmoidf(o[j] + p_o[j] * cj) * tanhf(cj);
    }
}

void rnnrt_f32_lstm_peephole_gates__scalar(size_t rows, size_t n, const float *t, size_t ldt,
                                           size_t gs, const float *p_i, const float *p_f,
                                           const float *p_o, const float *c_prev, float *c,
                                           size_t ldc, float *h, size_t ldh)
{
    rnnrt_f32_lstm_peephole_rows(peephole_row, rows, n, t, ldt, gs, p_i, p_f, p_o, c_prev, c,
                                 ldc, h, ldh);
}
