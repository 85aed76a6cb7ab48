#include "error.h"

#include <stdarg.h>
#include <stdio.h>

/* One message per thread, so concurrent callers never see each other's errors. */
static _Thread_local char last_error[512];

const char *rnnrt_status_string(rnnrt_status s)
{
    switch (s) {
    case RNNRT_OK: return "ok";
    case RNNRT_E_INVALID: return "invalid argument";
    case RNNRT_E_NOMEM: return "out of memory";
    case RNNRT_E_IO: return "i/o error";
    case RNNRT_E_FORMAT: return "invalid model format";
    case RNNRT_E_UNSUPPORTED: return "unsupported";
    case RNNRT_E_BUSY: return "busy";
    case RNNRT_E_TIMEOUT: return "timed out";
    case RNNRT_E_CLOSED: return "closed";
    }
    return "unknown status";
}

const char *rnnrt_last_error(void)
{
    return last_error;
}

void rnnrt_clear_error(void)
{
    last_error[0] = '\0';
}

rnnrt_status rnnrt_fail(rnnrt_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return status;
}
