/* rnnrt_f32_gemm_6x16__avx2: 6 rows by 16 columns, the tile of BLIS's Haswell kernel, for
 * the products that have no gate panels (the LSTM projection, the packed stand-alone GEMM
 * of runtime/gemm.h that a linear head uses): per k, 2 panel loads and 6 broadcasts feed 12
 * FMAs, against 4 loads and 3 broadcasts for the 3x32 gate tile, and up to 6 rows of A share
 * each panel read from L1. Body: gemm_avx2.h. */
#include "gemm_avx2.h"

void rnnrt_f32_gemm_6x16__avx2(size_t mr, size_t kc, const float *a, size_t lda, const float *b,
                               const float *init, size_t ld_init, float *c, size_t ldc)
{
    rnnrt_avx2_gemm(6, 2, mr, kc, a, lda, b, init, ld_init, c, ldc);
}
