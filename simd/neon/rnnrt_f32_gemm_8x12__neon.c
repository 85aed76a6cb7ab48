/* rnnrt_f32_gemm_8x12__neon: 8 rows by 12 columns (panels of 4 units times 3 gates). Body:
 * gemm_neon.h. */
#include "gemm_neon.h"

void rnnrt_f32_gemm_8x12__neon(size_t mr, size_t kc, const float *a, size_t lda, const float *b,
                               const float *init, size_t ld_init, float *c, size_t ldc)
{
    rnnrt_neon_gemm(8, 3, mr, kc, a, lda, b, init, ld_init, c, ldc);
}
