/* Weights packed for the blocked forward pass of one kernel set.
 *
 * Gate panels: panel p holds hidden units [p*U, p*U + U) for all G gates, as NR = G*U
 * columns (gate g of unit p*U + j at column g*U + j), stored k-major: [K][NR]. One tile of
 * the GEMM output thus holds every pre-activation its gate kernel needs. Units past H are
 * zero-padded. Projection panels hold NR columns of the projection's output.
 *
 * gru_reset_before packs two sets of panels per matrix, since W_hn multiplies r * h, which
 * needs every unit's r first: the r and z blocks as gate panels on gemm4's tile (G = 2, so
 * U = gemm4's nr / 2), and the n block as plain column panels on gemm_proj's (the
 * `n_` fields). */
#ifndef RNNRT_PACK_H
#define RNNRT_PACK_H

#include "gemm.h"
#include "kernels.h"
#include "model.h"
#include "safetensors.h"

/* The matrices hold weights of the packing's type (rnnrt_weight_type); int8 and int8dot
 * matrices also have one float32 scale per panel column ([panels][nr]), NULL for the other
 * types. int8dot panels have K rounded up to 4 rows (rnnrt_panel_layout). */
typedef struct rnnrt_packed_unit {
    void *w_ih;   /* [panels][in_size][nr] */
    void *w_hh;   /* [panels][h_size][nr] */
    float *bias;  /* [panels][nr]: b_ih + b_hh (GRU's n gate: b_in only) */
    void *w_hr;   /* [proj_panels][hidden][proj_nr], NULL without projection */
    float *s_ih, *s_hh, *s_hr;
    /* gru_reset_before only (else NULL): the n block, [n_panels][K][n_nr], its bias
     * b_in + b_hn, [n_panels][n_nr], and its int8 scales; w_ih, w_hh and bias then hold
     * the r and z blocks. */
    void *w_ih_n, *w_hh_n;
    float *bias_n, *s_ih_n, *s_hh_n;
} rnnrt_packed_unit;

typedef struct rnnrt_packing {
    const rnnrt_kernels *kernels; /* the set this layout is for */
    rnnrt_weight_type dtype;      /* of every matrix: the model's "weights" option, or f32
                                   * holding a small model's values rounded as that option
                                   * says (rnnrt_pack) */
    rnnrt_gemm_ukernel gemm;      /* gate-panel microkernel (gemm4, gemm3; RNN: gemm_proj) */
    rnnrt_gemm_ukernel proj_gemm; /* projection microkernel (gemm_proj) */
    int units, nr, panels;        /* U, G*U, ceil(H / U); RNN (G = 1): U = gemm_proj's nr */
    int proj_panels;              /* ceil(P / proj_nr) */
    int kc;                       /* k-block of the gate GEMMs, by gemm's rule (kernels.inc) */
    int proj_kc;                  /* k-block of the projection, by proj_gemm's rule */
    rnnrt_gemm_ukernel gemm_tall; /* a taller tile on the same panels (fn NULL if none) */
    int tall_kc;
    rnnrt_gemm_ukernel n_gemm;    /* gru_reset_before: the n block's tile (gemm_proj) */
    int n_panels, n_kc;           /* ceil(H / n_gemm's nr) and its k-block; 0 otherwise */
    /* One-row tiles over two adjacent panels of gemm, proj_gemm and n_gemm, for a batch of
     * one (fn NULL where the set has none) */
    rnnrt_gemm_pair_ukernel pair, proj_pair, n_pair;
    /* Matrix-engine tiles on the panels of gemm, proj_gemm and n_gemm, for GEMMs of many
     * rows (fn NULL where the set has none) */
    rnnrt_gemm_ukernel gemm_mx, proj_mx, n_mx;
    rnnrt_packed_unit *unit;      /* [layers * directions] */
    struct rnnrt_gemm_b *head;    /* the linear head (stack.h), NULL without one */
    void *arena;
} rnnrt_packing;

/* Where element (r, k) of a [G*H][K] matrix lives in panels of U units (gate g of unit
 * p*U + j at column g*U + j of panel p, k-major); G = 1 with U = nr describes plain column
 * panels (the projection, the head). A kgroup of 4 (int8dot) keeps four k of a column
 * side by side: panel rows are groups of four k, [K4 / 4][nr][4] with K4 = K rounded up to
 * 4 (zeros beyond K), then the nr column sums (rnnrt_int8dot_column_sums); a kgroup of 2
 * (bf16dot) is [K2 / 2][nr][2] likewise, without sums; any other kgroup (0 or 1) is
 * [K][nr]. */
typedef struct rnnrt_panel_layout {
    int K, G, H, U;
    int kgroup;
} rnnrt_panel_layout;

