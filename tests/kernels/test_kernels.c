/* Every kernel of simd/kernels.inc built into the library, one case each (skipped, saying
 * so, where this CPU lacks its features), against the double-precision oracle (oracle.c) and
 * against the scalar kernel of its slot. GEMM microkernels: see gemm_kernel below.
 *
 * For each elementwise kernel: lengths 1..67, 128, 1000 and 4099; outputs offset by 0..3 floats
 * from a 64-byte boundary with canaries on both sides (catches writes out of bounds); inputs
 * ending at a PROT_NONE page (catches reads past the end); three input regimes (typical,
 * saturating with |x| up to 1e4, special with NaN, infinities and signed zeros). Also: each
 * unit's result does not depend on n or its position (bitwise equal to a call with n = 1),
 * and in-place calls (y == x, c == c_prev, h == h_prev) give the same bits (any NaN matching
 * any NaN).
 *
 * Tolerances (u = 2^-24, the float unit roundoff):
 *  - vexp, vsigmoid, vtanh: the accuracy contract itself, at most 4 ulp from the correctly
 *    rounded result, a result whose reference is below FLT_MIN may be 0 (exhaustively checked
 *    by sweep_vmath.c; here it guards the tails and alignments). Against the scalar set:
 *    8 ulp, as both are within 4 of the same float.
 *  - gate kernels: |got - ref| <= max(ABS_TOL * scale, REL_TOL * |ref|), ABS_TOL = REL_TOL =
 *    24u (1.4e-6). Why: with each sigmoid and tanh within 4 ulp (<= 8u relative), one cell
 *    update composes up to three of them and two or three roundings: at most about 18u
 *    relative to the magnitude of the terms it adds (|sigmoid(f) c_prev| +
 *    |sigmoid(i) tanh(g)| <= 1 + |c_prev|), the same or less for h; 24u adds a third for
 *    kernels that round products separately instead of fusing them. The kernels as built
 *    stay near 3u (the test prints the largest error as a fraction of the tolerance).
 *    `scale` is that magnitude bound: 1 + |c_prev| for
 *    LSTM; for peephole LSTM times (1 + |p_i c_prev| + |p_f c_prev|), as a kernel without
 *    FMA rounds those products before the sigmoid (plus |p_o| and |p_o c| terms for h); for
 *    GRU 1 + |xn| + |hn| + |h_prev| (tanh's argument is rounded at that magnitude); for the
 *    RNN 1 (one tanh within 4 ulp of a value of magnitude <= 1; ReLU is exact); for the
 *    reset-before GRU's first kernel 1 + |h_prev| (a sigmoid within 4 ulp times h_prev, one
 *    rounding) and 1 for its z (one sigmoid), for its second kernel 1 + |h_prev| (one tanh
 *    of magnitude <= 1 and the rounding of h_prev - n, scaled by z <= 1). Infinite
 *    terms are left out of scale (they saturate a sigmoid or tanh exactly). Against the
 *    scalar set twice the tolerance, both being within it of the oracle.
 *  - vact (the ONNX activation functions, every function with several parameters): the gate
 *    kernels' rule with the scale of each function's rounding (scale_vact: the terms of
 *    alpha x + beta, |alpha| where e^x - 1 cancels or tanh is scaled), relative to |result|
 *    otherwise (the vector math's 4 ulp); results below 2^-100 may flush.
 *  - NaN must come out exactly where the oracle gives NaN, and infinities exactly equal.
 * Inputs come from a seeded generator; a failure prints the seed, ISA, family, regime, n,
 * offset and element. RNNRT_TEST_SEED=<n> changes the seed.
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "dispatch.h"
#include "fp_mode.h"
#include "provider.h"
#include "oracle.h"

#define U_ROUND 0x1p-24
#define ABS_TOL (24 * U_ROUND)
#define REL_TOL (24 * U_ROUND)
#define VMATH_ULP 4
#define MAX_N 4099
#define MAX_IN 8
#define GUARD 16 /* canary floats on each side of an output */
#define CANARY 0xdeadbeefu

static uint64_t base_seed = 20261122;

/* ---- inputs ---------------------------------------------------------------------------- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r) /* splitmix64 */
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double rng_unit(rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1p-53;
}

static float uniform(rng *r, double lo, double hi)
{
    return (float)(lo + (hi - lo) * rng_unit(r));
}

/* sign * 10^U(lo_exp, hi_exp): every scale from lo to hi equally often. */
static float log_uniform(rng *r, double lo_exp, double hi_exp)
{
    double m = pow(10.0, lo_exp + (hi_exp - lo_exp) * rng_unit(r));
    return (float)(rng_next(r) & 1 ? -m : m);
}

static float from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint32_t to_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* The GEMM tile cases' output: a canary float, then MR rows of ldc floats. Canaries
 * everywhere, then the first `rows` rows of init over the tile (the in-place cases). */
static void canaries_then_init(float *c, size_t MR, size_t ldc, size_t rows, size_t NR,
                               const float *init, size_t ld_init)
{
    for (size_t k = 0; k < 2 + MR * ldc; k++)
        c[k] = from_bits(CANARY);
    for (size_t m = 0; m < rows; m++)
        memcpy(c + 1 + m * ldc, init + m * ld_init, NR * sizeof(float));
}

/* Fails when a tile of mr rows and NR columns wrote anywhere else in that output. */
static void check_outside_tile(const char *name, const float *c, size_t MR, size_t ldc, size_t mr,
                               size_t NR, size_t kc, int mode)
{
    for (size_t k = 0; k < 2 + MR * ldc; k++) {
        long m = ((long)k - 1) / (long)ldc, j = ((long)k - 1) % (long)ldc;
        bool inside = k >= 1 && (size_t)m < mr && (size_t)j < NR;
        if (!inside && to_bits(c[k]) != CANARY)
            fail_msg("%s: mr %zu kc %zu init mode %d wrote outside the tile at float %ld of c",
                     name, mr, kc, mode, (long)k - 1);
    }
}

enum { REG_TYPICAL, REG_SATURATING, REG_SPECIAL, REG_COUNT };
static const char *const regime_names[REG_COUNT] = {"typical", "saturating", "special"};

/* What an input is: it decides its range. */
typedef enum { IN_X, IN_PREACT, IN_CELL, IN_HIDDEN, IN_PEEP, IN_GATE } in_kind;

static float special_value(rng *r)
{
    static const uint32_t bits[] = {0x7fc00000u, 0xffc00000u, 0x7f800001u, 0x7f800000u,
                                    0xff800000u, 0x00000000u, 0x80000000u, 0x461c4000u,
                                    0xc61c4000u}; /* NaNs, infs, zeros, +-1e4 */
    return from_bits(bits[rng_next(r) % (sizeof bits / sizeof bits[0])]);
}

/* Vector-math inputs worth hitting on purpose: the ends of the float range and the
 * thresholds of the kernels. */
static float vmath_edge(rng *r)
{
    static const float edges[] = {
        FLT_MIN,        -FLT_MIN,       0x1p-149f,  -0x1p-149f, FLT_MAX,     -FLT_MAX,
        0x1.62e42ep+6f, 0x1.62e430p+6f, -87.33654f, -88.0f,     -103.97208f, -104.0f,
        9.0109f,        -9.1f,          0x1p-24f,   -0x1p-13f};
    return edges[rng_next(r) % (sizeof edges / sizeof edges[0])];
}

static float draw(rng *r, in_kind kind, int regime)
{
    if (regime == REG_SPECIAL && rng_next(r) % 3 == 0) {
        if (kind == IN_X && rng_next(r) % 2)
            return vmath_edge(r);
        float v = special_value(r);
        /* An infinite peephole weight times a cell state that is 0 in float but tiny in
         * double (an underflowed sigmoid) gives NaN against a finite oracle: a difference
         * of float and double range, not of the kernel, and no trained weight is infinite. */
        if (kind == IN_GATE && !isnan(v)) /* a sigmoid's output: in [0, 1] or NaN */
            return v > 0 ? 1.0f : 0.0f;
        return kind == IN_PEEP && isinf(v) ? 0.0f : v;
    }
    bool sat = regime == REG_SATURATING;
    switch (kind) {
    case IN_X:
        if (sat)
            return log_uniform(r, -3, 4);
        return rng_next(r) % 2 ? uniform(r, -20, 20) : log_uniform(r, -12, 2);
    case IN_PREACT:
        return sat ? log_uniform(r, -3, 4) : uniform(r, -8, 8);
    case IN_CELL:
        /* |c_t| <= |c_{t-1}| + 1, so 100 is already a long sequence. */
        return sat ? log_uniform(r, -3, 2) : uniform(r, -4, 4);
    case IN_HIDDEN:
        return uniform(r, -1, 1);
    case IN_GATE: {
        if (!sat)
            return uniform(r, 0, 1);
        float e = fabsf(log_uniform(r, -8, 0)); /* near 0 or near 1 */
        return rng_next(r) % 2 ? e : 1.0f - e;
    }
    default:
        return uniform(r, -1, 1);
    }
}

/* ---- families ------------------------------------------------------------------------- */

typedef struct family {
    const char *name;
    int n_in, n_out;
    const char *in_names[MAX_IN];
    const char *out_names[2];
    in_kind kinds[MAX_IN];
    int alias_in[2]; /* input each output may replace in place, or -1 */
    void (*call)(rnnrt_kernel_any_fn fn, size_t n, float *const in[], float *out[]);
    void (*oracle)(size_t n, float *const in[], double *out[]);
    /* the tolerance scale of output `o` at element j (gates only) */
    double (*scale)(float *const in[], const double *ref[], size_t j, int o);
} family;

