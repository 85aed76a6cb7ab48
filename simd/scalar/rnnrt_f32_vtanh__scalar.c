/* rnnrt_f32_vtanh__scalar: libm element by element; the fallback set and the benchmarks' baseline. */
#include "scalar_kernels.h"

void rnnrt_f32_vtanh__scalar(size_t n, const float *x, float *y)
{
    assert(n == 0 || (x && y));
    for (size_t j = 0; j < n; j++) {
        float q;
        y[j] = rnnrt_nan_quiet(x[j], &q) ? q : tanhf(x[j]);
    }
}
