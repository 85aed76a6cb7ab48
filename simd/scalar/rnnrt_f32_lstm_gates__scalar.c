/* rnnrt_f32_lstm_gates__scalar: the plain formula of simd/kernels.h, one unit at a time. */
#include "scalar_kernels.h"

static void lstm_row(size_t n, const float *i, const float *f, const float *g,
                     const float *o, const float *c_prev, float *c, float *h)
{
    for (size_t j = 0; j < n; j++) {
        float cj = rnnrt_sigmoidf(f[j]) * c_prev[j] + rnnrt_sigmoidf(i[j]) * tanhf(g[j]);
        c[j] = cj;
        h[j] = rnnrt_sigmoidf(o[j]) * tanhf(cj);
    }
}

void rnnrt_f32_lstm_gates__scalar(size_t rows, size_t n, const float *t, size_t ldt, size_t gs,
                                  const float *c_prev, float *c, size_t ldc, float *h, size_t ldh)
{
    rnnrt_f32_lstm_rows(lstm_row, rows, n, t, ldt, gs, c_prev, c, ldc, h, ldh);
}
