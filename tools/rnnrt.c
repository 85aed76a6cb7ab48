/* rnnrt: the command-line tool.
 *   rnnrt info [MODEL]          library version, CPU features, kernel set, threads (and a
 *                               model's architecture)
 *   rnnrt run MODEL --input X.npy --output Y.npy [--lengths L.npy] [--threads N]
 *             [--isa NAME] [--state-out H.npy]
 *   rnnrt run MODEL --random-input T,B[,SEED] --output Y.npy    (for trying a model) */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_features.h"
#include "npy.h"
#include "rnnrt.h"

/* Prints "rnnrt run: ..." and returns -1, for the input readers. */
static int complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int complain(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("rnnrt run: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return -1;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: rnnrt info [MODEL]\n"
            "       rnnrt run MODEL (--input X.npy | --random-input T,B[,SEED]) --output Y.npy\n"
            "                 [--lengths L.npy] [--threads N] [--isa scalar|avx2|avx512|neon]\n");
    return 2;
}

static int fail_status(const char *what, rnnrt_status s)
{
    fprintf(stderr, "rnnrt: %s: %s (%s)\n", what, rnnrt_last_error(), rnnrt_status_string(s));
    return 1;
}

static void print_model(const char *path, const rnnrt_model *m)
{
    printf("model:        %s\n", path);
    printf("cell:         %s\n", rnnrt_model_cell_name(m));
    printf("layers:       %d x %d direction%s\n", rnnrt_model_num_layers(m),
           rnnrt_model_num_directions(m), rnnrt_model_num_directions(m) > 1 ? "s" : "");
    printf("input size:   %d\n", rnnrt_model_input_size(m));
    printf("hidden size:  %d%s\n", rnnrt_model_hidden_size(m),
           rnnrt_model_has_bias(m) ? "" : " (no bias)");
    if (rnnrt_model_proj_size(m))
        printf("projection:   %d\n", rnnrt_model_proj_size(m));
    printf("output size:  %d per step\n", rnnrt_model_output_size(m));
}

static int cmd_info(int argc, char **argv)
{
    char flags[256];
    rnnrt_cpu_feature_string(flags, sizeof flags);
    const rnnrt_cpu_features *cpu = rnnrt_cpu();
    printf("rnnrt %s\n", rnnrt_version());
    printf("cpu:          %s\n", cpu->brand[0] ? cpu->brand : cpu->vendor);
    printf("cpu features: %s\n", flags[0] ? flags : "(none detected)");
    printf("kernel set:   %s\n", rnnrt_isa());
    printf("threads:      %d\n", rnnrt_num_threads());
    if (argc > 2) {
        rnnrt_model *m;
        rnnrt_status s = rnnrt_model_load(argv[2], &m);
        if (s)
            return fail_status(argv[2], s);
        print_model(argv[2], m);
        rnnrt_model_free(m);
    }
    return 0;
}

typedef struct run_args {
    const char *model, *input, *output, *lengths, *isa;
    int threads, random_t, random_b;
    unsigned random_seed;
} run_args;

static int parse_run(int argc, char **argv, run_args *a)
{
    memset(a, 0, sizeof *a);
    a->random_seed = 1;
    for (int k = 2; k < argc; k++) {
        const char *opt = argv[k], *val = k + 1 < argc ? argv[k + 1] : NULL;
        int takes_value = opt[0] == '-' && opt[1] == '-';
        if (takes_value && !val) {
            fprintf(stderr, "rnnrt run: %s needs a value\n", opt);
            return -1;
        }
        if (!strcmp(opt, "--input"))
            a->input = val;
        else if (!strcmp(opt, "--output"))
            a->output = val;
        else if (!strcmp(opt, "--lengths"))
            a->lengths = val;
        else if (!strcmp(opt, "--isa"))
            a->isa = val;
        else if (!strcmp(opt, "--threads"))
            a->threads = atoi(val);
        else if (!strcmp(opt, "--random-input")) {
            if (sscanf(val, "%d,%d,%u", &a->random_t, &a->random_b, &a->random_seed) < 2 ||
                a->random_t < 1 || a->random_b < 1) {
                fprintf(stderr, "rnnrt run: --random-input wants T,B[,SEED] with T, B >= 1\n");
                return -1;
            }
        } else if (!takes_value && !a->model) {
            a->model = opt;
            continue;
        } else {
            fprintf(stderr, "rnnrt run: unknown argument '%s'\n", opt);
            return -1;
        }
        k++;
    }
    if (!a->model || !a->output || (!a->input == !a->random_t)) {
        fprintf(stderr, "rnnrt run: needs MODEL, --output and one of --input/--random-input\n");
        return -1;
    }
    return 0;
}

