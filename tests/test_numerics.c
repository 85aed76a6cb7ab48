/* Numerics under stress, under every kernel set this CPU runs and every forward variant:
 *  - a NaN input makes NaN exactly the outputs and final states that depend on it (the
 *    mask follows time, direction, layers and lengths) and leaves every other sequence's
 *    bytes alone; NaN or infinity in the padding past a sequence's length is never read;
 *  - one infinite input component, huge finite inputs (up to FLT_MAX) and weights that
 *    saturate every gate give finite outputs (the gates reach 0 or 1, never inf/inf);
 *  - subnormal inputs and states give the outputs of zeros to within 1e-6;
 *  - every combination of fully open and fully closed gates (biases of +-100, +-1e30 and
 *    +-FLT_MAX, weights 0) gives the analytic result: c counts steps, h copies or resets;
 *  - T = 100,000 steps streamed through a state in uneven chunks give the bytes of one call
 *    and stay finite and bounded.
 * Models come from tests/stress/model_build.c; their weights are bounded away from zero, so
 * that an infinite input has a definite sign in every pre-activation. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dispatch.h"
#include "stress/model_build.h"
#include "test_util.h"

static const char *const cells[] = {"lstm", "gru", "lstm_peephole", "lstm_coupled"};
enum { NCELLS = 4 };
static const char *const variants[] = {"reference", "blocked"};
enum { NVARIANTS = 2 };

/* --- configurations: every kernel set x every forward variant ----------------------------- */

typedef struct config {
    int i; /* kernel set * NVARIANTS + variant */
    char label[48];
} config;

static char default_isa[16], default_variant[16]; /* restored after each sweep */

/* Steps to the next configuration this machine runs; 0 (defaults restored) when done. */
static int next_config(config *k)
{
    while (++k->i < rnnrt_kernel_set_count * NVARIANTS) {
        const char *isa = rnnrt_kernel_set_names[k->i / NVARIANTS];
        const char *variant = variants[k->i % NVARIANTS];
        if (rnnrt_set_isa(isa) != RNNRT_OK || rnnrt_set_variant(variant) != RNNRT_OK)
            continue;
        snprintf(k->label, sizeof k->label, "%s/%s", isa, variant);
        return 1;
    }
    assert_int_equal(rnnrt_set_isa(default_isa), RNNRT_OK);
    assert_int_equal(rnnrt_set_variant(default_variant), RNNRT_OK);
    return 0;
}

/* True for the configuration the library picks by itself. */
static int is_default(const config *k)
{
    return !strcmp(rnnrt_kernel_set_names[k->i / NVARIANTS], default_isa) &&
           !strcmp(variants[k->i % NVARIANTS], default_variant);
}

#define FOR_EACH_CONFIG(k) for (config k = {-1, ""}; next_config(&k);)

/* --- models ------------------------------------------------------------------------------ */

/* Weights in +-[0.1, 0.5], never zero; biases in +-[0, 0.2]. */
static float generic_fill(void *ctx, const char *kind, int layer, int dir, int row, int col)
{
    (void)ctx;
    uint32_t h = (uint32_t)(layer * 7919 + dir * 104729 + row * 1299709 + col * 15485863);
    for (const char *p = kind; *p; p++)
        h = h * 31 + (uint32_t)*p;
    h ^= h >> 15;
    h *= 2246822519u;
    h ^= h >> 13;
    float u = (float)(h % 10007) / 10007.0f;
    float sign = (h >> 20) & 1 ? 1.0f : -1.0f;
    if (!strncmp(kind, "bias", 4))
        return sign * 0.2f * u;
    return sign * (0.1f + 0.4f * u);
}

static rnnrt_model *build(const mb_shape *s, mb_fill_fn fill, void *ctx)
{
    size_t size;
    unsigned char *bytes = mb_model(s, fill, ctx, &size);
    rnnrt_model *m;
    rnnrt_status st = rnnrt_model_load_memory(bytes, size, &m);
    free(bytes);
    if (st)
        fail_msg("building a %s model: %s", s->cell, rnnrt_last_error());
    return m;
}

