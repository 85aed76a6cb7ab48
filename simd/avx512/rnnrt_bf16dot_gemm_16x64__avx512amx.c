/* rnnrt_bf16dot_gemm_16x64__avx512amx: up to 16 rows by 64 columns of bf16 weights times bf16 activations
 * with AMX tdpbf16ps. Body: avx512/gemm_amx.h. */
#include "gemm_amx.h"

void rnnrt_bf16dot_gemm_16x64__avx512amx(size_t mr, size_t kc, const uint16_t *a, size_t lda,
        const uint16_t *b, const float *init, size_t ld_init, float *c, size_t ldc)
{
    rnnrt_amx_bf16dot(4, mr, kc, a, lda, b, init, ld_init, c, ldc);
}
