/* rnnrt_f32_vsigmoid__scalar: libm element by element; the fallback set and the benchmarks' baseline. */
#include "scalar_kernels.h"

void rnnrt_f32_vsigmoid__scalar(size_t n, const float *x, float *y)
{
    assert(n == 0 || (x && y));
    for (size_t j = 0; j < n; j++)
        y[j] = rnnrt_sigmoidf(x[j]);
}
