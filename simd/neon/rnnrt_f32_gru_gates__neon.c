/* rnnrt_f32_gru_gates__neon: the GRU cell update of simd/kernels.h on 4 units at a time, the
 * tail through a zeroed stack vector (nothing past n is read or written).
 * h = n + z*(h_prev - n), the form PyTorch evaluates. NaN inputs give NaN outputs; they may
 * raise FE_INVALID (see vmath_neon.h). */
#include "kernels.h"
#include "vmath_neon.h"

/* Four floats, or the first rem of them (full is a constant at every call). */
static inline __attribute__((always_inline)) float32x4_t load(const float *p, int full,
                                                              size_t rem)
{
    return full ? vld1q_f32(p) : rnnrt_neon_load_tail(p, rem);
}

/* Units j.. of one row: the recurrent and input parts of the three gates, b_hn, h_prev. */
static inline __attribute__((always_inline)) float32x4_t
gru_cell(const float *ht, const float *xt, size_t gs, const float *b_hn, const float *h_prev,
         size_t j, int full, size_t m)
{
    float32x4_t r = vaddq_f32(load(ht + j, full, m), load(xt + j, full, m));
    float32x4_t z = vaddq_f32(load(ht + gs + j, full, m), load(xt + gs + j, full, m));
    float32x4_t hn = load(ht + 2 * gs + j, full, m);
    if (b_hn)
        hn = vaddq_f32(hn, load(b_hn + j, full, m));
    float32x4_t xn = load(xt + 2 * gs + j, full, m);
    float32x4_t nn = rnnrt_neon_tanh_core(vfmaq_f32(xn, rnnrt_neon_sigmoid_core(r), hn));
    float32x4_t hp = load(h_prev + j, full, m);
    return vfmaq_f32(nn, rnnrt_neon_sigmoid_core(z), vsubq_f32(hp, nn));
}

static void gru_row(size_t n, const float *ht, const float *xt, size_t gs, const float *b_hn,
                    const float *h_prev, float *h)
{
    size_t j = 0;
    for (; j + 4 <= n; j += 4)
        vst1q_f32(h + j, gru_cell(ht, xt, gs, b_hn, h_prev, j, 1, 4));
    if (j < n)
        rnnrt_neon_store_tail(h + j, n - j, gru_cell(ht, xt, gs, b_hn, h_prev, j, 0, n - j));
}

void rnnrt_f32_gru_gates__neon(size_t rows, size_t n, const float *ht, size_t ldht, size_t gs,
                               const float *xt, size_t ldxt, const float *b_hn,
                               const float *h_prev, float *h, size_t ldh)
{
    rnnrt_f32_gru_rows(gru_row, rows, n, ht, ldht, gs, xt, ldxt, b_hn, h_prev, h, ldh);
}
