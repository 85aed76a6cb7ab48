#include "gemm.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "cpu_features.h"
#include "tuning.h"

/* One microkernel call on the panel's rows from k0 on, whatever its weight type. */
static void call_tile(const rnnrt_gemm_ukernel *uk, size_t mr, size_t kb, const float *a,
                      size_t lda, rnnrt_panel panel, size_t k0, const float *init,
                      size_t ld_init, float *c, size_t ldc)
{
    const size_t at = k0 * (size_t)uk->nr;
    switch (uk->dtype) {
    case RNNRT_WEIGHTS_F32:
        uk->fn(mr, kb, a, lda, (const float *)panel.w + at, init, ld_init, c, ldc);
        break;
    case RNNRT_WEIGHTS_BF16:
        uk->fn_bf16(mr, kb, a, lda, (const uint16_t *)panel.w + at, init, ld_init, c, ldc);
        break;
    case RNNRT_WEIGHTS_INT8:
        uk->fn_int8(mr, kb, a, lda, (const int8_t *)panel.w + at, panel.scale, init, ld_init, c,
                    ldc);
        break;
    case RNNRT_WEIGHTS_INT8DOT: /* float A: a caller bug (their providers prepare A) */
    case RNNRT_WEIGHTS_BF16DOT:
        assert(!"dot-product panels take prepared rows");
        break;
    }
}

/* A bf16 or int8 panel read by several row blocks is widened to float32 once, WIDEN_FLOATS
 * at a time, and multiplied by the set's f32 tile of the same shape (uk->fn): its bytes are
 * the reduced tile's (simd/kernels.h), without widening the panel again for every row
 * block. 64 KB: a block stays in L2 while the row blocks reuse it, as f32 panels do. */
#define WIDEN_FLOATS 16384
static _Thread_local float widened[WIDEN_FLOATS] __attribute__((aligned(64)));

/* The widening of simd/gemm_widen.h (rnnrt_widen_row), as one flat loop over the block:
 * calling that per row cost 8% more instructions on the bf16 icount case. */
static void widen_rows(const rnnrt_gemm_ukernel *uk, rnnrt_panel panel, size_t k0, size_t kw,
                       float *dst)
{
    const size_t nr = (size_t)uk->nr, at = k0 * nr, n = kw * nr;
    if (uk->dtype == RNNRT_WEIGHTS_BF16) {
        const uint16_t *b = (const uint16_t *)panel.w + at;
        for (size_t i = 0; i < n; i++) {
            uint32_t u = (uint32_t)b[i] << 16;
            memcpy(&dst[i], &u, sizeof u);
        }
        return;
    }
    const int8_t *q = (const int8_t *)panel.w + at;
    for (size_t k = 0; k < kw; k++)
        for (size_t j = 0; j < nr; j++) /* the int8 tiles' product, rounded to float */
            dst[k * nr + j] = (float)q[k * nr + j] * panel.scale[j];
}

static void gemm_rows_widened(const rnnrt_gemm_ukernel *uk, int kc, int rows, int K,
                              const float *a, size_t lda, rnnrt_panel panel, const float *init,
                              size_t ld_init, float *c, size_t ldc)
{
    const int blocks = (rows + uk->mr - 1) / uk->mr;
    const int kw_max = WIDEN_FLOATS / uk->nr;
    for (int k0 = 0; k0 < K; k0 += kc) {
        const int k1 = K - k0 < kc ? K : k0 + kc;
        for (int w0 = k0; w0 < k1; w0 += kw_max) {
            const size_t kw = (size_t)(k1 - w0 < kw_max ? k1 - w0 : kw_max);
            widen_rows(uk, panel, (size_t)w0, kw, widened);
            for (int i = 0; i < blocks; i++) {
                int r, n;
                rnnrt_row_block(rows, uk->mr, i, &r, &n);
                float *cr = c + (size_t)r * ldc;
                const float *ir = init ? init + (ld_init ? (size_t)r * ld_init : 0) : NULL;
                uk->fn((size_t)n, kw, a + (size_t)r * lda + w0, lda, widened, w0 ? cr : ir,
                       w0 ? ldc : ld_init, cr, ldc);
            }
        }
    }
}

