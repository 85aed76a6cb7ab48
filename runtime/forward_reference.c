#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "forward.h"
#include "gemm.h"
#include "half.h"
#include "pack.h"
#include "provider.h"

/* Per-thread scratch for one cell step. */
typedef struct scratch {
    float *gi;    /* [gates*hidden] W_ih x + b_ih, then the summed pre-activations */
    float *gh;    /* [gates*hidden] W_hh h + b_hh */
    float *h_out; /* [hidden] o * tanh(c) before the projection */
    float *row;   /* [widest matrix row] */
    double *rz;   /* gru_reset_before: [2*hidden] r * h, then z */
    double *in;   /* [widest matrix row]: a product's input as the model multiplies it */
    int8_t *q;    /* rounded activations: [widest, rounded up to 4] int8 or bf16 */
} scratch;

/* v[0, n) as a model with rounded activations multiplies it, in s->in: rounded to int8 times
 * its scale (rnnrt_quantize_rows) or to bf16 (rnnrt_round_rows_bf16), the rules the header
 * states. */
static const double *product_input(const rnnrt_model *m, const float *v, int n,
                                   const scratch *s)
{
    if (m->options.activations == RNNRT_ACTIVATIONS_BF16) {
        uint16_t *b = (uint16_t *)(void *)s->q;
        rnnrt_round_rows_bf16(1, n, v, (size_t)n, b);
        for (int j = 0; j < n; j++)
            s->in[j] = rnnrt_bf16_to_f32(b[j]);
        return s->in;
    }
    float scale;
    rnnrt_quantize_rows(1, n, v, (size_t)n, s->q, &scale);
    for (int j = 0; j < n; j++)
        s->in[j] = (double)s->q[j] * scale;
    return s->in;
}

/* out[r] = bias[r] + sum_c w[r][c] * v[c], accumulated in double so the oracle's rounding
 * error stays far below the tolerance that fast paths are held to. The rows are read back
 * from the model's packing one at a time into s->row (cols floats). */
static void matvec(const rnnrt_model *m, int rows, int cols, const rnnrt_matrix *w,
                   const float *v, const float *bias, const scratch *s, float *out)
{
    const double *in =
        m->options.activations != RNNRT_ACTIVATIONS_F32 ? product_input(m, v, cols, s) : NULL;
    for (int r = 0; r < rows; r++) {
        rnnrt_matrix_row(w, r, cols, s->row);
        double acc = bias ? bias[r] : 0.0;
        if (in)
            for (int j = 0; j < cols; j++)
                acc += (double)s->row[j] * in[j];
        else /* the float input as it is (no copy: this loop is the oracle's cost) */
            for (int j = 0; j < cols; j++)
                acc += (double)s->row[j] * v[j];
        out[r] = (float)acc;
    }
}

/* The gate math in double from libm, on the float pre-activations: no kernel set's code is
 * used, so a bug in a gate kernel cannot hide in the oracle (STYLE.md item 4). */
static double sigmoid(double z)
{
    return 1.0 / (1.0 + exp(-z));
}

/* A gate function (ONNX's, with its parameters) on a double; NaN stays NaN. */
static double act(const rnnrt_activation *a, double z)
{
    const double al = a->alpha, be = a->beta;
    if (isnan(z))
        return z;
    switch (a->fn) {
    case RNNRT_ACT_SIGMOID: return sigmoid(z);
    case RNNRT_ACT_TANH: return tanh(z);
    case RNNRT_ACT_RELU: return z > 0.0 ? z : 0.0;
    case RNNRT_ACT_AFFINE: return al * z + be;
    case RNNRT_ACT_LEAKY_RELU: return z >= 0.0 ? z : al * z;
    case RNNRT_ACT_THRESHOLDED_RELU: return z > al ? z : 0.0;
    case RNNRT_ACT_SCALED_TANH: return al * tanh(be * z);
    case RNNRT_ACT_HARD_SIGMOID: {
        const double v = al * z + be; /* NaN for 0 * inf, which fmax would drop */
        return isnan(v) ? v : fmin(fmax(v, 0.0), 1.0);
    }
    case RNNRT_ACT_ELU: return z >= 0.0 ? z : al * expm1(z);
    case RNNRT_ACT_SOFTSIGN: return isinf(z) ? copysign(1.0, z) : z / (1.0 + fabs(z));
    case RNNRT_ACT_SOFTPLUS: return fmax(z, 0.0) + log1p(exp(-fabs(z)));
    }
    return z;
}

