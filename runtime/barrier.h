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
    unsigned threads;
} rnnrt_barrier;

void rnnrt_barrier_init(rnnrt_barrier *b, unsigned threads);
void rnnrt_barrier_wait(rnnrt_barrier *b);

#endif
