/* Per-model options (rnnrt_options): bad keys and values, kernel sets this CPU lacks, the
 * queries, and two models with different kernel sets and thread counts running at once in
 * one process, each giving exactly the bytes it gives when it runs alone. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_util.h"

static void model_path(char *path, size_t size, const char *name)
{
    snprintf(path, size, "%s/golden/%s.model.safetensors", test_data_dir, name);
}

static rnnrt_options *options(const char *isa, const char *threads)
{
    rnnrt_options *o;
    assert_int_equal(rnnrt_options_create(&o), RNNRT_OK);
    if (isa)
        assert_int_equal(rnnrt_options_set(o, "isa", isa), RNNRT_OK);
    if (threads)
        assert_int_equal(rnnrt_options_set(o, "threads", threads), RNNRT_OK);
    return o;
}

static void bad_keys_and_values(void **st)
{
    (void)st;
    rnnrt_options *o;
    EXPECT_FAIL(rnnrt_options_create(NULL), RNNRT_E_INVALID, "out");
    assert_int_equal(rnnrt_options_create(&o), RNNRT_OK);
    EXPECT_FAIL(rnnrt_options_set(NULL, "isa", "auto"), RNNRT_E_INVALID, "options");
    EXPECT_FAIL(rnnrt_options_set(o, NULL, "auto"), RNNRT_E_INVALID, "key");
    EXPECT_FAIL(rnnrt_options_set(o, "isa", NULL), RNNRT_E_INVALID, "isa");
    EXPECT_FAIL(rnnrt_options_set(o, "colour", "blue"), RNNRT_E_INVALID, "colour");
    EXPECT_FAIL(rnnrt_options_set(o, "ISA", "auto"), RNNRT_E_INVALID, "ISA");
    EXPECT_FAIL(rnnrt_options_set(o, "isa", "sse9"), RNNRT_E_INVALID, "sse9");
    EXPECT_FAIL(rnnrt_options_set(o, "isa", ""), RNNRT_E_INVALID, "isa");
    const char *bad_threads[] = {"", "-1", "+2", " 2", "2 ", "two", "1.5", "4097",
                                 "99999999999999999999"};
    for (size_t k = 0; k < sizeof bad_threads / sizeof bad_threads[0]; k++)
        EXPECT_FAIL(rnnrt_options_set(o, "threads", bad_threads[k]), RNNRT_E_INVALID,
                    "threads");
    EXPECT_FAIL(rnnrt_options_set(o, "weights", "f16"), RNNRT_E_INVALID, "f16");
    EXPECT_FAIL(rnnrt_options_set(o, "weights", "F32"), RNNRT_E_INVALID, "weights");
    EXPECT_FAIL(rnnrt_options_set(o, "activations", "int16"), RNNRT_E_INVALID, "activations");
    EXPECT_FAIL(rnnrt_options_set(o, "activations", "fp16"), RNNRT_E_INVALID, "\"bf16\"");
    assert_int_equal(rnnrt_options_set(o, "activations", "bf16"), RNNRT_OK);
    assert_int_equal(rnnrt_options_set(o, "activations", "int8"), RNNRT_OK);
    assert_int_equal(rnnrt_options_set(o, "activations", "f32"), RNNRT_OK);
    assert_int_equal(rnnrt_options_set(o, "threads", "0"), RNNRT_OK);
    assert_int_equal(rnnrt_options_set(o, "threads", "4096"), RNNRT_OK);
    assert_int_equal(rnnrt_options_set(o, "isa", "scalar"), RNNRT_OK);
    assert_int_equal(rnnrt_options_set(o, "isa", "auto"), RNNRT_OK);
    rnnrt_options_free(o);
    rnnrt_options_free(NULL);
}

/* A kernel set the CPU or build lacks is refused at set; one of the four always is (x86
 * has no neon, AArch64 no avx2). */
