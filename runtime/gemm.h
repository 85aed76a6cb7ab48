/* Blocked GEMM on top of a kernel set's microkernel: the loop nest around the tiles, plain
 * column panels, and a stand-alone C = A * W^T on weights packed once (for benchmarks and
 * any caller that multiplies by the same weights many times). */
#ifndef RNNRT_GEMM_H
#define RNNRT_GEMM_H

#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

/* A packed panel of any weight type (uk.dtype says which): its first weight, and for int8
 * its columns' scales (NULL otherwise). */
typedef struct rnnrt_panel {
    const void *w;
    const float *scale;
} rnnrt_panel;

/* Bytes per packed weight of type t. */
static inline size_t rnnrt_weight_size(rnnrt_weight_type t)
{
    return t == RNNRT_WEIGHTS_BF16 || t == RNNRT_WEIGHTS_BF16DOT ? 2
           : rnnrt_weight_is_int8(t)                            ? 1
                                                                : 4;
}

/* An f32 panel. */
static inline rnnrt_panel rnnrt_f32_panel(const float *w)
{
    return (rnnrt_panel){.w = w, .scale = NULL};
}

/* One row a (K floats) by two adjacent panels, `panel` and the next one (K rows of nr
 * weights each, int8 scales of both contiguous), through a pair tile: c[2 nr] = init (or
 * zeros) + a times both panels. The bytes of rnnrt_gemm_rows at one row on each panel. */
void rnnrt_gemm_pair(const rnnrt_gemm_pair_ukernel *uk, int K, const float *a,
                     rnnrt_panel panel, const float *init, float *c);

/* rows x nr of C = init + A * panel, with k in blocks of kc and rows in blocks of the
 * microkernel's mr. k-blocks are the outer loop, so one block of the panel is reused from
 * L1/L2 by every row block. init as in the microkernel contract (NULL, a broadcast row when
 * ld_init is 0, or rows); it may equal c. The result does not depend on kc's value being
 * a multiple of anything, nor on how rows are grouped. */
void rnnrt_gemm_rows(const rnnrt_gemm_ukernel *uk, int kc, int rows, int K, const float *a,
                     size_t lda, rnnrt_panel panel, const float *init, size_t ld_init, float *c,
                     size_t ldc);

/* K rounded up to the 4 k of an int8 dot-product group: the row stride of quantized rows
 * (rnnrt_quantize_rows, runtime/provider.h). The panels hold their column sums besides. */
static inline size_t rnnrt_int8dot_k(size_t K)
{
    return rnnrt_kgroup_rows(rnnrt_weight_kgroup(RNNRT_WEIGHTS_INT8DOT), K);
}

/* Row block `index` of `rows` rows split into blocks of at most mr rows, as evenly as
 * possible (32 rows with mr 6: 6 6 5 5 5 5, not 6 6 6 6 6 2: a 2-row tile reads as much of
 * the panel as a 6-row one for a third of the work). Returns the number of blocks. */
static inline int rnnrt_row_block(int rows, int mr, int index, int *r0, int *n)
{
    int blocks = (rows + mr - 1) / mr, base = rows / blocks, extra = rows % blocks;
    *r0 = index * base + (index < extra ? index : extra);
    *n = base + (index < extra);
    return blocks;
}

/* Panels of nr columns of W [N][K] (PyTorch's layout: row n is output n), k-major:
 * column j of panel q is output q*nr + j; outputs past N are zeros. */
void rnnrt_pack_columns(const float *w, int N, int K, int nr, int panels, float *dst);

/* C [M][N] = bias + A [M][K] * W^T on weights packed once. */
typedef struct rnnrt_gemm_b {
    rnnrt_gemm_ukernel uk;
    int N, K, kc, panels;
    float *packed; /* [panels][K][nr], 64-byte aligned */
    float *bias;   /* [panels * nr], zero-padded; NULL: no bias */
} rnnrt_gemm_b;

/* NULL when out of memory. _alloc leaves the panels zero for the caller to fill. */
rnnrt_gemm_b *rnnrt_gemm_b_pack(const rnnrt_kernels *k, const float *w, int N, int K);
rnnrt_gemm_b *rnnrt_gemm_b_alloc(const rnnrt_kernels *k, int N, int K);
/* Adds bias [N] to every row of C; -1 when out of memory. */
int rnnrt_gemm_b_set_bias(rnnrt_gemm_b *b, const float *bias);
void rnnrt_gemm_b_free(rnnrt_gemm_b *b);
/* `tile` is caller scratch of at least M * uk.nr floats, for the last, partial panel. */
void rnnrt_gemm_b_run(const rnnrt_gemm_b *b, int M, const float *a, size_t lda, float *c,
                      size_t ldc, float *tile);
/* The same on `threads` OpenMP threads, each owning whole panels (so the bytes do not
 * depend on the thread count), with no caller scratch and any M. */
void rnnrt_gemm_b_run_threads(const rnnrt_gemm_b *b, int threads, size_t M, const float *a,
                              size_t lda, float *c, size_t ldc);

/* The k-block for microkernel uk, by its rule in kernels.inc from the L1 size
 * (RNNRT_GEMM_KC overrides). */
int rnnrt_gemm_kc(const rnnrt_gemm_ukernel *uk);

#endif
