/* rnnrt_forward: argument checks, the state (or a zero one), then the forward pass. */
#include <stdint.h>
#include <stdlib.h>

#include "alloc.h"
#include "checked.h"
#include "dispatch.h"
#include "error.h"
#include "forward.h"
#include "state.h"
#include "threads.h"
#include "variant.h"
#include "workspace.h"

rnnrt_status rnnrt_check_sequence(const char *fn, const rnnrt_model *m, const void *in,
                                  const char *in_name, const void *out, const char *out_name,
                                  int seq_len, int batch, const int *lengths, uint64_t width)
{
    if (!m)
        return rnnrt_fail(RNNRT_E_INVALID, "%s: model is NULL", fn);
    if (!in)
        return rnnrt_fail(RNNRT_E_INVALID, "%s: %s is NULL", fn, in_name);
    if (!out)
        return rnnrt_fail(RNNRT_E_INVALID, "%s: %s is NULL", fn, out_name);
    if (seq_len < 1)
        return rnnrt_fail(RNNRT_E_INVALID, "%s: seq_len must be >= 1, got %d", fn, seq_len);
    if (batch < 1 || batch > RNNRT_MAX_DIM)
        return rnnrt_fail(RNNRT_E_INVALID, "%s: batch must be in [1, %d], got %d", fn,
                          RNNRT_MAX_DIM, batch);
    /* Arrays larger than 2^48 bytes cannot exist in a 64-bit address space of today (47 or
     * 48 bits of user space), so such sizes are refused before anything is touched. The
     * product saturates instead of wrapping: 2^30 x 2^24 x 256 floats is 2^64 bytes. */
    uint64_t bytes = rnnrt_mul4_sat((uint64_t)seq_len, (uint64_t)batch, width, sizeof(float));
    if (bytes > RNNRT_MAX_ARRAY_BYTES || bytes > SIZE_MAX / 4)
        return rnnrt_fail(RNNRT_E_INVALID,
                          "%s: seq_len %d x batch %d x %llu floats is too large (more than "
                          "2^48 bytes)", fn, seq_len, batch, (unsigned long long)width);
    if (lengths)
        for (int b = 0; b < batch; b++)
            if (lengths[b] < 1 || lengths[b] > seq_len)
                return rnnrt_fail(RNNRT_E_INVALID,
                                  "%s: lengths[%d] = %d, expected 1..seq_len (%d)", fn, b,
                                  lengths[b], seq_len);
    return RNNRT_OK;
}

rnnrt_status rnnrt_check_forward(const char *fn, const rnnrt_model *m,
                                 const rnnrt_state *state, const float *x, int seq_len,
                                 int batch, const int *lengths, const float *y)
{
    uint64_t width = m ? (uint64_t)(m->input_size > m->directions * m->h_size
                                        ? m->input_size : m->directions * m->h_size) : 0;
    rnnrt_status s = rnnrt_check_sequence(fn, m, x, "x", y, "y", seq_len, batch, lengths,
                                          width);
    if (s || !state)
        return s;
    if ((s = rnnrt_state_check(fn, state, m)))
        return s;
    if (state->batch != batch)
        return rnnrt_fail(RNNRT_E_INVALID, "%s: the state holds %d sequences but batch is %d",
                          fn, state->batch, batch);
    return RNNRT_OK;
}

static rnnrt_status run_variant(const rnnrt_model *m, float *h, float *c, const float *x,
                                int seq_len, int batch, const int *lengths, float *y,
                                rnnrt_workspace *ws, rnnrt_workspace *order_ws)
{
    const rnnrt_kernels *k = rnnrt_model_kernels(m);
    const int threads = rnnrt_model_thread_count(m);
    switch (rnnrt_active_variant()) {
    case RNNRT_VARIANT_REFERENCE:
        return rnnrt_forward_reference(m, h, c, x, seq_len, batch, lengths, y, threads);
    case RNNRT_VARIANT_BLOCKED:
        break;
    }
    return rnnrt_forward_blocked_any_order(m, k, h, c, x, seq_len, batch, lengths, y, threads,
                                           ws, order_ws);
}

rnnrt_status rnnrt_forward_checked(const char *fn, const rnnrt_model *m, rnnrt_state *state,
                                   const float *x, int seq_len, int batch, const int *lengths,
                                   float *y)
{
    /* without a state, scratch lives for this call only */
    rnnrt_workspace temp = {0}, temp_order = {0};
    float *h = state ? state->h : rnnrt_calloc(rnnrt_state_h_count(m, batch), sizeof(float));
    float *c = state ? state->c : NULL;
    size_t nc = rnnrt_state_c_count(m, batch);
    if (!state && nc)
        c = rnnrt_calloc(nc, sizeof(float));
    rnnrt_status s;
    if (!h || (nc && !c))
        s = rnnrt_fail(RNNRT_E_NOMEM, "%s: out of memory for a zero state", fn);
    else
        s = run_variant(m, h, c, x, seq_len, batch, lengths, y, state ? &state->work : &temp,
                        state ? &state->order : &temp_order);
    if (!state) {
        rnnrt_free(h);
        rnnrt_free(c);
        rnnrt_workspace_release(&temp);
        rnnrt_workspace_release(&temp_order);
    }
    return s;
}

rnnrt_status rnnrt_forward(const rnnrt_model *m, rnnrt_state *state, const float *x,
                           int seq_len, int batch, const int *lengths, float *y)
{
    rnnrt_clear_error();
    rnnrt_status s = rnnrt_check_forward("rnnrt_forward", m, state, x, seq_len, batch, lengths, y);
    return s ? s : rnnrt_forward_checked("rnnrt_forward", m, state, x, seq_len, batch, lengths, y);
}
