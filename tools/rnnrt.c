/* rnnrt: the command-line tool.
 *   rnnrt info [MODEL]          library version, CPU features, kernel set, threads (and a
 *                               model's architecture)
 *   rnnrt run MODEL --input X.npy --output Y.npy [--lengths L.npy] [--threads N]
 *             [--isa NAME] [--weights W] [--activations A] [--state-out H.npy]
 *   rnnrt run MODEL --random-input T,B[,SEED] --output Y.npy    (for trying a model)
 *   rnnrt run MODEL --input X.npy --batch-first --output Y.npy   (x [B, T, I], y [B, T, O];
 *             the default for a file whose rnnrt.layout is batch_major; --time-major
 *             for [T, B, ...] with it)
 *   rnnrt run MODEL --tokens IDS.npy --output LOGITS.npy [--last-step]  (token models)
 *             --batch-first goes with every form of run: ids [B, T], logits [B, T, N]
 *   rnnrt generate [MODEL] --prompt TEXT [--length N] [--temperature T] [--top-k K]
 *             [--seed S]    (character models; without MODEL the one built into the tool)
 *   rnnrt quantize IN OUT --weights int8|bf16    (tools/quantize.c)
 *   rnnrt serve MODEL [--port 8080] [--max-batch N] ...    (tools/serve.c) */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checked.h"
#include "cpu_features.h"
#include "default_model.h"
#include "dispatch.h"
#include "npy.h"
#include "quantize.h"
#include "rnnrt.h"
#include "serve.h"
#include "tuning.h"

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
            "                 [--lengths L.npy] [--threads N] [--isa scalar|avx2|avx512|neon]\n"
            "                 [--weights f32|bf16|int8] [--activations f32|int8|bf16]\n"
            "                 [--head] [--last-step] [--batch-first | --time-major]\n"
            "       rnnrt run MODEL --tokens IDS.npy --output LOGITS.npy [--lengths L.npy]\n"
            "                 [--last-step] [--batch-first | --time-major] [--threads N]\n"
            "                 [--isa NAME]\n"
            "                 [--weights W] [--activations A]\n"
            "       rnnrt generate [MODEL] [--prompt TEXT] [--length N] [--temperature T]\n"
            "                 [--top-k K] [--seed S] [--threads N] [--isa NAME] [--weights W]\n"
            "                 [--activations A]\n"
            "--activations int8 (with --weights int8): each matrix product's input rounded\n"
            "to int8 per row at every step, integer dot products; bf16 (with --weights bf16):\n"
            "rounded to bf16, bf16 dot products summed in float32.\n"
            "       rnnrt quantize IN OUT --weights int8|bf16\n"
            "       rnnrt serve MODEL [--host H] [--port P] [--max-batch N] ... (serve --help)\n"
            "--batch-first: X.npy is [B, T, I], IDS.npy [B, T] and Y.npy or LOGITS.npy\n"
            "[B, T, O] (PyTorch's batch_first=True) instead of [T, B, ...]; with --last-step\n"
            "the output is [B, O] either way. A model whose file says its layout is batch-major\n"
            "(rnnrt.layout, as converted from Keras or ONNX layout=1) runs batch-first unless\n"
            "--time-major says otherwise.\n");
    return 2;
}

static int fail_status(const char *what, rnnrt_status s)
{
    fprintf(stderr, "rnnrt: %s: %s (%s)\n", what, rnnrt_last_error(), rnnrt_status_string(s));
    return 1;
}

/* The options --isa, --threads, --weights and --activations give (NULL when not given). */
typedef struct model_options {
    const char *isa, *threads, *weights, *activations;
} model_options;

