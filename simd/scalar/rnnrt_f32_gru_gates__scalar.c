/* Scalar GRU cell update, PyTorch's formula (see simd/kernels.h). */
#include "scalar_kernels.h"

static void gru_row(size_t n, const float *ht, const float *xt, size_t gs, const float *b_hn,
                    const float *h_prev, float *h)
{
    for (size_t j = 0; j < n; j++) {
        float hn = b_hn ? ht[2 * gs + j] + b_hn[j] : ht[2 * gs + j];
        float rj = rnnrt_sigmoidf(ht[j] + xt[j]);
        float nj = tanhf(xt[2 * gs + j] + rj * hn);
        float zj = rnnrt_sigmoidf(ht[gs + j] + xt[gs + j]);
        h[j] = (1.0f - zj) * nj + zj * h_prev[j];
    }
}

void rnnrt_f32_gru_gates__scalar(size_t rows, size_t n, const float *ht, size_t ldht, size_t gs,
                                 const float *xt, size_t ldxt, const float *b_hn,
                                 const float *h_prev, float *h, size_t ldh)
{
    rnnrt_f32_gru_rows(gru_row, rows, n, ht, ldht, gs, xt, ldxt, b_hn, h_prev, h, ldh);
}
