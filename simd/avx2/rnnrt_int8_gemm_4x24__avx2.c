/* rnnrt_int8_gemm_4x24__avx2: 4 rows by 24 columns of int8 weights (panels of 8 units times 3 gates).
 * Body: gemm_avx2.h. */
#include "gemm_avx2.h"

void rnnrt_int8_gemm_4x24__avx2(size_t mr, size_t kc, const float *a, size_t lda, const int8_t *b,
        const float *scale, const float *init, size_t ld_init, float *c, size_t ldc)
{
    rnnrt_avx2_gemm_t(RNNRT_WEIGHTS_INT8, 4, 3, mr, kc, a, lda, b, scale, init, ld_init, c, ldc);
}
