/* The batcher (rnnrt.h, "Streams"): one scheduler thread per batcher runs batched steps
 * over the streams that have a step queued, iteration-level batching as in cellular
 * batching (Gao et al., BatchMaker, EuroSys 2018): a stream takes one row of one step at a
 * time, so a stream in the middle of a long chunk and one that has just arrived share the
 * next step.
 *
 * A step: take up to max_batch streams from the ready list (oldest first; a stream whose
 * push has steps left goes back to its end, behind those that came meanwhile), gather their
 * states [units][rows][size] and inputs [rows][input_size], run the blocked pass for one
 * time step of `rows` sequences (every layer), scatter the states and outputs back. Rows
 * never mix and the pass's tiles are row-invariant, so each stream gets the bytes of its
 * own whole-sequence rnnrt_forward (docs/streams.md). The step's thread team is the
 * scheduler thread's OpenMP team; whether it runs on one thread or several is measured per
 * size class of the batch (thread_choice.h), in this batcher's own table.
 *
 * Memory: create sizes everything for max_batch rows and runs one step of max_batch zero
 * rows on the scheduler thread before it returns, which packs the weights and reserves the
 * pass's workspace; after that a step allocates nothing. Pushes grow a stream's ring of
 * pushes by doubling, so a steady load allocates nothing either. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "batcher.h"
#include "checked.h"
#include "dispatch.h"
#include "error.h"
#include "forward.h"
#include "sampling.h"
#include "stack.h"
#include "threads.h"
#include "variant.h"

long long rnnrt_batcher_now(void)
{
    return rnnrt_now_ns();
}

void rnnrt_batcher_timespec(long long ns, struct timespec *ts)
{
    ts->tv_sec = (time_t)(ns / 1000000000);
    ts->tv_nsec = (long)(ns % 1000000000);
}

int rnnrt_batcher_cond_init(pthread_cond_t *c)
{
    pthread_condattr_t a;
    if (pthread_condattr_init(&a))
        return -1;
    int e = pthread_condattr_setclock(&a, CLOCK_MONOTONIC) || pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
    return e ? -1 : 0;
}

/* A key per power of two of rows, so that the thread choice learns a few size classes
 * (its table has RNNRT_CHOICE_SLOTS) rather than every batch the load happens to give. */
static int size_class(int rows)
{
    int k = 1;
    while (k < rows)
        k *= 2;
    return k;
}

/* One time step of `rows` sequences over every layer: the states in b->h and b->c, x and
 * y in b->x and b->y; `warm` (at create) measures nothing, so that the workspace is
 * reserved for the thread count asked for. */
static rnnrt_status run_step(rnnrt_batcher *b, int rows, bool warm)
{
    const rnnrt_model *m = b->m;
    const int threads = b->threads > 0 ? b->threads : rnnrt_model_thread_count(m);
    if (rnnrt_active_variant() == RNNRT_VARIANT_REFERENCE)
        return rnnrt_forward_reference(m, b->h, b->c, b->x, 1, rows, NULL, b->y, threads);
    return rnnrt_forward_blocked_choice(m, rnnrt_model_kernels(m), b->h, b->c, b->x, 1, rows,
                                        NULL, b->y, threads, &b->ws, warm ? NULL : &b->choice,
                                        size_class(rows));
}

/* The oldest push among the ready streams (fewer than max_batch of them): ns. */
static long long oldest_ready(const rnnrt_batcher *b)
{
    long long oldest = INT64_MAX;
    for (const rnnrt_stream *s = b->ready.head; s; s = s->next) {
        long long since = s->ring.q[s->ring.head].since;
        oldest = since < oldest ? since : oldest;
    }
    return oldest;
}

/* Evicts the streams idle for idle_timeout_ms (lock held); returns when the next one is
 * due (ns), 0 for never. */
static long long evict_idle(rnnrt_batcher *b, long long now)
{
    const long long timeout = (long long)b->limits.idle_timeout_ms * 1000000;
    if (!timeout)
        return 0;
    while (b->idle.head && b->idle.head->idle_since + timeout <= now) {
        rnnrt_stream *s = b->idle.head;
        push_ring none = rnnrt_stream_shut(s, STREAM_EVICTED); /* idle: no push in it */
        rnnrt_push_ring_drop(&none, RNNRT_E_CLOSED);
        rnnrt_stream_release(s);
        b->stats.evicted++;
    }
    return b->idle.head ? b->idle.head->idle_since + timeout : 0;
}

