/* Streams of a batcher (rnnrt.h, "Streams"): opening, the queue of pushes, waiting, the
 * state, closing. The scheduler that runs their steps is runtime/batcher.c; the lock and
 * the fields it guards are described in runtime/batcher.h. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "batcher.h"
#include "checked.h"
#include "error.h"

void rnnrt_stream_list_append(stream_list *l, rnnrt_stream *s)
{
    s->prev = l->tail;
    s->next = NULL;
    if (l->tail)
        l->tail->next = s;
    else
        l->head = s;
    l->tail = s;
    l->count++;
}

void rnnrt_stream_list_remove(stream_list *l, rnnrt_stream *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        l->head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        l->tail = s->prev;
    s->prev = s->next = NULL;
    l->count--;
}

void rnnrt_stream_unlist(rnnrt_stream *s)
{
    if (s->where == STREAM_READY)
        rnnrt_stream_list_remove(&s->b->ready, s);
    else if (s->where == STREAM_IDLE)
        rnnrt_stream_list_remove(&s->b->idle, s);
    s->where = STREAM_NOWHERE;
}

void rnnrt_stream_settle(rnnrt_stream *s, long long now)
{
    rnnrt_batcher *b = s->b;
    if (s->closed || s->running)
        return; /* a running stream is settled by the scheduler after its step */
    const int want = s->ring.count ? STREAM_READY : STREAM_IDLE;
    if (s->where == want)
        return;
    rnnrt_stream_unlist(s);
    s->where = want;
    if (want == STREAM_READY) {
        rnnrt_stream_list_append(&b->ready, s);
        /* the scheduler sleeps with nothing ready, or gathers until max_batch are */
        if (b->ready.count == 1 || b->ready.count == b->limits.max_batch)
            pthread_cond_signal(&b->wake);
    } else {
        s->idle_since = now;
        rnnrt_stream_list_append(&b->idle, s);
        if (b->idle.count == 1 && b->limits.idle_timeout_ms) /* a first eviction deadline */
            pthread_cond_signal(&b->wake);
    }
}

push_ring rnnrt_stream_detach(rnnrt_stream *s)
{
    push_ring r = s->ring;
    s->ring = (push_ring){0};
    s->pending = 0;
    s->pushes_done = s->pushes;
    return r;
}

void rnnrt_push_ring_drop(push_ring *r, rnnrt_status status)
{
    for (int i = 0; i < r->count; i++) {
        const rnnrt_push *p = &r->q[(r->head + i) % r->capacity];
        if (p->notify)
            p->notify(p->user, status);
    }
    rnnrt_free(r->q);
    *r = (push_ring){0};
}

push_ring rnnrt_stream_shut(rnnrt_stream *s, int why)
{
    if (s->closed)
        return (push_ring){0};
    rnnrt_stream_unlist(s);
    s->closed = why;
    s->b->open--;
    pthread_cond_broadcast(&s->cond);
    return rnnrt_stream_detach(s);
}

void rnnrt_stream_release(rnnrt_stream *s)
{
    rnnrt_free(s->h);
    rnnrt_free(s->c);
    s->h = s->c = NULL;
}

void rnnrt_stream_destroy(rnnrt_stream *s)
{
    rnnrt_stream_release(s);
    rnnrt_free(s->ring.q);
    pthread_cond_destroy(&s->cond);
    rnnrt_free(s);
}

/* Why calls on a closed stream fail, for their message. */
static rnnrt_status closed_status(const rnnrt_stream *s, const char *fn)
{
    switch (s->closed) {
    case STREAM_EVICTED:
        return rnnrt_fail(RNNRT_E_CLOSED, "%s: the stream was evicted after %d ms with nothing "
                          "queued (idle_timeout_ms)", fn, s->b->limits.idle_timeout_ms);
    case STREAM_BATCHER_FREED:
        return rnnrt_fail(RNNRT_E_CLOSED, "%s: the stream's batcher was freed "
                          "(rnnrt_batcher_free)", fn);
    default:
        return rnnrt_fail(RNNRT_E_CLOSED, "%s: the stream was closed (rnnrt_stream_close)", fn);
    }
}

