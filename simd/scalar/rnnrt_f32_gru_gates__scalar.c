/* Scalar GRU cell update, PyTorch's formula (see simd/kernels.h). */
#include "scalar_kernels.h"

void rnnrt_f32_gru_gates__scalar(size_t n, const float *r, const float *z, const float *xn,
                                 const float *hn, const float *h_prev, float *h)
{
    for (size_t j = 0; j < n; j++) {
        float nj = tanhf(xn[j] + rnnrt_sigmoidf(r[j]) * hn[j]);
        float zj = rnnrt_sigmoidf(z[j]);
        h[j] = (1.0f - zj) * nj + zj * h_prev[j];
    }
}
