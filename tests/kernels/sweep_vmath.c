/* Exhaustive check of the vector-math kernels (vexp, vsigmoid, vtanh) of every kernel set
 * this machine runs: all 2^32 float bit patterns (or every stride-th one), each against a
 * double-precision reference.
 *
 * What passes (issue 3):
 *  - accuracy: the output is within 4 ulp of the correctly rounded result, measured as the
 *    distance in representable floats to (float)reference; a reference below FLT_MIN in
 *    magnitude may also give 0 (subnormal outputs may flush to zero);
 *  - infinities give the limits exactly (exp: +inf, 0; sigmoid: 1, 0; tanh: +-1);
 *  - every NaN input gives a NaN;
 *  - no FE_INVALID, FE_DIVBYZERO or FE_OVERFLOW is raised, by any input (signalling NaNs
 *    included). FE_INEXACT and FE_UNDERFLOW are not checked: every rounded result is inexact,
 *    and a result that is subnormal or flushed to zero underflows by definition; neither says
 *    anything wrong about the result. Flags are per thread, so each thread checks its own.
 * The reference is glibc's double exp/tanh (sigmoid from double exp), whose errors are far
 * below half a float ulp; rounding it to float can be wrong only for values within ~2^-29
 * ulp of a tie, which can make a reported distance 1 too large, never too small.
 *
 * Usage: sweep_vmath [--stride S] [--isa NAME]... [--func exp|sigmoid|tanh]...
 *   --stride S  check patterns 0, S, 2S, ... (plus a fixed list of edge values) instead of
 *               all 2^32; for emulators (e.g. 97 under qemu).
 * Threads: OpenMP (OMP_NUM_THREADS). Exit status 0 when every checked (function, ISA) passes.
 */
#include <fenv.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "dispatch.h"

#define BLOCK 4096
#define MAX_ULP 4
#define CHECKED_EXCEPTS (FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW)

enum { FN_EXP, FN_SIGMOID, FN_TANH, FN_COUNT };
static const char *const fn_names[FN_COUNT] = {"exp", "sigmoid", "tanh"};
static const char *const isa_names[] = { /* simd/kernel_sets.inc, best first */
#define RNNRT_KERNEL_SET(name, cpu, flags, features) #name,
#include "kernel_sets.inc"
#undef RNNRT_KERNEL_SET
};
#define ISA_COUNT (sizeof isa_names / sizeof isa_names[0])

/* Inputs are classed for the exception report. */
enum { CL_FINITE, CL_INF, CL_QNAN, CL_SNAN, CL_COUNT };
static const char *const class_names[CL_COUNT] = {"finite", "inf", "qNaN", "sNaN"};

typedef struct stats {
    uint64_t checked;
    int64_t max_dist;  /* in floats, against (float)ref */
    uint32_t max_bits; /* input giving max_dist (lowest pattern among ties) */
    double max_err;    /* |y - ref| / ulp(ref) over finite y and ref */
    uint32_t err_bits;
    uint64_t over_limit; /* inputs beyond MAX_ULP (or special values wrong) */
    uint32_t first_bad;
    uint64_t flushed; /* subnormal references returned as 0 */
    uint64_t nan_in, nan_ok;
    uint64_t inf_in, inf_ok;
    uint64_t zero_sign_diff; /* +-0 results with the wrong sign (reported, not failed) */
    uint64_t except[CL_COUNT];
    uint32_t except_bits[CL_COUNT];
    int except_flags[CL_COUNT];
} stats;

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

static int input_class(uint32_t u)
{
    uint32_t a = u & 0x7fffffffu;
    if (a < 0x7f800000u)
        return CL_FINITE;
    if (a == 0x7f800000u)
        return CL_INF;
    return (a & 0x00400000u) ? CL_QNAN : CL_SNAN;
}

static double ref_eval(int fn, double x)
{
    switch (fn) {
    case FN_EXP:
        return exp(x);
    case FN_SIGMOID:
        if (x >= 0)
            return 1.0 / (1.0 + exp(-x));
        return exp(x) / (1.0 + exp(x));
    default:
        return tanh(x);
    }
}

/* Position on the number line in units of floats; +0 and -0 share 0. */
static int64_t float_ord(float f)
{
    uint32_t u = to_bits(f);
    return (u & 0x80000000u) ? -(int64_t)(u & 0x7fffffffu) : (int64_t)u;
}

static double ulp_of(double ref)
{
    int e;
    frexp(ref, &e); /* |ref| in [2^(e-1), 2^e) */
    if (e < -125)
        e = -125; /* subnormal floats share the ulp of FLT_MIN */
    return ldexp(1.0, e - 24);
}

