/* Reduced-precision weights (the "weights" option: bf16, int8). A bf16 or int8 model is an
 * f32 model whose weights were rounded at load (simd/kernels.h), so:
 *  - on every kernel set, the blocked pass agrees with the double-precision reference pass,
 *    which reads the same rounded weights back, within the f32 tolerance;
 *  - any thread count gives the same bytes;
 *  - every kernel set's packing holds the same weights (int8 scales are copied, not
 *    recomputed), and a BF16 file loaded as bf16 is the f32 model itself;
 *  - the result stays near the f32 model's (a bound per type, below);
 *  - int8 refuses non-finite weights, naming the tensor. */
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model_builder.h"
#include "test_util.h"
#include "gemm.h"
#include "pack.h"
#include "provider.h"
#include "dispatch.h"
#include "tuning.h"

/* Both passes multiply the same float32 weights: as in test_variants.c, float32 paths stay
 * within ~1e-6 of the double reference on these models; 1e-5 relative to max(1, |ref|). */
#define TOLERANCE 1e-5

/* Distance from the f32 model. bf16 moves each weight by at most 2^-9 of itself, int8 by
 * at most 1/254 of its row's largest weight; on these models (weights +-1/sqrt(H), T = 9,
 * inputs +-2) that moved outputs by at most 4.9e-3 (bf16) and 1.0e-2 (int8) when this test
 * was written. The bounds leave a factor of 2.5 for other seeds and kernel sets; a swapped
 * gate, a misplaced scale or an unscaled int8 panel moves outputs by 0.1 to 1. */
#define BF16_FROM_F32 1.25e-2
#define INT8_FROM_F32 2.5e-2
/* int8 activations add the rounding of every GEMM input row (at most 1/254 of its largest
 * value): 1.22e-2 from f32 when this test was written, the same factor of 2.5 above it. */
#define INT8_INT8_FROM_F32 3.0e-2
/* bf16 activations add the rounding of every GEMM input element (at most 2^-9 of itself):
 * BF16_BF16_MEASURED from f32 when this test was written, the same factor of 2.5 above it. */
#define BF16_BF16_FROM_F32 (2.5 * BF16_BF16_MEASURED)
#define BF16_BF16_MEASURED 5.54e-3

/* Rounded activations against the reference. Both round the same float32 rows with the
 * same rule, so they agree within the f32 tolerance (1.3e-7 measured on scalar and AVX2)
 * until a value that the two passes compute an ulp apart sits on a rounding boundary: then
 * one input moves by a step (int8: its row's largest magnitude / 127, up to 2 / 127 for
 * these inputs; bf16: 2^-8 of itself, up to 2^-7) times a weight (at most 1 / sqrt(33)),
 * 2.8e-3 on a pre-activation, and less after the gates. So: at most 1e-2 anywhere (a few
 * such flips), and on average less than 1% of the distance between the pass and its
 * weight-only twin, which a product left unrounded (or rounded twice) would exceed. */
#define ACTIVATIONS_TOLERANCE 1e-2
#define ACTIVATIONS_MEAN_SHARE 1e-2
/* bf16's twin is nearer (its activations move by 2^-9 of themselves, 4.9e-4 on average on
 * the RNN model) while a flip moves as much as int8's: one flip on the scalar set's RNN
 * model made 2.4% of the twin's distance when this test was written. 10% still fails a
 * product whose input is left unrounded, which is the twin's distance itself. */
#define BF16_ACTIVATIONS_MEAN_SHARE 1e-1

enum { T = 9, B = 7 };

/* The reduced types: weights, whether the activations are rounded too, and for those the
 * type with the same weights and float activations. */
typedef struct weight_type {
    const char *weights, *activations, *label;
    int weight_only;
} weight_type;
static const weight_type types[] = {{"bf16", "f32", "bf16", 0},
                                    {"int8", "f32", "int8", 1},
                                    {"int8", "int8", "int8 x int8", 1},
                                    {"bf16", "bf16", "bf16 x bf16", 0}};
enum { TYPES = sizeof types / sizeof types[0] };

