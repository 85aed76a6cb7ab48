/* One thread or several, by measurement. A model keeps, for each of a few recent call
 * shapes, the measured time per row-step of its passes on one thread and on the thread
 * count asked for; a call runs the faster, and every so often the other, so that a change
 * of load (another process taking a core, or leaving it) is seen.
 *
 * A trial is 3 calls scored by the fastest (one call of 5 ms or more). A new shape first
 * tries each choice twice, one after the other, so that one unlucky trial (a preemption, or
 * a first call's page faults) does not settle it. After that the time to the next trial
 * doubles from 100 ms to 1 s while trials lose and restarts at 100 ms when one wins; it is
 * at least 32 times the trial's own length. Time, not calls: a losing trial on
 * several threads costs a scheduler time slice (milliseconds) whatever the call's size, so
 * trials at most once a second cost about 1% on a steady machine, and long calls stay near
 * 3%. The clock is the vDSO's, so this makes no system call. */
#ifndef RNNRT_THREAD_CHOICE_H
#define RNNRT_THREAD_CHOICE_H

#include <stdatomic.h>
#include <stdbool.h>

#include "thread_choice_trials.h"

/* The least work (flops) worth sharing between threads: about 2 microseconds of arithmetic,
 * what a barrier costs. The recurrent step and the head both run smaller work on one. */
#define RNNRT_MIN_SHARED_FLOPS (2.0 * 64 * 1024)

#define RNNRT_CHOICE_SLOTS 8


typedef struct rnnrt_choice_slot {
    atomic_int key;       /* a call shape (the batch; the head uses -rows); 0: free */
    atomic_llong ps[2];   /* picoseconds per row-step: [0] one thread, [1] several; 0: none yet */
    atomic_llong next_trial; /* ns on rnnrt_now_ns()'s clock */
    atomic_llong interval;   /* ns */
    /* A trial is a burst of calls, scored by its fastest: one call can meet a stray
     * preemption and lose for it. */
    atomic_int trial_left, trial_several;
    atomic_llong trial_best, trial_ns;
    atomic_int tries[2]; /* trials finished on one thread and on several, up to the settling */
} rnnrt_choice_slot;

typedef struct rnnrt_choice {
    rnnrt_choice_slot slot[RNNRT_CHOICE_SLOTS];
    atomic_uint next; /* the slot a new shape takes over */
} rnnrt_choice;

typedef struct rnnrt_choice_ticket {
    rnnrt_choice_slot *slot;
    bool several, trial;
    long long start;
} rnnrt_choice_ticket;

/* Before a call of shape `key` (not 0): whether it runs on several threads. */
rnnrt_choice_ticket rnnrt_choice_begin(rnnrt_choice *c, int key);
/* After it: `row_steps` rows times steps of work were done. */
void rnnrt_choice_end(const rnnrt_choice_ticket *t, long long row_steps);

/* The same at a given time (ns), for tests that play a sequence of calls on a clock. */
rnnrt_choice_ticket rnnrt_choice_begin_at(rnnrt_choice *c, int key, long long now);
void rnnrt_choice_end_at(const rnnrt_choice_ticket *t, long long row_steps, long long now);

#endif
