/* rnnrt_int8dot_gemm_8x48__avx512vnni_model: rnnrt_int8dot_gemm_8x48__avx512vnni (vpdpbusd)
 * Body: avx512/gemm_int8dot_vnni.h, on the software model of the instructions. */
#include "avx512/gemm_int8dot_vnni.h"

void rnnrt_int8dot_gemm_8x48__avx512vnni_model(size_t mr, size_t kc, const int8_t *a, size_t lda,
        const float *a_scale, const int8_t *b, const float *scale, const float *init,
        size_t ld_init, float *c, size_t ldc)
{
    rnnrt_vnni_int8dot_gemm(8, 3, mr, kc, a, lda, a_scale, b, scale, init, ld_init, c, ldc);
}
