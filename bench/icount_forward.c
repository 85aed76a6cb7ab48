/* rnnrt-icount: fixed small forward passes for the instruction-count gate
 * (tools/icount_gate.py runs this under valgrind --tool=callgrind --collect-atstart=no).
 *
 * Each case is measured alone: collection is switched on around exactly one rnnrt_forward()
 * call and the counts are dumped under the case's name; model loading, the warm-up call
 * (first-call effects: OpenMP start, dispatch, lazy buffers) and everything else are not
 * counted. One thread, seeded data, aligned buffers: the count depends only on the code and
 * the compiler. Outside valgrind the macros do nothing and the program prints a checksum
 * per case (a smoke test).
 *
 * Cases: each shape under each variant with f32 weights, and one bf16, one int8 and one
 * int8-activations (int8x8: "weights" and "activations" int8) pass.
 * usage: rnnrt-icount [--list] [CASE...]     (no CASE: all of them)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rnnrt.h>

#ifdef RNNRT_BENCH_HAVE_CALLGRIND
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_DUMP_STATS_AT(s) ((void)(s))
#endif

#include "bench_model.h"
#include "tuning.h"

struct shape {
    const char *cell;
    int T, N, H, I;
};

/* Small enough to run in seconds under callgrind; sizes off the vector widths (tails) and
 * batch 1 and 5 (the blocked path's edge tiles). */
static const struct shape shapes[] = {
    {"lstm", 8, 1, 64, 64},
    {"lstm", 6, 5, 72, 40},
    {"gru", 8, 1, 64, 64},
    {"gru", 6, 5, 72, 40},
};
static const char *const variants[] = {"reference", "blocked"};

/* The reduced-precision weights: one bf16, one int8 and one int8x8 pass of the blocked
 * variant. */
static const struct reduced {
    size_t shape;
    const char *weights;
} reduced_cases[] = {{0, "bf16"}, {3, "int8"}, {1, "int8x8"}};

#define N_SHAPES (sizeof shapes / sizeof shapes[0])
#define N_VARIANTS (sizeof variants / sizeof variants[0])

static void case_name(char *buf, size_t n, const struct shape *s, const char *variant)
{
    snprintf(buf, n, "%s/T:%d/N:%d/H:%d/I:%d/%s", s->cell, s->T, s->N, s->H, s->I, variant);
}

static int selected(const char *name, int argc, char **argv)
{
    if (argc <= 1)
        return 1;
    for (int k = 1; k < argc; k++)
        if (!strcmp(argv[k], name))
            return 1;
    return 0;
}

static int run_case(const struct shape *s, const char *variant, const char *weights,
                    const char *name)
{
    rnnrt_model *m = NULL;
    rnnrt_options *o = NULL;
    rnnrt_status made = rnnrt_options_create(&o);
    const int int8x8 = weights && !strcmp(weights, "int8x8");
    if (!made && weights)
        made = rnnrt_options_set(o, "weights", int8x8 ? "int8" : weights);
    if (!made && int8x8)
        made = rnnrt_options_set(o, "activations", "int8");
    if (!made)
        made = rnnrt_bench_make_model_ex(s->cell, s->H, s->I, 20261122, o, &m);
    rnnrt_options_free(o);
    if (made != RNNRT_OK) {
        fprintf(stderr, "rnnrt-icount: %s: %s\n", name, rnnrt_last_error());
        return 1;
    }
    size_t nx = (size_t)s->T * s->N * s->I, ny = (size_t)s->T * s->N * s->H;
    float *x = rnnrt_bench_alloc(nx), *y = rnnrt_bench_alloc(ny);
    int rc = 1;
    if (!x || !y)
        goto out;
    rnnrt_bench_fill(x, nx, 7, 1.0f);
    if (rnnrt_set_variant(variant) != RNNRT_OK ||
        rnnrt_forward(m, NULL, x, s->T, s->N, NULL, y) != RNNRT_OK) { /* warm-up */
        fprintf(stderr, "rnnrt-icount: %s: %s\n", name, rnnrt_last_error());
        goto out;
    }
    CALLGRIND_TOGGLE_COLLECT;
    rnnrt_status st = rnnrt_forward(m, NULL, x, s->T, s->N, NULL, y);
    CALLGRIND_TOGGLE_COLLECT;
    CALLGRIND_DUMP_STATS_AT(name);
    if (st != RNNRT_OK) {
        fprintf(stderr, "rnnrt-icount: %s: %s\n", name, rnnrt_last_error());
        goto out;
    }
    double sum = 0;
    for (size_t j = 0; j < ny; j++)
        sum += y[j];
    printf("%-36s isa %-7s checksum %.9g\n", name, rnnrt_isa(), sum);
    rc = 0;
out:
    rnnrt_bench_free(x);
    rnnrt_bench_free(y);
    rnnrt_model_free(m);
    return rc;
}

int main(int argc, char **argv)
{
    char name[128];
    int list = argc > 1 && !strcmp(argv[1], "--list");
    rnnrt_set_num_threads(1);
    /* these models are small enough to keep bf16 and int8 weights in f32 panels; the gate
     * counts the reduced types' own tiles instead */
    rnnrt_tuning_set_f32_panel_bytes(0);
    int rc = 0;
    for (size_t v = 0; v < N_VARIANTS; v++)
        for (size_t s = 0; s < N_SHAPES; s++) {
            case_name(name, sizeof name, &shapes[s], variants[v]);
            if (list)
                printf("%s\n", name);
            else if (selected(name, argc, argv))
                rc |= run_case(&shapes[s], variants[v], NULL, name);
        }
    for (size_t r = 0; r < sizeof reduced_cases / sizeof reduced_cases[0]; r++) {
        case_name(name, sizeof name, &shapes[reduced_cases[r].shape], "blocked");
        strcat(name, "/");
        strcat(name, reduced_cases[r].weights);
        if (list)
            printf("%s\n", name);
        else if (selected(name, argc, argv))
            rc |= run_case(&shapes[reduced_cases[r].shape], "blocked", reduced_cases[r].weights,
                           name);
    }
    return rc;
}
