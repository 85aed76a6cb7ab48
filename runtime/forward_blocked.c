/* The blocked forward pass: weights packed at load into gate panels (runtime/pack.h), the
 * input projection of a chunk of steps as one GEMM per panel, and per step one GEMM tile
 * per (panel, row block) whose gate kernel runs while the tile is in L1.
 *
 * Threads (one OpenMP region per call) each own a fixed range of panels, i.e. of hidden
 * units, for the whole call: their slice of W_hh stays in their core's cache (weight-
 * stationary, as in DeepCPU, Zhang et al., USENIX ATC 2018). A step needs every unit of
 * the previous h, so threads meet at one barrier per step (two with a projection, and for
 * the reset-before GRU, whose W_hn (r * h) needs every unit's r). No output is ever summed
 * across threads, so results do not depend on the thread count. */
#include <omp.h>
#include <assert.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "barrier.h"
#include "error.h"
#include "forward.h"
#include "fp_mode.h"
#include "gates_general.h"
#include "gemm.h"
#include "pack.h"
#include "provider.h"
#include "threads.h"
#include "tuning.h"
#include "workspace.h"

typedef struct plan {
    const rnnrt_model *m;
    const rnnrt_packing *pk;
    const rnnrt_kernels *k;
    const rnnrt_provider *pv; /* of the panels' type */
    float *h_state, *c_state;
    const float *x;
    float *y;
    int seq_len, batch, chunk;
    const int *lengths;
    float *xproj;       /* [chunk][batch][panels * nr] */
    float *hbuf[2];     /* [batch][h_size], previous and next h */
    float *hfull;       /* [batch][hidden], o * tanh(c) before the projection */
    float *rh, *z;      /* gru_reset_before: [batch][hidden] r * h and z of the step */
    float *between[2];  /* layer outputs between stacked layers: [chunk or seq_len][batch]
                         * [directions * h_size] */
    float *tiles;       /* [threads][mr][max nr] */
    size_t tile_stride;
    void *qrows;        /* where the provider prepares inputs (int8 or bf16 activations),
                         * else NULL: [threads][qrows_stride bytes], each thread's GEMM input */
    float *qscales;     /* [threads][qscales_stride]: their row scales */
    size_t qrows_stride, qscales_stride;
    int threads;
    int chunked_layers; /* 1: a one-direction stack, run chunk by chunk */
    const rnnrt_gemm_ukernel *step_gemm; /* the recurrent GEMM's tile for this batch */
    int step_kc;
    const rnnrt_gemm_ukernel *proj_step, *n_step; /* the projection's and n block's tiles */
    rnnrt_barrier barrier;
    bool watch;         /* look for a descheduled partner (several threads, not exact) */
    int solo_at;        /* rnnrt_tuning_solo_at(): a forced proposal, for tests */
    atomic_ullong solo; /* (end-of-step barrier number << 16) | (survivor + 1), or 0 */
} plan;

/* What a thread has measured of its waits over a window of steps, and how many windows in
 * a row found it waiting longer than working. */
typedef struct wait_window {
    long long elapsed, waited; /* ns */
    int steps, strikes;
} wait_window;

/* What one thread owns: [p0, p1) gate panels, [q0, q1) projection panels, [n0, n1) the
 * reset-before GRU's n panels; and its window, whose time in this pass runs from `mark`. */
typedef struct share {
    int p0, p1, q0, q1, n0, n1;
    float *tile;
    void *qrows; /* this thread's prepared GEMM input (int8 or bf16 activations) */
    float *qscales;
    int tid;
    unsigned long long barriers; /* end-of-step barriers passed */
    const rnnrt_layer_weights *w; /* the unit running (its gate functions) */
    wait_window win;
    long long mark;
} share;

static void split(int n, int parts, int part, int *begin, int *end)
{
    *begin = (int)((long)n * part / parts);
    *end = (int)((long)n * (part + 1) / parts);
}

/* A GEMM's input as the panels' provider takes it (runtime/provider.h): each thread
 * prepares the whole input into its own buffer (a few microseconds against the GEMM's
 * milliseconds), so no barrier is added and the bytes do not depend on the thread count. */
typedef rnnrt_gemm_input gemm_input;

static gemm_input gemm_input_of(const plan *pl, const share *sh, const float *a, int rows, int K,
                                size_t lda)
{
    gemm_input in;
    assert(!pl->qrows || ((size_t)rows * pl->pv->row_bytes((size_t)K) <= pl->qrows_stride &&
                          (size_t)rows <= pl->qscales_stride));
    pl->pv->prepare(pl->k, rows, K, a, lda, sh->qrows, sh->qscales, &in);
    return in;
}

/* Rows [r0, r0 + rows) of the input times one panel, whatever the panels' type. */
static void gemm_rows(const plan *pl, const rnnrt_gemm_ukernel *uk, int kc, int r0, int rows,
                      int K, const gemm_input *in, rnnrt_panel panel, const float *init,
                      size_t ld_init, float *c, size_t ldc)
{
    pl->pv->rows(uk, kc, r0, rows, K, in, panel, init, ld_init, c, ldc);
}

/* Row 0 of the input times two adjacent panels, whatever the panels' type. */
static void gemm_pair(const plan *pl, const rnnrt_gemm_pair_ukernel *uk, int K,
                      const gemm_input *in, rnnrt_panel panel, const float *init, float *c)
{
    pl->pv->pair(uk, K, in, panel, init, c);
}

/* The tile for a GEMM of `rows` rows on panels of `vector`: the set's matrix-engine tile
 * on the same panels from RNNRT_MX_ROWS rows on, where there is one. */
static const rnnrt_gemm_ukernel *tile_for_rows(const rnnrt_gemm_ukernel *vector,
                                               const rnnrt_gemm_ukernel *mx, int rows)
{
    return rnnrt_ukernel_present(mx) && rows >= rnnrt_tuning_mx_rows() ? mx : vector;
}

static int running(const plan *pl, int t);

