/* The bf16 dot-product provider ("activations": "bf16"): each GEMM input element rounded to
 * bf16, then the set's bf16dot tiles, which sum in float32 in VDPBF16PS's order, all of K
 * in one call per row block (docs/reduced-precision.md). */
#include <assert.h>
#include <string.h>

#include "half.h"
#include "provider.h"

uint16_t rnnrt_bf16_dot_value(float x)
{
    const uint16_t b = rnnrt_f32_to_bf16(x);
    /* exponent 0: zero or subnormal; the instruction reads a subnormal as a signed zero */
    return (b & 0x7f80) == 0 ? (uint16_t)(b & 0x8000) : b;
}

void rnnrt_round_rows_bf16(int rows, int K, const float *a, size_t lda, uint16_t *q)
{
    const size_t ldq = rnnrt_kgroup_rows(2, (size_t)K);
    for (int r = 0; r < rows; r++) {
        const float *x = a + (size_t)r * lda;
        uint16_t *qr = q + (size_t)r * ldq;
        for (int k = 0; k < K; k++)
            qr[k] = rnnrt_bf16_dot_value(x[k]);
        for (size_t k = (size_t)K; k < ldq; k++)
            qr[k] = 0;
    }
}

static size_t bf16_row_bytes(size_t K)
{
    return rnnrt_kgroup_rows(2, K) * sizeof(uint16_t);
}

static void round_rows(const rnnrt_kernels *k, int rows, int K, const float *a, size_t lda,
                       void *q, float *scale, rnnrt_gemm_input *in)
{
    (void)scale;
    if (k->round_bf16)
        k->round_bf16((size_t)rows, (size_t)K, a, lda, q, rnnrt_kgroup_rows(2, (size_t)K));
    else
        rnnrt_round_rows_bf16(rows, K, a, lda, q);
    *in = (rnnrt_gemm_input){.a = a, .lda = lda, .q = q, .ldq = rnnrt_kgroup_rows(2, (size_t)K)};
}

static void bf16dot_rows(const rnnrt_gemm_ukernel *uk, int kc, int r0, int rows, int K,
                         const rnnrt_gemm_input *in, rnnrt_panel panel, const float *init,
                         size_t ld_init, float *c, size_t ldc)
{
    (void)kc, (void)K;
    assert(uk && uk->dtype == RNNRT_WEIGHTS_BF16DOT && uk->fn_bf16dot);
    assert(in->ldq == rnnrt_kgroup_rows(2, (size_t)K) && ldc >= (size_t)uk->nr);
    const uint16_t *q = (const uint16_t *)in->q + (size_t)r0 * in->ldq;
    const int blocks = rows > 0 ? (rows + uk->mr - 1) / uk->mr : 0;
    for (int i = 0; i < blocks; i++) {
        int r, n;
        rnnrt_row_block(rows, uk->mr, i, &r, &n);
        uk->fn_bf16dot((size_t)n, in->ldq, q + (size_t)r * in->ldq, in->ldq,
                       (const uint16_t *)panel.w,
                       init ? init + (ld_init ? (size_t)r * ld_init : 0) : NULL, ld_init,
                       c + (size_t)r * ldc, ldc);
    }
}

static void bf16dot_pair(const rnnrt_gemm_pair_ukernel *uk, int K, const rnnrt_gemm_input *in,
                         rnnrt_panel panel, const float *init, float *c)
{
    (void)K;
    assert(uk && uk->dtype == RNNRT_WEIGHTS_BF16DOT && uk->fn_bf16dot);
    uk->fn_bf16dot(in->ldq, in->q, panel.w, in->ldq * (size_t)uk->nr, init, c);
}

const rnnrt_provider rnnrt_provider_bf16dot = {
    .dtype = RNNRT_WEIGHTS_BF16DOT, .row_bytes = bf16_row_bytes, .prepare = round_rows,
    .rows = bf16dot_rows, .pair = bf16dot_pair, .thread_end = rnnrt_provider_release_tiles};
