/* rnnrt_f32_lstm_gates__scalar: the plain formula of simd/kernels.h, one unit at a time. */
#include "scalar_kernels.h"

void rnnrt_f32_lstm_gates__scalar(size_t n, const float *i, const float *f, const float *g,
                                  const float *o, const float *c_prev, float *c, float *h)
{
    for (size_t j = 0; j < n; j++) {
        float cj = rnnrt_sigmoidf(f[j]) * c_prev[j] + rnnrt_sigmoidf(i[j]) * tanhf(g[j]);
        c[j] = cj;
        h[j] = rnnrt_sigmoidf(o[j]) * tanhf(cj);
    }
}
