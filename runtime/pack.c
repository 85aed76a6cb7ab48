#include "pack.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "gemm.h"
#include "stack.h"

/* Panels start on 64-byte boundaries: the microkernels' aligned loads rely on it. */
#define ALIGN_FLOATS 16

static size_t round_up(size_t n, size_t to)
{
    return (n + to - 1) / to * to;
}

void rnnrt_matrix_row(const rnnrt_matrix *src, int r, int K, float *dst)
{
    if (src->tensor) {
        for (int k = 0; k < K; k++)
            dst[k] = rnnrt_st_float(src->tensor, (uint64_t)r * K + k);
        return;
    }
    if (src->packed_n && r >= src->split) {
        for (int k = 0; k < K; k++)
            dst[k] = src->packed_n[rnnrt_panel_index(&src->layout_n, r - src->split, k)];
        return;
    }
    for (int k = 0; k < K; k++)
        dst[k] = src->packed[rnnrt_panel_index(&src->layout, r, k)];
}

/* Rows [r0, r0 + rows) x K of src into zeroed panels of layout l, as its rows 0, 1, ...;
 * `row` is scratch for K floats. */
static void pack_rows(const rnnrt_matrix *src, int r0, int rows, const rnnrt_panel_layout *l,
                      float *row, float *dst)
{
    for (int r = 0; r < rows; r++) {
        rnnrt_matrix_row(src, r0 + r, l->K, row);
        for (int k = 0; k < l->K; k++)
            dst[rnnrt_panel_index(l, r, k)] = row[k];
    }
}

static void pack_matrix(const rnnrt_matrix *src, int rows, const rnnrt_panel_layout *l,
                        float *row, float *dst)
{
    pack_rows(src, 0, rows, l, row, dst);
}

/* Gate blocks in a gate panel: gru_reset_before keeps only r and z there. */
static int panel_gates(const rnnrt_model *m)
{
    return m->cell == RNNRT_CELL_GRU_RESET_BEFORE ? 2 : m->gates;
}

static rnnrt_panel_layout gate_layout(const rnnrt_model *m, const rnnrt_packing *p, int K)
{
    return (rnnrt_panel_layout){.K = K, .G = panel_gates(m), .H = m->hidden, .U = p->units};
}

static rnnrt_panel_layout n_layout(const rnnrt_model *m, const rnnrt_packing *p, int K)
{
    return (rnnrt_panel_layout){.K = K, .G = 1, .H = m->hidden, .U = p->n_gemm.nr};
}