/* Sleeps on the scheduler's condition (lock held) until `deadline` (ns; 0: none). */
static void sleep_until(rnnrt_batcher *b, long long deadline)
{
    if (!deadline) {
        pthread_cond_wait(&b->wake, &b->lock);
        return;
    }
    struct timespec ts;
    rnnrt_batcher_timespec(deadline, &ts);
    pthread_cond_timedwait(&b->wake, &b->lock, &ts);
}

/* Row r's input, output and extra work for the next step of push p. */
static void plan_row(rnnrt_batcher *b, int r, const rnnrt_push *p)
{
    const rnnrt_model *m = b->m;
    const int t = p->done, logits_size = rnnrt_model_logits_size(m);
    row_extra *e = &b->extra[r];
    *e = (row_extra){0};
    b->row_y[r] = NULL;
    if (p->kind == PUSH_FLOATS) {
        b->row_x[r] = p->x + (size_t)t * m->input_size;
        b->row_y[r] = p->y + (size_t)t * m->h_size;
        return;
    }
    const int prompt = p->kind == PUSH_GENERATE ? p->gen.prompt_len : p->steps;
    const int id = t < prompt ? p->ids[t] : p->gen.out[t - prompt];
    b->row_x[r] = m->stack->embedding + (size_t)id * m->input_size;
    if (p->kind == PUSH_TOKENS && (!p->last_only || t == p->steps - 1))
        e->logits = p->y + (p->last_only ? 0 : (size_t)t * logits_size);
    if (p->kind == PUSH_GENERATE && t >= prompt - 1) {
        e->sample = true;
        e->gen = p->gen;
        e->token = p->gen.out + (t - prompt + 1);
    }
}

static bool wants_head(const rnnrt_push *p)
{
    const int t = p->done;
    return (p->kind == PUSH_TOKENS && (!p->last_only || t == p->steps - 1)) ||
           (p->kind == PUSH_GENERATE && t >= p->gen.prompt_len - 1);
}

/* Takes the step's rows off the ready list (lock held): they run, unlocked, until
 * finish(). The rows that need the head come first, so that it is one GEMM over
 * [0, logit_rows); rows do not interact, so their order is free. */
static int pick(rnnrt_batcher *b)
{
    const int rows = b->ready.count < b->limits.max_batch ? b->ready.count
                                                          : b->limits.max_batch;
    int lo = 0, hi = rows;
    for (int k = 0; k < rows; k++) {
        rnnrt_stream *s = b->ready.head;
        rnnrt_stream_unlist(s);
        s->running = true;
        const rnnrt_push *p = &s->ring.q[s->ring.head];
        const int r = wants_head(p) ? lo++ : --hi;
        b->rows[r] = s;
        plan_row(b, r, p);
    }
    b->logit_rows = lo;
    return rows;
}

/* The rows' states into the batch's [units][rows][size] arrays (to_batch), or back. */
static void move_states(rnnrt_batcher *b, int rows, bool to_batch)
{
    const rnnrt_model *m = b->m;
    const size_t hs = (size_t)m->h_size, H = (size_t)m->hidden;
    for (int u = 0; u < b->units; u++)
        for (int r = 0; r < rows; r++) {
            float *bh = b->h + ((size_t)u * rows + r) * hs, *sh = b->rows[r]->h + u * hs;
            memcpy(to_batch ? bh : sh, to_batch ? sh : bh, hs * sizeof(float));
            if (!b->c)
                continue;
            float *bc = b->c + ((size_t)u * rows + r) * H, *sc = b->rows[r]->c + u * H;
            memcpy(to_batch ? bc : sc, to_batch ? sc : bc, H * sizeof(float));
        }
}

static void gather(rnnrt_batcher *b, int rows)
{
    const size_t in = (size_t)b->m->input_size;
    move_states(b, rows, true);
    for (int r = 0; r < rows; r++)
        memcpy(b->x + r * in, b->row_x[r], in * sizeof(float));
}

static void scatter(rnnrt_batcher *b, int rows)
{
    const size_t out = (size_t)b->m->h_size;
    move_states(b, rows, false);
    for (int r = 0; r < rows; r++)
        if (b->row_y[r])
            memcpy(b->row_y[r], b->y + r * out, out * sizeof(float));
}

/* The head on rows [0, logit_rows) (their y as they are, for a model without one), then
 * each row's logits to its push, or its next token sampled (no lock held). */
