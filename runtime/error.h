/* Status codes and the per-thread error message. */
#ifndef RNNRT_ERROR_H
#define RNNRT_ERROR_H

#include "rnnrt.h"

/* Records a message for rnnrt_last_error() on this thread and returns `status`, so that
 * failures read `return rnnrt_fail(RNNRT_E_INVALID, "batch must be >= 1, got %d", b);`. */
rnnrt_status rnnrt_fail(rnnrt_status status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Forgets this thread's message (at the start of every public call that can fail). */
void rnnrt_clear_error(void);

#endif
