/* Kernel families of rnnrt: one signature per family, shared by every ISA.
 *
 * Names follow rnnrt_f32_<family>[_<tile>]__<isa>, in simd/<isa>/<name>.c; the list of every
 * kernel, with its tile and required CPU features, is simd/kernels.inc.
 * Contract common to all families:
 *  - n is a count of elements (any value >= 0, no multiple required);
 *  - pointers need only float alignment; kernels never read or write past n elements of a
 *    row (gate kernels: nor anything between the rows and gates of a tile);
 *  - outputs may alias the inputs they replace element by element (y == x is allowed for
 *    vector math; c may alias c_prev and h may alias h_prev in the gate kernels);
 *  - kernels do not fail and do not allocate; they assert their contract in debug builds.
 */
#ifndef RNNRT_SIMD_KERNELS_H
#define RNNRT_SIMD_KERNELS_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The data type of packed weight panels (the "weights" option of rnnrt_options_set):
 * float32; bfloat16 (the top 16 bits of a float32); int8 with one float32 scale per output
 * column, a column of the panel holding q * scale. Activations, state, biases and sums stay
 * float32 in every type but int8dot, whose GEMM inputs are rounded to int8 per row and whose
 * products are summed in int32 (rnnrt_int8dot_gemm_t). */
typedef enum rnnrt_weight_type {
    RNNRT_WEIGHTS_F32 = 0,
    RNNRT_WEIGHTS_BF16 = 1,
    RNNRT_WEIGHTS_INT8 = 2,
    /* int8 weights for int8 activations ("activations": "int8"): the same values and scales
     * as RNNRT_WEIGHTS_INT8, packed four k per 32-bit word for integer dot products */
    RNNRT_WEIGHTS_INT8DOT = 3,
    /* bf16 weights for bf16 activations ("activations": "bf16"): the bf16 model's values,
     * packed two k per 32-bit word for bf16 dot products (VDPBF16PS, AMX-BF16) */
    RNNRT_WEIGHTS_BF16DOT = 4,
} rnnrt_weight_type;
#define RNNRT_WEIGHT_TYPES 5

/* k values per 32-bit group of a panel column: 4 for int8 dot-product panels, 2 for bf16
 * dot-product panels, else 1. */
static inline int rnnrt_weight_kgroup(rnnrt_weight_type t)
{
    return t == RNNRT_WEIGHTS_INT8DOT ? 4 : t == RNNRT_WEIGHTS_BF16DOT ? 2 : 1;
}

/* Rows of k a panel holds for K: K rounded up to whole groups of kgroup (0 counts as 1). */
static inline size_t rnnrt_kgroup_rows(int kgroup, size_t K)
{
    const size_t g = kgroup > 1 ? (size_t)kgroup : 1;
    return (K + g - 1) / g * g;
}

/* int8 dot-product panels (kgroup 4) end with one more group of rows: NR int32, each
 * column's sum of weights over k (rnnrt_int8dot_column_sums). Tiles whose instructions take
 * one operand unsigned (VNNI's vpdpbusd) add 128 to the activations and take 128 times this
 * sum away; the others ignore it. */
#define RNNRT_INT8DOT_SUM_ROWS 4

/* Rows a panel stores for K: K rounded up to whole groups of kgroup, plus the column sums of
 * int8 dot-product panels. */
static inline size_t rnnrt_panel_k_rows(int kgroup, size_t K)
{
    return rnnrt_kgroup_rows(kgroup, K) + (kgroup == 4 ? RNNRT_INT8DOT_SUM_ROWS : 0);
}

/* Writes the column sums after the kc rows (kc / 4 groups of NR columns of four k) of an
 * int8 dot-product panel b: NR int32 at b + kc * NR. */
static inline void rnnrt_int8dot_column_sums(size_t NR, size_t kc, int8_t *b)
{
    for (size_t j = 0; j < NR; j++) {
        int32_t sum = 0;
        for (size_t k = 0; k < kc; k++)
            sum += b[(k / 4) * 4 * NR + 4 * j + k % 4];
        memcpy(b + kc * NR + 4 * j, &sum, sizeof sum);
    }
}

/* Whether panels of type t hold int8 values with column scales (int8 and int8dot). */
static inline int rnnrt_weight_is_int8(rnnrt_weight_type t)
{
    return t == RNNRT_WEIGHTS_INT8 || t == RNNRT_WEIGHTS_INT8DOT;
}

/* Vector math: y[j] = f(x[j]) for j < n. */
typedef void rnnrt_f32_vunary_t(size_t n, const float *x, float *y);

