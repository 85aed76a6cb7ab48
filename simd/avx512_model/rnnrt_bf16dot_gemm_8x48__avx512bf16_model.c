/* rnnrt_bf16dot_gemm_8x48__avx512bf16_model: rnnrt_bf16dot_gemm_8x48__avx512bf16 (vdpbf16ps)
 * Body: avx512/gemm_bf16dot_avx512bf16.h, on the software model of the instructions. */
#include "avx512/gemm_bf16dot_avx512bf16.h"

void rnnrt_bf16dot_gemm_8x48__avx512bf16_model(size_t mr, size_t kc, const uint16_t *a, size_t lda,
        const uint16_t *b, const float *init, size_t ld_init, float *c, size_t ldc)
{
    rnnrt_avx512bf16_gemm(8, 3, mr, kc, a, lda, b, init, ld_init, c, ldc);
}
