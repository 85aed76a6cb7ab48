/* Whole-model forward passes (embedding -> recurrent stack -> head) and the vocabulary's
 * text: rnnrt_forward_tokens, rnnrt_forward_head, their batch-first twins,
 * rnnrt_model_encode and the queries. The recurrent stack always runs under rnnrt_forward's
 * checks (rnnrt_check_forward, then rnnrt_forward_checked), so every forward variant and its
 * argument checks apply unchanged. The batch-first calls work time-major inside, in the
 * same scratch, and transpose only at the edges, so they give the time-major call's bytes. */
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "forward.h"
#include "stack.h"
#include "state.h"
#include "workspace.h"

int rnnrt_model_vocab_size(const rnnrt_model *m)
{
    return !m ? -1 : m->stack ? m->stack->vocab : 0;
}

int rnnrt_model_head_size(const rnnrt_model *m)
{
    return !m ? -1 : m->stack ? m->stack->head : 0;
}

int rnnrt_model_logits_size(const rnnrt_model *m)
{
    return !m ? -1 : m->stack && m->stack->head ? m->stack->head : m->directions * m->h_size;
}

int rnnrt_model_num_chars(const rnnrt_model *m)
{
    return !m ? -1 : m->stack ? m->stack->n_chars : 0;
}

const char *rnnrt_model_token(const rnnrt_model *m, int id)
{
    if (!m || !m->stack || id < 0 || id >= m->stack->n_chars)
        return NULL;
    return m->stack->chars + 8 * (size_t)id;
}

/* --- Arguments ----------------------------------------------------------------------- */

/* What must be known before the embedding is read: the shared sequence checks, with room
 * for the logits in the size limit. */
static rnnrt_status check_common(const char *fn, const rnnrt_model *m, const void *in,
                                 const char *in_name, int seq_len, int batch,
                                 const int *lengths, const float *out)
{
    uint64_t width = m ? (uint64_t)m->input_size + (uint64_t)m->directions * m->h_size +
                             (uint64_t)rnnrt_model_logits_size(m) : 0;
    return rnnrt_check_sequence(fn, m, in, in_name, out, "out", seq_len, batch, lengths, width);
}

static int length_of(const int *lengths, int b, int seq_len)
{
    return lengths ? lengths[b] : seq_len;
}

/* How one call lays out its arrays and names itself: time-major ([seq_len][batch]) or
 * batch-first ([batch][seq_len]), fn the public function for messages. */
typedef struct call {
    const char *fn;
    bool batch_first;
    int seq_len, batch;
    const int *lengths;
} call;

/* Where step t of sequence b sits in the caller's ids or x, counted in steps. */
static size_t at_of(const call *c, int t, int b)
{
    return c->batch_first ? (size_t)b * c->seq_len + t : (size_t)t * c->batch + b;
}

static rnnrt_status check_ids(const call *c, const rnnrt_model *m, const int *ids)
{
    int vocab = m->stack->vocab;
    for (int t = 0; t < c->seq_len; t++)
        for (int b = 0; b < c->batch; b++) {
            int id = ids[at_of(c, t, b)];
            if (t < length_of(c->lengths, b, c->seq_len) && (id < 0 || id >= vocab))
                return rnnrt_fail(RNNRT_E_INVALID,
                                  "%s: ids[%d][%d] = %d (step t = %d, sequence b = %d) is "
                                  "outside the vocabulary [0, %d)", c->fn,
                                  c->batch_first ? b : t, c->batch_first ? t : b, id, t, b,
                                  vocab);
        }
    return RNNRT_OK;
}

/* --- Forward ------------------------------------------------------------------------- */

/* y [seq_len][batch][output_size] of the recurrent stack -> out, through the head as one
 * GEMM over every row the call returns (last_only: each sequence's last step, gathered into
 * `last` [batch][output_size]). Padded steps (past a sequence's length) are zeros in y and
 * stay zeros in out rather than becoming the bias. */
