/* rnnrt_f32_gru_rb_rz_gates__avx512: the first half of the reset-before GRU step of
 * simd/kernels.h (z, and r * h_prev) on 16 units at a time, the tail through masked loads
 * and stores (masked-off lanes are neither read nor written). NaN inputs give NaN outputs;
 * they may raise FE_INVALID (see vmath_avx512.h). */
#include "kernels.h"
#include "vmath_avx512.h"

/* Sixteen floats, or the lanes of m in the tail (full is a constant at every call). */
static inline __attribute__((always_inline)) __m512 load(const float *p, int full, __mmask16 m)
{
    return full ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(m, p);
}

static inline __attribute__((always_inline)) void
rz_cell(const float *r, const float *z_pre, const float *h_prev, size_t j, int full,
        __mmask16 m, __m512 *rh, __m512 *z)
{
    __m512 hp = load(h_prev + j, full, m);
    *z = rnnrt_avx512_sigmoid_core(load(z_pre + j, full, m));
    *rh = _mm512_mul_ps(rnnrt_avx512_sigmoid_core(load(r + j, full, m)), hp);
}

static void rz_row(size_t n, const float *r, const float *z_pre, const float *h_prev, float *rh,
                   float *z)
{
    const __mmask16 none = 0;
    __m512 rv, zv;
    size_t j = 0;
    for (; j + 16 <= n; j += 16) {
        rz_cell(r, z_pre, h_prev, j, 1, none, &rv, &zv);
        _mm512_storeu_ps(z + j, zv);
        _mm512_storeu_ps(rh + j, rv);
    }
    if (j < n) {
        __mmask16 m = rnnrt_avx512_tail_mask(n - j);
        rz_cell(r, z_pre, h_prev, j, 0, m, &rv, &zv);
        _mm512_mask_storeu_ps(z + j, m, zv);
        _mm512_mask_storeu_ps(rh + j, m, rv);
    }
}

void rnnrt_f32_gru_rb_rz_gates__avx512(size_t rows, size_t n, const float *t, size_t ldt,
                                       size_t gs, const float *h_prev, float *rh, float *z,
                                       size_t ld)
{
    rnnrt_f32_gru_rb_rz_rows(rz_row, rows, n, t, ldt, gs, h_prev, rh, z, ld);
}
