/* Every public function with every kind of bad argument: the right status, a message that
 * names the problem, and nothing changed or leaked (the sanitizer build checks leaks). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#include "test_util.h"

static rnnrt_model *load(const char *name)
{
    char path[512];
    rnnrt_model *m = NULL;
    snprintf(path, sizeof path, "%s/golden/%s.model.safetensors", test_data_dir, name);
    if (rnnrt_model_load(path, &m))
        fail_msg("%s: %s", path, rnnrt_last_error());
    return m;
}

static void status_strings(void **st)
{
    (void)st;
    for (int s = RNNRT_OK; s <= RNNRT_E_CLOSED; s++)
        assert_true(strlen(rnnrt_status_string((rnnrt_status)s)) > 0);
    assert_string_equal(rnnrt_status_string((rnnrt_status)99), "unknown status");
    assert_string_equal(rnnrt_status_string(RNNRT_OK), "ok");
}

static void load_bad_arguments(void **st)
{
    (void)st;
    rnnrt_model *m = (rnnrt_model *)0x1;
    char byte = 0;
    EXPECT_FAIL(rnnrt_model_load(NULL, &m), RNNRT_E_INVALID, "path");
    EXPECT_FAIL(rnnrt_model_load("x", NULL), RNNRT_E_INVALID, "out");
    EXPECT_FAIL(rnnrt_model_load("/nonexistent/model.safetensors", &m), RNNRT_E_IO,
                "/nonexistent/model.safetensors");
    EXPECT_FAIL(rnnrt_model_load("/", &m), RNNRT_E_IO, "regular file");
    EXPECT_FAIL(rnnrt_model_load_memory(NULL, 10, &m), RNNRT_E_INVALID, "data");
    EXPECT_FAIL(rnnrt_model_load_memory(&byte, 0, &m), RNNRT_E_INVALID, "size");
    EXPECT_FAIL(rnnrt_model_load_memory(&byte, 1, NULL), RNNRT_E_INVALID, "out");
    EXPECT_FAIL(rnnrt_model_load_memory(&byte, 1, &m), RNNRT_E_FORMAT, "too short");
    assert_ptr_equal(m, (rnnrt_model *)0x1); /* untouched on failure */
}

static void load_from_memory_equals_file(void **st)
{
    (void)st;
    char path[512];
    size_t size;
    snprintf(path, sizeof path, "%s/golden/lstm_proj_bidir_2layer.model.safetensors",
             test_data_dir);
    unsigned char *bytes = read_file_bytes(path, &size);
    assert_non_null(bytes);
    rnnrt_model *a = load("lstm_proj_bidir_2layer"), *b;
    assert_int_equal(rnnrt_model_load_memory(bytes, size, &b), RNNRT_OK);
    free(bytes); /* the model must not keep pointers into the buffer */
    float x[2 * 3 * 7], ya[2 * 3 * 10], yb[2 * 3 * 10];
    for (int k = 0; k < 42; k++)
        x[k] = sinf((float)k);
    assert_int_equal(rnnrt_model_output_size(a), 10);
    assert_int_equal(rnnrt_forward(a, NULL, x, 2, 3, NULL, ya), RNNRT_OK);
    assert_int_equal(rnnrt_forward(b, NULL, x, 2, 3, NULL, yb), RNNRT_OK);
    assert_memory_equal(ya, yb, sizeof ya);
    rnnrt_model_free(a);
    rnnrt_model_free(b);
}

