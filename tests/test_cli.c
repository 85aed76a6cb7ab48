/* The .npy reader/writer and the `rnnrt` tool: `rnnrt run` on a golden model gives the
 * library's own output, honours --lengths, and rejects bad inputs with a non-zero exit;
 * `rnnrt quantize` writes the model the library loads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "model_builder.h"
#include "npy.h"
#include "test_util.h"

static const char *tool = "tools/rnnrt";
static char tmpdir[64];

static int run_tool(const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' %s >/dev/null 2>&1", tool, args);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* A v1 .npy header for `descr` and `shape` (the tuple's text), padded so that the data
 * starts on a 64-byte boundary; returns its length. */
static size_t npy_header(unsigned char *buf, size_t cap, const char *descr, const char *shape)
{
    char dict[160];
    int len = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                       descr, shape);
    int pad = 64 - (10 + len + 1) % 64;
    size_t total = 10 + (size_t)len + (size_t)pad + 1;
    assert_true(len > 0 && (size_t)len < sizeof dict && total <= cap);
    unsigned short hlen = (unsigned short)(len + pad + 1);
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)(hlen & 0xff);
    buf[9] = (unsigned char)(hlen >> 8);
    memcpy(buf + 10, dict, (size_t)len);
    memset(buf + 10 + len, ' ', (size_t)pad);
    buf[total - 1] = '\n';
    return total;
}

/* A v1 .npy of int64 values, written by hand (the library writer only does float32). */
/* v [rows][cols] as int64, or [rows] when cols is 0. */
static void write_i64_npy_2d(const char *path, const int64_t *v, int rows, int cols)
{
    unsigned char header[256];
    char shape[32];
    if (cols)
        snprintf(shape, sizeof shape, "(%d, %d)", rows, cols);
    else
        snprintf(shape, sizeof shape, "(%d,)", rows);
    size_t len = npy_header(header, sizeof header, "<i8", shape);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(header, 1, len, f);
    fwrite(v, sizeof *v, (size_t)rows * (cols ? cols : 1), f);
    fclose(f);
}

static void write_i64_npy(const char *path, const int64_t *v, int n)
{
    write_i64_npy_2d(path, v, n, 0);
}

/* Shapes whose element count or byte count is exactly 2^64: in 64-bit arithmetic that
 * wraps to 0 and would match the empty data that follows the header. */
static void npy_refuses_sizes_that_wrap(void **st)
{
    (void)st;
    static const struct {
        const char *descr, *shape, *word;
    } cases[] = {
        {"<f4", "(4294967296, 4294967296)", "overflows"},      /* 2^64 elements */
        {"<f4", "(65536, 65536, 65536, 65536)", "overflows"},  /* the same in 4 dimensions */
        {"<f8", "(2305843009213693952,)", "promises"},         /* 2^61 x 8 bytes */
        {"<i4", "(4611686018427387904, 1)", "promises"},       /* 2^62 x 4 bytes */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        unsigned char buf[256];
        char err[256] = "";
        npy_array a;
        size_t len = npy_header(buf, sizeof buf, cases[k].descr, cases[k].shape);
        if (npy_parse(buf, len, &a, err, sizeof err) != -1 || !strstr(err, cases[k].word))
            fail_msg("npy %s %s with no data: accepted or wrong message '%s' (expected '%s')",
                     cases[k].descr, cases[k].shape, err, cases[k].word);
    }
}

