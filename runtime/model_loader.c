/* From a safetensors file to a model: find the recurrent tensors (a PyTorch nn.LSTM/GRU/RNN
 * state_dict under any prefix), infer the architecture, check every shape against it, then
 * convert the weights to float32. Nothing is allocated for weights until all checks pass. */
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "checked.h"
#include "error.h"
#include "dispatch.h"
#include "model.h"
#include "model_metadata.h"
#include "pack.h"
#include "safetensors.h"
#include "stack.h"

/* The tensors of one layer and direction; S_* are the float32 row scales of an I8 matrix,
 * named after it: weight_ih_l0_scale, weight_hh_l1_reverse_scale (docs/model-format.md). */
enum tensor_kind { W_IH, W_HH, B_IH, B_HH, W_HR, P_I, P_F, P_O, S_IH, S_HH, S_HR, KINDS };
enum { NAMED_KINDS = S_IH }; /* kinds with a name of their own; scales add "_scale" */
static const char *const kind_names[KINDS] = {
    "weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr",
    "weight_ci", "weight_cf", "weight_co", "weight_ih", "weight_hh", "weight_hr",
};

static int scale_kind(int matrix_kind)
{
    return matrix_kind == W_IH ? S_IH : matrix_kind == W_HH ? S_HH : S_HR;
}

static bool is_scale(int kind)
{
    return kind >= S_IH;
}

typedef struct loader {
    const rnnrt_st_file *file;
    const char *prefix;
    size_t prefix_len;
    int layers, directions;
    const rnnrt_st_tensor **found; /* [layers][directions][KINDS] */
} loader;

static const rnnrt_st_tensor **slot(loader *ld, int layer, int dir, int kind)
{
    return &ld->found[((size_t)layer * ld->directions + dir) * KINDS + kind];
}

/* --- Finding the tensors ------------------------------------------------------------- */

static rnnrt_status find_prefix(loader *ld)
{
    static const char key[] = "weight_ih_l0";
    const char *forced = rnnrt_st_metadata(ld->file, "rnnrt.prefix");
    const char *found = NULL;
    size_t found_len = 0;
    for (size_t k = 0; k < ld->file->count; k++) {
        const char *name = ld->file->tensors[k].name;
        size_t len = strlen(name);
        if (len < sizeof key - 1 || strcmp(name + len - (sizeof key - 1), key))
            continue;
        size_t plen = len - (sizeof key - 1);
        if (forced && (strlen(forced) != plen || strncmp(name, forced, plen)))
            continue;
        if (found && (found_len != plen || strncmp(found, name, plen)))
            return rnnrt_fail(RNNRT_E_FORMAT,
                              "ambiguous model: both '%s' and '%s' hold a recurrent layer; set "
                              "the metadata key rnnrt.prefix to the one to load",
                              found, name);
        found = name;
        found_len = plen;
    }
    if (!found)
        return forced ? rnnrt_fail(RNNRT_E_FORMAT,
                                   "metadata rnnrt.prefix='%.64s' but no tensor '%.64sweight_ih_l0'"
                                   " exists", forced, forced)
                      : rnnrt_fail(RNNRT_E_FORMAT,
                                   "no recurrent layer found: no tensor named weight_ih_l0 "
                                   "(under any prefix)");
    ld->prefix = found;
    ld->prefix_len = found_len;
    return RNNRT_OK;
}

/* "weight_hh_l12_reverse" -> kind W_HH, layer 12, reverse 1; "weight_ih_l0_scale" -> S_IH,
 * layer 0, reverse 0. Returns 0 if not such a name. */
