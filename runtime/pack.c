#include "pack.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "cpu_features.h"
#include "error.h"
#include "gemm.h"
#include "half.h"
#include "provider.h"
#include "stack.h"
#include "tuning.h"

/* Panels start on 64-byte boundaries: the microkernels' aligned loads rely on it. */
#define ALIGN_BYTES 64

static size_t round_up(size_t n, size_t to)
{
    return (n + to - 1) / to * to;
}

void rnnrt_matrix_row(const rnnrt_matrix *src, int r, int K, float *dst)
{
    if (src->tensor && src->tensor->dtype == RNNRT_ST_I8) {
        const float scale = rnnrt_st_float(src->tensor_scale, (uint64_t)r);
        const int8_t *q = (const int8_t *)src->tensor->data + (uint64_t)r * K;
        for (int k = 0; k < K; k++) /* as the int8 kernels widen */
            dst[k] = (float)q[k] * scale;
        return;
    }
    if (src->tensor) {
        for (int k = 0; k < K; k++)
            dst[k] = rnnrt_st_float(src->tensor, (uint64_t)r * K + k);
        return;
    }
    /* gru_reset_before keeps its n block (rows from split on) in panels of its own */
    const bool in_n = src->packed_n && r >= src->split;
    const rnnrt_panel_layout *l = in_n ? &src->layout_n : &src->layout;
    const void *packed = in_n ? src->packed_n : src->packed;
    const float *scales = in_n ? src->scale_n : src->scale;
    r = in_n ? r - src->split : r;
    const size_t at = rnnrt_panel_start(l, r); /* the row's first element, then steps */
    switch (src->dtype) {
    case RNNRT_WEIGHTS_F32:
        for (int k = 0; k < K; k++)
            dst[k] = ((const float *)packed)[at + rnnrt_panel_step(l, k)];
        break;
    case RNNRT_WEIGHTS_BF16:
    case RNNRT_WEIGHTS_BF16DOT:
        for (int k = 0; k < K; k++)
            dst[k] = rnnrt_bf16_to_f32(((const uint16_t *)packed)[at + rnnrt_panel_step(l, k)]);
        break;
    case RNNRT_WEIGHTS_INT8:
    case RNNRT_WEIGHTS_INT8DOT: {
        const float scale = scales[rnnrt_panel_column(l, r)];
        for (int k = 0; k < K; k++) /* the kernels' widening: (float)q * scale, in float */
            dst[k] = (float)((const int8_t *)packed)[at + rnnrt_panel_step(l, k)] * scale;
        break;
    }
    }
}

/* Symmetric int8 for one row: its largest magnitude becomes 127 (a zero row gets scale 1,
 * so that every scale is > 0, as files must hold them).
 * The loader has refused non-finite weights for int8 (model_loader.c). */
static float int8_row_scale(const float *row, int K)
{
    float largest = 0.0f;
    for (int k = 0; k < K; k++)
        largest = fabsf(row[k]) > largest ? fabsf(row[k]) : largest;
    const float scale = largest / 127.0f;
    return scale > 0.0f ? scale : 1.0f; /* a zero row, or one whose scale underflows */
}

static int8_t int8_of(float x, float scale)
{
    const long q = lrintf(x / scale);
    return (int8_t)(q > 127 ? 127 : q < -127 ? -127 : q);
}

static float quantize_row(const float *row, int K, const rnnrt_panel_layout *l, int r, int8_t *dst)
{
    const float scale = int8_row_scale(row, K);
    for (int k = 0; k < K; k++)
        dst[rnnrt_panel_index(l, r, k)] = int8_of(row[k], scale);
    return scale;
}

/* A file's float row rounded as weights of type t are (bf16, or int8 with the row's scale),
 * back in float32: what a small model's f32 panels hold for bf16 or int8 weights. */
static void round_row(rnnrt_weight_type t, float *row, int K)
{
    if (t == RNNRT_WEIGHTS_BF16) {
        for (int k = 0; k < K; k++)
            row[k] = rnnrt_bf16_to_f32(rnnrt_f32_to_bf16(row[k]));
        return;
    }
    const float scale = int8_row_scale(row, K); /* the int8 tiles' widening: q * scale */
    for (int k = 0; k < K; k++)
        row[k] = (float)int8_of(row[k], scale) * scale;
}

