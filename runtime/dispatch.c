/* Picks the kernel set once: RNNRT_ISA if set, else the best the CPU runs, in the order of
 * simd/kernel_sets.inc. rnnrt_set_isa() may change it later. Each set's table is filled
 * once, from the lines of simd/kernels.inc whose set was built (meson passes
 * -DRNNRT_BUILT_<set>=1) and whose features this CPU has. */
#include "dispatch.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_features.h"
#include "error.h"

/* RNNRT_IF_BUILT(set, tokens) keeps `tokens` only when RNNRT_BUILT_<set> is defined as 1, so
 * that the lines of sets this build lacks name no missing function. The probe: pasting the
 * macro's value onto RNNRT_PROBE_ gives RNNRT_PROBE_1, which expands to two arguments and
 * moves the 1 into second place; any other spelling stays one argument and 0 comes
 * second. */
#define RNNRT_CAT_(a, b) a##b
#define RNNRT_CAT(a, b) RNNRT_CAT_(a, b)
#define RNNRT_SECOND_(a, b, ...) b
#define RNNRT_SECOND(...) RNNRT_SECOND_(__VA_ARGS__, 0, ~)
#define RNNRT_PROBE_1 ~, 1
#define RNNRT_BUILT(set) RNNRT_SECOND(RNNRT_CAT(RNNRT_PROBE_, RNNRT_BUILT_##set))
#define RNNRT_KEEP_1(...) __VA_ARGS__
#define RNNRT_KEEP_0(...)
#define RNNRT_IF_BUILT(set, ...) RNNRT_CAT(RNNRT_KEEP_, RNNRT_BUILT(set))(__VA_ARGS__)

const char *const rnnrt_kernel_set_names[] = {
#define RNNRT_KERNEL_SET(name, cpu, flags, features) #name,
#include "kernel_sets.inc"
#undef RNNRT_KERNEL_SET
};
const int rnnrt_kernel_set_count =
    (int)(sizeof rnnrt_kernel_set_names / sizeof rnnrt_kernel_set_names[0]);

static const uint64_t set_features[] = {
#define RNNRT_KERNEL_SET(name, cpu, flags, features) (features),
#include "kernel_sets.inc"
#undef RNNRT_KERNEL_SET
};

static const rnnrt_kernel_info kernel_list[] = {
#define RNNRT_KERNEL(set, dtype, family, slot, mr, nr, kgroup, units, kc_share, fn, features) \
    RNNRT_IF_BUILT(set, {#set, #dtype, #family, #slot, #fn, (rnnrt_kernel_any_fn)fn, mr, nr,   \
                         kgroup, units, kc_share, (features)},)
#include "kernels.inc"
#undef RNNRT_KERNEL
    {0},
};

const rnnrt_kernel_info *rnnrt_kernel_list(size_t *count)
{
    *count = sizeof kernel_list / sizeof kernel_list[0] - 1;
    return kernel_list;
}

/* A line runs when the CPU has its features and, for AMX, Linux has granted the process
 * the tile state (asked once, on the first AMX line met; rnnrt_cpu_request_amx). */
static bool line_runs(uint64_t features)
{
    if (!rnnrt_cpu_has(features))
        return false;
    const uint64_t amx = RNNRT_CPU_AMX_TILE | RNNRT_CPU_AMX_INT8 | RNNRT_CPU_AMX_BF16;
    return !(features & amx) || rnnrt_cpu_request_amx();
}

bool rnnrt_kernel_supported(const rnnrt_kernel_info *info)
{
    return line_runs(info->features);
}

/* Filling a slot from one line: the first line of a set that this CPU supports wins. Each
 * family names how its slot is filled; the assignment checks the function's type. */
#define RNNRT_PUT_FN(slot, fn, e)                                                             \
    do {                                                                                      \
        if (!(slot))                                                                          \
            (slot) = (fn);                                                                    \
    } while (0)
