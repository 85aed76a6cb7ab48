/* The gate functions of rnnrt.activation_functions (ONNX's eleven, with their parameters)
 * and rnnrt.layout: the values the keys accept, what the queries say of them, the messages
 * of refused values (naming the key, the layer and direction and the function); and the
 * blocked pass against the double-precision reference pass with every function in every
 * cell (both GRUs, the peephole and coupled LSTMs, projections, the RNN), different
 * functions per layer and direction, lengths, initial states and clip, on every kernel set,
 * and with every weight and activation type. The refused files are in tests/data/malformed
 * too (tools/make_malformed.py). */
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

/* As test_variants.c: float32 paths stay within ~1e-6 of the double reference on these
 * models, 1e-5 relative to max(1, |ref|). */
#define TOLERANCE 1e-5
/* Rounded activations (int8 x int8, bf16 x bf16): a value the passes compute an ulp apart
 * may round to the next step in one of them (test_weights.c, ACTIVATIONS_TOLERANCE). */
#define ROUNDED_TOLERANCE 1e-2

enum { T = 9, B = 7 };

/* The functions the models cycle through, parameters chosen to keep the state finite over
 * T steps; HardSigmoid twice: Keras 2's and Keras 3's. */
static const char *const functions[] = {
    "Sigmoid",          "Tanh",         "Relu",          "Affine(0.5,0.25)",
    "LeakyRelu(0.1)",   "ThresholdedRelu(0.3)",          "ScaledTanh(1.5,0.75)",
    "HardSigmoid(0.2,0.5)", "Elu(0.8)", "Softsign",      "Softplus",
    "HardSigmoid(0.16666667,0.5)",
};
enum { FUNCTIONS = sizeof functions / sizeof functions[0] };

static int cell_functions(rnnrt_cell cell)
{
    return cell == RNNRT_CELL_RNN_TANH || cell == RNNRT_CELL_RNN_RELU ? 1
           : cell == RNNRT_CELL_GRU || cell == RNNRT_CELL_GRU_RESET_BEFORE ? 2
                                                                            : 3;
}

/* The metadata of spec's model: functions[(rot + slot) % FUNCTIONS] for each unit's slots,
 * one entry per layer and direction, and the clip when > 0. */
static void functions_meta(const model_spec *spec, int rot, double clip, char *out, size_t size)
{
    const int units = spec->layers * spec->directions, g = cell_functions(spec->cell);
    int n = snprintf(out, size, "\"rnnrt.activation_functions\":\"");
    for (int u = 0; u < units; u++)
        for (int q = 0; q < g; q++)
            n += snprintf(out + n, size - (size_t)n, "%s%s", q ? "," : u ? ";" : "",
                          functions[(rot + u * g + q) % FUNCTIONS]);
    n += snprintf(out + n, size - (size_t)n, "\"");
    if (clip > 0)
        snprintf(out + n, size - (size_t)n, ",\"rnnrt.clip\":\"%g\"", clip);
}

static rnnrt_model *load_with(const unsigned char *bytes, size_t size, const char *isa,
                              const char *weights, const char *activations)
{
    rnnrt_options *o;
    rnnrt_model *m = NULL;
    assert_int_equal(rnnrt_options_create(&o), RNNRT_OK);
    if (isa)
        assert_int_equal(rnnrt_options_set(o, "isa", isa), RNNRT_OK);
    assert_int_equal(rnnrt_options_set(o, "weights", weights), RNNRT_OK);
    assert_int_equal(rnnrt_options_set(o, "activations", activations), RNNRT_OK);
    if (rnnrt_model_load_memory_ex(bytes, size, o, &m))
        fail_msg("load (%s, %s x %s): %s", isa ? isa : "auto", weights, activations,
                 rnnrt_last_error());
    rnnrt_options_free(o);
    return m;
}

typedef struct run_out {
    float *y, *h, *c;
    size_t ny, nh, nc;
} run_out;

