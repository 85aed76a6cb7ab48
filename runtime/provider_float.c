/* The providers whose tiles take the GEMM input as floats: f32 panels, and the weight-only
 * bf16 and int8 panels, which the tiles (or runtime/gemm.c's widening) turn into float32
 * weights. Nothing is prepared; rows and pairs are runtime/gemm.c's loops. */
#include "provider.h"

static size_t no_bytes(size_t K)
{
    (void)K;
    return 0;
}

static void as_they_are(const rnnrt_kernels *k, int rows, int K, const float *a, size_t lda,
                        void *q, float *scale, rnnrt_gemm_input *in)
{
    (void)k, (void)rows, (void)K, (void)q, (void)scale;
    *in = (rnnrt_gemm_input){.a = a, .lda = lda};
}

static void float_rows(const rnnrt_gemm_ukernel *uk, int kc, int r0, int rows, int K,
                       const rnnrt_gemm_input *in, rnnrt_panel panel, const float *init,
                       size_t ld_init, float *c, size_t ldc)
{
    rnnrt_gemm_rows(uk, kc, rows, K, in->a + (size_t)r0 * in->lda, in->lda, panel, init,
                    ld_init, c, ldc);
}

static void float_pair(const rnnrt_gemm_pair_ukernel *uk, int K, const rnnrt_gemm_input *in,
                       rnnrt_panel panel, const float *init, float *c)
{
    rnnrt_gemm_pair(uk, K, in->a, panel, init, c);
}

#define RNNRT_FLOAT_PROVIDER(type)                                                            \
    {.dtype = (type), .row_bytes = no_bytes, .prepare = as_they_are, .rows = float_rows,      \
     .pair = float_pair}

const rnnrt_provider rnnrt_provider_f32 = RNNRT_FLOAT_PROVIDER(RNNRT_WEIGHTS_F32);
const rnnrt_provider rnnrt_provider_bf16 = RNNRT_FLOAT_PROVIDER(RNNRT_WEIGHTS_BF16);
const rnnrt_provider rnnrt_provider_int8 = RNNRT_FLOAT_PROVIDER(RNNRT_WEIGHTS_INT8);
