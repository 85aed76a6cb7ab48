/* rnnrt_int8dot_gemm_pair16__avx2: one row of int8 activations over two 16-column panels of int8 weights (plain column panels: the projection, the one-gate RNN), for a batch of one.
 * Body: gemm_int8dot_avx2.h. */
#include "gemm_int8dot_avx2.h"

void rnnrt_int8dot_gemm_pair16__avx2(size_t kc, const int8_t *a, float a_scale, const int8_t *b, size_t next,
        const float *scale, const float *init, float *c)
{
    rnnrt_avx2_int8dot_pair(2, kc, a, a_scale, b, next, scale, init, c);
}
