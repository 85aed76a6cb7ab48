/* rnnrt_int8dot_gemm_4x16__avx2: 4 rows by 16 columns of int8 weights times int8 activations (plain column panels: the projection, the one-gate RNN).
 * Body: gemm_int8dot_avx2.h. */
#include "gemm_int8dot_avx2.h"

void rnnrt_int8dot_gemm_4x16__avx2(size_t mr, size_t kc, const int8_t *a, size_t lda, const float *a_scale,
        const int8_t *b, const float *scale, const float *init, size_t ld_init, float *c, size_t ldc)
{
    rnnrt_avx2_int8dot_gemm(4, 2, mr, kc, a, lda, a_scale, b, scale, init, ld_init, c, ldc);
}