static rnnrt_panel_layout proj_layout(const rnnrt_model *m, const rnnrt_packing *p)
{
    return (rnnrt_panel_layout){.K = m->hidden, .G = 1, .H = m->proj, .U = p->proj_gemm.nr};
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
    if (t)
        return (rnnrt_matrix){.tensor = t};
    const rnnrt_packing *p = m->packings[0];
    const rnnrt_packed_unit *pu = &p->unit[unit];
    const int split = 2 * m->hidden; /* gru_reset_before: where its n block starts */
    switch (kind) {
    case RNNRT_W_IH:
        return (rnnrt_matrix){.packed = pu->w_ih, .layout = gate_layout(m, p, w->in_size),
                              .packed_n = pu->w_ih_n, .layout_n = n_layout(m, p, w->in_size),
                              .split = split};
    case RNNRT_W_HH:
        return (rnnrt_matrix){.packed = pu->w_hh, .layout = gate_layout(m, p, m->h_size),
                              .packed_n = pu->w_hh_n, .layout_n = n_layout(m, p, m->h_size),
                              .split = split};
    case RNNRT_W_HR:
        break;
    }
    return (rnnrt_matrix){.packed = pu->w_hr, .layout = proj_layout(m, p)};
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
static void plan_reset_before(const rnnrt_kernels *k, rnnrt_packing *p)
{
    p->gemm = k->gemm4;
    p->units = k->gemm4.nr / 2;
    p->n_gemm = k->gemm_proj;
    p->n_kc = rnnrt_gemm_kc(&p->n_gemm);
}

/* gru_reset_before's n block of unit u, into the arena from `next`; returns the arena's
 * next free float. */
static float *pack_n_block(const rnnrt_model *m, rnnrt_packing *p, int u,
                           const rnnrt_matrix *w_ih, const rnnrt_matrix *w_hh, float *row,
                           float *next)
{
    const rnnrt_layer_weights *w = &m->w[u];
    rnnrt_packed_unit *pu = &p->unit[u];
    const size_t n_cols = (size_t)p->n_panels * p->n_gemm.nr;
    rnnrt_panel_layout l_ih = n_layout(m, p, w->in_size), l_hh = n_layout(m, p, m->h_size);
    pu->w_ih_n = next;
    pu->w_hh_n = pu->w_ih_n + round_up(n_cols * w->in_size, ALIGN_FLOATS);
    pu->bias_n = pu->w_hh_n + round_up(n_cols * m->h_size, ALIGN_FLOATS);
    pack_rows(w_ih, 2 * m->hidden, m->hidden, &l_ih, row, pu->w_ih_n);
    pack_rows(w_hh, 2 * m->hidden, m->hidden, &l_hh, row, pu->w_hh_n);
    pack_bias_n(m, w, p->n_gemm.nr, p->n_panels, pu->bias_n);
    return pu->bias_n + round_up(n_cols, ALIGN_FLOATS);
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
    p->gemm = m->gates == 4 ? k->gemm4 : k->gemm3;
    p->proj_gemm = k->gemm_proj;
    p->units = k->units;
    if (m->gates == 1) {
        /* One gate block: a panel's nr columns are nr units. The gate tiles' nr is G * units
         * (32 = 4 x 8 on AVX2), so one gate would use 8 of them; the plain-column tile of
         * the projection (nr 16 on AVX2, 64 on AVX-512) fills its whole width instead. */
        p->gemm = k->gemm_proj;
        p->units = k->gemm_proj.nr;
    }
    bool reset_before = m->cell == RNNRT_CELL_GRU_RESET_BEFORE;
    if (reset_before)
        plan_reset_before(k, p);
    p->nr = p->gemm.nr;
    p->panels = (m->hidden + p->units - 1) / p->units;
    p->n_panels = reset_before ? (m->hidden + p->n_gemm.nr - 1) / p->n_gemm.nr : 0;
    p->proj_panels = m->proj ? (m->proj + p->proj_gemm.nr - 1) / p->proj_gemm.nr : 0;
    p->kc = rnnrt_gemm_kc(&p->gemm);
    p->proj_kc = rnnrt_gemm_kc(&p->proj_gemm);
    if ((m->gates == 4 || reset_before) && k->gemm4_tall.fn) {
        p->gemm_tall = k->gemm4_tall;
        p->tall_kc = rnnrt_gemm_kc(&p->gemm_tall);
    }

    size_t total = 0, panel_cols = (size_t)p->panels * p->nr;
    size_t n_cols = (size_t)p->n_panels * p->n_gemm.nr;
    for (int u = 0; u < units; u++) {
        const rnnrt_layer_weights *w = &m->w[u];
        total += round_up(panel_cols * w->in_size, ALIGN_FLOATS);
        total += round_up(panel_cols * m->h_size, ALIGN_FLOATS);
        total += round_up(panel_cols, ALIGN_FLOATS);
        total += round_up(n_cols * w->in_size, ALIGN_FLOATS) +
                 round_up(n_cols * m->h_size, ALIGN_FLOATS) + round_up(n_cols, ALIGN_FLOATS);
        total += round_up((size_t)p->proj_panels * p->proj_gemm.nr * m->hidden, ALIGN_FLOATS);
    }
    int widest = m->input_size > m->hidden ? m->input_size : m->hidden;
    widest = widest > m->directions * m->h_size ? widest : m->directions * m->h_size;
    float *row = rnnrt_malloc((size_t)widest * sizeof *row);
    p->arena = rnnrt_aligned_alloc(64, total * sizeof(float));
    if (!p->arena || !row) {
        rnnrt_free(row);
        rnnrt_packing_free(p);
        rnnrt_fail(RNNRT_E_NOMEM, "out of memory packing %zu weights", total);
        return NULL;
    }
    memset(p->arena, 0, total * sizeof(float)); /* the panels' padding */
    float *next = p->arena;
    for (int u = 0; u < units; u++) {
        const rnnrt_layer_weights *w = &m->w[u];
        rnnrt_packed_unit *pu = &p->unit[u];
        pu->w_ih = next;
        next += round_up(panel_cols * w->in_size, ALIGN_FLOATS);
        pu->w_hh = next;
        next += round_up(panel_cols * m->h_size, ALIGN_FLOATS);
        pu->bias = next;
        next += round_up(panel_cols, ALIGN_FLOATS);
        const int G = panel_gates(m), H = m->hidden;
        rnnrt_panel_layout l_ih = gate_layout(m, p, w->in_size), l_hh = gate_layout(m, p, m->h_size);
        rnnrt_matrix w_ih = rnnrt_model_matrix(m, u, RNNRT_W_IH);
        rnnrt_matrix w_hh = rnnrt_model_matrix(m, u, RNNRT_W_HH);
        pack_matrix(&w_ih, G * H, &l_ih, row, pu->w_ih);
        pack_matrix(&w_hh, G * H, &l_hh, row, pu->w_hh);
        pack_bias(m, w, p->units, p->panels, pu->bias);
        if (reset_before)
            next = pack_n_block(m, p, u, &w_ih, &w_hh, row, next);
        if (m->proj) {
            pu->w_hr = next;
            next += round_up((size_t)p->proj_panels * p->proj_gemm.nr * m->hidden, ALIGN_FLOATS);
            rnnrt_panel_layout l_hr = proj_layout(m, p);
            rnnrt_matrix w_hr = rnnrt_model_matrix(m, u, RNNRT_W_HR);
            pack_matrix(&w_hr, m->proj, &l_hr, row, pu->w_hr);
        }
    }
    const rnnrt_stack *st = m->stack;
    if (st && st->head) {
        p->head = rnnrt_gemm_b_alloc(k, st->head, m->directions * m->h_size);
        if (p->head) {
            rnnrt_panel_layout l = head_layout(p->head);
            rnnrt_matrix src = head_matrix(m);
            pack_matrix(&src, st->head, &l, row, p->head->packed);
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
