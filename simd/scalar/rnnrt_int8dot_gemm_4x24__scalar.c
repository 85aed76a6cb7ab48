/* rnnrt_int8dot_gemm_4x24__scalar: 4 rows by 24 columns of int8 weights times int8 activations (panels of 8 units times the 3 GRU gates).
 * Body: gemm_int8dot.h, compiled with this set's flags. */
#include "../gemm_int8dot.h"

void rnnrt_int8dot_gemm_4x24__scalar(size_t mr, size_t kc, const int8_t *a, size_t lda, const float *a_scale,
        const int8_t *b, const float *scale, const float *init, size_t ld_init, float *c, size_t ldc)
{
    rnnrt_int8dot_gemm(4, 24, mr, kc, a, lda, a_scale, b, scale, init, ld_init, c, ldc);
}