/* The activation functions of ONNX's LSTM, GRU and RNN operators, by their names there
 * (the metadata key rnnrt.activation_functions, docs/model-format.md), with the parameters
 * of those that take them (the others ignore alpha and beta). */
typedef enum rnnrt_act_fn {
    RNNRT_ACT_SIGMOID = 0,
    RNNRT_ACT_TANH = 1,
    RNNRT_ACT_RELU = 2,
    RNNRT_ACT_AFFINE = 3,           /* alpha, beta */
    RNNRT_ACT_LEAKY_RELU = 4,       /* alpha */
    RNNRT_ACT_THRESHOLDED_RELU = 5, /* alpha */
    RNNRT_ACT_SCALED_TANH = 6,      /* alpha, beta */
    RNNRT_ACT_HARD_SIGMOID = 7,     /* alpha, beta */
    RNNRT_ACT_ELU = 8,              /* alpha */
    RNNRT_ACT_SOFTSIGN = 9,
    RNNRT_ACT_SOFTPLUS = 10,
} rnnrt_act_fn;
#define RNNRT_ACT_FUNCTIONS 11

typedef struct rnnrt_activation {
    rnnrt_act_fn fn;
    float alpha, beta;
} rnnrt_activation;

/* y[j] = a(x[j]) for j < n, the function of a:
 *   Sigmoid 1 / (1 + e^-x)        Tanh tanh(x)                    Relu max(x, 0)
 *   Affine alpha x + beta         LeakyRelu x >= 0 ? x : alpha x   ThresholdedRelu x > alpha ? x : 0
 *   ScaledTanh alpha tanh(beta x) HardSigmoid min(max(alpha x + beta, 0), 1)
 *   Elu x >= 0 ? x : alpha (e^x - 1)   Softsign x / (1 + |x|)   Softplus log(1 + e^x)
 * as functions of the reals: Softsign(+-inf) is +-1 and Softplus does not overflow before
 * its result does. Sigmoid, tanh and e^x are the set's vector math (within 4 ulp). A NaN x
 * gives NaN (and may raise FE_INVALID); y may be x. */
typedef void rnnrt_f32_vact_t(size_t n, const float *x, float *y, const rnnrt_activation *a);

/* Gate kernels work on a tile of `rows` rows of n units, the layout the GEMM leaves them
 * in: gate q (PyTorch's order) of unit j in row r is at t[r*ldt + q*gs + j] (gs: the gate
 * stride, >= n; ldt: the row stride, 0 allowed when rows is 1). Per-row state has its own
 * row stride; per-unit weights (peepholes, b_hn) are shared by all rows. State written in
 * place (c == c_prev, h == h_prev) uses one stride for both, as the signatures say. */
static inline int rnnrt_gate_tile_ok(size_t rows, size_t n, const void *t, size_t ldt, size_t gs,
                                     int gates, size_t ld_state, size_t ldh)
{
    if (rows == 0 || n == 0)
        return 1;
    return t && (gates == 1 || gs >= n) &&
           (rows == 1 || (ldt >= (size_t)(gates - 1) * gs + n && ld_state >= n && ldh >= n));
}

/* LSTM cell update from gate pre-activations with both products and both biases summed
 * (gates i, f, g, o at t, t + gs, t + 2 gs, t + 3 gs of each row):
 *   c[j] = sigmoid(f[j]) * c_prev[j] + sigmoid(i[j]) * tanh(g[j])
 *   h[j] = sigmoid(o[j]) * tanh(c[j])                                                      */
typedef void rnnrt_f32_lstm_gates_t(size_t rows, size_t n, const float *t, size_t ldt, size_t gs,
                                    const float *c_prev, float *c, size_t ldc, float *h,
                                    size_t ldh);

/* Peephole LSTM (Gers & Schmidhuber): p_i, p_f see c_prev, p_o sees the new c (p_* per unit,
 * the same for every row):
 *   c[j] = sigmoid(f[j] + p_f[j]*c_prev[j]) * c_prev[j]
 *        + sigmoid(i[j] + p_i[j]*c_prev[j]) * tanh(g[j])
 *   h[j] = sigmoid(o[j] + p_o[j]*c[j]) * tanh(c[j])                                        */
typedef void rnnrt_f32_lstm_peephole_gates_t(size_t rows, size_t n, const float *t, size_t ldt,
                                             size_t gs, const float *p_i, const float *p_f,
                                             const float *p_o, const float *c_prev, float *c,
                                             size_t ldc, float *h, size_t ldh);