void rnnrt_gemm_rows(const rnnrt_gemm_ukernel *uk, int kc, int rows, int K, const float *a,
                     size_t lda, rnnrt_panel panel, const float *init, size_t ld_init, float *c,
                     size_t ldc)
{
    /* what every tile below hands the microkernel (simd/kernels.h): rows of A, C and init
     * at least as long as what is read or written of them, kc >= 1 */
    assert(uk && rnnrt_ukernel_present(uk) && uk->mr >= 1 && uk->nr >= 1 && kc >= 1 &&
           rows >= 0 && K >= 0);
    assert(uk->dtype != RNNRT_WEIGHTS_INT8 || panel.scale);
    assert(lda >= (size_t)K && ldc >= (size_t)uk->nr);
    assert(!init || ld_init == 0 || ld_init >= (size_t)uk->nr);
    if (uk->dtype != RNNRT_WEIGHTS_F32 && uk->fn && rows > uk->mr &&
        uk->nr <= WIDEN_FLOATS / 8) {
        gemm_rows_widened(uk, kc, rows, K, a, lda, panel, init, ld_init, c, ldc);
        return;
    }
    for (int k0 = 0; k0 < K; k0 += kc) {
        size_t kb = (size_t)(K - k0 < kc ? K - k0 : kc);
        int blocks = rows > 0 ? (rows + uk->mr - 1) / uk->mr : 0;
        for (int i = 0; i < blocks; i++) {
            int r, n;
            rnnrt_row_block(rows, uk->mr, i, &r, &n);
            size_t mr = (size_t)n;
            assert(mr >= 1 && mr <= (size_t)uk->mr && r + n <= rows && kb >= 1);
            float *cr = c + (size_t)r * ldc;
            const float *ir = init ? init + (ld_init ? (size_t)r * ld_init : 0) : NULL;
            call_tile(uk, mr, kb, a + (size_t)r * lda + k0, lda, panel, (size_t)k0,
                      k0 ? cr : ir, k0 ? ldc : ld_init, cr, ldc);
        }
    }
}

void rnnrt_gemm_pair(const rnnrt_gemm_pair_ukernel *uk, int K, const float *a,
                     rnnrt_panel panel, const float *init, float *c)
{
    assert(uk && rnnrt_pair_present(uk) && K >= 1);
    assert(uk->dtype != RNNRT_WEIGHTS_INT8 || panel.scale);
    /* One call for all of K: a single row's chains do not depend on k-blocks, and its K
     * floats of A stay in L1 anyway. */
    const size_t kc = (size_t)K, next = (size_t)K * (size_t)uk->nr;
    switch (uk->dtype) {
    case RNNRT_WEIGHTS_F32:
        uk->fn(kc, a, (const float *)panel.w, next, init, c);
        break;
    case RNNRT_WEIGHTS_BF16:
        uk->fn_bf16(kc, a, (const uint16_t *)panel.w, next, init, c);
        break;
    case RNNRT_WEIGHTS_INT8:
        uk->fn_int8(kc, a, (const int8_t *)panel.w, next, panel.scale, init, c);
        break;
    case RNNRT_WEIGHTS_INT8DOT:
    case RNNRT_WEIGHTS_BF16DOT:
        assert(!"dot-product panels take prepared rows");
        break;
    }
}

void rnnrt_pack_columns(const float *w, int N, int K, int nr, int panels, float *dst)
{
    for (int q = 0; q < panels; q++)
        for (int k = 0; k < K; k++)
            for (int j = 0; j < nr; j++) {
                int n = q * nr + j;
                dst[((size_t)q * K + k) * nr + j] = n < N ? w[(size_t)n * K + k] : 0.0f;
            }
}

int rnnrt_gemm_kc(const rnnrt_gemm_ukernel *uk)
{
    if (rnnrt_tuning_gemm_kc() > 0)
        return rnnrt_tuning_gemm_kc();
    /* the microkernel's mr rows of A for one k-block take its share of L1 (kernels.inc);
     * a tile in column strips (kc_share < 0) reads each block of the panel once per strip,
     * so the block's kc rows of nr float32 weights (or their widened copy) take it instead */
    long share = uk->kc_share != 0 ? labs((long)uk->kc_share) : 2;
    long row_bytes = (long)(uk->kc_share < 0 ? uk->nr : uk->mr) * (long)sizeof(float);
    long kc = rnnrt_cpu()->l1d / share / row_bytes;
    kc = kc / 8 * 8;
    return (int)(kc < 64 ? 64 : kc > 4096 ? 4096 : kc);
}