/* Rows [r0, r0 + rows) x K of src into zeroed panels of layout l and type t, as its rows
 * 0, 1, ... (int8: with the rows' scales into scale); `row` is scratch for K floats. An
 * int8 source keeps its values and scales, so every kernel set's packing of an int8 model
 * holds the same weights. f32 panels of a model with bf16 or int8 weights (round_as; a small
 * model, rnnrt_pack) hold the rounded values: a file's float rows are rounded here, other
 * sources hold them already. */
static void pack_rows(const rnnrt_matrix *src, int r0, int rows, const rnnrt_panel_layout *l,
                      rnnrt_weight_type t, rnnrt_weight_type round_as, float *row, void *dst,
                      float *scale)
{
    const bool round = t == RNNRT_WEIGHTS_F32 && round_as != RNNRT_WEIGHTS_F32 && src->tensor &&
                       src->tensor->dtype != RNNRT_ST_I8;
    const bool from_file = src->tensor && src->tensor->dtype == RNNRT_ST_I8;
    const bool copy_int8 = rnnrt_weight_is_int8(t) &&
                           (from_file || (!src->tensor && rnnrt_weight_is_int8(src->dtype)));
    for (int r = 0; r < rows; r++) {
        const int sr = r0 + r; /* the source's row */
        if (copy_int8 && from_file) {
            const int8_t *q = (const int8_t *)src->tensor->data + (uint64_t)sr * l->K;
            for (int k = 0; k < l->K; k++)
                ((int8_t *)dst)[rnnrt_panel_index(l, r, k)] = q[k];
            scale[rnnrt_panel_column(l, r)] = rnnrt_st_float(src->tensor_scale, (uint64_t)sr);
            continue;
        }
        if (copy_int8) {
            const bool in_n = src->packed_n && sr >= src->split;
            const rnnrt_panel_layout *sl = in_n ? &src->layout_n : &src->layout;
            const int8_t *sq = in_n ? src->packed_n : src->packed;
            const float *ss = in_n ? src->scale_n : src->scale;
            const int qr = in_n ? sr - src->split : sr;
            for (int k = 0; k < l->K; k++)
                ((int8_t *)dst)[rnnrt_panel_index(l, r, k)] = sq[rnnrt_panel_index(sl, qr, k)];
            scale[rnnrt_panel_column(l, r)] = ss[rnnrt_panel_column(sl, qr)];
            continue;
        }
        rnnrt_matrix_row(src, sr, l->K, row);
        if (round)
            round_row(round_as, row, l->K);
        switch (t) {
        case RNNRT_WEIGHTS_F32:
            for (int k = 0; k < l->K; k++)
                ((float *)dst)[rnnrt_panel_index(l, r, k)] = row[k];
            break;
        case RNNRT_WEIGHTS_BF16:
            for (int k = 0; k < l->K; k++)
                ((uint16_t *)dst)[rnnrt_panel_index(l, r, k)] = rnnrt_f32_to_bf16(row[k]);
            break;
        case RNNRT_WEIGHTS_BF16DOT: /* subnormals to zero, as the dot products read them */
            for (int k = 0; k < l->K; k++)
                ((uint16_t *)dst)[rnnrt_panel_index(l, r, k)] = rnnrt_bf16_dot_value(row[k]);
            break;
        case RNNRT_WEIGHTS_INT8:
        case RNNRT_WEIGHTS_INT8DOT:
            scale[rnnrt_panel_column(l, r)] = quantize_row(row, l->K, l, r, dst);
            break;
        }
    }
}

/* The column sums that end each int8 dot-product panel of layout l (kernels.h). */
static void write_column_sums(const rnnrt_panel_layout *l, void *dst)
{
    if (l->kgroup != 4)
        return;
    const size_t nr = (size_t)(l->G * l->U), rows = rnnrt_panel_rows(l);
    const int panels = (l->H + l->U - 1) / l->U;
    for (int p = 0; p < panels; p++)
        rnnrt_int8dot_column_sums(nr, rows - RNNRT_INT8DOT_SUM_ROWS,
                                  (int8_t *)dst + (size_t)p * rows * nr);
}

static void pack_matrix(const rnnrt_matrix *src, int rows, const rnnrt_panel_layout *l,
                        rnnrt_weight_type t, rnnrt_weight_type round_as, float *row, void *dst,
                        float *scale)
{
    pack_rows(src, 0, rows, l, t, round_as, row, dst, scale);
    write_column_sums(l, dst);
}

