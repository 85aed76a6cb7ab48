#include "thread_choice.h"

#include <limits.h>

#include "threads.h"

#define FIRST_INTERVAL 100000000ll /* 100 ms */
#define LAST_INTERVAL 1000000000ll /* 1 s */
#define BURST RNNRT_CHOICE_BURST
#define LONG_CALL RNNRT_CHOICE_LONG_CALL_NS /* one such call is a trial on its own */
#define TRIAL_SHARE 32 /* the wait before the next trial, in trial lengths */
#define SETTLE RNNRT_CHOICE_SETTLE

static rnnrt_choice_slot *find_slot(rnnrt_choice *c, int key)
{
    for (int i = 0; i < RNNRT_CHOICE_SLOTS; i++)
        if (atomic_load_explicit(&c->slot[i].key, memory_order_relaxed) == key)
            return &c->slot[i];
    /* A new shape takes the oldest slot. Two callers may race for one: the loser's
     * measurements land in a slot of another shape, which only delays a choice. */
    rnnrt_choice_slot *s = &c->slot[atomic_fetch_add(&c->next, 1) % RNNRT_CHOICE_SLOTS];
    atomic_store(&s->ps[0], 0);
    atomic_store(&s->ps[1], 0);
    atomic_store(&s->next_trial, 0);
    atomic_store(&s->interval, FIRST_INTERVAL);
    atomic_store(&s->trial_left, 0);
    atomic_store(&s->tries[0], 0);
    atomic_store(&s->tries[1], 0);
    atomic_store(&s->key, key);
    return s;
}

/* Whether a shape with n_one and n_several finished trials is still settling. */
static bool settling(int n_one, int n_several)
{
    return n_one < SETTLE || n_several < SETTLE;
}

static bool slot_settling(const rnnrt_choice_slot *s)
{
    return settling(atomic_load_explicit(&s->tries[0], memory_order_relaxed),
                    atomic_load_explicit(&s->tries[1], memory_order_relaxed));
}

rnnrt_choice_ticket rnnrt_choice_begin(rnnrt_choice *c, int key)
{
    return rnnrt_choice_begin_at(c, key, rnnrt_now_ns());
}

void rnnrt_choice_end(const rnnrt_choice_ticket *t, long long row_steps)
{
    rnnrt_choice_end_at(t, row_steps, rnnrt_now_ns());
}

rnnrt_choice_ticket rnnrt_choice_begin_at(rnnrt_choice *c, int key, long long now)
{
    rnnrt_choice_slot *s = find_slot(c, key);
    rnnrt_choice_ticket t = {.slot = s, .start = now};
    if (atomic_load_explicit(&s->trial_left, memory_order_relaxed) > 0) {
        t.trial = true;
        t.several = atomic_load_explicit(&s->trial_several, memory_order_relaxed);
        return t;
    }
    long long one = atomic_load_explicit(&s->ps[0], memory_order_relaxed);
    long long several = atomic_load_explicit(&s->ps[1], memory_order_relaxed);
    bool faster = several && one ? several <= one : !several; /* unmeasured: try it */
    long long due = atomic_load_explicit(&s->next_trial, memory_order_relaxed);
    /* one caller starts the trial; the others go on with the faster choice */
    if ((!one || !several || t.start >= due) &&
        atomic_compare_exchange_strong(&s->next_trial, &due, LLONG_MAX)) {
        /* while settling, the choice tried fewer times (several first); then the slower */
        int n1 = atomic_load_explicit(&s->tries[0], memory_order_relaxed);
        int ns = atomic_load_explicit(&s->tries[1], memory_order_relaxed);
        bool tried = settling(n1, ns) ? ns <= n1 : !faster;
        atomic_store(&s->trial_several, tried);
        atomic_store(&s->trial_best, LLONG_MAX);
        atomic_store(&s->trial_ns, 0);
        atomic_store(&s->trial_left, BURST);
        t.trial = true;
        t.several = tried;
        return t;
    }
    t.several = faster;
    return t;
}

void rnnrt_choice_end_at(const rnnrt_choice_ticket *t, long long row_steps, long long now)
{
    rnnrt_choice_slot *s = t->slot;
    long long ns = now - t->start;
    long long ps = ns * 1000 / (row_steps > 0 ? row_steps : 1);
    ps = ps > 0 ? ps : 1;
    atomic_llong *mine = &s->ps[t->several], *other = &s->ps[!t->several];
    if (!t->trial) { /* the choice in use follows the load smoothly */
        long long old = atomic_load_explicit(mine, memory_order_relaxed);
        atomic_store_explicit(mine, old ? (3 * old + ps) / 4 : ps, memory_order_relaxed);
        return;
    }
    long long best = atomic_load_explicit(&s->trial_best, memory_order_relaxed);
    while (ps < best && !atomic_compare_exchange_weak(&s->trial_best, &best, ps)) {
    }
    atomic_fetch_add(&s->trial_ns, ns);
    if (ns >= LONG_CALL)
        atomic_store(&s->trial_left, 1);
    if (atomic_fetch_sub(&s->trial_left, 1) != 1)
        return;
    /* The burst is over: its best replaces the old measurement of the choice it tried. */
    best = atomic_load(&s->trial_best);
    atomic_store_explicit(mine, best, memory_order_relaxed);
    int tries = atomic_load_explicit(&s->tries[t->several], memory_order_relaxed);
    if (tries < SETTLE)
        atomic_store_explicit(&s->tries[t->several], tries + 1, memory_order_relaxed);
    long long rival = atomic_load_explicit(other, memory_order_relaxed);
    long long interval = atomic_load_explicit(&s->interval, memory_order_relaxed);
    /* Any loss backs off. Retrying near ties soon was tried and measured worse: beside a
     * busy process, 2-thread trials at batch 64 come within 10% of one thread often enough
     * that trials every 100 ms cost up to 25%. */
    if (!rival || best < rival)
        interval = FIRST_INTERVAL;
    else
        interval = interval * 2 > LAST_INTERVAL ? LAST_INTERVAL : interval * 2;
    atomic_store_explicit(&s->interval, interval, memory_order_relaxed);
    long long wait = TRIAL_SHARE * atomic_load(&s->trial_ns);
    wait = wait > interval ? wait : interval;
    /* an unmeasured rival, or one still settling, is due at once */
    atomic_store_explicit(&s->next_trial, rival && !slot_settling(s) ? now + wait : 0,
                          memory_order_relaxed);
}