/* The shapes most checks sweep: each cell alone (H = 19: a full vector plus a tail on every
 * ISA), as a 2-layer bidirectional stack, and LSTMs with a projection. */
static int shapes(mb_shape *out)
{
    int n = 0;
    for (int c = 0; c < NCELLS; c++) {
        out[n++] = (mb_shape){cells[c], 3, 19, 0, 1, 1, 1};
        out[n++] = (mb_shape){cells[c], 3, 19, 0, 2, 2, 1};
    }
    out[n++] = (mb_shape){"lstm", 3, 19, 5, 2, 2, 1};
    out[n++] = (mb_shape){"lstm_peephole", 3, 9, 4, 1, 1, 0};
    return n;
}

enum { T = 7, B = 3 };

typedef struct outputs {
    float *y, *h, *c;
    size_t ny, nh, nc;
} outputs;

static void outputs_alloc(const rnnrt_model *m, int seq_len, int batch, outputs *o)
{
    int units = rnnrt_model_num_layers(m) * rnnrt_model_num_directions(m);
    o->ny = (size_t)seq_len * batch * rnnrt_model_output_size(m);
    o->nh = (size_t)units * batch * rnnrt_model_state_h_size(m);
    o->nc = !model_has_c(m)
                ? 0 : (size_t)units * batch * rnnrt_model_hidden_size(m);
    o->y = malloc(o->ny * sizeof *o->y);
    o->h = malloc(o->nh * sizeof *o->h);
    o->c = o->nc ? malloc(o->nc * sizeof *o->c) : NULL;
}

static void outputs_free(outputs *o)
{
    free(o->y);
    free(o->h);
    free(o->c);
}

/* From h0/c0 (or zeros), runs the sequence and reads the final state. */
static void run(const rnnrt_model *m, const float *x, int seq_len, int batch, const int *lengths,
                const float *h0, const float *c0, outputs *o)
{
    rnnrt_state *s;
    assert_int_equal(rnnrt_state_create(m, batch, &s), RNNRT_OK);
    if (h0) {
        const float *c = !model_has_c(m) ? NULL : c0;
        assert_int_equal(rnnrt_state_write(s, h0, c), RNNRT_OK);
    }
    if (rnnrt_forward(m, s, x, seq_len, batch, lengths, o->y))
        fail_msg("forward: %s", rnnrt_last_error());
    assert_int_equal(rnnrt_state_read(s, o->h, o->c), RNNRT_OK);
    rnnrt_state_free(s);
}