/* Coupled input-forget gate LSTM, i = 1 - f (gates f, g, o at t, t + gs, t + 2 gs):
 *   c[j] = sigmoid(f[j]) * c_prev[j] + (1 - sigmoid(f[j])) * tanh(g[j])
 *   h[j] = sigmoid(o[j]) * tanh(c[j])                                                      */
typedef void rnnrt_f32_lstm_coupled_gates_t(size_t rows, size_t n, const float *t, size_t ldt,
                                            size_t gs, const float *c_prev, float *c,
                                            size_t ldc, float *h, size_t ldh);

/* GRU as PyTorch computes it, from two tiles of gates r, z, n: ht (ldht) holding the
 * recurrent products W_h* h (with b_hr, b_hz when they are not in xt) and xt (ldxt) holding
 * the input products W_i* x with their biases; b_hn (per unit; NULL when ht already holds it)
 * joins W_hn h, which the reset gate scales:
 *   r = sigmoid(ht_r + xt_r),  z = sigmoid(ht_z + xt_z)
 *   n = tanh(xt_n + r * (ht_n + b_hn))
 *   h[j] = (1 - z) * n + z * h_prev[j]                                                      */
typedef void rnnrt_f32_gru_gates_t(size_t rows, size_t n, const float *ht, size_t ldht,
                                   size_t gs, const float *xt, size_t ldxt, const float *b_hn,
                                   const float *h_prev, float *h, size_t ldh);

/* GRU with the reset gate applied before the product (gru_reset_before: Keras reset_after=
 * False, ONNX linear_before_reset=0), n = tanh(W_in x + b_in + W_hn (r * h) + b_hn). W_hn (r * h)
 * needs r of every unit first, so a step is two GEMMs with a kernel after each:
 * gru_rb_rz_gates, from a tile of the r and z pre-activations with both products and all
 * their biases summed (r at t, z at t + gs of each row):
 *   z[j] = sigmoid(t_z[j]),  rh[j] = sigmoid(t_r[j]) * h_prev[j]
 * gru_rb_h_gates, from a tile of the candidate's pre-activations W_in x + b_in + W_hn (r*h) +
 * b_hn (one block, t[r*ldt + j]) and the z of the first kernel:
 *   h[j] = (1 - z[j]) * tanh(t[j]) + z[j] * h_prev[j]
 * The per-row arrays of each kernel share one row stride; rh may alias h_prev, and h may
 * alias h_prev or z. */
typedef void rnnrt_f32_gru_rb_rz_gates_t(size_t rows, size_t n, const float *t, size_t ldt,
                                         size_t gs, const float *h_prev, float *rh, float *z,
                                         size_t ld);
typedef void rnnrt_f32_gru_rb_h_gates_t(size_t rows, size_t n, const float *t, size_t ldt,
                                        const float *z, const float *h_prev, float *h,
                                        size_t ldh);

/* Vanilla RNN (PyTorch's nn.RNN) from its one gate block of pre-activations, both products
 * and both biases summed (t[r*ldt + j]); no cell state:
 *   rnn_tanh_gates: h[j] = tanh(t[j])
 *   rnn_relu_gates: h[j] = max(t[j], 0), NaN staying NaN                                   */
typedef void rnnrt_f32_rnn_tanh_gates_t(size_t rows, size_t n, const float *t, size_t ldt,
                                        float *h, size_t ldh);
typedef void rnnrt_f32_rnn_relu_gates_t(size_t rows, size_t n, const float *t, size_t ldt,
                                        float *h, size_t ldh);

/* The row loops every ISA's gate kernel shares: each ISA writes the update of one row (its
 * *_row_t function, vectorized along the units) and passes it here. */
typedef void rnnrt_f32_lstm_row_t(size_t n, const float *i, const float *f, const float *g,
                                  const float *o, const float *c_prev, float *c, float *h);
typedef void rnnrt_f32_lstm_peephole_row_t(size_t n, const float *i, const float *f,
                                           const float *g, const float *o, const float *p_i,
                                           const float *p_f, const float *p_o,
                                           const float *c_prev, float *c, float *h);
typedef void rnnrt_f32_lstm_coupled_row_t(size_t n, const float *f, const float *g,
                                          const float *o, const float *c_prev, float *c,
                                          float *h);
typedef void rnnrt_f32_gru_row_t(size_t n, const float *ht, const float *xt, size_t gs,
                                 const float *b_hn, const float *h_prev, float *h);

