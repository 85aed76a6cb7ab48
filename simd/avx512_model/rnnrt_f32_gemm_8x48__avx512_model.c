/* rnnrt_f32_gemm_8x48__avx512_model: the avx512 set's 8x48 f32 tile
 * Body: avx512/gemm_avx512.h, on the software model of the instructions. */
#include "avx512/gemm_avx512.h"

void rnnrt_f32_gemm_8x48__avx512_model(size_t mr, size_t kc, const float *a, size_t lda, const float *b,
        const float *init, size_t ld_init, float *c, size_t ldc)
{
    rnnrt_avx512_gemm(8, 3, mr, kc, a, lda, b, init, ld_init, c, ldc);
}
