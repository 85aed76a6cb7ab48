/* rnnrt_int8dot_gemm_3x24__avxvnni: 3 rows by 24 columns of int8 weights times int8 activations with AVX-VNNI
 * vpdpbusd. Body: avx2/gemm_int8dot_avxvnni.h. */
#include "gemm_int8dot_avxvnni.h"

void rnnrt_int8dot_gemm_3x24__avxvnni(size_t mr, size_t kc, const int8_t *a, size_t lda,
        const float *a_scale, const int8_t *b, const float *scale, const float *init,
        size_t ld_init, float *c, size_t ldc)
{
    rnnrt_avxvnni_int8dot_gemm(3, 3, mr, kc, a, lda, a_scale, b, scale, init, ld_init, c, ldc);
}