typedef void rnnrt_f32_rnn_row_t(size_t n, const float *t, float *h);
typedef void rnnrt_f32_gru_rb_rz_row_t(size_t n, const float *r, const float *z_pre,
                                       const float *h_prev, float *rh, float *z);
typedef void rnnrt_f32_gru_rb_h_row_t(size_t n, const float *t, const float *z,
                                      const float *h_prev, float *h);

static inline void rnnrt_f32_rnn_rows(rnnrt_f32_rnn_row_t *row, size_t rows, size_t n,
                                      const float *t, size_t ldt, float *h, size_t ldh)
{
    assert(rnnrt_gate_tile_ok(rows, n, t, ldt, n, 1, ldh, ldh));
    for (size_t r = 0; r < rows; r++)
        row(n, t + r * ldt, h + r * ldh);
}

static inline void rnnrt_f32_lstm_rows(rnnrt_f32_lstm_row_t *row, size_t rows, size_t n,
                                       const float *t, size_t ldt, size_t gs,
                                       const float *c_prev, float *c, size_t ldc, float *h,
                                       size_t ldh)
{
    assert(rnnrt_gate_tile_ok(rows, n, t, ldt, gs, 4, ldc, ldh));
    for (size_t r = 0; r < rows; r++) {
        const float *tr = t + r * ldt;
        row(n, tr, tr + gs, tr + 2 * gs, tr + 3 * gs, c_prev + r * ldc, c + r * ldc,
            h + r * ldh);
    }
}

static inline void rnnrt_f32_lstm_peephole_rows(rnnrt_f32_lstm_peephole_row_t *row,
                                                size_t rows, size_t n, const float *t,
                                                size_t ldt, size_t gs, const float *p_i,
                                                const float *p_f, const float *p_o,
                                                const float *c_prev, float *c, size_t ldc,
                                                float *h, size_t ldh)
{
    assert(rnnrt_gate_tile_ok(rows, n, t, ldt, gs, 4, ldc, ldh));
    assert(n == 0 || (p_i && p_f && p_o));
    for (size_t r = 0; r < rows; r++) {
        const float *tr = t + r * ldt;
        row(n, tr, tr + gs, tr + 2 * gs, tr + 3 * gs, p_i, p_f, p_o, c_prev + r * ldc,
            c + r * ldc, h + r * ldh);
    }
}

static inline void rnnrt_f32_lstm_coupled_rows(rnnrt_f32_lstm_coupled_row_t *row, size_t rows,
                                               size_t n, const float *t, size_t ldt, size_t gs,
                                               const float *c_prev, float *c, size_t ldc,
                                               float *h, size_t ldh)
{
    assert(rnnrt_gate_tile_ok(rows, n, t, ldt, gs, 3, ldc, ldh));
    for (size_t r = 0; r < rows; r++) {
        const float *tr = t + r * ldt;
        row(n, tr, tr + gs, tr + 2 * gs, c_prev + r * ldc, c + r * ldc, h + r * ldh);
    }
}

static inline void rnnrt_f32_gru_rows(rnnrt_f32_gru_row_t *row, size_t rows, size_t n,
                                      const float *ht, size_t ldht, size_t gs, const float *xt,
                                      size_t ldxt, const float *b_hn, const float *h_prev,
                                      float *h, size_t ldh)
{
    assert(rnnrt_gate_tile_ok(rows, n, ht, ldht, gs, 3, ldh, ldh));
    assert(rnnrt_gate_tile_ok(rows, n, xt, ldxt, gs, 3, ldh, ldh));
    for (size_t r = 0; r < rows; r++)
        row(n, ht + r * ldht, xt + r * ldxt, gs, b_hn, h_prev + r * ldh, h + r * ldh);
}

static inline void rnnrt_f32_gru_rb_rz_rows(rnnrt_f32_gru_rb_rz_row_t *row, size_t rows,
                                            size_t n, const float *t, size_t ldt, size_t gs,
                                            const float *h_prev, float *rh, float *z, size_t ld)
{
    assert(rnnrt_gate_tile_ok(rows, n, t, ldt, gs, 2, ld, ld));
    for (size_t r = 0; r < rows; r++) {
        const float *tr = t + r * ldt;
        row(n, tr, tr + gs, h_prev + r * ld, rh + r * ld, z + r * ld);
    }
}

static inline void rnnrt_f32_gru_rb_h_rows(rnnrt_f32_gru_rb_h_row_t *row, size_t rows, size_t n,
                                           const float *t, size_t ldt, const float *z,
                                           const float *h_prev, float *h, size_t ldh)
{
    assert(rnnrt_gate_tile_ok(rows, n, t, ldt, n, 1, ldh, ldh));
    for (size_t r = 0; r < rows; r++)
        row(n, t + r * ldt, z + r * ldh, h_prev + r * ldh, h + r * ldh);
}

