/* Scalar second half of the reset-before GRU step (see simd/kernels.h): the candidate and
 * the new h, in the GRU kernel's form (1 - z) n + z h_prev. */
#include "scalar_kernels.h"

static void h_row(size_t n, const float *t, const float *z, const float *h_prev, float *h)
{
    for (size_t j = 0; j < n; j++) {
        float nj = tanhf(t[j]), zj = z[j];
        h[j] = (1.0f - zj) * nj + zj * h_prev[j];
    }
}

void rnnrt_f32_gru_rb_h_gates__scalar(size_t rows, size_t n, const float *t, size_t ldt,
                                      const float *z, const float *h_prev, float *h, size_t ldh)
{
    rnnrt_f32_gru_rb_h_rows(h_row, rows, n, t, ldt, z, h_prev, h, ldh);
}
