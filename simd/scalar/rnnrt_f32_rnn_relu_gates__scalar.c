/* rnnrt_f32_rnn_relu_gates__scalar: the ReLU RNN update of simd/kernels.h. NaN is tested on
 * its bits, so no comparison raises FE_INVALID on it. */
#include "scalar_kernels.h"

static void rnn_relu_row(size_t n, const float *t, float *h)
{
    for (size_t j = 0; j < n; j++) {
        float q;
        h[j] = rnnrt_nan_quiet(t[j], &q) ? q : t[j] > 0.0f ? t[j] : 0.0f;
    }
}

void rnnrt_f32_rnn_relu_gates__scalar(size_t rows, size_t n, const float *t, size_t ldt,
                                      float *h, size_t ldh)
{
    rnnrt_f32_rnn_rows(rnn_relu_row, rows, n, t, ldt, h, ldh);
}