/* True when this CPU and build run kernel set `isa`. */
static int kernel_set_available(const char *isa)
{
    rnnrt_options *o;
    assert_int_equal(rnnrt_options_create(&o), RNNRT_OK);
    int ok = rnnrt_options_set(o, "isa", isa) == RNNRT_OK;
    rnnrt_options_free(o);
    return ok;
}

static rnnrt_model *load(const unsigned char *bytes, size_t size, const weight_type *type,
                         const char *isa)
{
    rnnrt_options *o;
    rnnrt_model *m;
    const char *weights = type ? type->weights : NULL;
    assert_int_equal(rnnrt_options_create(&o), RNNRT_OK);
    if (weights)
        assert_int_equal(rnnrt_options_set(o, "weights", weights), RNNRT_OK);
    if (type)
        assert_int_equal(rnnrt_options_set(o, "activations", type->activations), RNNRT_OK);
    if (isa)
        assert_int_equal(rnnrt_options_set(o, "isa", isa), RNNRT_OK);
    rnnrt_status s = rnnrt_model_load_memory_ex(bytes, size, o, &m);
    if (s)
        fail_msg("load (weights %s, isa %s): %s", weights ? weights : "f32",
                 isa ? isa : "auto", rnnrt_last_error());
    rnnrt_options_free(o);
    return m;
}

typedef struct outputs {
    float *y, *h, *c;
    size_t ny, nh, nc;
} outputs;

/* One pass of `batch` sequences of T steps from x, h0 and c0 (NULL for cells without c)
 * into o's y, h and c. */
static void pass(const rnnrt_model *m, int batch, const float *x, const float *h0,
                 const float *c0, const int *lengths, outputs *o)
{
    rnnrt_state *s;
    assert_int_equal(rnnrt_state_create(m, batch, &s), RNNRT_OK);
    assert_int_equal(rnnrt_state_write(s, h0, c0), RNNRT_OK);
    if (rnnrt_forward(m, s, x, T, batch, lengths, o->y))
        fail_msg("forward (%s, %s): %s", rnnrt_variant(), rnnrt_model_isa(m),
                 rnnrt_last_error());
    assert_int_equal(rnnrt_state_read(s, o->h, c0 ? o->c : NULL), RNNRT_OK);
    rnnrt_state_free(s);
}

/* y, h_n and c_n of one pass from a fixed input, lengths and initial state (seeded). */
static outputs run(const rnnrt_model *m, unsigned seed)
{
    outputs o = {0};
    int units = rnnrt_model_num_layers(m) * rnnrt_model_num_directions(m);
    o.ny = (size_t)T * B * rnnrt_model_output_size(m);
    o.nh = (size_t)units * B * rnnrt_model_state_h_size(m);
    o.nc = model_has_c(m) ? (size_t)units * B * rnnrt_model_hidden_size(m) : 0;
    size_t nx = (size_t)T * B * rnnrt_model_input_size(m);
    float *x = malloc(nx * sizeof *x), *h0 = malloc(o.nh * sizeof *h0);
    float *c0 = malloc((o.nc ? o.nc : 1) * sizeof *c0);
    o.y = malloc(o.ny * sizeof *o.y);
    o.h = malloc(o.nh * sizeof *o.h);
    o.c = malloc((o.nc ? o.nc : 1) * sizeof *o.c);
    assert_true(x && h0 && c0 && o.y && o.h && o.c);
    fill_uniform(x, nx, 2.0f, &seed);
    fill_uniform(h0, o.nh, 0.5f, &seed);
    fill_uniform(c0, o.nc, 0.5f, &seed);
    int lengths[B];
    for (int b = 0; b < B; b++)
        lengths[b] = 1 + (b * 5 + 3) % T;
    lengths[B / 2] = T;
    pass(m, B, x, h0, o.nc ? c0 : NULL, lengths, &o);
    free(x);
    free(h0);
    free(c0);
    return o;
}

static void outputs_free(outputs *o)
{
    free(o->y);
    free(o->h);
    free(o->c);
}

static double distance(const outputs *a, const outputs *b)
{
    double e = fmax(max_rel_error(a->y, b->y, a->ny, NULL), max_rel_error(a->h, b->h, a->nh, NULL));
    return a->nc ? fmax(e, max_rel_error(a->c, b->c, a->nc, NULL)) : e;
}