/* A new stream's memory, outside the lock; NULL when out of memory. */
static rnnrt_stream *new_stream(rnnrt_batcher *b)
{
    const rnnrt_model *m = b->m;
    rnnrt_stream *s = rnnrt_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->b = b;
    s->ring.capacity = 2;
    size_t nc = rnnrt_state_c_count(m, 1);
    s->h = rnnrt_calloc(rnnrt_state_h_count(m, 1), sizeof(float));
    s->c = nc ? rnnrt_calloc(nc, sizeof(float)) : NULL;
    s->ring.q = rnnrt_malloc((size_t)s->ring.capacity * sizeof *s->ring.q);
    if (!s->h || (nc && !s->c) || !s->ring.q || rnnrt_batcher_cond_init(&s->cond)) {
        rnnrt_stream_release(s);
        rnnrt_free(s->ring.q);
        rnnrt_free(s);
        return NULL;
    }
    return s;
}

rnnrt_status rnnrt_stream_open(rnnrt_batcher *b, rnnrt_stream **out)
{
    rnnrt_clear_error();
    if (!out)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_stream_open: out is NULL");
    if (!b)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_stream_open: batcher is NULL");
    pthread_mutex_lock(&b->lock);
    if (b->open >= b->limits.max_streams) {
        int open = b->open;
        pthread_mutex_unlock(&b->lock);
        return rnnrt_fail(RNNRT_E_BUSY, "rnnrt_stream_open: %d streams are open, the "
                          "batcher's max_streams", open);
    }
    b->open++; /* taken now, so that concurrent opens cannot pass the limit */
    pthread_mutex_unlock(&b->lock);
    rnnrt_stream *s = new_stream(b);
    pthread_mutex_lock(&b->lock);
    if (!s) {
        b->open--;
        pthread_mutex_unlock(&b->lock);
        return rnnrt_fail(RNNRT_E_NOMEM, "rnnrt_stream_open: out of memory for the stream's "
                          "state");
    }
    s->all_next = b->all;
    if (b->all)
        b->all->all_prev = s;
    b->all = s;
    rnnrt_stream_settle(s, rnnrt_batcher_now());
    pthread_mutex_unlock(&b->lock);
    *out = s;
    return RNNRT_OK;
}

/* Room for one more push in a ring (lock held): doubles it when full (a ring taken off by
 * a failed step starts again at 2). */
static bool ring_room(push_ring *r)
{
    if (r->count < r->capacity)
        return true;
    const int cap = r->capacity ? r->capacity * 2 : 2;
    rnnrt_push *q = cap > r->capacity ? rnnrt_malloc((size_t)cap * sizeof *q) : NULL;
    if (!q)
        return false;
    for (int i = 0; i < r->count; i++)
        q[i] = r->q[(r->head + i) % r->capacity];
    rnnrt_free(r->q);
    r->q = q;
    r->head = 0;
    r->capacity = cap;
    return true;
}

/* What every push checks first: the stream and its input and output arrays, by name. */
static rnnrt_status check_push(const char *fn, const rnnrt_stream *s, const void *in,
                               const char *in_name, const void *out, const char *out_name)
{
    rnnrt_clear_error();
    if (!s)
        return rnnrt_fail(RNNRT_E_INVALID, "%s: stream is NULL", fn);
    if (!in)
        return rnnrt_fail(RNNRT_E_INVALID, "%s: %s is NULL", fn, in_name);
    if (!out)
        return rnnrt_fail(RNNRT_E_INVALID, "%s: %s is NULL", fn, out_name);
    return RNNRT_OK;
}

