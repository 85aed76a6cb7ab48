/* rnnrt_bf16_gemm_8x48__avx512: 8 rows by 48 columns of bf16 weights (panels of 16 units times 3 gates).
 * Body: gemm_widen.h, compiled with this set's flags. */
#include "../gemm_widen.h"

void rnnrt_bf16_gemm_8x48__avx512(size_t mr, size_t kc, const float *a, size_t lda, const uint16_t *b,
        const float *init, size_t ld_init, float *c, size_t ldc)
{
    rnnrt_widen_gemm(1, 8, 48, mr, kc, a, lda, b, NULL, NULL, init, ld_init, c, ldc);
}
