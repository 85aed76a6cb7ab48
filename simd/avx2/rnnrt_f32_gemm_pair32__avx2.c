/* rnnrt_f32_gemm_pair32__avx2: one row over two 32-column panels, the LSTM gate panels of gemm4 (8 units x 4 gates), for a batch of one.
 * Body: gemm_avx2.h. */
#include "gemm_avx2.h"

void rnnrt_f32_gemm_pair32__avx2(size_t kc, const float *a, const float *b, size_t next, const float *init,
        float *c)
{
    rnnrt_avx2_gemm_pair_t(RNNRT_WEIGHTS_F32, 4, kc, a, b, next, NULL, init, c);
}
