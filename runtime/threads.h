#ifndef RNNRT_THREADS_H
#define RNNRT_THREADS_H

#include <stdbool.h>

/* The monotonic clock in nanoseconds (the vDSO's: no system call). */
long long rnnrt_now_ns(void);

#endif