/* One pass from the given initial state, with the lengths, under `variant`. */
static void run(const rnnrt_model *m, const char *variant, const float *x, const int *lengths,
                const float *h0, const float *c0, run_out *o)
{
    const int units = rnnrt_model_num_layers(m) * rnnrt_model_num_directions(m);
    o->ny = (size_t)T * B * rnnrt_model_output_size(m);
    o->nh = (size_t)units * B * rnnrt_model_state_h_size(m);
    o->nc = model_has_c(m) ? (size_t)units * B * rnnrt_model_hidden_size(m) : 0;
    o->y = malloc(o->ny * sizeof(float));
    o->h = malloc(o->nh * sizeof(float));
    o->c = o->nc ? malloc(o->nc * sizeof(float)) : NULL;
    rnnrt_state *s;
    assert_int_equal(rnnrt_set_variant(variant), RNNRT_OK);
    assert_int_equal(rnnrt_state_create(m, B, &s), RNNRT_OK);
    assert_int_equal(rnnrt_state_write(s, h0, o->nc ? c0 : NULL), RNNRT_OK);
    if (rnnrt_forward(m, s, x, T, B, lengths, o->y))
        fail_msg("forward (%s, %s): %s", variant, rnnrt_model_isa(m), rnnrt_last_error());
    assert_int_equal(rnnrt_state_read(s, o->h, o->c), RNNRT_OK);
    rnnrt_state_free(s);
    assert_int_equal(rnnrt_set_variant("blocked"), RNNRT_OK);
}

static void run_free(run_out *o)
{
    free(o->y);
    free(o->h);
    free(o->c);
}

/* The largest error of the blocked pass against the reference, y, h_n and c_n, from random
 * inputs and initial states, with lengths. */
static double blocked_error(const rnnrt_model *m, unsigned seed)
{
    const int units = rnnrt_model_num_layers(m) * rnnrt_model_num_directions(m);
    const size_t nx = (size_t)T * B * rnnrt_model_input_size(m);
    const size_t nh = (size_t)units * B * rnnrt_model_state_h_size(m);
    const size_t nc = (size_t)units * B * rnnrt_model_hidden_size(m);
    float *x = malloc(nx * sizeof *x), *h0 = malloc(nh * sizeof *h0), *c0 = malloc(nc * 4);
    fill_uniform(x, nx, 2.0f, &seed);
    fill_uniform(h0, nh, 0.5f, &seed);
    fill_uniform(c0, nc, 0.5f, &seed);
    int lengths[B];
    for (int b = 0; b < B; b++)
        lengths[b] = 1 + (b * 5 + 3) % T;
    lengths[B / 2] = T;
    run_out ref, got;
    run(m, "reference", x, lengths, h0, c0, &ref);
    run(m, "blocked", x, lengths, h0, c0, &got);
    double e = fmax(max_rel_error(got.y, ref.y, ref.ny, NULL),
                    max_rel_error(got.h, ref.h, ref.nh, NULL));
    if (ref.nc)
        e = fmax(e, max_rel_error(got.c, ref.c, ref.nc, NULL));
    run_free(&ref);
    run_free(&got);
    free(x);
    free(h0);
    free(c0);
    return e;
}

/* Every cell with the functions in three rotations (each function in every cell family at
 * some place), and a clip on the first, under one kernel set: blocked against reference. */
static void passes_agree(void **st)
{
    const char *isa = *st;
    rnnrt_options *o;
    assert_int_equal(rnnrt_options_create(&o), RNNRT_OK);
    const int have = rnnrt_options_set(o, "isa", isa) == RNNRT_OK;
    rnnrt_options_free(o);
    if (!have) {
        print_message("[  SKIP    ] %s kernels: not on this CPU or build\n", isa);
        skip();
    }
    rnnrt_tuning_set_gemm_kc(24); /* several k-blocks and chunks on these small models */
    rnnrt_tuning_set_chunk(4);
    double worst = 0;
    for (size_t k = 0; k < N_CELL_SPECS; k++)
        for (int rot = 0; rot < 12; rot += 4)
            for (int clipped = 0; clipped < (rot ? 1 : 2); clipped++) {
                char meta[2048];
                functions_meta(&cell_specs[k], rot, clipped ? 0.9 : 0.0, meta, sizeof meta);
                size_t size;
                unsigned char *bytes = build_model_bytes_meta(&cell_specs[k], meta, &size);
                rnnrt_model *m = load_with(bytes, size, isa, "f32", "f32");
                const double e = blocked_error(m, 500 + (unsigned)(k * 16 + rot + clipped));
                worst = fmax(worst, e);
                if (e > TOLERANCE)
                    fail_msg("[%s] model %zu (%s), functions {%s}: blocked differs from the "
                             "reference by %.3g", isa, k, rnnrt_model_cell_name(m), meta, e);
                rnnrt_model_free(m);
                free(bytes);
            }
    rnnrt_tuning_set_gemm_kc(-1);
    rnnrt_tuning_set_chunk(-1);
    print_message("[  INFO    ] %s: blocked within %.3g of the reference\n", isa, worst);
}

