/* The general gate path of the blocked pass (gates_general.h). */
#include "gates_general.h"

/* Clamps v[0, n) to [-clip, clip] when there is a clip (NaN stays NaN). */
static void clamp(float *v, size_t n, float clip)
{
    if (clip <= 0.0f)
        return;
    for (size_t j = 0; j < n; j++)
        v[j] = v[j] > clip ? clip : v[j] < -clip ? -clip : v[j];
}

/* v = a(clamp(v)) in place. */
static void activate(const rnnrt_kernels *k, const rnnrt_activation *a, float clip, float *v,
                     size_t n)
{
    clamp(v, n, clip);
    k->vact(n, v, v, a);
}

/* One row of an LSTM cell: f (gate functions) on i, f and o, g on the candidate, h on the
 * new cell; the peepholes join i and f (with c_prev) and o (with c) before the clamp. */
static void lstm_row(const rnnrt_model *m, const rnnrt_kernels *k, const rnnrt_layer_weights *w,
                     int u0, size_t n, float *t, size_t gs, float *c, float *h)
{
    const bool coupled = m->cell == RNNRT_CELL_LSTM_COUPLED;
    const bool peephole = m->cell == RNNRT_CELL_LSTM_PEEPHOLE;
    float *i = t, *f = coupled ? t : t + gs, *g = f + gs, *o = g + gs;
    if (peephole)
        for (size_t j = 0; j < n; j++) {
            i[j] += w->p_i[u0 + j] * c[j];
            f[j] += w->p_f[u0 + j] * c[j];
        }
    if (!coupled)
        activate(k, &w->act[0], m->clip, i, n);
    activate(k, &w->act[0], m->clip, f, n);
    activate(k, &w->act[1], m->clip, g, n);
    if (coupled)
        for (size_t j = 0; j < n; j++)
            c[j] = f[j] * c[j] + (1.0f - f[j]) * g[j];
    else
        for (size_t j = 0; j < n; j++)
            c[j] = f[j] * c[j] + i[j] * g[j];
    if (peephole)
        for (size_t j = 0; j < n; j++)
            o[j] += w->p_o[u0 + j] * c[j];
    activate(k, &w->act[0], m->clip, o, n);
    k->vact(n, c, g, &w->act[2]); /* h's function of the new cell, into g's columns */
    for (size_t j = 0; j < n; j++)
        h[j] = o[j] * g[j];
}

void rnnrt_general_rows(const rnnrt_model *m, const rnnrt_kernels *k,
                        const rnnrt_layer_weights *w, int u0, size_t rows, size_t n, float *t,
                        size_t ldt, size_t gs, float *c, size_t ldc, float *h, size_t ldh)
{
    for (size_t r = 0; r < rows; r++) {
        if (rnnrt_cell_is_rnn(m->cell)) {
            clamp(t + r * ldt, n, m->clip);
            k->vact(n, t + r * ldt, h + r * ldh, &w->act[0]);
        } else {
            lstm_row(m, k, w, u0, n, t + r * ldt, gs, c + r * ldc, h + r * ldh);
        }
    }
}

/* r and z from both parts; r scales U_n h + b_hn inside the candidate's pre-activation. */
void rnnrt_general_gru_rows(const rnnrt_model *m, const rnnrt_kernels *k,
                            const rnnrt_layer_weights *w, int u0, size_t rows, size_t n,
                            float *t, size_t ldt, size_t gs, const float *x, size_t ldx,
                            const float *h_prev, float *h, size_t ldh)
{
    const float *b_hn = w->b_hh + 2 * (size_t)m->hidden + u0;
    for (size_t r = 0; r < rows; r++) {
        float *rg = t + r * ldt, *z = rg + gs, *ng = z + gs;
        const float *xr = x + r * ldx, *hp = h_prev + r * ldh;
        for (size_t j = 0; j < n; j++) {
            rg[j] += xr[j];
            z[j] += xr[gs + j];
        }
        activate(k, &w->act[0], m->clip, rg, n);
        activate(k, &w->act[0], m->clip, z, n);
        for (size_t j = 0; j < n; j++)
            ng[j] = xr[2 * gs + j] + rg[j] * (ng[j] + b_hn[j]);
        activate(k, &w->act[1], m->clip, ng, n);
        for (size_t j = 0; j < n; j++)
            h[r * ldh + j] = (1.0f - z[j]) * ng[j] + z[j] * hp[j];
    }
}

void rnnrt_general_rb_rz_rows(const rnnrt_model *m, const rnnrt_kernels *k,
                              const rnnrt_layer_weights *w, size_t rows, size_t n, float *t,
                              size_t ldt, size_t gs, const float *h_prev, float *rh, float *z,
                              size_t ld)
{
    for (size_t r = 0; r < rows; r++) {
        float *rg = t + r * ldt, *zg = rg + gs;
        activate(k, &w->act[0], m->clip, rg, n);
        activate(k, &w->act[0], m->clip, zg, n);
        for (size_t j = 0; j < n; j++) { /* rh may be h_prev */
            rh[r * ld + j] = rg[j] * h_prev[r * ld + j];
            z[r * ld + j] = zg[j];
        }
    }
}

void rnnrt_general_rb_h_rows(const rnnrt_model *m, const rnnrt_kernels *k,
                             const rnnrt_layer_weights *w, size_t rows, size_t n, float *t,
                             size_t ldt, const float *z, const float *h_prev, float *h,
                             size_t ldh)
{
    for (size_t r = 0; r < rows; r++) {
        float *ng = t + r * ldt;
        activate(k, &w->act[1], m->clip, ng, n);
        for (size_t j = 0; j < n; j++) { /* h may be h_prev or z */
            const size_t at = r * ldh + j;
            h[at] = (1.0f - z[at]) * ng[j] + z[at] * h_prev[at];
        }
    }
}
