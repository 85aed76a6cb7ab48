/* Kernel families of rnnrt: one signature per family, shared by every ISA.
 *
 * Names follow rnnrt_f32_<family>[_<tile>]__<isa>, in simd/<isa>/<name>.c; the list of every
 * kernel, with its tile and required CPU features, is simd/kernels.inc.
 * Contract common to all families:
 *  - n is a count of elements (any value >= 0, no multiple required);
 *  - pointers need only float alignment; kernels never read or write past n elements;
 *  - outputs may alias the inputs they replace element by element (y == x is allowed for
 *    vector math; c may alias c_prev and h may alias h_prev in the gate kernels);
 *  - kernels do not fail and do not allocate.
 */
#ifndef RNNRT_SIMD_KERNELS_H
#define RNNRT_SIMD_KERNELS_H

#include <stddef.h>

/* Vector math: y[j] = f(x[j]) for j < n. */
typedef void rnnrt_f32_vunary_t(size_t n, const float *x, float *y);

/* LSTM cell update for n units, from gate pre-activations with both products and both biases
 * already summed (gate order i, f, g, o as in PyTorch):
 *   c[j] = sigmoid(f[j]) * c_prev[j] + sigmoid(i[j]) * tanh(g[j])
 *   h[j] = sigmoid(o[j]) * tanh(c[j])                                                      */
typedef void rnnrt_f32_lstm_gates_t(size_t n, const float *i, const float *f, const float *g,
                                    const float *o, const float *c_prev, float *c, float *h);

/* Peephole LSTM (Gers & Schmidhuber): p_i, p_f see c_prev, p_o sees the new c:
 *   c[j] = sigmoid(f[j] + p_f[j]*c_prev[j]) * c_prev[j]
 *        + sigmoid(i[j] + p_i[j]*c_prev[j]) * tanh(g[j])
 *   h[j] = sigmoid(o[j] + p_o[j]*c[j]) * tanh(c[j])                                        */
typedef void rnnrt_f32_lstm_peephole_gates_t(size_t n, const float *i, const float *f,
                                             const float *g, const float *o, const float *p_i,
                                             const float *p_f, const float *p_o,
                                             const float *c_prev, float *c, float *h);

/* Coupled input-forget gate LSTM: i = 1 - f.
 *   c[j] = sigmoid(f[j]) * c_prev[j] + (1 - sigmoid(f[j])) * tanh(g[j])
 *   h[j] = sigmoid(o[j]) * tanh(c[j])                                                      */
typedef void rnnrt_f32_lstm_coupled_gates_t(size_t n, const float *f, const float *g,
                                            const float *o, const float *c_prev, float *c,
                                            float *h);

/* GRU as PyTorch computes it. r and z hold both products and all their biases; xn holds
 * W_in x + b_in and hn holds W_hn h + b_hn (kept apart because r scales only hn):
 *   n = tanh(xn[j] + sigmoid(r[j]) * hn[j])
 *   h[j] = (1 - sigmoid(z[j])) * n + sigmoid(z[j]) * h_prev[j]                              */
typedef void rnnrt_f32_gru_gates_t(size_t n, const float *r, const float *z, const float *xn,
                                   const float *hn, const float *h_prev, float *h);

/* GEMM microkernel (BLIS contract) for one tile of 1 <= mr <= MR rows and NR columns:
 *   c[m*ldc + j] = init_m[j] + sum_{k<kc} a[m*lda + k] * b[k*NR + j]   (m < mr, j < NR)
 * where init_m = init + m*ld_init (ld_init = 0 broadcasts one row, e.g. a bias) or zeros
 * when init is NULL; init may equal c (accumulate over blocks of k). b is a packed panel:
 * kc rows of NR contiguous floats, 64-byte aligned. a, c and init need only float
 * alignment. Rows m >= mr of c are never touched. mr outside [1, MR] is a contract
 * violation (asserted in debug builds). */
typedef void rnnrt_f32_gemm_t(size_t mr, size_t kc, const float *a, size_t lda, const float *b,
                              const float *init, size_t ld_init, float *c, size_t ldc);

typedef rnnrt_f32_vunary_t *rnnrt_f32_vunary_fn;
typedef rnnrt_f32_lstm_gates_t *rnnrt_f32_lstm_gates_fn;
typedef rnnrt_f32_lstm_peephole_gates_t *rnnrt_f32_lstm_peephole_gates_fn;
typedef rnnrt_f32_lstm_coupled_gates_t *rnnrt_f32_lstm_coupled_gates_fn;
typedef rnnrt_f32_gru_gates_t *rnnrt_f32_gru_gates_fn;
typedef rnnrt_f32_gemm_t *rnnrt_f32_gemm_fn;

/* A GEMM microkernel with the blocking it was written for (its line in kernels.inc). */
typedef struct rnnrt_gemm_ukernel {
    rnnrt_f32_gemm_fn fn;
    int mr, nr;   /* the tile: at most mr rows, exactly nr columns */
    int kgroup;   /* k values per packed panel row group (1 for f32) */
    int units;    /* hidden units per gate panel (gate GEMMs) */
    int kc_share; /* kc: mr rows of A for one k-block fill 1/kc_share of L1d */
    const char *name;
} rnnrt_gemm_ukernel;

/* One kernel set: what dispatch fills once per set, from kernels.inc. */
typedef struct rnnrt_kernels {
    const char *isa;
    rnnrt_f32_vunary_fn vexp;
    rnnrt_f32_vunary_fn vsigmoid;
    rnnrt_f32_vunary_fn vtanh;
    rnnrt_f32_lstm_gates_fn lstm_gates;
    rnnrt_f32_lstm_peephole_gates_fn lstm_peephole_gates;
    rnnrt_f32_lstm_coupled_gates_fn lstm_coupled_gates;
    rnnrt_f32_gru_gates_fn gru_gates;
    /* The blocked path packs gate panels of `units` hidden units: 4*units columns for the
     * 4-gate cells (gemm4), 3*units for GRU and the coupled LSTM (gemm3). gemm_proj serves
     * the LSTM projection and the stand-alone packed GEMM (runtime/gemm.h). */
    int units;
    rnnrt_gemm_ukernel gemm4, gemm3, gemm_proj;
} rnnrt_kernels;

/* Every kernel's declaration, from the list. */
#define RNNRT_KERNEL(set, dtype, family, slot, mr, nr, kgroup, units, kc_share, fn, features) \
    rnnrt_##dtype##_##family##_t fn;
#include "kernels.inc"
#undef RNNRT_KERNEL

#endif /* RNNRT_SIMD_KERNELS_H */