static float *inputs(const rnnrt_model *m, int seq_len, int batch, uint32_t seed)
{
    size_t n = (size_t)seq_len * batch * rnnrt_model_input_size(m);
    float *x = malloc(n * sizeof *x);
    for (size_t k = 0; k < n; k++) {
        seed = seed * 1664525u + 1013904223u;
        x[k] = (float)(seed >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
    }
    return x;
}

/* Bitwise equal, any NaN equal to any NaN. */
static int same(float a, float b)
{
    return !memcmp(&a, &b, sizeof a) || (isnan(a) && isnan(b));
}

static const char *shape_name(const mb_shape *s, char *buf, size_t n)
{
    snprintf(buf, n, "%s I%d H%d P%d L%d D%d%s", s->cell, s->input, s->hidden, s->proj, s->layers,
             s->directions, s->bias ? "" : " nobias");
    return buf;
}

/* --- NaN: exactly where it reaches --------------------------------------------------------- */

/* Which steps of one sequence hold NaN, layer by layer: forward direction from the first NaN
 * input on, reverse direction up to the last one, within the sequence's length. */
static void nan_mask(int layers, int dirs, int len, int nan_step, int fwd[T], int rev[T],
                     int *h_nan /* [layers*dirs] final states */)
{
    int in[T] = {0};
    in[nan_step] = 1;
    for (int l = 0; l < layers; l++) {
        int seen = 0;
        for (int t = 0; t < T; t++) {
            seen |= t < len && in[t];
            fwd[t] = t < len && seen;
        }
        seen = 0;
        for (int t = T - 1; t >= 0; t--) {
            seen |= t < len && in[t];
            rev[t] = dirs == 2 && t < len && seen;
        }
        h_nan[l * dirs] = fwd[len - 1];
        if (dirs == 2)
            h_nan[l * dirs + 1] = rev[0];
        for (int t = 0; t < T; t++)
            in[t] = fwd[t] || rev[t];
    }
}

static void nan_case(const mb_shape *shape, const config *k, int nan_len)
{
    char name[96];
    shape_name(shape, name, sizeof name);
    rnnrt_model *m = build(shape, generic_fill, NULL);
    const int in = rnnrt_model_input_size(m), out = rnnrt_model_output_size(m);
    const int hs = rnnrt_model_state_h_size(m), dirs = shape->directions;
    const int lengths[B] = {T, nan_len, T - 1}, nan_step = 2;
    float *x = inputs(m, T, B, 7);
    outputs clean, dirty;
    outputs_alloc(m, T, B, &clean);
    outputs_alloc(m, T, B, &dirty);
    run(m, x, T, B, lengths, NULL, NULL, &clean);
    x[((size_t)nan_step * B + 1) * in + 1] = NAN;
    run(m, x, T, B, lengths, NULL, NULL, &dirty);

    int fwd[T], rev[T], h_nan[64];
    nan_mask(shape->layers, dirs, nan_len, nan_step, fwd, rev, h_nan);
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            for (int j = 0; j < out; j++) {
                size_t at = ((size_t)t * B + b) * out + j;
                float v = dirty.y[at];
                if (b != 1) {
                    if (!same(v, clean.y[at]))
                        fail_msg("[%s] %s: NaN in sequence 1 changed y[%d][%d][%d] of sequence "
                                 "%d: %.9g -> %.9g", k->label, name, t, b, j, b, clean.y[at], v);
                    continue;
                }
                int want_nan = j < hs ? fwd[t] : rev[t];
                if (t >= nan_len ? v != 0.0f : want_nan ? !isnan(v) : !isfinite(v))
                    fail_msg("[%s] %s: y[%d][1][%d] = %.9g, expected %s", k->label, name, t, j, v,
                             t >= nan_len ? "0 (past the length)" : want_nan ? "NaN" : "finite");
            }
    for (int u = 0; u < shape->layers * dirs; u++)
        for (int b = 0; b < B; b++)
            for (int j = 0; j < hs; j++) {
                size_t at = ((size_t)u * B + b) * hs + j;
                float v = dirty.h[at];
                int ok = b != 1 ? same(v, clean.h[at]) : h_nan[u] ? isnan(v) : isfinite(v);
                if (!ok)
                    fail_msg("[%s] %s: h_n[%d][%d][%d] = %.9g (NaN expected: %d)", k->label, name,
                             u, b, j, v, b == 1 && h_nan[u]);
            }
    outputs_free(&clean);
    outputs_free(&dirty);
    free(x);
    rnnrt_model_free(m);
}

static void nan_reaches_exactly_what_depends_on_it(void **st)
{
    (void)st;
    mb_shape s[16];
    int n = shapes(s), cases = 0;
    FOR_EACH_CONFIG(k)
        for (int i = 0; i < n; i++) {
            nan_case(&s[i], &k, T);  /* NaN in a full-length sequence */
            nan_case(&s[i], &k, 4);  /* ... in one that ends at step 4 */
            cases += 2;
        }
    print_message("[  INFO    ] %d NaN cases\n", cases);
}

/* --- padding past a sequence's end is never read ----------------------------------------- */

static void padding_is_never_read(void **st)
{
    (void)st;
    mb_shape s[16];
    int n = shapes(s);
    const int lengths[B] = {T, 2, 5};
    const float poison[] = {NAN, INFINITY, -INFINITY, FLT_MAX};
    FOR_EACH_CONFIG(k)
        for (int i = 0; i < n; i++) {
            char name[96];
            shape_name(&s[i], name, sizeof name);
            rnnrt_model *m = build(&s[i], generic_fill, NULL);
            const int in = rnnrt_model_input_size(m);
            float *x = inputs(m, T, B, 11);
            outputs ref, got;
            outputs_alloc(m, T, B, &ref);
            outputs_alloc(m, T, B, &got);
            for (int t = 0; t < T; t++)
                for (int b = 0; b < B; b++)
                    if (t >= lengths[b])
                        memset(&x[((size_t)t * B + b) * in], 0, (size_t)in * sizeof *x);
            run(m, x, T, B, lengths, NULL, NULL, &ref);
            for (size_t p = 0; p < sizeof poison / sizeof poison[0]; p++) {
                for (int t = 0; t < T; t++)
                    for (int b = 0; b < B; b++)
                        for (int j = 0; j < in && t >= lengths[b]; j++)
                            x[((size_t)t * B + b) * in + j] = poison[p];
                run(m, x, T, B, lengths, NULL, NULL, &got);
                for (size_t j = 0; j < ref.ny; j++)
                    if (!same(got.y[j], ref.y[j]))
                        fail_msg("[%s] %s: %g in the padding changed y[%zu]: %.9g -> %.9g",
                                 k.label, name, poison[p], j, ref.y[j], got.y[j]);
                for (size_t j = 0; j < ref.nh; j++)
                    if (!same(got.h[j], ref.h[j]))
                        fail_msg("[%s] %s: %g in the padding changed h_n[%zu]", k.label, name,
                                 poison[p], j);
                for (size_t j = 0; j < ref.nc; j++)
                    if (!same(got.c[j], ref.c[j]))
                        fail_msg("[%s] %s: %g in the padding changed c_n[%zu]", k.label, name,
                                 poison[p], j);
            }
            outputs_free(&ref);
            outputs_free(&got);
            free(x);
            rnnrt_model_free(m);
        }
}

/* --- huge and infinite inputs saturate ----------------------------------------------------- */

/* Every output finite; |y| <= 1 where h = o * tanh(c) or a GRU's convex mix of tanh values
 * (no projection), since the state starts at zero. */
static void expect_bounded(const config *k, const char *name, const char *what, const outputs *o,
                           int bounded)
{
    for (size_t j = 0; j < o->ny; j++)
        if (!isfinite(o->y[j]) || (bounded && fabsf(o->y[j]) > 1.0f))
            fail_msg("[%s] %s, %s: y[%zu] = %.9g, expected finite%s", k->label, name, what, j,
                     o->y[j], bounded ? " within [-1, 1]" : "");
    for (size_t j = 0; j < o->nh; j++)
        if (!isfinite(o->h[j]))
            fail_msg("[%s] %s, %s: h_n[%zu] = %.9g", k->label, name, what, j, o->h[j]);
    for (size_t j = 0; j < o->nc; j++)
        if (!isfinite(o->c[j]))
            fail_msg("[%s] %s, %s: c_n[%zu] = %.9g", k->label, name, what, j, o->c[j]);
}

static void extreme_inputs_give_finite_outputs(void **st)
{
    (void)st;
    mb_shape s[16];
    int n = shapes(s), cases = 0;
    const float huge[] = {1e30f, 1e38f, FLT_MAX};
    FOR_EACH_CONFIG(k)
        for (int i = 0; i < n; i++) {
            char name[96], what[64];
            shape_name(&s[i], name, sizeof name);
            rnnrt_model *m = build(&s[i], generic_fill, NULL);
            const int in = rnnrt_model_input_size(m);
            const size_t nx = (size_t)T * B * in;
            float *x = inputs(m, T, B, 5), *x0 = malloc(nx * sizeof *x0);
            memcpy(x0, x, nx * sizeof *x);
            outputs o;
            outputs_alloc(m, T, B, &o);
            /* one component +-inf: every pre-activation it feeds is +-inf */
            for (int sign = -1; sign <= 1; sign += 2) {
                memcpy(x, x0, nx * sizeof *x);
                x[((size_t)2 * B + 1) * in] = sign * INFINITY;
                run(m, x, T, B, NULL, NULL, NULL, &o);
                snprintf(what, sizeof what, "one input %cinf", sign > 0 ? '+' : '-');
                expect_bounded(&k, name, what, &o, !s[i].proj);
                cases++;
            }
            /* every component huge, signs mixed */
            for (size_t h = 0; h < sizeof huge / sizeof huge[0]; h++) {
                for (size_t j = 0; j < nx; j++)
                    x[j] = x0[j] < 0 ? -huge[h] : huge[h];
                run(m, x, T, B, NULL, NULL, NULL, &o);
                snprintf(what, sizeof what, "inputs +-%g", huge[h]);
                expect_bounded(&k, name, what, &o, !s[i].proj);
                cases++;
            }
            outputs_free(&o);
            free(x);
            free(x0);
            rnnrt_model_free(m);
        }
    print_message("[  INFO    ] %d extreme-input cases\n", cases);
}

/* Weights scaled up so that every gate saturates on ordinary inputs. */
static float scaled_fill(void *ctx, const char *kind, int layer, int dir, int row, int col)
{
    return *(const float *)ctx * generic_fill(NULL, kind, layer, dir, row, col);
}

static void saturating_weights_give_finite_outputs(void **st)
{
    (void)st;
    mb_shape s[16];
    int n = shapes(s);
    /* the largest keeps every partial sum of |w x| (at most 22 terms) below FLT_MAX */
    float scales[] = {1e4f, 1e30f};
    FOR_EACH_CONFIG(k)
        for (int i = 0; i < n; i++)
            for (size_t sc = 0; sc < sizeof scales / sizeof scales[0]; sc++) {
                if (s[i].proj && scales[sc] > 1e4f)
                    continue; /* a projection by 1e30 weights overflows h itself */
                char name[96], what[64];
                shape_name(&s[i], name, sizeof name);
                rnnrt_model *m = build(&s[i], scaled_fill, &scales[sc]);
                float *x = inputs(m, T, B, 3);
                outputs o;
                outputs_alloc(m, T, B, &o);
                run(m, x, T, B, NULL, NULL, NULL, &o);
                snprintf(what, sizeof what, "weights x %g", scales[sc]);
                expect_bounded(&k, name, what, &o, !s[i].proj);
                outputs_free(&o);
                free(x);
                rnnrt_model_free(m);
            }
}

/* --- subnormals ----------------------------------------------------------------------------- */

static void subnormal_inputs_act_as_zeros(void **st)
{
    (void)st;
    mb_shape s[16];
    int n = shapes(s);
    const float tiny[] = {1e-40f, FLT_MIN / 2, FLT_TRUE_MIN};
    FOR_EACH_CONFIG(k)
        for (int i = 0; i < n; i++) {
            char name[96];
            shape_name(&s[i], name, sizeof name);
            rnnrt_model *m = build(&s[i], generic_fill, NULL);
            const size_t nx = (size_t)T * B * rnnrt_model_input_size(m);
            float *x = calloc(nx, sizeof *x);
            outputs zero, sub;
            outputs_alloc(m, T, B, &zero);
            outputs_alloc(m, T, B, &sub);
            run(m, x, T, B, NULL, NULL, NULL, &zero);
            float *h0 = malloc(zero.nh * sizeof *h0), *c0 = malloc((zero.nc + 1) * sizeof *c0);
            for (size_t t = 0; t < sizeof tiny / sizeof tiny[0]; t++) {
                for (size_t j = 0; j < nx; j++)
                    x[j] = j % 2 ? tiny[t] : -tiny[t];
                for (size_t j = 0; j < zero.nh; j++)
                    h0[j] = j % 3 ? tiny[t] : -tiny[t];
                for (size_t j = 0; j < zero.nc; j++)
                    c0[j] = j % 5 ? -tiny[t] : tiny[t];
                run(m, x, T, B, NULL, h0, c0, &sub);
                size_t at;
                /* pre-activations move by under 1e-37: nothing a float output can show */
                double e = max_rel_error(sub.y, zero.y, zero.ny, &at);
                if (e > 1e-6)
                    fail_msg("[%s] %s: inputs of %g: y[%zu] = %.9g, zeros give %.9g", k.label,
                             name, tiny[t], at, sub.y[at], zero.y[at]);
            }
            free(h0);
            free(c0);
            outputs_free(&zero);
            outputs_free(&sub);
            free(x);
            rnnrt_model_free(m);
        }
}

/* --- gates fully open or closed: the analytic result --------------------------------------- */

typedef struct gate_biases {
    const char *cell;
    int gates, hidden;
    float bias[4]; /* per gate block, in the cell's order */
} gate_biases;

static float gate_fill(void *ctx, const char *kind, int layer, int dir, int row, int col)
{
    const gate_biases *g = ctx;
    (void)layer, (void)dir, (void)col;
    return !strcmp(kind, "bias_ih") ? g->bias[row / g->hidden] : 0.0f;
}

/* One unit with gates at 0 or 1 (sign of the bias) and tanh at +-1, in double. */
static void expect_step(const gate_biases *g, double *h, double *c)
{
    double open[4], tanh1[4];
    for (int k = 0; k < g->gates; k++) {
        open[k] = g->bias[k] > 0;
        tanh1[k] = g->bias[k] > 0 ? 1.0 : -1.0;
    }
    if (!strcmp(g->cell, "gru")) { /* r z n: n = tanh(b_n + r * 0) */
        *h = (1 - open[1]) * tanh1[2] + open[1] * *h;
        return;
    }
    if (!strcmp(g->cell, "lstm_coupled")) { /* f g o */
        *c = open[0] * *c + (1 - open[0]) * tanh1[1];
        *h = open[2] * tanh(*c);
        return;
    }
    *c = open[1] * *c + open[0] * tanh1[2]; /* i f g o (peephole weights are 0) */
    *h = open[3] * tanh(*c);
}

static void saturated_gates_give_the_analytic_result(void **st)
{
    (void)st;
    const float magnitudes[] = {100.0f, 1e30f, FLT_MAX};
    enum { H = 19, STEPS = 5, BATCH = 2 };
    int cases = 0;
    FOR_EACH_CONFIG(k)
        for (int c = 0; c < NCELLS; c++)
            for (size_t mg = 0; mg < sizeof magnitudes / sizeof magnitudes[0]; mg++) {
                gate_biases g = {cells[c], mb_gates(cells[c]), H, {0}};
                for (int pattern = 0; pattern < 1 << g.gates; pattern++) {
                    for (int q = 0; q < g.gates; q++)
                        g.bias[q] = pattern >> q & 1 ? magnitudes[mg] : -magnitudes[mg];
                    mb_shape shape = {cells[c], 2, H, 0, 1, 1, 1};
                    rnnrt_model *m = build(&shape, gate_fill, &g);
                    float x[STEPS * BATCH * 2];
                    for (int j = 0; j < STEPS * BATCH * 2; j++)
                        x[j] = (float)(j % 5) - 2.0f;
                    float h0[BATCH * H], c0[BATCH * H];
                    for (int j = 0; j < BATCH * H; j++) {
                        h0[j] = 0.5f - (float)(j % 3) * 0.25f;
                        c0[j] = 1.5f - (float)(j % 4);
                    }
                    outputs o;
                    outputs_alloc(m, STEPS, BATCH, &o);
                    run(m, x, STEPS, BATCH, NULL, h0, c0, &o);
                    for (int j = 0; j < BATCH * H; j++) {
                        double h = h0[j], cc = c0[j];
                        for (int t = 0; t < STEPS; t++) {
                            expect_step(&g, &h, &cc);
                            float got = o.y[(size_t)t * BATCH * H + j];
                            if (!(fabs(got - h) <= 1e-5 * fmax(1.0, fabs(h))))
                                fail_msg("[%s] %s, gate biases %g %g %g %g: y[%d][%d] = %.9g, "
                                         "expected %.9g", k.label, cells[c], g.bias[0],
                                         g.bias[1], g.bias[2], g.bias[3], t, j, got, h);
                        }
                        if (o.c && !(fabs(o.c[j] - cc) <= 1e-5 * fmax(1.0, fabs(cc))))
                            fail_msg("[%s] %s, gate biases %g %g %g %g: c_n[%d] = %.9g, "
                                     "expected %.9g", k.label, cells[c], g.bias[0], g.bias[1],
                                     g.bias[2], g.bias[3], j, o.c[j], cc);
                    }
                    outputs_free(&o);
                    rnnrt_model_free(m);
                    cases++;
                }
            }
    print_message("[  INFO    ] %d saturated-gate patterns\n", cases);
}

/* --- a very long sequence, streamed ------------------------------------------------------- */

static void long_sequence_streams(void **st)
{
    (void)st;
    enum { LONG_T = 100000, LB = 2 };
    const int chunks[] = {1, 999, 4096, 17, 30000, 3, 64884}; /* sums to LONG_T */
    int checked = 0;
    FOR_EACH_CONFIG(k) {
        /* LSTM and GRU under every configuration, the variants under the default one */
        for (int c = 0; c < NCELLS; c++) {
            if (c > 1 && !is_default(&k))
                continue;
            mb_shape shape = {cells[c], 2, 4, 0, 2, 1, 1};
            rnnrt_model *m = build(&shape, generic_fill, NULL);
            float *x = inputs(m, LONG_T, LB, 99);
            outputs whole, parts;
            outputs_alloc(m, LONG_T, LB, &whole);
            outputs_alloc(m, LONG_T, LB, &parts);
            run(m, x, LONG_T, LB, NULL, NULL, NULL, &whole);
            rnnrt_state *s;
            assert_int_equal(rnnrt_state_create(m, LB, &s), RNNRT_OK);
            const size_t sx = (size_t)LB * 2, sy = (size_t)LB * rnnrt_model_output_size(m);
            int t = 0;
            for (size_t p = 0; p < sizeof chunks / sizeof chunks[0]; p++) {
                assert_int_equal(rnnrt_forward(m, s, x + t * sx, chunks[p], LB, NULL,
                                               parts.y + t * sy), RNNRT_OK);
                t += chunks[p];
            }
            assert_int_equal(t, LONG_T);
            assert_int_equal(rnnrt_state_read(s, parts.h, parts.c), RNNRT_OK);
            rnnrt_state_free(s);
            for (size_t j = 0; j < whole.ny; j++) {
                if (!same(whole.y[j], parts.y[j]))
                    fail_msg("[%s] %s T=%d: y[%zu] = %.9g in chunks, %.9g in one call", k.label,
                             cells[c], LONG_T, j, parts.y[j], whole.y[j]);
                if (!(fabsf(whole.y[j]) <= 1.0f))
                    fail_msg("[%s] %s T=%d: y[%zu] = %.9g", k.label, cells[c], LONG_T, j,
                             whole.y[j]);
            }
            for (size_t j = 0; j < whole.nc; j++)
                if (!(fabsf(parts.c[j]) <= (float)LONG_T) || !same(parts.c[j], whole.c[j]))
                    fail_msg("[%s] %s T=%d: c_n[%zu] = %.9g (one call: %.9g)", k.label, cells[c],
                             LONG_T, j, parts.c[j], whole.c[j]);
            outputs_free(&whole);
            outputs_free(&parts);
            free(x);
            rnnrt_model_free(m);
            checked++;
        }
    }
    print_message("[  INFO    ] %d runs of %d steps, streamed in %zu chunks\n", checked, LONG_T,
                  sizeof chunks / sizeof chunks[0]);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        test_data_dir = argv[1];
    snprintf(default_isa, sizeof default_isa, "%s", rnnrt_isa());
    snprintf(default_variant, sizeof default_variant, "%s", rnnrt_variant());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nan_reaches_exactly_what_depends_on_it),
        cmocka_unit_test(padding_is_never_read),
        cmocka_unit_test(extreme_inputs_give_finite_outputs),
        cmocka_unit_test(saturating_weights_give_finite_outputs),
        cmocka_unit_test(subnormal_inputs_act_as_zeros),
        cmocka_unit_test(saturated_gates_give_the_analytic_result),
        cmocka_unit_test(long_sequence_streams),
    };
    return cmocka_run_group_tests_name("numerics", tests, NULL, NULL);
}
