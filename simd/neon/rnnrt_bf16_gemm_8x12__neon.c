/* rnnrt_bf16_gemm_8x12__neon: 8 rows by 12 columns of bf16 weights (panels of 4 units times 3 gates).
 * Body: gemm_widen.h, compiled with this set's flags. */
#include "../gemm_widen.h"

void rnnrt_bf16_gemm_8x12__neon(size_t mr, size_t kc, const float *a, size_t lda, const uint16_t *b,
        const float *init, size_t ld_init, float *c, size_t ldc)
{
    rnnrt_widen_gemm(1, 8, 12, mr, kc, a, lda, b, NULL, NULL, init, ld_init, c, ldc);
}