/* Gate blocks in a gate panel: gru_reset_before keeps only r and z there. */
static int panel_gates(const rnnrt_model *m)
{
    return m->cell == RNNRT_CELL_GRU_RESET_BEFORE ? 2 : m->gates;
}

static rnnrt_panel_layout gate_layout(const rnnrt_model *m, const rnnrt_packing *p, int K)
{
    return (rnnrt_panel_layout){.K = K, .G = panel_gates(m), .H = m->hidden, .U = p->units,
                                .kgroup = rnnrt_weight_kgroup(p->dtype)};
}

static rnnrt_panel_layout n_layout(const rnnrt_model *m, const rnnrt_packing *p, int K)
{
    return (rnnrt_panel_layout){.K = K, .G = 1, .H = m->hidden, .U = p->n_gemm.nr,
                                .kgroup = rnnrt_weight_kgroup(p->dtype)};
}

static rnnrt_panel_layout proj_layout(const rnnrt_model *m, const rnnrt_packing *p)
{
    return (rnnrt_panel_layout){.K = m->hidden, .G = 1, .H = m->proj, .U = p->proj_gemm.nr,
                                .kgroup = rnnrt_weight_kgroup(p->dtype)};
}

static rnnrt_panel_layout head_layout(const rnnrt_gemm_b *head)
{
    return (rnnrt_panel_layout){.K = head->K, .G = 1, .H = head->N, .U = head->uk.nr};
}

rnnrt_matrix rnnrt_model_matrix(const rnnrt_model *m, int unit, rnnrt_weight_kind kind)
{
    const rnnrt_layer_weights *w = &m->w[unit];
    const rnnrt_st_tensor *t = kind == RNNRT_W_IH ? w->src_ih : kind == RNNRT_W_HH ? w->src_hh
                                                                                  : w->src_hr;
    const rnnrt_st_tensor *ts = kind == RNNRT_W_IH   ? w->scale_ih
                                : kind == RNNRT_W_HH ? w->scale_hh
                                                     : w->scale_hr;
    if (t)
        return (rnnrt_matrix){.tensor = t, .tensor_scale = ts};
    const rnnrt_packing *p = m->packings[0];
    const rnnrt_packed_unit *pu = &p->unit[unit];
    const int split = 2 * m->hidden; /* gru_reset_before: where its n block starts */
    switch (kind) {
    case RNNRT_W_IH:
        return (rnnrt_matrix){.packed = pu->w_ih, .dtype = p->dtype, .scale = pu->s_ih,
                              .layout = gate_layout(m, p, w->in_size), .packed_n = pu->w_ih_n,
                              .scale_n = pu->s_ih_n, .layout_n = n_layout(m, p, w->in_size),
                              .split = split};
    case RNNRT_W_HH:
        return (rnnrt_matrix){.packed = pu->w_hh, .dtype = p->dtype, .scale = pu->s_hh,
                              .layout = gate_layout(m, p, m->h_size), .packed_n = pu->w_hh_n,
                              .scale_n = pu->s_hh_n, .layout_n = n_layout(m, p, m->h_size),
                              .split = split};
    case RNNRT_W_HR:
        break;
    }
    return (rnnrt_matrix){.packed = pu->w_hr, .dtype = p->dtype, .scale = pu->s_hr,
                          .layout = proj_layout(m, p)};
}

static rnnrt_matrix head_matrix(const rnnrt_model *m)
{
    if (m->stack->head_src)
        return (rnnrt_matrix){.tensor = m->stack->head_src};
    const rnnrt_gemm_b *h = m->packings[0]->head;
    return (rnnrt_matrix){.packed = h->packed, .layout = head_layout(h)};
}

static void pack_bias(const rnnrt_model *m, const rnnrt_layer_weights *w, int U, int panels,
                      float *dst)
{
    const int G = panel_gates(m), H = m->hidden, nr = G * U;
    for (int p = 0; p < panels; p++)
        for (int g = 0; g < G; g++)
            for (int j = 0; j < U; j++) {
                int u = p * U + j;
                float b = 0.0f;
                if (u < H) {
                    b = w->b_ih[g * H + u];
                    /* GRU: b_hn stays inside r * (W_hn h + b_hn), added by the gate step */
                    if (!(m->cell == RNNRT_CELL_GRU && g == 2))
                        b += w->b_hh[g * H + u];
                }
                dst[(size_t)p * nr + g * U + j] = b;
            }
}

