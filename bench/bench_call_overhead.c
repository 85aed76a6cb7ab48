/* The C side of bench/bench_python_overhead.py: the per-call time of a one-step, batch-1
 * rnnrt_forward on a model file, in a plain loop (no Google Benchmark, so the script can
 * build it with cc against any librnnrt.so).
 *   bench_call_overhead MODEL CALLS REPEATS   -> one line per repeat: nanoseconds per call */
#define _POSIX_C_SOURCE 199309L /* clock_gettime under -std=c11 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <rnnrt.h>

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s MODEL CALLS REPEATS\n", argv[0]);
        return 2;
    }
    rnnrt_model *m;
    rnnrt_state *s;
    rnnrt_set_num_threads(1); /* as the Python side: the call, not a team of threads */
    if (rnnrt_model_load(argv[1], &m) != RNNRT_OK || rnnrt_state_create(m, 1, &s) != RNNRT_OK) {
        fprintf(stderr, "%s\n", rnnrt_last_error());
        return 1;
    }
    long calls = atol(argv[2]), repeats = atol(argv[3]);
    float *x = calloc((size_t)rnnrt_model_input_size(m), sizeof *x);
    float *y = calloc((size_t)rnnrt_model_output_size(m), sizeof *y);
    for (long r = 0; r < repeats; r++) {
        double t0 = now_ns();
        for (long k = 0; k < calls; k++)
            if (rnnrt_forward(m, s, x, 1, 1, NULL, y) != RNNRT_OK)
                return 1;
        printf("%.1f\n", (now_ns() - t0) / calls);
    }
    free(x);
    free(y);
    rnnrt_state_free(s);
    rnnrt_model_free(m);
    return 0;
}