static int parse_suffix(const char *s, int *kind, int *layer, int *reverse)
{
    for (int k = 0; k < NAMED_KINDS; k++) {
        size_t n = strlen(kind_names[k]);
        if (strncmp(s, kind_names[k], n) || strncmp(s + n, "_l", 2))
            continue;
        const char *p = s + n + 2;
        if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
            return 0;
        long v = 0;
        while (*p >= '0' && *p <= '9' && v < RNNRT_MAX_LAYERS)
            v = v * 10 + (*p++ - '0');
        if (v >= RNNRT_MAX_LAYERS)
            return 0;
        *reverse = !strncmp(p, "_reverse", 8);
        if (*reverse)
            p += 8;
        bool scale = (k == W_IH || k == W_HH || k == W_HR) && !strcmp(p, "_scale");
        if (*p && !scale)
            return 0;
        *kind = scale ? scale_kind(k) : k;
        *layer = (int)v;
        return 1;
    }
    return 0;
}

/* A tensor belongs to the recurrent stack if it starts with the prefix and the rest has no
 * '.', so "fc.weight" next to "weight_ih_l0" is another module's and is ignored. */
static const char *own_suffix(const loader *ld, const char *name)
{
    if (strncmp(name, ld->prefix, ld->prefix_len))
        return NULL;
    const char *rest = name + ld->prefix_len;
    return strchr(rest, '.') ? NULL : rest;
}

/* Orders prefix + suffix against a tensor name as strcmp() orders whole names, so the
 * tensors sorted by name can be searched without building the name (prefixes have no
 * length limit). */
typedef struct split_name {
    const char *prefix;
    size_t prefix_len;
    const char *suffix;
} split_name;

static int split_name_cmp(const void *key, const void *elem)
{
    const split_name *k = key;
    const char *name = ((const rnnrt_st_tensor *)elem)->name;
    int c = strncmp(k->prefix, name, k->prefix_len);
    return c ? c : strcmp(k->suffix, name + k->prefix_len);
}

/* The layers are the run weight_ih_l0, weight_ih_l1, ... of the forward direction; any
 * tensor past that run is reported by name rather than as a missing layer. */
static int count_layers(const loader *ld)
{
    char suffix[32];
    split_name key = {ld->prefix, ld->prefix_len, suffix};
    int layers = 0;
    while (layers < RNNRT_MAX_LAYERS) {
        snprintf(suffix, sizeof suffix, "weight_ih_l%d", layers);
        if (!bsearch(&key, ld->file->tensors, ld->file->count, sizeof *ld->file->tensors,
                     split_name_cmp))
            break;
        layers++;
    }
    return layers;
}

static rnnrt_status collect_tensors(loader *ld)
{
    int kind, layer, reverse, any_reverse = 0;
    ld->layers = count_layers(ld);
    for (size_t k = 0; k < ld->file->count; k++) {
        const char *name = ld->file->tensors[k].name;
        const char *rest = own_suffix(ld, name);
        if (!rest)
            continue;
        if (!parse_suffix(rest, &kind, &layer, &reverse))
            return rnnrt_fail(RNNRT_E_FORMAT,
                              "unexpected tensor '%s' next to the recurrent layers (expected "
                              "weight_ih/weight_hh/bias_ih/bias_hh/weight_hr/weight_c{i,f,o}"
                              "_l<k>[_reverse], or weight_{ih,hh,hr}_l<k>[_reverse]_scale)",
                              name);
        if (layer >= ld->layers)
            return rnnrt_fail(RNNRT_E_FORMAT,
                              "unexpected tensor '%s': the model has %d layer(s), from "
                              "weight_ih_l0 to weight_ih_l%d", name, ld->layers, ld->layers - 1);
        any_reverse |= reverse;
    }
    ld->directions = any_reverse ? 2 : 1;
    ld->found = rnnrt_calloc((size_t)ld->layers * ld->directions * KINDS, sizeof *ld->found);
    if (!ld->found)
        return rnnrt_fail(RNNRT_E_NOMEM, "out of memory indexing the tensors");
    for (size_t k = 0; k < ld->file->count; k++) {
        const char *rest = own_suffix(ld, ld->file->tensors[k].name);
        if (rest && parse_suffix(rest, &kind, &layer, &reverse))
            *slot(ld, layer, reverse, kind) = &ld->file->tensors[k];
    }
    return RNNRT_OK;
}

