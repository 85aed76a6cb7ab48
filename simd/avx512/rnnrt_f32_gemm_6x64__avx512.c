/* rnnrt_f32_gemm_6x64__avx512: 6 rows by 64 columns (panels of 16 units times the 4 LSTM
 * gates). Body: gemm_avx512.h. */
#include "gemm_avx512.h"

void rnnrt_f32_gemm_6x64__avx512(size_t mr, size_t kc, const float *a, size_t lda, const float *b,
                               const float *init, size_t ld_init, float *c, size_t ldc)
{
    rnnrt_avx512_gemm(6, 4, mr, kc, a, lda, b, init, ld_init, c, ldc);
}
