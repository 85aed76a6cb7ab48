/* rnnrt_f32_vexp__avx512: y = e^x, 16 lanes at a time, the tail through masked loads and
 * stores (masked-off lanes are neither read nor written). Within 4 ulp for every float input
 * and free of FE_INVALID/FE_DIVBYZERO/FE_OVERFLOW (see vmath_avx512.h). */
#include "kernels.h"
#include "vmath_avx512.h"

void rnnrt_f32_vexp__avx512(size_t n, const float *x, float *y)
{
    assert(n == 0 || (x && y));
    size_t j = 0;
    for (; j + 16 <= n; j += 16)
        _mm512_storeu_ps(y + j, rnnrt_avx512_exp(_mm512_loadu_ps(x + j)));
    if (j < n) {
        __mmask16 m = rnnrt_avx512_tail_mask(n - j);
        _mm512_mask_storeu_ps(y + j, m, rnnrt_avx512_exp(_mm512_maskz_loadu_ps(m, x + j)));
    }
}