/* --- Checking the architecture ------------------------------------------------------- */

static rnnrt_status missing(const loader *ld, int kind, int layer, int dir)
{
    return rnnrt_fail(RNNRT_E_FORMAT, "missing tensor '%.*s%s_l%d%s%s'%s", (int)ld->prefix_len,
                      ld->prefix, kind_names[kind], layer, dir ? "_reverse" : "",
                      is_scale(kind) ? "_scale" : "",
                      is_scale(kind) ? ": an I8 matrix needs its float32 row scales" : "");
}

static rnnrt_status unexpected(const rnnrt_st_tensor *t, const char *why)
{
    return rnnrt_fail(RNNRT_E_FORMAT, "unexpected tensor '%s': %s", t->name, why);
}

static rnnrt_status check_dim(const rnnrt_st_tensor *t, int axis, uint64_t v)
{
    if (v < 1 || v > RNNRT_MAX_DIM)
        return rnnrt_fail(RNNRT_E_FORMAT, "tensor '%s': dimension %d is %llu, outside [1, %d]",
                          t->name, axis, (unsigned long long)v, RNNRT_MAX_DIM);
    return RNNRT_OK;
}

static rnnrt_status expect_shape(const rnnrt_st_tensor *t, int ndim, uint64_t d0, uint64_t d1)
{
    if (t->ndim == ndim && t->shape[0] == d0 && (ndim == 1 || t->shape[1] == d1))
        return RNNRT_OK;
    char got[96], want[48];
    rnnrt_st_shape_string(t, got, sizeof got);
    if (ndim == 1)
        snprintf(want, sizeof want, "[%llu]", (unsigned long long)d0);
    else
        snprintf(want, sizeof want, "[%llu, %llu]", (unsigned long long)d0,
                 (unsigned long long)d1);
    return rnnrt_fail(RNNRT_E_FORMAT, "tensor '%s' has shape %s, expected %s", t->name, got,
                      want);
}

static rnnrt_status parse_cell(const rnnrt_st_file *f, int *declared, rnnrt_cell *cell)
{
    static const struct { const char *name; rnnrt_cell cell; } cells[] = {
        {"lstm", RNNRT_CELL_LSTM}, {"gru", RNNRT_CELL_GRU},
        {"lstm_peephole", RNNRT_CELL_LSTM_PEEPHOLE}, {"lstm_coupled", RNNRT_CELL_LSTM_COUPLED},
        {"rnn_tanh", RNNRT_CELL_RNN_TANH}, {"rnn_relu", RNNRT_CELL_RNN_RELU},
        {"gru_reset_before", RNNRT_CELL_GRU_RESET_BEFORE},
    };
    const char *v = rnnrt_st_metadata(f, "rnnrt.cell");
    *declared = v != NULL;
    if (!v)
        return RNNRT_OK;
    for (size_t k = 0; k < sizeof cells / sizeof cells[0]; k++)
        if (!strcmp(v, cells[k].name)) {
            *cell = cells[k].cell;
            return RNNRT_OK;
        }
    return rnnrt_fail(RNNRT_E_FORMAT,
                      "metadata rnnrt.cell='%.32s' is not one of lstm, gru, lstm_peephole, "
                      "lstm_coupled, rnn_tanh, rnn_relu, gru_reset_before", v);
}