static void call_vexp(rnnrt_kernel_any_fn fn, size_t n, float *const in[], float *out[])
{
    ((rnnrt_f32_vunary_fn)fn)(n, in[0], out[0]);
}
static void call_vsigmoid(rnnrt_kernel_any_fn fn, size_t n, float *const in[], float *out[])
{
    ((rnnrt_f32_vunary_fn)fn)(n, in[0], out[0]);
}
static void call_vtanh(rnnrt_kernel_any_fn fn, size_t n, float *const in[], float *out[])
{
    ((rnnrt_f32_vunary_fn)fn)(n, in[0], out[0]);
}
/* Gate kernels take tiles: these lay the flat inputs out (see "tiles" below). */
static void call_lstm(rnnrt_kernel_any_fn fn, size_t n, float *const in[], float *out[]);
static void call_peephole(rnnrt_kernel_any_fn fn, size_t n, float *const in[], float *out[]);
static void call_coupled(rnnrt_kernel_any_fn fn, size_t n, float *const in[], float *out[]);
static void call_gru(rnnrt_kernel_any_fn fn, size_t n, float *const in[], float *out[]);
static void call_rnn_tanh(rnnrt_kernel_any_fn fn, size_t n, float *const in[], float *out[]);
static void call_rnn_relu(rnnrt_kernel_any_fn fn, size_t n, float *const in[], float *out[]);
static void call_rb_rz(rnnrt_kernel_any_fn fn, size_t n, float *const in[], float *out[]);
static void call_rb_h(rnnrt_kernel_any_fn fn, size_t n, float *const in[], float *out[]);

/* vact: the function under test, set by vact_kernel for each of its cases. */
static rnnrt_activation vact_case;
static const char *vact_label = "";

static void call_vact(rnnrt_kernel_any_fn fn, size_t n, float *const in[], float *out[])
{
    ((rnnrt_f32_vact_fn)fn)(n, in[0], out[0], &vact_case);
}

static void oracle_act_case(size_t n, float *const in[], double *out[])
{
    oracle_vact(n, in[0], out[0], &vact_case);
}

static void oracle_exp(size_t n, float *const in[], double *out[])
{
    oracle_vexp(n, in[0], out[0]);
}
static void oracle_sig(size_t n, float *const in[], double *out[])
{
    oracle_vsigmoid(n, in[0], out[0]);
}
static void oracle_th(size_t n, float *const in[], double *out[])
{
    oracle_vtanh(n, in[0], out[0]);
}
static void oracle_lstm(size_t n, float *const in[], double *out[])
{
    oracle_lstm_gates(n, in[0], in[1], in[2], in[3], in[4], out[0], out[1]);
}
static void oracle_peephole(size_t n, float *const in[], double *out[])
{
    oracle_lstm_peephole_gates(n, in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7],
                               out[0], out[1]);
}
static void oracle_coupled(size_t n, float *const in[], double *out[])
{
    oracle_lstm_coupled_gates(n, in[0], in[1], in[2], in[3], out[0], out[1]);
}
static void oracle_gru(size_t n, float *const in[], double *out[])
{
    oracle_gru_gates(n, in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7], out[0]);
}

static void oracle_rnn_tanh(size_t n, float *const in[], double *out[])
{
    oracle_rnn_tanh_gates(n, in[0], out[0]);
}
static void oracle_rnn_relu(size_t n, float *const in[], double *out[])
{
    oracle_rnn_relu_gates(n, in[0], out[0]);
}
static void oracle_rb_rz(size_t n, float *const in[], double *out[])
{
    oracle_gru_rb_rz_gates(n, in[0], in[1], in[2], out[0], out[1]);
}
static void oracle_rb_h(size_t n, float *const in[], double *out[])
{
    oracle_gru_rb_h_gates(n, in[0], in[1], in[2], out[0]);
}

/* |v|, or 0 when v is not finite (a saturated term adds no rounding error). */
static double mag(double v)
{
    return isfinite(v) ? fabs(v) : 0.0;
}

static double scale_lstm(float *const in[], const double *ref[], size_t j, int o)
{
    (void)ref;
    (void)o;
    return 1.0 + mag(in[4][j]);
}

static double scale_peephole(float *const in[], const double *ref[], size_t j, int o)
{
    double cp = in[7][j];
    double s = (1.0 + mag(cp)) * (1.0 + mag(in[4][j] * cp) + mag(in[5][j] * cp));
    if (o == 1)
        s = s * (1.0 + mag(in[6][j])) + mag(in[6][j] * ref[0][j]);
    return s;
}

/* The sums r_h + r_x and z_h + z_x are rounded before a sigmoid whose slope times its
 * argument stays below 0.23, so they add at most 0.23u times |hn| or |h_prev - n|: inside
 * these terms. */
static double scale_gru(float *const in[], const double *ref[], size_t j, int o)
{
    (void)ref;
    (void)o;
    return 1.0 + mag(in[2][j]) + mag(in[5][j]) + mag(in[6][j]) + mag(in[7][j]);
}

static double scale_coupled(float *const in[], const double *ref[], size_t j, int o)
{
    (void)ref;
    (void)o;
    return 1.0 + mag(in[3][j]);
}

/* The RNN's h is one tanh (4 ulp) or exact (ReLU) of a value below 1 or equal to it. */
static double scale_rnn(float *const in[], const double *ref[], size_t j, int o)
{
    (void)in;
    (void)ref;
    (void)j;
    (void)o;
    return 1.0;
}

/* rh = sigmoid(r) h_prev: 1 + |h_prev|; z: 1. h = n + z (h_prev - n): 1 + |h_prev|. */
static double scale_rb(float *const in[], const double *ref[], size_t j, int o)
{
    (void)ref;
    return o == 1 ? 1.0 : 1.0 + mag(in[2][j]);
}

/* The magnitude a function's rounding errors scale with, beyond |result|: the product and
 * sum inside Affine and HardSigmoid (rounded separately where a set has no FMA), alpha for
 * ScaledTanh and for Elu's e^x - 1 (cancellation). 2^-100 is the floor below which results
 * are underflow, which the vector math may flush (as vexp does below FLT_MIN). */
static double scale_vact(float *const in[], const double *ref[], size_t j, int o)
{
    (void)ref;
    (void)o;
    const double x = in[0][j], al = fabs(vact_case.alpha), be = fabs(vact_case.beta);
    double s = 0.0;
    switch (vact_case.fn) {
    case RNNRT_ACT_AFFINE:
    case RNNRT_ACT_HARD_SIGMOID: s = mag(al * x) + be; break;
    case RNNRT_ACT_SCALED_TANH: s = al; break;
    case RNNRT_ACT_ELU: s = x < 0 ? al : 0.0; break;
    default: break;
    }
    return fmax(s, 0x1p-100);
}

enum { F_VEXP, F_VSIGMOID, F_VTANH, F_LSTM, F_PEEPHOLE, F_COUPLED, F_GRU, F_RNN_TANH,
       F_RNN_RELU, F_RB_RZ, F_RB_H, F_VACT, F_COUNT };

/* clang-format off */
static const family families[F_COUNT] = {
    {"vexp", 1, 1, {"x"}, {"y"}, {IN_X}, {0, -1}, call_vexp, oracle_exp, NULL},
    {"vsigmoid", 1, 1, {"x"}, {"y"}, {IN_X}, {0, -1}, call_vsigmoid, oracle_sig, NULL},
    {"vtanh", 1, 1, {"x"}, {"y"}, {IN_X}, {0, -1}, call_vtanh, oracle_th, NULL},
    {"lstm_gates", 5, 2, {"i", "f", "g", "o", "c_prev"}, {"c", "h"},
     {IN_PREACT, IN_PREACT, IN_PREACT, IN_PREACT, IN_CELL}, {4, -1},
     call_lstm, oracle_lstm, scale_lstm},
    {"lstm_peephole_gates", 8, 2, {"i", "f", "g", "o", "p_i", "p_f", "p_o", "c_prev"},
     {"c", "h"},
     {IN_PREACT, IN_PREACT, IN_PREACT, IN_PREACT, IN_PEEP, IN_PEEP, IN_PEEP, IN_CELL}, {7, -1},
     call_peephole, oracle_peephole, scale_peephole},
    {"lstm_coupled_gates", 4, 2, {"f", "g", "o", "c_prev"}, {"c", "h"},
     {IN_PREACT, IN_PREACT, IN_PREACT, IN_CELL}, {3, -1},
     call_coupled, oracle_coupled, scale_coupled},
    {"gru_gates", 8, 1, {"r_h", "z_h", "n_h", "r_x", "z_x", "n_x", "b_hn", "h_prev"}, {"h"},
     {IN_PREACT, IN_PREACT, IN_PREACT, IN_PREACT, IN_PREACT, IN_PREACT, IN_PEEP, IN_HIDDEN},
     {7, -1}, call_gru, oracle_gru, scale_gru},
    {"rnn_tanh_gates", 1, 1, {"t"}, {"h"}, {IN_PREACT}, {-1, -1},
     call_rnn_tanh, oracle_rnn_tanh, scale_rnn},
    {"rnn_relu_gates", 1, 1, {"t"}, {"h"}, {IN_PREACT}, {-1, -1},
     call_rnn_relu, oracle_rnn_relu, scale_rnn},
    {"gru_rb_rz_gates", 3, 2, {"r", "z_pre", "h_prev"}, {"rh", "z"},
     {IN_PREACT, IN_PREACT, IN_HIDDEN}, {2, -1}, call_rb_rz, oracle_rb_rz, scale_rb},
    {"gru_rb_h_gates", 3, 1, {"t", "z", "h_prev"}, {"h"}, {IN_PREACT, IN_GATE, IN_HIDDEN},
     {2, -1}, call_rb_h, oracle_rb_h, scale_rb},
    {"vact", 1, 1, {"x"}, {"y"}, {IN_X}, {0, -1}, call_vact, oracle_act_case, scale_vact},
};
/* clang-format on */

/* ---- buffers ---------------------------------------------------------------------------- */

/* MAX_N floats whose end touches a PROT_NONE page: the n-float array ending there is
 * `end - n`, and reading one float past it faults. */
typedef struct guarded {
    unsigned char *map;
    size_t len;
    float *end;
} guarded;

static void guarded_alloc_floats(guarded *g, size_t floats)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t bytes = (floats * sizeof(float) + page - 1) / page * page;
    g->len = bytes + page;
    g->map = mmap(NULL, g->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(g->map != MAP_FAILED);
    assert_int_equal(mprotect(g->map + bytes, page, PROT_NONE), 0);
    g->end = (float *)(g->map + bytes);
}

static void guarded_alloc(guarded *g)
{
    guarded_alloc_floats(g, MAX_N);
}

