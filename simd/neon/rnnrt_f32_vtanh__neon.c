/* rnnrt_f32_vtanh__neon: y = tanh(x), 4 lanes at a time, the tail through a zeroed stack
 * vector (nothing past n is read or written). Within 4 ulp for every float input and free of
 * FE_INVALID/FE_DIVBYZERO/FE_OVERFLOW (see vmath_neon.h). */
#include "kernels.h"
#include "vmath_neon.h"

void rnnrt_f32_vtanh__neon(size_t n, const float *x, float *y)
{
    assert(n == 0 || (x && y));
    size_t j = 0;
    for (; j + 4 <= n; j += 4)
        vst1q_f32(y + j, rnnrt_neon_tanh(vld1q_f32(x + j)));
    if (j < n) {
        size_t rem = n - j;
        rnnrt_neon_store_tail(y + j, rem, rnnrt_neon_tanh(rnnrt_neon_load_tail(x + j, rem)));
    }
}
