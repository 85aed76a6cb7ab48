/* Batches whose lengths are not longest first: the blocked pass computes, at each step,
 * only the rows still running, which it finds as a prefix of the batch (forward_blocked.c,
 * running()). So a batch in any other order is run sorted, longest first (stable), and put
 * back: x gathered into the sorted order, the state's rows permuted in place, y scattered
 * back and the state's rows restored after the pass. Rows do not interact, so the bytes
 * are those of the batch in its own order; sorting is not the caller's concern. The copies
 * live in the state's `order` workspace, kept between calls. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "forward.h"

static bool longest_first(const int *lengths, int batch)
{
    for (int b = 1; b < batch; b++)
        if (lengths[b] > lengths[b - 1])
            return false;
    return true;
}

/* order[i] = the batch row that runs as row i: by length, longest first, ties in batch order
 * (an insertion sort on keys: batches are small next to a pass, and it is stable). */
static void sort_rows(const int *lengths, int batch, int *order, int *sorted)
{
    for (int b = 0; b < batch; b++) {
        int i = b;
        while (i > 0 && lengths[order[i - 1]] < lengths[b]) {
            order[i] = order[i - 1];
            i--;
        }
        order[i] = b;
    }
    for (int i = 0; i < batch; i++)
        sorted[i] = lengths[order[i]];
}

/* Rows of [groups][batch][width] floats: to[g][i] = from[g][order[i]] (gather) or
 * to[g][order[i]] = from[g][i] (scatter). */
static void permute(const float *from, float *to, size_t groups, int batch, size_t width,
                    const int *order, bool scatter)
{
    for (size_t g = 0; g < groups; g++)
        for (int i = 0; i < batch; i++) {
            const size_t a = (g * batch + i) * width, o = (g * batch + order[i]) * width;
            memcpy(to + (scatter ? o : a), from + (scatter ? a : o), width * sizeof(float));
        }
}

/* The state's rows ([units][batch][width], in place) into or out of the sorted order,
 * through `row_tmp` (batch * width floats). */
static void permute_state(float *s, size_t units, int batch, size_t width, const int *order,
                          bool back, float *tmp)
{
    for (size_t u = 0; u < units; u++) {
        float *unit = s + u * batch * width;
        memcpy(tmp, unit, (size_t)batch * width * sizeof(float));
        permute(tmp, unit, 1, batch, width, order, back);
    }
}

rnnrt_status rnnrt_forward_blocked_any_order(const rnnrt_model *m, const rnnrt_kernels *k,
                                             float *h, float *c, const float *x, int seq_len,
                                             int batch, const int *lengths, float *y,
                                             int threads, rnnrt_workspace *ws,
                                             rnnrt_workspace *order_ws)
{
    if (!lengths || longest_first(lengths, batch))
        return rnnrt_forward_blocked(m, k, h, c, x, seq_len, batch, lengths, y, threads, ws);
    const size_t in = (size_t)m->w[0].in_size, out = (size_t)m->directions * m->h_size;
    const size_t units = (size_t)m->layers * m->directions, T = (size_t)seq_len;
    const size_t width = (size_t)(m->hidden > m->h_size ? m->hidden : m->h_size);
    /* sizes were checked against RNNRT_MAX_ARRAY_BYTES for x and y (forward.c) */
    const size_t floats = T * batch * (in + out) + (size_t)batch * width;
    const size_t bytes = floats * sizeof(float) + 2 * (size_t)batch * sizeof(int);
    float *xs = rnnrt_workspace_reserve(order_ws, bytes);
    if (!xs)
        return rnnrt_fail(RNNRT_E_NOMEM, "rnnrt_forward: out of memory for a %zu-byte copy of "
                          "the batch in length order", bytes);
    float *ys = xs + T * batch * in, *tmp = ys + T * batch * out;
    int *order = (int *)(tmp + (size_t)batch * width), *sorted = order + batch;
    sort_rows(lengths, batch, order, sorted);
    permute(x, xs, T, batch, in, order, false);
    permute_state(h, units, batch, (size_t)m->h_size, order, false, tmp);
    if (c)
        permute_state(c, units, batch, (size_t)m->hidden, order, false, tmp);
    rnnrt_status s = rnnrt_forward_blocked(m, k, h, c, xs, seq_len, batch, sorted, ys, threads, ws);
    if (s == RNNRT_OK)
        permute(ys, y, T, batch, out, order, true);
    permute_state(h, units, batch, (size_t)m->h_size, order, true, tmp);
    if (c)
        permute_state(c, units, batch, (size_t)m->hidden, order, true, tmp);
    return s;
}
