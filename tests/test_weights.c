/* Reduced-precision weights (the "weights" option: bf16, int8). A bf16 or int8 model is an
 * f32 model whose weights were rounded at load (simd/kernels.h), so:
 *  - on every kernel set, the blocked pass agrees with the double-precision reference pass,
 *    which reads the same rounded weights back, within the f32 tolerance;
 *  - any thread count gives the same bytes;
 *  - every kernel set's packing holds the same weights (int8 scales are copied, not
 *    recomputed), and a BF16 file loaded as bf16 is the f32 model itself;
 *  - the result stays near the f32 model's (a bound per type, below);
 *  - int8 refuses non-finite weights, naming the tensor. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model_builder.h"
#include "test_util.h"
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

enum { T = 9, B = 7 };

static const char *const types[] = {"bf16", "int8"};
static const char *const sets[] = {"scalar", "avx2", "avx512", "neon"};

/* True when this CPU and build run kernel set `isa`. */
static int kernel_set_available(const char *isa)
{
    rnnrt_options *o;
    assert_int_equal(rnnrt_options_create(&o), RNNRT_OK);
    int ok = rnnrt_options_set(o, "isa", isa) == RNNRT_OK;
    rnnrt_options_free(o);
    return ok;
}

static rnnrt_model *load(const unsigned char *bytes, size_t size, const char *weights,
                         const char *isa)
{
    rnnrt_options *o;
    rnnrt_model *m;
    assert_int_equal(rnnrt_options_create(&o), RNNRT_OK);
    if (weights)
        assert_int_equal(rnnrt_options_set(o, "weights", weights), RNNRT_OK);
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
    rnnrt_state *s;
    assert_int_equal(rnnrt_state_create(m, B, &s), RNNRT_OK);
    assert_int_equal(rnnrt_state_write(s, h0, o.nc ? c0 : NULL), RNNRT_OK);
    if (rnnrt_forward(m, s, x, T, B, lengths, o.y))
        fail_msg("forward (%s, %s): %s", rnnrt_variant(), rnnrt_model_isa(m),
                 rnnrt_last_error());
    assert_int_equal(rnnrt_state_read(s, o.h, o.nc ? o.c : NULL), RNNRT_OK);
    rnnrt_state_free(s);
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
    double worst = 0;
    for (size_t k = 0; k < N_CELL_SPECS; k++) {
        size_t size;
        unsigned char *bytes = build_model_bytes(&cell_specs[k], &size);
        for (int t = 0; t < 2; t++) {
            rnnrt_model *m = load(bytes, size, types[t], isa);
            assert_string_equal(rnnrt_model_weights(m), types[t]);
            assert_int_equal(rnnrt_set_variant("reference"), RNNRT_OK);
            outputs ref = run(m, 40 + (unsigned)k);
            assert_int_equal(rnnrt_set_variant("blocked"), RNNRT_OK);
            outputs got = run(m, 40 + (unsigned)k);
            double e = distance(&got, &ref);
            worst = fmax(worst, e);
            if (e > TOLERANCE)
                fail_msg("[%s] %s model %zu (%s): blocked is %.3g from the reference", isa,
                         types[t], k, rnnrt_model_cell_name(m), e);
            outputs_free(&ref);
            outputs_free(&got);
            rnnrt_model_free(m);
        }
        free(bytes);
    }
    rnnrt_tuning_set_gemm_kc(-1);
    rnnrt_tuning_set_chunk(-1);
    print_message("[  INFO    ] %s: bf16 and int8 blocked within %.3g of the reference\n", isa,
                  worst);
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
        for (int t = 0; t < 2; t++) {
            rnnrt_model *m = load(bytes, size, types[t], NULL);
            rnnrt_set_num_threads(1);
            outputs one = run(m, 60 + (unsigned)k);
            for (int threads = 2; threads <= 3; threads++) {
                rnnrt_set_num_threads(threads);
                outputs many = run(m, 60 + (unsigned)k);
                if (!same_bytes(&one, &many))
                    fail_msg("%s model %zu (%s): %d threads differ from 1", types[t], k,
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
        for (int t = 0; t < 2; t++)
            for (int s = 0; s < 4; s++) {
                if (!kernel_set_available(sets[s]) || !strcmp(sets[s], before))
                    continue;
                rnnrt_model *follows = load(bytes, size, types[t], NULL); /* packed on `before` */
                rnnrt_model *direct = load(bytes, size, types[t], sets[s]);
                assert_int_equal(rnnrt_set_isa(sets[s]), RNNRT_OK);
                outputs a = run(follows, 80), b = run(direct, 80);
                if (!same_bytes(&a, &b))
                    fail_msg("%s model %zu: %s packed from %s holds other weights than %s "
                             "packed from the file", types[t], k, sets[s], before, sets[s]);
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
    double worst[2] = {0, 0};
    for (size_t k = 0; k < N_CELL_SPECS; k++) {
        size_t size;
        unsigned char *bytes = build_model_bytes(&cell_specs[k], &size);
        rnnrt_model *f32 = load(bytes, size, NULL, NULL);
        outputs want = run(f32, 90 + (unsigned)k);
        for (int t = 0; t < 2; t++) {
            rnnrt_model *m = load(bytes, size, types[t], NULL);
            outputs got = run(m, 90 + (unsigned)k);
            double e = distance(&got, &want), bound = t == 0 ? BF16_FROM_F32 : INT8_FROM_F32;
            worst[t] = fmax(worst[t], e);
            if (e > bound)
                fail_msg("%s model %zu (%s): %.3g from f32, bound %.3g", types[t], k,
                         rnnrt_model_cell_name(m), e, bound);
            if (e == 0)
                fail_msg("%s model %zu: exactly the f32 result: were the weights rounded?",
                         types[t], k);
            outputs_free(&got);
            rnnrt_model_free(m);
        }
        outputs_free(&want);
        rnnrt_model_free(f32);
        free(bytes);
    }
    assert_true(worst[1] > worst[0]);
    print_message("[  INFO    ] largest distance from f32: bf16 %.3g, int8 %.3g\n", worst[0],
                  worst[1]);
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
    rnnrt_model *f32 = load(bytes, size, NULL, NULL), *bf16 = load(bytes, size, "bf16", NULL);
    outputs a = run(f32, 7), b = run(bf16, 7);
    assert_true(same_bytes(&a, &b));
    outputs_free(&a);
    outputs_free(&b);
    rnnrt_model_free(f32);
    rnnrt_model_free(bf16);
    free(bytes);
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
    const struct CMUnitTest tests[] = {
        {"blocked_matches_reference/scalar", blocked_matches_reference, NULL, NULL, "scalar"},
        {"blocked_matches_reference/avx2", blocked_matches_reference, NULL, NULL, "avx2"},
        {"blocked_matches_reference/avx512", blocked_matches_reference, NULL, NULL, "avx512"},
        {"blocked_matches_reference/neon", blocked_matches_reference, NULL, NULL, "neon"},
        cmocka_unit_test(thread_invariance),
        cmocka_unit_test(every_set_holds_the_same_weights),
        cmocka_unit_test(near_f32),
        cmocka_unit_test(bf16_file_as_stored),
        cmocka_unit_test(int8_refuses_non_finite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
