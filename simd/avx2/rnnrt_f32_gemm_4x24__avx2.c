/* rnnrt_f32_gemm_4x24__avx2: 4 rows by 24 columns (panels of 8 units times the 3 GRU or
 * coupled-LSTM gates). Body: gemm_avx2.h. */
#include "gemm_avx2.h"

void rnnrt_f32_gemm_4x24__avx2(size_t mr, size_t kc, const float *a, size_t lda, const float *b,
                               const float *init, size_t ld_init, float *c, size_t ldc)
{
    rnnrt_avx2_gemm(4, 3, mr, kc, a, lda, b, init, ld_init, c, ldc);
}