/* gru_reset_before's n block: both biases sit outside r, so they are summed like the gates'. */
static void pack_bias_n(const rnnrt_model *m, const rnnrt_layer_weights *w, int nr, int panels,
                        float *dst)
{
    const int H = m->hidden;
    for (int u = 0; u < H; u++)
        dst[u] = w->b_ih[2 * H + u] + w->b_hh[2 * H + u];
    for (int u = H; u < panels * nr; u++)
        dst[u] = 0.0f;
}

/* gru_reset_before: r and z on gemm4's tile as two gate blocks of nr / 2 units (no set has
 * a tile of 2 x units columns; gemm4's is the recurrent step's best tuned, with its tall
 * variant); n on gemm_proj's plain columns, nr units per panel. */
static void plan_reset_before(const rnnrt_gemm_slots *g, rnnrt_packing *p)
{
    p->gemm = g->gemm4;
    p->units = g->gemm4.nr / 2;
    p->pair = g->gemm4_pair;
    p->gemm_mx = g->gemm4_mx;
    p->n_gemm = g->gemm_proj;
    p->n_pair = g->proj_pair;
    p->n_mx = g->proj_mx;
    p->n_kc = rnnrt_gemm_kc(&p->n_gemm);
}

/* The next `bytes` of the arena at base (rounded up to ALIGN_BYTES), `used` bytes in; NULL
 * while only sizing (base NULL). */
static void *take(char *base, size_t *used, size_t bytes)
{
    size_t at = *used;
    *used += round_up(bytes, ALIGN_BYTES);
    return base ? base + at : NULL;
}

/* The arena's layout for one unit: matrices of the packing's type, the bias, and for int8
 * the column scales. Run twice: to size the arena (base NULL), then to carve it. */
static void carve_unit(const rnnrt_model *m, const rnnrt_packing *p, int in_size,
                       rnnrt_packed_unit *pu, char *base, size_t *used)
{
    const size_t es = rnnrt_weight_size(p->dtype), cols = (size_t)p->panels * p->nr;
    const size_t proj_cols = (size_t)p->proj_panels * p->proj_gemm.nr;
    const bool scaled = rnnrt_weight_is_int8(p->dtype);
    const int g = rnnrt_weight_kgroup(p->dtype); /* K rounded up to its groups */
#define RNNRT_PANEL_K(K) rnnrt_panel_k_rows(g, (size_t)(K))
    pu->w_ih = take(base, used, cols * RNNRT_PANEL_K(in_size) * es);
    pu->w_hh = take(base, used, cols * RNNRT_PANEL_K(m->h_size) * es);
    pu->bias = take(base, used, cols * sizeof(float));
    pu->s_ih = scaled ? take(base, used, cols * sizeof(float)) : NULL;
    pu->s_hh = scaled ? take(base, used, cols * sizeof(float)) : NULL;
    pu->w_hr = m->proj ? take(base, used, proj_cols * RNNRT_PANEL_K(m->hidden) * es) : NULL;
    pu->s_hr = m->proj && scaled ? take(base, used, proj_cols * sizeof(float)) : NULL;
    const size_t n_cols = (size_t)p->n_panels * p->n_gemm.nr; /* gru_reset_before's n */
    pu->w_ih_n = n_cols ? take(base, used, n_cols * RNNRT_PANEL_K(in_size) * es) : NULL;
    pu->w_hh_n = n_cols ? take(base, used, n_cols * RNNRT_PANEL_K(m->h_size) * es) : NULL;
#undef RNNRT_PANEL_K
    pu->bias_n = n_cols ? take(base, used, n_cols * sizeof(float)) : NULL;
    pu->s_ih_n = n_cols && scaled ? take(base, used, n_cols * sizeof(float)) : NULL;
    pu->s_hh_n = n_cols && scaled ? take(base, used, n_cols * sizeof(float)) : NULL;
}

/* Bytes of the recurrent and projection matrices of m in float32. */
static size_t f32_matrix_bytes(const rnnrt_model *m)
{
    size_t n = 0;
    for (int u = 0; u < m->layers * m->directions; u++)
        n += (size_t)m->gates * m->hidden * ((size_t)m->w[u].in_size + (size_t)m->h_size) +
             (size_t)m->proj * m->hidden;
    return n * sizeof(float);
}

