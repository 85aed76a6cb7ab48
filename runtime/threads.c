/* The process-wide thread count and the clock. Atomic because any thread may read the
 * count while another sets it; OpenMP's own setting is per
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