static double mean_distance(const outputs *a, const outputs *b)
{
    double sum = 0;
    for (size_t k = 0; k < a->ny; k++)
        sum += fabs((double)a->y[k] - b->y[k]);
    for (size_t k = 0; k < a->nh; k++)
        sum += fabs((double)a->h[k] - b->h[k]);
    for (size_t k = 0; k < a->nc; k++)
        sum += fabs((double)a->c[k] - b->c[k]);
    return sum / (double)(a->ny + a->nh + a->nc);
}

static int same_bytes(const outputs *a, const outputs *b)
{
    return !memcmp(a->y, b->y, a->ny * 4) && !memcmp(a->h, b->h, a->nh * 4) &&
           (!a->nc || !memcmp(a->c, b->c, a->nc * 4));
}

/* Blocked against the reference on each cell spec, both types, on kernel set *st. */
static void blocked_matches_reference(void **st)
{
    const char *isa = *st;
    if (!kernel_set_available(isa)) {
        print_message("[  SKIP    ] %s kernels: not available on this CPU or build\n", isa);
        skip();
    }
    rnnrt_tuning_set_gemm_kc(24); /* several k-blocks, so int8 scales meet block edges */
    rnnrt_tuning_set_chunk(4);
    double worst[2] = {0, 0};
    for (size_t k = 0; k < N_CELL_SPECS; k++) {
        size_t size;
        unsigned char *bytes = build_model_bytes(&cell_specs[k], &size);
        for (int t = 0; t < TYPES; t++) {
            rnnrt_model *m = load(bytes, size, &types[t], isa);
            assert_string_equal(rnnrt_model_weights(m), types[t].weights);
            assert_string_equal(rnnrt_model_activations(m), types[t].activations);
            assert_int_equal(rnnrt_set_variant("reference"), RNNRT_OK);
            outputs ref = run(m, 40 + (unsigned)k);
            assert_int_equal(rnnrt_set_variant("blocked"), RNNRT_OK);
            outputs got = run(m, 40 + (unsigned)k);
            double e = distance(&got, &ref);
            const bool act = strcmp(types[t].activations, "f32") != 0;
            worst[act] = fmax(worst[act], e);
            if (e > (act ? ACTIVATIONS_TOLERANCE : TOLERANCE))
                fail_msg("[%s] %s model %zu (%s): blocked is %.3g from the reference", isa,
                         types[t].label, k, rnnrt_model_cell_name(m), e);
            if (act) {
                const weight_type *twin = &types[types[t].weight_only];
                rnnrt_model *w = load(bytes, size, twin, isa);
                outputs weight_only = run(w, 40 + (unsigned)k);
                const double mean = mean_distance(&got, &ref), apart = mean_distance(&got, &weight_only);
                const double share = strcmp(types[t].activations, "bf16")
                                         ? ACTIVATIONS_MEAN_SHARE
                                         : BF16_ACTIVATIONS_MEAN_SHARE;
                if (!(mean <= share * apart))
                    fail_msg("[%s] %s model %zu (%s): %.3g from the reference on average, "
                             "%.3g from weight-only %s", isa, types[t].label, k,
                             rnnrt_model_cell_name(m), mean, apart, twin->label);
                outputs_free(&weight_only);
                rnnrt_model_free(w);
            }
            outputs_free(&ref);
            outputs_free(&got);
            rnnrt_model_free(m);
        }
        free(bytes);
    }
    rnnrt_tuning_set_gemm_kc(-1);
    rnnrt_tuning_set_chunk(-1);
    print_message("[  INFO    ] %s: bf16 and int8 blocked within %.3g of the reference, "
                  "rounded activations within %.3g\n", isa, worst[0], worst[1]);
}