static void queries(void **st)
{
    (void)st;
    rnnrt_model *m = load("lstm_proj_bidir_2layer");
    assert_int_equal(rnnrt_model_input_size(m), 7);
    assert_int_equal(rnnrt_model_num_layers(m), 2);
    assert_int_equal(rnnrt_model_num_directions(m), 2);
    assert_int_equal(rnnrt_model_hidden_size(m), 13);
    assert_int_equal(rnnrt_model_proj_size(m), 5);
    assert_int_equal(rnnrt_model_state_h_size(m), 5);
    assert_int_equal(rnnrt_model_output_size(m), 10);
    assert_int_equal(rnnrt_model_cell(m), RNNRT_CELL_LSTM);
    assert_string_equal(rnnrt_model_cell_name(m), "lstm");
    assert_int_equal(rnnrt_model_has_bias(m), 1);
    rnnrt_model_free(m);
    m = load("gru_nobias");
    assert_int_equal(rnnrt_model_cell(m), RNNRT_CELL_GRU);
    assert_int_equal(rnnrt_model_has_bias(m), 0);
    assert_int_equal(rnnrt_model_proj_size(m), 0);
    rnnrt_model_free(m);
    m = load("peephole_basic");
    assert_string_equal(rnnrt_model_cell_name(m), "lstm_peephole");
    rnnrt_model_free(m);
    m = load("coupled_basic");
    assert_int_equal(rnnrt_model_cell(m), RNNRT_CELL_LSTM_COUPLED);
    rnnrt_model_free(m);
    m = load("rnn_tanh_basic"); /* nn.RNN's state_dict, no metadata: tanh */
    assert_int_equal(rnnrt_model_cell(m), RNNRT_CELL_RNN_TANH);
    assert_string_equal(rnnrt_model_cell_name(m), "rnn_tanh");
    assert_int_equal(rnnrt_model_state_h_size(m), 13);
    rnnrt_model_free(m);
    m = load("rnn_relu_nobias");
    assert_int_equal(rnnrt_model_cell(m), RNNRT_CELL_RNN_RELU);
    assert_string_equal(rnnrt_model_cell_name(m), "rnn_relu");
    assert_int_equal(rnnrt_model_has_bias(m), 0);
    rnnrt_model_free(m);
    m = load("grurb_basic"); /* nn.GRU's tensors, declared rnnrt.cell=gru_reset_before */
    assert_int_equal(rnnrt_model_cell(m), RNNRT_CELL_GRU_RESET_BEFORE);
    assert_string_equal(rnnrt_model_cell_name(m), "gru_reset_before");
    assert_int_equal(rnnrt_model_state_h_size(m), 13);
    assert_int_equal(rnnrt_model_proj_size(m), 0);
    assert_int_equal(rnnrt_model_has_bias(m), 1);
    rnnrt_model_free(m);
    /* NULL models answer -1 / "" rather than crash */
    assert_int_equal(rnnrt_model_input_size(NULL), -1);
    assert_int_equal(rnnrt_model_output_size(NULL), -1);
    assert_int_equal(rnnrt_model_num_layers(NULL), -1);
    assert_int_equal(rnnrt_model_num_directions(NULL), -1);
    assert_int_equal(rnnrt_model_hidden_size(NULL), -1);
    assert_int_equal(rnnrt_model_proj_size(NULL), -1);
    assert_int_equal(rnnrt_model_state_h_size(NULL), -1);
    assert_int_equal(rnnrt_model_has_bias(NULL), -1);
    assert_string_equal(rnnrt_model_cell_name(NULL), "");
    assert_int_equal(rnnrt_state_batch(NULL), -1);
    rnnrt_model_free(NULL);
    rnnrt_state_free(NULL);
}

static void state_bad_arguments(void **st)
{
    (void)st;
    rnnrt_model *lstm = load("lstm_2layer"), *gru = load("gru_basic");
    rnnrt_state *s = (rnnrt_state *)0x1;
    EXPECT_FAIL(rnnrt_state_create(NULL, 1, &s), RNNRT_E_INVALID, "model");
    EXPECT_FAIL(rnnrt_state_create(lstm, 0, &s), RNNRT_E_INVALID, "batch");
    EXPECT_FAIL(rnnrt_state_create(lstm, -3, &s), RNNRT_E_INVALID, "batch");
    EXPECT_FAIL(rnnrt_state_create(lstm, 1, NULL), RNNRT_E_INVALID, "out");
    assert_ptr_equal(s, (rnnrt_state *)0x1);

    rnnrt_state *ls, *gs;
    assert_int_equal(rnnrt_state_create(lstm, 2, &ls), RNNRT_OK);
    assert_int_equal(rnnrt_state_create(gru, 2, &gs), RNNRT_OK);
    assert_int_equal(rnnrt_state_batch(ls), 2);
    float h[2 * 2 * 13], c[2 * 2 * 13];
    EXPECT_FAIL(rnnrt_state_read(NULL, h, c), RNNRT_E_INVALID, "state");
    EXPECT_FAIL(rnnrt_state_read(ls, NULL, c), RNNRT_E_INVALID, "h");
    EXPECT_FAIL(rnnrt_state_write(NULL, h, c), RNNRT_E_INVALID, "state");
    EXPECT_FAIL(rnnrt_state_write(ls, NULL, c), RNNRT_E_INVALID, "h");
    EXPECT_FAIL(rnnrt_state_write(ls, h, NULL), RNNRT_E_INVALID, "LSTM");
    EXPECT_FAIL(rnnrt_state_write(gs, h, c), RNNRT_E_INVALID, "GRU");
    EXPECT_FAIL(rnnrt_state_read(gs, h, c), RNNRT_E_INVALID, "GRU");
    EXPECT_FAIL(rnnrt_state_reset(NULL), RNNRT_E_INVALID, "state");

    /* round trip, reset, and an LSTM read of h alone */
    for (int k = 0; k < 52; k++) {
        h[k] = (float)k;
        c[k] = (float)-k;
    }
    float h2[52], c2[52];
    assert_int_equal(rnnrt_state_write(ls, h, c), RNNRT_OK);
    assert_int_equal(rnnrt_state_read(ls, h2, c2), RNNRT_OK);
    assert_memory_equal(h, h2, sizeof h);
    assert_memory_equal(c, c2, sizeof c);
    assert_int_equal(rnnrt_state_reset(ls), RNNRT_OK);
    assert_int_equal(rnnrt_state_read(ls, h2, NULL), RNNRT_OK);
    for (int k = 0; k < 52; k++)
        assert_true(h2[k] == 0.0f);
    rnnrt_state_free(ls);
    rnnrt_state_free(gs);
    rnnrt_model_free(lstm);
    rnnrt_model_free(gru);
}

