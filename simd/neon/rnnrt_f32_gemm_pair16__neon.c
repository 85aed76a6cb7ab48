/* rnnrt_f32_gemm_pair16__neon: one row over two 16-column panels, the LSTM gate panels of gemm4 (4 units x 4 gates) and the plain-column panels of gemm_proj, for a batch of one.
 * Body: gemm_neon.h. */
#include "gemm_neon.h"

void rnnrt_f32_gemm_pair16__neon(size_t kc, const float *a, const float *b, size_t next, const float *init,
        float *c)
{
    rnnrt_neon_gemm_pair(RNNRT_WEIGHTS_F32, 4, kc, a, b, next, NULL, init, c);
}
