/* rnnrt_int8dot_quantize__avx512: rnnrt_quantize_rows (runtime/provider.h) 16 floats at a
 * time, with the same operations in the same order per value (the largest magnitude is
 * exact in any order; the product and the rounding add are separate roundings, as in the
 * portable version, which is compiled without fused multiply-adds), so the same bytes. */
#include <float.h>
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "kernels.h"

static inline __mmask16 tail_mask(size_t left)
{
    return left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
}

void rnnrt_int8dot_quantize__avx512(size_t rows, size_t K, const float *a, size_t lda,
                                    int8_t *q, size_t ldq, float *scale)
{
    const __m512 abs_bits = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
    const __m512 flt_max = _mm512_set1_ps(FLT_MAX), magic = _mm512_set1_ps(0x1.8p23f);
    const __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127);
    for (size_t r = 0; r < rows; r++) {
        const float *x = a + r * lda;
        int8_t *qr = q + r * ldq;
        __m512 largest = _mm512_setzero_ps();
        __mmask16 bad = 0;
        for (size_t k = 0; k < K; k += 16) {
            const __mmask16 in = tail_mask(K - k);
            const __m512 m = _mm512_and_ps(_mm512_maskz_loadu_ps(in, x + k), abs_bits);
            bad |= _mm512_mask_cmp_ps_mask(in, m, flt_max, _CMP_NLE_UQ); /* > FLT_MAX or NaN */
            largest = _mm512_max_ps(m, largest); /* a NaN lane keeps `largest` */
        }
        const float big = _mm512_reduce_max_ps(largest);
        if (bad || !(big >= FLT_MIN)) {
            memset(qr, 0, ldq);
            scale[r] = bad ? NAN : 1.0f;
            continue;
        }
        memset(qr + K, 0, ldq - K);
        const __m512 inv = _mm512_set1_ps(127.0f / big);
        scale[r] = big / 127.0f;
        for (size_t k = 0; k < K; k += 16) {
            const __mmask16 in = tail_mask(K - k);
            const __m512 v = _mm512_sub_ps(
                _mm512_add_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(in, x + k), inv), magic), magic);
            const __m512i n = _mm512_min_epi32(_mm512_max_epi32(_mm512_cvttps_epi32(v), lo), hi);
            _mm_mask_storeu_epi8(qr + k, in, _mm512_cvtepi32_epi8(n));
        }
    }
}
