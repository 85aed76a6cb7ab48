/* rnnrt_f32_gru_rb_h_gates__neon: the second half of the reset-before GRU step of
 * simd/kernels.h on 4 units at a time, the tail through a zeroed stack vector (nothing past n
 * is read or written). h = n + z*(h_prev - n), the GRU kernel's form. NaN inputs give NaN
 * outputs; they may raise FE_INVALID (see vmath_neon.h). */
#include "kernels.h"
#include "vmath_neon.h"

/* Four floats, or the first rem of them (full is a constant at every call). */
static inline __attribute__((always_inline)) float32x4_t load(const float *p, int full,
                                                              size_t rem)
{
    return full ? vld1q_f32(p) : rnnrt_neon_load_tail(p, rem);
}

static inline __attribute__((always_inline)) float32x4_t
h_cell(const float *t, const float *z, const float *h_prev, size_t j, int full, size_t m)
{
    float32x4_t nn = rnnrt_neon_tanh_core(load(t + j, full, m));
    float32x4_t hp = load(h_prev + j, full, m);
    return vfmaq_f32(nn, load(z + j, full, m), vsubq_f32(hp, nn));
}

static void h_row(size_t n, const float *t, const float *z, const float *h_prev, float *h)
{
    size_t j = 0;
    for (; j + 4 <= n; j += 4)
        vst1q_f32(h + j, h_cell(t, z, h_prev, j, 1, 4));
    if (j < n)
        rnnrt_neon_store_tail(h + j, n - j, h_cell(t, z, h_prev, j, 0, n - j));
}

void rnnrt_f32_gru_rb_h_gates__neon(size_t rows, size_t n, const float *t, size_t ldt,
                                    const float *z, const float *h_prev, float *h, size_t ldh)
{
    rnnrt_f32_gru_rb_h_rows(h_row, rows, n, t, ldt, z, h_prev, h, ldh);
}