/* GEMM microkernel (BLIS contract) for one tile of 1 <= mr <= MR rows and NR columns:
 *   c[m*ldc + j] = init_m[j] + sum_{k<kc} a[m*lda + k] * b[k*NR + j]   (m < mr, j < NR)
 * where init_m = init + m*ld_init (ld_init = 0 broadcasts one row, e.g. a bias) or zeros
 * when init is NULL; init may equal c (accumulate over blocks of k). b is a packed panel:
 * kc rows of NR contiguous floats, 64-byte aligned. a, c and init need only float
 * alignment. Rows m >= mr of c are never touched. mr outside [1, MR] is a contract
 * violation (asserted in debug builds). */
typedef void rnnrt_f32_gemm_t(size_t mr, size_t kc, const float *a, size_t lda, const float *b,
                              const float *init, size_t ld_init, float *c, size_t ldc);

/* The same on reduced-precision panels, computed as rnnrt_f32_gemm_t on the float32 value of
 * each weight, so that a bf16 or int8 model is an f32 model whose weights were rounded:
 *  - bf16: b holds kc rows of NR bfloat16, 64-byte aligned; weight = the bits shifted up 16.
 *  - int8: b holds kc rows of NR int8, 64-byte aligned, and scale[NR] (float alignment) the
 *    columns' scales; weight (k, j) = (float)b[k*NR + j] * scale[j], rounded to float32.
 * Each output is the same k-ordered chain of multiply-adds as the set's f32 tile of this
 * shape, whatever mr and however k is split into blocks. */
typedef void rnnrt_bf16_gemm_t(size_t mr, size_t kc, const float *a, size_t lda,
                               const uint16_t *b, const float *init, size_t ld_init, float *c,
                               size_t ldc);
typedef void rnnrt_int8_gemm_t(size_t mr, size_t kc, const float *a, size_t lda,
                               const int8_t *b, const float *scale, const float *init,
                               size_t ld_init, float *c, size_t ldc);

/* One row over a pair of adjacent panels, for a batch of one: the gemm tile of the same nr
 * at mr = 1 on two panels at once, so that twice the accumulators (independent multiply-add
 * chains) hide the FMA latency that a one-row tile waits on. b and b + next are panels of
 * kc rows of NR weights (next: elements from the first panel's row 0 to the second's), and
 *   c[j]      = init[j]      + sum_{k<kc} a[k] * b[k*NR + j]
 *   c[NR + j] = init[NR + j] + sum_{k<kc} a[k] * b[next + k*NR + j]   (j < NR)
 * init (2 NR floats) may be NULL (zeros) or equal c; int8 has scale[2 NR], the two panels'
 * column scales. Each output is the same k-ordered chain as the set's gemm tiles of nr NR
 * (at any mr), so a batch of one gives the bytes of any other batch's row. */
/* bf16 dot products on bf16 activations and bf16 weights ("activations": "bf16"), as
 * VDPBF16PS computes them (Intel SDM): per output, one chain over the pairs of k in order,
 * the odd k of a pair first,
 *   acc = init_m[j] (NULL: +0)
 *   acc = fma(a[2p + 1], w(2p + 1, j), acc), then acc = fma(a[2p], w(2p, j), acc)
 * each rounded to nearest even, with subnormal inputs read as zero and subnormal results
 * flushed to zero. (A product of two bf16 is exact in float32, so the fused multiply-add is
 * the instruction's add.) Portable bodies get the flushing from the floating-point mode the
 * forward pass runs in (flush-to-zero and denormals-are-zero, forward_blocked.c), in which
 * they give the instruction's bytes; callers outside the pass set it themselves. a holds
 * rows of bf16 (rnnrt_round_rows_bf16), zero from K up to kc; b holds kc / 2 groups of NR
 * columns of two k (w(k, j) = b[(k / 2) * 2 NR + 2 j + k % 2]), 64-byte aligned; kc even.
 * The call covers all of K (no k-blocks): the chain's order does not depend on mr, so a row
 * gives the same bytes in any batch. */
typedef void rnnrt_bf16dot_gemm_t(size_t mr, size_t kc, const uint16_t *a, size_t lda,
                                  const uint16_t *b, const float *init, size_t ld_init, float *c,
                                  size_t ldc);