static void note_bad(stats *s, uint32_t bits)
{
    if (s->over_limit == 0 || bits < s->first_bad)
        s->first_bad = bits;
    s->over_limit++;
}

/* Compares one output with its reference and updates the statistics. */
static void check_one(stats *s, uint32_t xb, float y, double ref)
{
    int cl = input_class(xb);
    s->checked++;
    if (cl == CL_QNAN || cl == CL_SNAN) {
        s->nan_in++;
        if (isnan(y))
            s->nan_ok++;
        else
            note_bad(s, xb);
        return;
    }
    float rf = (float)ref;
    if (isnan(y)) {
        note_bad(s, xb);
        s->max_dist = INT64_MAX;
        s->max_bits = xb;
        return;
    }
    int64_t dist = llabs(float_ord(y) - float_ord(rf));
    if (cl == CL_INF) {
        s->inf_in++;
        if (dist == 0)
            s->inf_ok++;
        else
            note_bad(s, xb);
    }
    if (y == 0.0f && rf == 0.0f && signbit(y) != signbit(rf))
        s->zero_sign_diff++;
    if (fabs(ref) < FLT_MIN && y == 0.0f && rf != 0.0f) {
        s->flushed++;
        return; /* allowed flush to zero: not counted in the error maxima */
    }
    if (dist > s->max_dist || (dist == s->max_dist && xb < s->max_bits)) {
        s->max_dist = dist;
        s->max_bits = xb;
    }
    if (dist > MAX_ULP && cl != CL_INF)
        note_bad(s, xb);
    if (isfinite(y) && isfinite(rf)) {
        double err = fabs((double)y - ref) / ulp_of(ref);
        if (err > s->max_err || (err == s->max_err && xb < s->err_bits)) {
            s->max_err = err;
            s->err_bits = xb;
        }
    }
}

/* Calls the kernel on one block with clean flags; on any checked flag, finds which inputs
 * raise it by calling the kernel on each alone. */
static void run_block(rnnrt_f32_vunary_fn k, size_t n, const float *x, float *y, stats *s)
{
    feclearexcept(FE_ALL_EXCEPT);
    k(n, x, y);
    int raised = fetestexcept(CHECKED_EXCEPTS);
    if (!raised)
        return;
    for (size_t j = 0; j < n; j++) {
        float one;
        feclearexcept(FE_ALL_EXCEPT);
        k(1, &x[j], &one);
        int f = fetestexcept(CHECKED_EXCEPTS);
        if (!f)
            continue;
        uint32_t xb = to_bits(x[j]);
        int cl = input_class(xb);
        if (s->except[cl] == 0 || xb < s->except_bits[cl])
            s->except_bits[cl] = xb;
        s->except[cl]++;
        s->except_flags[cl] |= f;
    }
    feclearexcept(FE_ALL_EXCEPT);
}

static void merge(stats *into, const stats *s)
{
    into->checked += s->checked;
    if (s->max_dist > into->max_dist ||
        (s->max_dist == into->max_dist && s->max_bits < into->max_bits)) {
        into->max_dist = s->max_dist;
        into->max_bits = s->max_bits;
    }
    if (s->max_err > into->max_err ||
        (s->max_err == into->max_err && s->err_bits < into->err_bits)) {
        into->max_err = s->max_err;
        into->err_bits = s->err_bits;
    }
    if (s->over_limit && (!into->over_limit || s->first_bad < into->first_bad))
        into->first_bad = s->first_bad;
    into->over_limit += s->over_limit;
    into->flushed += s->flushed;
    into->nan_in += s->nan_in;
    into->nan_ok += s->nan_ok;
    into->inf_in += s->inf_in;
    into->inf_ok += s->inf_ok;
    into->zero_sign_diff += s->zero_sign_diff;
    for (int c = 0; c < CL_COUNT; c++) {
        if (s->except[c] && (!into->except[c] || s->except_bits[c] < into->except_bits[c]))
            into->except_bits[c] = s->except_bits[c];
        into->except[c] += s->except[c];
        into->except_flags[c] |= s->except_flags[c];
    }
}

/* Values worth checking at any stride: zeros, infinities, NaNs, the ends of the normal
 * range, and the thresholds of the kernels with their neighbours. */