/* bf16 and int8 weights, int8 x int8 and bf16 x bf16 (the reference rounds the same weights
 * and inputs), on the kernel set in use. */
static void weight_types_agree(void **st)
{
    (void)st;
    static const struct { const char *weights, *activations; double tol; } types[] = {
        {"bf16", "f32", TOLERANCE}, {"int8", "f32", TOLERANCE},
        {"int8", "int8", ROUNDED_TOLERANCE}, {"bf16", "bf16", ROUNDED_TOLERANCE}};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        double worst = 0;
        for (size_t k = 0; k < N_CELL_SPECS; k++) {
            char meta[2048];
            functions_meta(&cell_specs[k], (int)(3 * k + t) % FUNCTIONS, 0.0, meta, sizeof meta);
            size_t size;
            unsigned char *bytes = build_model_bytes_meta(&cell_specs[k], meta, &size);
            rnnrt_model *m = load_with(bytes, size, NULL, types[t].weights,
                                       types[t].activations);
            const double e = blocked_error(m, 700 + (unsigned)k);
            worst = fmax(worst, e);
            if (e > types[t].tol)
                fail_msg("%s x %s, model %zu (%s), functions {%s}: blocked differs from the "
                         "reference by %.3g", types[t].weights, types[t].activations, k,
                         rnnrt_model_cell_name(m), meta, e);
            rnnrt_model_free(m);
            free(bytes);
        }
        print_message("[  INFO    ] %s x %s on %s: blocked within %.3g of the reference\n",
                      types[t].weights, types[t].activations, rnnrt_isa(), worst);
    }
}

/* The key is not ignored: other functions move the outputs far beyond the tolerance, and
 * a model that names its cell's own functions is the model without the key, bit for bit
 * (it runs the cell's kernels). */
static void functions_matter(void **st)
{
    (void)st;
    static const char *const own[] = {"Sigmoid,Tanh,Tanh", "Sigmoid,Tanh", "Tanh", "Relu"};
    for (size_t k = 0; k < N_CELL_SPECS; k++) {
        const model_spec *spec = &cell_specs[k];
        const int g = cell_functions(spec->cell);
        char meta[2048], same[128];
        functions_meta(spec, 1, 0.0, meta, sizeof meta);
        snprintf(same, sizeof same, "\"rnnrt.activation_functions\":\"%s\"",
                 own[g == 3 ? 0 : g == 2 ? 1 : spec->cell == RNNRT_CELL_RNN_TANH ? 2 : 3]);
        size_t s0, s1, s2;
        unsigned char *b0 = build_model_bytes_meta(spec, NULL, &s0);
        unsigned char *b1 = build_model_bytes_meta(spec, meta, &s1);
        unsigned char *b2 = build_model_bytes_meta(spec, same, &s2);
        rnnrt_model *m0 = load_with(b0, s0, NULL, "f32", "f32");
        rnnrt_model *m1 = load_with(b1, s1, NULL, "f32", "f32");
        rnnrt_model *m2 = load_with(b2, s2, NULL, "f32", "f32");
        const size_t nx = (size_t)T * B * rnnrt_model_input_size(m0);
        const size_t ny = (size_t)T * B * rnnrt_model_output_size(m0);
        float *x = malloc(nx * sizeof *x), *y[3];
        unsigned seed = 900 + (unsigned)k;
        fill_uniform(x, nx, 2.0f, &seed);
        const rnnrt_model *ms[3] = {m0, m1, m2};
        for (int i = 0; i < 3; i++) {
            y[i] = malloc(ny * sizeof(float));
            assert_int_equal(rnnrt_forward(ms[i], NULL, x, T, B, NULL, y[i]), RNNRT_OK);
        }
        if (max_rel_error(y[1], y[0], ny, NULL) < 1e-2)
            fail_msg("model %zu (%s): functions {%s} give the cell's own outputs", k,
                     rnnrt_model_cell_name(m0), meta);
        if (memcmp(y[2], y[0], ny * sizeof(float)))
            fail_msg("model %zu (%s): naming the cell's own functions changes its bytes", k,
                     rnnrt_model_cell_name(m0));
        for (int i = 0; i < 3; i++)
            free(y[i]);
        free(x);
        rnnrt_model_free(m0);
        rnnrt_model_free(m1);
        rnnrt_model_free(m2);
        free(b0);
        free(b1);
        free(b2);
    }
}

/* A tiny model of spec's shape with `meta` as more metadata; NULL and the status kept in
 * *status when it does not load. */