static rnnrt_status check_steps(const char *fn, const rnnrt_stream *s, int steps)
{
    if (steps < 1)
        return rnnrt_fail(RNNRT_E_INVALID, "%s: steps must be >= 1, got %d", fn, steps);
    const rnnrt_model *m = s->b->m;
    const int width = m->input_size > m->h_size ? m->input_size : m->h_size;
    if (rnnrt_mul4_sat((uint64_t)steps, (uint64_t)width, sizeof(float), 1) >
        RNNRT_MAX_ARRAY_BYTES)
        return rnnrt_fail(RNNRT_E_INVALID, "%s: steps %d x %d floats is too large (more than "
                          "2^48 bytes)", fn, steps, width);
    return RNNRT_OK;
}

/* Queues p on s (its checks done): RNNRT_E_CLOSED, _BUSY (max_pending) or _NOMEM with
 * nothing queued, else RNNRT_OK. */
static rnnrt_status enqueue(rnnrt_stream *s, rnnrt_push p, const char *fn)
{
    rnnrt_batcher *b = s->b;
    rnnrt_status st = RNNRT_OK;
    pthread_mutex_lock(&b->lock);
    if (s->closed) {
        st = closed_status(s, fn);
    } else if (s->pending + p.steps > b->limits.max_pending) {
        st = rnnrt_fail(RNNRT_E_BUSY, "%s: %d more steps would pass the batcher's "
                        "max_pending (%d steps per stream; %lld queued)", fn, p.steps,
                        b->limits.max_pending, s->pending);
    } else if (!ring_room(&s->ring)) {
        st = rnnrt_fail(RNNRT_E_NOMEM, "%s: out of memory for the stream's queue of %d "
                        "pushes", fn, s->ring.count + 1);
    } else {
        const long long now = rnnrt_batcher_now();
        push_ring *r = &s->ring;
        p.since = now;
        r->q[(r->head + r->count++) % r->capacity] = p;
        s->pending += p.steps;
        s->pushes++;
        s->failed = RNNRT_OK;
        rnnrt_stream_settle(s, now);
    }
    pthread_mutex_unlock(&b->lock);
    return st;
}

rnnrt_status rnnrt_stream_push(rnnrt_stream *s, const float *x, int steps, float *y)
{
    return rnnrt_stream_push_notify(s, x, steps, y, NULL, NULL);
}

rnnrt_status rnnrt_stream_push_notify(rnnrt_stream *s, const float *x, int steps, float *y,
                                      rnnrt_push_done done, void *user)
{
    static const char fn[] = "rnnrt_stream_push";
    rnnrt_status st = check_push(fn, s, x, "x", y, "y");
    if (!st)
        st = check_steps(fn, s, steps);
    return st ? st : enqueue(s, (rnnrt_push){.kind = PUSH_FLOATS, .x = x, .y = y,
                                             .steps = steps, .notify = done, .user = user}, fn);
}

/* Ids in [0, vocab): `what` names the array in the message. */
static rnnrt_status check_ids(const char *fn, const rnnrt_model *m, const int *ids, int n,
                              const char *what)
{
    const int vocab = rnnrt_model_vocab_size(m);
    if (vocab < 1)
        return rnnrt_fail(RNNRT_E_INVALID, "%s: the model has no embedding table (token ids "
                          "need one)", fn);
    for (int t = 0; t < n; t++)
        if (ids[t] < 0 || ids[t] >= vocab)
            return rnnrt_fail(RNNRT_E_INVALID, "%s: %s[%d] = %d, expected 0..%d (the "
                              "embedding's rows)", fn, what, t, ids[t], vocab - 1);
    return RNNRT_OK;
}

rnnrt_status rnnrt_stream_push_tokens(rnnrt_stream *s, const int *ids, int steps,
                                      int last_step_only, float *logits, rnnrt_push_done done,
                                      void *user)
{
    static const char fn[] = "rnnrt_stream_push_tokens";
    rnnrt_status st = check_push(fn, s, ids, "ids", logits, "logits");
    if (!st)
        st = check_steps(fn, s, steps);
    if (!st)
        st = check_ids(fn, s->b->m, ids, steps, "ids");
    return st ? st : enqueue(s, (rnnrt_push){.kind = PUSH_TOKENS, .ids = ids, .y = logits,
                                             .steps = steps, .last_only = last_step_only != 0,
                                             .notify = done, .user = user}, fn);
}

