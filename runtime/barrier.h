/* A barrier for the threads of one forward pass that spins briefly, then sleeps on a
 * futex. OpenMP's own barrier (libgomp) spins for about 300,000 pauses before it sleeps,
 * which on a loaded machine steals the core from the thread everyone is waiting for; this
 * one gives the core back after a few microseconds. */
#ifndef RNNRT_BARRIER_H
#define RNNRT_BARRIER_H

#include <stdatomic.h>

typedef struct rnnrt_barrier {
    atomic_uint arrived;
    atomic_uint generation; /* the futex word: bumped when the last thread arrives */
    atomic_uint sleepers;
    atomic_uint threads; /* changed only to 1, by a pass that goes on alone */
} rnnrt_barrier;

void rnnrt_barrier_init(rnnrt_barrier *b, unsigned threads);
void rnnrt_barrier_wait(rnnrt_barrier *b);

/* The count of threads the barrier waits for, and setting it: a pass whose other threads
 * have left (forward_blocked.c, end_of_step) makes it 1, while they may still read it. */
static inline unsigned rnnrt_barrier_threads(rnnrt_barrier *b)
{
    return atomic_load_explicit(&b->threads, memory_order_acquire);
}

static inline void rnnrt_barrier_set_threads(rnnrt_barrier *b, unsigned threads)
{
    atomic_store_explicit(&b->threads, threads, memory_order_release);
}

#endif