static void guarded_free(guarded *g)
{
    munmap(g->map, g->len);
}

/* An output of n floats at `off` floats past a 64-byte boundary, canaries around it. */
typedef struct canaried {
    float *base; /* GUARD + 3 + MAX_N + GUARD floats, 64-byte aligned */
} canaried;

static float *canaried_arm(canaried *c, size_t off)
{
    uint32_t bits = CANARY;
    for (size_t k = 0; k < GUARD + 3 + MAX_N + GUARD; k++)
        memcpy(&c->base[k], &bits, sizeof bits);
    return c->base + GUARD + off;
}

/* The index of the first overwritten canary relative to the output start, or 0 if none. */
static long canaried_check(const canaried *c, size_t n, size_t off)
{
    const float *out = c->base + GUARD + off;
    for (long k = -(long)(GUARD + off); k < 0; k++)
        if (to_bits(out[k]) != CANARY)
            return k;
    for (size_t k = n; k < n + GUARD + 3 - off; k++)
        if (to_bits(out[k]) != CANARY)
            return (long)k;
    return 0;
}

/* ---- tiles ----------------------------------------------------------------------------- */

/* The harness keeps every input as a flat array of n units; a gate kernel gets them as a
 * tile of R rows of w = n / R units (R = 3, 2 or 1, the first that divides n), gates gs =
 * w + 3 floats apart, rows G gs + 5 apart, c rows w + 2 apart, h rows w + 1 apart: strides
 * that are neither the width nor multiples of a vector. The tiles and the state rows end at
 * a PROT_NONE page (a read past a row's last unit faults), output gaps hold canaries that
 * must survive. Per-unit weights (peepholes, b_hn) are shared by the rows: the layout
 * copies row 0's into the other rows of the flat input, so the oracle sees the same. */
typedef struct layout {
    size_t R, w, gs, ldt, ldc, ldh;
} layout;

#define TILE_FLOATS (4 * (MAX_N + 16))
static guarded tile_buf[3];   /* the gate tile(s), then the state rows */
static float *out_buf[2];     /* c and h rows, with canaries */

static layout layout_for(size_t n, int gates)
{
    layout L = {n % 3 == 0 ? 3 : n % 2 == 0 ? 2 : 1, 0, 0, 0, 0, 0};
    L.w = n / L.R;
    L.gs = L.w + 3;
    L.ldt = (size_t)gates * L.gs + 5;
    L.ldc = L.w + 2;
    L.ldh = L.w + 1;
    if (!tile_buf[0].map) {
        for (int k = 0; k < 3; k++)
            guarded_alloc_floats(&tile_buf[k], TILE_FLOATS);
        for (int k = 0; k < 2; k++)
            out_buf[k] = malloc((TILE_FLOATS + 2) * sizeof(float));
        assert_true(out_buf[0] && out_buf[1]);
    }
    return L;
}

/* Gates src[0..gates) as a tile ending at the page of buffer k. */
static const float *lay_tile(const layout *L, int k, float *const src[], int gates)
{
    float *t = tile_buf[k].end - ((L->R - 1) * L->ldt + (size_t)(gates - 1) * L->gs + L->w);
    for (size_t r = 0; r < L->R; r++)
        for (int q = 0; q < gates; q++)
            memcpy(t + r * L->ldt + (size_t)q * L->gs, src[q] + r * L->w, L->w * sizeof(float));
    return t;
}

/* Rows of stride ld ending at the page of buffer k. */
static float *lay_rows(const layout *L, int k, const float *src, size_t ld)
{
    float *t = tile_buf[k].end - ((L->R - 1) * ld + L->w);
    for (size_t r = 0; r < L->R; r++)
        memcpy(t + r * ld, src + r * L->w, L->w * sizeof(float));
    return t;
}

/* Per-unit weights: every row as row 0. */
static void share_rows(const layout *L, float *src)
{
    for (size_t r = 1; r < L->R; r++)
        memcpy(src + r * L->w, src, L->w * sizeof(float));
}

/* Output rows of stride ld in buffer o, canaries everywhere (one before the first row). */
static float *out_rows(int o, size_t ld, const layout *L)
{
    uint32_t bits = CANARY;
    for (size_t k = 0; k < L->R * ld + 2; k++)
        memcpy(&out_buf[o][k], &bits, sizeof bits);
    return out_buf[o] + 1;
}

/* The rows back into the flat output; a canary overwritten in a gap fails the test. */
static void take_rows(const layout *L, const float *rows, size_t ld, float *dst, bool canaried)
{
    for (size_t r = 0; r < L->R; r++)
        memcpy(dst + r * L->w, rows + r * ld, L->w * sizeof(float));
    if (!canaried)
        return;
    for (long k = -1; k < (long)(L->R * ld) + 1; k++) {
        long r = k < 0 ? -1 : k / (long)ld, j = k < 0 ? 0 : k % (long)ld;
        if ((r < 0 || (size_t)j >= L->w || (size_t)r >= L->R) && to_bits(rows[k]) != CANARY)
            fail_msg("gate kernel, %zu rows of %zu units: wrote float %ld of the output rows "
                     "(stride %zu), outside its units", L->R, L->w, k, ld);
    }
}

/* c and h of the LSTM families: c in place over c_prev when the harness asks for it. */
typedef struct lstm_io {
    layout L;
    const float *t;
    float *c_prev, *c, *h;
    bool in_place;
} lstm_io;

static lstm_io lstm_lay(size_t n, float *const in[], int gates, int c_prev_index, float *out[])
{
    lstm_io io = {layout_for(n, gates), NULL, NULL, NULL, NULL, false};
    io.t = lay_tile(&io.L, 0, in, gates);
    io.c_prev = lay_rows(&io.L, 2, in[c_prev_index], io.L.ldc);
    io.in_place = out[0] == in[c_prev_index];
    io.c = io.in_place ? io.c_prev : out_rows(0, io.L.ldc, &io.L);
    io.h = out_rows(1, io.L.ldh, &io.L);
    return io;
}

static void lstm_take(const lstm_io *io, float *out[])
{
    take_rows(&io->L, io->c, io->L.ldc, out[0], !io->in_place);
    take_rows(&io->L, io->h, io->L.ldh, out[1], true);
}

static void call_lstm(rnnrt_kernel_any_fn fn, size_t n, float *const in[], float *out[])
{
    lstm_io io = lstm_lay(n, in, 4, 4, out);
    ((rnnrt_f32_lstm_gates_fn)fn)(io.L.R, io.L.w, io.t, io.L.ldt, io.L.gs, io.c_prev, io.c,
                                  io.L.ldc, io.h, io.L.ldh);
    lstm_take(&io, out);
}

static void call_peephole(rnnrt_kernel_any_fn fn, size_t n, float *const in[], float *out[])
{
    lstm_io io = lstm_lay(n, in, 4, 7, out);
    for (int a = 4; a < 7; a++)
        share_rows(&io.L, in[a]);
    ((rnnrt_f32_lstm_peephole_gates_fn)fn)(io.L.R, io.L.w, io.t, io.L.ldt, io.L.gs, in[4],
                                           in[5], in[6], io.c_prev, io.c, io.L.ldc, io.h,
                                           io.L.ldh);
    lstm_take(&io, out);
}

static void call_coupled(rnnrt_kernel_any_fn fn, size_t n, float *const in[], float *out[])
{
    lstm_io io = lstm_lay(n, in, 3, 3, out);
    ((rnnrt_f32_lstm_coupled_gates_fn)fn)(io.L.R, io.L.w, io.t, io.L.ldt, io.L.gs, io.c_prev,
                                          io.c, io.L.ldc, io.h, io.L.ldh);
    lstm_take(&io, out);
}

static void call_gru(rnnrt_kernel_any_fn fn, size_t n, float *const in[], float *out[])
{
    layout L = layout_for(n, 3);
    share_rows(&L, in[6]);
    const float *ht = lay_tile(&L, 0, in, 3), *xt = lay_tile(&L, 1, in + 3, 3);
    float *h_prev = lay_rows(&L, 2, in[7], L.ldh);
    bool in_place = out[0] == in[7];
    float *h = in_place ? h_prev : out_rows(0, L.ldh, &L);
    ((rnnrt_f32_gru_gates_fn)fn)(L.R, L.w, ht, L.ldt, L.gs, xt, L.ldt, in[6], h_prev, h,
                                 L.ldh);
    take_rows(&L, h, L.ldh, out[0], !in_place);
}

/* The RNN families share a signature: one gate block in, h out. */
static void call_rnn(rnnrt_f32_rnn_tanh_gates_fn fn, size_t n, float *const in[], float *out[])
{
    layout L = layout_for(n, 1);
    const float *t = lay_tile(&L, 0, in, 1);
    float *h = out_rows(0, L.ldh, &L);
    fn(L.R, L.w, t, L.ldt, h, L.ldh);
    take_rows(&L, h, L.ldh, out[0], true);
}

static void call_rnn_tanh(rnnrt_kernel_any_fn fn, size_t n, float *const in[], float *out[])
{
    call_rnn((rnnrt_f32_rnn_tanh_gates_fn)fn, n, in, out);
}

static void call_rnn_relu(rnnrt_kernel_any_fn fn, size_t n, float *const in[], float *out[])
{
    call_rnn((rnnrt_f32_rnn_relu_gates_fn)fn, n, in, out);
}

/* The reset-before GRU's first kernel: r and z as a 2-gate tile; h_prev, rh and z share a
 * stride (rh in place over h_prev when the harness asks for it). */
static void call_rb_rz(rnnrt_kernel_any_fn fn, size_t n, float *const in[], float *out[])
{
    layout L = layout_for(n, 2);
    const float *t = lay_tile(&L, 0, in, 2);
    float *h_prev = lay_rows(&L, 2, in[2], L.ldh);
    bool in_place = out[0] == in[2];
    float *rh = in_place ? h_prev : out_rows(0, L.ldh, &L), *z = out_rows(1, L.ldh, &L);
    ((rnnrt_f32_gru_rb_rz_gates_fn)fn)(L.R, L.w, t, L.ldt, L.gs, h_prev, rh, z, L.ldh);
    take_rows(&L, rh, L.ldh, out[0], !in_place);
    take_rows(&L, z, L.ldh, out[1], true);
}