/* rnnrt.clip: a gate's whole pre-activation (peepholes and, for the GRU's n, the reset
 * product included) is clamped before its activation, as ONNX Runtime does; NaN stays NaN. */
static double clipped(const rnnrt_model *m, double z)
{
    if (m->clip <= 0.0f)
        return z;
    return z > m->clip ? m->clip : z < -m->clip ? -m->clip : z;
}

static void lstm_unit(const rnnrt_model *m, const rnnrt_layer_weights *w, const float *g,
                      int j, float *c, float *h)
{
    const int H = m->hidden;
    const double c_prev = c[j];
    const rnnrt_activation *fa = &w->act[0], *ga = &w->act[1], *ha = &w->act[2];
    double i, f;
    double cand = act(ga, clipped(m, g[(m->cell == RNNRT_CELL_LSTM_COUPLED ? 1 : 2) * H + j]));
    double o_pre = g[(m->cell == RNNRT_CELL_LSTM_COUPLED ? 2 : 3) * H + j];
    switch (m->cell) {
    case RNNRT_CELL_LSTM_PEEPHOLE:
        i = act(fa, clipped(m, (double)g[j] + (double)w->p_i[j] * c_prev));
        f = act(fa, clipped(m, (double)g[H + j] + (double)w->p_f[j] * c_prev));
        break;
    case RNNRT_CELL_LSTM_COUPLED:
        f = act(fa, clipped(m, g[j]));
        i = 1.0 - f;
        break;
    default:
        i = act(fa, clipped(m, g[j]));
        f = act(fa, clipped(m, g[H + j]));
        break;
    }
    const float c_new = (float)(f * c_prev + i * cand);
    if (m->cell == RNNRT_CELL_LSTM_PEEPHOLE)
        o_pre += (double)w->p_o[j] * c_new;
    c[j] = c_new;
    h[j] = (float)(act(fa, clipped(m, o_pre)) * act(ha, (double)c_new));
}

/* cell_step of the GRU with the reset gate before the product: r and z from both parts,
 * then the candidate's product W_hn (r * h), with r * h kept in double. */
static void gru_reset_before_step(const rnnrt_model *m, int unit, const float *x, float *h,
                                  const scratch *s)
{
    const rnnrt_layer_weights *w = &m->w[unit];
    const int H = m->hidden;
    rnnrt_matrix w_ih = rnnrt_model_matrix(m, unit, RNNRT_W_IH);
    rnnrt_matrix w_hh = rnnrt_model_matrix(m, unit, RNNRT_W_HH);
    const float *g = s->gi;
    double *rh = s->rz, *z = s->rz + H;
    matvec(m, 3 * H, w->in_size, &w_ih, x, w->b_ih, s, s->gi);
    matvec(m, 2 * H, H, &w_hh, h, w->b_hh, s, s->gh); /* W_hr h + b_hr, W_hz h + b_hz */
    for (int j = 0; j < H; j++) {
        rh[j] = act(&w->act[0], clipped(m, (double)g[j] + s->gh[j])) * h[j];
        z[j] = act(&w->act[0], clipped(m, (double)g[H + j] + s->gh[H + j]));
    }
    if (m->options.activations != RNNRT_ACTIVATIONS_F32) { /* r * h: a product's input */
        for (int j = 0; j < H; j++)
            s->h_out[j] = (float)rh[j];
        const double *in = product_input(m, s->h_out, H, s);
        for (int j = 0; j < H; j++)
            rh[j] = in[j];
    }
    for (int j = 0; j < H; j++) {
        rnnrt_matrix_row(&w_hh, 2 * H + j, H, s->row);
        double acc = (double)g[2 * H + j] + w->b_hh[2 * H + j];
        for (int k = 0; k < H; k++)
            acc += (double)s->row[k] * rh[k];
        double n = act(&w->act[1], clipped(m, acc));
        h[j] = (float)((1.0 - z[j]) * n + z[j] * h[j]);
    }
}

