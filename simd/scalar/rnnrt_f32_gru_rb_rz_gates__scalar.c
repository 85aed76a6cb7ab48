/* Scalar first half of the reset-before GRU step (see simd/kernels.h): z, and r * h_prev. */
#include "scalar_kernels.h"

static void rz_row(size_t n, const float *r, const float *z_pre, const float *h_prev, float *rh,
                   float *z)
{
    for (size_t j = 0; j < n; j++) {
        float hp = h_prev[j];
        z[j] = rnnrt_sigmoidf(z_pre[j]);
        rh[j] = rnnrt_sigmoidf(r[j]) * hp;
    }
}

void rnnrt_f32_gru_rb_rz_gates__scalar(size_t rows, size_t n, const float *t, size_t ldt,
                                       size_t gs, const float *h_prev, float *rh, float *z,
                                       size_t ld)
{
    rnnrt_f32_gru_rb_rz_rows(rz_row, rows, n, t, ldt, gs, h_prev, rh, z, ld);
}
