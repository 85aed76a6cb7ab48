/* rnnrt_f32_gru_gates__avx512: the GRU cell update of simd/kernels.h on 16 units at a time,
 * the tail through masked loads and stores (masked-off lanes are neither read nor written).
 * h = n + z*(h_prev - n), the form PyTorch evaluates. NaN inputs give NaN outputs; they may
 * raise FE_INVALID (see vmath_avx512.h). */
#include "kernels.h"
#include "vmath_avx512.h"

/* Sixteen floats, or the lanes of m in the tail (full is a constant at every call). */
static inline __attribute__((always_inline)) __m512 load(const float *p, int full,
                                                         __mmask16 m)
{
    return full ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(m, p);
}

/* Units j.. of one row: the recurrent and input parts of the three gates, b_hn, h_prev. */
static inline __attribute__((always_inline)) __m512
gru_cell(const float *ht, const float *xt, size_t gs, const float *b_hn, const float *h_prev,
         size_t j, int full, __mmask16 m)
{
    __m512 r = _mm512_add_ps(load(ht + j, full, m), load(xt + j, full, m));
    __m512 z = _mm512_add_ps(load(ht + gs + j, full, m), load(xt + gs + j, full, m));
    __m512 hn = load(ht + 2 * gs + j, full, m);
    if (b_hn)
        hn = _mm512_add_ps(hn, load(b_hn + j, full, m));
    __m512 xn = load(xt + 2 * gs + j, full, m);
    __m512 nn = rnnrt_avx512_tanh_core(_mm512_fmadd_ps(rnnrt_avx512_sigmoid_core(r), hn, xn));
    __m512 hp = load(h_prev + j, full, m);
    return _mm512_fmadd_ps(rnnrt_avx512_sigmoid_core(z), _mm512_sub_ps(hp, nn), nn);
}

static void gru_row(size_t n, const float *ht, const float *xt, size_t gs, const float *b_hn,
                    const float *h_prev, float *h)
{
    const __mmask16 none = 0;
    size_t j = 0;
    for (; j + 16 <= n; j += 16)
        _mm512_storeu_ps(h + j, gru_cell(ht, xt, gs, b_hn, h_prev, j, 1, none));
    if (j < n) {
        __mmask16 m = rnnrt_avx512_tail_mask(n - j);
        _mm512_mask_storeu_ps(h + j, m, gru_cell(ht, xt, gs, b_hn, h_prev, j, 0, m));
    }
}

void rnnrt_f32_gru_gates__avx512(size_t rows, size_t n, const float *ht, size_t ldht, size_t gs,
                                 const float *xt, size_t ldxt, const float *b_hn,
                                 const float *h_prev, float *h, size_t ldh)
{
    rnnrt_f32_gru_rows(gru_row, rows, n, ht, ldht, gs, xt, ldxt, b_hn, h_prev, h, ldh);
}