/* One time step of one sequence: h (h_size) and c (hidden) are updated in place. */
static void cell_step(const rnnrt_model *m, int unit, const float *x, float *h, float *c,
                      const scratch *s)
{
    const rnnrt_layer_weights *w = &m->w[unit];
    const int H = m->hidden, gh_rows = m->gates * H;
    rnnrt_matrix w_ih = rnnrt_model_matrix(m, unit, RNNRT_W_IH);
    rnnrt_matrix w_hh = rnnrt_model_matrix(m, unit, RNNRT_W_HH);
    matvec(m, gh_rows, w->in_size, &w_ih, x, w->b_ih, s, s->gi);
    matvec(m, gh_rows, m->h_size, &w_hh, h, w->b_hh, s, s->gh);
    float *g = s->gi;
    if (m->cell == RNNRT_CELL_GRU) {
        /* r and z take both parts; the candidate keeps them apart (r scales only W_hn h). */
        for (int j = 0; j < H; j++) {
            double r = act(&w->act[0], clipped(m, (double)g[j] + s->gh[j]));
            double z = act(&w->act[0], clipped(m, (double)g[H + j] + s->gh[H + j]));
            double n = act(&w->act[1], clipped(m, (double)g[2 * H + j] + r * s->gh[2 * H + j]));
            h[j] = (float)((1.0 - z) * n + z * h[j]);
        }
        return;
    }
    if (rnnrt_cell_is_rnn(m->cell)) {
        for (int j = 0; j < H; j++)
            h[j] = (float)act(&w->act[0], clipped(m, (double)g[j] + s->gh[j]));
        return;
    }
    for (int j = 0; j < gh_rows; j++)
        g[j] += s->gh[j];
    float *h_cell = m->proj ? s->h_out : h;
    for (int j = 0; j < H; j++)
        lstm_unit(m, w, g, j, c, h_cell);
    if (m->proj) {
        rnnrt_matrix w_hr = rnnrt_model_matrix(m, unit, RNNRT_W_HR);
        matvec(m, m->proj, H, &w_hr, s->h_out, NULL, s, h);
    }
}

typedef struct layer_io {
    const float *in;  /* [seq_len][batch][in_size] */
    float *out;       /* [seq_len][batch][directions * h_size] */
    int seq_len, batch;
    const int *lengths;
} layer_io;

/* Runs sequence b through one layer in one direction: forward from step 0, or backward from
 * its own last step (rnnrt_runs_backward); zeros its outputs past its end. */
static void run_sequence(const rnnrt_model *m, int layer, int dir,
                         const layer_io *io, int b, float *h, float *c, const scratch *s)
{
    const rnnrt_layer_weights *w = rnnrt_weights(m, layer, dir);
    const int len = io->lengths ? io->lengths[b] : io->seq_len;
    const size_t out_width = (size_t)m->directions * m->h_size;
    const bool backward = rnnrt_runs_backward(m, layer, dir);
    for (int step = 0; step < len; step++) {
        int t = backward ? len - 1 - step : step;
        const float *x = io->in + ((size_t)t * io->batch + b) * w->in_size;
        if (m->cell == RNNRT_CELL_GRU_RESET_BEFORE)
            gru_reset_before_step(m, layer * m->directions + dir, x, h, s);
        else
            cell_step(m, layer * m->directions + dir, x, h, c, s);
        memcpy(io->out + ((size_t)t * io->batch + b) * out_width + (size_t)dir * m->h_size, h,
               (size_t)m->h_size * sizeof *h);
    }
    for (int t = len; t < io->seq_len; t++)
        memset(io->out + ((size_t)t * io->batch + b) * out_width + (size_t)dir * m->h_size, 0,
               (size_t)m->h_size * sizeof *h);
}