#define RNNRT_PUT_f32_vunary RNNRT_PUT_FN
#define RNNRT_PUT_f32_vact RNNRT_PUT_FN
#define RNNRT_PUT_f32_lstm_gates RNNRT_PUT_FN
#define RNNRT_PUT_f32_lstm_peephole_gates RNNRT_PUT_FN
#define RNNRT_PUT_f32_lstm_coupled_gates RNNRT_PUT_FN
#define RNNRT_PUT_f32_gru_gates RNNRT_PUT_FN
#define RNNRT_PUT_f32_rnn_tanh_gates RNNRT_PUT_FN
#define RNNRT_PUT_f32_rnn_relu_gates RNNRT_PUT_FN
#define RNNRT_PUT_f32_gru_rb_rz_gates RNNRT_PUT_FN
#define RNNRT_PUT_f32_gru_rb_h_gates RNNRT_PUT_FN
#define RNNRT_PUT_f32_tile_release RNNRT_PUT_FN
#define RNNRT_PUT_int8dot_quantize RNNRT_PUT_FN
#define RNNRT_PUT_bf16dot_round RNNRT_PUT_FN
#define RNNRT_PUT_f32_gemm(slot, f, e) put_gemm(&(slot), (rnnrt_gemm_ukernel){.dtype = RNNRT_WEIGHTS_F32, .fn = (f)}, (e))
#define RNNRT_PUT_bf16_gemm(slot, f, e) put_gemm(&(slot), (rnnrt_gemm_ukernel){.dtype = RNNRT_WEIGHTS_BF16, .fn_bf16 = (f)}, (e))
#define RNNRT_PUT_int8_gemm(slot, f, e) put_gemm(&(slot), (rnnrt_gemm_ukernel){.dtype = RNNRT_WEIGHTS_INT8, .fn_int8 = (f)}, (e))
#define RNNRT_PUT_int8dot_gemm(slot, f, e) put_gemm(&(slot), (rnnrt_gemm_ukernel){.dtype = RNNRT_WEIGHTS_INT8DOT, .fn_int8dot = (f)}, (e))
#define RNNRT_PUT_bf16dot_gemm(slot, f, e) put_gemm(&(slot), (rnnrt_gemm_ukernel){.dtype = RNNRT_WEIGHTS_BF16DOT, .fn_bf16dot = (f)}, (e))
#define RNNRT_PUT_f32_gemm_pair(slot, f, e) put_pair(&(slot), (rnnrt_gemm_pair_ukernel){.dtype = RNNRT_WEIGHTS_F32, .fn = (f)}, (e))
#define RNNRT_PUT_bf16_gemm_pair(slot, f, e) put_pair(&(slot), (rnnrt_gemm_pair_ukernel){.dtype = RNNRT_WEIGHTS_BF16, .fn_bf16 = (f)}, (e))
#define RNNRT_PUT_int8_gemm_pair(slot, f, e) put_pair(&(slot), (rnnrt_gemm_pair_ukernel){.dtype = RNNRT_WEIGHTS_INT8, .fn_int8 = (f)}, (e))
#define RNNRT_PUT_int8dot_gemm_pair(slot, f, e) put_pair(&(slot), (rnnrt_gemm_pair_ukernel){.dtype = RNNRT_WEIGHTS_INT8DOT, .fn_int8dot = (f)}, (e))
#define RNNRT_PUT_bf16dot_gemm_pair(slot, f, e) put_pair(&(slot), (rnnrt_gemm_pair_ukernel){.dtype = RNNRT_WEIGHTS_BF16DOT, .fn_bf16dot = (f)}, (e))

/* `uk` holds the type and the function; the line gives the blocking. */
static void put_gemm(rnnrt_gemm_ukernel *slot, rnnrt_gemm_ukernel uk, const rnnrt_kernel_info *e)
{
    if (rnnrt_ukernel_present(slot))
        return;
    uk.mr = e->mr, uk.nr = e->nr, uk.kgroup = e->kgroup, uk.units = e->units;
    uk.kc_share = e->kc_share, uk.name = e->name;
    *slot = uk;
}

