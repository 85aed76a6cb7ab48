/* rnnrt_int8_gemm_pair16__avx2: one row over two 16-column panels of int8 weights, the plain-column panels of gemm_proj (projection, RNN, the reset-before GRU's n), for a batch of one.
 * Body: gemm_avx2.h. */
#include "gemm_avx2.h"

void rnnrt_int8_gemm_pair16__avx2(size_t kc, const float *a, const int8_t *b, size_t next, const float *scale, const float *init,
        float *c)
{
    rnnrt_avx2_gemm_pair_t(RNNRT_WEIGHTS_INT8, 2, kc, a, b, next, scale, init, c);
}