rnnrt_status rnnrt_forward_reference(const rnnrt_model *m, float *h, float *c, const float *x,
                                     int seq_len, int batch, const int *lengths, float *y,
                                     int threads)
{
    const size_t out_width = (size_t)m->directions * m->h_size;
    const size_t widest = (size_t)rnnrt_model_widest_input(m);
    const size_t scratch_size = 2 * (size_t)m->gates * m->hidden + m->hidden + widest;
    const size_t layer_out = (size_t)seq_len * batch * out_width;
    if (threads > batch)
        threads = batch;
    float *scratch_all = rnnrt_malloc((size_t)threads * scratch_size * sizeof(float));
    float *between = m->layers > 1 ? rnnrt_malloc(2 * layer_out * sizeof(float)) : NULL;
    const bool rb = m->cell == RNNRT_CELL_GRU_RESET_BEFORE;
    double *rz_all = rb ? rnnrt_malloc((size_t)threads * 2 * m->hidden * sizeof(double)) : NULL;
    /* each thread's product input (doubles) and its int8 rounding */
    const size_t in_bytes =
        (widest * sizeof(double) + 2 * rnnrt_int8dot_k(widest) + 63) / 64 * 64; /* bf16: 2 B */
    char *in_all = rnnrt_malloc((size_t)threads * in_bytes);
    if (!scratch_all || (m->layers > 1 && !between) || (rb && !rz_all) || !in_all) {
        rnnrt_free(scratch_all);
        rnnrt_free(between);
        rnnrt_free(rz_all);
        rnnrt_free(in_all);
        return rnnrt_fail(RNNRT_E_NOMEM, "rnnrt_forward: out of memory for the workspace");
    }

    for (int layer = 0; layer < m->layers; layer++) {
        layer_io io = {
            .in = layer == 0 ? x : between + (size_t)((layer - 1) % 2) * layer_out,
            .out = layer == m->layers - 1 ? y : between + (size_t)(layer % 2) * layer_out,
            .seq_len = seq_len, .batch = batch, .lengths = lengths,
        };
        for (int dir = 0; dir < m->directions; dir++) {
            size_t unit = (size_t)layer * m->directions + dir;
            float *h_unit = h + unit * batch * m->h_size;
            float *c_unit = c ? c + unit * batch * m->hidden : NULL;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
            for (int b = 0; b < batch; b++) {
                float *base = scratch_all + (size_t)omp_get_thread_num() * scratch_size;
                scratch s = {base, base + (size_t)m->gates * m->hidden,
                             base + 2 * (size_t)m->gates * m->hidden,
                             base + 2 * (size_t)m->gates * m->hidden + m->hidden,
                             rb ? rz_all + (size_t)omp_get_thread_num() * 2 * m->hidden : NULL,
                             (double *)(in_all + (size_t)omp_get_thread_num() * in_bytes),
                             (int8_t *)(in_all + (size_t)omp_get_thread_num() * in_bytes +
                                        widest * sizeof(double))};
                run_sequence(m, layer, dir, &io, b, h_unit + (size_t)b * m->h_size,
                             c_unit ? c_unit + (size_t)b * m->hidden : NULL, &s);
            }
        }
    }
    rnnrt_free(scratch_all);
    rnnrt_free(between);
    rnnrt_free(rz_all);
    rnnrt_free(in_all);
    return RNNRT_OK;
}