/* The model with options mo, loaded from a path or, when path is NULL, from bytes. */
static int load_model(const char *name, const char *path, const void *bytes, size_t size,
                      const model_options *mo, rnnrt_model **m)
{
    rnnrt_options *o;
    rnnrt_status s = rnnrt_options_create(&o);
    if (s)
        return fail_status("options", s);
    if ((mo->isa && (s = rnnrt_options_set(o, "isa", mo->isa))) ||
        (mo->threads && (s = rnnrt_options_set(o, "threads", mo->threads))) ||
        (mo->weights && (s = rnnrt_options_set(o, "weights", mo->weights))) ||
        (mo->activations && (s = rnnrt_options_set(o, "activations", mo->activations)))) {
        rnnrt_options_free(o);
        return fail_status("options", s);
    }
    s = path ? rnnrt_model_load_ex(path, o, m) : rnnrt_model_load_memory_ex(bytes, size, o, m);
    rnnrt_options_free(o);
    return s ? fail_status(name, s) : 0;
}

/* The gate functions (rnnrt.activation_functions), once when every layer and direction
 * has the same, else one line each. */
static void print_functions(const rnnrt_model *m)
{
    const int L = rnnrt_model_num_layers(m), D = rnnrt_model_num_directions(m);
    const char *first = rnnrt_model_activation_functions(m, 0, 0);
    const char *cell = rnnrt_model_cell_name(m);
    const char *gates = !strncmp(cell, "lstm", 4) ? "f, g, h" : !strncmp(cell, "gru", 3)
                                                                  ? "f, g" : "f";
    int same = 1;
    for (int u = 1; u < L * D; u++)
        same = same && !strcmp(first, rnnrt_model_activation_functions(m, u / D, u % D));
    if (same) {
        printf("functions:    %s (%s)\n", first, gates);
        return;
    }
    for (int u = 0; u < L * D; u++)
        printf("%-14slayer %d%s: %s\n", u ? "" : "functions:", u / D,
               D == 1 ? "" : u % D ? " backward" : " forward",
               rnnrt_model_activation_functions(m, u / D, u % D));
}

static void print_model(const char *path, const rnnrt_model *m)
{
    printf("model:        %s\n", path);
    printf("cell:         %s\n", rnnrt_model_cell_name(m));
    printf("layers:       %d x %d direction%s\n", rnnrt_model_num_layers(m),
           rnnrt_model_num_directions(m), rnnrt_model_num_directions(m) > 1 ? "s" : "");
    int reverse = 0;
    for (int k = 0; k < rnnrt_model_num_layers(m); k++)
        reverse += rnnrt_model_layer_reverse(m, k) == 1;
    if (reverse) { /* rnnrt.direction: which layers read their sequence from the end */
        printf("direction:   ");
        for (int k = 0; k < rnnrt_model_num_layers(m); k++)
            printf(" %s", rnnrt_model_layer_reverse(m, k) ? "reverse" : "forward");
        printf("\n");
    }
    if (rnnrt_model_clip(m) > 0.0f)
        printf("clip:         %.9g (gate pre-activations)\n", rnnrt_model_clip(m));
    print_functions(m);
    printf("layout:       %s\n", rnnrt_model_batch_major(m) == 1
                                     ? "batch-major ([B, T, ...]; run's default for it)"
                                     : "time-major");
    printf("input size:   %d\n", rnnrt_model_input_size(m));
    printf("hidden size:  %d%s\n", rnnrt_model_hidden_size(m),
           rnnrt_model_has_bias(m) ? "" : " (no bias)");
    if (rnnrt_model_proj_size(m))
        printf("projection:   %d\n", rnnrt_model_proj_size(m));
    printf("output size:  %d per step\n", rnnrt_model_output_size(m));
    if (rnnrt_model_vocab_size(m))
        printf("embedding:    %d tokens -> %d\n", rnnrt_model_vocab_size(m),
               rnnrt_model_input_size(m));
    if (rnnrt_model_head_size(m))
        printf("head:         %d -> %d\n", rnnrt_model_output_size(m), rnnrt_model_head_size(m));
    if (rnnrt_model_num_chars(m))
        printf("vocabulary:   %d characters\n", rnnrt_model_num_chars(m));
}

/* The tiles the reduced activations run on this set: vector tiles, and the matrix
 * engine's from RNNRT_MX_ROWS rows on. */
