/* rnnrt_f32_rnn_relu_gates__avx2: the ReLU RNN update of simd/kernels.h, 8 units at a time,
 * the tail through maskload/maskstore (masked-off lanes are neither read nor written).
 * maxps returns its second operand when either is NaN, so max(0, t) keeps a NaN t (a
 * signalling NaN raises FE_INVALID and comes out as it went in). */
#include "kernels.h"
#include "vmath_avx2.h"

static void rnn_relu_row(size_t n, const float *t, float *h)
{
    const __m256 zero = _mm256_setzero_ps();
    size_t j = 0;
    for (; j + 8 <= n; j += 8)
        _mm256_storeu_ps(h + j, _mm256_max_ps(zero, _mm256_loadu_ps(t + j)));
    if (j < n) {
        __m256i m = rnnrt_avx2_tail_mask(n - j);
        _mm256_maskstore_ps(h + j, m, _mm256_max_ps(zero, _mm256_maskload_ps(t + j, m)));
    }
}

void rnnrt_f32_rnn_relu_gates__avx2(size_t rows, size_t n, const float *t, size_t ldt, float *h,
                                    size_t ldh)
{
    rnnrt_f32_rnn_rows(rnn_relu_row, rows, n, t, ldt, h, ldh);
}
