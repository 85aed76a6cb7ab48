/* rnnrt_bf16dot_round__avx512: rnnrt_round_rows_bf16 (runtime/provider.h) 16 floats at a
 * time, in integer arithmetic on the bits as the portable version: nearest even, NaN kept
 * and made quiet, subnormal results to zero of their sign. */
#include <immintrin.h>
#include <string.h>

#include "kernels.h"

void rnnrt_bf16dot_round__avx512(size_t rows, size_t K, const float *a, size_t lda,
                                 uint16_t *q, size_t ldq)
{
    const __m512i abs_bits = _mm512_set1_epi32(0x7fffffff), inf = _mm512_set1_epi32(0x7f800000);
    const __m512i half = _mm512_set1_epi32(0x7fff), one = _mm512_set1_epi32(1);
    const __m512i quiet = _mm512_set1_epi32(0x40), exponent = _mm512_set1_epi32(0x7f80);
    const __m512i sign = _mm512_set1_epi32(0x8000);
    for (size_t r = 0; r < rows; r++) {
        const float *x = a + r * lda;
        uint16_t *qr = q + r * ldq;
        for (size_t k = 0; k < K; k += 16) {
            const size_t left = K - k;
            const __mmask16 in = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
            const __m512i u = _mm512_maskz_loadu_epi32(in, x + k);
            const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, abs_bits), inf);
            const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(u, 16), one);
            __m512i b = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(half, odd)), 16);
            b = _mm512_mask_or_epi32(b, nan, _mm512_srli_epi32(u, 16), quiet);
            const __mmask16 tiny = _mm512_testn_epi32_mask(b, exponent); /* zero or subnormal */
            b = _mm512_mask_and_epi32(b, tiny, b, sign);
            _mm256_mask_storeu_epi16(qr + k, in, _mm512_cvtepi32_epi16(b));
        }
        for (size_t k = K; k < ldq; k++)
            qr[k] = 0;
    }
}
