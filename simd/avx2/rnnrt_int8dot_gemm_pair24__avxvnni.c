/* rnnrt_int8dot_gemm_pair24__avxvnni: one row of int8 activations over two 24-column panels of int8 weights with
 * AVX-VNNI vpdpbusd, for a batch of one. Body: avx2/gemm_int8dot_avxvnni.h. */
#include "gemm_int8dot_avxvnni.h"

void rnnrt_int8dot_gemm_pair24__avxvnni(size_t kc, const int8_t *a, float a_scale, const int8_t *b, size_t next,
        const float *scale, const float *init, float *c)
{
    rnnrt_avxvnni_int8dot_pair(3, kc, a, a_scale, b, next, scale, init, c);
}
