/* rnnrt_f32_gru_gates__avx2: the GRU cell update of simd/kernels.h on 8 units at a time, the
 * tail through maskload/maskstore (masked-off lanes are neither read nor written).
 * h = n + z*(h_prev - n), the form PyTorch evaluates. NaN inputs give NaN outputs; they may
 * raise FE_INVALID (see vmath_avx2.h). */
#include "kernels.h"
#include "vmath_avx2.h"

static inline __m256 gru_cell(__m256 r, __m256 z, __m256 xn, __m256 hn, __m256 hp)
{
    __m256 nn = rnnrt_avx2_tanh_core(_mm256_fmadd_ps(rnnrt_avx2_sigmoid_core(r), hn, xn));
    return _mm256_fmadd_ps(rnnrt_avx2_sigmoid_core(z), _mm256_sub_ps(hp, nn), nn);
}

void rnnrt_f32_gru_gates__avx2(size_t n, const float *r, const float *z, const float *xn,
                               const float *hn, const float *h_prev, float *h)
{
    size_t j = 0;
    for (; j + 8 <= n; j += 8)
        _mm256_storeu_ps(h + j, gru_cell(_mm256_loadu_ps(r + j), _mm256_loadu_ps(z + j),
                                         _mm256_loadu_ps(xn + j), _mm256_loadu_ps(hn + j),
                                         _mm256_loadu_ps(h_prev + j)));
    if (j < n) {
        __m256i m = rnnrt_avx2_tail_mask(n - j);
        __m256 hv = gru_cell(_mm256_maskload_ps(r + j, m), _mm256_maskload_ps(z + j, m),
                             _mm256_maskload_ps(xn + j, m), _mm256_maskload_ps(hn + j, m),
                             _mm256_maskload_ps(h_prev + j, m));
        _mm256_maskstore_ps(h + j, m, hv);
    }
}