rnnrt_status rnnrt_stream_generate(rnnrt_stream *s, const int *prompt, int prompt_len, int n,
                                   float temperature, int top_k, unsigned long long seed,
                                   int *out, rnnrt_push_done done, void *user)
{
    static const char fn[] = "rnnrt_stream_generate";
    rnnrt_status st = check_push(fn, s, prompt, "prompt", out, "out");
    if (st)
        return st;
    if (prompt_len < 1 || n < 1 || prompt_len > INT_MAX - n)
        return rnnrt_fail(RNNRT_E_INVALID, "%s: prompt_len and n must be >= 1, got %d and %d",
                          fn, prompt_len, n);
    if (isnan(temperature) || temperature < 0)
        return rnnrt_fail(RNNRT_E_INVALID, "%s: temperature must be >= 0, got %g", fn,
                          (double)temperature);
    const rnnrt_model *m = s->b->m;
    const int head = rnnrt_model_head_size(m);
    if ((st = check_ids(fn, m, prompt, prompt_len, "prompt")))
        return st;
    if (head < 1 || head > rnnrt_model_vocab_size(m))
        return rnnrt_fail(RNNRT_E_INVALID, "%s: the model needs a head of at most vocab_size "
                          "(%d) outputs, so that a sampled token can be fed back; it has %d",
                          fn, rnnrt_model_vocab_size(m), head);
    if ((st = check_steps(fn, s, prompt_len + n - 1)))
        return st;
    rnnrt_push p = {.kind = PUSH_GENERATE, .ids = prompt, .steps = prompt_len + n - 1,
                    .gen = {.prompt_len = prompt_len, .temperature = temperature,
                            .top_k = top_k, .out = out},
                    .notify = done, .user = user};
    rnnrt_rng_seed(&p.gen.rng, seed);
    return enqueue(s, p, fn);
}

/* Waits on s's condition (lock held) until `deadline` (ns; -1: none); false once past it. */
static bool wait_on(rnnrt_stream *s, long long deadline)
{
    if (deadline < 0) {
        pthread_cond_wait(&s->cond, &s->b->lock);
        return true;
    }
    struct timespec ts;
    rnnrt_batcher_timespec(deadline, &ts);
    return pthread_cond_timedwait(&s->cond, &s->b->lock, &ts) != ETIMEDOUT;
}

/* Leaves a wait (lock held): the last caller out wakes a free waiting for it. */
static void leave(rnnrt_stream *s)
{
    if (--s->inside == 0)
        pthread_cond_broadcast(&s->cond);
}

static rnnrt_status wait_for(rnnrt_stream *s, unsigned long long target, int timeout_ms,
                             const char *fn)
{
    rnnrt_batcher *b = s->b;
    const long long deadline =
        timeout_ms < 0 ? -1 : rnnrt_batcher_now() + (long long)timeout_ms * 1000000;
    pthread_mutex_lock(&b->lock);
    if (target > s->pushes && !s->closed) {
        unsigned long long made = s->pushes;
        pthread_mutex_unlock(&b->lock);
        return rnnrt_fail(RNNRT_E_INVALID, "%s: pushes is %llu but only %llu pushes were "
                          "accepted on this stream", fn, target, made);
    }
    s->inside++;
    bool in_time = true;
    while (!s->closed && !s->failed && s->pushes_done < target && in_time)
        in_time = timeout_ms != 0 && wait_on(s, deadline);
    rnnrt_status st = RNNRT_OK;
    if (s->closed)
        st = closed_status(s, fn);
    else if (s->failed)
        st = rnnrt_fail(s->failed, "%s: a batched step of this stream failed: %s", fn,
                        b->step_error);
    else if (s->pushes_done < target)
        st = rnnrt_fail(RNNRT_E_TIMEOUT, "%s: %llu of %llu pushes done after %d ms", fn,
                        s->pushes_done, target, timeout_ms);
    leave(s);
    pthread_mutex_unlock(&b->lock);
    return st;
}

