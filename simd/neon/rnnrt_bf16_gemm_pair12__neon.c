/* rnnrt_bf16_gemm_pair12__neon: one row over two 12-column panels of bf16 weights, the GRU and coupled LSTM gate panels of gemm3 (4 units x 3 gates), for a batch of one.
 * Body: gemm_neon.h. */
#include "gemm_neon.h"

void rnnrt_bf16_gemm_pair12__neon(size_t kc, const float *a, const uint16_t *b, size_t next, const float *init,
        float *c)
{
    rnnrt_neon_gemm_pair(RNNRT_WEIGHTS_BF16, 3, kc, a, b, next, NULL, init, c);
}