static void print_dot_tiles(const rnnrt_kernels *k)
{
    const struct {
        const char *label;
        const rnnrt_gemm_slots *slots;
    } types[] = {{"int8 x int8", &k->int8dot}, {"bf16 x bf16", &k->bf16dot}};
    for (int t = 0; t < 2; t++) {
        printf("%-14s%s", t ? "" : "dot tiles:", types[t].label);
        printf(": %s", types[t].slots->gemm4.name ? types[t].slots->gemm4.name : "none");
        if (types[t].slots->gemm4_mx.name)
            printf(", %s from %d rows", types[t].slots->gemm4_mx.name, rnnrt_tuning_mx_rows());
        printf("\n");
    }
}

static int cmd_info(int argc, char **argv)
{
    char flags[256];
    rnnrt_cpu_feature_string(flags, sizeof flags);
    const rnnrt_cpu_features *cpu = rnnrt_cpu();
    printf("rnnrt %s\n", rnnrt_version());
    printf("cpu:          %s\n", cpu->brand[0] ? cpu->brand : cpu->vendor);
    printf("cpu features: %s\n", flags[0] ? flags : "(none detected)");
    printf("caches:       L1d %ld KiB, L2 %ld KiB, L3 %ld KiB\n", cpu->l1d >> 10,
           cpu->l2 >> 10, cpu->l3 >> 10);
    printf("kernel set:   %s\n", rnnrt_isa());
    printf("amx:          %s\n", rnnrt_cpu_amx_status());
    print_dot_tiles(rnnrt_active_kernels());
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
    const char *model, *input, *output, *lengths, *tokens;
    model_options mo;
    int random_t, random_b, head, last_step, batch_first, time_major;
    unsigned random_seed;
} run_args;