/* Its second kernel: the candidate's one-block tile, z and h_prev rows (h in place over
 * h_prev when asked). */
static void call_rb_h(rnnrt_kernel_any_fn fn, size_t n, float *const in[], float *out[])
{
    layout L = layout_for(n, 1);
    const float *t = lay_tile(&L, 0, in, 1);
    const float *z = lay_rows(&L, 1, in[1], L.ldh);
    float *h_prev = lay_rows(&L, 2, in[2], L.ldh);
    bool in_place = out[0] == in[2];
    float *h = in_place ? h_prev : out_rows(0, L.ldh, &L);
    ((rnnrt_f32_gru_rb_h_gates_fn)fn)(L.R, L.w, t, L.ldt, z, h_prev, h, L.ldh);
    take_rows(&L, h, L.ldh, out[0], !in_place);
}

/* ---- comparison ------------------------------------------------------------------------- */

static int64_t float_ord(float f)
{
    uint32_t u = to_bits(f);
    return (u & 0x80000000u) ? -(int64_t)(u & 0x7fffffffu) : (int64_t)u;
}

static int64_t ulp_dist(float a, float b)
{
    return llabs(float_ord(a) - float_ord(b));
}

/* Vector math: 4 ulp from the correctly rounded result (tiny references may give 0). */
static bool vmath_ok(float got, double ref, int64_t max_ulp)
{
    if (isnan(ref) || isnan(got))
        return isnan(ref) && isnan(got);
    if (fabs(ref) < FLT_MIN && got == 0.0f)
        return true;
    return ulp_dist(got, (float)ref) <= max_ulp;
}

/* Gate kernels: within max(ABS_TOL * scale, REL_TOL * |ref|) times factor. *worst keeps
 * the largest error seen as a fraction of the tolerance (for the margin report). */
static bool gate_ok(float got, double ref, double scale, double factor, double *worst)
{
    if (isnan(ref) || isnan(got))
        return isnan(ref) && isnan(got);
    if (isinf(ref) || isinf(got))
        return (double)got == ref;
    double tol = fmax(factor * ABS_TOL * scale, factor * REL_TOL * fabs(ref));
    double err = fabs((double)got - ref);
    if (worst && err / tol > *worst)
        *worst = err / tol;
    return err <= tol;
}

/* ---- the test --------------------------------------------------------------------------- */

/* The scalar kernel of a slot, the second reference. */
static const rnnrt_kernel_info *scalar_of(const char *slot)
{
    size_t count;
    const rnnrt_kernel_info *list = rnnrt_kernel_list(&count);
    for (size_t e = 0; e < count; e++)
        if (!strcmp(list[e].set, "scalar") && !strcmp(list[e].slot, slot))
            return &list[e];
    return NULL;
}

/* The test family of a kernel line: its slot names it. */
static const family *family_of(const rnnrt_kernel_info *e)
{
    for (int f = 0; f < F_COUNT; f++)
        if (!strcmp(families[f].name, e->slot))
            return &families[f];
    return NULL;
}

typedef struct ctx {
    const family *fm;
    const rnnrt_kernel_info *k, *scalar; /* the kernel under test, the scalar one */
    guarded in_buf[MAX_IN];
    canaried out_buf[2], scalar_buf[2];
    float *one_out[2];
    double *ref[2];
    float *alias[2];
    double worst; /* largest error against the oracle, as a fraction of the tolerance */
} ctx;

static void describe(const ctx *c, int regime, size_t n, size_t off, uint64_t seed, size_t j,
                     float *const in[], char *buf, size_t size)
{
    int len = snprintf(buf, size,
                       "isa %s, %s%s, regime %s, n=%zu, offset %zu, seed %" PRIu64
                       ", element %zu, inputs",
                       c->k->set, c->fm->name, c->fm == &families[F_VACT] ? vact_label : "",
                       regime_names[regime], n, off, seed, j);
    for (int a = 0; a < c->fm->n_in && len > 0 && (size_t)len < size; a++)
        len += snprintf(buf + len, size - (size_t)len, " %s=%a", c->fm->in_names[a],
                        (double)in[a][j]);
}

static void check_outputs(ctx *c, int regime, size_t n, size_t off, uint64_t seed,
                          float *const in[], float *const got[], float *const sc[])
{
    char what[768];
    for (int o = 0; o < c->fm->n_out; o++) {
        for (size_t j = 0; j < n; j++) {
            bool ok_ref, ok_scalar;
            double ref = c->ref[o][j];
            if (!c->fm->scale) {
                ok_ref = vmath_ok(got[o][j], ref, VMATH_ULP);
                /* both within 4 ulp of one float, or both tiny (either may flush) */
                ok_scalar = vmath_ok(got[o][j], sc[o][j], 2 * VMATH_ULP) ||
                            (fabsf(got[o][j]) < FLT_MIN && fabsf(sc[o][j]) < FLT_MIN);
            } else {
                const double *refs[2] = {c->ref[0], c->ref[1]};
                double s = c->fm->scale(in, refs, j, o);
                ok_ref = gate_ok(got[o][j], ref, s, 1.0, &c->worst);
                ok_scalar = gate_ok(got[o][j], sc[o][j], s, 2.0, NULL);
            }
            if (ok_ref && ok_scalar)
                continue;
            describe(c, regime, n, off, seed, j, in, what, sizeof what);
            fail_msg("%s: %s = %a (%.9g), oracle %.17g, scalar set %a", what,
                     c->fm->out_names[o], (double)got[o][j], (double)got[o][j], ref,
                     (double)sc[o][j]);
        }
    }
}

/* The same bits, or both NaN: which NaN payload survives an operation with several NaN
 * operands depends on operand order, which the compiler may choose differently for the main
 * loop and the tail. */
static bool same_result(float a, float b)
{
    return to_bits(a) == to_bits(b) || (isnan(a) && isnan(b));
}

/* Each unit alone (n = 1) gives the same bits as within the whole call. */
static void check_position_independence(ctx *c, size_t n, float *const in[],
                                        float *const got[])
{
    for (size_t j = 0; j < n; j++) {
        float *in1[MAX_IN];
        for (int a = 0; a < c->fm->n_in; a++)
            in1[a] = in[a] + j;
        c->fm->call(c->k->fn, 1, in1, c->one_out);
        for (int o = 0; o < c->fm->n_out; o++)
            if (!same_result(c->one_out[o][0], got[o][j]))
                fail_msg("isa %s, %s, n=%zu: %s[%zu] = %a within the call but %a alone",
                         c->k->set, c->fm->name, n, c->fm->out_names[o], j, (double)got[o][j],
                         (double)c->one_out[o][0]);
    }
}

/* In place: output o overwrites input alias_in[o]; the bits must not change. */
static void check_in_place(ctx *c, size_t n, float *const in[], float *const got[])
{
    float *in2[MAX_IN], *out2[2];
    for (int a = 0; a < c->fm->n_in; a++)
        in2[a] = in[a];
    for (int o = 0; o < c->fm->n_out; o++) {
        out2[o] = c->alias[o];
        int a = c->fm->alias_in[o];
        if (a >= 0) {
            memcpy(c->alias[o], in[a], n * sizeof(float));
            in2[a] = c->alias[o];
        }
    }
    c->fm->call(c->k->fn, n, in2, out2);
    for (int o = 0; o < c->fm->n_out; o++)
        for (size_t j = 0; j < n; j++)
            if (!same_result(out2[o][j], got[o][j]))
                fail_msg("isa %s, %s, n=%zu: in place %s[%zu] = %a, %a otherwise", c->k->set,
                         c->fm->name, n, c->fm->out_names[o], j, (double)out2[o][j],
                         (double)got[o][j]);
}

static void run_shape(ctx *c, int regime, size_t n, size_t off)
{
    uint64_t seed = base_seed ^ ((uint64_t)regime << 40) ^ ((uint64_t)n << 8) ^ off ^
                    ((uint64_t)(c->fm - families) << 48);
    rng r = {seed};
    float *in[MAX_IN], *got[2], *sc[2];
    for (int a = 0; a < c->fm->n_in; a++) {
        in[a] = c->in_buf[a].end - n;
        for (size_t j = 0; j < n; j++)
            in[a][j] = draw(&r, c->fm->kinds[a], regime);
    }
    for (int o = 0; o < c->fm->n_out; o++) {
        got[o] = canaried_arm(&c->out_buf[o], off);
        sc[o] = canaried_arm(&c->scalar_buf[o], 0);
    }
    c->fm->call(c->k->fn, n, in, got);
    c->fm->call(c->scalar->fn, n, in, sc);
    c->fm->oracle(n, in, c->ref);
    for (int o = 0; o < c->fm->n_out; o++) {
        long bad = canaried_check(&c->out_buf[o], n, off);
        if (bad)
            fail_msg("isa %s, %s, regime %s, n=%zu, offset %zu: %s[%ld] written (out of "
                     "bounds)",
                     c->k->set, c->fm->name, regime_names[regime], n, off, c->fm->out_names[o],
                     bad);
    }
    check_outputs(c, regime, n, off, seed, in, got, sc);
    if (off == 1) {
        check_position_independence(c, n, in, got);
        check_in_place(c, n, in, got);
    }
}

