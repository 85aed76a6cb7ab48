/* rnnrt_f32_gru_rb_rz_gates__neon: the first half of the reset-before GRU step of
 * simd/kernels.h (z, and r * h_prev) on 4 units at a time, the tail through a zeroed stack
 * vector (nothing past n is read or written). NaN inputs give NaN outputs; they may raise
 * FE_INVALID (see vmath_neon.h). */
#include "kernels.h"
#include "vmath_neon.h"

/* Four floats, or the first rem of them (full is a constant at every call). */
static inline __attribute__((always_inline)) float32x4_t load(const float *p, int full,
                                                              size_t rem)
{
    return full ? vld1q_f32(p) : rnnrt_neon_load_tail(p, rem);
}

static inline __attribute__((always_inline)) void
rz_cell(const float *r, const float *z_pre, const float *h_prev, size_t j, int full, size_t m,
        float32x4_t *rh, float32x4_t *z)
{
    float32x4_t hp = load(h_prev + j, full, m);
    *z = rnnrt_neon_sigmoid_core(load(z_pre + j, full, m));
    *rh = vmulq_f32(rnnrt_neon_sigmoid_core(load(r + j, full, m)), hp);
}

static void rz_row(size_t n, const float *r, const float *z_pre, const float *h_prev, float *rh,
                   float *z)
{
    float32x4_t rv, zv;
    size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        rz_cell(r, z_pre, h_prev, j, 1, 4, &rv, &zv);
        vst1q_f32(z + j, zv);
        vst1q_f32(rh + j, rv);
    }
    if (j < n) {
        rz_cell(r, z_pre, h_prev, j, 0, n - j, &rv, &zv);
        rnnrt_neon_store_tail(z + j, n - j, zv);
        rnnrt_neon_store_tail(rh + j, n - j, rv);
    }
}

void rnnrt_f32_gru_rb_rz_gates__neon(size_t rows, size_t n, const float *t, size_t ldt,
                                     size_t gs, const float *h_prev, float *rh, float *z,
                                     size_t ld)
{
    rnnrt_f32_gru_rb_rz_rows(rz_row, rows, n, t, ldt, gs, h_prev, rh, z, ld);
}
