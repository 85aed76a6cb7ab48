/* rnnrt_int8dot_gemm_16x64__avx512amx_model: up to 16 rows by 64 columns of int8 weights times int8 activations
 * with AMX tdpbssd on the software model of the instructions. Body: avx512/gemm_amx.h. */
#include "avx512/gemm_amx.h"

void rnnrt_int8dot_gemm_16x64__avx512amx_model(size_t mr, size_t kc, const int8_t *a, size_t lda,
        const float *a_scale, const int8_t *b, const float *scale, const float *init,
        size_t ld_init, float *c, size_t ldc)
{
    rnnrt_amx_int8dot(4, mr, kc, a, lda, a_scale, b, scale, init, ld_init, c, ldc);
}