static void kernel_family(void **state)
{
    const rnnrt_kernel_info *e = *state;
    ctx c;
    memset(&c, 0, sizeof c);
    c.fm = family_of(e);
    c.k = e;
    c.scalar = scalar_of(e->slot);
    assert_non_null(c.fm);
    assert_non_null(c.scalar);
    for (int a = 0; a < c.fm->n_in; a++)
        guarded_alloc(&c.in_buf[a]);
    size_t cap = GUARD + 3 + MAX_N + GUARD;
    for (int o = 0; o < c.fm->n_out; o++) {
        c.out_buf[o].base = aligned_alloc(64, (cap * sizeof(float) + 63) / 64 * 64);
        c.scalar_buf[o].base = aligned_alloc(64, (cap * sizeof(float) + 63) / 64 * 64);
        c.ref[o] = malloc(MAX_N * sizeof(double));
        c.one_out[o] = malloc(sizeof(float));
        c.alias[o] = malloc(MAX_N * sizeof(float));
        assert_true(c.out_buf[o].base && c.scalar_buf[o].base && c.ref[o] && c.one_out[o] &&
                    c.alias[o]);
    }
    static const size_t big[] = {128, 1000, MAX_N};
    for (int regime = 0; regime < REG_COUNT; regime++) {
        for (size_t n = 1; n <= 67 + sizeof big / sizeof big[0]; n++) {
            size_t len = n <= 67 ? n : big[n - 68];
            for (size_t off = 0; off < 4; off++)
                run_shape(&c, regime, len, off);
        }
    }
    if (c.fm->scale)
        print_message("[  INFO    ] %s: largest error %.3f of the tolerance\n", e->name,
                      c.worst);
    for (int a = 0; a < c.fm->n_in; a++)
        guarded_free(&c.in_buf[a]);
    for (int o = 0; o < c.fm->n_out; o++) {
        free(c.out_buf[o].base);
        free(c.scalar_buf[o].base);
        free(c.ref[o]);
        free(c.one_out[o]);
        free(c.alias[o]);
    }
}

/* Every activation function, with parameters of both signs, zero and those of Keras'
 * hard sigmoids, through the elementwise harness above. */
static void vact_kernel(void **state)
{
    static const struct { const char *label; rnnrt_activation a; } cases[] = {
        {" Sigmoid", {RNNRT_ACT_SIGMOID, 0, 0}},
        {" Tanh", {RNNRT_ACT_TANH, 0, 0}},
        {" Relu", {RNNRT_ACT_RELU, 0, 0}},
        {" Affine(1.5,-0.25)", {RNNRT_ACT_AFFINE, 1.5f, -0.25f}},
        {" Affine(-0.5,2)", {RNNRT_ACT_AFFINE, -0.5f, 2.0f}},
        {" Affine(0,0.75)", {RNNRT_ACT_AFFINE, 0.0f, 0.75f}},
        {" LeakyRelu(0.01)", {RNNRT_ACT_LEAKY_RELU, 0.01f, 0}},
        {" LeakyRelu(-1.5)", {RNNRT_ACT_LEAKY_RELU, -1.5f, 0}},
        {" LeakyRelu(0)", {RNNRT_ACT_LEAKY_RELU, 0.0f, 0}},
        {" ThresholdedRelu(1)", {RNNRT_ACT_THRESHOLDED_RELU, 1.0f, 0}},
        {" ThresholdedRelu(-0.5)", {RNNRT_ACT_THRESHOLDED_RELU, -0.5f, 0}},
        {" ScaledTanh(1.7159,0.6667)", {RNNRT_ACT_SCALED_TANH, 1.7159f, 0.6667f}},
        {" ScaledTanh(-2,-0.5)", {RNNRT_ACT_SCALED_TANH, -2.0f, -0.5f}},
        {" HardSigmoid(0.2,0.5)", {RNNRT_ACT_HARD_SIGMOID, 0.2f, 0.5f}},
        {" HardSigmoid(1/6,0.5)", {RNNRT_ACT_HARD_SIGMOID, 1.0f / 6.0f, 0.5f}},
        {" HardSigmoid(-3,1.25)", {RNNRT_ACT_HARD_SIGMOID, -3.0f, 1.25f}},
        {" Elu(1)", {RNNRT_ACT_ELU, 1.0f, 0}},
        {" Elu(0.3)", {RNNRT_ACT_ELU, 0.3f, 0}},
        {" Elu(-2)", {RNNRT_ACT_ELU, -2.0f, 0}},
        {" Softsign", {RNNRT_ACT_SOFTSIGN, 0, 0}},
        {" Softplus", {RNNRT_ACT_SOFTPLUS, 0, 0}},
    };
    int seen[RNNRT_ACT_FUNCTIONS] = {0};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        vact_case = cases[k].a;
        vact_label = cases[k].label;
        seen[cases[k].a.fn] = 1;
        kernel_family(state);
    }
    for (int f = 0; f < RNNRT_ACT_FUNCTIONS; f++)
        if (!seen[f])
            fail_msg("vact: function %d has no case", f);
}

/* ---- GEMM microkernels ------------------------------------------------------------------ */

/* sum_k a[k] b[k * ldb] in double; *abs_sum gets sum_k |a[k] b[k * ldb]|. */
static double column_dot(const float *a, const float *b, size_t kc, size_t ldb, double *abs_sum)
{
    double sum = 0;
    *abs_sum = 0;
    for (size_t k = 0; k < kc; k++) {
        double p = (double)a[k] * b[k * ldb];
        sum += p;
        *abs_sum += fabs(p);
    }
    return sum;
}

/* A GEMM microkernel of any weight type under test: its panel as stored (f32, bf16 or int8
 * and the int8 column scales) and as the float32 values the kernel must multiply by. */
typedef struct gemm_panel {
    const rnnrt_kernel_info *e;
    void *stored;
    float *scale;
    float *value; /* [kc][NR] */
} gemm_panel;

static float bf16_value(uint16_t v)
{
    return from_bits((uint32_t)v << 16);
}

/* Random weights in [-1, 1] in the kernel's type. int8 scales span 2^-10 to 1 and include
 * a zero column (an all-zero row of a real matrix gets scale 0). */
static void fill_panel(gemm_panel *g, rng *r, size_t kc, size_t NR)
{
    const char *t = g->e->dtype;
    for (size_t j = 0; j < NR && !strcmp(t, "int8"); j++)
        g->scale[j] = j == 1 ? 0.0f : ldexpf(uniform(r, 1, 2), -(int)(j % 11)) / 2;
    for (size_t k = 0; k < kc * NR; k++) {
        float w = uniform(r, -1, 1);
        if (!strcmp(t, "bf16")) {
            uint16_t v = (uint16_t)(to_bits(w) >> 16);
            ((uint16_t *)g->stored)[k] = v;
            g->value[k] = bf16_value(v);
        } else if (!strcmp(t, "int8")) {
            int8_t q = (int8_t)lrintf(w * 127);
            ((int8_t *)g->stored)[k] = q;
            g->value[k] = (float)q * g->scale[k % NR]; /* rounded to float, as documented */
        } else {
            ((float *)g->stored)[k] = w;
            g->value[k] = w;
        }
    }
}

static void call_gemm(const gemm_panel *g, size_t mr, size_t kc, const float *a, size_t lda,
                      const float *init, size_t ld_init, float *c, size_t ldc)
{
    if (!strcmp(g->e->dtype, "bf16"))
        ((rnnrt_bf16_gemm_fn)g->e->fn)(mr, kc, a, lda, g->stored, init, ld_init, c, ldc);
    else if (!strcmp(g->e->dtype, "int8"))
        ((rnnrt_int8_gemm_fn)g->e->fn)(mr, kc, a, lda, g->stored, g->scale, init, ld_init, c,
                                       ldc);
    else
        ((rnnrt_f32_gemm_fn)g->e->fn)(mr, kc, a, lda, g->stored, init, ld_init, c, ldc);
}

/* Every row count 1..MR, k-blocks of 1 to 130 (below, at and above the vector widths, odd),
 * four kinds of initial value (none, a broadcast row, rows, in place), A and C off 64-byte
 * alignment with padded strides, for each weight type. Checked: each result against a
 * double sum over the weights' float32 values within (kc + 2) u (sum |a b| + |init|), the
 * bound of kc + 1 rounded additions (the widening itself is exact for bf16; for int8 the
 * kernel must use the rounded product q * scale, which the oracle uses too); no write
 * outside rows < mr and columns < NR (canaries); every row bitwise equal whatever mr it came
 * with, which the blocked forward pass relies on for results independent of the thread
 * count; and a bf16 or int8 tile bitwise equal to its set's f32 tile of the same shape on
 * the widened panel, so that a reduced-precision model is an f32 model with rounded
 * weights on every path. */