/* 1, 2 and 3 threads give the same bytes in both types. */
static void thread_invariance(void **st)
{
    (void)st;
    assert_int_equal(rnnrt_set_variant("blocked"), RNNRT_OK);
    rnnrt_tuning_set_threads_exact(1); /* really run several threads, even on a busy CI */
    for (size_t k = 0; k < N_CELL_SPECS; k++) {
        size_t size;
        unsigned char *bytes = build_model_bytes(&cell_specs[k], &size);
        for (int t = 0; t < TYPES; t++) {
            rnnrt_model *m = load(bytes, size, &types[t], NULL);
            rnnrt_set_num_threads(1);
            outputs one = run(m, 60 + (unsigned)k);
            for (int threads = 2; threads <= 3; threads++) {
                rnnrt_set_num_threads(threads);
                outputs many = run(m, 60 + (unsigned)k);
                if (!same_bytes(&one, &many))
                    fail_msg("%s model %zu (%s): %d threads differ from 1", types[t].label, k,
                             rnnrt_model_cell_name(m), threads);
                outputs_free(&many);
            }
            outputs_free(&one);
            rnnrt_model_free(m);
        }
        free(bytes);
    }
    rnnrt_set_num_threads(0);
    rnnrt_tuning_set_threads_exact(-1);
}

/* A model following the process-wide kernel set packs a second set from its first packing.
 * Its weights must be those of a model loaded on that set directly: run through the
 * reference pass, which reads the packing back, both give the same bytes. */
static void every_set_holds_the_same_weights(void **st)
{
    (void)st;
    const char *before = rnnrt_isa();
    assert_int_equal(rnnrt_set_variant("reference"), RNNRT_OK);
    for (size_t k = 0; k < N_CELL_SPECS; k++) {
        size_t size;
        unsigned char *bytes = build_model_bytes(&cell_specs[k], &size);
        for (int t = 0; t < TYPES; t++)
            for (int s = 0; s < kernel_set_count(); s++) {
                const char *set = kernel_set_name(s);
                if (!kernel_set_available(set) || !strcmp(set, before))
                    continue;
                rnnrt_model *follows = load(bytes, size, &types[t], NULL); /* packed on `before` */
                rnnrt_model *direct = load(bytes, size, &types[t], set);
                assert_int_equal(rnnrt_set_isa(set), RNNRT_OK);
                outputs a = run(follows, 80), b = run(direct, 80);
                if (!same_bytes(&a, &b))
                    fail_msg("%s model %zu: %s packed from %s holds other weights than %s "
                             "packed from the file", types[t].label, k, set, before, set);
                assert_int_equal(rnnrt_set_isa(before), RNNRT_OK);
                outputs_free(&a);
                outputs_free(&b);
                rnnrt_model_free(follows);
                rnnrt_model_free(direct);
            }
        free(bytes);
    }
    assert_int_equal(rnnrt_set_variant("blocked"), RNNRT_OK);
}

/* The rounded models stay near the f32 model; int8 further than bf16 on the whole. */
static void near_f32(void **st)
{
    (void)st;
    assert_int_equal(rnnrt_set_variant("blocked"), RNNRT_OK);
    static const double bounds[TYPES] = {BF16_FROM_F32, INT8_FROM_F32, INT8_INT8_FROM_F32,
                                         BF16_BF16_FROM_F32};
    double worst[TYPES] = {0};
    for (size_t k = 0; k < N_CELL_SPECS; k++) {
        size_t size;
        unsigned char *bytes = build_model_bytes(&cell_specs[k], &size);
        rnnrt_model *f32 = load(bytes, size, NULL, NULL);
        outputs want = run(f32, 90 + (unsigned)k);
        for (int t = 0; t < TYPES; t++) {
            rnnrt_model *m = load(bytes, size, &types[t], NULL);
            outputs got = run(m, 90 + (unsigned)k);
            double e = distance(&got, &want), bound = bounds[t];
            worst[t] = fmax(worst[t], e);
            if (e > bound)
                fail_msg("%s model %zu (%s): %.3g from f32, bound %.3g", types[t].label, k,
                         rnnrt_model_cell_name(m), e, bound);
            if (e == 0)
                fail_msg("%s model %zu: exactly the f32 result: were the weights rounded?",
                         types[t].label, k);
            outputs_free(&got);
            rnnrt_model_free(m);
        }
        outputs_free(&want);
        rnnrt_model_free(f32);
        free(bytes);
    }
    assert_true(worst[1] > worst[0]);
    print_message("[  INFO    ] largest distance from f32: bf16 %.3g, int8 %.3g, int8 x int8 "
                  "%.3g, bf16 x bf16 %.3g\n", worst[0], worst[1], worst[2], worst[3]);
}

