/* rnnrt_bf16_gemm_4x24__avx2: 4 rows by 24 columns of bf16 weights (panels of 8 units times 3 gates).
 * Body: gemm_avx2.h. */
#include "gemm_avx2.h"

void rnnrt_bf16_gemm_4x24__avx2(size_t mr, size_t kc, const float *a, size_t lda, const uint16_t *b,
        const float *init, size_t ld_init, float *c, size_t ldc)
{
    rnnrt_avx2_gemm_t(RNNRT_WEIGHTS_BF16, 4, 3, mr, kc, a, lda, b, NULL, init, ld_init, c, ldc);
}
