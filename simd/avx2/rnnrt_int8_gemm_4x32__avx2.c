/* rnnrt_int8_gemm_4x32__avx2: 4 rows by 32 columns of int8 weights (the same panels for batches that 4 rows cover in fewer blocks, in two strips of 16 columns).
 * Body: gemm_avx2.h. */
#include "gemm_avx2.h"

void rnnrt_int8_gemm_4x32__avx2(size_t mr, size_t kc, const float *a, size_t lda, const int8_t *b,
        const float *scale, const float *init, size_t ld_init, float *c, size_t ldc)
{
    rnnrt_avx2_gemm_strips_t(RNNRT_WEIGHTS_INT8, 4, 4, 2, mr, kc, a, lda, b, scale, init, ld_init, c, ldc);
}