/* A model small enough keeps its bf16 or int8 weights in f32 panels (rnnrt_pack): the same
 * rounded values, so the bytes of the reduced panels, on every cell spec and kernel set. */
static void small_models_in_f32_panels(void **st)
{
    (void)st;
    assert_int_equal(rnnrt_set_variant("blocked"), RNNRT_OK);
    for (size_t k = 0; k < N_CELL_SPECS; k++) {
        size_t size;
        unsigned char *bytes = build_model_bytes(&cell_specs[k], &size);
        for (int t = 0; t < 2; t++) /* bf16 and int8 weights */
            for (int s = 0; s < kernel_set_count(); s++) {
                const char *set = kernel_set_name(s);
                if (!kernel_set_available(set))
                    continue;
                rnnrt_tuning_set_f32_panel_bytes(0);
                rnnrt_model *reduced = load(bytes, size, &types[t], set);
                outputs a = run(reduced, 120 + (unsigned)k);
                rnnrt_tuning_set_f32_panel_bytes(LONG_MAX);
                rnnrt_model *wide = load(bytes, size, &types[t], set);
                outputs b = run(wide, 120 + (unsigned)k);
                if (rnnrt_model_packing(reduced, rnnrt_kernels_for_isa(set))->dtype ==
                        RNNRT_WEIGHTS_F32 ||
                    rnnrt_model_packing(wide, rnnrt_kernels_for_isa(set))->dtype !=
                        RNNRT_WEIGHTS_F32)
                    fail_msg("%s: the threshold did not choose the panels' type", set);
                if (!same_bytes(&a, &b))
                    fail_msg("[%s] %s model %zu (%s): f32 panels of the rounded weights give "
                             "other bytes than the %s panels", set, types[t].label, k,
                             rnnrt_model_cell_name(wide), types[t].weights);
                outputs_free(&a);
                outputs_free(&b);
                rnnrt_model_free(reduced);
                rnnrt_model_free(wide);
            }
        free(bytes);
    }
    rnnrt_tuning_set_f32_panel_bytes(0);
}

/* A BF16 file holds bf16 weights already: loaded as bf16 it is the f32 model, bit for bit. */
static void bf16_file_as_stored(void **st)
{
    (void)st;
    char path[512];
    snprintf(path, sizeof path, "%s/golden/lstm_bf16.model.safetensors", test_data_dir);
    size_t size;
    unsigned char *bytes = read_file_bytes(path, &size);
    assert_non_null(bytes);
    rnnrt_model *f32 = load(bytes, size, NULL, NULL), *bf16 = load(bytes, size, &types[0], NULL);
    outputs a = run(f32, 7), b = run(bf16, 7);
    assert_true(same_bytes(&a, &b));
    outputs_free(&a);
    outputs_free(&b);
    rnnrt_model_free(f32);
    rnnrt_model_free(bf16);
    free(bytes);
}


/* Sequence b of a batch pass: rows b of x, h0, c0 in a batch of one. */
static void pass_one(const rnnrt_model *m, const float *x, const float *h0, const float *c0,
                     const int *lengths, int b, outputs *o)
{
    const int I = rnnrt_model_input_size(m), units = rnnrt_model_num_layers(m) *
                                                     rnnrt_model_num_directions(m);
    const int hs = rnnrt_model_state_h_size(m), H = rnnrt_model_hidden_size(m);
    float *x1 = malloc((size_t)T * I * sizeof *x1), *h1 = malloc((size_t)units * hs * 4);
    float *c1 = malloc((size_t)units * H * 4);
    assert_true(x1 && h1 && c1);
    for (int t = 0; t < T; t++)
        memcpy(x1 + (size_t)t * I, x + ((size_t)t * B + b) * I, (size_t)I * 4);
    for (int u = 0; u < units; u++) {
        memcpy(h1 + (size_t)u * hs, h0 + ((size_t)u * B + b) * hs, (size_t)hs * 4);
        if (c0)
            memcpy(c1 + (size_t)u * H, c0 + ((size_t)u * B + b) * H, (size_t)H * 4);
    }
    pass(m, 1, x1, h1, c0 ? c1 : NULL, lengths + b, o);
    free(x1);
    free(h1);
    free(c1);
}

