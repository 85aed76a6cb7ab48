#ifndef RNNRT_THREADS_H
#define RNNRT_THREADS_H

/* CPUs not busy with other processes right now (>= 1): the online CPUs minus the runnable
 * threads of other processes (/proc/stat's procs_running less this process's own running
 * threads, which include OpenMP workers still spinning after the last call), re-read at
 * most every 10 ms. A forward pass never asks for more threads than this: on a loaded machine a
 * second thread waits for a core at every step and makes the pass slower, not faster. */
int rnnrt_idle_cpus(void);

#endif
