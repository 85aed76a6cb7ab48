/* rnnrt_f32_gemm_pair16__avx2: one row over two 16-column panels, the plain-column panels of gemm_proj (projection, RNN, the reset-before GRU's n), for a batch of one.
 * Body: gemm_avx2.h. */
#include "gemm_avx2.h"

void rnnrt_f32_gemm_pair16__avx2(size_t kc, const float *a, const float *b, size_t next, const float *init,
        float *c)
{
    rnnrt_avx2_gemm_pair_t(RNNRT_WEIGHTS_F32, 2, kc, a, b, next, NULL, init, c);
}