/* The same for one row over two adjacent panels (`next` elements apart), as
 * rnnrt_f32_gemm_pair_t. */
typedef void rnnrt_bf16dot_gemm_pair_t(size_t kc, const uint16_t *a, const uint16_t *b,
                                       size_t next, const float *init, float *c);

/* Integer dot products on int8 activations and int8 weights ("activations": "int8"):
 *   c[m*ldc + j] = fma((float)(sum_{k<kc} a[m*lda + k] * w(k, j)), a_scale[m] * scale[j],
 *                      init_m[j])
 * with init_m as in rnnrt_f32_gemm_t (NULL: +0). a holds rows of int8 in [-127, 127] with
 * one float32 scale each (rnnrt_quantize_rows), zero from K up to kc; b holds kc / 4 groups
 * of NR columns of four k (w(k, j) = b[(k / 4) * 4 NR + 4 j + k % 4]), 64-byte aligned,
 * followed by the NR column sums (RNNRT_INT8DOT_SUM_ROWS), kc a multiple of 4 and at most
 * RNNRT_INT8DOT_MAX_K, so that the sum is exact in int32.
 * An exact sum, one product of scales and one fused multiply-add per output: every kernel,
 * set and order of k gives the same bytes. The call covers all of K (no k-blocks). */
#define RNNRT_INT8DOT_MAX_K 131072 /* 131072 * 127 * 127 < 2^31 */
typedef void rnnrt_int8dot_gemm_t(size_t mr, size_t kc, const int8_t *a, size_t lda,
                                  const float *a_scale, const int8_t *b, const float *scale,
                                  const float *init, size_t ld_init, float *c, size_t ldc);
/* The same for one row over two adjacent panels (`next` bytes apart, each with its sums), as
 * rnnrt_f32_gemm_pair_t: c[q NR + j] for the panel q of 2, scale[2 NR]. */
typedef void rnnrt_int8dot_gemm_pair_t(size_t kc, const int8_t *a, float a_scale,
                                       const int8_t *b, size_t next, const float *scale,
                                       const float *init, float *c);

typedef void rnnrt_f32_gemm_pair_t(size_t kc, const float *a, const float *b, size_t next,
                                   const float *init, float *c);
typedef void rnnrt_bf16_gemm_pair_t(size_t kc, const float *a, const uint16_t *b, size_t next,
                                    const float *init, float *c);
typedef void rnnrt_int8_gemm_pair_t(size_t kc, const float *a, const int8_t *b, size_t next,
                                    const float *scale, const float *init, float *c);

/* The dot-product types' input preparation, vectorized per set (runtime/provider.h has the
 * rules and the portable versions, rnnrt_quantize_rows and rnnrt_round_rows_bf16, which
 * are these kernels' oracles: the same bytes in any floating-point mode). rows of K floats
 * lda apart into rows ldq apart (ldq: K rounded up to the type's k group, zero-padded);
 * quantize also writes each row's scale. */
typedef void rnnrt_int8dot_quantize_t(size_t rows, size_t K, const float *a, size_t lda,
                                      int8_t *q, size_t ldq, float *scale);
typedef void rnnrt_bf16dot_round_t(size_t rows, size_t K, const float *a, size_t lda,
                                   uint16_t *q, size_t ldq);

/* Gives a matrix engine's tiles back (AMX: TILERELEASE) once a pass is done with them; a
 * no-op on a thread that has not used them. Tiles configure themselves on a thread's first
 * call (simd/avx512/gemm_amx.h), so a pass costs one configuration per thread. */
typedef void rnnrt_f32_tile_release_t(void);

