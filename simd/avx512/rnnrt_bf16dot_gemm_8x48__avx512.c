/* rnnrt_bf16dot_gemm_8x48__avx512: 8 rows by 48 columns of bf16 weights times bf16 activations
 * (panels of 16 units, and the projection). Body: gemm_bf16dot.h, compiled with this set's flags. */
#include "../gemm_bf16dot.h"

void rnnrt_bf16dot_gemm_8x48__avx512(size_t mr, size_t kc, const uint16_t *a, size_t lda, const uint16_t *b,
        const float *init, size_t ld_init, float *c, size_t ldc)
{
    rnnrt_bf16dot_gemm(8, 48, mr, kc, a, lda, b, init, ld_init, c, ldc);
}