rnnrt_status rnnrt_stream_wait(rnnrt_stream *s, int timeout_ms)
{
    rnnrt_clear_error();
    if (!s)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_stream_wait: stream is NULL");
    pthread_mutex_lock(&s->b->lock);
    unsigned long long all = s->pushes;
    pthread_mutex_unlock(&s->b->lock);
    return wait_for(s, all, timeout_ms, "rnnrt_stream_wait");
}

rnnrt_status rnnrt_stream_wait_pushes(rnnrt_stream *s, unsigned long long pushes,
                                      int timeout_ms)
{
    rnnrt_clear_error();
    if (!s)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_stream_wait_pushes: stream is NULL");
    return wait_for(s, pushes, timeout_ms, "rnnrt_stream_wait_pushes");
}

rnnrt_status rnnrt_stream_state(const rnnrt_stream *cs, float *h, float *c)
{
    rnnrt_clear_error();
    if (!cs)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_stream_state: stream is NULL");
    if (!h)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_stream_state: h is NULL");
    rnnrt_stream *s = (rnnrt_stream *)cs; /* its lock and wait count change, not the stream */
    const rnnrt_model *m = s->b->m;
    if (c && !rnnrt_cell_has_c(m->cell))
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_stream_state: c must be NULL for a GRU or "
                          "RNN model (no cell state)");
    pthread_mutex_lock(&s->b->lock);
    /* The scheduler owns the state during a step; after it, a stream with a read waiting
     * stays off the ready list (finish() in batcher.c) until the last read puts it back,
     * else the next step would take it again before a woken read gets the lock. */
    s->inside++;
    s->watching++;
    while (!s->closed && s->running)
        wait_on(s, -1);
    rnnrt_status st = RNNRT_OK;
    if (s->closed) {
        st = closed_status(s, "rnnrt_stream_state");
    } else {
        memcpy(h, s->h, rnnrt_state_h_count(m, 1) * sizeof(float));
        if (c)
            memcpy(c, s->c, rnnrt_state_c_count(m, 1) * sizeof(float));
    }
    if (--s->watching == 0 && !s->closed && !s->running)
        rnnrt_stream_settle(s, rnnrt_batcher_now());
    leave(s);
    pthread_mutex_unlock(&s->b->lock);
    return st;
}

void rnnrt_stream_close(rnnrt_stream *s)
{
    if (!s)
        return;
    rnnrt_batcher *b = s->b;
    pthread_mutex_lock(&b->lock);
    push_ring dropped = rnnrt_stream_shut(s, STREAM_CLOSED);
    while (s->running) /* the step in flight writes its state and y, and tells its pushes */
        pthread_cond_wait(&s->cond, &b->lock);
    rnnrt_stream_release(s);
    pthread_mutex_unlock(&b->lock);
    rnnrt_push_ring_drop(&dropped, RNNRT_E_CLOSED);
}

void rnnrt_stream_free(rnnrt_stream *s)
{
    if (!s)
        return;
    rnnrt_batcher *b = s->b;
    rnnrt_stream_close(s);
    pthread_mutex_lock(&b->lock);
    while (s->inside) /* calls woken by the close, still leaving */
        pthread_cond_wait(&s->cond, &b->lock);
    if (s->all_prev)
        s->all_prev->all_next = s->all_next;
    else
        b->all = s->all_next;
    if (s->all_next)
        s->all_next->all_prev = s->all_prev;
    pthread_mutex_unlock(&b->lock);
    rnnrt_stream_destroy(s);
}