/* Rounded activations do not mix rows: int8 rounds each row with its own scale, bf16 each
 * element, and the bf16 products' chain does not depend on the tile's rows. So a sequence's
 * bytes do not depend on the others in its batch (nor on the pair tiles a batch of one
 * runs): every sequence run alone gives its row of the batch of B, on every cell spec.
 * int8's sums are exact, so this holds across the vector and matrix-engine (AMX) tiles a
 * batch of 1 and of B run; bf16's only while both run vector tiles (the engine sums in its
 * own order), so its case keeps the engine off. The case: a type and a kernel set. */
typedef struct composition_case {
    int type; /* index into types */
    const char *isa;
} composition_case;
static const composition_case composition_cases[] = {
    {2, NULL}, {2, "avx512_model"}, {2, "avx2_model"}, {3, NULL}, {3, "avx512_model"}};

static void rounded_activations_batch_composition(void **st)
{
    const composition_case *cc = *st;
    const weight_type *type = &types[cc->type];
    if (cc->isa && !kernel_set_available(cc->isa))
        skip();
    const bool bf16 = !strcmp(type->activations, "bf16");
    rnnrt_tuning_set_mx_rows(bf16 ? INT_MAX : -1);
    assert_int_equal(rnnrt_set_variant("blocked"), RNNRT_OK);
    for (size_t k = 0; k < N_CELL_SPECS; k++) {
        size_t size;
        unsigned char *bytes = build_model_bytes(&cell_specs[k], &size);
        rnnrt_model *m = load(bytes, size, type, cc->isa);
        unsigned seed = 110 + (unsigned)k;
        outputs all = run(m, seed);
        /* run()'s inputs again, from the same seed */
        const int I = rnnrt_model_input_size(m), O = rnnrt_model_output_size(m);
        const int hs = rnnrt_model_state_h_size(m), H = rnnrt_model_hidden_size(m);
        const int units = rnnrt_model_num_layers(m) * rnnrt_model_num_directions(m);
        float *x = malloc((size_t)T * B * I * 4), *h0 = malloc(all.nh * 4);
        float *c0 = malloc((all.nc ? all.nc : 1) * 4);
        assert_true(x && h0 && c0);
        fill_uniform(x, (size_t)T * B * I, 2.0f, &seed);
        fill_uniform(h0, all.nh, 0.5f, &seed);
        fill_uniform(c0, all.nc, 0.5f, &seed);
        int lengths[B];
        for (int b = 0; b < B; b++)
            lengths[b] = 1 + (b * 5 + 3) % T;
        lengths[B / 2] = T;
        for (int b = 0; b < B; b++) {
            outputs one = {.y = malloc((size_t)T * O * 4), .h = malloc((size_t)units * hs * 4),
                           .c = malloc((size_t)units * H * 4)};
            assert_true(one.y && one.h && one.c);
            pass_one(m, x, h0, all.nc ? c0 : NULL, lengths, b, &one);
            for (int t = 0; t < T; t++)
                if (memcmp(one.y + (size_t)t * O, all.y + ((size_t)t * B + b) * O, (size_t)O * 4))
                    fail_msg("%s model %zu (%s): sequence %d alone differs from its row of "
                             "the batch at step %d", type->label, k, rnnrt_model_cell_name(m), b,
                             t);
            for (int u = 0; u < units; u++)
                if (memcmp(one.h + (size_t)u * hs, all.h + ((size_t)u * B + b) * hs,
                           (size_t)hs * 4) ||
                    (all.nc && memcmp(one.c + (size_t)u * H, all.c + ((size_t)u * B + b) * H,
                                      (size_t)H * 4)))
                    fail_msg("model %zu: sequence %d alone ends in another state", k, b);
            outputs_free(&one);
        }
        free(x);
        free(h0);
        free(c0);
        outputs_free(&all);
        rnnrt_model_free(m);
        free(bytes);
    }
    rnnrt_tuning_set_mx_rows(-1);
}