rnnrt_gemm_b *rnnrt_gemm_b_alloc(const rnnrt_kernels *k, int N, int K)
{
    rnnrt_gemm_b *b = rnnrt_calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->uk = k->gemm_proj;
    b->N = N;
    b->K = K;
    b->kc = rnnrt_gemm_kc(&b->uk);
    b->panels = (N + b->uk.nr - 1) / b->uk.nr;
    size_t floats = (size_t)b->panels * K * b->uk.nr;
    b->packed = rnnrt_aligned_alloc(64, floats * sizeof(float));
    if (!b->packed) {
        rnnrt_free(b);
        return NULL;
    }
    memset(b->packed, 0, floats * sizeof(float));
    return b;
}

rnnrt_gemm_b *rnnrt_gemm_b_pack(const rnnrt_kernels *k, const float *w, int N, int K)
{
    rnnrt_gemm_b *b = rnnrt_gemm_b_alloc(k, N, K);
    if (b)
        rnnrt_pack_columns(w, N, K, b->uk.nr, b->panels, b->packed);
    return b;
}

int rnnrt_gemm_b_set_bias(rnnrt_gemm_b *b, const float *bias)
{
    size_t n = (size_t)b->panels * b->uk.nr;
    float *padded = rnnrt_calloc(n, sizeof *padded);
    if (!padded)
        return -1;
    memcpy(padded, bias, (size_t)b->N * sizeof *padded);
    rnnrt_free(b->bias);
    b->bias = padded;
    return 0;
}

void rnnrt_gemm_b_free(rnnrt_gemm_b *b)
{
    if (!b)
        return;
    rnnrt_free(b->bias);
    rnnrt_free(b->packed);
    rnnrt_free(b);
}

/* Panel q of C for M rows; a partial last panel goes through `tile` (tile_rows * nr floats)
 * so that C is never written past N. */
static void run_panel(const rnnrt_gemm_b *b, int q, size_t M, const float *a, size_t lda,
                      float *c, size_t ldc, float *tile, size_t tile_rows)
{
    const int nr = b->uk.nr;
    const float *panel = b->packed + (size_t)q * b->K * nr;
    const float *init = b->bias ? b->bias + (size_t)q * nr : NULL;
    int n0 = q * nr, n = b->N - n0 < nr ? b->N - n0 : nr;
    for (size_t m0 = 0; m0 < M; m0 += tile_rows) {
        int rows = (int)(M - m0 < tile_rows ? M - m0 : tile_rows);
        const float *am = a + m0 * lda;
        float *cm = c + m0 * ldc + n0;
        if (n == nr) {
            rnnrt_gemm_rows(&b->uk, b->kc, rows, b->K, am, lda, rnnrt_f32_panel(panel), init, 0, cm,
                            ldc);
            continue;
        }
        rnnrt_gemm_rows(&b->uk, b->kc, rows, b->K, am, lda, rnnrt_f32_panel(panel), init, 0, tile,
                        (size_t)nr);
        for (int m = 0; m < rows; m++)
            memcpy(cm + (size_t)m * ldc, tile + (size_t)m * nr, (size_t)n * sizeof(float));
    }
}

void rnnrt_gemm_b_run(const rnnrt_gemm_b *b, int M, const float *a, size_t lda, float *c,
                      size_t ldc, float *tile)
{
    assert(M >= 0 && lda >= (size_t)b->K && ldc >= (size_t)b->N);
    assert(tile || b->N % b->uk.nr == 0); /* the partial last panel goes through the tile */
    for (int q = 0; q < b->panels; q++)
        run_panel(b, q, (size_t)M, a, lda, c, ldc, tile, M > 0 ? (size_t)M : 1);
}

/* Rows per pass through the stack tile of a partial panel: 16 KB at nr = 64. */
#define TILE_ROWS 64

void rnnrt_gemm_b_run_threads(const rnnrt_gemm_b *b, int threads, size_t M, const float *a,
                              size_t lda, float *c, size_t ldc)
{
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int q = 0; q < b->panels; q++) {
        float tile[TILE_ROWS * 64];
        size_t rows = (size_t)(b->uk.nr <= 64 ? TILE_ROWS : sizeof tile / sizeof *tile / b->uk.nr);
        run_panel(b, q, M, a, lda, c, ldc, tile, rows);
    }
}