static void npy_round_trip_and_rejects(void **st)
{
    (void)st;
    char path[128], err[256];
    float data[2 * 3 * 4];
    for (int k = 0; k < 24; k++)
        data[k] = (float)k * 0.5f;
    uint64_t shape[3] = {2, 3, 4};
    snprintf(path, sizeof path, "%s/a.npy", tmpdir);
    assert_int_equal(npy_save_f32(path, data, shape, 3, err, sizeof err), 0);
    npy_array a;
    assert_int_equal(npy_load(path, &a, err, sizeof err), 0);
    assert_int_equal(a.ndim, 3);
    assert_int_equal(a.shape[2], 4);
    assert_int_equal(a.kind, 'f');
    assert_memory_equal(a.data, data, sizeof data);
    npy_free(&a);

    size_t size;
    unsigned char *bytes = read_file_bytes(path, &size);
    for (size_t len = 0; len < size; len++) /* every truncation is refused */
        assert_int_equal(npy_parse(bytes, len, &a, err, sizeof err), -1);
    unsigned char *bad = malloc(size);
    memcpy(bad, bytes, size);
    memcpy(memmem(bad, size, "<f4", 3), ">f4", 3);
    assert_int_equal(npy_parse(bad, size, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "little-endian"));
    memcpy(bad, bytes, size);
    memcpy(memmem(bad, size, "False", 5), "True ", 5);
    assert_int_equal(npy_parse(bad, size, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "C-ordered"));
    free(bad);
    free(bytes);
    remove(path);
}

static float *read_y(const char *path, size_t expect)
{
    char err[256];
    npy_array a;
    if (npy_load(path, &a, err, sizeof err))
        fail_msg("%s: %s", path, err);
    assert_int_equal(a.count, expect);
    float *y;
    assert_int_equal(npy_to_f32(&a, &y, err, sizeof err), 0);
    npy_free(&a);
    return y;
}

static void run_matches_library(void **st)
{
    (void)st;
    golden g;
    golden_load(test_data_dir, "lstm_bidir_lengths", &g);
    char x_path[128], y_path[128], l_path[128], model[512], args[1024], err[256];
    snprintf(x_path, sizeof x_path, "%s/x.npy", tmpdir);
    snprintf(y_path, sizeof y_path, "%s/y.npy", tmpdir);
    snprintf(l_path, sizeof l_path, "%s/lengths.npy", tmpdir);
    snprintf(model, sizeof model, "%s/golden/lstm_bidir_lengths.model.safetensors",
             test_data_dir);
    uint64_t shape[3] = {(uint64_t)g.seq_len, (uint64_t)g.batch, (uint64_t)g.input_size};
    assert_int_equal(npy_save_f32(x_path, g.x, shape, 3, err, sizeof err), 0);
    int64_t lengths[16];
    for (int b = 0; b < g.batch; b++)
        lengths[b] = g.lengths[b];
    write_i64_npy(l_path, lengths, g.batch);

    size_t ny = (size_t)g.seq_len * g.batch * g.output_size;
    float *expected = malloc(ny * sizeof *expected);
    assert_int_equal(rnnrt_forward(g.model, NULL, g.x, g.seq_len, g.batch, g.lengths, expected),
                     RNNRT_OK);
    snprintf(args, sizeof args, "run '%s' --input '%s' --lengths '%s' --output '%s' --threads 2",
             model, x_path, l_path, y_path);
    assert_int_equal(run_tool(args), 0);
    float *y = read_y(y_path, ny);
    assert_memory_equal(y, expected, ny * sizeof *y);
    free(y);

    /* bad inputs: a non-zero exit and no output file written */
    remove(y_path);
    snprintf(args, sizeof args, "run '%s' --input '%s' --output '%s'", model, l_path, y_path);
    assert_int_not_equal(run_tool(args), 0); /* lengths given as x: wrong dtype and shape */
    snprintf(args, sizeof args, "run '%s' --input /nonexistent.npy --output '%s'", model, y_path);
    assert_int_not_equal(run_tool(args), 0);
    snprintf(args, sizeof args, "run /nonexistent.safetensors --input '%s' --output '%s'", x_path,
             y_path);
    assert_int_not_equal(run_tool(args), 0);
    lengths[0] = g.seq_len + 1;
    write_i64_npy(l_path, lengths, g.batch);
    snprintf(args, sizeof args, "run '%s' --input '%s' --lengths '%s' --output '%s'", model,
             x_path, l_path, y_path);
    assert_int_not_equal(run_tool(args), 0);
    snprintf(args, sizeof args, "run '%s' --input '%s' --output '%s' --isa sse9", model, x_path,
             y_path);
    assert_int_not_equal(run_tool(args), 0);
    assert_int_not_equal(run_tool("frobnicate"), 0);
    /* --random-input whose x reaches 2^64 bytes (wrapping to a small size): refused with
     * exit status 1, no crash */
    int wrap_b = 1 << 30, wrap_t = wrapping_seq_len(wrap_b, (uint64_t)g.input_size);
    snprintf(args, sizeof args, "run '%s' --random-input %d,%d --output '%s'", model, wrap_t,
             wrap_b, y_path);
    assert_int_equal(run_tool(args), 1);
    assert_int_equal(access(y_path, F_OK), -1);
    assert_int_equal(run_tool("info"), 0);
    snprintf(args, sizeof args, "info '%s'", model);
    assert_int_equal(run_tool(args), 0);

    free(expected);
    remove(x_path);
    remove(l_path);
    golden_free(&g);
}