static void put_pair(rnnrt_gemm_pair_ukernel *slot, rnnrt_gemm_pair_ukernel uk,
                     const rnnrt_kernel_info *e)
{
    if (rnnrt_pair_present(slot))
        return;
    uk.nr = e->nr, uk.units = e->units, uk.name = e->name;
    *slot = uk;
}

/* A pair tile serves its slot's panels only: one whose shape differs is dropped (the pass
 * then runs the one-panel tile). */
static void check_pair(rnnrt_gemm_pair_ukernel *pair, const rnnrt_gemm_ukernel *base)
{
    if (rnnrt_pair_present(pair) &&
        (!rnnrt_ukernel_present(base) || pair->nr != base->nr || pair->units != base->units))
        *pair = (rnnrt_gemm_pair_ukernel){0};
}

static void check_pairs(rnnrt_kernels *k)
{
    check_pair(&k->gemm4_pair, &k->gemm4);
    check_pair(&k->gemm3_pair, &k->gemm3);
    check_pair(&k->proj_pair, &k->gemm_proj);
    rnnrt_gemm_slots *reduced[] = {&k->bf16, &k->int8, &k->int8dot, &k->bf16dot};
    for (int t = 0; t < 4; t++) {
        check_pair(&reduced[t]->gemm4_pair, &reduced[t]->gemm4);
        check_pair(&reduced[t]->gemm3_pair, &reduced[t]->gemm3);
        check_pair(&reduced[t]->proj_pair, &reduced[t]->gemm_proj);
    }
}

/* Every weight type has the f32 tiles' shapes, so that all types share one panel layout. */
static bool same_tile(const rnnrt_gemm_ukernel *a, const rnnrt_gemm_ukernel *b)
{
    return rnnrt_ukernel_present(a) == rnnrt_ukernel_present(b) && a->mr == b->mr &&
           a->nr == b->nr && a->units == b->units;
}

static bool same_tiles(const rnnrt_kernels *k, rnnrt_weight_type t)
{
    rnnrt_gemm_slots f = rnnrt_kernels_gemms(k, RNNRT_WEIGHTS_F32), g = rnnrt_kernels_gemms(k, t);
    return same_tile(&f.gemm4, &g.gemm4) && same_tile(&f.gemm3, &g.gemm3) &&
           same_tile(&f.gemm_proj, &g.gemm_proj) && same_tile(&f.gemm4_tall, &g.gemm4_tall);
}

/* A matrix-engine tile serves its slot's panels only (the same nr and units and k groups):
 * one that differs is dropped, and the pass runs the vector tile. */
static void check_mx(rnnrt_gemm_ukernel *mx, const rnnrt_gemm_ukernel *base)
{
    if (rnnrt_ukernel_present(mx) &&
        (!rnnrt_ukernel_present(base) || mx->nr != base->nr || mx->units != base->units ||
         mx->kgroup != base->kgroup || mx->dtype != base->dtype))
        *mx = (rnnrt_gemm_ukernel){0};
}

static void check_mxs(rnnrt_kernels *k)
{
    rnnrt_gemm_slots *dot[] = {&k->int8dot, &k->bf16dot};
    for (int t = 0; t < 2; t++) {
        check_mx(&dot[t]->gemm4_mx, &dot[t]->gemm4);
        check_mx(&dot[t]->gemm3_mx, &dot[t]->gemm3);
        check_mx(&dot[t]->proj_mx, &dot[t]->gemm_proj);
    }
}

/* The dot-product tiles need the f32 panels' columns (nr, units) only: no f32 tile stands
 * in for them, so their row count is their own, and they have no taller variant. */
static bool same_panel(const rnnrt_gemm_ukernel *f, const rnnrt_gemm_ukernel *d,
                       rnnrt_weight_type t)
{
    return rnnrt_ukernel_present(d) && d->nr == f->nr && d->units == f->units && d->mr >= 1 &&
           d->kgroup == rnnrt_weight_kgroup(t);
}

