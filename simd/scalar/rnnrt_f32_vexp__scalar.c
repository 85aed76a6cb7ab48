/* rnnrt_f32_vexp__scalar: libm element by element; the fallback set and the benchmarks' baseline. */
#include <math.h>

#include "scalar_kernels.h"

void rnnrt_f32_vexp__scalar(size_t n, const float *x, float *y)
{
    assert(n == 0 || (x && y));
    for (size_t j = 0; j < n; j++) {
        float q;
        if (rnnrt_nan_quiet(x[j], &q))
            y[j] = q;
        else /* past ln(FLT_MAX) expf would raise FE_OVERFLOW; the rounded result is +inf */
            y[j] = x[j] > 0x1.62e42ep+6f ? INFINITY : expf(x[j]);
    }
}