/* Rows of k per panel: K, rounded up to 4 for groups of four, and their column sums. */
static inline size_t rnnrt_panel_rows(const rnnrt_panel_layout *l)
{
    return rnnrt_panel_k_rows(l->kgroup, (size_t)l->K);
}

/* Element (r, 0); element (r, k) is rnnrt_panel_step(l, k) further on. */
static inline size_t rnnrt_panel_start(const rnnrt_panel_layout *l, int r)
{
    int g = r / l->H, u = r % l->H, p = u / l->U, j = u % l->U;
    const size_t nr = (size_t)(l->G * l->U), col = (size_t)(g * l->U + j);
    return (size_t)p * rnnrt_panel_rows(l) * nr + col * (size_t)(l->kgroup > 1 ? l->kgroup : 1);
}

static inline size_t rnnrt_panel_step(const rnnrt_panel_layout *l, int k)
{
    const size_t nr = (size_t)(l->G * l->U), kk = (size_t)k;
    if (l->kgroup <= 1) /* the reference pass reads every weight through here */
        return kk * nr;
    const size_t g = (size_t)l->kgroup; /* 2 or 4: a power of two */
    return (kk & ~(g - 1)) * nr + (kk & (g - 1));
}

static inline size_t rnnrt_panel_index(const rnnrt_panel_layout *l, int r, int k)
{
    return rnnrt_panel_start(l, r) + rnnrt_panel_step(l, k);
}

/* Where the scale of row r's weights (int8) lives: the row's column in its panel, counted
 * over all panels ([panels][G*U]). */
static inline size_t rnnrt_panel_column(const rnnrt_panel_layout *l, int r)
{
    int g = r / l->H, u = r % l->H, p = u / l->U, j = u % l->U;
    return (size_t)p * (size_t)(l->G * l->U) + (size_t)(g * l->U + j);
}

/* Panel p (of K rows of nr weights, K rounded up to t's k groups) of a matrix packed as
 * w, s by pk. */
static inline rnnrt_panel rnnrt_packed_panel(rnnrt_weight_type t, const void *w, const float *s,
                                             int p, int K, int nr)
{
    const size_t rows = rnnrt_panel_k_rows(rnnrt_weight_kgroup(t), (size_t)K);
    return (rnnrt_panel){.w = (const char *)w + (size_t)p * rows * nr * rnnrt_weight_size(t),
                         .scale = s ? s + (size_t)p * nr : NULL};
}

/* A weight matrix in PyTorch's layout ([rows][K]) to read rows of: a file's tensor (F32,
 * F16, BF16, or I8 with row scales) while loading, then the model's first packing, which is the only copy the
 * model keeps (docs/architecture.md). */
typedef struct rnnrt_matrix {
    const rnnrt_st_tensor *tensor;
    const rnnrt_st_tensor *tensor_scale; /* the row scales of an I8 `tensor` */
    const void *packed;
    rnnrt_weight_type dtype;   /* of `packed` */
    const float *scale;        /* of `packed` when int8 */
    rnnrt_panel_layout layout; /* of `packed` */
    /* Rows from `split` on, when packed_n is not NULL (gru_reset_before's n block). */
    const void *packed_n;
    const float *scale_n;
    rnnrt_panel_layout layout_n;
    int split;
} rnnrt_matrix;

/* Row r of the matrix as float32 (for a packed bf16 or int8 matrix: the value the kernels
 * multiply by): K floats into dst. */
void rnnrt_matrix_row(const rnnrt_matrix *src, int r, int K, float *dst);

typedef enum rnnrt_weight_kind { RNNRT_W_IH, RNNRT_W_HH, RNNRT_W_HR } rnnrt_weight_kind;

/* Unit u's W_ih, W_hh or W_hr of m, from its file tensors while it loads, else from its
 * first packing. */
rnnrt_matrix rnnrt_model_matrix(const rnnrt_model *m, int unit, rnnrt_weight_kind kind);

/* Packs every layer of m for kernel set k; NULL with RNNRT_E_NOMEM recorded on failure. */
rnnrt_packing *rnnrt_pack(const rnnrt_model *m, const rnnrt_kernels *k);
void rnnrt_packing_free(rnnrt_packing *p);

/* Floats in one row of the input projections of a step: every panel of every set. */
static inline size_t rnnrt_packing_width(const rnnrt_packing *p)
{
    return (size_t)p->panels * p->nr + (size_t)p->n_panels * p->n_gemm.nr;
}

/* The model's packing for k, made on first use and kept (thread-safe; finding an existing
 * one takes no lock). NULL: out of memory. */
const rnnrt_packing *rnnrt_model_packing(const rnnrt_model *m, const rnnrt_kernels *k);

#endif
