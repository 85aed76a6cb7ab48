/* rnnrt_bf16dot_gemm_4x16__avx2: 4 rows by 16 columns of bf16 weights times bf16 activations
 * (plain column panels, and the projection). Body: gemm_bf16dot.h, compiled with this set's flags. */
#include "../gemm_bf16dot.h"

void rnnrt_bf16dot_gemm_4x16__avx2(size_t mr, size_t kc, const uint16_t *a, size_t lda, const uint16_t *b,
        const float *init, size_t ld_init, float *c, size_t ldc)
{
    rnnrt_bf16dot_gemm(4, 16, mr, kc, a, lda, b, init, ld_init, c, ldc);
}
