/* The JSON bodies of `rnnrt serve` (tools/serve_json.c): every float written must read back
 * (strtof) as the same bits, over a million seeded random bit patterns and the edge values;
 * the reader takes what RFC 8259 allows for the one shape a request carries and refuses the
 * rest with the field named. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "serve_json.h"
#include "test_util.h"

static void expect_round_trip(float f)
{
    char buf[32];
    char *end = serve_json_float(buf, f);
    *end = '\0';
    const float g = strtof(buf, NULL);
    uint32_t a, b;
    memcpy(&a, &f, 4);
    memcpy(&b, &g, 4);
    if (a != b)
        fail_msg("%.9g (0x%08x) was written as \"%s\", which reads as 0x%08x", f, a, buf, b);
}

static void floats_round_trip(void **st)
{
    (void)st;
    static const float edge[] = {0.0f, 1.0f, -1.0f, 0.1f, 1e-45f, -1e-45f, 1.17549435e-38f,
                                 3.40282347e38f, -3.40282347e38f, 123456789.0f, 1e9f,
                                 999999999.0f, 0.000123f, 1e-5f, 9.99999975e-6f, 16777216.0f,
                                 0.5f, 2.5e-7f};
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++)
        expect_round_trip(edge[i]);
    unsigned seed = test_seed();
    for (int i = 0; i < 1000000; i++) {
        uint32_t bits = (test_random(&seed) << 8) ^ test_random(&seed);
        float f;
        memcpy(&f, &bits, 4);
        if (isfinite(f))
            expect_round_trip(f);
    }
    for (uint32_t bits = 1; bits < 0x7f800000u; bits += 0x7fff) /* a sweep of exponents */
    {
        float f;
        memcpy(&f, &bits, 4);
        expect_round_trip(f);
    }
    char buf[32];
    *serve_json_float(buf, NAN) = '\0';
    assert_string_equal(buf, "null");
    *serve_json_float(buf, -0.0f) = '\0';
    assert_string_equal(buf, "-0");
    *serve_json_float(buf, 12.5f) = '\0';
    assert_string_equal(buf, "12.5");
}

static int read_rows(const char *body, int width, float **v, char *err)
{
    return serve_json_rows(body, strlen(body), "x", width, v, err, 256);
}

static void rows_read(void **st)
{
    (void)st;
    float *v;
    char err[256];
    assert_int_equal(read_rows(" { \"x\" : [ [1, -2.5e1, 3E-1] ,[0,0.5,-0] ] } \n", 3, &v, err), 2);
    assert_true(v[0] == 1 && v[1] == -25 && v[2] == 0.3f && v[4] == 0.5f && signbit(v[5]));
    free(v);
    assert_int_equal(read_rows("{\"x\":[1,2,3]}", 3, &v, err), 1); /* one step, flat */
    free(v);
    static const char *const bad[][2] = {
        {"", "must be a JSON object"},
        {"[1,2,3]", "must be a JSON object"},
        {"{\"y\":[[1,2,3]]}", "expected the field \"x\", found \"y\""},
        {"{\"x\":[[1,2]]}", "x[0] has 2 numbers, expected 3"},
        {"{\"x\":[[1,2,3,4]]}", "x[0] has more than 3 numbers"},
        {"{\"x\":[[1,2,3],[1,2,\"a\"]]}", "x[1][2]: expected a number"},
        {"{\"x\":[[1,2,3],[1,2,01]]}", "x[1][2]"},
        {"{\"x\":[[1,2,3]],\"z\":1}", "unexpected field after \"x\""},
        {"{\"x\":[[1,2,3]]} x", "unexpected text after"},
        {"{\"x\":[[1,2,3]", "x: expected ',' or ']' after step 0"},
        {"{\"x\":[[1,2,NaN]]}", "x[0][2]: expected a number"},
        {"{\"x\":[[1,2,.5]]}", "x[0][2]"},
        {"{\"x\":[1,2]}", "x has 2 numbers, expected 3"},
        {"{\"x\":[]}", "x[0]: expected a number"},
        {"{\"x\" [[1,2,3]]}", "expected ':'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (read_rows(bad[i][0], 3, &v, err) != -1)
            fail_msg("'%s' was accepted", bad[i][0]);
        assert_null(v);
        if (!strstr(err, bad[i][1]))
            fail_msg("'%s': message '%s' does not say '%s'", bad[i][0], err, bad[i][1]);
    }
}

static void rows_written(void **st)
{
    (void)st;
    const float v[] = {1, -0.5f, 3e-7f, 1e10f};
    size_t len;
    char *s = serve_json_write_rows("y", v, 2, 2, &len);
    assert_string_equal(s, "{\"y\":[[1,-0.5],[3.00000011e-7,1e10]]}"); /* 9 digits */
    assert_int_equal(len, strlen(s));
    float *back;
    char err[256];
    assert_int_equal(serve_json_rows(s, len, "y", 2, &back, err, sizeof err), 2);
    assert_memory_equal(back, v, sizeof v);
    free(back);
    free(s);
}

static void ints_read(void **st)
{
    (void)st;
    int *ids;
    char err[256];
    const char *ok = "{\"ids\": [0, 5, 2147483647]}";
    assert_int_equal(serve_json_ints(ok, strlen(ok), "ids", &ids, err, sizeof err), 3);
    assert_int_equal(ids[2], 2147483647);
    free(ids);
    const char *bad = "{\"ids\": [1, -2]}";
    assert_int_equal(serve_json_ints(bad, strlen(bad), "ids", &ids, err, sizeof err), -1);
    assert_non_null(strstr(err, "ids[1]: expected a non-negative integer"));
}

int main(int argc, char **argv)
{
    if (argc > 1)
        test_data_dir = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(floats_round_trip),
        cmocka_unit_test(rows_read),
        cmocka_unit_test(rows_written),
        cmocka_unit_test(ints_read),
    };
    return cmocka_run_group_tests_name("serve_json", tests, NULL, NULL);
}