/* Runs `args` (its output at out_path) and checks the .npy it writes: shape [d0, d1(, d2)]
 * (d2 0: two axes) and the bytes in want. */
static void expect_run_gives(const char *args, const char *out_path, int d0, int d1, int d2,
                             const float *want)
{
    char err[256];
    assert_int_equal(run_tool(args), 0);
    npy_array a;
    if (npy_load(out_path, &a, err, sizeof err))
        fail_msg("%s: %s", out_path, err);
    assert_int_equal(a.ndim, d2 ? 3 : 2);
    assert_int_equal(a.shape[0], d0);
    assert_int_equal(a.shape[1], d1);
    if (d2)
        assert_int_equal(a.shape[2], d2);
    npy_free(&a);
    size_t n = (size_t)d0 * d1 * (d2 ? d2 : 1);
    float *y = read_y(out_path, n);
    if (memcmp(y, want, n * sizeof *y))
        fail_msg("rnnrt %s: not the library's bytes", args);
    free(y);
    remove(out_path);
}

/* --batch-first: x.npy [B, T, I] in, y.npy [B, T, O] out, the bytes of
 * rnnrt_forward_batch_first (the whole-model options: run_whole_batch_first). */
static void run_batch_first(void **st)
{
    (void)st;
    golden g;
    golden_load(test_data_dir, "gru_bidir_lengths_state", &g);
    char x_path[128], y_path[128], l_path[128], model[512], args[1024], err[256];
    snprintf(x_path, sizeof x_path, "%s/xb.npy", tmpdir);
    snprintf(y_path, sizeof y_path, "%s/yb.npy", tmpdir);
    snprintf(l_path, sizeof l_path, "%s/lb.npy", tmpdir);
    snprintf(model, sizeof model, "%s/golden/gru_bidir_lengths_state.model.safetensors",
             test_data_dir);
    assert_true(g.seq_len != g.batch); /* so that swapped axes cannot pass */
    size_t nx = (size_t)g.seq_len * g.batch * g.input_size;
    size_t ny = (size_t)g.seq_len * g.batch * g.output_size;
    float *xb = malloc(nx * sizeof *xb), *expected = malloc(ny * sizeof *expected);
    swap_axes(xb, g.x, g.batch, g.seq_len, (size_t)g.input_size);
    uint64_t shape[3] = {(uint64_t)g.batch, (uint64_t)g.seq_len, (uint64_t)g.input_size};
    assert_int_equal(npy_save_f32(x_path, xb, shape, 3, err, sizeof err), 0);
    int64_t lengths[16];
    assert_true(g.batch <= 16);
    for (int b = 0; b < g.batch; b++)
        lengths[b] = g.lengths[b];
    write_i64_npy(l_path, lengths, g.batch);
    assert_int_equal(rnnrt_forward_batch_first(g.model, NULL, xb, g.seq_len, g.batch, g.lengths,
                                               expected), RNNRT_OK);
    snprintf(args, sizeof args, "run '%s' --input '%s' --lengths '%s' --batch-first "
             "--output '%s'", model, x_path, l_path, y_path);
    expect_run_gives(args, y_path, g.batch, g.seq_len, g.output_size, expected);

    /* --head on a model without one: refused, nothing written */
    remove(y_path);
    snprintf(args, sizeof args, "run '%s' --input '%s' --batch-first --head --output '%s'",
             model, x_path, y_path);
    assert_int_equal(run_tool(args), 1);
    assert_int_equal(access(y_path, F_OK), -1);
    free(xb);
    free(expected);
    remove(x_path);
    remove(l_path);
    golden_free(&g);
}