/* Rows [0, rows) of the input times one panel into xproj + the panel's columns, as steps:
 * with lengths, step s of the chunk (time t0 + s) only its running rows (a prefix of its
 * batch); the tile stays the one chosen for all rows, so the bytes are a whole GEMM's. */
static void project_panel(const plan *pl, const rnnrt_gemm_ukernel *uk, int kc, int K,
                          const gemm_input *in, rnnrt_panel panel, const float *bias, float *out,
                          int count, int t0)
{
    const size_t ldx = rnnrt_packing_width(pl->pk);
    const int B = pl->batch;
    if (!pl->lengths) {
        gemm_rows(pl, uk, kc, 0, count * B, K, in, panel, bias, 0, out, ldx);
        return;
    }
    for (int s = 0; s < count; s++) {
        const int rows = running(pl, t0 + s);
        if (rows)
            gemm_rows(pl, uk, kc, s * B, rows, K, in, panel, bias, 0, out + (size_t)s * B * ldx,
                      ldx);
    }
}

/* The input projection of `count` steps from time t0 whose inputs start at `a`, for this
 * thread's panels. */
static void project_inputs(const plan *pl, const share *sh, const rnnrt_packed_unit *pu,
                           const float *a, int in_size, int count, int t0)
{
    const rnnrt_packing *pk = pl->pk;
    const int rows = count * pl->batch;
    const gemm_input in = gemm_input_of(pl, sh, a, rows, in_size, (size_t)in_size);
    const rnnrt_gemm_ukernel *uk = tile_for_rows(&pk->gemm, &pk->gemm_mx, rows);
    for (int p = sh->p0; p < sh->p1; p++)
        project_panel(pl, uk, pk->kc, in_size, &in,
                      rnnrt_packed_panel(pk->dtype, pu->w_ih, pu->s_ih, p, in_size, pk->nr),
                      pu->bias + (size_t)p * pk->nr, pl->xproj + (size_t)p * pk->nr, count, t0);
    /* gru_reset_before: its n panels, after the gate panels in each row */
    const int nnr = pk->n_gemm.nr;
    float *xn = pl->xproj + (size_t)pk->panels * pk->nr;
    const rnnrt_gemm_ukernel *nuk = tile_for_rows(&pk->n_gemm, &pk->n_mx, rows);
    for (int q = sh->n0; q < sh->n1; q++)
        project_panel(pl, nuk, pk->n_kc, in_size, &in,
                      rnnrt_packed_panel(pk->dtype, pu->w_ih_n, pu->s_ih_n, q, in_size, nnr),
                      pu->bias_n + (size_t)q * nnr, xn + (size_t)q * nnr, count, t0);
}

static int active(const plan *pl, int b, int t)
{
    return !pl->lengths || t < pl->lengths[b];
}

/* How many rows of the batch still run at step t: a prefix, since a pass with lengths runs
 * its sequences longest first (rnnrt_forward_blocked sorts them), so the steps after a
 * sequence's end compute only the rows before it. */
