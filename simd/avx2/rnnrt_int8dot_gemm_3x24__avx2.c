/* rnnrt_int8dot_gemm_3x24__avx2: 3 rows by 24 columns of int8 weights times int8 activations (panels of 8 units times the 3 GRU gates).
 * Body: gemm_int8dot_avx2.h. */
#include "gemm_int8dot_avx2.h"

void rnnrt_int8dot_gemm_3x24__avx2(size_t mr, size_t kc, const int8_t *a, size_t lda, const float *a_scale,
        const int8_t *b, const float *scale, const float *init, size_t ld_init, float *c, size_t ldc)
{
    rnnrt_avx2_int8dot_gemm(3, 3, mr, kc, a, lda, a_scale, b, scale, init, ld_init, c, ldc);
}
