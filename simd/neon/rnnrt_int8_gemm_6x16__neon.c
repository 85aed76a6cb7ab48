/* rnnrt_int8_gemm_6x16__neon: 6 rows by 16 columns of int8 weights (panels of 4 units times 4 gates, and the projection).
 * Body: gemm_widen.h, compiled with this set's flags. */
#include "../gemm_widen.h"

void rnnrt_int8_gemm_6x16__neon(size_t mr, size_t kc, const float *a, size_t lda, const int8_t *b,
        const float *scale, const float *init, size_t ld_init, float *c, size_t ldc)
{
    rnnrt_widen_gemm(1, 6, 16, mr, kc, a, lda, NULL, b, scale, init, ld_init, c, ldc);
}