/* Hidden and projection sizes and the cell, from layer 0's forward tensors. */
static rnnrt_status infer_architecture(const loader *ld, rnnrt_model *m)
{
    const rnnrt_st_tensor *w_ih = *slot((loader *)ld, 0, 0, W_IH);
    const rnnrt_st_tensor *w_hh = *slot((loader *)ld, 0, 0, W_HH);
    const rnnrt_st_tensor *w_hr = *slot((loader *)ld, 0, 0, W_HR);
    rnnrt_status s;
    int declared;
    if (!w_hh)
        return missing(ld, W_HH, 0, 0);
    if (w_ih->ndim != 2)
        return rnnrt_fail(RNNRT_E_FORMAT, "tensor '%s' must be 2-D, has %d dimensions",
                          w_ih->name, w_ih->ndim);
    if (w_hh->ndim != 2)
        return rnnrt_fail(RNNRT_E_FORMAT, "tensor '%s' must be 2-D, has %d dimensions",
                          w_hh->name, w_hh->ndim);
    if ((s = check_dim(w_ih, 1, w_ih->shape[1])) || (s = check_dim(w_hh, 1, w_hh->shape[1])))
        return s;
    m->input_size = (int)w_ih->shape[1];
    m->hidden = (int)w_hh->shape[1];
    m->proj = 0;
    if (w_hr) {
        if (w_hr->ndim != 2)
            return rnnrt_fail(RNNRT_E_FORMAT, "tensor '%s' must be 2-D, has %d dimensions",
                              w_hr->name, w_hr->ndim);
        if ((s = check_dim(w_hr, 1, w_hr->shape[1])))
            return s;
        if (w_hr->shape[0] != w_hh->shape[1])
            return rnnrt_fail(RNNRT_E_FORMAT,
                              "tensor '%s' projects to %llu units but '%s' has %llu columns",
                              w_hr->name, (unsigned long long)w_hr->shape[0], w_hh->name,
                              (unsigned long long)w_hh->shape[1]);
        m->proj = (int)w_hr->shape[0];
        m->hidden = (int)w_hr->shape[1];
    }
    /* The gate count comes from weight_ih_l0's rows; weight_hh's are checked later. */
    if ((s = check_dim(w_ih, 0, w_ih->shape[0])))
        return s;
    uint64_t rows = w_ih->shape[0], h = (uint64_t)m->hidden;
    if ((s = parse_cell(ld->file, &declared, &m->cell)))
        return s;
    if (!declared) {
        if (rows == 4 * h)
            m->cell = RNNRT_CELL_LSTM;
        else if (rows == 3 * h && !w_hr)
            m->cell = RNNRT_CELL_GRU;
        else if (rows == h && !w_hr)
            m->cell = RNNRT_CELL_RNN_TANH; /* nn.RNN's default nonlinearity */
        else if (w_hr)
            return rnnrt_fail(RNNRT_E_FORMAT,
                              "tensor '%s' has %llu rows: expected 4*%d, an LSTM (only LSTMs "
                              "have a projection like '%s')", w_ih->name,
                              (unsigned long long)rows, m->hidden, w_hr->name);
        else
            return rnnrt_fail(RNNRT_E_FORMAT,
                              "tensor '%s' has %llu rows: expected 4*%d (LSTM), 3*%d (GRU) or "
                              "%d (RNN), hidden size %d being the width of '%s'", w_ih->name,
                              (unsigned long long)rows, m->hidden, m->hidden, m->hidden,
                              m->hidden, w_hh->name);
    }
    m->gates = m->cell == RNNRT_CELL_LSTM || m->cell == RNNRT_CELL_LSTM_PEEPHOLE ? 4
               : rnnrt_cell_is_rnn(m->cell)                                      ? 1
                                                                                 : 3;
    if ((m->cell == RNNRT_CELL_GRU || m->cell == RNNRT_CELL_GRU_RESET_BEFORE) && w_hr)
        return unexpected(w_hr, "a GRU has no projection");
    if (rnnrt_cell_is_rnn(m->cell) && w_hr)
        return unexpected(w_hr, "an RNN cell has no projection");
    if (rows != (uint64_t)m->gates * h)
        return rnnrt_fail(RNNRT_E_FORMAT, "tensor '%s' has %llu rows, expected %d*%d for the "
                          "declared cell '%s'", w_ih->name, (unsigned long long)rows, m->gates,
                          m->hidden, rnnrt_model_cell_name(m));
    m->h_size = m->proj ? m->proj : m->hidden;
    m->layers = ld->layers;
    m->directions = ld->directions;
    m->has_bias = *slot((loader *)ld, 0, 0, B_IH) != NULL;
    return RNNRT_OK;
}

