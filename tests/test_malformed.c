/* Malformed model files: every file of tests/data/malformed (made by
 * tools/make_malformed.py) is rejected with the status and message its MANIFEST names,
 * from a path and from memory; and valid files cut short at every length or with bytes
 * flipped never crash, read out of bounds (the sanitizer build checks) or leak. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_util.h"

static rnnrt_status parse_status(const char *word)
{
    if (!strcmp(word, "FORMAT"))
        return RNNRT_E_FORMAT;
    if (!strcmp(word, "UNSUPPORTED"))
        return RNNRT_E_UNSUPPORTED;
    if (!strcmp(word, "IO"))
        return RNNRT_E_IO;
    fail_msg("unknown status '%s' in the manifest", word);
    return RNNRT_OK;
}

/* Case-insensitive substring search. */
static int mentions(const char *text, const char *word)
{
    for (; *text; text++) {
        size_t k = 0;
        while (word[k] && tolower((unsigned char)text[k]) == tolower((unsigned char)word[k]))
            k++;
        if (!word[k])
            return 1;
    }
    return 0;
}

static int check_rejected(const char *file, rnnrt_status got, rnnrt_status want,
                          const char *word, const char *how)
{
    if (got == want && mentions(rnnrt_last_error(), word))
        return 0;
    print_error("%s (%s): status %d, expected %d; message '%s' should mention '%s'\n", file, how,
                got, want, rnnrt_last_error(), word);
    return 1;
}

static void manifest_cases(void **st)
{
    (void)st;
    char path[512];
    int count, failures = 0;
    snprintf(path, sizeof path, "%s/malformed/MANIFEST", test_data_dir);
    char **lines = manifest_read(path, &count);
    assert_true(count >= 40);
    for (int k = 0; k < count; k++) {
        char file[256], status[32], word[128];
        if (sscanf(lines[k], "%255s %31s %127s", file, status, word) != 3)
            fail_msg("bad manifest line '%s'", lines[k]);
        rnnrt_status want = parse_status(status);
        rnnrt_model *m = NULL;
        snprintf(path, sizeof path, "%s/malformed/%s", test_data_dir, file);
        rnnrt_status got = rnnrt_model_load(path, &m);
        failures += check_rejected(file, got, want, word, "from a path");
        assert_null(m);
        if (want == RNNRT_E_IO)
            continue;
        size_t size;
        unsigned char *bytes = read_file_bytes(path, &size);
        assert_non_null(bytes);
        if (size > 0) {
            got = rnnrt_model_load_memory(bytes, size, &m);
            failures += check_rejected(file, got, want, word, "from memory");
            assert_null(m);
        }
        free(bytes);
    }
    print_message("[  INFO    ] %d malformed files, %d wrong answers\n", count, failures);
    manifest_free(lines, count);
    assert_int_equal(failures, 0);
}

/* A model must come from the whole file: every proper prefix of a valid file fails. */
static void every_truncation_fails(void **st)
{
    (void)st;
    static const char *names[] = {"lstm_proj_bidir_2layer", "gru_bf16", "peephole_basic"};
    for (size_t n = 0; n < sizeof names / sizeof names[0]; n++) {
        char path[512];
        size_t size;
        snprintf(path, sizeof path, "%s/golden/%s.model.safetensors", test_data_dir, names[n]);
        unsigned char *bytes = read_file_bytes(path, &size);
        assert_non_null(bytes);
        for (size_t len = 1; len < size; len++) {
            /* an exact-size copy, so reading one byte past `len` is a sanitizer error */
            unsigned char *cut = malloc(len);
            memcpy(cut, bytes, len);
            rnnrt_model *m = NULL;
            rnnrt_status s = rnnrt_model_load_memory(cut, len, &m);
            if (s != RNNRT_E_FORMAT)
                fail_msg("%s cut to %zu of %zu bytes: status %d (%s)", names[n], len, size, s,
                         rnnrt_last_error());
            free(cut);
        }
        free(bytes);
    }
}

/* Random byte corruption: either a clean rejection or a model that runs. */
static void flipped_bytes_never_crash(void **st)
{
    (void)st;
    char path[512];
    size_t size;
    snprintf(path, sizeof path, "%s/golden/lstm_2layer.model.safetensors", test_data_dir);
    unsigned char *bytes = read_file_bytes(path, &size);
    assert_non_null(bytes);
    unsigned seed = 12345u; /* fixed: a failure replays */
    int loaded = 0, rejected = 0;
    for (int trial = 0; trial < 3000; trial++) {
        unsigned char *copy = malloc(size);
        memcpy(copy, bytes, size);
        int flips = 1 + trial % 4;
        for (int f = 0; f < flips; f++) {
            seed = seed * 1103515245u + 12345u;
            /* mostly the header, where a flip changes meaning rather than a weight */
            size_t where = (seed >> 8) % (trial % 2 ? size : (size < 600 ? size : 600));
            seed = seed * 1103515245u + 12345u;
            copy[where] ^= (unsigned char)(1u << ((seed >> 16) % 8));
        }
        rnnrt_model *m = NULL;
        rnnrt_status s = rnnrt_model_load_memory(copy, size, &m);
        if (s == RNNRT_OK) {
            int in = rnnrt_model_input_size(m), out = rnnrt_model_output_size(m);
            float *x = calloc((size_t)in * 2, sizeof *x), *y = malloc((size_t)out * 2 * 4);
            assert_int_equal(rnnrt_forward(m, NULL, x, 1, 2, NULL, y), RNNRT_OK);
            free(x);
            free(y);
            rnnrt_model_free(m);
            loaded++;
        } else {
            if (s != RNNRT_E_FORMAT && s != RNNRT_E_UNSUPPORTED)
                fail_msg("trial %d: status %d (%s)", trial, s, rnnrt_last_error());
            assert_true(strlen(rnnrt_last_error()) > 0);
            rejected++;
        }
        free(copy);
    }
    print_message("[  INFO    ] 3000 corrupted files: %d loaded and ran, %d rejected\n", loaded,
                  rejected);
    free(bytes);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        test_data_dir = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(manifest_cases),
        cmocka_unit_test(every_truncation_fails),
        cmocka_unit_test(flipped_bytes_never_crash),
    };
    return cmocka_run_group_tests_name("malformed", tests, NULL, NULL);
}
