/* One provider per data type: everything the forward pass does differently for a type of
 * panels, behind the same four calls, so that forward_blocked.c makes the same calls for
 * every type. A provider owns
 *  - how a GEMM's input rows are prepared once per layer, step and thread: as they are
 *    (f32 and weight-only bf16 and int8), rounded to int8 per row (int8 activations) or to
 *    bf16 (bf16 activations);
 *  - how rows of that input meet one panel, through the kernel set's tiles for the type
 *    (rnnrt_kernels_gemms) and the blocking registered with them;
 *  - what a thread releases after its last tile of a pass: the dot-product types give back
 *    the matrix engine's tiles (AMX), which configure themselves on a thread's first tile
 *    call (simd/avx512/gemm_amx.h), so each thread configures them once per pass.
 * The packed layout of each type (element size, k groups, trailer) is simd/kernels.h's,
 * packed by runtime/pack.c. */
#ifndef RNNRT_PROVIDER_H
#define RNNRT_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#include "gemm.h"
#include "kernels.h"

/* A GEMM's input: its rows as floats, and the same rows as the provider prepared them
 * (NULL q when its tiles take the floats). */
typedef struct rnnrt_gemm_input {
    const float *a;
    size_t lda;
    const void *q;      /* [rows][ldq] of the provider's element type */
    const float *scale; /* int8: each row's scale */
    size_t ldq;         /* elements per prepared row: K rounded up to the type's k group */
} rnnrt_gemm_input;

typedef struct rnnrt_provider {
    rnnrt_weight_type dtype;
    /* Bytes one prepared row of K inputs takes, 0 when the tiles take floats; the scratch
     * rnnrt_provider_prepare needs is rows times that, plus `rows` floats of scales. */
    size_t (*row_bytes)(size_t K);
    /* Fills `in` for rows of K floats at a (stride lda), preparing them into q and scale
     * with set k's vectorized kernel where it has one. */
    void (*prepare)(const rnnrt_kernels *k, int rows, int K, const float *a, size_t lda,
                    void *q, float *scale, rnnrt_gemm_input *in);
    /* rows x nr of C = init + rows [r0, r0 + rows) of the input times one panel (the contract
     * of rnnrt_gemm_rows; kc is the k-block where the type has k-blocks). */
    void (*rows)(const rnnrt_gemm_ukernel *uk, int kc, int r0, int rows, int K,
                 const rnnrt_gemm_input *in, rnnrt_panel panel, const float *init,
                 size_t ld_init, float *c, size_t ldc);
    /* Row 0 of the input times two adjacent panels (rnnrt_gemm_pair). */
    void (*pair)(const rnnrt_gemm_pair_ukernel *uk, int K, const rnnrt_gemm_input *in,
                 rnnrt_panel panel, const float *init, float *c);
    /* At the end of a thread's pass with set k (NULL: nothing to do). */
    void (*thread_end)(const rnnrt_kernels *k);
} rnnrt_provider;

/* The dot-product providers' thread_end: the set's tile_release, where it has one. */
void rnnrt_provider_release_tiles(const rnnrt_kernels *k);

/* The provider of panels of type t. */
const rnnrt_provider *rnnrt_provider_of(rnnrt_weight_type t);

extern const rnnrt_provider rnnrt_provider_f32, rnnrt_provider_bf16, rnnrt_provider_int8,
    rnnrt_provider_int8dot, rnnrt_provider_bf16dot;

/* int8 activations (runtime/provider_int8dot.c). Rounds each of `rows` rows of K floats
 * (stride lda) to int8 with one scale per row, the row's largest magnitude becoming 127
 * ("activations": "int8", docs/reduced-precision.md):
 *   scale = largest / 127, q[k] = round-to-nearest-even(a[k] * (127 / largest)), |q| <= 127;
 * a row whose largest magnitude is zero or below FLT_MIN rounds to zeros with scale 1, one
 * holding a NaN or an infinity to zeros with scale NaN (so its products are NaN, as in
 * float arithmetic). q has stride rnnrt_int8dot_k(K), zero-padded. */
void rnnrt_quantize_rows(int rows, int K, const float *a, size_t lda, int8_t *q, float *scale);

/* bf16 activations (runtime/provider_bf16dot.c). Rounds each float of `rows` rows of K to
 * bf16, to nearest with ties to even, subnormal results and inputs to zero of their sign
 * (VDPBF16PS reads subnormals as zero), NaN staying NaN; q has stride K rounded up to 2,
 * zero-padded. */
void rnnrt_round_rows_bf16(int rows, int K, const float *a, size_t lda, uint16_t *q);

/* The bf16 value rnnrt_round_rows_bf16 gives x, and that a bf16 dot-product panel stores
 * for a weight. */
uint16_t rnnrt_bf16_dot_value(float x);

#endif
