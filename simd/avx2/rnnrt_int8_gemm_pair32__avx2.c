/* rnnrt_int8_gemm_pair32__avx2: one row over two 32-column panels of int8 weights, the LSTM gate panels of gemm4 (8 units x 4 gates), for a batch of one.
 * Body: gemm_avx2.h. */
#include "gemm_avx2.h"

void rnnrt_int8_gemm_pair32__avx2(size_t kc, const float *a, const int8_t *b, size_t next, const float *scale, const float *init,
        float *c)
{
    rnnrt_avx2_gemm_pair_t(RNNRT_WEIGHTS_INT8, 4, kc, a, b, next, scale, init, c);
}
