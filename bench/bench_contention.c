/* Asking for 2 threads when another process keeps a core busy: per-call medians of a
 * one-layer LSTM forward at 1 and 2 threads, the two interleaved run by run so that a
 * change in the load hits both alike. tools/bench_contention.sh runs it quiet and beside a
 * busy loop. Uses only the public API (with the in-memory models of bench_model.c), so the
 * same source times any build of the library.
 *   rnnrt-bench-contention [H] [T] [runs] [batch...]      (default 512 25 15 1 4 64) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rnnrt.h>

#include "bench_model.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int H = argc > 1 ? atoi(argv[1]) : 512, T = argc > 2 ? atoi(argv[2]) : 25;
    int runs = argc > 3 ? atoi(argv[3]) : 15;
    int default_batches[] = {1, 4, 64}, *batches = default_batches, nb = 3;
    if (argc > 4) {
        nb = argc - 4;
        batches = malloc((size_t)nb * sizeof *batches);
        for (int k = 0; k < nb; k++)
            batches[k] = atoi(argv[4 + k]);
    }
    if (H < 1 || T < 1 || runs < 1) {
        fprintf(stderr, "usage: rnnrt-bench-contention [H] [T] [runs] [batch...]\n");
        return 2;
    }
    rnnrt_model *m;
    if (rnnrt_bench_make_model("lstm", H, H, 1, &m)) {
        fprintf(stderr, "model: %s\n", rnnrt_last_error());
        return 1;
    }
    printf("| T, N, H | 1 thread ms | 2 threads ms | 2 vs 1 |\n|---|---|---|---|\n");
    for (int k = 0; k < nb; k++) {
        int B = batches[k];
        size_t nx = (size_t)T * B * H;
        float *x = rnnrt_bench_alloc(nx), *y = rnnrt_bench_alloc(nx);
        rnnrt_bench_fill(x, nx, 2, 1.0f);
        /* calls per run: about 50 ms of work at 1 thread, at least 1 */
        rnnrt_set_num_threads(1);
        double t0 = now_ms();
        rnnrt_forward(m, NULL, x, T, B, NULL, y);
        double one = now_ms() - t0;
        int calls = one > 50 ? 1 : (int)(50 / (one > 0.01 ? one : 0.01));
        double *ms[2] = {malloc((size_t)runs * sizeof(double)), malloc((size_t)runs * sizeof(double))};
        for (int r = 0; r < runs; r++)
            for (int th = 1; th <= 2; th++) {
                rnnrt_set_num_threads(th);
                t0 = now_ms();
                for (int c = 0; c < calls; c++)
                    if (rnnrt_forward(m, NULL, x, T, B, NULL, y)) {
                        fprintf(stderr, "forward: %s\n", rnnrt_last_error());
                        return 1;
                    }
                ms[th - 1][r] = (now_ms() - t0) / calls;
            }
        qsort(ms[0], (size_t)runs, sizeof(double), by_value);
        qsort(ms[1], (size_t)runs, sizeof(double), by_value);
        double m1 = ms[0][runs / 2], m2 = ms[1][runs / 2];
        printf("| %d, %d, %d | %.3f | %.3f | %.2fx |\n", T, B, H, m1, m2, m2 / m1);
        fflush(stdout);
        free(ms[0]);
        free(ms[1]);
        rnnrt_bench_free(x);
        rnnrt_bench_free(y);
    }
    rnnrt_model_free(m);
    return 0;
}