static int running(const plan *pl, int t)
{
    if (!pl->lengths)
        return pl->batch;
    int lo = 0, hi = pl->batch; /* the first row whose length is <= t */
    while (lo < hi) {
        const int mid = lo + (hi - lo) / 2;
        if (pl->lengths[mid] > t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Columns [c0, c0 + n) of h for the rows from `from` on, finished: they keep h_prev. */
static void keep_finished(const plan *pl, int from, int c0, size_t n, const float *h_prev,
                          float *h_next, size_t ld)
{
    for (int b = from; b < pl->batch; b++)
        memcpy(h_next + (size_t)b * ld + c0, h_prev + (size_t)b * ld + c0, n * sizeof(float));
}

/* --- Cell clipping (rnnrt.clip) ---------------------------------------------------------
 * Every gate pre-activation is clamped to [-clip, clip] before its activation (ONNX's
 * clip, as ONNX Runtime applies it). Where the tile holds whole pre-activations (LSTM,
 * coupled LSTM, RNN) they are clamped in place and the cell's kernel runs as usual
 * (RNNRT_GATES_CLAMP); the cells that complete them inside their kernels (p * c, the GRUs'
 * reset products) run the general path (gates_general.c), as other gate functions do.
 * Without a clip none of this runs. */

static float clamp_to(float z, float clip)
{
    return z > clip ? clip : z < -clip ? -clip : z; /* NaN stays NaN */
}

/* Clamps gates [0, gates) of n units in `rows` rows of a tile, in place. */
static void clamp_tile(float *t, size_t rows, size_t n, size_t ldt, size_t gs, int gates,
                       float clip)
{
    for (size_t r = 0; r < rows; r++)
        for (int q = 0; q < gates; q++)
            for (size_t j = 0; j < n; j++)
                t[r * ldt + (size_t)q * gs + j] = clamp_to(t[r * ldt + (size_t)q * gs + j], clip);
}

/* The gate kernel on `rows` consecutive rows of one panel's tile, starting at row b of the
 * batch, all of them running (a step computes only its running prefix; keep_finished()
 * carries the others' h over): c in place, h (or the pre-projection h) for the panel's units. The GRU's tile holds
 * U_h h only: the kernel adds the input projection (its row of xrows) and b_hn itself. The
 * RNN's tile holds its one gate block, both products and both biases summed; no c. */
static void gates_on_rows(const plan *pl, const rnnrt_layer_weights *w, int p, int b, int rows,
                          float *g, const float *xrows, const float *h_prev,
                          float *h_next, float *c_unit)
{
    const rnnrt_model *m = pl->m;
    const rnnrt_kernels *k = pl->k;
    const int U = pl->pk->units, nr = pl->pk->nr, u0 = p * U, hs = m->h_size, H = m->hidden;
    const size_t n = (size_t)(H - u0 < U ? H - u0 : U), R = (size_t)rows, gs = (size_t)U;
    float *c = c_unit ? c_unit + (size_t)b * H + u0 : NULL;
    float *h = m->proj ? pl->hfull + (size_t)b * H + u0 : h_next + (size_t)b * hs + u0;
    const size_t ldh = (size_t)(m->proj ? H : hs);
    if (w->gate_path != RNNRT_GATES_KERNELS) { /* the default's only test */
        if (w->gate_path == RNNRT_GATES_CLAMP) {
            clamp_tile(g, R, n, (size_t)nr, gs, m->gates, m->clip);
        } else if (m->cell == RNNRT_CELL_GRU) {
            const size_t ldx = (size_t)pl->pk->panels * nr;
            rnnrt_general_gru_rows(m, k, w, u0, R, n, g, (size_t)nr, gs,
                                   xrows + (size_t)b * ldx + (size_t)p * nr, ldx,
                                   h_prev + (size_t)b * hs + u0, h, (size_t)hs);
            return;
        } else {
            rnnrt_general_rows(m, k, w, u0, R, n, g, (size_t)nr, gs, c, (size_t)H, h, ldh);
            return;
        }
    }
    switch (m->cell) {
    case RNNRT_CELL_LSTM:
        k->lstm_gates(R, n, g, (size_t)nr, gs, c, c, (size_t)H, h, ldh);
        break;
    case RNNRT_CELL_LSTM_PEEPHOLE:
        k->lstm_peephole_gates(R, n, g, (size_t)nr, gs, w->p_i + u0, w->p_f + u0, w->p_o + u0,
                               c, c, (size_t)H, h, ldh);
        break;
    case RNNRT_CELL_LSTM_COUPLED:
        k->lstm_coupled_gates(R, n, g, (size_t)nr, gs, c, c, (size_t)H, h, ldh);
        break;
    case RNNRT_CELL_RNN_TANH:
        k->rnn_tanh_gates(R, n, g, (size_t)nr, h, ldh);
        break;
    case RNNRT_CELL_RNN_RELU:
        k->rnn_relu_gates(R, n, g, (size_t)nr, h, ldh);
        break;
    case RNNRT_CELL_GRU_RESET_BEFORE: /* its own step (step_reset_before) */
        break;
    case RNNRT_CELL_GRU: {
        const size_t ldx = (size_t)pl->pk->panels * nr;
        k->gru_gates(R, n, g, (size_t)nr, gs, xrows + (size_t)b * ldx + (size_t)p * nr, ldx,
                     w->b_hh + 2 * H + u0, h_prev + (size_t)b * hs + u0, h, (size_t)hs);
        break;
    }
    }
}

/* A stretch of time one layer runs over, and where its input and output live: row t of
 * `in` is at in[(t - in_t0) * batch], so buffers may hold just a chunk of the sequence. */
typedef struct span {
    const float *in;
    int in_t0;
    float *out;
    int out_t0;
    int t_begin, t_end;
} span;

/* Writes rows' h (or zeros past a sequence's end) for columns [c0, c0 + n) to the output. */
static void emit(const plan *pl, const span *sp, int dir, int t, int c0, size_t n,
                 const float *h_next)
{
    const rnnrt_model *m = pl->m;
    const size_t width = (size_t)m->directions * m->h_size;
    for (int b = 0; b < pl->batch; b++) {
        float *dst = sp->out + ((size_t)(t - sp->out_t0) * pl->batch + b) * width +
                     (size_t)dir * m->h_size + c0;
        if (active(pl, b, t))
            memcpy(dst, h_next + (size_t)b * m->h_size + c0, n * sizeof(float));
        else
            memset(dst, 0, n * sizeof(float));
    }
}

/* A barrier whose wait counts against this thread's window. */
static void timed_wait(plan *pl, share *sh)
{
    if (!pl->watch) {
        rnnrt_barrier_wait(&pl->barrier);
        return;
    }
    long long t0 = rnnrt_now_ns();
    rnnrt_barrier_wait(&pl->barrier);
    sh->win.waited += rnnrt_now_ns() - t0;
}

/* Within a pass: a window is at least 8 steps and 250 us; two contended windows in a row
 * are a verdict. One stray preemption (a timer, the hypervisor) spoils one window, not two;
 * a partner that shares its core with a busy process spoils every one, and is left within
 * about 2 x 8 steps. Between passes, the measured times of thread_choice.h decide. */
#define WINDOW_STEPS 8
#define WINDOW_MIN_NS 250000ll
#define STRIKES 2

/* With n threads, one thread alone would take n * work where this one takes work + wait;
 * it would be sooner alone once n * wait > (n - 1) * (work + wait). */
static bool contended(const plan *pl, const wait_window *w)
{
    long long n = pl->threads;
    return n * w->waited > (n - 1) * w->elapsed;
}

/* Counts one step into the window; at the window's end, scores it. True: a verdict. */
static bool close_window(const plan *pl, share *sh)
{
    if (++sh->win.steps < WINDOW_STEPS)
        return false;
    long long now = rnnrt_now_ns();
    if (sh->win.elapsed + (now - sh->mark) < WINDOW_MIN_NS)
        return false;
    sh->win.elapsed += now - sh->mark;
    sh->win.strikes = contended(pl, &sh->win) ? sh->win.strikes + 1 : 0;
    sh->win = (wait_window){.strikes = sh->win.strikes};
    sh->mark = now;
    return sh->win.strikes >= STRIKES;
}

/* This thread offers to finish alone after the next end-of-step barrier; the first offer
 * of a pass wins. */
static void propose_solo(plan *pl, const share *sh)
{
    unsigned long long none = 0;
    atomic_compare_exchange_strong(&pl->solo, &none,
                                   ((sh->barriers + 1) << 16) | (unsigned)(sh->tid + 1));
}

/* The barrier after a step, where a thread that found itself waiting more than working
 * proposes to finish the pass alone. The proposal names the barrier it takes effect at, so
 * that every thread acts on it after the same barrier: the survivor takes every panel, the
 * others leave (returns true). Any thread may survive: results are the same bytes. */
static bool end_of_step(plan *pl, share *sh)
{
    if (rnnrt_barrier_threads(&pl->barrier) <= 1)
        return false;
    if (pl->watch && close_window(pl, sh))
        propose_solo(pl, sh);
    if (pl->solo_at && sh->barriers + 1 == (unsigned long long)pl->solo_at &&
        sh->tid == pl->threads - 1)
        propose_solo(pl, sh);
    timed_wait(pl, sh);
    sh->barriers++;
    unsigned long long solo = atomic_load(&pl->solo);
    if (!solo || solo >> 16 != sh->barriers)
        return false;
    if ((int)(solo & 0xffff) != sh->tid + 1)
        return true;
    sh->p0 = sh->q0 = sh->n0 = 0;
    sh->p1 = pl->pk->panels;
    sh->q1 = pl->pk->proj_panels;
    sh->n1 = pl->pk->n_panels;
    rnnrt_barrier_set_threads(&pl->barrier, 1); /* the others have passed their last barrier */
    return false;
}

/* Columns of h that projection panel q holds (the last one may be partial). */
static size_t projection_width(const plan *pl, int q)
{
    const int pnr = pl->pk->proj_gemm.nr, c0 = q * pnr;
    return (size_t)(pl->m->proj - c0 < pnr ? pl->m->proj - c0 : pnr);
}

/* Rows [r0, r0 + rows) of projection panel q's tile into h_next (running rows only). */
static void keep_projection(const plan *pl, int q, int r0, int rows, const float *tile,
                            float *h_next)
{
    const int pnr = pl->pk->proj_gemm.nr, hs = pl->m->h_size, c0 = q * pnr;
    const size_t n = projection_width(pl, q);
    for (int i = 0; i < rows; i++)
        memcpy(h_next + (size_t)(r0 + i) * hs + c0, tile + (size_t)i * pnr, n * sizeof(float));
}

/* The panels a thread's k-th visit covers in [p0, p1): *count (1, or 2 adjacent ones where
 * `pairs` allows) from *first. Forward visits go up from p0; backward ones down from p1,
 * a pair (p - 1, p) at a time. */
static void next_panels(int p0, int p1, int k, bool back, bool pairs, int *first, int *count)
{
    *count = pairs && k + 1 < p1 ? 2 : 1;
    *first = back ? p1 - (k - p0) - *count : k;
}

/* One step at time t for this thread's panels: GEMM tiles, gates, outputs. Odd steps
 * (`back`) visit the panels in reverse: where the weights exceed the cache, the panels used
 * last are the ones still cached, so a step reads from memory only what the last one
 * evicted rather than everything (an LRU cache streamed in one order keeps nothing). */
static void step(plan *pl, share *sh, const rnnrt_packed_unit *pu,
                 const rnnrt_layer_weights *w, const float *xrows, int t, const float *h_prev,
                 float *h_next, float *c_unit, const span *sp, int dir, bool back)
{
    const rnnrt_model *m = pl->m;
    const rnnrt_packing *pk = pl->pk;
    const int mr = pl->step_gemm->mr, hs = m->h_size, B = running(pl, t);
    const size_t ldx = (size_t)pk->panels * pk->nr;
    const int gru = m->cell == RNNRT_CELL_GRU;
    const bool pairs = pl->batch == 1 && rnnrt_pair_present(&pk->pair);
    const gemm_input in = gemm_input_of(pl, sh, h_prev, B, hs, (size_t)hs);
    for (int k = sh->p0, p, count; k < sh->p1; k += count) {
        next_panels(sh->p0, sh->p1, k, back, pairs, &p, &count);
        const rnnrt_panel panel = rnnrt_packed_panel(pk->dtype, pu->w_hh, pu->s_hh, p, hs, pk->nr);
        if (count == 2 && B == 1) {
            gemm_pair(pl, &pk->pair, hs, &in, panel, gru ? NULL : xrows + (size_t)p * pk->nr,
                      sh->tile);
            for (int q = 0; q < 2; q++)
                gates_on_rows(pl, w, p + q, 0, 1, sh->tile + (size_t)q * pk->nr, xrows, h_prev,
                              h_next, c_unit);
        } else {
            for (int i = 0, r0, rows; i < (B + mr - 1) / mr; i++) {
                rnnrt_row_block(B, mr, i, &r0, &rows);
                const float *init = gru ? NULL : xrows + (size_t)r0 * ldx + (size_t)p * pk->nr;
                gemm_rows(pl, pl->step_gemm, pl->step_kc, r0, rows, hs, &in, panel, init, ldx,
                          sh->tile, (size_t)pk->nr);
                gates_on_rows(pl, w, p, r0, rows, sh->tile, xrows, h_prev, h_next, c_unit);
            }
        }
        for (int q = p; !m->proj && q < p + count; q++) {
            int u0 = q * pk->units;
            size_t n = (size_t)(m->hidden - u0 < pk->units ? m->hidden - u0 : pk->units);
            keep_finished(pl, B, u0, n, h_prev, h_next, (size_t)hs);
            emit(pl, sp, dir, t, u0, n, h_next);
        }
    }
    if (!m->proj)
        return;
    timed_wait(pl, sh); /* every unit of o * tanh(c) is ready */
    const int pnr = pk->proj_gemm.nr, pmr = pl->proj_step->mr;
    const bool proj_pairs = pl->batch == 1 && rnnrt_pair_present(&pk->proj_pair);
    const gemm_input full = gemm_input_of(pl, sh, pl->hfull, B, m->hidden, (size_t)m->hidden);
    for (int k = sh->q0, q, count; k < sh->q1; k += count) {
        next_panels(sh->q0, sh->q1, k, back, proj_pairs, &q, &count);
        const rnnrt_panel panel =
            rnnrt_packed_panel(pk->dtype, pu->w_hr, pu->s_hr, q, m->hidden, pnr);
        if (count == 2 && B == 1) {
            gemm_pair(pl, &pk->proj_pair, m->hidden, &full, panel, NULL, sh->tile);
            for (int j = 0; j < 2; j++)
                keep_projection(pl, q + j, 0, 1, sh->tile + (size_t)j * pnr, h_next);
        } else {
            for (int i = 0, r0, rows; i < (B + pmr - 1) / pmr; i++) {
                rnnrt_row_block(B, pmr, i, &r0, &rows);
                gemm_rows(pl, pl->proj_step, pk->proj_kc, r0, rows, m->hidden, &full, panel, NULL, 0,
                          sh->tile, (size_t)pnr);
                keep_projection(pl, q, r0, rows, sh->tile, h_next);
            }
        }
        for (int j = q; j < q + count; j++) {
            keep_finished(pl, B, j * pnr, projection_width(pl, j), h_prev, h_next, (size_t)hs);
            emit(pl, sp, dir, t, j * pnr, projection_width(pl, j), h_next);
        }
    }
}

/* The reset-before GRU's first kernel on rows [r0, r0 + rows) of panel p's tile. */
static void rz_gates(const plan *pl, const share *sh, int p, int r0, int rows, float *tile,
                     const float *h_prev)
{
    const rnnrt_packing *pk = pl->pk;
    const int H = pl->m->hidden, U = pk->units, u0 = p * U;
    const size_t n = (size_t)(H - u0 < U ? H - u0 : U), at = (size_t)r0 * H + u0;
    if (sh->w->gate_path != RNNRT_GATES_KERNELS)
        rnnrt_general_rb_rz_rows(pl->m, pl->k, sh->w, (size_t)rows, n, tile, (size_t)pk->nr,
                                 (size_t)U, h_prev + at, pl->rh + at, pl->z + at, (size_t)H);
    else
        pl->k->gru_rb_rz_gates((size_t)rows, n, tile, (size_t)pk->nr, (size_t)U, h_prev + at,
                               pl->rh + at, pl->z + at, (size_t)H);
}

/* The same for panels p and p + 1 at once, for a batch of one (a pair tile). */
static void rz_pair(const plan *pl, const share *sh, const rnnrt_packed_unit *pu, int p,
                    const float *xrows, const float *h_prev, const gemm_input *in)
{
    const rnnrt_packing *pk = pl->pk;
    gemm_pair(pl, &pk->pair, pl->m->hidden, in,
              rnnrt_packed_panel(pk->dtype, pu->w_hh, pu->s_hh, p, pl->m->hidden, pk->nr),
              xrows + (size_t)p * pk->nr, sh->tile);
    for (int q = 0; q < 2; q++)
        rz_gates(pl, sh, p + q, 0, 1, sh->tile + (size_t)q * pk->nr, h_prev);
}

/* gru_reset_before, first half of a step on gate panel p for the B running rows: one GEMM
 * gives r and z of the panel's units with every input and bias, and the kernel leaves z and
 * r * h_prev for them. */
static void rz_panel(const plan *pl, const share *sh, const rnnrt_packed_unit *pu, int p,
                     int B, const float *xrows, const float *h_prev, const gemm_input *in)
{
    const rnnrt_packing *pk = pl->pk;
    const int mr = pl->step_gemm->mr, H = pl->m->hidden;
    const size_t ldx = rnnrt_packing_width(pk);
    const rnnrt_panel panel = rnnrt_packed_panel(pk->dtype, pu->w_hh, pu->s_hh, p, H, pk->nr);
    for (int i = 0, r0, rows; i < (B + mr - 1) / mr; i++) {
        rnnrt_row_block(B, mr, i, &r0, &rows);
        gemm_rows(pl, pl->step_gemm, pl->step_kc, r0, rows, H, in, panel,
                  xrows + (size_t)r0 * ldx + (size_t)p * pk->nr, ldx, sh->tile, (size_t)pk->nr);
        rz_gates(pl, sh, p, r0, rows, sh->tile, h_prev);
    }
}

/* The reset-before GRU's second kernel on rows [r0, r0 + rows) of n panel q's tile. */
static void h_gates(const plan *pl, const share *sh, int q, int r0, int rows, float *tile,
                    const float *h_prev, float *h_next)
{
    const int nnr = pl->pk->n_gemm.nr, H = pl->m->hidden, u0 = q * nnr;
    const size_t n = (size_t)(H - u0 < nnr ? H - u0 : nnr), at = (size_t)r0 * H + u0;
    if (sh->w->gate_path != RNNRT_GATES_KERNELS)
        rnnrt_general_rb_h_rows(pl->m, pl->k, sh->w, (size_t)rows, n, tile, (size_t)nnr,
                                pl->z + at, h_prev + at, h_next + at, (size_t)H);
    else
        pl->k->gru_rb_h_gates((size_t)rows, n, tile, (size_t)nnr, pl->z + at, h_prev + at,
                              h_next + at, (size_t)H);
}

/* gru_reset_before, second half on n panel q (and q + 1 when count is 2, for a batch of
 * one): W_hn (r * h) onto the input projection and both biases of n, then h. */
static void n_panel(const plan *pl, const share *sh, const rnnrt_packed_unit *pu, int q,
                    int count, int B, const float *xrows, const float *h_prev, float *h_next,
                    const gemm_input *rh)
{
    const rnnrt_packing *pk = pl->pk;
    const int mr = pl->n_step->mr, nnr = pk->n_gemm.nr, H = pl->m->hidden;
    const size_t ldx = rnnrt_packing_width(pk);
    const float *xn = xrows + (size_t)pk->panels * pk->nr + (size_t)q * nnr;
    const rnnrt_panel panel = rnnrt_packed_panel(pk->dtype, pu->w_hh_n, pu->s_hh_n, q, H, nnr);
    if (count == 2) { /* a batch of one: panels q and q + 1 by a pair tile */
        gemm_pair(pl, &pk->n_pair, H, rh, panel, xn, sh->tile);
        for (int j = 0; j < 2; j++)
            h_gates(pl, sh, q + j, 0, 1, sh->tile + (size_t)j * nnr, h_prev, h_next);
        return;
    }
    for (int i = 0, r0, rows; i < (B + mr - 1) / mr; i++) {
        rnnrt_row_block(B, mr, i, &r0, &rows);
        gemm_rows(pl, pl->n_step, pk->n_kc, r0, rows, H, rh, panel, xn + (size_t)r0 * ldx, ldx,
                  sh->tile, (size_t)nnr);
        h_gates(pl, sh, q, r0, rows, sh->tile, h_prev, h_next);
    }
}

/* One step of the reset-before GRU for this thread's panels: r and z on its gate panels,
 * a barrier (every unit's r * h is needed by every n panel), then n and h on its n panels.
 * The projection of the inputs is computed once, W_hn (r * h) once, and r, z by one GEMM.
 * Odd steps (`back`) visit the panels in reverse, as step() does. */
static void step_reset_before(plan *pl, share *sh, const rnnrt_packed_unit *pu,
                              const float *xrows, int t, const float *h_prev, float *h_next,
                              const span *sp, int dir, bool back)
{
    const bool one = pl->batch == 1;
    const int nnr = pl->pk->n_gemm.nr, H = pl->m->hidden, B = running(pl, t);
    const gemm_input hin = gemm_input_of(pl, sh, h_prev, B, H, (size_t)H);
    for (int k = sh->p0, p, count; k < sh->p1; k += count) {
        next_panels(sh->p0, sh->p1, k, back, one && rnnrt_pair_present(&pl->pk->pair), &p,
                    &count);
        if (B == 0) /* a finished batch of one: nothing to multiply */
            continue;
        if (count == 2) /* pairs: a batch of one */
            rz_pair(pl, sh, pu, p, xrows, h_prev, &hin);
        else
            rz_panel(pl, sh, pu, p, B, xrows, h_prev, &hin);
    }
    timed_wait(pl, sh); /* every unit's r * h is ready */
    const gemm_input rh = gemm_input_of(pl, sh, pl->rh, B, H, (size_t)H);
    for (int k = sh->n0, q, count; k < sh->n1; k += count) {
        next_panels(sh->n0, sh->n1, k, back, one && rnnrt_pair_present(&pl->pk->n_pair), &q,
                    &count);
        if (B > 0)
            n_panel(pl, sh, pu, q, count, B, xrows, h_prev, h_next, &rh);
        for (int j = q; j < q + count; j++) {
            const size_t n = (size_t)(H - j * nnr < nnr ? H - j * nnr : nnr);
            keep_finished(pl, B, j * nnr, n, h_prev, h_next, (size_t)H);
            emit(pl, sp, dir, t, j * nnr, n, h_next);
        }
    }
}

/* Columns [c0, c1) of h that this thread owns: its units, or its projection columns. */
static void owned_columns(const plan *pl, const share *sh, int *c0, int *c1)
{
    const rnnrt_model *m = pl->m;
    if (m->proj) {
        int pnr = pl->pk->proj_gemm.nr;
        *c0 = sh->q0 * pnr;
        *c1 = sh->q1 * pnr < m->proj ? sh->q1 * pnr : m->proj;
    } else {
        *c0 = sh->p0 * pl->pk->units;
        *c1 = sh->p1 * pl->pk->units < m->hidden ? sh->p1 * pl->pk->units : m->hidden;
    }
    if (*c1 < *c0)
        *c1 = *c0;
}

static void copy_columns(float *dst, const float *src, int rows, int width, int c0, int c1)
{
    for (int b = 0; b < rows; b++)
        memcpy(dst + (size_t)b * width + c0, src + (size_t)b * width + c0,
               (size_t)(c1 - c0) * sizeof(float));
}

/* One layer in one direction over a span of time, from and back to the state. Returns true
 * when this thread leaves the pass to another (end_of_step). */
static bool run_unit(plan *pl, share *sh, int layer, int dir, const span *sp)
{
    const rnnrt_model *m = pl->m;
    const int B = pl->batch, hs = m->h_size, n = sp->t_end - sp->t_begin;
    const size_t unit = (size_t)layer * m->directions + dir;
    const rnnrt_packed_unit *pu = &pl->pk->unit[unit];
    const rnnrt_layer_weights *w = rnnrt_weights(m, layer, dir);
    sh->w = w;
    float *h_unit = pl->h_state + unit * B * hs;
    float *c_unit = pl->c_state ? pl->c_state + unit * B * m->hidden : NULL;
    const size_t ldx = rnnrt_packing_width(pl->pk);
    int c0, c1;
    owned_columns(pl, sh, &c0, &c1);
    copy_columns(pl->hbuf[0], h_unit, B, hs, c0, c1);
    timed_wait(pl, sh); /* the whole initial h is in place */

    const bool backward = rnnrt_runs_backward(m, layer, dir);
    int chunk_t0 = 0;
    for (int s = 0; s < n; s++) {
        int t = backward ? sp->t_end - 1 - s : sp->t_begin + s;
        if (s % pl->chunk == 0) {
            int count = n - s < pl->chunk ? n - s : pl->chunk;
            chunk_t0 = backward ? t - count + 1 : t;
            project_inputs(pl, sh, pu, sp->in + (size_t)(chunk_t0 - sp->in_t0) * B * w->in_size,
                           w->in_size, count, chunk_t0);
        }
        const float *xrows = pl->xproj + (size_t)(t - chunk_t0) * B * ldx;
        if (m->cell == RNNRT_CELL_GRU_RESET_BEFORE)
            step_reset_before(pl, sh, pu, xrows, t, pl->hbuf[s % 2], pl->hbuf[(s + 1) % 2], sp,
                              dir, s % 2);
        else
            step(pl, sh, pu, w, xrows, t, pl->hbuf[s % 2], pl->hbuf[(s + 1) % 2], c_unit, sp,
                 dir, s % 2);
        if (end_of_step(pl, sh)) /* the next step reads every unit of h */
            return true;
    }
    owned_columns(pl, sh, &c0, &c1); /* all of them if this thread took the others' over */
    copy_columns(h_unit, pl->hbuf[n % 2], B, hs, c0, c1);
    return false;
}

/* Stacks of one direction run chunk by chunk, every layer over one chunk before the next,
 * so the layers between hold a chunk rather than the sequence (from the end when every
 * layer runs backward). Bidirectional stacks, and stacks that mix forward and reverse
 * layers, need the whole sequence of a layer before the next layer's backward pass can
 * start. */
static void run_thread_body(plan *pl, int tid, int threads);

static void run_thread(plan *pl, int tid, int threads)
{
    unsigned long mode = rnnrt_flush_denormals();
    run_thread_body(pl, tid, threads);
    if (pl->pv->thread_end)
        pl->pv->thread_end(pl->k);
    rnnrt_restore_fp_mode(mode);
}

static void run_thread_body(plan *pl, int tid, int threads)
{
    const rnnrt_model *m = pl->m;
    share sh = {.tile = pl->tiles + (size_t)tid * pl->tile_stride, .tid = tid,
                .qrows = pl->qrows ? (char *)pl->qrows + (size_t)tid * pl->qrows_stride : NULL,
                .qscales = pl->qscales ? pl->qscales + (size_t)tid * pl->qscales_stride : NULL,
                .mark = pl->watch ? rnnrt_now_ns() : 0};
    split(pl->pk->panels, threads, tid, &sh.p0, &sh.p1);
    split(pl->pk->proj_panels, threads, tid, &sh.q0, &sh.q1);
    split(pl->pk->n_panels, threads, tid, &sh.n0, &sh.n1);
    const int T = pl->seq_len, span_len = pl->chunked_layers ? pl->chunk : T;
    /* A stack whose layers all run backward takes its chunks from the end. */
    const bool from_end = pl->chunked_layers && m->reverse_layers == m->layers;
    for (int done = 0; done < T; done += span_len) {
        int t0 = from_end ? (T - done > span_len ? T - done - span_len : 0) : done;
        int t1 = from_end ? T - done : (T - t0 < span_len ? T : t0 + span_len);
        for (int layer = 0; layer < m->layers; layer++) {
            int first = layer == 0, last = layer == m->layers - 1;
            span sp = {
                .in = first ? pl->x : pl->between[(layer - 1) % 2],
                .in_t0 = first ? 0 : t0,
                .out = last ? pl->y : pl->between[layer % 2],
                .out_t0 = last ? 0 : t0,
                .t_begin = t0, .t_end = t1,
            };
            for (int dir = 0; dir < m->directions; dir++)
                if (run_unit(pl, &sh, layer, dir, &sp))
                    return;
        }
    }
}

/* Threads worth using: no more than panels to share, one when a step is too small to pay
 * for a barrier (about 2 microseconds of arithmetic). Beyond that the caller measures
 * (thread_choice.h). RNNRT_THREADS_EXACT=1 turns the rules off, so that tests and
 * benchmarks get the thread count they ask for. */
static int choose_threads(const rnnrt_model *m, const rnnrt_packing *pk, int batch, int requested)
{
    double step_flops = 2.0 * batch * m->gates * m->hidden * (double)m->h_size;
    int n = requested;
    if (n > pk->panels)
        n = pk->panels;
    if (rnnrt_tuning_threads_exact())
        return n < 1 ? 1 : n;
    if (step_flops < RNNRT_MIN_SHARED_FLOPS)
        n = 1;
    return n < 1 ? 1 : n;
}

rnnrt_status rnnrt_forward_blocked(const rnnrt_model *m, const rnnrt_kernels *k, float *h,
                                   float *c, const float *x, int seq_len, int batch,
                                   const int *lengths, float *y, int threads,
                                   rnnrt_workspace *ws)
{
    return rnnrt_forward_blocked_choice(m, k, h, c, x, seq_len, batch, lengths, y, threads, ws,
                                        &((rnnrt_model *)m)->choice, batch);
}

rnnrt_status rnnrt_forward_blocked_choice(const rnnrt_model *m, const rnnrt_kernels *k,
                                          float *h, float *c, const float *x, int seq_len,
                                          int batch, const int *lengths, float *y, int threads,
                                          rnnrt_workspace *ws, rnnrt_choice *choice, int key)
{
    const rnnrt_packing *pk = rnnrt_model_packing(m, k);
    if (!pk)
        return rnnrt_fail(RNNRT_E_NOMEM, "rnnrt_forward: out of memory packing the weights");
    plan pl = {.m = m, .pk = pk, .k = k, .h_state = h, .c_state = c, .x = x, .y = y,
               .seq_len = seq_len, .batch = batch, .lengths = lengths};
    const size_t ldx = rnnrt_packing_width(pk);
    /* A chunk's projections should stay near 2 MB (L2-L3 sized), 1..64 steps.
     * RNNRT_CHUNK overrides it, so tests can cross chunk boundaries on short sequences. */
    long chunk = rnnrt_tuning_chunk() > 0 ? rnnrt_tuning_chunk()
                                          : (2l << 20) / (long)(batch * ldx * sizeof(float));
    pl.chunk = (int)(chunk < 1 ? 1 : chunk > 64 ? 64 : chunk);
    if (pl.chunk > seq_len)
        pl.chunk = seq_len;
    pl.threads = choose_threads(m, pk, batch, threads);
    pl.watch = pl.threads > 1 && !rnnrt_tuning_threads_exact();
    rnnrt_choice_ticket ticket = {0};
    if (pl.watch && choice) {
        ticket = rnnrt_choice_begin(choice, key);
        if (!ticket.several)
            pl.threads = 1;
        pl.watch = pl.threads > 1;
    }
    pl.solo_at = rnnrt_tuning_solo_at();
    atomic_init(&pl.solo, 0);

    /* The recurrent step's tile: the taller one where it covers the batch in fewer row
     * blocks (a batch of 4 is one pass over each panel instead of two), since below the
     * cache the step streams each panel once per row block. For f32 panels only up to two
     * of its row blocks: with more, the k-block is reused from L1 by enough row blocks that
     * the one-pass tile wins (AVX2 3x32 against the 4x32 strips at batches 16-128: 1.06-1.33x
     * at 1 thread, 1.09-1.27x at 2, paired runs, docs/architecture.md). bf16 and int8 panels, widened in pieces for the
     * row blocks, measured 0.71-0.97x that way and keep the taller tile. */
    pl.step_gemm = &pk->gemm;
    pl.step_kc = pk->kc;
    if (rnnrt_ukernel_present(&pk->gemm_tall) &&
        (batch <= 2 * pk->gemm_tall.mr || pk->gemm_tall.dtype != RNNRT_WEIGHTS_F32) &&
        (batch + pk->gemm_tall.mr - 1) / pk->gemm_tall.mr <
            (batch + pk->gemm.mr - 1) / pk->gemm.mr) {
        pl.step_gemm = &pk->gemm_tall;
        pl.step_kc = pk->tall_kc;
    }
    /* A set's matrix-engine tiles, for batches of many rows (RNNRT_MX_ROWS) */
    if (rnnrt_ukernel_present(&pk->gemm_mx) && batch >= rnnrt_tuning_mx_rows()) {
        pl.step_gemm = &pk->gemm_mx;
        pl.step_kc = pk->kc;
    }
    pl.proj_step = tile_for_rows(&pk->proj_gemm, &pk->proj_mx, batch);
    pl.n_step = tile_for_rows(&pk->n_gemm, &pk->n_mx, batch);
    int max_nr = pk->nr > pk->proj_gemm.nr ? pk->nr : pk->proj_gemm.nr;
    int max_mr = pk->gemm.mr > pl.proj_step->mr ? pk->gemm.mr : pl.proj_step->mr;
    max_nr = max_nr > pk->n_gemm.nr ? max_nr : pk->n_gemm.nr; /* gru_reset_before's n tile */
    max_mr = max_mr > pl.n_step->mr ? max_mr : pl.n_step->mr;
    max_mr = max_mr > pl.step_gemm->mr ? max_mr : pl.step_gemm->mr;
    max_mr = max_mr > 2 ? max_mr : 2; /* a pair tile's one row of two panels */
    pl.tile_stride = (size_t)max_mr * max_nr + 16;
    const size_t hsz = (size_t)batch * m->h_size;
    /* Layers of one direction that all run the same way can go chunk by chunk. */
    pl.chunked_layers = m->directions == 1 &&
                        (m->reverse_layers == 0 || m->reverse_layers == m->layers);
    const size_t layer_out = (size_t)(pl.chunked_layers ? pl.chunk : seq_len) * batch *
                             m->directions * m->h_size;
    /* Rounded activations: each thread's prepared GEMM input, at most a chunk's rows of the
     * widest input (x, h, the projection's input, r * h), and their scales */
    pl.pv = rnnrt_provider_of(pk->dtype);
    const size_t row_bytes = pl.pv->row_bytes((size_t)rnnrt_model_widest_input(m));
    if (row_bytes) { /* whole floats per thread: stride % 4 == 0 */
        pl.qscales_stride = (size_t)pl.chunk * batch;
        pl.qrows_stride = (pl.qscales_stride * row_bytes + 63) / 64 * 64;
    }
    /* One block for everything, carved at 64-byte boundaries. */
    const size_t sizes[] = {
        (size_t)pl.chunk * batch * ldx,                        /* xproj */
        2 * hsz,                                               /* hbuf[0], hbuf[1] */
        m->proj ? (size_t)batch * m->hidden : 0,               /* hfull */
        m->layers > 1 ? 2 * layer_out : 0,                     /* between[0], between[1] */
        (size_t)pl.threads * pl.tile_stride,                   /* tiles */
        pk->n_panels ? 2 * (size_t)batch * m->hidden : 0,      /* rh, z */
        (size_t)pl.threads * pl.qrows_stride / 4,              /* qrows, as floats */
        (size_t)pl.threads * pl.qscales_stride,                /* qscales */
    };
    enum { PARTS = sizeof sizes / sizeof sizes[0] };
    float *parts[PARTS];
    size_t total = 0;
    for (int i = 0; i < PARTS; i++)
        total += (sizes[i] + 15) / 16 * 16;
    float *block = rnnrt_workspace_reserve(ws, total * sizeof(float));
    if (!block)
        return rnnrt_fail(RNNRT_E_NOMEM, "rnnrt_forward: out of memory for a %zu-byte workspace",
                          total * sizeof(float));
    for (int i = 0; i < PARTS; i++) {
        parts[i] = sizes[i] ? block : NULL;
        block += (sizes[i] + 15) / 16 * 16;
    }
    pl.xproj = parts[0];
    pl.hbuf[0] = parts[1];
    pl.hbuf[1] = parts[1] + hsz;
    pl.hfull = parts[2];
    pl.between[0] = parts[3];
    pl.between[1] = parts[3] ? parts[3] + layer_out : NULL;
    pl.tiles = parts[4];
    pl.rh = parts[5];
    pl.z = parts[5] ? parts[5] + (size_t)batch * m->hidden : NULL;
    pl.qrows = parts[6];
    pl.qscales = parts[7];
    if (pl.hfull) /* rows of finished sequences are multiplied but never used: keep them 0 */
        memset(pl.hfull, 0, sizes[2] * sizeof(float));
    rnnrt_barrier_init(&pl.barrier, (unsigned)pl.threads);
    if (pl.threads == 1) {
        run_thread(&pl, 0, 1);
    } else {
#pragma omp parallel num_threads(pl.threads)
        {
            /* OpenMP may grant fewer threads (nested regions, limits): then one thread does
             * all the work, which gives the same bytes. */
            if (omp_get_num_threads() == pl.threads)
                run_thread(&pl, omp_get_thread_num(), pl.threads);
            else if (omp_get_thread_num() == 0) {
                rnnrt_barrier_set_threads(&pl.barrier, 1);
                pl.watch = false;
                run_thread(&pl, 0, 1);
            }
        }
    }
    if (ticket.slot)
        rnnrt_choice_end(&ticket, (long long)seq_len * batch);
    return RNNRT_OK;
}
