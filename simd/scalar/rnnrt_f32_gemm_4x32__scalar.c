/* rnnrt_f32_gemm_4x32__scalar: 4 rows by 32 columns (panels of 8 units times 4 gates).
 * Body: gemm_scalar.h. */
#include "gemm_scalar.h"

void rnnrt_f32_gemm_4x32__scalar(size_t mr, size_t kc, const float *a, size_t lda,
                                 const float *b, const float *init, size_t ld_init, float *c,
                                 size_t ldc)
{
    rnnrt_scalar_gemm(4, 32, mr, kc, a, lda, b, init, ld_init, c, ldc);
}
