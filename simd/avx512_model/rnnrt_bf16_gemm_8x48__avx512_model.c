/* rnnrt_bf16_gemm_8x48__avx512_model: 8 rows by 48 columns of bf16 weights, the avx512 set's shape.
 * Body: gemm_widen.h (portable C; fused as the model's f32 tile). */
#include "gemm_widen.h"

void rnnrt_bf16_gemm_8x48__avx512_model(size_t mr, size_t kc, const float *a, size_t lda, const uint16_t *b,
        const float *init, size_t ld_init, float *c, size_t ldc)
{
    rnnrt_widen_gemm(1, 8, 48, mr, kc, a, lda, b, NULL, NULL, init, ld_init, c, ldc);
}