static size_t edge_inputs(float *out)
{
    static const float centers[] = {0.0f,      1.0f,        FLT_MIN,        FLT_MAX,
                                    0x1p-149f, 0x1p-24f,    0x1.62e42ep+6f, 87.33654f,
                                    88.0f,     103.97208f,  104.0f,         9.010913f,
                                    9.1f,      0.34657359f, 0.69314718f,    0.5f};
    size_t n = 0;
    for (size_t c = 0; c < sizeof centers / sizeof centers[0]; c++) {
        for (int sign = 0; sign < 2; sign++) {
            float v = sign ? -centers[c] : centers[c];
            float lo = v, hi = v;
            out[n++] = v;
            for (int k = 0; k < 3; k++) {
                lo = nextafterf(lo, -INFINITY);
                hi = nextafterf(hi, INFINITY);
                out[n++] = lo;
                out[n++] = hi;
            }
        }
    }
    static const uint32_t specials[] = {0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00000u,
                                        0x7f800001u, 0xff800001u, 0x7fbfffffu, 0x7fffffffu,
                                        0xffffffffu, 0x7fa00000u};
    for (size_t k = 0; k < sizeof specials / sizeof specials[0]; k++)
        out[n++] = from_bits(specials[k]);
    return n;
}

typedef struct job {
    const rnnrt_kernels *sets[ISA_COUNT];
    bool fn_on[FN_COUNT];
    uint64_t stride;
} job;

static rnnrt_f32_vunary_fn kernel_of(const rnnrt_kernels *k, int fn)
{
    return fn == FN_EXP ? k->vexp : fn == FN_SIGMOID ? k->vsigmoid : k->vtanh;
}

/* Checks inputs x[0..n) of function fn on every set, the reference computed once. */
static void check_inputs(const job *jb, int fn, const float *x, size_t n, float *y,
                         double *ref, stats st[ISA_COUNT])
{
    for (size_t j = 0; j < n; j++)
        ref[j] = ref_eval(fn, (double)x[j]);
    for (size_t s = 0; s < ISA_COUNT; s++) {
        if (!jb->sets[s])
            continue;
        run_block(kernel_of(jb->sets[s], fn), n, x, y, &st[s]);
        for (size_t j = 0; j < n; j++)
            check_one(&st[s], to_bits(x[j]), y[j], ref[j]);
    }
}

static void sweep_function(const job *jb, int fn, stats total[ISA_COUNT])
{
    uint64_t count = (((uint64_t)1 << 32) + jb->stride - 1) / jb->stride;
    uint64_t blocks = (count + BLOCK - 1) / BLOCK;
    memset(total, 0, sizeof(stats) * ISA_COUNT);

#pragma omp parallel
    {
        static float xs_edge[256];
        float *x = malloc(BLOCK * sizeof *x);
        float *y = malloc(BLOCK * sizeof *y);
        double *ref = malloc(BLOCK * sizeof *ref);
        stats st[ISA_COUNT];
        memset(st, 0, sizeof st);
        if (!x || !y || !ref) {
            fprintf(stderr, "sweep_vmath: out of memory\n");
            exit(2);
        }
#pragma omp for schedule(dynamic, 64)
        for (uint64_t b = 0; b < blocks; b++) {
            uint64_t k0 = b * BLOCK;
            size_t n = (size_t)(count - k0 < BLOCK ? count - k0 : BLOCK);
            for (size_t j = 0; j < n; j++)
                x[j] = from_bits((uint32_t)((k0 + j) * jb->stride));
            check_inputs(jb, fn, x, n, y, ref, st);
        }
        if (jb->stride > 1) {
#pragma omp single
            {
                size_t n = edge_inputs(xs_edge);
                check_inputs(jb, fn, xs_edge, n, y, ref, st);
            }
        }
#pragma omp critical
        for (size_t s = 0; s < ISA_COUNT; s++)
            merge(&total[s], &st[s]);
        free(x);
        free(y);
        free(ref);
    }
}

static bool report(int fn, const char *isa, const stats *s)
{
    bool nan_pass = s->nan_ok == s->nan_in;
    bool inf_pass = s->inf_ok == s->inf_in;
    uint64_t exc = 0;
    for (int c = 0; c < CL_COUNT; c++)
        exc += s->except[c];
    bool pass = s->over_limit == 0 && nan_pass && inf_pass && exc == 0;
    float xm = from_bits(s->max_bits), xe = from_bits(s->err_bits);
    printf("%-7s %-6s %s  checked %" PRIu64 "  max %" PRId64 " ulp at x=%a (%.9g)"
           "  max err %.3f ulp at x=%a (%.9g)\n",
           fn_names[fn], isa, pass ? "PASS" : "FAIL", s->checked, s->max_dist, xm, xm,
           s->max_err, xe, xe);
    printf("               >%d ulp: %" PRIu64 "  flushed subnormals: %" PRIu64
           "  NaN ok %" PRIu64 "/%" PRIu64 "  inf ok %" PRIu64 "/%" PRIu64
           "  +-0 sign differs: %" PRIu64 "\n",
           MAX_ULP, s->over_limit, s->flushed, s->nan_ok, s->nan_in, s->inf_ok, s->inf_in,
           s->zero_sign_diff);
    if (s->over_limit) {
        float b = from_bits(s->first_bad);
        printf("               first bad input: %a (bits 0x%08" PRIx32 ")\n", b, s->first_bad);
    }
    for (int c = 0; c < CL_COUNT; c++) {
        if (!s->except[c])
            continue;
        int f = s->except_flags[c];
        printf("               exceptions on %" PRIu64 " %s inputs (%s%s%s), e.g. bits "
               "0x%08" PRIx32 "\n",
               s->except[c], class_names[c], f & FE_INVALID ? "FE_INVALID " : "",
               f & FE_DIVBYZERO ? "FE_DIVBYZERO " : "", f & FE_OVERFLOW ? "FE_OVERFLOW" : "",
               s->except_bits[c]);
    }
    return pass;
}