/* A NaN in one sequence's input makes that sequence's outputs NaN from that step on (its
 * row's scale is NaN, as float arithmetic would spread it) and leaves the other sequences'
 * bytes as they are without it. */
static void int8_activations_nan_row(void **st)
{
    (void)st;
    assert_int_equal(rnnrt_set_variant("blocked"), RNNRT_OK);
    const model_spec spec = {RNNRT_CELL_LSTM, 24, 40, 0, 1, 1, 1, 21};
    rnnrt_model *m = NULL;
    size_t size;
    unsigned char *bytes = build_model_bytes(&spec, &size);
    m = load(bytes, size, &types[2], NULL);
    const int I = 24, H = 40;
    float *x = malloc((size_t)T * B * I * 4), *h0 = calloc((size_t)B * H, 4);
    float *c0 = calloc((size_t)B * H, 4);
    outputs clean = {.y = malloc((size_t)T * B * H * 4), .h = malloc((size_t)B * H * 4),
                     .c = malloc((size_t)B * H * 4)};
    outputs dirty = {.y = malloc((size_t)T * B * H * 4), .h = malloc((size_t)B * H * 4),
                     .c = malloc((size_t)B * H * 4)};
    assert_true(x && h0 && c0 && clean.y && clean.h && clean.c && dirty.y && dirty.h && dirty.c);
    unsigned seed = 5;
    fill_uniform(x, (size_t)T * B * I, 1.0f, &seed);
    const int lengths[B] = {T, T, T, T, T, T, T};
    pass(m, B, x, h0, c0, lengths, &clean);
    const int bad = 3, at = 4;
    x[((size_t)at * B + bad) * I + 7] = NAN;
    pass(m, B, x, h0, c0, lengths, &dirty);
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            for (int j = 0; j < H; j++) {
                const size_t i = ((size_t)t * B + b) * H + j;
                if (b == bad && t >= at) {
                    if (!isnan(dirty.y[i]))
                        fail_msg("step %d unit %d of the NaN sequence is %g", t, j, dirty.y[i]);
                } else if (memcmp(&dirty.y[i], &clean.y[i], sizeof(float))) {
                    fail_msg("sequence %d step %d changed by another sequence's NaN", b, t);
                }
            }
    free(x);
    free(h0);
    free(c0);
    outputs_free(&clean);
    outputs_free(&dirty);
    rnnrt_model_free(m);
    free(bytes);
}

/* rnnrt_quantize_rows, the rule the header states: largest magnitude to 127, nearest-even
 * rounding of a * (127 / largest), the scale largest / 127, zeros to the row stride; a zero or
 * subnormal row gives zeros and scale 1, a row with a NaN or infinity zeros and scale NaN. */
static void quantize_rows_rule(void **st)
{
    (void)st;
    enum { K = 6, LD = 8 };
    const float a[5][K] = {
        {1.0f, -0.5f, 0.25f, 2.0f, -2.0f, 0.0f},
        {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f},
        {1e-40f, -1e-39f, 0.0f, 0.0f, 0.0f, 0.0f},
        {1.0f, NAN, 0.0f, 0.0f, 0.0f, 0.0f},
        {1.0f, -INFINITY, 0.0f, 0.0f, 0.0f, 0.0f},
    };
    int8_t q[5 * LD];
    float scale[5];
    memset(q, 0x55, sizeof q);
    rnnrt_quantize_rows(5, K, &a[0][0], K, q, scale);
    const int8_t want0[LD] = {64, -32, 16, 127, -127, 0, 0, 0}; /* 63.5 -> 64, 31.75 -> 32 */
    assert_memory_equal(q, want0, LD);
    assert_true(scale[0] == 2.0f / 127.0f);
    for (int r = 1; r < 5; r++)
        for (int k = 0; k < LD; k++)
            assert_int_equal(q[r * LD + k], 0);
    assert_true(scale[1] == 1.0f && scale[2] == 1.0f);
    assert_true(isnan(scale[3]) && isnan(scale[4]));
    const float half[1][4] = {{127.0f, 0.5f, 1.5f, -2.5f}}; /* ties to even */
    rnnrt_quantize_rows(1, 4, &half[0][0], 4, q, scale);
    const int8_t want1[4] = {127, 0, 2, -2};
    assert_memory_equal(q, want1, 4);
}