rnnrt_packing *rnnrt_pack(const rnnrt_model *m, const rnnrt_kernels *k)
{
    rnnrt_packing *p = rnnrt_calloc(1, sizeof *p);
    int units = m->layers * m->directions;
    if (!p || !(p->unit = rnnrt_calloc((size_t)units, sizeof *p->unit))) {
        rnnrt_free(p);
        rnnrt_fail(RNNRT_E_NOMEM, "out of memory packing the weights");
        return NULL;
    }
    p->kernels = k;
    const rnnrt_weight_type round_as = rnnrt_options_panel_type(&m->options);
    p->dtype = round_as;
    /* Weight-only bf16 and int8 save bandwidth, which a model whose f32 matrices fit in
     * half of L2 does not need, and widening them costs (0.75-0.91x f32 at H = 64-128 on
     * the Zen 4, results/amd-epyc-f25m17-2c): such a model keeps its rounded weights in f32
     * panels, the same values and so the same bytes. */
    const long small = rnnrt_tuning_f32_panel_bytes() >= 0 ? rnnrt_tuning_f32_panel_bytes()
                                                           : rnnrt_cpu()->l2 / 2;
    if ((p->dtype == RNNRT_WEIGHTS_BF16 || p->dtype == RNNRT_WEIGHTS_INT8) &&
        f32_matrix_bytes(m) <= (size_t)small)
        p->dtype = RNNRT_WEIGHTS_F32;
    rnnrt_gemm_slots g = rnnrt_kernels_gemms(k, p->dtype);
    p->gemm = m->gates == 4 ? g.gemm4 : g.gemm3;
    p->pair = m->gates == 4 ? g.gemm4_pair : g.gemm3_pair;
    p->gemm_mx = m->gates == 4 ? g.gemm4_mx : g.gemm3_mx;
    p->proj_gemm = g.gemm_proj;
    p->proj_pair = g.proj_pair;
    p->proj_mx = g.proj_mx;
    p->units = k->units;
    if (m->gates == 1) {
        /* One gate block: a panel's nr columns are nr units. The gate tiles' nr is G * units
         * (32 = 4 x 8 on AVX2), so one gate would use 8 of them; the plain-column tile of
         * the projection (nr 16 on AVX2, 64 on AVX-512) fills its whole width instead. */
        p->gemm = g.gemm_proj;
        p->pair = g.proj_pair;
        p->gemm_mx = g.proj_mx;
        p->units = g.gemm_proj.nr;
    }
    bool reset_before = m->cell == RNNRT_CELL_GRU_RESET_BEFORE;
    if (reset_before)
        plan_reset_before(&g, p);
    p->nr = p->gemm.nr;
    p->panels = (m->hidden + p->units - 1) / p->units;
    p->n_panels = reset_before ? (m->hidden + p->n_gemm.nr - 1) / p->n_gemm.nr : 0;
    p->proj_panels = m->proj ? (m->proj + p->proj_gemm.nr - 1) / p->proj_gemm.nr : 0;
    p->kc = rnnrt_gemm_kc(&p->gemm);
    p->proj_kc = rnnrt_gemm_kc(&p->proj_gemm);
    if ((m->gates == 4 || reset_before) && rnnrt_ukernel_present(&g.gemm4_tall)) {
        p->gemm_tall = g.gemm4_tall;
        p->tall_kc = rnnrt_gemm_kc(&p->gemm_tall);
    }

    size_t total = 0;
    for (int u = 0; u < units; u++) {
        rnnrt_packed_unit sizing;
        carve_unit(m, p, m->w[u].in_size, &sizing, NULL, &total);
    }
    float *row = rnnrt_malloc((size_t)rnnrt_model_widest_input(m) * sizeof *row);
    p->arena = rnnrt_aligned_alloc(ALIGN_BYTES, total ? total : ALIGN_BYTES);
    if (!p->arena || !row) {
        rnnrt_free(row);
        rnnrt_packing_free(p);
        rnnrt_fail(RNNRT_E_NOMEM, "out of memory packing %zu bytes of weights", total);
        return NULL;
    }
    memset(p->arena, 0, total); /* the panels' padding */
    size_t carved = 0;
    for (int u = 0; u < units; u++) {
        const rnnrt_layer_weights *w = &m->w[u];
        rnnrt_packed_unit *pu = &p->unit[u];
        carve_unit(m, p, w->in_size, pu, p->arena, &carved);
        const int G = panel_gates(m), H = m->hidden;
        rnnrt_panel_layout l_ih = gate_layout(m, p, w->in_size), l_hh = gate_layout(m, p, m->h_size);
        rnnrt_matrix w_ih = rnnrt_model_matrix(m, u, RNNRT_W_IH);
        rnnrt_matrix w_hh = rnnrt_model_matrix(m, u, RNNRT_W_HH);
        pack_matrix(&w_ih, G * H, &l_ih, p->dtype, round_as, row, pu->w_ih, pu->s_ih);
        pack_matrix(&w_hh, G * H, &l_hh, p->dtype, round_as, row, pu->w_hh, pu->s_hh);
        pack_bias(m, w, p->units, p->panels, pu->bias);
        if (reset_before) {
            rnnrt_panel_layout n_ih = n_layout(m, p, w->in_size), n_hh = n_layout(m, p, m->h_size);
            pack_rows(&w_ih, 2 * H, H, &n_ih, p->dtype, round_as, row, pu->w_ih_n, pu->s_ih_n);
            pack_rows(&w_hh, 2 * H, H, &n_hh, p->dtype, round_as, row, pu->w_hh_n, pu->s_hh_n);
            write_column_sums(&n_ih, pu->w_ih_n);
            write_column_sums(&n_hh, pu->w_hh_n);
            pack_bias_n(m, w, p->n_gemm.nr, p->n_panels, pu->bias_n);
        }
        if (m->proj) {
            rnnrt_panel_layout l_hr = proj_layout(m, p);
            rnnrt_matrix w_hr = rnnrt_model_matrix(m, u, RNNRT_W_HR);
            pack_matrix(&w_hr, m->proj, &l_hr, p->dtype, round_as, row, pu->w_hr, pu->s_hr);
        }
    }
    const rnnrt_stack *st = m->stack;
    if (st && st->head) {
        /* The head stays float32 in every weight type: it runs once per output, not per
         * gate and step, and its GEMM is the stand-alone one of gemm.h. */
        p->head = rnnrt_gemm_b_alloc(k, st->head, m->directions * m->h_size);
        if (p->head) {
            rnnrt_panel_layout l = head_layout(p->head);
            rnnrt_matrix src = head_matrix(m);
            pack_matrix(&src, st->head, &l, RNNRT_WEIGHTS_F32, RNNRT_WEIGHTS_F32, row,
                        p->head->packed, NULL);
        }
        if (!p->head || rnnrt_gemm_b_set_bias(p->head, st->head_b)) {
            rnnrt_free(row);
            rnnrt_packing_free(p);
            rnnrt_fail(RNNRT_E_NOMEM, "out of memory packing the head");
            return NULL;
        }
    }
    rnnrt_free(row);
    return p;
}

