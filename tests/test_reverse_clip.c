/* rnnrt.direction and rnnrt.clip beyond the goldens (which check their results against
 * PyTorch and the NumPy oracle under every variant, kernel set and thread count): the
 * values the keys accept and what the queries say of them, and the blocked pass's chunks
 * taken from the end of the sequence giving the bytes of one chunk. The refused values are
 * in tests/data/malformed (tools/make_malformed.py). */
#include <float.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stress/model_build.h"
#include "test_util.h"
#include "tuning.h"

/* A 2-layer (or bidirectional 1-layer) tanh RNN of one unit, with `meta` as its metadata
 * object's members. */
static rnnrt_model *tiny_model(int bidirectional, const char *meta)
{
    static const float weights[4] = {0.5f, -0.25f, 0.75f, 0.125f};
    const char *second = bidirectional ? "l0_reverse" : "l1"; /* the other unit's tensors */
    char json[1024];
    snprintf(json, sizeof json,
             "{\"__metadata__\":{%s},"
             "\"weight_ih_l0\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[0,4]},"
             "\"weight_hh_l0\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[4,8]},"
             "\"weight_ih_%s\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[8,12]},"
             "\"weight_hh_%s\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[12,16]}}",
             meta, second, second);
    size_t size;
    unsigned char *bytes = mb_pack(json, weights, sizeof weights, &size);
    rnnrt_model *m = NULL;
    rnnrt_status s = rnnrt_model_load_memory(bytes, size, &m);
    free(bytes);
    if (s)
        fail_msg("metadata {%s}: load failed: %s", meta, rnnrt_last_error());
    return m;
}

static void clip_values_accepted(void **st)
{
    (void)st;
    static const struct { const char *text; float value; } cases[] = {
        {"3", 3.0f},           {"0.1", 0.1f},          {"0.100000001", 0.1f},
        {".5", 0.5f},          {"5.", 5.0f},           {"2.5e-1", 0.25f},
        {"1E+2", 100.0f},      {"1e2", 100.0f},        {"0.0000125", 1.25e-5f},
        {"3.4028234e38", 3.4028234e38f},               {"007.25", 7.25f},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char meta[128];
        snprintf(meta, sizeof meta, "\"rnnrt.clip\":\"%s\"", cases[k].text);
        rnnrt_model *m = tiny_model(0, meta);
        if (rnnrt_model_clip(m) != cases[k].value)
            fail_msg("rnnrt.clip='%s' read as %.9g, expected %.9g", cases[k].text,
                     rnnrt_model_clip(m), cases[k].value);
        rnnrt_model_free(m);
    }
    rnnrt_model *m = tiny_model(0, "\"format\":\"pt\"");
    assert_true(rnnrt_model_clip(m) == 0.0f); /* no key: no clipping */
    rnnrt_model_free(m);
    assert_true(rnnrt_model_clip(NULL) == -1.0f);
}

static void direction_values_accepted(void **st)
{
    (void)st;
    static const struct { const char *text; int l0, l1; } cases[] = {
        {"forward", 0, 0}, {"reverse", 1, 1}, {"reverse,forward", 1, 0},
        {"forward,reverse", 0, 1}, {"reverse,reverse", 1, 1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char meta[128];
        snprintf(meta, sizeof meta, "\"rnnrt.direction\":\"%s\"", cases[k].text);
        rnnrt_model *m = tiny_model(0, meta);
        assert_int_equal(rnnrt_model_num_directions(m), 1);
        if (rnnrt_model_layer_reverse(m, 0) != cases[k].l0 ||
            rnnrt_model_layer_reverse(m, 1) != cases[k].l1)
            fail_msg("rnnrt.direction='%s': layers read as %d,%d", cases[k].text,
                     rnnrt_model_layer_reverse(m, 0), rnnrt_model_layer_reverse(m, 1));
        assert_int_equal(rnnrt_model_layer_reverse(m, 2), -1);
        assert_int_equal(rnnrt_model_layer_reverse(m, -1), -1);
        rnnrt_model_free(m);
    }
    /* A bidirectional model may say forward (what it is declared to be per layer); its
     * layers report 0: they run both ways, none is a lone reverse direction. */
    rnnrt_model *m = tiny_model(1, "\"rnnrt.direction\":\"forward\"");
    assert_int_equal(rnnrt_model_num_directions(m), 2);
    assert_int_equal(rnnrt_model_layer_reverse(m, 0), 0);
    rnnrt_model_free(m);
    assert_int_equal(rnnrt_model_layer_reverse(NULL, 0), -1);
}

/* The blocked pass takes a reverse stack's projection chunks and layer spans from the end;
 * chunks of 1, 2, 3 and 7 steps (spans that do not divide the sequence, a last span at step
 * 0 shorter than the others) give the bytes of the default single chunk, under every kernel
 * set this CPU runs. */
static void chunks_from_the_end(void **st)
{
    (void)st;
    static const int chunks[] = {1, 2, 3, 7};
    char manifest[512];
    int count, checked = 0;
    snprintf(manifest, sizeof manifest, "%s/golden/MANIFEST", test_data_dir);
    char **names = manifest_read(manifest, &count);
    assert_int_equal(rnnrt_set_variant("blocked"), RNNRT_OK);
    for (int i = 0; i < kernel_set_count(); i++) {
        const char *isa = kernel_set_name(i);
        if (rnnrt_set_isa(isa) != RNNRT_OK) {
            print_message("[  INFO    ] %s kernels skipped: %s\n", isa, rnnrt_last_error());
            continue;
        }
        for (int k = 0; k < count; k++) {
            golden g;
            golden_load(test_data_dir, names[k], &g);
            if (!model_any_reverse_layer(g.model) || g.seq_len < 3) {
                golden_free(&g);
                continue;
            }
            size_t ny = (size_t)g.seq_len * g.batch * g.output_size;
            float *whole = malloc(ny * sizeof *whole), *y = malloc(ny * sizeof *y);
            rnnrt_tuning_set_chunk(-1);
            assert_int_equal(rnnrt_forward(g.model, NULL, g.x, g.seq_len, g.batch, g.lengths,
                                           whole), RNNRT_OK);
            for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
                rnnrt_tuning_set_chunk(chunks[c]);
                assert_int_equal(rnnrt_forward(g.model, NULL, g.x, g.seq_len, g.batch,
                                               g.lengths, y), RNNRT_OK);
                if (memcmp(whole, y, ny * sizeof *y))
                    fail_msg("[%s] %s: chunks of %d steps differ from one chunk", isa,
                             g.name, chunks[c]);
            }
            rnnrt_tuning_set_chunk(-1);
            checked++;
            free(whole);
            free(y);
            golden_free(&g);
        }
    }
    manifest_free(names, count);
    print_message("[  INFO    ] chunks from the end: %d case runs\n", checked);
    assert_true(checked >= 10);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        test_data_dir = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clip_values_accepted),
        cmocka_unit_test(direction_values_accepted),
        cmocka_unit_test(chunks_from_the_end),
    };
    return cmocka_run_group_tests_name("reverse_clip", tests, NULL, NULL);
}
