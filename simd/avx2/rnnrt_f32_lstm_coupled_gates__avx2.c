/* rnnrt_f32_lstm_coupled_gates__avx2: the coupled-gate LSTM cell update of simd/kernels.h on
 * 8 units at a time, the tail through maskload/maskstore (masked-off lanes are neither read
 * nor written). sigmoid(f) and 1 - sigmoid(f) = sigmoid(-f) share one exponential and one
 * division, and neither cancels when sigmoid(f) is close to 1. NaN inputs give NaN outputs;
 * they may raise FE_INVALID (see vmath_avx2.h). */
#include "kernels.h"
#include "vmath_avx2.h"

static inline void coupled_cell(__m256 f, __m256 g, __m256 o, __m256 cp, __m256 *c, __m256 *h)
{
    __m256 keep, take, d;
    rnnrt_avx2_sigmoid_parts(f, &keep, &take, &d);
    __m256 num = _mm256_fmadd_ps(keep, cp, _mm256_mul_ps(take, rnnrt_avx2_tanh_core(g)));
    *c = _mm256_div_ps(num, d);
    *h = _mm256_mul_ps(rnnrt_avx2_sigmoid_core(o), rnnrt_avx2_tanh_core(*c));
}

static void coupled_row(size_t n, const float *f, const float *g,
                        const float *o, const float *c_prev, float *c,
                        float *h)
{
    __m256 cv, hv;
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        coupled_cell(_mm256_loadu_ps(f + j), _mm256_loadu_ps(g + j), _mm256_loadu_ps(o + j),
                     _mm256_loadu_ps(c_prev + j), &cv, &hv);
        _mm256_storeu_ps(c + j, cv);
        _mm256_storeu_ps(h + j, hv);
    }
    if (j < n) {
        __m256i m = rnnrt_avx2_tail_mask(n - j);
        coupled_cell(_mm256_maskload_ps(f + j, m), _mm256_maskload_ps(g + j, m),
                     _mm256_maskload_ps(o + j, m), _mm256_maskload_ps(c_prev + j, m), &cv,
                     &hv);
        _mm256_maskstore_ps(c + j, m, cv);
        _mm256_maskstore_ps(h + j, m, hv);
    }
}

void rnnrt_f32_lstm_coupled_gates__avx2(size_t rows, size_t n, const float *t, size_t ldt,
                                        size_t gs, const float *c_prev, float *c, size_t ldc,
                                        float *h, size_t ldh)
{
    rnnrt_f32_lstm_coupled_rows(coupled_row, rows, n, t, ldt, gs, c_prev, c, ldc, h, ldh);
}
