/* rnnrt_int8dot_gemm_4x64__avx512bw: 4 rows by 64 columns of int8 weights times int8 activations with
 * vpmaddubsw, for AVX-512 CPUs without VNNI (panels of 16 units times 4 gates, and the projection). Body: gemm_int8dot_avx512bw.h. */
#include "gemm_int8dot_avx512bw.h"

void rnnrt_int8dot_gemm_4x64__avx512bw(size_t mr, size_t kc, const int8_t *a, size_t lda,
        const float *a_scale, const int8_t *b, const float *scale, const float *init,
        size_t ld_init, float *c, size_t ldc)
{
    rnnrt_avx512bw_int8dot_gemm(4, 4, mr, kc, a, lda, a_scale, b, scale, init, ld_init, c, ldc);
}
