/* rnnrt_f32_lstm_peephole_gates__avx2: the peephole LSTM cell update of simd/kernels.h on 8
 * units at a time, the tail through maskload/maskstore (masked-off lanes are neither read nor
 * written). NaN inputs give NaN outputs; they may raise FE_INVALID (see vmath_avx2.h). */
#include "kernels.h"
#include "vmath_avx2.h"

static inline void peephole_cell(__m256 i, __m256 f, __m256 g, __m256 o, __m256 pi, __m256 pf,
                                 __m256 po, __m256 cp, __m256 *c, __m256 *h)
{
    __m256 ig = rnnrt_avx2_sigmoid_core(_mm256_fmadd_ps(pi, cp, i));
    __m256 fg = rnnrt_avx2_sigmoid_core(_mm256_fmadd_ps(pf, cp, f));
    *c = _mm256_fmadd_ps(fg, cp, _mm256_mul_ps(ig, rnnrt_avx2_tanh_core(g)));
    __m256 og = rnnrt_avx2_sigmoid_core(_mm256_fmadd_ps(po, *c, o));
    *h = _mm256_mul_ps(og, rnnrt_avx2_tanh_core(*c));
}

static void peephole_row(size_t n, const float *i, const float *f,
                         const float *g, const float *o, const float *p_i,
                         const float *p_f, const float *p_o,
                         const float *c_prev, float *c, float *h)
{
    __m256 cv, hv;
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        peephole_cell(_mm256_loadu_ps(i + j), _mm256_loadu_ps(f + j), _mm256_loadu_ps(g + j),
                      _mm256_loadu_ps(o + j), _mm256_loadu_ps(p_i + j),
                      _mm256_loadu_ps(p_f + j), _mm256_loadu_ps(p_o + j),
                      _mm256_loadu_ps(c_prev + j), &cv, &hv);
        _mm256_storeu_ps(c + j, cv);
        _mm256_storeu_ps(h + j, hv);
    }
    if (j < n) {
        __m256i m = rnnrt_avx2_tail_mask(n - j);
        peephole_cell(_mm256_maskload_ps(i + j, m), _mm256_maskload_ps(f + j, m),
                      _mm256_maskload_ps(g + j, m), _mm256_maskload_ps(o + j, m),
                      _mm256_maskload_ps(p_i + j, m), _mm256_maskload_ps(p_f + j, m),
                      _mm256_maskload_ps(p_o + j, m), _mm256_maskload_ps(c_prev + j, m), &cv,
                      &hv);
        _mm256_maskstore_ps(c + j, m, cv);
        _mm256_maskstore_ps(h + j, m, hv);
    }
}

void rnnrt_f32_lstm_peephole_gates__avx2(size_t rows, size_t n, const float *t, size_t ldt,
                                         size_t gs, const float *p_i, const float *p_f,
                                         const float *p_o, const float *c_prev, float *c,
                                         size_t ldc, float *h, size_t ldh)
{
    rnnrt_f32_lstm_peephole_rows(peephole_row, rows, n, t, ldt, gs, p_i, p_f, p_o, c_prev, c,
                                 ldc, h, ldh);
}
