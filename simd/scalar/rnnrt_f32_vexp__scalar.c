/* rnnrt_f32_vexp__scalar: libm element by element; the fallback set and the benchmarks' baseline. */
#include <math.h>

#include "scalar_kernels.h"

void rnnrt_f32_vexp__scalar(size_t n, const float *x, float *y)
{
    for (size_t j = 0; j < n; j++)
        y[j] = expf(x[j]);
}