static bool dot_tiles(const rnnrt_kernels *k, rnnrt_weight_type t)
{
    const rnnrt_gemm_slots d = rnnrt_kernels_gemms(k, t);
    return same_panel(&k->gemm4, &d.gemm4, t) && same_panel(&k->gemm3, &d.gemm3, t) &&
           same_panel(&k->gemm_proj, &d.gemm_proj, t) && !rnnrt_ukernel_present(&d.gemm4_tall);
}

/* Each bf16 and int8 tile gets its set's f32 tile of the same slot as `fn`: the one that
 * gives its bytes on a panel widened to float32 (runtime/gemm.c widens once for many rows). */
static void give_twins(rnnrt_kernels *k)
{
    rnnrt_gemm_slots f = rnnrt_kernels_gemms(k, RNNRT_WEIGHTS_F32);
    rnnrt_gemm_slots *reduced[] = {&k->bf16, &k->int8};
    for (int t = 0; t < 2; t++) {
        rnnrt_gemm_ukernel *g[] = {&reduced[t]->gemm4, &reduced[t]->gemm3,
                                   &reduced[t]->gemm_proj, &reduced[t]->gemm4_tall};
        const rnnrt_gemm_ukernel *w[] = {&f.gemm4, &f.gemm3, &f.gemm_proj, &f.gemm4_tall};
        for (int s = 0; s < 4; s++)
            if (rnnrt_ukernel_present(g[s]) && w[s]->mr == g[s]->mr && w[s]->nr == g[s]->nr)
                g[s]->fn = w[s]->fn;
    }
}

/* The table of set `s`, or false when a slot stays empty (a set missing a kernel, or a CPU
 * without the set's features). */