static void gemm_kernel(void **state)
{
    const rnnrt_kernel_info *e = *state;
    static const size_t kcs[] = {1, 2, 3, 7, 16, 33, 130};
    const size_t MR = (size_t)e->mr, NR = (size_t)e->nr, ldc = NR + 5, ld_init = NR + 3;
    const rnnrt_kernel_info *twin = NULL; /* the set's f32 kernel of this shape */
    size_t count;
    const rnnrt_kernel_info *list = rnnrt_kernel_list(&count);
    for (size_t i = 0; i < count && strcmp(e->dtype, "f32"); i++)
        if (!strcmp(list[i].set, e->set) && !strcmp(list[i].dtype, "f32") &&
            !strcmp(list[i].family, "gemm") && list[i].mr == e->mr && list[i].nr == e->nr &&
            !twin)
            twin = &list[i];
    assert_true(MR >= 1 && MR <= 8 && NR >= 1);
    for (size_t ki = 0; ki < sizeof kcs / sizeof kcs[0]; ki++) {
        const size_t kc = kcs[ki], lda = kc + 3;
        rng r = {base_seed ^ (kc << 16) ^ NR};
        gemm_panel g = {.e = e};
        g.stored = aligned_alloc(64, (kc * NR * sizeof(float) + 63) / 64 * 64);
        g.value = aligned_alloc(64, (kc * NR * sizeof(float) + 63) / 64 * 64);
        g.scale = malloc(NR * sizeof(float));
        float *a = malloc((1 + MR * lda) * sizeof(float));
        float *init = malloc((1 + MR * ld_init) * sizeof(float));
        float *c = malloc((2 + MR * ldc) * sizeof(float));
        float *full = malloc(MR * NR * sizeof(float));
        float *same = malloc(MR * ldc * sizeof(float));
        assert_true(a && g.stored && g.value && g.scale && init && c && full && same);
        fill_panel(&g, &r, kc, NR);
        for (size_t k = 0; k < 1 + MR * lda; k++)
            a[k] = uniform(&r, -1, 1);
        for (size_t k = 0; k < 1 + MR * ld_init; k++)
            init[k] = uniform(&r, -1, 1);
        const float *au = a + 1, *iu = init + 1;
        float *cu = c + 1;
        for (int mode = 0; mode < 4; mode++) {
            for (size_t mr = MR; mr >= 1; mr--) {
                for (size_t k = 0; k < 2 + MR * ldc; k++)
                    c[k] = from_bits(CANARY);
                const float *ip = mode == 0 ? NULL : mode == 3 ? cu : iu;
                size_t ldi = mode == 2 ? ld_init : mode == 3 ? ldc : 0;
                if (mode == 3)
                    for (size_t m = 0; m < mr; m++)
                        memcpy(cu + m * ldc, iu + m * ld_init, NR * sizeof(float));
                if (twin) { /* the f32 tile on the widened panel, from the same start */
                    const float *tp = mode == 3 ? same : ip;
                    if (mode == 3)
                        for (size_t m = 0; m < mr; m++)
                            memcpy(same + m * ldc, iu + m * ld_init, NR * sizeof(float));
                    ((rnnrt_f32_gemm_fn)twin->fn)(mr, kc, au, lda, g.value, tp, ldi, same, ldc);
                }
                call_gemm(&g, mr, kc, au, lda, ip, ldi, cu, ldc);
                check_outside_tile(e->name, c, MR, ldc, mr, NR, kc, mode);
                for (size_t m = 0; m < mr; m++)
                    for (size_t j = 0; j < NR; j++) {
                        double iv = mode == 0 ? 0 : mode == 1 ? iu[j] : iu[m * ld_init + j];
                        double abs_sum,
                            ref = iv + column_dot(au + m * lda, g.value + j, kc, NR, &abs_sum);
                        float got = cu[m * ldc + j];
                        double tol = (double)(kc + 2) * U_ROUND * (abs_sum + fabs(iv));
                        if (!(fabs(got - ref) <= tol))
                            fail_msg("%s: mr %zu kc %zu init mode %d seed %" PRIu64
                                     ": c[%zu][%zu] = %.9g, expected %.17g", e->name, mr, kc,
                                     mode, base_seed, m, j, (double)got, ref);
                        if (twin && to_bits(got) != to_bits(same[m * ldc + j]))
                            fail_msg("%s: mr %zu kc %zu init mode %d: c[%zu][%zu] = %a, its "
                                     "f32 twin %s gives %a", e->name, mr, kc, mode, m, j,
                                     (double)got, twin->name, (double)same[m * ldc + j]);
                        if (mr == MR)
                            full[m * NR + j] = got;
                        else if (to_bits(got) != to_bits(full[m * NR + j]))
                            fail_msg("%s: kc %zu init mode %d: c[%zu][%zu] = %a with mr %zu, "
                                     "%a with mr %zu", e->name, kc, mode, m, j, (double)got, mr,
                                     (double)full[m * NR + j], MR);
                    }
            }
        }
#ifdef NDEBUG
        /* Outside the contract (asserted in debug builds): no tile of another height. */
        for (size_t k = 0; k < 2 + MR * ldc; k++)
            c[k] = from_bits(CANARY);
        call_gemm(&g, 0, kc, au, lda, NULL, 0, cu, ldc);
        call_gemm(&g, MR + 1, kc, au, lda, NULL, 0, cu, ldc);
        for (size_t k = 0; k < 2 + MR * ldc; k++)
            if (to_bits(c[k]) != CANARY)
                fail_msg("%s: mr 0 or %zu (outside 1..%zu) wrote c", e->name, MR + 1, MR);
#endif
        free(a);
        free(g.stored);
        free(g.value);
        free(g.scale);
        free(init);
        free(c);
        free(full);
        free(same);
    }
}

static void call_pair(const rnnrt_kernel_info *e, size_t kc, const float *a, const void *b,
                      size_t next, const float *scale, const float *init, float *c)
{
    if (!strcmp(e->dtype, "bf16"))
        ((rnnrt_bf16_gemm_pair_fn)e->fn)(kc, a, b, next, init, c);
    else if (!strcmp(e->dtype, "int8"))
        ((rnnrt_int8_gemm_pair_fn)e->fn)(kc, a, b, next, scale, init, c);
    else
        ((rnnrt_f32_gemm_pair_fn)e->fn)(kc, a, b, next, init, c);
}

/* A pair tile (one row over two panels) for k-blocks of 1 to 130 and three kinds of
 * initial value (none, given, in place), A and C off 64-byte alignment, the second panel
 * a gap away from the first. Checked: each result against the double sum within the bound
 * of gemm_kernel; no write outside its 2 NR floats; and every output bitwise equal to the
 * set's one-panel tile of this type and nr at one row, on each panel, so that a batch of
 * one (which runs the pair) gives the bytes of the same row in any other batch. */
static void gemm_pair_kernel(void **state)
{
    const rnnrt_kernel_info *e = *state;
    static const size_t kcs[] = {1, 2, 3, 7, 16, 33, 130};
    const size_t NR = (size_t)e->nr;
    const rnnrt_kernel_info *single = NULL;
    size_t count;
    const rnnrt_kernel_info *list = rnnrt_kernel_list(&count);
    for (size_t i = 0; i < count && !single; i++)
        if (!strcmp(list[i].set, e->set) && !strcmp(list[i].dtype, e->dtype) &&
            !strcmp(list[i].family, "gemm") && list[i].nr == e->nr)
            single = &list[i];
    assert_non_null(single);
    const size_t es = !strcmp(e->dtype, "f32") ? 4 : !strcmp(e->dtype, "bf16") ? 2 : 1;
    for (size_t ki = 0; ki < sizeof kcs / sizeof kcs[0]; ki++) {
        const size_t kc = kcs[ki], next = (kc * NR + 15) / 16 * 16 + 16; /* 64-byte steps */
        rng r = {base_seed ^ (kc << 16) ^ (NR << 4) ^ 7};
        gemm_panel g[2];
        char *both = aligned_alloc(64, ((next + kc * NR) * es + 63) / 64 * 64);
        float *scale = malloc(2 * NR * sizeof(float));
        float *a = malloc((kc + 1) * sizeof(float)), *init = malloc((2 * NR + 1) * sizeof(float));
        float *c = malloc((2 * NR + 2) * sizeof(float)), *one = malloc(2 * NR * sizeof(float));
        assert_true(both && scale && a && init && c && one);
        for (int q = 0; q < 2; q++) {
            g[q] = (gemm_panel){.e = single};
            g[q].stored = aligned_alloc(64, (kc * NR * sizeof(float) + 63) / 64 * 64);
            g[q].value = aligned_alloc(64, (kc * NR * sizeof(float) + 63) / 64 * 64);
            g[q].scale = scale + q * NR;
            assert_true(g[q].stored && g[q].value);
            fill_panel(&g[q], &r, kc, NR);
            memcpy(both + (q ? next : 0) * es, g[q].stored, kc * NR * es);
        }
        for (size_t k = 0; k <= kc; k++)
            a[k] = uniform(&r, -1, 1);
        for (size_t k = 0; k <= 2 * NR; k++)
            init[k] = uniform(&r, -1, 1);
        const float *au = a + 1, *iu = init + 1;
        float *cu = c + 1;
        for (int mode = 0; mode < 3; mode++) {
            for (size_t k = 0; k < 2 * NR + 2; k++)
                c[k] = from_bits(CANARY);
            if (mode == 2)
                memcpy(cu, iu, 2 * NR * sizeof(float));
            const float *ip = mode == 0 ? NULL : mode == 1 ? iu : cu;
            for (int q = 0; q < 2; q++) /* the one-panel tile at one row, on each panel */
                call_gemm(&g[q], 1, kc, au, kc, mode ? iu + q * NR : NULL, 0, one + q * NR, NR);
            call_pair(e, kc, au, both, next, scale, ip, cu);
            if (to_bits(c[0]) != CANARY || to_bits(c[2 * NR + 1]) != CANARY)
                fail_msg("%s: kc %zu init mode %d wrote outside its 2 x %zu floats", e->name,
                         kc, mode, NR);
            for (size_t j = 0; j < 2 * NR; j++) {
                const size_t q = j / NR, col = j % NR;
                double iv = mode ? iu[j] : 0, abs_sum,
                       ref = iv + column_dot(au, g[q].value + col, kc, NR, &abs_sum);
                double tol = (double)(kc + 2) * U_ROUND * (abs_sum + fabs(iv));
                if (!(fabs(cu[j] - ref) <= tol))
                    fail_msg("%s: kc %zu init mode %d seed %" PRIu64 ": c[%zu] = %.9g, "
                             "expected %.17g", e->name, kc, mode, base_seed, j, (double)cu[j],
                             ref);
                if (to_bits(cu[j]) != to_bits(one[j]))
                    fail_msg("%s: kc %zu init mode %d: c[%zu] = %a, %s at one row gives %a",
                             e->name, kc, mode, j, (double)cu[j], single->name, (double)one[j]);
            }
        }
        for (int q = 0; q < 2; q++) {
            free(g[q].stored);
            free(g[q].value);
        }
        free(both);
        free(scale);
        free(a);
        free(init);
        free(c);
        free(one);
    }
}

/* ---- int8 dot-product tiles (rnnrt_int8dot_gemm_t, rnnrt_int8dot_gemm_pair_t) ---------- */

/* What every int8dot kernel must give, byte for byte (simd/kernels.h): the exact int32 sum
 * over k of a * w, then one fused multiply-add by a_scale * scale[j] onto init (+0 when
 * there is none). Weights in the panel layout [kc / 4][NR][4]. */
static float int8dot_expected(const int8_t *a, const int8_t *b, size_t kc, size_t NR, size_t j,
                              float a_scale, float scale, const float *init)
{
    int64_t sum = 0;
    for (size_t k = 0; k < kc; k++)
        sum += (int64_t)a[k] * b[(k / 4) * 4 * NR + 4 * j + k % 4];
    assert_true(sum >= INT32_MIN && sum <= INT32_MAX);
    return fmaf((float)sum, a_scale * scale, init ? *init : 0.0f);
}

/* The k lengths of the int8dot cases: multiples of 4 from one group to 2048 (whose largest
 * sums, 2048 * 127 * 127, use 25 bits of the int32). */
static const size_t int8dot_kcs[] = {4, 8, 36, 132, 2048};

