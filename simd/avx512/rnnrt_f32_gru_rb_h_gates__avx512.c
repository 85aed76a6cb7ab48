/* rnnrt_f32_gru_rb_h_gates__avx512: the second half of the reset-before GRU step of
 * simd/kernels.h on 16 units at a time, the tail through masked loads and stores (masked-off
 * lanes are neither read nor written). h = n + z*(h_prev - n), the GRU kernel's form. NaN
 * inputs give NaN outputs; they may raise FE_INVALID (see vmath_avx512.h). */
#include "kernels.h"
#include "vmath_avx512.h"

/* Sixteen floats, or the lanes of m in the tail (full is a constant at every call). */
static inline __attribute__((always_inline)) __m512 load(const float *p, int full, __mmask16 m)
{
    return full ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(m, p);
}

static inline __attribute__((always_inline)) __m512
h_cell(const float *t, const float *z, const float *h_prev, size_t j, int full, __mmask16 m)
{
    __m512 nn = rnnrt_avx512_tanh_core(load(t + j, full, m));
    __m512 hp = load(h_prev + j, full, m);
    return _mm512_fmadd_ps(load(z + j, full, m), _mm512_sub_ps(hp, nn), nn);
}

static void h_row(size_t n, const float *t, const float *z, const float *h_prev, float *h)
{
    const __mmask16 none = 0;
    size_t j = 0;
    for (; j + 16 <= n; j += 16)
        _mm512_storeu_ps(h + j, h_cell(t, z, h_prev, j, 1, none));
    if (j < n) {
        __mmask16 m = rnnrt_avx512_tail_mask(n - j);
        _mm512_mask_storeu_ps(h + j, m, h_cell(t, z, h_prev, j, 0, m));
    }
}

void rnnrt_f32_gru_rb_h_gates__avx512(size_t rows, size_t n, const float *t, size_t ldt,
                                      const float *z, const float *h_prev, float *h,
                                      size_t ldh)
{
    rnnrt_f32_gru_rb_h_rows(h_row, rows, n, t, ldt, z, h_prev, h, ldh);
}