static bool fill(rnnrt_kernels *k, int s)
{
    const char *name = rnnrt_kernel_set_names[s];
    const rnnrt_kernel_info *e = kernel_list;
    memset(k, 0, sizeof *k);
    k->isa = name;
    if (!rnnrt_cpu_has(set_features[s]))
        return false;
#define RNNRT_KERNEL(set, dtype, family, slot, mr, nr, kgroup, units, kc_share, fn, features) \
    RNNRT_IF_BUILT(set, if (!strcmp(name, #set) && line_runs(features))                       \
                            RNNRT_PUT_##dtype##_##family(k->slot, fn, e);                      \
                   e++;)
#include "kernels.inc"
#undef RNNRT_KERNEL
    k->units = k->gemm4.units;
    give_twins(k);
    check_pairs(k);
    check_mxs(k);
    return k->vexp && k->vsigmoid && k->vtanh && k->vact && k->lstm_gates && k->lstm_peephole_gates &&
           k->lstm_coupled_gates && k->gru_gates && k->rnn_tanh_gates && k->rnn_relu_gates &&
           k->gru_rb_rz_gates && k->gru_rb_h_gates && k->gemm4.fn &&
           k->gemm3.fn && k->gemm_proj.fn && k->gemm3.units == k->units &&
           (!k->gemm4_tall.fn ||
            (k->gemm4_tall.nr == k->gemm4.nr && k->gemm4_tall.units == k->units)) &&
           same_tiles(k, RNNRT_WEIGHTS_BF16) && same_tiles(k, RNNRT_WEIGHTS_INT8) &&
           dot_tiles(k, RNNRT_WEIGHTS_INT8DOT) && dot_tiles(k, RNNRT_WEIGHTS_BF16DOT);
}

static rnnrt_kernels tables[sizeof rnnrt_kernel_set_names / sizeof rnnrt_kernel_set_names[0]];
static bool usable[sizeof tables / sizeof tables[0]];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void fill_tables(void)
{
    for (int s = 0; s < rnnrt_kernel_set_count; s++)
        usable[s] = fill(&tables[s], s);
}

static int set_index(const char *isa)
{
    for (int s = 0; s < rnnrt_kernel_set_count; s++)
        if (!strcmp(isa, rnnrt_kernel_set_names[s]))
            return s;
    return -1;
}

bool rnnrt_isa_known(const char *isa)
{
    return isa && set_index(isa) >= 0;
}

static _Atomic(const rnnrt_kernels *) active;
static pthread_once_t active_once = PTHREAD_ONCE_INIT;

const rnnrt_kernels *rnnrt_kernels_for_isa(const char *isa)
{
    int s = isa ? set_index(isa) : -1;
    if (s < 0)
        return NULL;
    pthread_once(&tables_once, fill_tables);
    return usable[s] ? &tables[s] : NULL;
}

/* The first usable set in kernel_sets.inc's order; scalar, last there, always is. */
static const rnnrt_kernels *best_kernels(void)
{
    for (int s = 0; s < rnnrt_kernel_set_count; s++) {
        const rnnrt_kernels *set = rnnrt_kernels_for_isa(rnnrt_kernel_set_names[s]);
        if (set)
            return set;
    }
    return NULL;
}

/* "avx512, avx2, neon or scalar", for messages. */
void rnnrt_kernel_set_list(char *buf, size_t size, const char *last_sep)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int s = 0; s < rnnrt_kernel_set_count && used < size; s++) {
        const char *sep = s == 0 ? "" : s == rnnrt_kernel_set_count - 1 ? last_sep : ", ";
        int w = snprintf(buf + used, size - used, "%s%s", sep, rnnrt_kernel_set_names[s]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static void choose_once(void)
{
    const char *forced = getenv("RNNRT_ISA");
    const char *verbose = getenv("RNNRT_VERBOSE");
    const rnnrt_kernels *set = NULL;
    bool honoured = false;
    if (forced && *forced) {
        set = rnnrt_kernels_for_isa(forced);
        /* The environment has no caller to return an error to; a wrong setting must not
         * go unnoticed, so this is the one message the library prints unasked. */
        if (!set) {
            char names[128];
            rnnrt_kernel_set_list(names, sizeof names, ", ");
            fprintf(stderr, "rnnrt: RNNRT_ISA=%s is %s%s; using the best available set\n",
                    forced, set_index(forced) >= 0 ? "not supported by this CPU or build"
                                                   : "not one of ",
                    set_index(forced) >= 0 ? "" : names);
        }
    }
    honoured = set != NULL;
    if (!set)
        set = best_kernels();
    atomic_store(&active, set);
    if (verbose && *verbose && strcmp(verbose, "0")) {
        char flags[256];
        rnnrt_cpu_feature_string(flags, sizeof flags);
        fprintf(stderr, "rnnrt: cpu features: %s\nrnnrt: kernel set: %s%s\n",
                flags[0] ? flags : "(none)", set->isa,
                honoured ? " (RNNRT_ISA)" : " (best available)");
    }
}

const rnnrt_kernels *rnnrt_active_kernels(void)
{
    pthread_once(&active_once, choose_once);
    return atomic_load(&active);
}

const char *rnnrt_isa(void)
{
    return rnnrt_active_kernels()->isa;
}

rnnrt_status rnnrt_set_isa(const char *name)
{
    rnnrt_clear_error();
    if (!name)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_set_isa: name is NULL");
    if (set_index(name) < 0) {
        char names[128];
        rnnrt_kernel_set_list(names, sizeof names, " or ");
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_set_isa: unknown ISA '%s' (expected %s)",
                          name, names);
    }
    const rnnrt_kernels *set = rnnrt_kernels_for_isa(name);
    if (!set)
        return rnnrt_fail(RNNRT_E_UNSUPPORTED,
                          "rnnrt_set_isa: '%s' kernels are not available: this CPU lacks the "
                          "features or this build does not include them", name);
    rnnrt_active_kernels(); /* let the startup choice run first so it cannot override us */
    atomic_store(&active, set);
    return RNNRT_OK;
}