/* Every tensor of one layer and direction: present exactly when the architecture needs it,
 * with the shape it implies. */
static rnnrt_status check_layer(loader *ld, const rnnrt_model *m, int layer, int dir)
{
    uint64_t gh = (uint64_t)m->gates * m->hidden, h = (uint64_t)m->hidden;
    uint64_t in = layer == 0 ? (uint64_t)m->input_size : (uint64_t)m->directions * m->h_size;
    bool peephole = m->cell == RNNRT_CELL_LSTM_PEEPHOLE;
    const rnnrt_st_tensor *w_ih = *slot(ld, layer, dir, W_IH), *w_hh = *slot(ld, layer, dir, W_HH);
    const rnnrt_st_tensor *w_hr = *slot(ld, layer, dir, W_HR);
    bool needed[KINDS] = {true, true, m->has_bias, m->has_bias, m->proj > 0,
                          peephole, peephole, peephole, w_ih && w_ih->dtype == RNNRT_ST_I8,
                          w_hh && w_hh->dtype == RNNRT_ST_I8, w_hr && w_hr->dtype == RNNRT_ST_I8};
    const uint64_t shape[KINDS][2] = {{gh, in}, {gh, (uint64_t)m->h_size}, {gh, 0}, {gh, 0},
                                      {(uint64_t)m->proj, h}, {h, 0}, {h, 0}, {h, 0},
                                      {gh, 0}, {gh, 0}, {(uint64_t)m->proj, 0}};
    const int ndim[KINDS] = {2, 2, 1, 1, 2, 1, 1, 1, 1, 1, 1};
    for (int k = 0; k < KINDS; k++) {
        const rnnrt_st_tensor *t = *slot(ld, layer, dir, k);
        if (!t && needed[k])
            return missing(ld, k, layer, dir);
        if (t && !needed[k])
            return unexpected(t, k == B_IH || k == B_HH
                                     ? "layer 0 has no biases, so no layer may have them"
                                 : k == W_HR ? "layer 0 has no projection (weight_hr_l0)"
                                 : is_scale(k) ? "row scales belong to an I8 matrix, and "
                                                 "this one's matrix is missing or not I8"
                                               : "peephole weights need rnnrt.cell=lstm_peephole");
        rnnrt_status s;
        if (t && (s = expect_shape(t, ndim[k], shape[k][0], shape[k][1])))
            return s;
        bool int8_matrix = (k == W_IH || k == W_HH || k == W_HR) && t && t->dtype == RNNRT_ST_I8;
        if (t && is_scale(k) && t->dtype != RNNRT_ST_F32)
            return rnnrt_fail(RNNRT_E_FORMAT, "tensor '%s' has dtype %s; row scales are F32",
                              t->name, rnnrt_st_dtype_name(t->dtype));
        if (t && !is_scale(k) && !int8_matrix && !rnnrt_st_is_float(t))
            return rnnrt_fail(RNNRT_E_UNSUPPORTED,
                              "tensor '%s' has dtype %s; rnnrt reads F32, F16 and BF16 (and I8 "
                              "for the weight matrices, with row scales)",
                              t->name, rnnrt_st_dtype_name(t->dtype));
        for (uint64_t i = 0; t && is_scale(k) && i < t->count; i++) {
            float v = rnnrt_st_float(t, i);
            if (!(v > 0.0f && isfinite(v)))
                return rnnrt_fail(RNNRT_E_FORMAT,
                                  "tensor '%s': row scale %llu is %g; scales must be finite and "
                                  "> 0", t->name, (unsigned long long)i, (double)v);
        }
    }
    return RNNRT_OK;
}