static rnnrt_model *tiny(rnnrt_cell cell, int layers, int directions, const char *meta,
                         rnnrt_status *status)
{
    const model_spec spec = {cell, 3, 4, 0, layers, directions, 1, 77};
    size_t size;
    unsigned char *bytes = build_model_bytes_meta(&spec, meta, &size);
    rnnrt_model *m = NULL;
    *status = rnnrt_model_load_memory(bytes, size, &m);
    free(bytes);
    return m;
}

static void expect_text(const rnnrt_model *m, int layer, int dir, const char *want)
{
    const char *got = rnnrt_model_activation_functions(m, layer, dir);
    if (!got || strcmp(got, want))
        fail_msg("layer %d direction %d: functions '%s', expected '%s'", layer, dir,
                 got ? got : "(null)", want);
}

static void values_accepted(void **st)
{
    (void)st;
    static const struct { rnnrt_cell cell; const char *own; } cells[] = {
        {RNNRT_CELL_LSTM, "Sigmoid,Tanh,Tanh"}, {RNNRT_CELL_LSTM_PEEPHOLE, "Sigmoid,Tanh,Tanh"},
        {RNNRT_CELL_LSTM_COUPLED, "Sigmoid,Tanh,Tanh"}, {RNNRT_CELL_GRU, "Sigmoid,Tanh"},
        {RNNRT_CELL_GRU_RESET_BEFORE, "Sigmoid,Tanh"}, {RNNRT_CELL_RNN_TANH, "Tanh"},
        {RNNRT_CELL_RNN_RELU, "Relu"}};
    rnnrt_status s;
    for (size_t k = 0; k < sizeof cells / sizeof cells[0]; k++) { /* no key: the cell's own */
        rnnrt_model *m = tiny(cells[k].cell, 1, 2, NULL, &s);
        assert_non_null(m);
        expect_text(m, 0, 0, cells[k].own);
        expect_text(m, 0, 1, cells[k].own);
        assert_int_equal(rnnrt_model_batch_major(m), 0);
        rnnrt_model_free(m);
    }
    /* one entry for all; spaces; parameters read as float and written back shortest */
    rnnrt_model *m = tiny(RNNRT_CELL_LSTM, 2, 1,
                          "\"rnnrt.activation_functions\":\" HardSigmoid( 0.2 , +5e-1 ) , "
                          "Tanh,Elu(-1.50)\",\"rnnrt.layout\":\"batch_major\"", &s);
    assert_non_null(m);
    expect_text(m, 0, 0, "HardSigmoid(0.2,0.5),Tanh,Elu(-1.5)");
    expect_text(m, 1, 0, "HardSigmoid(0.2,0.5),Tanh,Elu(-1.5)");
    assert_int_equal(rnnrt_model_batch_major(m), 1);
    assert_null(rnnrt_model_activation_functions(m, 2, 0));
    assert_null(rnnrt_model_activation_functions(m, 0, 1));
    assert_null(rnnrt_model_activation_functions(m, -1, 0));
    rnnrt_model_free(m);
    /* one per layer and direction, in h_n's order */
    m = tiny(RNNRT_CELL_GRU, 2, 2,
             "\"rnnrt.activation_functions\":\"Sigmoid,Tanh;HardSigmoid(0.16666667,0.5),"
             "Softsign;LeakyRelu(0.01),ThresholdedRelu(1);ScaledTanh(1,2),Affine(-1,0.5)\","
             "\"rnnrt.layout\":\"time_major\"", &s);
    assert_non_null(m);
    expect_text(m, 0, 0, "Sigmoid,Tanh");
    expect_text(m, 0, 1, "HardSigmoid(0.16666667,0.5),Softsign");
    expect_text(m, 1, 0, "LeakyRelu(0.01),ThresholdedRelu(1)");
    expect_text(m, 1, 1, "ScaledTanh(1,2),Affine(-1,0.5)");
    assert_int_equal(rnnrt_model_batch_major(m), 0);
    rnnrt_model_free(m);
    m = tiny(RNNRT_CELL_RNN_TANH, 1, 1, "\"rnnrt.activation_functions\":\"Softplus\"", &s);
    assert_non_null(m);
    expect_text(m, 0, 0, "Softplus");
    rnnrt_model_free(m);
    assert_null(rnnrt_model_activation_functions(NULL, 0, 0));
    assert_int_equal(rnnrt_model_batch_major(NULL), -1);
}