/* int8 in [-127, 127], with runs of the extremes and of zeros (the sign trick of the AVX2
 * tiles meets |a| = 127 against w = +-127, and a = 0). */
static void fill_int8(int8_t *q, size_t n, rng *r)
{
    for (size_t i = 0; i < n; i++) {
        const uint64_t u = rng_next(r) % 16;
        q[i] = u == 0 ? 127 : u == 1 ? -127 : u == 2 ? 0 : (int8_t)(rng_next(r) % 255 - 127);
    }
}

/* Every row count 1..MR, every kc of int8dot_kcs, four kinds of init (none, a broadcast row, rows, in place), rows of A and C with padded
 * strides, scales over ten binades and a zero column scale. Checked: every output equal to
 * int8dot_expected bit for bit, and no write outside rows < mr and columns < NR. */
static void int8dot_gemm_kernel(void **state)
{
    const rnnrt_kernel_info *e = *state;
    const size_t MR = (size_t)e->mr, NR = (size_t)e->nr, ldc = NR + 5, ld_init = NR + 3;
    assert_true(MR >= 1 && MR <= 16 && NR >= 1 && e->kgroup == 4);
    for (size_t ki = 0; ki < sizeof int8dot_kcs / sizeof int8dot_kcs[0]; ki++) {
        const size_t kc = int8dot_kcs[ki], lda = kc + 8;
        rng r = {base_seed ^ (kc << 20) ^ (NR << 4) ^ 11};
        const size_t panel = (kc + RNNRT_INT8DOT_SUM_ROWS) * NR; /* with its column sums */
        int8_t *b = aligned_alloc(64, (panel + 63) / 64 * 64), *a = malloc(MR * lda);
        float *scale = malloc(NR * sizeof(float)), *a_scale = malloc(MR * sizeof(float));
        float *init = malloc(MR * ld_init * sizeof(float)), *c = malloc((2 + MR * ldc) * sizeof(float));
        assert_true(b && a && scale && a_scale && init && c);
        fill_int8(b, kc * NR, &r);
        rnnrt_int8dot_column_sums(NR, kc, b);
        fill_int8(a, MR * lda, &r);
        for (size_t j = 0; j < NR; j++)
            scale[j] = j == 2 ? 0.0f : ldexpf(uniform(&r, 1, 2), -(int)(j % 10)) / 127;
        for (size_t m = 0; m < MR; m++)
            a_scale[m] = uniform(&r, 0.001, 2) / 127;
        for (size_t k = 0; k < MR * ld_init; k++)
            init[k] = uniform(&r, -1, 1);
        float *cu = c + 1;
        for (int mode = 0; mode < 4; mode++)
            for (size_t mr = MR; mr >= 1; mr--) {
                canaries_then_init(c, MR, ldc, mode == 3 ? mr : 0, NR, init, ld_init);
                const float *ip = mode == 0 ? NULL : mode == 3 ? cu : init;
                const size_t ldi = mode == 2 ? ld_init : mode == 3 ? ldc : 0;
                ((rnnrt_int8dot_gemm_fn)e->fn)(mr, kc, a, lda, a_scale, b, scale, ip, ldi, cu, ldc);
                check_outside_tile(e->name, c, MR, ldc, mr, NR, kc, mode);
                for (size_t m = 0; m < mr; m++)
                    for (size_t j = 0; j < NR; j++) {
                        const float *iv = mode == 0 ? NULL : mode == 1 ? init + j
                                                                        : init + m * ld_init + j;
                        float want = int8dot_expected(a + m * lda, b, kc, NR, j, a_scale[m],
                                                      scale[j], iv);
                        if (to_bits(cu[m * ldc + j]) != to_bits(want))
                            fail_msg("%s: mr %zu kc %zu init mode %d seed %" PRIu64
                                     ": c[%zu][%zu] = %a, expected %a", e->name, mr, kc, mode,
                                     base_seed, m, j, (double)cu[m * ldc + j], (double)want);
                    }
            }
        free(b);
        free(a);
        free(scale);
        free(a_scale);
        free(init);
        free(c);
    }
}

/* A pair tile over two panels a gap apart, every kc of int8dot_kcs, three kinds of init (none,
 * given, in place): every output equal to int8dot_expected bit for bit, nothing written
 * outside its 2 NR floats. */
static void int8dot_pair_kernel(void **state)
{
    const rnnrt_kernel_info *e = *state;
    const size_t NR = (size_t)e->nr;
    for (size_t ki = 0; ki < sizeof int8dot_kcs / sizeof int8dot_kcs[0]; ki++) {
        const size_t kc = int8dot_kcs[ki], panel = (kc + RNNRT_INT8DOT_SUM_ROWS) * NR;
        const size_t next = (panel + 63) / 64 * 64 + 64;
        rng r = {base_seed ^ (kc << 20) ^ (NR << 4) ^ 13};
        int8_t *b = aligned_alloc(64, next + (panel + 63) / 64 * 64), *a = malloc(kc);
        float *scale = malloc(2 * NR * sizeof(float)), *init = malloc(2 * NR * sizeof(float));
        float *c = malloc((2 * NR + 2) * sizeof(float));
        assert_true(b && a && scale && init && c);
        fill_int8(b, next + kc * NR, &r);
        rnnrt_int8dot_column_sums(NR, kc, b);
        rnnrt_int8dot_column_sums(NR, kc, b + next);
        fill_int8(a, kc, &r);
        for (size_t j = 0; j < 2 * NR; j++)
            scale[j] = ldexpf(uniform(&r, 1, 2), -(int)(j % 10)) / 127;
        for (size_t j = 0; j < 2 * NR; j++)
            init[j] = uniform(&r, -1, 1);
        const float a_scale = uniform(&r, 0.001, 2) / 127;
        for (int mode = 0; mode < 3; mode++) {
            for (size_t k = 0; k < 2 * NR + 2; k++)
                c[k] = from_bits(CANARY);
            if (mode == 2)
                memcpy(c + 1, init, 2 * NR * sizeof(float));
            ((rnnrt_int8dot_gemm_pair_fn)e->fn)(kc, a, a_scale, b, next, scale,
                                                mode == 0 ? NULL : mode == 1 ? init : c + 1, c + 1);
            if (to_bits(c[0]) != CANARY || to_bits(c[2 * NR + 1]) != CANARY)
                fail_msg("%s: kc %zu init mode %d wrote outside its 2 NR floats", e->name, kc,
                         mode);
            for (size_t q = 0; q < 2; q++)
                for (size_t j = 0; j < NR; j++) {
                    float want = int8dot_expected(a, b + q * next, kc, NR, j, a_scale,
                                                  scale[q * NR + j],
                                                  mode == 0 ? NULL : init + q * NR + j);
                    if (to_bits(c[1 + q * NR + j]) != to_bits(want))
                        fail_msg("%s: kc %zu init mode %d seed %" PRIu64 ": panel %zu column "
                                 "%zu = %a, expected %a", e->name, kc, mode, base_seed, q, j,
                                 (double)c[1 + q * NR + j], (double)want);
                }
        }
        free(b);
        free(a);
        free(scale);
        free(init);
        free(c);
    }
}

/* ---- bf16 dot-product tiles (rnnrt_bf16dot_gemm_t) ----------------------------------- */

/* x with a subnormal read as zero of its sign, as VDPBF16PS reads and writes them. */
static float flushed(float x)
{
    return fpclassify(x) == FP_SUBNORMAL ? copysignf(0.0f, x) : x;
}

/* What every bf16dot tile must give, byte for byte: the Intel SDM's VDPBF16PS chain
 * (simd/kernels.h) in IEEE arithmetic with the flushing written out, so it holds in any
 * floating-point mode. Weights in the panel layout [kc / 2][NR][2]. */
static float bf16dot_expected(const uint16_t *a, const uint16_t *b, size_t kc, size_t NR,
                              size_t j, const float *init)
{
    float acc = flushed(init ? *init : 0.0f);
    for (size_t p = 0; p < kc / 2; p++)
        for (int odd = 1; odd >= 0; odd--) {
            const float x = flushed(bf16_value(a[2 * p + (size_t)odd]));
            const float w = flushed(bf16_value(b[p * 2 * NR + 2 * j + (size_t)odd]));
            acc = flushed(fmaf(x, w, acc));
        }
    return acc;
}

/* bf16 values: mostly in [-2, 2], with zeros, subnormals and values near 2^40 whose
 * products dwarf the rest (so that rounding, flushing and order all show, while no sum
 * overflows: a value that turned most outputs infinite would test nothing). */
static uint16_t random_bf16(rng *r)
{
    const uint64_t u = rng_next(r) % 32;
    if (u == 0)
        return 0;
    if (u == 1)
        return (uint16_t)(0x0001 + rng_next(r) % 0x7f) | (rng_next(r) % 2 ? 0x8000 : 0); /* subnormal */
    if (u == 2)
        return (uint16_t)((rng_next(r) % 2 ? 0x8000 : 0) | (0x5380 + rng_next(r) % 0x80));
    if (u == 3)
        return (uint16_t)(0x0080 + rng_next(r) % 0x100); /* near the smallest normal */
    return (uint16_t)((rng_next(r) % 2 ? 0x8000 : 0) | (0x3c00 + rng_next(r) % 0x400));
}

/* A matrix-engine tile (slot *_mx, AMX) sums in the engine's own order: its outputs are
 * held to the float32 error of any order of the same K + 1 additions, |err| <= (K + 1) u
 * (|init| + sum |a w|) with u = 2^-24, plus FLT_MIN per addition that a flushed partial
 * sum may lose, around the double-precision sum of the flushed values. */
static bool bf16dot_within_order_bound(const uint16_t *a, const uint16_t *b, size_t kc,
                                       size_t NR, size_t j, const float *init, float got)
{
    const double i0 = flushed(init ? *init : 0.0f);
    double ref = i0, mag = fabs(i0);
    for (size_t k = 0; k < kc; k++) {
        const double p = (double)flushed(bf16_value(a[k])) *
                         flushed(bf16_value(b[(k / 2) * 2 * NR + 2 * j + k % 2]));
        ref += p;
        mag += fabs(p);
    }
    const double bound = (double)(kc + 1) * (ldexp(1, -24) * mag + FLT_MIN);
    return fabs((double)got - ref) <= bound;
}