/* --- Converting ---------------------------------------------------------------------- */

static void convert(const rnnrt_st_tensor *t, float *dst)
{
    for (uint64_t k = 0; k < t->count; k++)
        dst[k] = rnnrt_st_float(t, k);
}

static bool is_matrix(int kind)
{
    return kind == W_IH || kind == W_HH || kind == W_HR;
}

/* One arena for the vectors (biases, peepholes); bias-free models get zero biases so the
 * forward pass has a single path. The matrices stay in the file until they are packed.
 * Every tensor's bytes are in the file, so the total cannot really be large; it is summed
 * so that it cannot wrap all the same, and refused if the arena would not fit the address
 * space. */
static rnnrt_status build_weights(loader *ld, rnnrt_model *m)
{
    size_t gh = (size_t)m->gates * m->hidden;
    uint64_t sum = 0;
    int units = m->layers * m->directions;
    for (int u = 0; u < units; u++) {
        for (int k = 0; k < KINDS; k++) {
            const rnnrt_st_tensor *t = ld->found[(size_t)u * KINDS + k];
            sum = rnnrt_add_sat(sum, t && !is_matrix(k) && !is_scale(k) ? t->count : 0);
        }
        sum = rnnrt_add_sat(sum, m->has_bias ? 0 : 2 * (uint64_t)gh);
    }
    if (sum > SIZE_MAX / sizeof *m->arena)
        return rnnrt_fail(RNNRT_E_NOMEM, "the model's %llu weights do not fit in memory",
                          (unsigned long long)sum);
    size_t total = (size_t)sum;
    m->w = rnnrt_calloc((size_t)units, sizeof *m->w);
    m->arena = rnnrt_calloc(total ? total : 1, sizeof *m->arena);
    if (!m->w || !m->arena)
        return rnnrt_fail(RNNRT_E_NOMEM, "out of memory for %zu weights", total);
    float *next = m->arena;
    for (int u = 0; u < units; u++) {
        const float *arrays[KINDS] = {0};
        for (int k = 0; k < KINDS; k++) {
            const rnnrt_st_tensor *t = ld->found[(size_t)u * KINDS + k];
            if (t && !is_matrix(k) && !is_scale(k)) {
                convert(t, next);
                arrays[k] = next;
                next += t->count;
            } else if (!t && (k == B_IH || k == B_HH)) {
                arrays[k] = next; /* zeros from calloc */
                next += gh;
            }
        }
        rnnrt_layer_weights *w = &m->w[u];
        w->in_size = u / m->directions == 0 ? m->input_size : m->directions * m->h_size;
        w->src_ih = ld->found[(size_t)u * KINDS + W_IH];
        w->src_hh = ld->found[(size_t)u * KINDS + W_HH];
        w->src_hr = ld->found[(size_t)u * KINDS + W_HR];
        w->scale_ih = ld->found[(size_t)u * KINDS + S_IH];
        w->scale_hh = ld->found[(size_t)u * KINDS + S_HH];
        w->scale_hr = ld->found[(size_t)u * KINDS + S_HR];
        w->b_ih = arrays[B_IH];
        w->b_hh = arrays[B_HH];
        w->p_i = arrays[P_I];
        w->p_f = arrays[P_F];
        w->p_o = arrays[P_O];
    }
    return RNNRT_OK;
}

/* int8 weights are scaled by each row's largest magnitude, which must be finite: a NaN or
 * infinite weight would turn its whole row into NaN. bf16 keeps them as f32 does. */