static rnnrt_status finish(const rnnrt_model *m, const float *y, int seq_len, int batch,
                           const int *lengths, int last_only, float *last, float *out)
{
    size_t o = (size_t)m->directions * m->h_size, n = (size_t)rnnrt_model_logits_size(m);
    bool head = m->stack && m->stack->head;
    if (last_only) {
        for (int b = 0; b < batch; b++) {
            const float *src = y + ((size_t)(length_of(lengths, b, seq_len) - 1) * batch + b) * o;
            memcpy(head ? last + (size_t)b * o : out + (size_t)b * n, src, o * sizeof *src);
        }
        return head ? rnnrt_stack_apply_head(m, last, o, (size_t)batch, out) : RNNRT_OK;
    }
    size_t rows = (size_t)seq_len * batch;
    if (!head) {
        memcpy(out, y, rows * o * sizeof *out);
        return RNNRT_OK;
    }
    rnnrt_status s = rnnrt_stack_apply_head(m, y, o, rows, out);
    for (int t = 0; !s && lengths && t < seq_len; t++)
        for (int b = 0; b < batch; b++)
            if (t >= lengths[b])
                memset(out + ((size_t)t * batch + b) * n, 0, n * sizeof *out);
    return s;
}

/* The time-major x -> out. scratch holds (seq_len + 1) * batch rows of the stack's output
 * (the sequence, then room for the last steps), then for a batch-first call returning every
 * step the time-major out, transposed into out only once the pass has succeeded. The stack
 * runs under rnnrt_forward's checks and name for the time-major calls, as it always has. */
static rnnrt_status run(const call *c, const rnnrt_model *m, rnnrt_state *state,
                        const float *x, int last_only, float *scratch, float *out)
{
    const char *fwd = c->batch_first ? c->fn : "rnnrt_forward";
    size_t rows = (size_t)c->seq_len * c->batch, o = (size_t)m->directions * m->h_size;
    rnnrt_status s = rnnrt_check_forward(fwd, m, state, x, c->seq_len, c->batch, c->lengths,
                                         scratch);
    if (!s)
        s = rnnrt_forward_checked(fwd, m, state, x, c->seq_len, c->batch, c->lengths, scratch);
    bool swap = c->batch_first && !last_only;
    float *last = scratch + rows * o, *out_tm = swap ? last + (size_t)c->batch * o : out;
    if (!s)
        s = finish(m, scratch, c->seq_len, c->batch, c->lengths, last_only, last, out_tm);
    if (!s && swap)
        rnnrt_swap_axes(out, out_tm, (size_t)c->batch, (size_t)c->seq_len,
                        (size_t)rnnrt_model_logits_size(m));
    return s;
}

/* Floats of scratch run() needs after `before` floats of the caller's own. The checks bound
 * seq_len x batch x (input_size + output_size + logits_size) floats by SIZE_MAX / 4 bytes,
 * so no product here wraps. */
static size_t scratch_floats(const call *c, const rnnrt_model *m, size_t before, int last_only)
{
    size_t rows = (size_t)c->seq_len * c->batch, o = (size_t)m->directions * m->h_size;
    size_t n = c->batch_first && !last_only ? rows * (size_t)rnnrt_model_logits_size(m) : 0;
    return before + (rows + (size_t)c->batch) * o + n;
}

/* Scratch: the state's, kept between calls (rnnrt generate makes one call per character),
 * or this call's own. */
static float *reserve_io(rnnrt_state *state, rnnrt_workspace *own, size_t floats)
{
    return rnnrt_workspace_reserve(state ? &state->io : own, floats * sizeof(float));
}

static rnnrt_status out_of_memory(const char *fn, int seq_len, int batch)
{
    return rnnrt_fail(RNNRT_E_NOMEM, "%s: out of memory for %d x %d steps", fn, seq_len, batch);
}

static rnnrt_status tokens(const call *c, const rnnrt_model *m, rnnrt_state *state,
                           const int *ids, int last_step_only, float *out)
{
    rnnrt_clear_error();
    rnnrt_status s = check_common(c->fn, m, ids, "ids", c->seq_len, c->batch, c->lengths, out);
    if (s)
        return s;
    if (!m->stack || !m->stack->vocab)
        return rnnrt_fail(RNNRT_E_INVALID, "%s: the model has no embedding table "
                          "(docs/model-format.md says how a file names one)", c->fn);
    if ((s = check_ids(c, m, ids)))
        return s;
    size_t rows = (size_t)c->seq_len * c->batch, e = (size_t)m->input_size;
    rnnrt_workspace own = {0};
    float *x = reserve_io(state, &own, scratch_floats(c, m, rows * e, last_step_only));
    if (!x)
        return out_of_memory(c->fn, c->seq_len, c->batch);
    /* the embedding's rows go straight into time-major x, whatever the ids' layout */
    for (int t = 0; t < c->seq_len; t++)
        for (int b = 0; b < c->batch; b++) {
            float *dst = x + ((size_t)t * c->batch + b) * e;
            if (t < length_of(c->lengths, b, c->seq_len))
                memcpy(dst, m->stack->embedding + (size_t)ids[at_of(c, t, b)] * e,
                       e * sizeof *x);
            else /* past the end: never read, but kept defined */
                memset(dst, 0, e * sizeof *x);
        }
    s = run(c, m, state, x, last_step_only, x + rows * e, out);
    rnnrt_workspace_release(&own);
    return s;
}