typedef rnnrt_f32_vunary_t *rnnrt_f32_vunary_fn;
typedef rnnrt_f32_vact_t *rnnrt_f32_vact_fn;
typedef rnnrt_f32_lstm_gates_t *rnnrt_f32_lstm_gates_fn;
typedef rnnrt_f32_lstm_peephole_gates_t *rnnrt_f32_lstm_peephole_gates_fn;
typedef rnnrt_f32_lstm_coupled_gates_t *rnnrt_f32_lstm_coupled_gates_fn;
typedef rnnrt_f32_gru_gates_t *rnnrt_f32_gru_gates_fn;
typedef rnnrt_f32_rnn_tanh_gates_t *rnnrt_f32_rnn_tanh_gates_fn;
typedef rnnrt_f32_rnn_relu_gates_t *rnnrt_f32_rnn_relu_gates_fn;
typedef rnnrt_f32_gru_rb_rz_gates_t *rnnrt_f32_gru_rb_rz_gates_fn;
typedef rnnrt_f32_gru_rb_h_gates_t *rnnrt_f32_gru_rb_h_gates_fn;
typedef rnnrt_f32_gemm_t *rnnrt_f32_gemm_fn;
typedef rnnrt_bf16_gemm_t *rnnrt_bf16_gemm_fn;
typedef rnnrt_int8_gemm_t *rnnrt_int8_gemm_fn;
typedef rnnrt_f32_gemm_pair_t *rnnrt_f32_gemm_pair_fn;
typedef rnnrt_bf16_gemm_pair_t *rnnrt_bf16_gemm_pair_fn;
typedef rnnrt_int8_gemm_pair_t *rnnrt_int8_gemm_pair_fn;
typedef rnnrt_int8dot_gemm_t *rnnrt_int8dot_gemm_fn;
typedef rnnrt_int8dot_gemm_pair_t *rnnrt_int8dot_gemm_pair_fn;
typedef rnnrt_bf16dot_gemm_t *rnnrt_bf16dot_gemm_fn;
typedef rnnrt_bf16dot_gemm_pair_t *rnnrt_bf16dot_gemm_pair_fn;

/* A GEMM microkernel with the blocking it was written for (its line in kernels.inc). */
typedef struct rnnrt_gemm_ukernel {
    rnnrt_weight_type dtype;    /* the panels' type: which function runs on them */
    rnnrt_f32_gemm_fn fn;       /* f32 panels; in a bf16 or int8 slot, the set's f32 tile of
                                 * the same shape, for panels widened to float32 */
    rnnrt_bf16_gemm_fn fn_bf16; /* bf16 panels */
    rnnrt_int8_gemm_fn fn_int8; /* int8 panels and column scales */
    rnnrt_int8dot_gemm_fn fn_int8dot; /* int8 dot-product panels, int8 activations */
    rnnrt_bf16dot_gemm_fn fn_bf16dot; /* bf16 dot-product panels, bf16 activations */
    int mr, nr;   /* the tile: at most mr rows, exactly nr columns */
    int kgroup;   /* k values per packed panel row group (1 for f32) */
    int units;    /* hidden units per gate panel (gate GEMMs) */
    int kc_share; /* kc: mr rows of A for one k-block fill 1/kc_share of L1d (< 0: the
                   * panel's kc rows fill 1/-kc_share of it; kernels.inc) */
    const char *name;
} rnnrt_gemm_ukernel;

/* A pair tile (rnnrt_*_gemm_pair_t) and its line in kernels.inc. */
typedef struct rnnrt_gemm_pair_ukernel {
    rnnrt_weight_type dtype;
    rnnrt_f32_gemm_pair_fn fn;
    rnnrt_bf16_gemm_pair_fn fn_bf16;
    rnnrt_int8_gemm_pair_fn fn_int8;
    rnnrt_int8dot_gemm_pair_fn fn_int8dot;
    rnnrt_bf16dot_gemm_pair_fn fn_bf16dot;
    int nr, units; /* each panel's: those of the gemm slot it pairs with */
    const char *name;
} rnnrt_gemm_pair_ukernel;

/* True when a slot (rnnrt_gemm_ukernel or rnnrt_gemm_pair_ukernel) has the function of its
 * dtype; optional slots such as gemm4_tall or the pairs may be empty. */
#define RNNRT_SLOT_PRESENT(uk)                                                                \
    ((uk)->dtype == RNNRT_WEIGHTS_BF16      ? (uk)->fn_bf16 != NULL                          \
     : (uk)->dtype == RNNRT_WEIGHTS_INT8    ? (uk)->fn_int8 != NULL                          \
     : (uk)->dtype == RNNRT_WEIGHTS_INT8DOT ? (uk)->fn_int8dot != NULL                       \
     : (uk)->dtype == RNNRT_WEIGHTS_BF16DOT ? (uk)->fn_bf16dot != NULL                       \
                                            : (uk)->fn != NULL)

static inline int rnnrt_pair_present(const rnnrt_gemm_pair_ukernel *uk)
{
    return RNNRT_SLOT_PRESENT(uk);
}

static inline int rnnrt_ukernel_present(const rnnrt_gemm_ukernel *uk)
{
    return RNNRT_SLOT_PRESENT(uk);
}

/* The GEMM tiles of one weight type: the same shapes (mr, nr, units) in every type of a
 * set, so that every type packs the same panel layout (int8dot: the same nr and units; its
 * mr is its own, since no f32 tile stands in for it). */