/* Refusals name the key, where (the layer and direction, or every layer) and the function. */
static void values_refused(void **st)
{
    (void)st;
    static const struct {
        rnnrt_cell cell;
        int layers, directions;
        const char *value;
        const char *words[3];
    } cases[] = {
        {RNNRT_CELL_LSTM, 1, 1, "Sigmoid,Tanh,Foo", {"every layer", "function h", "'Foo'"}},
        {RNNRT_CELL_LSTM, 1, 1, "sigmoid,Tanh,Tanh", {"every layer", "function f", "'sigmoid'"}},
        {RNNRT_CELL_GRU, 1, 2, "Sigmoid,Tanh;LeakyRelu,Tanh",
         {"layer 0 backward", "function f", "alpha"}},
        {RNNRT_CELL_GRU, 2, 1, "Sigmoid,Tanh;HardSigmoid(0.2),Tanh",
         {"layer 1", "function f", "beta"}},
        {RNNRT_CELL_LSTM, 1, 1, "Sigmoid,Elu(nan),Tanh", {"every layer", "function g", "finite"}},
        {RNNRT_CELL_LSTM, 1, 1, "Sigmoid,Elu(inf),Tanh", {"every layer", "function g", "finite"}},
        {RNNRT_CELL_LSTM, 1, 1, "Sigmoid,Elu(1e39),Tanh", {"function g", "finite", "Elu"}},
        {RNNRT_CELL_LSTM, 1, 1, "Tanh(1),Tanh,Tanh", {"function f", "no parameters", "Tanh"}},
        {RNNRT_CELL_LSTM, 1, 1, "Elu(1,2),Tanh,Tanh", {"function f", "one parameter", "Elu"}},
        {RNNRT_CELL_LSTM, 1, 1, "Affine(1,2,3),Tanh,Tanh", {"function f", "finite", "Affine"}},
        {RNNRT_CELL_LSTM, 1, 1, "Elu(1,Tanh,Tanh", {"function f", "finite", "Elu"}},
        {RNNRT_CELL_LSTM, 1, 1, "Elu(1", {"function f", "parenthesis", "Elu"}},
        {RNNRT_CELL_LSTM, 1, 1, "Sigmoid,Tanh", {"every layer", "2 function", "has 3"}},
        {RNNRT_CELL_RNN_TANH, 1, 1, "Tanh,Tanh", {"every layer", "more than 1", "rnn_tanh"}},
        {RNNRT_CELL_GRU, 2, 2, "Sigmoid,Tanh;Sigmoid,Tanh", {"2 entries", "(4)", "layer"}},
        {RNNRT_CELL_GRU, 1, 1, "Sigmoid Tanh", {"function f", "other than", "Sigmoid"}},
        {RNNRT_CELL_GRU, 1, 1, "", {"every layer", "function f", "''"}},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char meta[256];
        snprintf(meta, sizeof meta, "\"rnnrt.activation_functions\":\"%s\"", cases[k].value);
        rnnrt_status s;
        rnnrt_model *m = tiny(cases[k].cell, cases[k].layers, cases[k].directions, meta, &s);
        if (m || s != RNNRT_E_FORMAT)
            fail_msg("'%s' loaded (status %d), expected RNNRT_E_FORMAT", cases[k].value, s);
        const char *msg = rnnrt_last_error();
        if (!strstr(msg, "rnnrt.activation_functions"))
            fail_msg("'%s': message '%s' does not name the key", cases[k].value, msg);
        for (int w = 0; w < 3; w++)
            if (!strstr(msg, cases[k].words[w]))
                fail_msg("'%s': message '%s' does not say '%s'", cases[k].value, msg,
                         cases[k].words[w]);
    }
    rnnrt_status s;
    assert_null(tiny(RNNRT_CELL_LSTM, 1, 1, "\"rnnrt.layout\":\"batch_first\"", &s));
    assert_int_equal(s, RNNRT_E_FORMAT);
    assert_non_null(strstr(rnnrt_last_error(), "rnnrt.layout"));
}

int main(int argc, char **argv)
{
    if (argc > 1)
        test_data_dir = argv[1];
    struct CMUnitTest tests[64] = {
        cmocka_unit_test(values_accepted),
        cmocka_unit_test(values_refused),
        cmocka_unit_test(functions_matter),
        cmocka_unit_test(weight_types_agree),
    };
    int n = 0;
    while (tests[n].name)
        n++;
    n += per_set_tests(tests + n, "passes_agree_", passes_agree);
    return _cmocka_run_group_tests("functions", tests, (size_t)n, NULL, NULL);
}