static int parse_run(int argc, char **argv, run_args *a)
{
    memset(a, 0, sizeof *a);
    a->random_seed = 1;
    for (int k = 2; k < argc; k++) {
        const char *opt = argv[k], *val = k + 1 < argc ? argv[k + 1] : NULL;
        if (!strcmp(opt, "--head") || !strcmp(opt, "--last-step") ||
            !strcmp(opt, "--batch-first") || !strcmp(opt, "--time-major")) {
            *(opt[2] == 'h' ? &a->head : opt[2] == 'l' ? &a->last_step
              : opt[2] == 'b' ? &a->batch_first : &a->time_major) = 1;
            continue;
        }
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
        else if (!strcmp(opt, "--tokens"))
            a->tokens = val;
        else if (!strcmp(opt, "--isa"))
            a->mo.isa = val;
        else if (!strcmp(opt, "--threads"))
            a->mo.threads = val;
        else if (!strcmp(opt, "--weights"))
            a->mo.weights = val;
        else if (!strcmp(opt, "--activations"))
            a->mo.activations = val;
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
    if (a->batch_first && a->time_major) {
        fprintf(stderr, "rnnrt run: --batch-first and --time-major exclude each other\n");
        return -1;
    }
    if (!a->model || !a->output || (!!a->input + !!a->random_t + !!a->tokens != 1)) {
        fprintf(stderr, "rnnrt run: needs MODEL, --output and one of --input/--random-input/"
                "--tokens\n");
        return -1;
    }
    return 0;
}

/* Bytes of a float array [t][b][width], computed so that it cannot wrap; 0 (with a message
 * naming `what`) when no machine could hold it: above 2^48 bytes, the library's own limit
 * for x and y, which it checks only after the tool has allocated them. */
static size_t array_bytes(const char *what, int t, int b, int width)
{
    uint64_t bytes = rnnrt_mul4_sat((uint64_t)t, (uint64_t)b, (uint64_t)width, sizeof(float));
    if (bytes > (uint64_t)1 << 48 || bytes > SIZE_MAX / 2) {
        complain("%s: %d x %d x %d floats is too large (more than 2^48 bytes)", what, t, b,
                 width);
        return 0;
    }
    return bytes ? (size_t)bytes : 1;
}

/* x [T][B][I] ([B][T][I] with --batch-first) from the .npy file or from a seeded
 * uniform(-1, 1) generator. */
static int load_input(const run_args *a, int input_size, float **x, int *t, int *b)
{
    char err[256];
    if (a->random_t) {
        size_t bytes = array_bytes("--random-input", a->random_t, a->random_b, input_size);
        if (!bytes)
            return -1;
        size_t n = bytes / sizeof **x;
        if (!(*x = malloc(bytes)))
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
        rc = complain("%s must have shape [%s, %d]", a->input,
                      a->batch_first ? "B, T" : "T, B", input_size);
    else if (npy_to_f32(&arr, x, err, sizeof err))
        rc = complain("%s: %s", a->input, err);
    *t = (int)arr.shape[a->batch_first ? 1 : 0];
    *b = (int)arr.shape[a->batch_first ? 0 : 1];
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

/* ids [T][B] ([B][T] with --batch-first) from an int32/int64 .npy file. */
static int load_tokens(const char *path, int batch_first, int **ids, int *t, int *b)
{
    char err[256];
    npy_array arr;
    if (npy_load(path, &arr, err, sizeof err))
        return complain("%s", err);
    int rc = 0;
    if (arr.ndim != 2 || !arr.shape[0] || !arr.shape[1] || arr.shape[0] > 1u << 30 ||
        arr.shape[1] > 1u << 30)
        rc = complain("%s must have shape [%s] (token ids, int32 or int64)", path,
                      batch_first ? "B, T" : "T, B");
    else if (npy_to_i32(&arr, ids, err, sizeof err))
        rc = complain("%s: %s", path, err);
    *t = (int)arr.shape[batch_first ? 1 : 0];
    *b = (int)arr.shape[batch_first ? 0 : 1];
    npy_free(&arr);
    return rc;
}

/* Token ids, or float inputs with --head/--last-step, go through the whole model; plain
 * float inputs through the recurrent stack only. */
static rnnrt_status run_model(const run_args *a, const rnnrt_model *m, const float *x,
                              const int *ids, int t, int b, const int *lengths, float *y)
{
    if (ids)
        return (a->batch_first ? rnnrt_forward_tokens_batch_first : rnnrt_forward_tokens)(
            m, NULL, ids, t, b, lengths, a->last_step, y);
    if (a->head || a->last_step)
        return (a->batch_first ? rnnrt_forward_head_batch_first : rnnrt_forward_head)(
            m, NULL, x, t, b, lengths, a->last_step, y);
    if (a->batch_first)
        return rnnrt_forward_batch_first(m, NULL, x, t, b, lengths, y);
    return rnnrt_forward(m, NULL, x, t, b, lengths, y);
}

static int cmd_run(int argc, char **argv)
{
    run_args a;
    if (parse_run(argc, argv, &a))
        return usage();
    rnnrt_status s;
    rnnrt_model *m;
    if (load_model(a.model, a.model, NULL, 0, &a.mo, &m))
        return 1;
    if (!a.time_major && rnnrt_model_batch_major(m) == 1) /* rnnrt.layout: the file's */
        a.batch_first = 1;
    float *x = NULL, *y = NULL;
    int *lengths = NULL, *ids = NULL, t = 0, b = 0, rc = 1;
    if (a.head && !rnnrt_model_head_size(m)) {
        complain("--head: %s has no head", a.model);
        goto out;
    }
    if ((a.tokens ? load_tokens(a.tokens, a.batch_first, &ids, &t, &b)
                  : load_input(&a, rnnrt_model_input_size(m), &x, &t, &b)) ||
        (a.lengths && load_lengths(a.lengths, b, &lengths)))
        goto out;
    int whole = a.tokens || a.head || a.last_step;
    int width = whole ? rnnrt_model_logits_size(m) : rnnrt_model_output_size(m);
    size_t out_bytes = array_bytes("the output", a.last_step ? 1 : t, b, width);
    if (!out_bytes)
        goto out;
    if (!(y = malloc(out_bytes))) {
        fprintf(stderr, "rnnrt run: out of memory for the output\n");
        goto out;
    }
    if ((s = run_model(&a, m, x, ids, t, b, lengths, y))) {
        fail_status("forward", s);
        goto out;
    }
    char err[256];
    /* [T, B, width], [B, T, width] batch-first, or [B, width] for the last steps */
    int first = a.batch_first ? b : t, second = a.batch_first ? t : b;
    uint64_t shape[3] = {(uint64_t)first, (uint64_t)second, (uint64_t)width};
    if (a.last_step) {
        shape[0] = (uint64_t)b;
        shape[1] = (uint64_t)width;
    }
    if (npy_save_f32(a.output, y, shape, a.last_step ? 2 : 3, err, sizeof err)) {
        fprintf(stderr, "rnnrt run: %s\n", err);
        goto out;
    }
    printf("%s: %s, %d layer(s) x %d direction(s), [%d, %d", a.model, rnnrt_model_cell_name(m),
           rnnrt_model_num_layers(m), rnnrt_model_num_directions(m), first, second);
    if (!a.tokens)
        printf(", %d", rnnrt_model_input_size(m));
    printf("] -> %s ", a.output);
    if (a.last_step)
        printf("[%d, %d]", b, width);
    else
        printf("[%d, %d, %d]", first, second, width);
    printf(" (%s, kernel set %s, %d threads)\n",
           a.tokens ? "embedding + recurrent stack + head"
           : whole  ? "recurrent stack + head" : "recurrent stack",
           rnnrt_model_isa(m), rnnrt_model_threads(m));
    rc = 0;
out:
    free(x);
    free(y);
    free(ids);
    free(lengths);
    rnnrt_model_free(m);
    return rc;
}

/* --- rnnrt generate --------------------------------------------------------------------- */

typedef struct gen_args {
    const char *model, *prompt;
    model_options mo;
    int length, top_k;
    float temperature;
    unsigned long long seed;
} gen_args;

static int parse_number(const char *opt, const char *val, double lo, double hi, double *out)
{
    char *end;
    *out = strtod(val, &end);
    if (end == val || *end || !(*out >= lo && *out <= hi)) {
        fprintf(stderr, "rnnrt generate: %s wants a number in [%g, %g], got '%s'\n", opt, lo,
                hi, val);
        return -1;
    }
    return 0;
}

static int parse_generate(int argc, char **argv, gen_args *a)
{
    *a = (gen_args){.prompt = "The ", .length = 300, .temperature = 0.8f, .seed = 1};
    for (int k = 2; k < argc; k++) {
        const char *opt = argv[k], *val = k + 1 < argc ? argv[k + 1] : NULL;
        double v = 0;
        if (opt[0] != '-' || opt[1] != '-') {
            if (a->model) {
                fprintf(stderr, "rnnrt generate: unexpected argument '%s'\n", opt);
                return -1;
            }
            a->model = opt;
            continue;
        }
        if (!val) {
            fprintf(stderr, "rnnrt generate: %s needs a value\n", opt);
            return -1;
        }
        k++;
        if (!strcmp(opt, "--prompt"))
            a->prompt = val;
        else if (!strcmp(opt, "--isa"))
            a->mo.isa = val;
        else if (!strcmp(opt, "--threads"))
            a->mo.threads = val;
        else if (!strcmp(opt, "--weights"))
            a->mo.weights = val;
        else if (!strcmp(opt, "--activations"))
            a->mo.activations = val;
        else if (!strcmp(opt, "--length") || !strcmp(opt, "--top-k")) {
            if (parse_number(opt, val, 0, 1e9, &v))
                return -1;
            if (!strcmp(opt, "--length"))
                a->length = (int)v;
            else
                a->top_k = (int)v;
        } else if (!strcmp(opt, "--temperature")) {
            if (parse_number(opt, val, 0, 1e6, &v))
                return -1;
            a->temperature = (float)v;
        } else if (!strcmp(opt, "--seed")) {
            char *end;
            a->seed = strtoull(val, &end, 10);
            if (end == val || *end || val[0] == '-') {
                fprintf(stderr, "rnnrt generate: --seed wants an unsigned integer, got '%s'\n",
                        val);
                return -1;
            }
        } else {
            fprintf(stderr, "rnnrt generate: unknown option '%s'\n", opt);
            return -1;
        }
    }
    return 0;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A character model: ids in, one score per character out. */
static int check_char_model(const char *name, const rnnrt_model *m)
{
    int chars = rnnrt_model_num_chars(m);
    if (chars > 0 && rnnrt_model_head_size(m) == chars)
        return 0;
    fprintf(stderr, "rnnrt generate: %s is not a character model: generate needs an embedding "
            "table, a head and a vocabulary (metadata rnnrt.vocab; docs/model-format.md)\n",
            name);
    return -1;
}

/* The prompt, then one character per step: sample from the last logits, print it, feed it
 * back with the state carried. */
static int generate(const gen_args *a, const rnnrt_model *m, rnnrt_state *st, const int *ids,
                    int n_ids, float *logits)
{
    rnnrt_rng rng;
    rnnrt_rng_seed(&rng, a->seed);
    double t0 = now_seconds();
    rnnrt_status s = rnnrt_forward_tokens(m, st, ids, n_ids, 1, NULL, 1, logits);
    if (s)
        return fail_status("forward", s);
    double t1 = now_seconds();
    fputs(a->prompt, stdout);
    fflush(stdout);
    for (int k = 0; k < a->length; k++) {
        int id;
        if ((s = rnnrt_sample(logits, rnnrt_model_head_size(m), a->temperature, a->top_k, &rng,
                              &id)))
            return fail_status("sample", s);
        fputs(rnnrt_model_token(m, id), stdout);
        fflush(stdout);
        if (k + 1 < a->length && (s = rnnrt_forward_tokens(m, st, &id, 1, 1, NULL, 1, logits)))
            return fail_status("forward", s);
    }
    double t2 = now_seconds();
    fprintf(stderr, "\n[rnnrt generate: %d characters in %.3f s, %.0f chars/s at batch 1; "
            "prompt of %d in %.2f ms; kernel set %s, forward variant %s, %d thread(s), seed "
            "%llu]\n", a->length, t2 - t1, a->length / (t2 - t1 > 0 ? t2 - t1 : 1e-9), n_ids,
            (t1 - t0) * 1e3, rnnrt_model_isa(m), rnnrt_variant(), rnnrt_model_threads(m),
            a->seed);
    return 0;
}

static int cmd_generate(int argc, char **argv)
{
    gen_args a;
    if (parse_generate(argc, argv, &a))
        return usage();
    rnnrt_status s;
    rnnrt_model *m;
    size_t size;
    const unsigned char *bytes = rnnrt_default_model(&size);
    const char *name = a.model ? a.model : "the built-in model";
    if (load_model(name, a.model, bytes, size, &a.mo, &m))
        return 1;
    int rc = 1, n_ids = 0, *ids = malloc((strlen(a.prompt) + 1) * sizeof *ids);
    float *logits = malloc((size_t)rnnrt_model_logits_size(m) * sizeof *logits);
    rnnrt_state *st = NULL;
    if (!ids || !logits)
        fprintf(stderr, "rnnrt generate: out of memory\n");
    else if (check_char_model(name, m))
        ;
    else if ((s = rnnrt_model_encode(m, a.prompt, ids, (int)strlen(a.prompt), &n_ids)))
        fail_status("--prompt", s);
    else if (n_ids == 0)
        fprintf(stderr, "rnnrt generate: the prompt is empty; the model needs at least one "
                "character to go on (a newline starts a verse of the default model)\n");
    else if ((s = rnnrt_state_create(m, 1, &st)))
        fail_status("state", s);
    else
        rc = generate(&a, m, st, ids, n_ids, logits) ? 1 : 0;
    rnnrt_state_free(st);
    free(ids);
    free(logits);
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
    if (!strcmp(argv[1], "generate"))
        return cmd_generate(argc, argv);
    if (!strcmp(argv[1], "quantize"))
        return rnnrt_cmd_quantize(argc, argv);
    if (!strcmp(argv[1], "serve"))
        return rnnrt_cmd_serve(argc, argv);
    if (!strcmp(argv[1], "--version"))
        return printf("rnnrt %s\n", rnnrt_version()), 0;
    return usage();
}
