/* The process-wide thread count, and the memory of contention between passes. Atomic
 * because any thread may read them while another sets them; OpenMP's own setting is per
 * calling thread, which surprises callers that configure the library on one thread and run
 * it on others. */
#include <stdatomic.h>
#include <time.h>

#include <omp.h>

#include "rnnrt.h"
#include "threads.h"

static atomic_int requested_threads; /* <= 0: OpenMP's default */

void rnnrt_set_num_threads(int n)
{
    atomic_store(&requested_threads, n > 0 ? n : 0);
}

int rnnrt_num_threads(void)
{
    int n = atomic_load(&requested_threads);
    return n > 0 ? n : omp_get_max_threads();
}

long long rnnrt_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

#define HOLD_MIN_NS 20000000ll    /* 20 ms: a probe costs at most one slow pass per hold */
#define HOLD_MAX_NS 1000000000ll  /* 1 s: how stale a verdict may get on a steady load */

static atomic_llong hold_until, hold_ns;

bool rnnrt_contention_hold(void)
{
    return rnnrt_now_ns() < atomic_load_explicit(&hold_until, memory_order_relaxed);
}

void rnnrt_contention_seen(void)
{
    long long h = atomic_load(&hold_ns) * 2;
    h = h < HOLD_MIN_NS ? HOLD_MIN_NS : h > HOLD_MAX_NS ? HOLD_MAX_NS : h;
    atomic_store(&hold_ns, h);
    atomic_store(&hold_until, rnnrt_now_ns() + h);
}

void rnnrt_contention_cleared(void)
{
    atomic_store(&hold_ns, 0);
}