static void unsupported_kernel_sets(void **st)
{
    (void)st;
    rnnrt_options *o = options(NULL, NULL);
    const char *before = rnnrt_isa();
    int refused = 0;
    for (int k = 0; k < kernel_set_count(); k++) {
        const char *set = kernel_set_name(k);
        int available = rnnrt_set_isa(set) == RNNRT_OK;
        rnnrt_status s = rnnrt_options_set(o, "isa", set);
        if (available) {
            assert_int_equal(s, RNNRT_OK);
        } else {
            assert_int_equal(s, RNNRT_E_UNSUPPORTED);
            assert_non_null(strstr(rnnrt_last_error(), set));
            refused++;
        }
    }
    assert_true(refused >= 1);
    assert_int_equal(rnnrt_set_isa(before), RNNRT_OK);
    rnnrt_options_free(o);
}

/* The loads with options check their arguments as rnnrt_model_load does. */
static void load_arguments(void **st)
{
    (void)st;
    char path[512];
    model_path(path, sizeof path, "lstm_basic");
    rnnrt_options *o = options(NULL, NULL);
    rnnrt_model *m = (rnnrt_model *)(uintptr_t)1;
    size_t size;
    unsigned char *bytes = read_file_bytes(path, &size);
    assert_non_null(bytes);
    EXPECT_FAIL(rnnrt_model_load_ex(NULL, o, &m), RNNRT_E_INVALID, "path");
    EXPECT_FAIL(rnnrt_model_load_ex(path, o, NULL), RNNRT_E_INVALID, "out");
    EXPECT_FAIL(rnnrt_model_load_memory_ex(NULL, size, o, &m), RNNRT_E_INVALID, "data");
    /* int8 activations need int8 weights, whichever order the keys were set in */
    assert_int_equal(rnnrt_options_set(o, "activations", "int8"), RNNRT_OK);
    EXPECT_FAIL(rnnrt_model_load_ex(path, o, &m), RNNRT_E_INVALID, "\"weights\" \"int8\"");
    assert_int_equal(rnnrt_options_set(o, "weights", "bf16"), RNNRT_OK);
    EXPECT_FAIL(rnnrt_model_load_memory_ex(bytes, size, o, &m), RNNRT_E_INVALID, "bf16");
    assert_ptr_equal(m, (rnnrt_model *)(uintptr_t)1);
    assert_int_equal(rnnrt_options_set(o, "weights", "int8"), RNNRT_OK);
    assert_int_equal(rnnrt_model_load_memory_ex(bytes, size, o, &m), RNNRT_OK);
    assert_string_equal(rnnrt_model_activations(m), "int8");
    assert_string_equal(rnnrt_model_weights(m), "int8");
    rnnrt_model_free(m);
    /* bf16 activations need bf16 weights */
    m = (rnnrt_model *)(uintptr_t)1;
    assert_int_equal(rnnrt_options_set(o, "activations", "bf16"), RNNRT_OK);
    EXPECT_FAIL(rnnrt_model_load_memory_ex(bytes, size, o, &m), RNNRT_E_INVALID,
                "\"activations\" \"bf16\" needs \"weights\" \"bf16\"");
    assert_ptr_equal(m, (rnnrt_model *)(uintptr_t)1);
    assert_int_equal(rnnrt_options_set(o, "weights", "bf16"), RNNRT_OK);
    assert_int_equal(rnnrt_model_load_memory_ex(bytes, size, o, &m), RNNRT_OK);
    assert_string_equal(rnnrt_model_activations(m), "bf16");
    assert_string_equal(rnnrt_model_weights(m), "bf16");
    rnnrt_model_free(m);
    free(bytes);
    rnnrt_options_free(o);
}