/* Every row count 1..MR, k lengths from one pair to 2048, three kinds of init (none, rows,
 * in place), rows of A and C with padded strides: every output equal to bf16dot_expected
 * bit for bit (a matrix-engine tile: within bf16dot_within_order_bound) and no write
 * outside the tile, computed in the forward pass's mode. */
static void bf16dot_gemm_kernel(void **state)
{
    static const size_t kcs[] = {2, 6, 34, 130, 2048};
    const rnnrt_kernel_info *e = *state;
    const size_t MR = (size_t)e->mr, NR = (size_t)e->nr, ldc = NR + 5, ld_init = NR + 3;
    assert_true(MR >= 1 && MR <= 16 && NR >= 1 && e->kgroup == 2);
    const size_t slot_len = strlen(e->slot);
    const bool mx = slot_len > 3 && !strcmp(e->slot + slot_len - 3, "_mx");
    for (size_t ki = 0; ki < sizeof kcs / sizeof kcs[0]; ki++) {
        const size_t kc = kcs[ki], lda = kc + 6;
        rng r = {base_seed ^ (kc << 20) ^ (NR << 4) ^ 17};
        uint16_t *b = aligned_alloc(64, (kc * NR * 2 + 63) / 64 * 64);
        uint16_t *a = malloc(MR * lda * sizeof *a);
        float *init = malloc(MR * ld_init * sizeof(float)), *c = malloc((2 + MR * ldc) * sizeof(float));
        assert_true(b && a && init && c);
        for (size_t i = 0; i < kc * NR; i++)
            b[i] = random_bf16(&r);
        for (size_t i = 0; i < MR * lda; i++)
            a[i] = random_bf16(&r);
        for (size_t k = 0; k < MR * ld_init; k++)
            init[k] = k % 7 == 0 ? from_bits(0x00000100u) : uniform(&r, -4, 4); /* some subnormal */
        float *cu = c + 1;
        for (int mode = 0; mode < 3; mode++)
            for (size_t mr = MR; mr >= 1; mr--) {
                canaries_then_init(c, MR, ldc, mode == 2 ? mr : 0, NR, init, ld_init);
                const float *ip = mode == 0 ? NULL : mode == 2 ? cu : init;
                const size_t ldi = mode == 2 ? ldc : ld_init;
                const unsigned long fp = rnnrt_flush_denormals();
                ((rnnrt_bf16dot_gemm_fn)e->fn)(mr, kc, a, lda, b, ip, ldi, cu, ldc);
                rnnrt_restore_fp_mode(fp);
                check_outside_tile(e->name, c, MR, ldc, mr, NR, kc, mode);
                for (size_t m = 0; m < mr; m++)
                    for (size_t j = 0; j < NR; j++) {
                        const float *iv = mode == 0 ? NULL : init + m * ld_init + j;
                        float want = bf16dot_expected(a + m * lda, b, kc, NR, j, iv);
                        const float got = cu[m * ldc + j];
                        if (mx ? !bf16dot_within_order_bound(a + m * lda, b, kc, NR, j, iv, got)
                               : to_bits(got) != to_bits(want) && !(isnan(got) && isnan(want)))
                            fail_msg("%s: mr %zu kc %zu init mode %d seed %" PRIu64
                                     ": c[%zu][%zu] = %a, expected %a", e->name, mr, kc, mode,
                                     base_seed, m, j, (double)got, (double)want);
                    }
            }
        free(b);
        free(a);
        free(init);
        free(c);
    }
}

/* ---- the dot-product types' input preparation (quantize, round) ---------------------- */

/* Rows of K floats with what the preparation must get right: ordinary values over many
 * binades, a zero row, a subnormal-only row, rows with a NaN, an infinity, FLT_MAX, halves
 * of bf16 ulps (ties), and values rounding to bf16 subnormals. */
static void fill_prepare_rows(float *a, size_t rows, size_t K, size_t lda, rng *r)
{
    for (size_t m = 0; m < rows; m++)
        for (size_t k = 0; k < K; k++) {
            float v = ldexpf(uniform(r, -1, 1), (int)(rng_next(r) % 40) - 20);
            switch (m % 8) {
            case 1: v = 0.0f; break;
            case 2: v = from_bits((uint32_t)(rng_next(r) % 0x7fffff) | (k % 2 ? 0x80000000u : 0)); break;
            case 3: v = k == K / 2 ? NAN : v; break;
            case 4: v = k == K - 1 ? -INFINITY : v; break;
            case 5: v = k == 0 ? FLT_MAX : from_bits(0x3f808000u + (uint32_t)(rng_next(r) % 4) * 0x10000u); break;
            case 6: v = from_bits(0x00800000u + (uint32_t)(rng_next(r) % 0x20000)); break;
            default: break;
            }
            a[m * lda + k] = v;
        }
}

/* The set's quantize or round kernel against the portable version (its oracle), byte for
 * byte, in the default floating-point mode and in the pass's flush-to-zero mode. */
static void prepare_kernel(void **state)
{
    const rnnrt_kernel_info *e = *state;
    const bool int8 = !strcmp(e->dtype, "int8dot");
    static const size_t Ks[] = {1, 3, 15, 16, 17, 64, 100, 1000};
    enum { ROWS = 9 };
    for (size_t ki = 0; ki < sizeof Ks / sizeof Ks[0]; ki++) {
        const size_t K = Ks[ki], lda = K + 3, ldq = (K + 3) / 4 * 4;
        rng r = {base_seed ^ (K << 8) ^ 23};
        float *a = malloc(ROWS * lda * sizeof *a), sg[ROWS], sw[ROWS];
        uint16_t *got = malloc(ROWS * ldq * 2), *want = malloc(ROWS * ldq * 2);
        assert_true(a && got && want);
        fill_prepare_rows(a, ROWS, K, lda, &r);
        for (int flush = 0; flush < 2; flush++) {
            memset(got, 0xa5, ROWS * ldq * 2);
            memset(want, 0x5a, ROWS * ldq * 2);
            const unsigned long fp = flush ? rnnrt_flush_denormals() : 0;
            if (int8) {
                ((rnnrt_int8dot_quantize_t *)e->fn)(ROWS, K, a, lda, (int8_t *)got, ldq, sg);
                rnnrt_quantize_rows(ROWS, (int)K, a, lda, (int8_t *)want, sw);
            } else {
                ((rnnrt_bf16dot_round_t *)e->fn)(ROWS, K, a, lda, got, (K + 1) / 2 * 2);
                rnnrt_round_rows_bf16(ROWS, (int)K, a, lda, want);
            }
            if (flush)
                rnnrt_restore_fp_mode(fp);
            const size_t row_bytes = int8 ? ldq : (K + 1) / 2 * 4, bytes = ROWS * row_bytes;
            for (size_t i = 0; i < bytes; i++)
                if (((uint8_t *)got)[i] != ((uint8_t *)want)[i])
                    fail_msg("%s: K %zu %s mode: byte %zu (row %zu) is %#x, expected %#x",
                             e->name, K, flush ? "flush-to-zero" : "default", i,
                             i / row_bytes, ((uint8_t *)got)[i],
                             ((uint8_t *)want)[i]);
            for (size_t m = 0; int8 && m < ROWS; m++)
                if (to_bits(sg[m]) != to_bits(sw[m]) && !(isnan(sg[m]) && isnan(sw[m])))
                    fail_msg("%s: K %zu row %zu: scale %a, expected %a", e->name, K, m,
                             (double)sg[m], (double)sw[m]);
        }
        free(a);
        free(got);
        free(want);
    }
}

/* One case per line of simd/kernels.inc built into the library, skipped (and saying why)
 * where this CPU lacks the kernel's features. */
static void skip_unsupported(void **state)
{
    const rnnrt_kernel_info *e = *state;
    print_message("[  SKIP    ] %s: this CPU lacks its features\n", e->name);
    skip();
}

int main(void)
{
    const char *env = getenv("RNNRT_TEST_SEED");
    if (env && *env)
        base_seed = strtoull(env, NULL, 10);
    size_t count;
    const rnnrt_kernel_info *list = rnnrt_kernel_list(&count);
    struct CMUnitTest *tests = calloc(count, sizeof *tests);
    char(*names)[96] = calloc(count, sizeof *names);
    assert_true(tests && names);
    size_t t = 0;
    for (size_t e = 0; e < count; e++) {
        const bool dot = !strcmp(list[e].dtype, "int8dot");
        const bool bf16dot = !strcmp(list[e].dtype, "bf16dot");
        void (*run)(void **) = !strcmp(list[e].family, "vact") ? vact_kernel
                               : family_of(&list[e]) ? kernel_family
                               : bf16dot && !strcmp(list[e].family, "gemm") ? bf16dot_gemm_kernel
                               : !strcmp(list[e].family, "quantize") ||
                                         !strcmp(list[e].family, "round")
                                   ? prepare_kernel
                               : dot && !strcmp(list[e].family, "gemm")      ? int8dot_gemm_kernel
                               : dot && !strcmp(list[e].family, "gemm_pair") ? int8dot_pair_kernel
                               : !strcmp(list[e].family, "gemm")      ? gemm_kernel
                               : !strcmp(list[e].family, "gemm_pair") ? gemm_pair_kernel
                                                                      : NULL;
        bool seen = false; /* a function may fill two slots: test it once */
        for (size_t d = 0; d < e; d++)
            seen = seen || list[d].fn == list[e].fn;
        if (!run || seen)
            continue;
        snprintf(names[t], sizeof names[t], "%s/%s", list[e].set, list[e].name);
        tests[t] = (struct CMUnitTest){names[t], rnnrt_kernel_supported(&list[e]) ? run
                                                                                 : skip_unsupported,
                                       NULL, NULL, (void *)&list[e]};
        t++;
    }
    printf("kernels: seed %" PRIu64 " (set RNNRT_TEST_SEED to change)\n", base_seed);
    int failed = _cmocka_run_group_tests("kernels", tests, t, NULL, NULL);
    free(tests);
    free(names);
    return failed;
}