/* The bytes of tensor `name` in a safetensors file made by build_model_bytes. */
static float *tensor_data(unsigned char *bytes, const char *name)
{
    uint64_t header;
    memcpy(&header, bytes, sizeof header);
    char key[64];
    snprintf(key, sizeof key, "\"%s\"", name);
    char *json = (char *)bytes + 8, *at = strstr(json, key);
    assert_non_null(at);
    at = strstr(at, "\"data_offsets\"");
    assert_non_null(at);
    unsigned long long begin;
    assert_int_equal(sscanf(at, "\"data_offsets\":[%llu", &begin), 1);
    return (float *)(bytes + 8 + header + begin);
}

/* int8 refuses a NaN or infinite weight, naming the tensor, and leaves *out alone; f32 and
 * bf16 load the same file. */
static void int8_refuses_non_finite(void **st)
{
    (void)st;
    const float poison[] = {NAN, INFINITY, -INFINITY};
    for (int p = 0; p < 3; p++) {
        size_t size;
        unsigned char *bytes = build_model_bytes(&cell_specs[0], &size);
        float v = poison[p];
        memcpy(tensor_data(bytes, "weight_hh_l1_reverse") + 5, &v, sizeof v);
        rnnrt_options *o;
        assert_int_equal(rnnrt_options_create(&o), RNNRT_OK);
        assert_int_equal(rnnrt_options_set(o, "weights", "int8"), RNNRT_OK);
        rnnrt_model *m = (rnnrt_model *)(uintptr_t)1;
        EXPECT_FAIL(rnnrt_model_load_memory_ex(bytes, size, o, &m), RNNRT_E_UNSUPPORTED,
                    "weight_hh_l1_reverse");
        assert_ptr_equal(m, (rnnrt_model *)(uintptr_t)1);
        assert_int_equal(rnnrt_options_set(o, "weights", "bf16"), RNNRT_OK);
        assert_int_equal(rnnrt_model_load_memory_ex(bytes, size, o, &m), RNNRT_OK);
        rnnrt_model_free(m);
        rnnrt_options_free(o);
        free(bytes);
    }
}

int main(int argc, char **argv)
{
    test_data_dir = argc > 1 ? argv[1] : "tests/data";
    struct CMUnitTest tests[64] = {
        cmocka_unit_test(thread_invariance),
        cmocka_unit_test(every_set_holds_the_same_weights),
        cmocka_unit_test(near_f32),
        cmocka_unit_test(bf16_file_as_stored),
        cmocka_unit_test(small_models_in_f32_panels),
        cmocka_unit_test(int8_refuses_non_finite),
        cmocka_unit_test_prestate(rounded_activations_batch_composition,
                                  (void *)&composition_cases[0]),
        cmocka_unit_test_prestate(rounded_activations_batch_composition,
                                  (void *)&composition_cases[1]),
        cmocka_unit_test_prestate(rounded_activations_batch_composition,
                                  (void *)&composition_cases[2]),
        cmocka_unit_test_prestate(rounded_activations_batch_composition,
                                  (void *)&composition_cases[3]),
        cmocka_unit_test_prestate(rounded_activations_batch_composition,
                                  (void *)&composition_cases[4]),
        cmocka_unit_test(int8_activations_nan_row),
        cmocka_unit_test(quantize_rows_rule),
    };
    int n = 0;
    while (tests[n].name)
        n++;
    n += per_set_tests(tests + n, "blocked_matches_reference/", blocked_matches_reference);
    /* these models are small enough for bf16 and int8 weights to be kept in f32 panels
     * (rnnrt_pack); the tests are of the reduced types' own panels and tiles, but one */
    rnnrt_tuning_set_f32_panel_bytes(0);
    return _cmocka_run_group_tests("weights", tests, (size_t)n, NULL, NULL);
}
