#include "gemm.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "cpu_features.h"
#include "tuning.h"

void rnnrt_gemm_rows(const rnnrt_gemm_ukernel *uk, int kc, int rows, int K, const float *a,
                     size_t lda, const float *panel, const float *init, size_t ld_init, float *c,
                     size_t ldc)
{
    for (int k0 = 0; k0 < K; k0 += kc) {
        size_t kb = (size_t)(K - k0 < kc ? K - k0 : kc);
        int blocks = rows > 0 ? (rows + uk->mr - 1) / uk->mr : 0;
        for (int i = 0; i < blocks; i++) {
            int r, n;
            rnnrt_row_block(rows, uk->mr, i, &r, &n);
            size_t mr = (size_t)n;
            float *cr = c + (size_t)r * ldc;
            const float *ir = init ? init + (ld_init ? (size_t)r * ld_init : 0) : NULL;
            uk->fn(mr, kb, a + (size_t)r * lda + k0, lda, panel + (size_t)k0 * uk->nr,
                   k0 ? cr : ir, k0 ? ldc : ld_init, cr, ldc);
        }
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

int rnnrt_gemm_kc(int mr)
{
    if (rnnrt_tuning_gemm_kc() > 0)
        return rnnrt_tuning_gemm_kc();
    /* the microkernel's mr rows of A for one k-block should sit in half of L1 */
    long kc = rnnrt_cpu()->l1d / 2 / ((long)mr * (long)sizeof(float));
    kc = kc / 8 * 8;
    return (int)(kc < 64 ? 64 : kc > 4096 ? 4096 : kc);
}

rnnrt_gemm_b *rnnrt_gemm_b_pack(const rnnrt_kernels *k, const float *w, int N, int K)
{
    rnnrt_gemm_b *b = rnnrt_calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->uk = k->gemm4;
    b->N = N;
    b->K = K;
    b->kc = rnnrt_gemm_kc(b->uk.mr);
    b->panels = (N + b->uk.nr - 1) / b->uk.nr;
    b->packed = rnnrt_aligned_alloc(64, (size_t)b->panels * K * b->uk.nr * sizeof(float));
    if (!b->packed) {
        rnnrt_free(b);
        return NULL;
    }
    rnnrt_pack_columns(w, N, K, b->uk.nr, b->panels, b->packed);
    return b;
}

void rnnrt_gemm_b_free(rnnrt_gemm_b *b)
{
    if (!b)
        return;
    rnnrt_free(b->packed);
    rnnrt_free(b);
}

void rnnrt_gemm_b_run(const rnnrt_gemm_b *b, int M, const float *a, size_t lda, float *c,
                      size_t ldc, float *tile)
{
    const int nr = b->uk.nr;
    for (int q = 0; q < b->panels; q++) {
        const float *panel = b->packed + (size_t)q * b->K * nr;
        int n0 = q * nr, n = b->N - n0 < nr ? b->N - n0 : nr;
        if (n == nr) {
            rnnrt_gemm_rows(&b->uk, b->kc, M, b->K, a, lda, panel, NULL, 0, c + n0, ldc);
            continue;
        }
        /* the last panel is partial: through the tile, so C is never written past N */
        rnnrt_gemm_rows(&b->uk, b->kc, M, b->K, a, lda, panel, NULL, 0, tile, (size_t)nr);
        for (int m = 0; m < M; m++)
            memcpy(c + (size_t)m * ldc + n0, tile + (size_t)m * nr, (size_t)n * sizeof(float));
    }
}
