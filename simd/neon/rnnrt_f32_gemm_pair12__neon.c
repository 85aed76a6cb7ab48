/* rnnrt_f32_gemm_pair12__neon: one row over two 12-column panels, the GRU and coupled LSTM gate panels of gemm3 (4 units x 3 gates), for a batch of one.
 * Body: gemm_neon.h. */
#include "gemm_neon.h"

void rnnrt_f32_gemm_pair12__neon(size_t kc, const float *a, const float *b, size_t next, const float *init,
        float *c)
{
    rnnrt_neon_gemm_pair(RNNRT_WEIGHTS_F32, 3, kc, a, b, next, NULL, init, c);
}
