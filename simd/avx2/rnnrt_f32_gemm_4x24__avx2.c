/* rnnrt_f32_gemm_4x24__avx2: 4 rows by 24 columns (panels of 8 units times the 3 GRU or
 * coupled-LSTM gates). No prefetch (PF, gemm_avx2.h): it gained 1.26x on a 4-row pass over
 * panels from memory but cost 3-20% where they were in L2, and it also runs the GRU input
 * projection; that needs a choice by where the weights live, not a fixed one. Body:
 * gemm_avx2.h. */
#include "gemm_avx2.h"

void rnnrt_f32_gemm_4x24__avx2(size_t mr, size_t kc, const float *a, size_t lda, const float *b,
                               const float *init, size_t ld_init, float *c, size_t ldc)
{
    rnnrt_avx2_gemm(4, 3, 0, mr, kc, a, lda, b, init, ld_init, c, ldc);
}
