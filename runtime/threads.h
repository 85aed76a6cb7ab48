#ifndef RNNRT_THREADS_H
#define RNNRT_THREADS_H

/* The thread count a forward pass may use (>= 1). */
int rnnrt_threads_for_forward(void);

#endif
