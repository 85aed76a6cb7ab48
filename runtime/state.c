#include "alloc.h"
#include "state.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "error.h"

rnnrt_status rnnrt_state_create(const rnnrt_model *m, int batch, rnnrt_state **out)
{
    rnnrt_clear_error();
    if (!out)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_state_create: out is NULL");
    if (!m)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_state_create: model is NULL");
    if (batch < 1 || batch > RNNRT_MAX_DIM)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_state_create: batch must be in [1, %d], got %d",
                          RNNRT_MAX_DIM, batch);
    /* h and c of every layer and direction; refused past the limit of x and y arrays
     * before anything is allocated (and computed so that it cannot wrap). */
    uint64_t per_sequence = (uint64_t)m->h_size + (rnnrt_cell_has_c(m->cell) ? m->hidden : 0);
    uint64_t bytes = rnnrt_mul4_sat((uint64_t)m->layers * m->directions, (uint64_t)batch,
                                    per_sequence, sizeof(float));
    if (bytes > RNNRT_MAX_ARRAY_BYTES || bytes > SIZE_MAX / 2)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_state_create: batch %d x %d layers x %d "
                          "directions x %llu floats is too large (more than 2^48 bytes)", batch,
                          m->layers, m->directions, (unsigned long long)per_sequence);
    rnnrt_state *s = rnnrt_calloc(1, sizeof *s);
    if (!s)
        return rnnrt_fail(RNNRT_E_NOMEM, "rnnrt_state_create: out of memory");
    s->cell = m->cell;
    s->layers = m->layers;
    s->directions = m->directions;
    s->hidden = m->hidden;
    s->h_size = m->h_size;
    s->batch = batch;
    size_t nh = rnnrt_state_h_count(m, batch), nc = rnnrt_state_c_count(m, batch);
    s->h = rnnrt_calloc(nh, sizeof *s->h);
    s->c = nc ? rnnrt_calloc(nc, sizeof *s->c) : NULL;
    if (!s->h || (nc && !s->c)) {
        rnnrt_state_free(s);
        return rnnrt_fail(RNNRT_E_NOMEM, "rnnrt_state_create: out of memory for %zu floats",
                          nh + nc);
    }
    *out = s;
    return RNNRT_OK;
}

void rnnrt_state_free(rnnrt_state *s)
{
    if (!s)
        return;
    rnnrt_free(s->h);
    rnnrt_free(s->c);
    rnnrt_workspace_release(&s->work);
    rnnrt_workspace_release(&s->io);
    rnnrt_workspace_release(&s->order);
    rnnrt_free(s);
}

int rnnrt_state_batch(const rnnrt_state *s)
{
    return s ? s->batch : -1;
}

static size_t h_count(const rnnrt_state *s)
{
    return (size_t)s->layers * s->directions * s->batch * s->h_size;
}

static size_t c_count(const rnnrt_state *s)
{
    return s->c ? (size_t)s->layers * s->directions * s->batch * s->hidden : 0;
}

rnnrt_status rnnrt_state_reset(rnnrt_state *s)
{
    rnnrt_clear_error();
    if (!s)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_state_reset: state is NULL");
    memset(s->h, 0, h_count(s) * sizeof *s->h);
    if (s->c)
        memset(s->c, 0, c_count(s) * sizeof *s->c);
    return RNNRT_OK;
}

/* c may be NULL for an LSTM read (only h is wanted) but must be NULL for a GRU or RNN, which
 * have no cell state: a non-NULL c there means the caller misunderstands the model. */
static rnnrt_status check_c(const rnnrt_state *s, const void *c, const char *fn, int needed)
{
    if (!s->c && c)
        return rnnrt_fail(RNNRT_E_INVALID,
                          "%s: c must be NULL for a GRU or RNN state (no cell state)", fn);
    if (s->c && !c && needed)
        return rnnrt_fail(RNNRT_E_INVALID, "%s: c is NULL but an LSTM state needs it", fn);
    return RNNRT_OK;
}

rnnrt_status rnnrt_state_read(const rnnrt_state *s, float *h, float *c)
{
    rnnrt_clear_error();
    if (!s)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_state_read: state is NULL");
    if (!h)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_state_read: h is NULL");
    rnnrt_status st = check_c(s, c, "rnnrt_state_read", 0);
    if (st)
        return st;
    memcpy(h, s->h, h_count(s) * sizeof *h);
    if (c)
        memcpy(c, s->c, c_count(s) * sizeof *c);
    return RNNRT_OK;
}

rnnrt_status rnnrt_state_write(rnnrt_state *s, const float *h, const float *c)
{
    rnnrt_clear_error();
    if (!s)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_state_write: state is NULL");
    if (!h)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_state_write: h is NULL");
    rnnrt_status st = check_c(s, c, "rnnrt_state_write", 1);
    if (st)
        return st;
    memcpy(s->h, h, h_count(s) * sizeof *h);
    if (c)
        memcpy(s->c, c, c_count(s) * sizeof *c);
    return RNNRT_OK;
}

rnnrt_status rnnrt_state_check(const char *fn, const rnnrt_state *s, const rnnrt_model *m)
{
    if (s->cell != m->cell || s->layers != m->layers || s->directions != m->directions ||
        s->hidden != m->hidden || s->h_size != m->h_size)
        return rnnrt_fail(RNNRT_E_INVALID,
                          "%s: the state was created for another model shape "
                          "(%d layers x %d directions, hidden %d, h %d; this model has %d x %d, "
                          "%d, %d)", fn, s->layers, s->directions, s->hidden, s->h_size, m->layers,
                          m->directions, m->hidden, m->h_size);
    return RNNRT_OK;
}
