/* rnnrt_f32_gemm_4x32__avx2: 4 rows by 32 columns (the LSTM gate panels of 3x32) in two
 * strips of 16, so that a batch of 4 (or 7-8, 13-16) takes fewer passes over the panel than
 * with 3 rows. Body: gemm_avx2.h. */
#include "gemm_avx2.h"

void rnnrt_f32_gemm_4x32__avx2(size_t mr, size_t kc, const float *a, size_t lda, const float *b,
                               const float *init, size_t ld_init, float *c, size_t ldc)
{
    rnnrt_avx2_gemm_strips(4, 4, 2, mr, kc, a, lda, b, init, ld_init, c, ldc);
}
