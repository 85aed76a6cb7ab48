/* `rnnrt generate` and `rnnrt run` on token models: the tool's text is the library's, the
 * built-in model is models/charlstm.safetensors, a seed fixes the text, bad prompts and
 * models fail with a message and a non-zero exit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "npy.h"
#include "rnnrt.h"
#include "test_util.h"

static const char *tool = "tools/rnnrt";
static const char *model_path = "models/charlstm.safetensors";
static char tmpdir[64];

/* Runs the tool with `args`; its stdout and stderr go to out and err (NUL-terminated). */
static int run_tool(const char *args, char *out, size_t out_size, char *err, size_t err_size)
{
    char cmd[4096], out_path[128], err_path[128];
    snprintf(out_path, sizeof out_path, "%s/out.txt", tmpdir);
    snprintf(err_path, sizeof err_path, "%s/err.txt", tmpdir);
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>'%s'", tool, args, out_path, err_path);
    int rc = system(cmd);
    const char *paths[2] = {out_path, err_path};
    char *bufs[2] = {out, err};
    size_t sizes[2] = {out_size, err_size};
    for (int k = 0; k < 2; k++) {
        size_t n = 0;
        unsigned char *bytes = read_file_bytes(paths[k], &n);
        assert_non_null(bytes);
        n = n < sizes[k] - 1 ? n : sizes[k] - 1;
        memcpy(bufs[k], bytes, n);
        bufs[k][n] = '\0';
        free(bytes);
    }
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* What `rnnrt generate` must print: the prompt, then `n` characters, each sampled from the
 * last logits and fed back with the state carried. */
static void library_text(const char *path, const char *prompt, int n, float temperature,
                         int top_k, unsigned long long seed, char *out, size_t size)
{
    rnnrt_model *m;
    assert_int_equal(rnnrt_model_load(path, &m), RNNRT_OK);
    int ids[256], count, V = rnnrt_model_logits_size(m), id;
    float *logits = malloc((size_t)V * sizeof *logits);
    rnnrt_state *s;
    rnnrt_rng rng;
    assert_int_equal(rnnrt_model_encode(m, prompt, ids, 256, &count), RNNRT_OK);
    assert_int_equal(rnnrt_state_create(m, 1, &s), RNNRT_OK);
    rnnrt_rng_seed(&rng, seed);
    assert_int_equal(rnnrt_forward_tokens(m, s, ids, count, 1, NULL, 1, logits), RNNRT_OK);
    snprintf(out, size, "%s", prompt);
    for (int k = 0; k < n; k++) {
        assert_int_equal(rnnrt_sample(logits, V, temperature, top_k, &rng, &id), RNNRT_OK);
        strncat(out, rnnrt_model_token(m, id), size - strlen(out) - 1);
        assert_int_equal(rnnrt_forward_tokens(m, s, &id, 1, 1, NULL, 1, logits), RNNRT_OK);
    }
    rnnrt_state_free(s);
    rnnrt_model_free(m);
    free(logits);
}

static void generate_is_the_library(void **st)
{
    (void)st;
    static char out[8192], err[4096], again[8192], want[8192], args[1024];
    assert_int_equal(run_tool("generate --prompt 'The ' --length 200 --seed 3", out,
                              sizeof out, err, sizeof err), 0);
    library_text(model_path, "The ", 200, 0.8f, 0, 3, want, sizeof want);
    assert_string_equal(out, want); /* the built-in model is the shipped file */
    if (!strstr(err, "200 characters in") || !strstr(err, "chars/s at batch 1"))
        fail_msg("no speed report: %s", err);
    snprintf(args, sizeof args, "generate '%s' --prompt 'The ' --length 200 --seed 3",
             model_path);
    assert_int_equal(run_tool(args, again, sizeof again, err, sizeof err), 0);
    assert_string_equal(again, out);
    assert_int_equal(run_tool("generate --prompt 'And the ' --length 150 --seed 9 --top-k 5 "
                              "--temperature 1.2", out, sizeof out, err, sizeof err), 0);
    library_text(model_path, "And the ", 150, 1.2f, 5, 9, want, sizeof want);
    assert_string_equal(out, want);
    assert_int_equal(run_tool("generate --prompt 'And the ' --length 150 --seed 10 --top-k 5 "
                              "--temperature 1.2", again, sizeof again, err, sizeof err), 0);
    assert_true(strcmp(out, again) != 0);
    assert_int_equal(run_tool("generate --prompt 'In ' --length 80 --temperature 0", out,
                              sizeof out, err, sizeof err), 0);
    library_text(model_path, "In ", 80, 0.0f, 0, 1, want, sizeof want);
    assert_string_equal(out, want);
}

static void generate_rejects(void **st)
{
    (void)st;
    static char out[4096], err[4096], args[1024];
    struct { const char *args; int rc; const char *msg; } cases[] = {
        {"generate --prompt ''", 1, "the prompt is empty"},
        {"generate --prompt 'The \xc3\x9c'", 1, "U+00DC at byte offset 4 is not in the model's"},
        {"generate --prompt 'a\xff'", 1, "not valid UTF-8 at byte offset 1"},
        {"generate --length -3", 2, "--length wants a number"},
        {"generate --temperature x", 2, "--temperature wants a number"},
        {"generate --seed -1", 2, "--seed wants an unsigned integer"},
        {"generate --bogus 1", 2, "unknown option '--bogus'"},
        {"generate --prompt", 2, "--prompt needs a value"},
        {"generate /nonexistent.safetensors", 1, "cannot open '/nonexistent.safetensors'"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        int rc = run_tool(cases[k].args, out, sizeof out, err, sizeof err);
        if (rc != cases[k].rc || !strstr(err, cases[k].msg))
            fail_msg("%s: exit %d (expected %d), stderr '%s' lacks '%s'", cases[k].args, rc,
                     cases[k].rc, err, cases[k].msg);
    }
    snprintf(args, sizeof args, "generate '%s/stack/float_classifier.model.safetensors'",
             test_data_dir);
    assert_int_equal(run_tool(args, out, sizeof out, err, sizeof err), 1);
    assert_non_null(strstr(err, "is not a character model"));
}

static void write_i32_npy(const char *path, const int32_t *v, int rows, int cols)
{
    char dict[128];
    int len = snprintf(dict, sizeof dict,
                       "{'descr': '<i4', 'fortran_order': False, 'shape': (%d, %d), }", rows, cols);
    int pad = 64 - (10 + len + 1) % 64;
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    unsigned short hlen = (unsigned short)(len + pad + 1);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc(hlen & 0xff, f);
    fputc(hlen >> 8, f);
    fwrite(dict, 1, (size_t)len, f);
    for (int k = 0; k < pad; k++)
        fputc(' ', f);
    fputc('\n', f);
    fwrite(v, sizeof *v, (size_t)rows * cols, f);
    fclose(f);
}

static float *load_npy(const char *path, npy_array *a)
{
    char err[256];
    if (npy_load(path, a, err, sizeof err))
        fail_msg("%s: %s", path, err);
    return a->data;
}

static void run_tokens(void **st)
{
    (void)st;
    static char out[4096], err[4096], args[2048];
    char ids_path[128], y_path[128];
    snprintf(ids_path, sizeof ids_path, "%s/ids.npy", tmpdir);
    snprintf(y_path, sizeof y_path, "%s/y.npy", tmpdir);
    int32_t ids[5][2] = {{1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}};
    write_i32_npy(ids_path, &ids[0][0], 5, 2);
    rnnrt_model *m;
    assert_int_equal(rnnrt_model_load(model_path, &m), RNNRT_OK);
    int V = rnnrt_model_logits_size(m);
    float *want = malloc((size_t)5 * 2 * V * sizeof *want);
    assert_int_equal(rnnrt_forward_tokens(m, NULL, (const int *)ids, 5, 2, NULL, 0, want),
                     RNNRT_OK);
    for (int last = 0; last < 2; last++) {
        snprintf(args, sizeof args, "run '%s' --tokens '%s' --output '%s'%s", model_path,
                 ids_path, y_path, last ? " --last-step" : "");
        assert_int_equal(run_tool(args, out, sizeof out, err, sizeof err), 0);
        npy_array a;
        float *y = load_npy(y_path, &a);
        assert_int_equal(a.ndim, last ? 2 : 3);
        assert_int_equal(a.shape[a.ndim - 1], V);
        assert_memory_equal(y, want + (last ? (size_t)4 * 2 * V : 0),
                            (last ? (size_t)2 : (size_t)10) * V * sizeof *y);
        npy_free(&a);
    }
    ids[3][1] = 999;
    write_i32_npy(ids_path, &ids[0][0], 5, 2);
    snprintf(args, sizeof args, "run '%s' --tokens '%s' --output '%s'", model_path, ids_path,
             y_path);
    assert_int_equal(run_tool(args, out, sizeof out, err, sizeof err), 1);
    assert_non_null(strstr(err, "ids[3][1] = 999 (step t = 3, sequence b = 1)"));
    free(want);
    rnnrt_model_free(m);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        test_data_dir = argv[1];
    if (argc > 2)
        tool = argv[2];
    if (argc > 3)
        model_path = argv[3];
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rnnrt_test_generate_XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(generate_is_the_library),
        cmocka_unit_test(generate_rejects),
        cmocka_unit_test(run_tokens),
    };
    int rc = cmocka_run_group_tests_name("generate", tests, NULL, NULL);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
