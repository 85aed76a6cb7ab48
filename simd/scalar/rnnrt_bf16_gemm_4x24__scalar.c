/* rnnrt_bf16_gemm_4x24__scalar: 4 rows by 24 columns of bf16 weights (panels of 8 units times 3 gates).
 * Body: gemm_widen.h, compiled with this set's flags. */
#include "../gemm_widen.h"

void rnnrt_bf16_gemm_4x24__scalar(size_t mr, size_t kc, const float *a, size_t lda, const uint16_t *b,
        const float *init, size_t ld_init, float *c, size_t ldc)
{
    rnnrt_widen_gemm(0, 4, 24, mr, kc, a, lda, b, NULL, NULL, init, ld_init, c, ldc);
}
