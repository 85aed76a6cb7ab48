/* rnnrt_f32_rnn_relu_gates__avx512: the ReLU RNN update of simd/kernels.h, 16 units at a
 * time, the tail through masked loads and stores (masked-off lanes are neither read nor
 * written). vmaxps returns its second operand when either is NaN, so max(0, t) keeps a NaN
 * t (a signalling NaN raises FE_INVALID and comes out as it went in). */
#include "kernels.h"
#include "vmath_avx512.h"

static void rnn_relu_row(size_t n, const float *t, float *h)
{
    const __m512 zero = _mm512_setzero_ps();
    size_t j = 0;
    for (; j + 16 <= n; j += 16)
        _mm512_storeu_ps(h + j, _mm512_max_ps(zero, _mm512_loadu_ps(t + j)));
    if (j < n) {
        __mmask16 m = rnnrt_avx512_tail_mask(n - j);
        _mm512_mask_storeu_ps(h + j, m, _mm512_max_ps(zero, _mm512_maskz_loadu_ps(m, t + j)));
    }
}

void rnnrt_f32_rnn_relu_gates__avx512(size_t rows, size_t n, const float *t, size_t ldt,
                                      float *h, size_t ldh)
{
    rnnrt_f32_rnn_rows(rnn_relu_row, rows, n, t, ldt, h, ldh);
}