void rnnrt_packing_free(rnnrt_packing *p)
{
    if (!p)
        return;
    rnnrt_gemm_b_free(p->head);
    rnnrt_free(p->arena);
    rnnrt_free(p->unit);
    rnnrt_free(p);
}

/* The model is immutable to its users; its cache of packings is the one thing that changes,
 * under a mutex. Normally the active set's packing is made at load, so this only locks. */
static const rnnrt_packing *find_packing(rnnrt_model *m, const rnnrt_kernels *k)
{
    for (int i = 0; i < RNNRT_MAX_PACKINGS; i++) {
        rnnrt_packing *p = __atomic_load_n(&m->packings[i], __ATOMIC_ACQUIRE);
        if (p && p->kernels == k)
            return p;
    }
    return NULL;
}

/* Every forward call asks for its packing, so the lookup takes no lock: slots are written
 * once (release) and read with acquire. The mutex only serialises making a new one. */
const rnnrt_packing *rnnrt_model_packing(const rnnrt_model *m, const rnnrt_kernels *k)
{
    rnnrt_model *mm = (rnnrt_model *)m;
    const rnnrt_packing *found = find_packing(mm, k);
    if (found)
        return found;
    pthread_mutex_lock(&mm->pack_lock);
    found = find_packing(mm, k);
    for (int i = 0; i < RNNRT_MAX_PACKINGS && !found; i++)
        if (!mm->packings[i]) {
            rnnrt_packing *p = rnnrt_pack(m, k);
            __atomic_store_n(&mm->packings[i], p, __ATOMIC_RELEASE);
            found = p;
            break; /* one attempt: a failure is out of memory, not a full slot */
        }
    pthread_mutex_unlock(&mm->pack_lock);
    return found;
}