/* A file whose rnnrt.layout is batch_major (a converted Keras or ONNX layout=1 model) runs
 * batch-first without a flag; --time-major takes [T, B, I]; both flags are refused. */
static void run_file_layout(void **st)
{
    (void)st;
    const model_spec spec = {RNNRT_CELL_GRU, 5, 6, 0, 1, 2, 1, 31};
    enum { T = 4, B = 3 };
    char model[128], x_path[128], y_path[128], args[1024], err[256];
    snprintf(model, sizeof model, "%s/batch_major.safetensors", tmpdir);
    snprintf(x_path, sizeof x_path, "%s/xl.npy", tmpdir);
    snprintf(y_path, sizeof y_path, "%s/yl.npy", tmpdir);
    size_t size;
    unsigned char *bytes =
        build_model_bytes_meta(&spec, "\"rnnrt.layout\":\"batch_major\"", &size);
    FILE *f = fopen(model, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, size, f), size);
    fclose(f);
    rnnrt_model *m;
    assert_int_equal(rnnrt_model_load_memory(bytes, size, &m), RNNRT_OK);
    assert_int_equal(rnnrt_model_batch_major(m), 1);
    const int I = rnnrt_model_input_size(m), O = rnnrt_model_output_size(m);
    float x[T * B * 5], y[T * B * 12];
    unsigned seed = 5;
    fill_uniform(x, (size_t)T * B * I, 1.0f, &seed);
    uint64_t shape[3] = {B, T, (uint64_t)I};
    assert_int_equal(npy_save_f32(x_path, x, shape, 3, err, sizeof err), 0);
    assert_int_equal(rnnrt_forward_batch_first(m, NULL, x, T, B, NULL, y), RNNRT_OK);
    snprintf(args, sizeof args, "run '%s' --input '%s' --output '%s'", model, x_path, y_path);
    expect_run_gives(args, y_path, B, T, O, y);
    shape[0] = T, shape[1] = B; /* the same floats read time-major */
    assert_int_equal(npy_save_f32(x_path, x, shape, 3, err, sizeof err), 0);
    assert_int_equal(rnnrt_forward(m, NULL, x, T, B, NULL, y), RNNRT_OK);
    snprintf(args, sizeof args, "run '%s' --input '%s' --time-major --output '%s'", model,
             x_path, y_path);
    expect_run_gives(args, y_path, T, B, O, y);
    snprintf(args, sizeof args, "run '%s' --input '%s' --time-major --batch-first --output '%s'",
             model, x_path, y_path);
    assert_int_not_equal(run_tool(args), 0);
    snprintf(args, sizeof args, "info '%s'", model);
    assert_int_equal(run_tool(args), 0);
    rnnrt_model_free(m);
    free(bytes);
    remove(model);
    remove(x_path);
}

/* --tokens and --head with --batch-first, every step and --last-step: ids [B, T] or
 * x [B, T, I] in, the bytes of the batch-first library calls out. */