static void queries(void **st)
{
    (void)st;
    char path[512];
    model_path(path, sizeof path, "lstm_basic");
    rnnrt_model *m;
    rnnrt_options *o = options("scalar", "3");
    assert_int_equal(rnnrt_model_load_ex(path, o, &m), RNNRT_OK);
    rnnrt_options_free(o); /* copied at load */
    assert_string_equal(rnnrt_model_isa(m), "scalar");
    assert_string_equal(rnnrt_model_weights(m), "f32");
    assert_string_equal(rnnrt_model_activations(m), "f32");
    assert_int_equal(rnnrt_model_threads(m), 3);
    rnnrt_set_num_threads(2);
    assert_int_equal(rnnrt_model_threads(m), 3); /* fixed by its options */
    rnnrt_model_free(m);

    /* NULL options and "auto"/"0" follow the process-wide settings at each call */
    assert_int_equal(rnnrt_model_load_ex(path, NULL, &m), RNNRT_OK);
    assert_int_equal(rnnrt_model_threads(m), 2);
    rnnrt_set_num_threads(1);
    assert_int_equal(rnnrt_model_threads(m), 1);
    const char *before = rnnrt_isa();
    assert_int_equal(rnnrt_set_isa("scalar"), RNNRT_OK);
    assert_string_equal(rnnrt_model_isa(m), "scalar");
    assert_int_equal(rnnrt_set_isa(before), RNNRT_OK);
    assert_string_equal(rnnrt_model_isa(m), before);
    rnnrt_model_free(m);
    rnnrt_set_num_threads(0);

    assert_string_equal(rnnrt_model_isa(NULL), "");
    assert_string_equal(rnnrt_model_weights(NULL), "");
    assert_string_equal(rnnrt_model_activations(NULL), "");
    assert_int_equal(rnnrt_model_threads(NULL), -1);
}

enum { T = 7, B = 5, ROUNDS = 20 };

typedef struct job {
    rnnrt_model *model;
    const float *x;
    float *expected, *y;
    size_t ny;
    int mismatches, errors;
} job;

static void *run_rounds(void *arg)
{
    job *j = arg;
    for (int r = 0; r < ROUNDS; r++) {
        memset(j->y, 0xff, j->ny * sizeof(float));
        if (rnnrt_forward(j->model, NULL, j->x, T, B, NULL, j->y))
            j->errors++;
        else if (memcmp(j->y, j->expected, j->ny * sizeof(float)))
            j->mismatches++;
    }
    return NULL;
}

/* Two models of one file, one on the scalar set with 1 thread and one on the best set with
 * 2, called at once from two threads: each gives the bytes it gives alone. The scalar and
 * vector sets round differently, so the two expectations differ wherever the sets do; each
 * model must keep its own. */
static void concurrent_models_keep_their_options(void **st)
{
    (void)st;
    char path[512];
    model_path(path, sizeof path, "lstm_large");
    const char *best = rnnrt_isa();
    rnnrt_options *o[2] = {options("scalar", "1"), options(best, "2")};
    job jobs[2];
    float *x = NULL;
    for (int k = 0; k < 2; k++) {
        job *j = &jobs[k];
        memset(j, 0, sizeof *j);
        assert_int_equal(rnnrt_model_load_ex(path, o[k], &j->model), RNNRT_OK);
        if (!x) {
            size_t nx = (size_t)T * B * rnnrt_model_input_size(j->model);
            x = malloc(nx * sizeof *x);
            unsigned seed = 12345;
            for (size_t i = 0; i < nx; i++) {
                seed = seed * 1103515245u + 12345u;
                x[i] = (float)((seed >> 9) & 0xffff) / 32768.0f - 1.0f;
            }
        }
        j->x = x;
        j->ny = (size_t)T * B * rnnrt_model_output_size(j->model);
        j->expected = malloc(j->ny * sizeof(float));
        j->y = malloc(j->ny * sizeof(float));
        assert_int_equal(rnnrt_forward(j->model, NULL, x, T, B, NULL, j->expected), RNNRT_OK);
    }
    /* changing the process-wide settings must not move models that fixed their own */
    assert_int_equal(rnnrt_set_isa("scalar"), RNNRT_OK);
    rnnrt_set_num_threads(3);
    pthread_t th[2];
    for (int k = 0; k < 2; k++)
        assert_int_equal(pthread_create(&th[k], NULL, run_rounds, &jobs[k]), 0);
    for (int k = 0; k < 2; k++)
        pthread_join(th[k], NULL);
    assert_int_equal(rnnrt_set_isa(best), RNNRT_OK);
    rnnrt_set_num_threads(0);
    for (int k = 0; k < 2; k++) {
        if (jobs[k].errors || jobs[k].mismatches)
            fail_msg("model %d (isa %s): %d errors, %d of %d rounds differ from its lone run",
                     k, rnnrt_model_isa(jobs[k].model), jobs[k].errors, jobs[k].mismatches,
                     ROUNDS);
        assert_string_equal(rnnrt_model_isa(jobs[k].model), k ? best : "scalar");
        assert_int_equal(rnnrt_model_threads(jobs[k].model), k + 1);
        rnnrt_model_free(jobs[k].model);
        free(jobs[k].expected);
        free(jobs[k].y);
        rnnrt_options_free(o[k]);
    }
    free(x);
}

