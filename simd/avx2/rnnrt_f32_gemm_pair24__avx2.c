/* rnnrt_f32_gemm_pair24__avx2: one row over two 24-column panels, the GRU and coupled LSTM gate panels of gemm3 (8 units x 3 gates), for a batch of one.
 * Body: gemm_avx2.h. */
#include "gemm_avx2.h"

void rnnrt_f32_gemm_pair24__avx2(size_t kc, const float *a, const float *b, size_t next, const float *init,
        float *c)
{
    rnnrt_avx2_gemm_pair_t(RNNRT_WEIGHTS_F32, 3, kc, a, b, next, NULL, init, c);
}
