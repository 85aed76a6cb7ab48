/* The int8 dot-product provider ("activations": "int8"): each GEMM input row rounded to int8
 * with its own scale, then exact int32 sums through the set's int8dot tiles, all of K in
 * one call per row block (docs/reduced-precision.md). */
#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "provider.h"

void rnnrt_quantize_rows(int rows, int K, const float *a, size_t lda, int8_t *q, float *scale)
{
    const size_t ldq = rnnrt_int8dot_k((size_t)K);
    for (int r = 0; r < rows; r++) {
        const float *x = a + (size_t)r * lda;
        int8_t *qr = q + (size_t)r * ldq;
        float largest = 0.0f;
        bool finite = true;
        for (int k = 0; k < K; k++) {
            const float m = fabsf(x[k]);
            finite = finite && m <= FLT_MAX; /* false for NaN too */
            largest = m > largest ? m : largest;
        }
        if (!finite || !(largest >= FLT_MIN)) {
            memset(qr, 0, ldq);
            scale[r] = finite ? 1.0f : NAN;
            continue;
        }
        memset(qr + K, 0, ldq - (size_t)K);
        const float inv = 127.0f / largest;
        scale[r] = largest / 127.0f;
        for (int k = 0; k < K; k++) {
            /* |x * inv| <= 127 (up to its rounding): adding and taking away 1.5 * 2^23 rounds
             * it to the nearest integer, ties to even, in float arithmetic (a vector loop,
             * where lrintf is a library call per value) */
            const float v = (x[k] * inv + 0x1.8p23f) - 0x1.8p23f;
            const int q = (int)v;
            qr[k] = (int8_t)(q > 127 ? 127 : q < -127 ? -127 : q);
        }
    }
}

static size_t int8_row_bytes(size_t K)
{
    return rnnrt_int8dot_k(K);
}

static void quantize(const rnnrt_kernels *k, int rows, int K, const float *a, size_t lda,
                     void *q, float *scale, rnnrt_gemm_input *in)
{
    if (k->quantize)
        k->quantize((size_t)rows, (size_t)K, a, lda, q, rnnrt_int8dot_k((size_t)K), scale);
    else
        rnnrt_quantize_rows(rows, K, a, lda, q, scale);
    *in = (rnnrt_gemm_input){.a = a, .lda = lda, .q = q, .scale = scale,
                             .ldq = rnnrt_int8dot_k((size_t)K)};
}

/* rnnrt_gemm_rows on int8dot panels: all of K in one call per row block. */
static void int8dot_rows(const rnnrt_gemm_ukernel *uk, int kc, int r0, int rows, int K,
                         const rnnrt_gemm_input *in, rnnrt_panel panel, const float *init,
                         size_t ld_init, float *c, size_t ldc)
{
    (void)kc, (void)K; /* K in the asserts only: in->ldq carries it */
    assert(uk && uk->dtype == RNNRT_WEIGHTS_INT8DOT && uk->fn_int8dot && panel.scale);
    assert(K >= 0 && in->ldq == rnnrt_int8dot_k((size_t)K) && in->ldq <= RNNRT_INT8DOT_MAX_K);
    assert(ldc >= (size_t)uk->nr && (!init || ld_init == 0 || ld_init >= (size_t)uk->nr));
    const int8_t *q = (const int8_t *)in->q + (size_t)r0 * in->ldq;
    const float *scale = in->scale + r0;
    const int blocks = rows > 0 ? (rows + uk->mr - 1) / uk->mr : 0;
    for (int i = 0; i < blocks; i++) {
        int r, n;
        rnnrt_row_block(rows, uk->mr, i, &r, &n);
        uk->fn_int8dot((size_t)n, in->ldq, q + (size_t)r * in->ldq, in->ldq, scale + r,
                       (const int8_t *)panel.w, panel.scale,
                       init ? init + (ld_init ? (size_t)r * ld_init : 0) : NULL, ld_init,
                       c + (size_t)r * ldc, ldc);
    }
}

/* rnnrt_gemm_pair on int8dot panels, each with its column sums: row 0 of the input. */
static void int8dot_pair(const rnnrt_gemm_pair_ukernel *uk, int K, const rnnrt_gemm_input *in,
                         rnnrt_panel panel, const float *init, float *c)
{
    (void)K;
    assert(uk && uk->dtype == RNNRT_WEIGHTS_INT8DOT && uk->fn_int8dot && panel.scale && K >= 1);
    assert(in->ldq == rnnrt_int8dot_k((size_t)K) && in->ldq <= RNNRT_INT8DOT_MAX_K);
    uk->fn_int8dot(in->ldq, in->q, in->scale[0], (const int8_t *)panel.w,
                   (in->ldq + RNNRT_INT8DOT_SUM_ROWS) * (size_t)uk->nr, panel.scale, init, c);
}

const rnnrt_provider rnnrt_provider_int8dot = {
    .dtype = RNNRT_WEIGHTS_INT8DOT, .row_bytes = int8_row_bytes, .prepare = quantize,
    .rows = int8dot_rows, .pair = int8dot_pair, .thread_end = rnnrt_provider_release_tiles};