static rnnrt_status check_int8_weights(const rnnrt_model *m)
{
    if (m->options.weights != RNNRT_WEIGHTS_INT8)
        return RNNRT_OK;
    /* int8 activations sum K products of 127 x 127 in int32 (kernels.h) */
    const int widest_k = rnnrt_model_widest_input(m);
    if (m->options.activations == RNNRT_ACTIVATIONS_INT8 && widest_k > RNNRT_INT8DOT_MAX_K)
        return rnnrt_fail(RNNRT_E_UNSUPPORTED,
                          "activations \"int8\" support GEMM inputs of at most %d values "
                          "(exact int32 sums); this model has %d", RNNRT_INT8DOT_MAX_K, widest_k);
    for (int u = 0; u < m->layers * m->directions; u++) {
        const rnnrt_st_tensor *ts[] = {m->w[u].src_ih, m->w[u].src_hh, m->w[u].src_hr};
        for (int k = 0; k < 3; k++) /* an I8 matrix is finite, its scales checked */
            for (uint64_t i = 0; ts[k] && ts[k]->dtype != RNNRT_ST_I8 && i < ts[k]->count; i++) {
                float v = rnnrt_st_float(ts[k], i);
                if (!isfinite(v))
                    return rnnrt_fail(RNNRT_E_UNSUPPORTED,
                                      "weights \"int8\" need finite weights: '%s' holds %g at "
                                      "element %llu", ts[k]->name, (double)v,
                                      (unsigned long long)i);
            }
    }
    return RNNRT_OK;
}

/* OpenMP creates its threads at the first parallel region of a calling thread: doing that
 * here keeps the clone and stack-mapping system calls out of the first forward call. */
static void start_threads(int threads)
{
    atomic_int started = 0; /* a body, or the compiler drops the empty region */
    if (threads > 1) {
#pragma omp parallel num_threads(threads)
        atomic_fetch_add_explicit(&started, 1, memory_order_relaxed);
    }
}

/* After the first packing the file may go: nothing may point into it. */
static void forget_file(rnnrt_model *m)
{
    for (int u = 0; m->w && u < m->layers * m->directions; u++) {
        rnnrt_layer_weights *w = &m->w[u];
        w->src_ih = w->src_hh = w->src_hr = NULL;
        w->scale_ih = w->scale_hh = w->scale_hr = NULL;
    }
    if (m->stack)
        m->stack->head_src = NULL;
}

static rnnrt_status model_from_file(const rnnrt_st_file *file, const rnnrt_options *o,
                                    rnnrt_model **out)
{
    loader ld = {.file = file};
    rnnrt_model *m = rnnrt_calloc(1, sizeof *m);
    rnnrt_status s = m ? RNNRT_OK : rnnrt_fail(RNNRT_E_NOMEM, "out of memory for the model");
    if (m) {
        pthread_mutex_init(&m->pack_lock, NULL);
        m->options = *o;
    }
    if (!s)
        s = find_prefix(&ld);
    if (!s)
        s = collect_tensors(&ld);
    if (!s)
        s = infer_architecture(&ld, m);
    if (!s)
        s = rnnrt_model_parse_run_keys(file, m);
    for (int layer = 0; !s && layer < m->layers; layer++)
        for (int dir = 0; !s && dir < m->directions; dir++)
            s = check_layer(&ld, m, layer, dir);
    if (!s)
        s = build_weights(&ld, m);
    if (!s)
        s = rnnrt_model_parse_functions(file, m);
    if (!s)
        s = check_int8_weights(m);
    if (!s)
        s = rnnrt_stack_load(file, ld.prefix, ld.prefix_len, m);
    /* Packed once here for the kernel set in force, so forward passes only read it. */
    if (!s && !rnnrt_model_packing(m, rnnrt_model_kernels(m)))
        s = RNNRT_E_NOMEM;
    if (m)
        forget_file(m);
    if (!s) /* as many as a pass of this model can use: one per gate panel at most */
        start_threads(rnnrt_model_thread_count(m) < m->packings[0]->panels
                          ? rnnrt_model_thread_count(m) : m->packings[0]->panels);
    rnnrt_free(ld.found);
    if (s) {
        rnnrt_model_free(m);
        return s;
    }
    *out = m;
    return RNNRT_OK;
}

