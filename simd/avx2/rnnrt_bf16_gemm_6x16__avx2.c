/* rnnrt_bf16_gemm_6x16__avx2: 6 rows by 16 columns of bf16 weights (the projection, the RNN's panels and the head).
 * Body: gemm_avx2.h. */
#include "gemm_avx2.h"

void rnnrt_bf16_gemm_6x16__avx2(size_t mr, size_t kc, const float *a, size_t lda, const uint16_t *b,
        const float *init, size_t ld_init, float *c, size_t ldc)
{
    rnnrt_avx2_gemm_t(RNNRT_WEIGHTS_BF16, 6, 2, mr, kc, a, lda, b, NULL, init, ld_init, c, ldc);
}
