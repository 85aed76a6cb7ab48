/* rnnrt_int8dot_gemm_8x48__avx512vnni: 8 rows by 48 columns of int8 weights times int8
 * activations with vpdpbusd (panels of 16 units times 3 gates). Body: gemm_int8dot_vnni.h. */
#include "gemm_int8dot_vnni.h"

void rnnrt_int8dot_gemm_8x48__avx512vnni(size_t mr, size_t kc, const int8_t *a, size_t lda,
                                         const float *a_scale, const int8_t *b,
                                         const float *scale, const float *init, size_t ld_init,
                                         float *c, size_t ldc)
{
    rnnrt_vnni_int8dot_gemm(8, 3, mr, kc, a, lda, a_scale, b, scale, init, ld_init, c, ldc);
}
