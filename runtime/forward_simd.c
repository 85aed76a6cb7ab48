/* The "simd" forward variant: per step, the kernel set's matmul_nt on the weights as
 * loaded (no packing, no blocking), then its gate kernels row by row. One thread. It sits
 * between the reference and the blocked path in the benchmarks. */
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "forward.h"

typedef struct work {
    float *gi, *gh;     /* [batch][gates*hidden] */
    float *bias_i, *bias_h; /* [gates*hidden]: b_ih + b_hh on the input side (GRU: all but
                             * b_hn, which stays on the recurrent side inside r * (...)) */
    float *hfull;       /* [batch][hidden] before the projection */
    float *hnext;       /* [batch][h_size] */
} work;

static void cell_rows(const rnnrt_model *m, const rnnrt_layer_weights *w, const rnnrt_kernels *k,
                      int batch, const int *lengths, int t, float *h, float *c, const work *ws)
{
    const int H = m->hidden, G = m->gates, hs = m->h_size;
    for (int b = 0; b < batch; b++) {
        if (lengths && t >= lengths[b])
            continue; /* finished: the state stays as it was */
        float *g = ws->gi + (size_t)b * G * H;
        float *cb = c ? c + (size_t)b * H : NULL;
        float *hb = m->proj ? ws->hfull + (size_t)b * H : ws->hnext + (size_t)b * hs;
        if (m->cell == RNNRT_CELL_GRU) { /* r, z take both parts; n keeps U_n h apart */
            const float *r = ws->gh + (size_t)b * G * H;
            for (int j = 0; j < 2 * H; j++)
                g[j] += r[j];
            k->gru_gates((size_t)H, g, g + H, g + 2 * H, r + 2 * H, h + (size_t)b * hs, hb);
            continue;
        }
        /* the LSTM cells: the recurrent part was accumulated onto g */
        if (m->cell == RNNRT_CELL_LSTM)
            k->lstm_gates((size_t)H, g, g + H, g + 2 * H, g + 3 * H, cb, cb, hb);
        else if (m->cell == RNNRT_CELL_LSTM_PEEPHOLE)
            k->lstm_peephole_gates((size_t)H, g, g + H, g + 2 * H, g + 3 * H, w->p_i, w->p_f,
                                   w->p_o, cb, cb, hb);
        else
            k->lstm_coupled_gates((size_t)H, g, g + H, g + 2 * H, cb, cb, hb);
    }
    if (m->proj)
        k->matmul_nt((size_t)batch, (size_t)m->proj, (size_t)H, ws->hfull, (size_t)H, w->w_hr,
                     (size_t)H, NULL, ws->hnext, (size_t)hs);
    for (int b = 0; b < batch; b++)
        if (!lengths || t < lengths[b])
            memcpy(h + (size_t)b * hs, ws->hnext + (size_t)b * hs, (size_t)hs * sizeof(float));
}

rnnrt_status rnnrt_forward_simd(const rnnrt_model *m, const rnnrt_kernels *k, float *h, float *c,
                                const float *x, int seq_len, int batch, const int *lengths,
                                float *y)
{
    const int G = m->gates, H = m->hidden, hs = m->h_size, D = m->directions;
    const size_t width = (size_t)D * hs, layer_out = (size_t)seq_len * batch * width;
    work ws = {
        .gi = rnnrt_malloc((size_t)batch * G * H * sizeof(float)),
        .gh = rnnrt_malloc((size_t)batch * G * H * sizeof(float)),
        .hfull = rnnrt_calloc((size_t)batch * H, sizeof(float)),
        .hnext = rnnrt_malloc((size_t)batch * hs * sizeof(float)),
        .bias_i = rnnrt_malloc((size_t)G * H * sizeof(float)),
        .bias_h = rnnrt_calloc((size_t)G * H, sizeof(float)),
    };
    float *between = m->layers > 1 ? rnnrt_malloc(2 * layer_out * sizeof(float)) : NULL;
    rnnrt_status s = RNNRT_OK;
    if (!ws.gi || !ws.gh || !ws.hfull || !ws.hnext || !ws.bias_i || !ws.bias_h ||
        (m->layers > 1 && !between)) {
        s = rnnrt_fail(RNNRT_E_NOMEM, "rnnrt_forward: out of memory for the workspace");
        goto out;
    }
    for (int layer = 0; layer < m->layers; layer++) {
        const float *in = layer == 0 ? x : between + (size_t)((layer - 1) % 2) * layer_out;
        float *out = layer == m->layers - 1 ? y : between + (size_t)(layer % 2) * layer_out;
        for (int dir = 0; dir < D; dir++) {
            const rnnrt_layer_weights *w = rnnrt_weights(m, layer, dir);
            size_t unit = (size_t)layer * D + dir;
            float *hu = h + unit * batch * hs, *cu = c ? c + unit * batch * H : NULL;
            /* one bias per gate where the formula allows: one rounding fewer per output */
            for (int j = 0; j < G * H; j++) {
                int hn_part = m->cell == RNNRT_CELL_GRU && j >= 2 * H;
                ws.bias_i[j] = w->b_ih[j] + (hn_part ? 0.0f : w->b_hh[j]);
                ws.bias_h[j] = hn_part ? w->b_hh[j] : 0.0f;
            }
            for (int s_ = 0; s_ < seq_len; s_++) {
                int t = dir == 0 ? s_ : seq_len - 1 - s_;
                const float *xt = in + (size_t)t * batch * w->in_size;
                k->matmul_nt((size_t)batch, (size_t)G * H, (size_t)w->in_size, xt,
                             (size_t)w->in_size, w->w_ih, (size_t)w->in_size, ws.bias_i, ws.gi,
                             (size_t)G * H);
                if (m->cell == RNNRT_CELL_GRU)
                    k->matmul_nt((size_t)batch, (size_t)G * H, (size_t)hs, hu, (size_t)hs,
                                 w->w_hh, (size_t)hs, ws.bias_h, ws.gh, (size_t)G * H);
                else /* row by row on top of the input part: one rounding fewer */
                    for (int b = 0; b < batch; b++) {
                        float *g = ws.gi + (size_t)b * G * H;
                        k->matmul_nt(1, (size_t)G * H, (size_t)hs, hu + (size_t)b * hs,
                                     (size_t)hs, w->w_hh, (size_t)hs, g, g, (size_t)G * H);
                    }
                cell_rows(m, w, k, batch, lengths, t, hu, cu, &ws);
                for (int b = 0; b < batch; b++) {
                    float *dst = out + ((size_t)t * batch + b) * width + (size_t)dir * hs;
                    if (!lengths || t < lengths[b])
                        memcpy(dst, hu + (size_t)b * hs, (size_t)hs * sizeof(float));
                    else
                        memset(dst, 0, (size_t)hs * sizeof(float));
                }
            }
        }
    }
out:
    rnnrt_free(ws.gi);
    rnnrt_free(ws.gh);
    rnnrt_free(ws.hfull);
    rnnrt_free(ws.hnext);
    rnnrt_free(ws.bias_i);
    rnnrt_free(ws.bias_h);
    rnnrt_free(between);
    return s;
}
