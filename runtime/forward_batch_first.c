/* rnnrt_forward_batch_first: rnnrt_forward on batch-major arrays. x is transposed into
 * time-major scratch, the usual pass runs into more scratch, and only a successful pass is
 * transposed out into y, so a failure leaves y untouched. The scratch is the state's io
 * workspace when there is a state (streaming callers allocate nothing after the first
 * call), otherwise this call's own. */
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "forward.h"
#include "state.h"
#include "workspace.h"

static const char fn[] = "rnnrt_forward_batch_first";

void rnnrt_swap_axes(float *dst, const float *src, size_t outer, size_t inner, size_t w)
{
    for (size_t a = 0; a < outer; a++)
        for (size_t b = 0; b < inner; b++)
            memcpy(dst + (a * inner + b) * w, src + (b * outer + a) * w, w * sizeof *dst);
}

rnnrt_status rnnrt_forward_batch_first(const rnnrt_model *m, rnnrt_state *state,
                                       const float *x, int seq_len, int batch,
                                       const int *lengths, float *y)
{
    rnnrt_clear_error();
    rnnrt_status s = rnnrt_check_forward(fn, m, state, x, seq_len, batch, lengths, y);
    if (s)
        return s;
    /* The checks bound seq_len x batch x max(I, O) floats by SIZE_MAX / 4 bytes, so the two
     * arrays together take at most SIZE_MAX / 2 bytes: none of the products below wraps. */
    size_t steps = (size_t)seq_len, seqs = (size_t)batch;
    size_t in = (size_t)m->input_size, out = (size_t)m->directions * m->h_size;
    size_t nx = steps * seqs * in, ny = steps * seqs * out;
    rnnrt_workspace own = {0};
    float *xt = rnnrt_workspace_reserve(state ? &state->io : &own, (nx + ny) * sizeof(float));
    if (!xt)
        return rnnrt_fail(RNNRT_E_NOMEM, "%s: out of memory for %d x %d steps", fn, seq_len,
                          batch);
    float *yt = xt + nx;
    rnnrt_swap_axes(xt, x, steps, seqs, in);
    s = rnnrt_forward_checked(fn, m, state, xt, seq_len, batch, lengths, yt);
    if (!s)
        rnnrt_swap_axes(y, yt, seqs, steps, out);
    rnnrt_workspace_release(&own);
    return s;
}
