/* rnnrt_f32_vexp__avx2: y = e^x, 8 lanes at a time, the tail through maskload/maskstore
 * (masked-off lanes are neither read nor written). Within 4 ulp for every float input and
 * free of FE_INVALID/FE_DIVBYZERO/FE_OVERFLOW (see vmath_avx2.h). */
#include "kernels.h"
#include "vmath_avx2.h"

void rnnrt_f32_vexp__avx2(size_t n, const float *x, float *y)
{
    assert(n == 0 || (x && y));
    size_t j = 0;
    for (; j + 8 <= n; j += 8)
        _mm256_storeu_ps(y + j, rnnrt_avx2_exp(_mm256_loadu_ps(x + j)));
    if (j < n) {
        __m256i m = rnnrt_avx2_tail_mask(n - j);
        _mm256_maskstore_ps(y + j, m, rnnrt_avx2_exp(_mm256_maskload_ps(x + j, m)));
    }
}
