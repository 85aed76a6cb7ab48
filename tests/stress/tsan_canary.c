/* A deliberate data race, for tools/run_sanitizers.sh: ThreadSanitizer must report it under
 * the very settings the threaded tests run with (clang's libomp with the Archer tool,
 * ignore_noninstrumented_modules=1), which shows those settings silence only the OpenMP
 * runtime's own false reports, not real races.
 *   tsan_canary pthread   two pthreads increment one int
 *   tsan_canary openmp    two threads of an OpenMP team do the same
 *   tsan_canary clean     the team writes its own slots and reads others' after a barrier:
 *                         no report (the barrier is seen as synchronisation) */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <omp.h>

static volatile int shared;
static int slots[64];

static void *bump(void *arg)
{
    for (int k = 0; k < 10000; k++)
        shared = shared + 1;
    return arg;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "pthread";
    if (!strcmp(mode, "pthread")) {
        pthread_t t;
        pthread_create(&t, NULL, bump, NULL);
        bump(NULL);
        pthread_join(t, NULL);
    } else if (!strcmp(mode, "openmp")) {
#pragma omp parallel num_threads(2)
        bump(NULL);
    } else {
#pragma omp parallel num_threads(4)
        {
            int me = omp_get_thread_num(), n = omp_get_num_threads();
            slots[me] = me + 1;
#pragma omp barrier
            slots[32 + me] = slots[(me + 1) % n];
#pragma omp barrier
#pragma omp single
            shared = slots[32] + slots[33];
        }
    }
    printf("%d\n", shared);
    return 0;
}