static void run_whole_batch_first(void **st)
{
    (void)st;
    enum { T = 3, B = 2 };
    char tok_model[512], head_model[512], ids_path[128], x_path[128], out_path[128];
    char args[1400], err[256];
    snprintf(tok_model, sizeof tok_model, "%s/stack/lstm_char.model.safetensors", test_data_dir);
    snprintf(head_model, sizeof head_model, "%s/stack/float_classifier.model.safetensors",
             test_data_dir);
    snprintf(ids_path, sizeof ids_path, "%s/ids_bf.npy", tmpdir);
    snprintf(x_path, sizeof x_path, "%s/x_bf.npy", tmpdir);
    snprintf(out_path, sizeof out_path, "%s/out_bf.npy", tmpdir);
    rnnrt_model *tm, *hm;
    assert_int_equal(rnnrt_model_load(tok_model, &tm), RNNRT_OK);
    assert_int_equal(rnnrt_model_load(head_model, &hm), RNNRT_OK);
    int V = rnnrt_model_vocab_size(tm), N = rnnrt_model_logits_size(tm);
    int I = rnnrt_model_input_size(hm), M = rnnrt_model_logits_size(hm);
    int ids[B * T];
    int64_t ids64[B * T];
    for (int k = 0; k < B * T; k++)
        ids64[k] = ids[k] = (k * 7 + 3) % V;
    write_i64_npy_2d(ids_path, ids64, B, T);
    size_t nx = (size_t)B * T * I;
    float *x = malloc(nx * sizeof *x);
    for (size_t k = 0; k < nx; k++)
        x[k] = (float)((k * 37) % 23) / 11.0f - 1.0f;
    uint64_t shape[3] = {B, T, (uint64_t)I};
    assert_int_equal(npy_save_f32(x_path, x, shape, 3, err, sizeof err), 0);
    int width = N > M ? N : M;
    float *want = malloc((size_t)B * T * width * sizeof *want);
    for (int last = 0; last < 2; last++) {
        const char *flag = last ? " --last-step" : "";
        assert_int_equal(rnnrt_forward_tokens_batch_first(tm, NULL, ids, T, B, NULL, last,
                                                          want), RNNRT_OK);
        snprintf(args, sizeof args, "run '%s' --tokens '%s' --batch-first%s --output '%s'",
                 tok_model, ids_path, flag, out_path);
        expect_run_gives(args, out_path, B, last ? N : T, last ? 0 : N, want);
        assert_int_equal(rnnrt_forward_head_batch_first(hm, NULL, x, T, B, NULL, last, want),
                         RNNRT_OK);
        snprintf(args, sizeof args, "run '%s' --input '%s' --head --batch-first%s --output '%s'",
                 head_model, x_path, flag, out_path);
        expect_run_gives(args, out_path, B, last ? M : T, last ? 0 : M, want);
    }
    /* ids of one axis: refused, nothing written */
    write_i64_npy(ids_path, ids64, B * T);
    snprintf(args, sizeof args, "run '%s' --tokens '%s' --batch-first --output '%s'",
             tok_model, ids_path, out_path);
    assert_int_not_equal(run_tool(args), 0);
    assert_int_equal(access(out_path, F_OK), -1);
    free(x);
    free(want);
    remove(ids_path);
    remove(x_path);
    rnnrt_model_free(tm);
    rnnrt_model_free(hm);
}

static rnnrt_model *load_as(const char *path, const char *weights)
{
    rnnrt_options *o;
    rnnrt_model *m;
    assert_int_equal(rnnrt_options_create(&o), RNNRT_OK);
    assert_int_equal(rnnrt_options_set(o, "weights", weights), RNNRT_OK);
    if (rnnrt_model_load_ex(path, o, &m))
        fail_msg("%s as %s: %s", path, weights, rnnrt_last_error());
    rnnrt_options_free(o);
    return m;
}

/* y of a fixed input, T = 5, batch 3. */
static float *outputs(const rnnrt_model *m, size_t *n)
{
    size_t nx = (size_t)15 * rnnrt_model_input_size(m);
    *n = (size_t)15 * rnnrt_model_output_size(m);
    float *x = malloc(nx * sizeof *x), *y = malloc(*n * sizeof *y);
    assert_true(x && y);
    for (size_t k = 0; k < nx; k++)
        x[k] = (float)((int)(k * 7 % 13) - 6) / 6.0f;
    assert_int_equal(rnnrt_forward(m, NULL, x, 5, 3, NULL, y), RNNRT_OK);
    free(x);
    return y;
}