static void forward_bad_arguments(void **st)
{
    (void)st;
    rnnrt_model *m = load("lstm_2layer"), *other = load("lstm_bidir");
    float x[4 * 2 * 7] = {0}, y[4 * 2 * 13];
    int lengths[2] = {4, 2};
    rnnrt_state *s1, *s2, *s_other;
    assert_int_equal(rnnrt_state_create(m, 1, &s1), RNNRT_OK);
    assert_int_equal(rnnrt_state_create(m, 2, &s2), RNNRT_OK);
    assert_int_equal(rnnrt_state_create(other, 2, &s_other), RNNRT_OK);
    for (size_t k = 0; k < sizeof y / sizeof y[0]; k++)
        y[k] = 42.0f;

    EXPECT_FAIL(rnnrt_forward(NULL, NULL, x, 4, 2, NULL, y), RNNRT_E_INVALID, "model");
    EXPECT_FAIL(rnnrt_forward(m, NULL, NULL, 4, 2, NULL, y), RNNRT_E_INVALID, "x");
    EXPECT_FAIL(rnnrt_forward(m, NULL, x, 4, 2, NULL, NULL), RNNRT_E_INVALID, "y");
    EXPECT_FAIL(rnnrt_forward(m, NULL, x, 0, 2, NULL, y), RNNRT_E_INVALID, "seq_len");
    EXPECT_FAIL(rnnrt_forward(m, NULL, x, -1, 2, NULL, y), RNNRT_E_INVALID, "seq_len");
    EXPECT_FAIL(rnnrt_forward(m, NULL, x, 4, 0, NULL, y), RNNRT_E_INVALID, "batch");
    EXPECT_FAIL(rnnrt_forward(m, s1, x, 4, 2, NULL, y), RNNRT_E_INVALID, "batch");
    EXPECT_FAIL(rnnrt_forward(m, s_other, x, 4, 2, NULL, y), RNNRT_E_INVALID, "another model");
    EXPECT_FAIL(rnnrt_forward(m, NULL, x, 0x7fffffff, 1 << 24, NULL, y), RNNRT_E_INVALID,
                "too large");
    EXPECT_FAIL(rnnrt_forward(m, NULL, x, 1 << 30, 1 << 13, NULL, y), RNNRT_E_INVALID,
                "too large"); /* 2^43 steps x 13 floats x 4 bytes: just over 2^48 */
    EXPECT_FAIL(rnnrt_forward(m, NULL, x, 4, (1 << 24) + 1, NULL, y), RNNRT_E_INVALID, "batch");
    lengths[1] = 0;
    EXPECT_FAIL(rnnrt_forward(m, s2, x, 4, 2, lengths, y), RNNRT_E_INVALID, "lengths[1]");
    lengths[1] = 5;
    EXPECT_FAIL(rnnrt_forward(m, s2, x, 4, 2, lengths, y), RNNRT_E_INVALID, "lengths[1]");
    lengths[0] = -7;
    EXPECT_FAIL(rnnrt_forward(m, s2, x, 4, 2, lengths, y), RNNRT_E_INVALID, "lengths[0]");
    /* nothing was written by any failing call */
    for (size_t k = 0; k < sizeof y / sizeof y[0]; k++)
        assert_true(y[k] == 42.0f);
    float h[2 * 2 * 13];
    assert_int_equal(rnnrt_state_read(s2, h, NULL), RNNRT_OK);
    for (size_t k = 0; k < sizeof h / sizeof h[0]; k++)
        assert_true(h[k] == 0.0f);
    /* and the last error is cleared by a call that succeeds */
    assert_int_equal(rnnrt_forward(m, s2, x, 4, 2, NULL, y), RNNRT_OK);
    assert_string_equal(rnnrt_last_error(), "");
    rnnrt_state_free(s1);
    rnnrt_state_free(s2);
    rnnrt_state_free(s_other);
    rnnrt_model_free(m);
    rnnrt_model_free(other);
}

