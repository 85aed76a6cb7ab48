/* The environment is read once, under pthread_once: getenv on every call would be a cost
 * and a data race with a caller's setenv. */
#include "tuning.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static int env_exact, env_chunk, env_kc, env_mx_rows;
static atomic_int over_exact = -1, over_chunk = -1, over_kc = -1, over_mx_rows = -1;
static atomic_int solo_at;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int positive(const char *name)
{
    const char *v = getenv(name);
    int n = v ? atoi(v) : 0;
    return n > 0 ? n : 0;
}

static void read_environment(void)
{
    const char *exact = getenv("RNNRT_THREADS_EXACT");
    env_exact = exact && !strcmp(exact, "1");
    env_chunk = positive("RNNRT_CHUNK");
    env_kc = positive("RNNRT_GEMM_KC");
    env_mx_rows = positive("RNNRT_MX_ROWS");
    if (!env_mx_rows)
        env_mx_rows = RNNRT_MX_ROWS_DEFAULT;
}

static int value(atomic_int *over, const int *env)
{
    int v = atomic_load_explicit(over, memory_order_relaxed);
    if (v >= 0)
        return v;
    pthread_once(&once, read_environment);
    return *env;
}

int rnnrt_tuning_threads_exact(void) { return value(&over_exact, &env_exact); }
int rnnrt_tuning_chunk(void) { return value(&over_chunk, &env_chunk); }
int rnnrt_tuning_gemm_kc(void) { return value(&over_kc, &env_kc); }
int rnnrt_tuning_mx_rows(void) { return value(&over_mx_rows, &env_mx_rows); }

void rnnrt_tuning_set_threads_exact(int v) { atomic_store(&over_exact, v < 0 ? -1 : v); }
void rnnrt_tuning_set_chunk(int v) { atomic_store(&over_chunk, v < 0 ? -1 : v); }
void rnnrt_tuning_set_gemm_kc(int v) { atomic_store(&over_kc, v < 0 ? -1 : v); }
void rnnrt_tuning_set_mx_rows(int v) { atomic_store(&over_mx_rows, v <= 0 ? -1 : v); }

static _Atomic long over_f32_panel_bytes = -1;
long rnnrt_tuning_f32_panel_bytes(void) { return atomic_load(&over_f32_panel_bytes); }
void rnnrt_tuning_set_f32_panel_bytes(long v) { atomic_store(&over_f32_panel_bytes, v < 0 ? -1 : v); }

int rnnrt_tuning_solo_at(void) { return atomic_load_explicit(&solo_at, memory_order_relaxed); }
void rnnrt_tuning_set_solo_at(int barrier) { atomic_store(&solo_at, barrier > 0 ? barrier : 0); }
