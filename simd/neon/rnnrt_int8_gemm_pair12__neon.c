/* rnnrt_int8_gemm_pair12__neon: one row over two 12-column panels of int8 weights, the GRU and coupled LSTM gate panels of gemm3 (4 units x 3 gates), for a batch of one.
 * Body: gemm_neon.h. */
#include "gemm_neon.h"

void rnnrt_int8_gemm_pair12__neon(size_t kc, const float *a, const int8_t *b, size_t next, const float *scale, const float *init,
        float *c)
{
    rnnrt_neon_gemm_pair(RNNRT_WEIGHTS_INT8, 3, kc, a, b, next, scale, init, c);
}
