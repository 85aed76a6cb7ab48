/* rnnrt_f32_lstm_gates__avx512: the LSTM cell update of simd/kernels.h on 16 units at a time,
 * the tail through masked loads and stores (masked-off lanes are neither read nor written).
 * NaN inputs give NaN outputs; they may raise FE_INVALID (see vmath_avx512.h). */
#include "kernels.h"
#include "vmath_avx512.h"

static inline void lstm_cell(__m512 i, __m512 f, __m512 g, __m512 o, __m512 cp, __m512 *c,
                             __m512 *h)
{
    __m512 ig = _mm512_mul_ps(rnnrt_avx512_sigmoid_core(i), rnnrt_avx512_tanh_core(g));
    *c = _mm512_fmadd_ps(rnnrt_avx512_sigmoid_core(f), cp, ig);
    *h = _mm512_mul_ps(rnnrt_avx512_sigmoid_core(o), rnnrt_avx512_tanh_core(*c));
}

static void lstm_row(size_t n, const float *i, const float *f, const float *g,
                     const float *o, const float *c_prev, float *c, float *h)
{
    __m512 cv, hv;
    size_t j = 0;
    for (; j + 16 <= n; j += 16) {
        lstm_cell(_mm512_loadu_ps(i + j), _mm512_loadu_ps(f + j), _mm512_loadu_ps(g + j),
                  _mm512_loadu_ps(o + j), _mm512_loadu_ps(c_prev + j), &cv, &hv);
        _mm512_storeu_ps(c + j, cv);
        _mm512_storeu_ps(h + j, hv);
    }
    if (j < n) {
        __mmask16 m = rnnrt_avx512_tail_mask(n - j);
        lstm_cell(_mm512_maskz_loadu_ps(m, i + j), _mm512_maskz_loadu_ps(m, f + j),
                  _mm512_maskz_loadu_ps(m, g + j), _mm512_maskz_loadu_ps(m, o + j),
                  _mm512_maskz_loadu_ps(m, c_prev + j), &cv, &hv);
        _mm512_mask_storeu_ps(c + j, m, cv);
        _mm512_mask_storeu_ps(h + j, m, hv);
    }
}

void rnnrt_f32_lstm_gates__avx512(size_t rows, size_t n, const float *t, size_t ldt, size_t gs,
                                  const float *c_prev, float *c, size_t ldc, float *h, size_t ldh)
{
    rnnrt_f32_lstm_rows(lstm_row, rows, n, t, ldt, gs, c_prev, c, ldc, h, ldh);
}
