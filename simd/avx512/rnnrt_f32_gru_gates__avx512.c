/* rnnrt_f32_gru_gates__avx512: the GRU cell update of simd/kernels.h on 16 units at a time,
 * the tail through masked loads and stores (masked-off lanes are neither read nor written). h
 * = n + z*(h_prev - n), the form PyTorch evaluates. NaN inputs give NaN outputs; they may
 * raise FE_INVALID (see vmath_avx512.h). */
#include "kernels.h"
#include "vmath_avx512.h"

static inline __m512 gru_cell(__m512 r, __m512 z, __m512 xn, __m512 hn, __m512 hp)
{
    __m512 nn = rnnrt_avx512_tanh_core(_mm512_fmadd_ps(rnnrt_avx512_sigmoid_core(r), hn, xn));
    return _mm512_fmadd_ps(rnnrt_avx512_sigmoid_core(z), _mm512_sub_ps(hp, nn), nn);
}

void rnnrt_f32_gru_gates__avx512(size_t n, const float *r, const float *z, const float *xn,
                                 const float *hn, const float *h_prev, float *h)
{
    size_t j = 0;
    for (; j + 16 <= n; j += 16)
        _mm512_storeu_ps(h + j, gru_cell(_mm512_loadu_ps(r + j), _mm512_loadu_ps(z + j),
                                         _mm512_loadu_ps(xn + j), _mm512_loadu_ps(hn + j),
                                         _mm512_loadu_ps(h_prev + j)));
    if (j < n) {
        __mmask16 m = rnnrt_avx512_tail_mask(n - j);
        __m512 hv =
            gru_cell(_mm512_maskz_loadu_ps(m, r + j), _mm512_maskz_loadu_ps(m, z + j),
                     _mm512_maskz_loadu_ps(m, xn + j), _mm512_maskz_loadu_ps(m, hn + j),
                     _mm512_maskz_loadu_ps(m, h_prev + j));
        _mm512_mask_storeu_ps(h + j, m, hv);
    }
}