typedef struct rnnrt_gemm_slots {
    rnnrt_gemm_ukernel gemm4, gemm3, gemm_proj, gemm4_tall;
    rnnrt_gemm_pair_ukernel gemm4_pair, gemm3_pair, proj_pair; /* optional */
    /* Optional: matrix-engine tiles (AMX) on the same panels, for GEMMs of many rows
     * (RNNRT_MX_ROWS, runtime/tuning.h); dot-product types only */
    rnnrt_gemm_ukernel gemm4_mx, gemm3_mx, proj_mx;
} rnnrt_gemm_slots;

/* One kernel set: what dispatch fills once per set, from kernels.inc. */
typedef struct rnnrt_kernels {
    const char *isa;
    rnnrt_f32_vunary_fn vexp;
    rnnrt_f32_vunary_fn vsigmoid;
    rnnrt_f32_vunary_fn vtanh;
    rnnrt_f32_vact_fn vact; /* the gate functions of models that declare their own */
    rnnrt_f32_lstm_gates_fn lstm_gates;
    rnnrt_f32_lstm_peephole_gates_fn lstm_peephole_gates;
    rnnrt_f32_lstm_coupled_gates_fn lstm_coupled_gates;
    rnnrt_f32_gru_gates_fn gru_gates;
    rnnrt_f32_rnn_tanh_gates_fn rnn_tanh_gates;
    rnnrt_f32_rnn_relu_gates_fn rnn_relu_gates;
    rnnrt_f32_gru_rb_rz_gates_fn gru_rb_rz_gates;
    rnnrt_f32_gru_rb_h_gates_fn gru_rb_h_gates;
    /* The blocked path packs gate panels of `units` hidden units: 4*units columns for the
     * 4-gate cells (gemm4), 3*units for GRU and the coupled LSTM (gemm3). gemm_proj serves
     * the LSTM projection, the one-gate RNN's panels (nr units each) and the stand-alone
     * packed GEMM (runtime/gemm.h). */
    int units;
    rnnrt_gemm_ukernel gemm4, gemm3, gemm_proj;
    /* Optional (fn NULL where a set has none): a taller tile on gemm4's panels (same nr and
     * units), used for the batches it covers in fewer row blocks. */
    rnnrt_gemm_ukernel gemm4_tall;
    /* Optional: one row over two adjacent panels of gemm4, gemm3 and gemm_proj (their nr and
     * units), for a batch of one. */
    rnnrt_gemm_pair_ukernel gemm4_pair, gemm3_pair, proj_pair;
    /* The same tiles on bf16 and int8 panels (kernels.inc slots bf16.gemm4, int8.gemm4, ...),
     * and the int8 and bf16 dot-product tiles (int8dot.gemm4, bf16dot.gemm4, ...). */
    rnnrt_gemm_slots bf16, int8, int8dot, bf16dot;
    /* Optional: gives the matrix engine's tiles back at the end of a pass */
    rnnrt_f32_tile_release_t *tile_release;
    /* Optional: the dot-product types' input preparation (NULL: the portable versions) */
    rnnrt_int8dot_quantize_t *quantize;
    rnnrt_bf16dot_round_t *round_bf16;
} rnnrt_kernels;

/* The GEMM tiles of set k for weights of type t. */
static inline rnnrt_gemm_slots rnnrt_kernels_gemms(const rnnrt_kernels *k, rnnrt_weight_type t)
{
    if (t == RNNRT_WEIGHTS_BF16)
        return k->bf16;
    if (t == RNNRT_WEIGHTS_INT8)
        return k->int8;
    if (t == RNNRT_WEIGHTS_INT8DOT)
        return k->int8dot;
    if (t == RNNRT_WEIGHTS_BF16DOT)
        return k->bf16dot;
    rnnrt_gemm_slots f; /* f32 has no matrix-engine tiles: those stay empty */
    memset(&f, 0, sizeof f);
    f.gemm4 = k->gemm4;
    f.gemm3 = k->gemm3;
    f.gemm_proj = k->gemm_proj;
    f.gemm4_tall = k->gemm4_tall;
    f.gemm4_pair = k->gemm4_pair;
    f.gemm3_pair = k->gemm3_pair;
    f.proj_pair = k->proj_pair;
    return f;
}

/* Every kernel's declaration, from the list. */
#define RNNRT_KERNEL(set, dtype, family, slot, mr, nr, kgroup, units, kc_share, fn, features) \
    rnnrt_##dtype##_##family##_t fn;
#include "kernels.inc"
#undef RNNRT_KERNEL

#endif /* RNNRT_SIMD_KERNELS_H */