static void usage(void)
{
    fprintf(stderr, "usage: sweep_vmath [--stride S] [--isa scalar|avx2|avx512|neon]... "
                    "[--func exp|sigmoid|tanh]...\n");
    exit(2);
}

static int parse_args(int argc, char **argv, job *jb)
{
    bool isa_given = false, fn_given = false;
    bool isa_on[ISA_COUNT] = {false};
    jb->stride = 1;
    for (int a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "--stride") && a + 1 < argc) {
            char *end;
            unsigned long long v = strtoull(argv[++a], &end, 10);
            if (*end || v == 0 || v > 0xffffffffull)
                usage();
            jb->stride = v;
        } else if (!strcmp(argv[a], "--isa") && a + 1 < argc) {
            size_t s = 0;
            a++;
            while (s < ISA_COUNT && strcmp(argv[a], isa_names[s]))
                s++;
            if (s == ISA_COUNT)
                usage();
            isa_on[s] = isa_given = true;
        } else if (!strcmp(argv[a], "--func") && a + 1 < argc) {
            int f = 0;
            a++;
            while (f < FN_COUNT && strcmp(argv[a], fn_names[f]))
                f++;
            if (f == FN_COUNT)
                usage();
            jb->fn_on[f] = fn_given = true;
        } else {
            usage();
        }
    }
    for (int f = 0; f < FN_COUNT; f++)
        jb->fn_on[f] = jb->fn_on[f] || !fn_given;
    int runnable = 0;
    for (size_t s = 0; s < ISA_COUNT; s++) {
        jb->sets[s] = NULL;
        if (isa_given && !isa_on[s])
            continue;
        jb->sets[s] = rnnrt_kernels_for_isa(isa_names[s]);
        /* a set whose vector math is an earlier set's (the model sets use scalar's) is
         * swept once, under the earlier name: a sweep costs a minute or more per set */
        for (size_t e = 0; jb->sets[s] && e < s; e++)
            if (jb->sets[e] && jb->sets[e]->vexp == jb->sets[s]->vexp &&
                jb->sets[e]->vsigmoid == jb->sets[s]->vsigmoid &&
                jb->sets[e]->vtanh == jb->sets[s]->vtanh) {
                printf("SKIP %s: its vector math is %s's, swept there\n", isa_names[s],
                       isa_names[e]);
                jb->sets[s] = NULL;
            }
        if (jb->sets[s])
            runnable++;
        else if (!rnnrt_kernels_for_isa(isa_names[s]))
            printf("SKIP %s: not built, or this CPU lacks it\n", isa_names[s]);
    }
    return runnable;
}

int main(int argc, char **argv)
{
    job jb;
    memset(&jb, 0, sizeof jb);
    if (parse_args(argc, argv, &jb) == 0) {
        printf("sweep: 0 passed, 0 failed\n");
        return 0;
    }
    printf("vmath sweep: %s, %d threads, limit %d ulp\n",
           jb.stride == 1 ? "all 2^32 inputs" : "sampled", omp_get_max_threads(), MAX_ULP);
    if (jb.stride > 1)
        printf("sampled: every %" PRIu64 "th bit pattern plus edge values\n", jb.stride);
    int passed = 0, failed = 0; /* meson reports the run time; the sweep only judges accuracy */
    for (int fn = 0; fn < FN_COUNT; fn++) {
        if (!jb.fn_on[fn])
            continue;
        stats total[ISA_COUNT];
        sweep_function(&jb, fn, total);
        for (size_t s = 0; s < ISA_COUNT; s++) {
            if (!jb.sets[s])
                continue;
            if (report(fn, isa_names[s], &total[s]))
                passed++;
            else
                failed++;
        }
        fflush(stdout);
    }
    printf("sweep: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