static rnnrt_status heads(rnnrt_batcher *b)
{
    const rnnrt_model *m = b->m;
    const int L = b->logit_rows, V = rnnrt_model_logits_size(m);
    if (!L)
        return RNNRT_OK;
    const float *logits = b->y;
    if (rnnrt_model_head_size(m) > 0) {
        rnnrt_status st = rnnrt_stack_apply_head(m, b->y, (size_t)m->h_size, (size_t)L,
                                                 b->logits);
        if (st)
            return st;
        logits = b->logits;
    }
    for (int r = 0; r < L; r++) {
        row_extra *e = &b->extra[r];
        const float *row = logits + (size_t)r * V;
        if (e->logits)
            memcpy(e->logits, row, (size_t)V * sizeof(float));
        if (e->sample) {
            e->status = rnnrt_sample_into(row, V, e->gen.temperature, e->gen.top_k,
                                          &e->gen.rng, e->token, b->sample_scratch);
            if (e->status)
                snprintf(b->row_error, sizeof b->row_error, "%s", rnnrt_last_error());
        }
    }
    return RNNRT_OK;
}

/* The histogram bucket of a count: 0 for 1, k for 2^(k-1) + 1 .. 2^k, the last for more. */
static int bucket(unsigned long long n)
{
    int k = 0;
    while (k < RNNRT_STATS_BUCKETS - 1 && (1ull << k) < n)
        k++;
    return k;
}

/* After a step (lock held): each row's push one step further, or done (its callback
 * noted for after the lock). A stream closed during the step is left to its closer; on a
 * failed step each row's pushes are dropped and waits report the failure. The rows stay
 * running until finish(), so that a close waits for their callbacks. */
static void account(rnnrt_batcher *b, int rows, rnnrt_status st, long long now)
{
    for (int r = 0; r < rows; r++) {
        rnnrt_stream *s = b->rows[r];
        if (s->closed)
            continue;
        const rnnrt_status row = st ? st : b->extra[r].status;
        if (row) { /* the step, or this row's sample, failed: its pushes are dropped */
            if (!st)
                snprintf(b->step_error, sizeof b->step_error, "%s", b->row_error);
            s->failed = row;
            b->dropped[b->drop_count++] = (struct dropped_ring){rnnrt_stream_detach(s), row};
            pthread_cond_broadcast(&s->cond);
            continue;
        }
        push_ring *ring = &s->ring;
        rnnrt_push *p = &ring->q[ring->head];
        if (b->extra[r].sample) /* the generator moved on */
            p->gen.rng = b->extra[r].gen.rng;
        s->pending--;
        if (++p->done < p->steps)
            continue;
        if (p->notify)
            b->notes[b->note_count++] = *p;
        ring->head = (ring->head + 1) % ring->capacity;
        ring->count--;
        s->pushes_done++;
        pthread_cond_broadcast(&s->cond);
        b->stats.pushes++;
        b->stats.latency_us[bucket((unsigned long long)(now - p->since) / 1000)]++;
    }
    if (!st) {
        b->stats.steps++;
        b->stats.rows += (unsigned long long)rows;
        b->stats.batch_rows[bucket((unsigned long long)rows)]++;
    }
}

/* The callbacks of the pushes a step finished or dropped (lock held on entry and exit,
 * released while they run). */
static void tell(rnnrt_batcher *b)
{
    if (!b->note_count && !b->drop_count)
        return;
    pthread_mutex_unlock(&b->lock);
    for (int i = 0; i < b->note_count; i++)
        b->notes[i].notify(b->notes[i].user, RNNRT_OK);
    for (int i = 0; i < b->drop_count; i++)
        rnnrt_push_ring_drop(&b->dropped[i].ring, b->dropped[i].status);
    pthread_mutex_lock(&b->lock);
    b->note_count = b->drop_count = 0;
}

/* The rows back on a list, or to their closers (lock held). */
static void finish(rnnrt_batcher *b, int rows, long long now)
{
    for (int r = 0; r < rows; r++) {
        rnnrt_stream *s = b->rows[r];
        s->running = false;
        if (s->closed || s->watching) /* a closer, or a state read, waits for this */
            pthread_cond_broadcast(&s->cond);
        if (!s->closed && !s->watching) /* else the last state read puts it back */
            rnnrt_stream_settle(s, now);
    }
}

