#ifndef RNNRT_THREADS_H
#define RNNRT_THREADS_H

#include <stdbool.h>

/* Contention: when a forward pass finds that its threads wait for a descheduled partner
 * longer than they work (another process holds the partner's core), it finishes on one
 * thread and records it here; passes then run on one thread for a hold time that doubles
 * while contention keeps being found (from 20 ms up to 1 s) and restarts once a pass on
 * several threads finds none. No system call is made: the clock is the vDSO's. */
long long rnnrt_now_ns(void);
bool rnnrt_contention_hold(void);   /* true: run the next pass on one thread */
void rnnrt_contention_seen(void);
void rnnrt_contention_cleared(void);

#endif