/* x [T][B][I] from the .npy file or from a seeded uniform(-1, 1) generator. */
static int load_input(const run_args *a, int input_size, float **x, int *t, int *b)
{
    char err[256];
    if (a->random_t) {
        size_t n = (size_t)a->random_t * a->random_b * input_size;
        *x = malloc(n * sizeof **x);
        if (!*x)
            return complain("out of memory");
        unsigned long long s = a->random_seed * 0x9e3779b97f4a7c15ull + 1;
        for (size_t k = 0; k < n; k++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            (*x)[k] = (float)((s >> 40) * (2.0 / (1 << 24)) - 1.0);
        }
        *t = a->random_t;
        *b = a->random_b;
        return 0;
    }
    npy_array arr;
    if (npy_load(a->input, &arr, err, sizeof err))
        return complain("%s", err);
    int rc = 0;
    if (arr.ndim != 3 || arr.shape[2] != (uint64_t)input_size || !arr.shape[0] ||
        !arr.shape[1] || arr.shape[0] > 1u << 30 || arr.shape[1] > 1u << 30)
        rc = complain("%s must have shape [T, B, %d]", a->input,
                     input_size);
    else if (npy_to_f32(&arr, x, err, sizeof err))
        rc = complain("%s: %s", a->input, err);
    *t = (int)arr.shape[0];
    *b = (int)arr.shape[1];
    npy_free(&arr);
    return rc;
}

static int load_lengths(const char *path, int batch, int **lengths)
{
    char err[256];
    npy_array arr;
    if (npy_load(path, &arr, err, sizeof err))
        return complain("%s", err);
    int rc = 0;
    if (arr.ndim != 1 || arr.shape[0] != (uint64_t)batch)
        rc = complain("%s must have shape [%d]", path, batch);
    else if (npy_to_i32(&arr, lengths, err, sizeof err))
        rc = complain("%s: %s", path, err);
    npy_free(&arr);
    return rc;
}

static int cmd_run(int argc, char **argv)
{
    run_args a;
    if (parse_run(argc, argv, &a))
        return usage();
    if (a.threads)
        rnnrt_set_num_threads(a.threads);
    rnnrt_status s;
    if (a.isa && (s = rnnrt_set_isa(a.isa)))
        return fail_status("--isa", s);
    rnnrt_model *m;
    if ((s = rnnrt_model_load(a.model, &m)))
        return fail_status(a.model, s);
    float *x = NULL, *y = NULL;
    int *lengths = NULL, t = 0, b = 0, rc = 1;
    if (load_input(&a, rnnrt_model_input_size(m), &x, &t, &b) ||
        (a.lengths && load_lengths(a.lengths, b, &lengths)))
        goto out;
    size_t out_n = (size_t)t * b * rnnrt_model_output_size(m);
    if (!(y = malloc(out_n * sizeof *y))) {
        fprintf(stderr, "rnnrt run: out of memory for the output\n");
        goto out;
    }
    if ((s = rnnrt_forward(m, NULL, x, t, b, lengths, y))) {
        fail_status("forward", s);
        goto out;
    }
    char err[256];
    uint64_t shape[3] = {(uint64_t)t, (uint64_t)b, (uint64_t)rnnrt_model_output_size(m)};
    if (npy_save_f32(a.output, y, shape, 3, err, sizeof err)) {
        fprintf(stderr, "rnnrt run: %s\n", err);
        goto out;
    }
    printf("%s: %s, %d layer(s) x %d direction(s), [%d, %d, %d] -> %s [%d, %d, %d] "
           "(kernel set %s, %d threads)\n", a.model, rnnrt_model_cell_name(m),
           rnnrt_model_num_layers(m), rnnrt_model_num_directions(m), t, b,
           rnnrt_model_input_size(m), a.output, t, b, rnnrt_model_output_size(m), rnnrt_isa(),
           rnnrt_num_threads());
    rc = 0;
out:
    free(x);
    free(y);
    free(lengths);
    rnnrt_model_free(m);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    if (!strcmp(argv[1], "info"))
        return cmd_info(argc, argv);
    if (!strcmp(argv[1], "run"))
        return cmd_run(argc, argv);
    if (!strcmp(argv[1], "--version"))
        return printf("rnnrt %s\n", rnnrt_version()), 0;
    return usage();
}