static int same_outputs(const rnnrt_model *a, const rnnrt_model *b)
{
    size_t na, nb;
    float *ya = outputs(a, &na), *yb = outputs(b, &nb);
    int same = na == nb && !memcmp(ya, yb, na * sizeof *ya);
    free(ya);
    free(yb);
    return same;
}

/* `rnnrt quantize` writes the model the library makes of its input with the same "weights"
 * option (loaded back with that option, or as f32, which widens the stored values as the
 * kernels do: the same bytes); quantizing its own output again changes nothing; bad
 * arguments and inputs fail without leaving a file. */
static void quantize_writes_the_loaded_model(void **st)
{
    (void)st;
    const char *names[] = {"lstm_proj_bidir_2layer", "gru_2layer_bidir", "peephole_proj_state",
                           "rnn_tanh_2layer_bidir", "lstm_with_head"};
    const char *types[] = {"int8", "bf16"};
    char in[512], out[256], again[256], args[1024];
    snprintf(out, sizeof out, "%s/q.safetensors", tmpdir);
    snprintf(again, sizeof again, "%s/q2.safetensors", tmpdir);
    for (size_t n = 0; n < sizeof names / sizeof names[0]; n++)
        for (int t = 0; t < 2; t++) {
            snprintf(in, sizeof in, "%s/golden/%s.model.safetensors", test_data_dir, names[n]);
            snprintf(args, sizeof args, "quantize '%s' '%s' --weights %s", in, out, types[t]);
            assert_int_equal(run_tool(args), 0);
            rnnrt_model *direct = load_as(in, types[t]), *file = load_as(out, types[t]);
            rnnrt_model *widened = load_as(out, "f32");
            if (!same_outputs(direct, file) || !same_outputs(direct, widened))
                fail_msg("%s, %s: the quantized file is not the model its input loads as",
                         names[n], types[t]);
            rnnrt_model_free(direct);
            rnnrt_model_free(file);
            rnnrt_model_free(widened);
            snprintf(args, sizeof args, "quantize '%s' '%s' --weights %s", out, again, types[t]);
            assert_int_equal(run_tool(args), 0);
            size_t sa, sb;
            unsigned char *a = read_file_bytes(out, &sa), *b = read_file_bytes(again, &sb);
            assert_true(a && b && sa == sb && !memcmp(a, b, sa));
            free(a);
            free(b);
        }
    remove(again);
    remove(out);
    snprintf(args, sizeof args, "quantize '%s' '%s'", in, out);
    assert_int_equal(run_tool(args), 2); /* no --weights */
    snprintf(args, sizeof args, "quantize '%s' '%s' --weights f16", in, out);
    assert_int_equal(run_tool(args), 2);
    snprintf(in, sizeof in, "%s/malformed/scale_nan.safetensors", test_data_dir);
    snprintf(args, sizeof args, "quantize '%s' '%s' --weights int8", in, out);
    assert_int_equal(run_tool(args), 1);
    assert_int_equal(access(out, F_OK), -1);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        test_data_dir = argv[1];
    if (argc > 2)
        tool = argv[2];
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rnnrt-test-cli-XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(npy_round_trip_and_rejects),
        cmocka_unit_test(npy_refuses_sizes_that_wrap),
        cmocka_unit_test(run_matches_library),
        cmocka_unit_test(run_batch_first),
        cmocka_unit_test(run_whole_batch_first),
        cmocka_unit_test(run_file_layout),
        cmocka_unit_test(quantize_writes_the_loaded_model),
    };
    int rc = cmocka_run_group_tests_name("cli", tests, NULL, NULL);
    rmdir(tmpdir);
    return rc;
}