/* A model keeps its matrices only in its first packing; a second kernel set's packing is
 * made from it. That repacking must give the bytes of a model loaded for that set, for
 * every cell and layout (projection, several layers, both directions, lengths). */
static void second_packing_comes_from_the_first(void **st)
{
    (void)st;
    const char *best = rnnrt_isa();
    if (!strcmp(best, "scalar")) {
        print_message("[  SKIP    ] only the scalar kernel set runs here\n");
        skip();
    }
    const char *names[] = {"lstm_3layer_bidir", "gru_2layer_bidir", "lstm_proj", "peephole_basic",
                           "coupled_proj", "lstm_large", "rnn_tanh_large",
                           "rnn_relu_2layer_bidir", "grurb_large", "grurb_large_bidir"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        char path[512];
        model_path(path, sizeof path, names[k]);
        rnnrt_model *follows, *scalar;
        rnnrt_options *o = options("scalar", NULL);
        assert_int_equal(rnnrt_model_load(path, &follows), RNNRT_OK); /* packed for `best` */
        assert_int_equal(rnnrt_model_load_ex(path, o, &scalar), RNNRT_OK);
        rnnrt_options_free(o);
        size_t nx = (size_t)T * B * rnnrt_model_input_size(scalar);
        size_t ny = (size_t)T * B * rnnrt_model_output_size(scalar);
        float *x = malloc(nx * sizeof *x), *y1 = malloc(ny * sizeof *y1), *y2 = malloc(ny * 4);
        unsigned seed = 99 + (unsigned)k;
        for (size_t i = 0; i < nx; i++) {
            seed = seed * 1103515245u + 12345u;
            x[i] = (float)((seed >> 9) & 0xffff) / 32768.0f - 1.0f;
        }
        int lengths[B] = {T, 3, 1, T, 5};
        assert_int_equal(rnnrt_set_isa("scalar"), RNNRT_OK);
        assert_int_equal(rnnrt_forward(follows, NULL, x, T, B, lengths, y1), RNNRT_OK);
        assert_int_equal(rnnrt_set_isa(best), RNNRT_OK);
        assert_int_equal(rnnrt_forward(scalar, NULL, x, T, B, lengths, y2), RNNRT_OK);
        if (memcmp(y1, y2, ny * sizeof *y1))
            fail_msg("%s: packed for scalar from the %s packing differs from a scalar load",
                     names[k], best);
        free(x);
        free(y1);
        free(y2);
        rnnrt_model_free(follows);
        rnnrt_model_free(scalar);
    }
}

int main(int argc, char **argv)
{
    test_data_dir = argc > 1 ? argv[1] : "tests/data";
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_keys_and_values),
        cmocka_unit_test(unsupported_kernel_sets),
        cmocka_unit_test(load_arguments),
        cmocka_unit_test(queries),
        cmocka_unit_test(concurrent_models_keep_their_options),
        cmocka_unit_test(second_packing_comes_from_the_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
