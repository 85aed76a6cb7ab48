/* rnnrt_int8dot_gemm_pair16__neon: one row of int8 activations over two 16-column panels of int8 weights (panels of 4 units times 4 gates, and the projection), for a batch of one.
 * Body: gemm_int8dot.h, compiled with this set's flags. */
#include "../gemm_int8dot.h"

void rnnrt_int8dot_gemm_pair16__neon(size_t kc, const int8_t *a, float a_scale, const int8_t *b, size_t next,
        const float *scale, const float *init, float *c)
{
    rnnrt_int8dot_gemm_pair(16, kc, a, a_scale, b, next, scale, init, c);
}
