/* The process-wide thread count. Atomic because any thread may read it while another sets
 * it; OpenMP's own setting is per calling thread, which surprises callers that configure
 * the library on one thread and run it on others. */
#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <omp.h>
#include <stdlib.h>

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

/* procs_running from /proc/stat, or -1 if it cannot be read. */
static int procs_running(void)
{
    FILE *f = fopen("/proc/stat", "re");
    if (!f)
        return -1;
    char line[256];
    int n = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "procs_running ", 14)) {
            n = atoi(line + 14);
            break;
        }
    fclose(f);
    return n;
}

/* Threads of this process that are running or runnable: our own OpenMP workers spinning
 * after the previous call must not count as load. */
static int own_running(void)
{
    DIR *dir = opendir("/proc/self/task");
    if (!dir)
        return 1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (e->d_name[0] == '.')
            continue;
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/self/task/%.20s/stat", e->d_name);
        FILE *f = fopen(path, "re");
        if (!f)
            continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        const char *close = strrchr(buf, ')'); /* the name may hold spaces and parens */
        if (close && close[1] == ' ' && close[2] == 'R')
            n++;
    }
    closedir(dir);
    return n ? n : 1;
}

static atomic_int cached_idle;
static atomic_llong cached_at_ms = -1000000;

int rnnrt_idle_cpus(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    long long now_ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (now_ms - atomic_load(&cached_at_ms) < 10)
        return atomic_load(&cached_idle);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int running = procs_running();
    long idle = cpus < 1 ? 1 : cpus;
    if (running >= 1)
        idle = cpus - (running - own_running());
    if (idle < 1)
        idle = 1;
    atomic_store(&cached_idle, (int)idle);
    atomic_store(&cached_at_ms, now_ms);
    return (int)idle;
}