/* Padding past a sequence's end never influences its outputs: NaN there is harmless. */
static void padding_is_never_read(void **st)
{
    (void)st;
    rnnrt_model *m = load("lstm_bidir");
    enum { T = 5, B = 2, I = 7, O = 26 };
    float x[T * B * I], y1[T * B * O], y2[T * B * O];
    int lengths[B] = {5, 2};
    for (int k = 0; k < T * B * I; k++)
        x[k] = cosf((float)k);
    assert_int_equal(rnnrt_forward(m, NULL, x, T, B, lengths, y1), RNNRT_OK);
    for (int t = 2; t < T; t++)
        for (int i = 0; i < I; i++)
            x[(t * B + 1) * I + i] = NAN;
    assert_int_equal(rnnrt_forward(m, NULL, x, T, B, lengths, y2), RNNRT_OK);
    assert_memory_equal(y1, y2, sizeof y1);
    rnnrt_model_free(m);
}

/* The blocked pass flushes subnormals in its own threads and must give the caller its
 * floating-point mode back, whatever the caller had set. */
static void caller_fp_mode_is_kept(void **st)
{
    (void)st;
#if defined(__x86_64__)
    rnnrt_model *m = load("lstm_2layer");
    float x[4 * 2 * 7] = {1e-40f, -1e-39f}, y[4 * 2 * 13];
    assert_int_equal(rnnrt_set_variant("blocked"), RNNRT_OK);
    unsigned modes[] = {_mm_getcsr(), _mm_getcsr() | 0x8040, (_mm_getcsr() & ~0x6000u) | 0x2000};
    for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++) {
        _mm_setcsr(modes[k]);
        assert_int_equal(rnnrt_forward(m, NULL, x, 4, 2, NULL, y), RNNRT_OK);
        unsigned after = _mm_getcsr();
        _mm_setcsr(modes[0]);
        assert_int_equal(after & ~0x3fu, modes[k] & ~0x3fu); /* flags may be raised */
    }
    rnnrt_model_free(m);
#else
    skip();
#endif
}

static void isa_and_threads(void **st)
{
    (void)st;
    EXPECT_FAIL(rnnrt_set_isa(NULL), RNNRT_E_INVALID, "NULL");
    EXPECT_FAIL(rnnrt_set_isa("sse9"), RNNRT_E_INVALID, "sse9");
#if !defined(__aarch64__)
    EXPECT_FAIL(rnnrt_set_isa("neon"), RNNRT_E_UNSUPPORTED, "neon");
#else
    EXPECT_FAIL(rnnrt_set_isa("avx2"), RNNRT_E_UNSUPPORTED, "avx2");
#endif
    const char *before = rnnrt_isa();
    assert_int_equal(rnnrt_set_isa("scalar"), RNNRT_OK);
    assert_string_equal(rnnrt_isa(), "scalar");
    assert_int_equal(rnnrt_set_isa(before), RNNRT_OK);
    rnnrt_set_num_threads(3);
    assert_int_equal(rnnrt_num_threads(), 3);
    rnnrt_set_num_threads(0);
    assert_true(rnnrt_num_threads() >= 1);
    assert_true(strlen(rnnrt_version()) >= 5);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        test_data_dir = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(status_strings),
        cmocka_unit_test(load_bad_arguments),
        cmocka_unit_test(load_from_memory_equals_file),
        cmocka_unit_test(queries),
        cmocka_unit_test(state_bad_arguments),
        cmocka_unit_test(forward_bad_arguments),
        cmocka_unit_test(padding_is_never_read),
        cmocka_unit_test(caller_fp_mode_is_kept),
        cmocka_unit_test(isa_and_threads),
    };
    return cmocka_run_group_tests_name("api", tests, NULL, NULL);
}
