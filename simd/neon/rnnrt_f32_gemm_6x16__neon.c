/* rnnrt_f32_gemm_6x16__neon: 6 rows by 16 columns (panels of 4 units times the 4 LSTM gates).
 * Body: gemm_neon.h. */
#include "gemm_neon.h"

void rnnrt_f32_gemm_6x16__neon(size_t mr, size_t kc, const float *a, size_t lda, const float *b,
                               const float *init, size_t ld_init, float *c, size_t ldc)
{
    rnnrt_neon_gemm(6, 4, mr, kc, a, lda, b, init, ld_init, c, ldc);
}