static rnnrt_status head(const call *c, const rnnrt_model *m, rnnrt_state *state,
                         const float *x, int last_step_only, float *out)
{
    rnnrt_clear_error();
    rnnrt_status s = check_common(c->fn, m, x, "x", c->seq_len, c->batch, c->lengths, out);
    if (s)
        return s;
    /* a batch-first x is transposed into scratch first */
    size_t nx = c->batch_first ? (size_t)c->seq_len * c->batch * m->input_size : 0;
    rnnrt_workspace own = {0};
    float *xt = reserve_io(state, &own, scratch_floats(c, m, nx, last_step_only));
    if (!xt)
        return out_of_memory(c->fn, c->seq_len, c->batch);
    if (c->batch_first)
        rnnrt_swap_axes(xt, x, (size_t)c->seq_len, (size_t)c->batch, (size_t)m->input_size);
    s = run(c, m, state, c->batch_first ? xt : x, last_step_only, xt + nx, out);
    rnnrt_workspace_release(&own);
    return s;
}

rnnrt_status rnnrt_forward_tokens(const rnnrt_model *m, rnnrt_state *state, const int *ids,
                                  int seq_len, int batch, const int *lengths, int last_step_only,
                                  float *out)
{
    call c = {"rnnrt_forward_tokens", false, seq_len, batch, lengths};
    return tokens(&c, m, state, ids, last_step_only, out);
}

rnnrt_status rnnrt_forward_tokens_batch_first(const rnnrt_model *m, rnnrt_state *state,
                                              const int *ids, int seq_len, int batch,
                                              const int *lengths, int last_step_only,
                                              float *out)
{
    call c = {"rnnrt_forward_tokens_batch_first", true, seq_len, batch, lengths};
    return tokens(&c, m, state, ids, last_step_only, out);
}

rnnrt_status rnnrt_forward_head(const rnnrt_model *m, rnnrt_state *state, const float *x,
                                int seq_len, int batch, const int *lengths, int last_step_only,
                                float *out)
{
    call c = {"rnnrt_forward_head", false, seq_len, batch, lengths};
    return head(&c, m, state, x, last_step_only, out);
}

rnnrt_status rnnrt_forward_head_batch_first(const rnnrt_model *m, rnnrt_state *state,
                                            const float *x, int seq_len, int batch,
                                            const int *lengths, int last_step_only, float *out)
{
    call c = {"rnnrt_forward_head_batch_first", true, seq_len, batch, lengths};
    return head(&c, m, state, x, last_step_only, out);
}

/* --- Text ---------------------------------------------------------------------------- */

static int find_char(const rnnrt_stack *s, uint32_t cp)
{
    for (int k = 0; k < s->n_chars; k++)
        if (s->codepoints[k] == cp)
            return k;
    return -1;
}

rnnrt_status rnnrt_model_encode(const rnnrt_model *m, const char *text, int *ids, int max_ids,
                                int *count)
{
    rnnrt_clear_error();
    if (!m)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_model_encode: model is NULL");
    if (!text)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_model_encode: text is NULL");
    if (!count)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_model_encode: count is NULL");
    if (!m->stack || !m->stack->n_chars)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_model_encode: the model has no vocabulary "
                          "(metadata rnnrt.vocab)");
    int n = 0;
    for (size_t at = 0; text[at]; n++) {
        uint32_t cp;
        size_t k = rnnrt_utf8_decode((const unsigned char *)text + at, &cp);
        if (!k)
            return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_model_encode: text is not valid UTF-8 at "
                              "byte offset %zu (byte 0x%02X)", at, (unsigned char)text[at]);
        if (find_char(m->stack, cp) < 0)
            return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_model_encode: the character U+%04X at "
                              "byte offset %zu is not in the model's vocabulary", (unsigned)cp,
                              at);
        at += k;
    }
    if (n > max_ids || (n && !ids))
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_model_encode: text has %d characters but "
                          "max_ids is %d%s", n, max_ids, ids ? "" : " (and ids is NULL)");
    for (size_t at = 0, k = 0; text[at]; k++) {
        uint32_t cp;
        at += rnnrt_utf8_decode((const unsigned char *)text + at, &cp);
        ids[k] = find_char(m->stack, cp);
    }
    *count = n;
    return RNNRT_OK;
}