/* The container, then the model; the model keeps no pointer into `data`. */
static rnnrt_status model_from_bytes(const void *data, size_t size, const rnnrt_options *o,
                                     rnnrt_model **out)
{
    rnnrt_st_file file;
    rnnrt_status s = rnnrt_st_parse(data, size, &file);
    if (s)
        return s;
    s = model_from_file(&file, o, out);
    rnnrt_st_free(&file);
    return s;
}

static rnnrt_status load_memory(const char *fn, const void *data, size_t size,
                                const rnnrt_options *o, rnnrt_model **out)
{
    rnnrt_clear_error();
    if (!out)
        return rnnrt_fail(RNNRT_E_INVALID, "%s: out is NULL", fn);
    if (!data)
        return rnnrt_fail(RNNRT_E_INVALID, "%s: data is NULL", fn);
    if (size == 0)
        return rnnrt_fail(RNNRT_E_INVALID, "%s: size is 0", fn);
    rnnrt_status s = rnnrt_options_check_load(fn, o);
    return s ? s : model_from_bytes(data, size, o, out);
}

rnnrt_status rnnrt_model_load_memory(const void *data, size_t size, rnnrt_model **out)
{
    return load_memory("rnnrt_model_load_memory", data, size, &rnnrt_default_options, out);
}

rnnrt_status rnnrt_model_load_memory_ex(const void *data, size_t size, const rnnrt_options *o,
                                        rnnrt_model **out)
{
    return load_memory("rnnrt_model_load_memory_ex", data, size,
                       o ? o : &rnnrt_default_options, out);
}

/* Maps the file read-only: its pages are read once, by the packing, and given back when it
 * is unmapped, so loading never holds a heap copy of the file. (Like every reader that maps
 * files, a file truncated by another process during the load ends it with SIGBUS.) */
static rnnrt_status map_file(const char *path, void **data, size_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rnnrt_fail(RNNRT_E_IO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    rnnrt_status s = RNNRT_OK;
    if (fstat(fd, &st) != 0)
        s = rnnrt_fail(RNNRT_E_IO, "cannot stat '%s': %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        s = rnnrt_fail(RNNRT_E_IO, "'%s' is not a regular file", path);
    else if (st.st_size == 0)
        s = rnnrt_fail(RNNRT_E_FORMAT, "'%s' is empty: no safetensors header", path);
    else if ((uint64_t)st.st_size > SIZE_MAX)
        s = rnnrt_fail(RNNRT_E_IO, "'%s' is too large to map", path);
    void *p = MAP_FAILED;
    if (!s && (p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED)
        s = rnnrt_fail(errno == ENOMEM ? RNNRT_E_NOMEM : RNNRT_E_IO, "cannot map '%s': %s", path,
                       strerror(errno));
    close(fd);
    if (s)
        return s;
    *data = p;
    *size = (size_t)st.st_size;
    return RNNRT_OK;
}

static rnnrt_status load_path(const char *fn, const char *path, const rnnrt_options *o,
                              rnnrt_model **out)
{
    rnnrt_clear_error();
    if (!out)
        return rnnrt_fail(RNNRT_E_INVALID, "%s: out is NULL", fn);
    if (!path)
        return rnnrt_fail(RNNRT_E_INVALID, "%s: path is NULL", fn);
    rnnrt_status s = rnnrt_options_check_load(fn, o);
    if (s)
        return s;
    void *data = NULL;
    size_t size = 0;
    if ((s = map_file(path, &data, &size)))
        return s;
    s = model_from_bytes(data, size, o, out);
    munmap(data, size);
    return s;
}

rnnrt_status rnnrt_model_load(const char *path, rnnrt_model **out)
{
    return load_path("rnnrt_model_load", path, &rnnrt_default_options, out);
}

rnnrt_status rnnrt_model_load_ex(const char *path, const rnnrt_options *o, rnnrt_model **out)
{
    return load_path("rnnrt_model_load_ex", path, o ? o : &rnnrt_default_options, out);
}