/* Runs one step if one is due (lock held on entry and exit). */
static void schedule(rnnrt_batcher *b)
{
    const long long now = rnnrt_batcher_now();
    const long long evict_at = evict_idle(b, now);
    if (!b->ready.count) {
        sleep_until(b, evict_at);
        return;
    }
    if (b->ready.count < b->limits.max_batch) { /* gather more, up to max_wait_us */
        long long due = oldest_ready(b) + (long long)b->limits.max_wait_us * 1000;
        if (due > now) {
            sleep_until(b, evict_at && evict_at < due ? evict_at : due);
            return;
        }
    }
    const int rows = pick(b);
    pthread_mutex_unlock(&b->lock);
    gather(b, rows);
    rnnrt_status st = run_step(b, rows, false);
    if (!st) {
        scatter(b, rows);
        st = heads(b);
    }
    pthread_mutex_lock(&b->lock);
    if (st)
        snprintf(b->step_error, sizeof b->step_error, "%s", rnnrt_last_error());
    const long long done = rnnrt_batcher_now();
    account(b, rows, st, done);
    tell(b);
    finish(b, rows, done);
}

/* The scheduler thread: a first step of max_batch zero rows (packing, workspace), whose
 * status create waits for in b->warm_status; then steps until stop. */
static void *scheduler(void *arg)
{
    rnnrt_batcher *b = arg;
    rnnrt_status st = run_step(b, b->limits.max_batch, true);
    if (!st && rnnrt_model_head_size(b->m) > 0)
        st = rnnrt_stack_apply_head(b->m, b->y, (size_t)b->m->h_size,
                                    (size_t)b->limits.max_batch, b->logits);
    pthread_mutex_lock(&b->lock);
    if (st)
        snprintf(b->step_error, sizeof b->step_error, "%s", rnnrt_last_error());
    b->warm_status = st;
    b->warmed = true;
    pthread_cond_broadcast(&b->wake);
    while (!st && !b->stop)
        schedule(b);
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

/* The step's buffers for max_batch rows; false when out of memory or too large. */
static bool alloc_buffers(rnnrt_batcher *b)
{
    const rnnrt_model *m = b->m;
    const size_t B = (size_t)b->limits.max_batch;
    const uint64_t floats = rnnrt_mul4_sat(B, (uint64_t)b->units,
                                           (uint64_t)m->h_size + (uint64_t)m->hidden, 1);
    if (rnnrt_mul_sat(rnnrt_add_sat(floats, B * ((uint64_t)m->input_size + m->h_size)),
                      sizeof(float)) > RNNRT_MAX_ARRAY_BYTES)
        return false;
    b->rows = rnnrt_calloc(B, sizeof *b->rows);
    b->row_x = rnnrt_calloc(B, sizeof *b->row_x);
    b->row_y = rnnrt_calloc(B, sizeof *b->row_y);
    b->notes = rnnrt_calloc(B, sizeof *b->notes);
    b->dropped = rnnrt_calloc(B, sizeof *b->dropped);
    b->extra = rnnrt_calloc(B, sizeof *b->extra);
    const int V = rnnrt_model_head_size(m);
    b->logits = V > 0 ? rnnrt_calloc(B * (size_t)V, sizeof(float)) : NULL;
    b->sample_scratch = V > 0 ? rnnrt_malloc(rnnrt_sample_scratch_size(V)) : NULL;
    b->h = rnnrt_calloc(rnnrt_state_h_count(m, (int)B), sizeof(float));
    const size_t nc = rnnrt_state_c_count(m, (int)B);
    b->c = nc ? rnnrt_calloc(nc, sizeof(float)) : NULL;
    b->x = rnnrt_calloc(B * (size_t)m->input_size, sizeof(float));
    b->y = rnnrt_calloc(B * (size_t)m->h_size, sizeof(float));
    return b->rows && b->row_x && b->row_y && b->notes && b->dropped && b->extra && b->h &&
           (!nc || b->c) && b->x && b->y && (V <= 0 || (b->logits && b->sample_scratch));
}

static void free_buffers(rnnrt_batcher *b)
{
    rnnrt_free(b->rows);
    rnnrt_free(b->row_x);
    rnnrt_free(b->row_y);
    rnnrt_free(b->notes);
    rnnrt_free(b->dropped);
    rnnrt_free(b->extra);
    rnnrt_free(b->logits);
    rnnrt_free(b->sample_scratch);
    rnnrt_free(b->h);
    rnnrt_free(b->c);
    rnnrt_free(b->x);
    rnnrt_free(b->y);
    rnnrt_workspace_release(&b->ws);
}

static rnnrt_status check_model(const rnnrt_model *m)
{
    if (m->directions != 1 || m->reverse_layers)
        return rnnrt_fail(RNNRT_E_UNSUPPORTED,
                          "rnnrt_batcher_create: the model has a layer that runs backward in "
                          "time (%s): its first output needs the whole sequence, which a "
                          "stream sends a step at a time; use rnnrt_forward",
                          m->directions != 1 ? "bidirectional" : "rnnrt.direction reverse");
    return RNNRT_OK;
}

/* Starts the scheduler and waits for its first step (lock not held). */
static rnnrt_status start(rnnrt_batcher *b)
{
    if (pthread_create(&b->thread, NULL, scheduler, b))
        return rnnrt_fail(RNNRT_E_NOMEM, "rnnrt_batcher_create: out of memory: cannot start "
                          "the scheduler thread");
    pthread_mutex_lock(&b->lock);
    while (!b->warmed)
        pthread_cond_wait(&b->wake, &b->lock);
    rnnrt_status st = b->warm_status;
    pthread_mutex_unlock(&b->lock);
    if (st) {
        pthread_join(b->thread, NULL);
        return rnnrt_fail(st, "rnnrt_batcher_create: the first step failed: %s",
                          b->step_error);
    }
    return RNNRT_OK;
}

rnnrt_status rnnrt_batcher_create(const rnnrt_model *m, const rnnrt_options *o,
                                  rnnrt_batcher **out)
{
    rnnrt_clear_error();
    if (!out)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_batcher_create: out is NULL");
    if (!m)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_batcher_create: model is NULL");
    rnnrt_status st = check_model(m);
    if (st)
        return st;
    rnnrt_batcher *b = rnnrt_calloc(1, sizeof *b);
    if (!b)
        return rnnrt_fail(RNNRT_E_NOMEM, "rnnrt_batcher_create: out of memory");
    b->m = m;
    b->limits = (o ? o : &rnnrt_default_options)->batcher;
    b->threads = o ? o->threads : 0;
    b->units = m->layers;
    if (!alloc_buffers(b)) {
        st = rnnrt_fail(RNNRT_E_NOMEM, "rnnrt_batcher_create: out of memory for the buffers "
                        "of a step of max_batch %d rows", b->limits.max_batch);
    } else if (pthread_mutex_init(&b->lock, NULL)) {
        st = rnnrt_fail(RNNRT_E_NOMEM, "rnnrt_batcher_create: out of memory for a mutex");
    } else {
        if (rnnrt_batcher_cond_init(&b->wake))
            st = rnnrt_fail(RNNRT_E_NOMEM, "rnnrt_batcher_create: out of memory for a "
                            "condition variable");
        else if ((st = start(b)))
            pthread_cond_destroy(&b->wake);
        if (st)
            pthread_mutex_destroy(&b->lock);
    }
    if (st) {
        free_buffers(b);
        rnnrt_free(b);
        return st;
    }
    *out = b;
    return RNNRT_OK;
}

void rnnrt_batcher_free(rnnrt_batcher *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->lock);
    b->stop = true;
    pthread_cond_signal(&b->wake);
    pthread_mutex_unlock(&b->lock);
    pthread_join(b->thread, NULL); /* a step in flight ends first; then no stream runs */
    for (rnnrt_stream *s = b->all; s; s = s->all_next) {
        pthread_mutex_lock(&b->lock);
        push_ring dropped = rnnrt_stream_shut(s, STREAM_BATCHER_FREED);
        pthread_mutex_unlock(&b->lock);
        rnnrt_push_ring_drop(&dropped, RNNRT_E_CLOSED);
    }
    pthread_mutex_lock(&b->lock);
    for (rnnrt_stream *s = b->all; s; s = s->all_next)
        while (s->inside) /* waits woken by the shutting, still leaving */
            pthread_cond_wait(&s->cond, &b->lock);
    pthread_mutex_unlock(&b->lock);
    for (rnnrt_stream *s = b->all, *next; s; s = next) {
        next = s->all_next;
        rnnrt_stream_destroy(s);
    }
    free_buffers(b);
    pthread_cond_destroy(&b->wake);
    pthread_mutex_destroy(&b->lock);
    rnnrt_free(b);
}

rnnrt_status rnnrt_batcher_read_stats(rnnrt_batcher *b, rnnrt_batcher_stats *out)
{
    rnnrt_clear_error();
    if (!b)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_batcher_read_stats: batcher is NULL");
    if (!out)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_batcher_read_stats: out is NULL");
    pthread_mutex_lock(&b->lock);
    *out = b->stats;
    out->open_streams = b->open;
    out->ready_streams = b->ready.count;
    pthread_mutex_unlock(&b->lock);
    return RNNRT_OK;
}
