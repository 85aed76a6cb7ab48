/* rnnrt_bf16_gemm_8x48__avx512: 8 rows by 48 columns of bf16 weights (panels of 16 units times 3 gates).
 * Body: gemm_widen_avx512.h. */
#include "gemm_widen_avx512.h"

void rnnrt_bf16_gemm_8x48__avx512(size_t mr, size_t kc, const float *a, size_t lda, const uint16_t *b,
        const float *init, size_t ld_init, float *c, size_t ldc)
{
    rnnrt_avx512_widen_gemm(8, 3, mr, kc, a, lda, b, NULL, NULL, init, ld_init, c, ldc);
}
