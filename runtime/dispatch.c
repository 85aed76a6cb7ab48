/* Picks the kernel set once: RNNRT_ISA if set, else the best the CPU runs
 * (avx512 > avx2 > scalar, or neon > scalar). rnnrt_set_isa() may change it later. */
#include "dispatch.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_features.h"
#include "error.h"

static _Atomic(const rnnrt_kernels *) active;
static pthread_once_t active_once = PTHREAD_ONCE_INIT;

bool rnnrt_isa_known(const char *isa)
{
    return !strcmp(isa, "scalar") || !strcmp(isa, "avx2") || !strcmp(isa, "avx512") ||
           !strcmp(isa, "neon");
}

const rnnrt_kernels *rnnrt_kernels_for_isa(const char *isa)
{
    const rnnrt_cpu_features *cpu = rnnrt_cpu();
    if (!isa)
        return NULL;
    if (!strcmp(isa, "scalar"))
        return &rnnrt_kernels_scalar;
#ifdef RNNRT_HAVE_AVX512
    if (!strcmp(isa, "avx512"))
        return cpu->avx512f && cpu->avx512bw && cpu->avx512dq && cpu->avx512vl
                   ? &rnnrt_kernels_avx512 : NULL;
#endif
#ifdef RNNRT_HAVE_AVX2
    if (!strcmp(isa, "avx2"))
        return cpu->avx2 && cpu->fma ? &rnnrt_kernels_avx2 : NULL;
#endif
#ifdef RNNRT_HAVE_NEON
    if (!strcmp(isa, "neon"))
        return cpu->neon ? &rnnrt_kernels_neon : NULL;
#endif
    (void)cpu;
    return NULL;
}

static const rnnrt_kernels *best_kernels(void)
{
    static const char *const preference[] = {"avx512", "avx2", "neon"};
    for (size_t k = 0; k < sizeof preference / sizeof preference[0]; k++) {
        const rnnrt_kernels *set = rnnrt_kernels_for_isa(preference[k]);
        if (set)
            return set;
    }
    return &rnnrt_kernels_scalar;
}

static void choose_once(void)
{
    const char *forced = getenv("RNNRT_ISA");
    const char *verbose = getenv("RNNRT_VERBOSE");
    const rnnrt_kernels *set = NULL;
    if (forced && *forced) {
        set = rnnrt_kernels_for_isa(forced);
        /* The environment has no caller to return an error to; a wrong setting must not
         * go unnoticed, so this is the one message the library prints unasked. */
        if (!set)
            fprintf(stderr, "rnnrt: RNNRT_ISA=%s is %s; using the best available set\n",
                    forced, rnnrt_isa_known(forced) ? "not supported by this CPU or build"
                                                 : "not one of scalar, avx2, avx512, neon");
    }
    if (!set)
        set = best_kernels();
    atomic_store(&active, set);
    if (verbose && *verbose && strcmp(verbose, "0")) {
        char flags[256];
        rnnrt_cpu_feature_string(flags, sizeof flags);
        fprintf(stderr, "rnnrt: cpu features: %s\nrnnrt: kernel set: %s%s\n",
                flags[0] ? flags : "(none)", set->isa,
                forced && *forced ? " (RNNRT_ISA)" : " (best available)");
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
    if (!rnnrt_isa_known(name))
        return rnnrt_fail(RNNRT_E_INVALID,
                          "rnnrt_set_isa: unknown ISA '%s' (expected scalar, avx2, avx512 or "
                          "neon)", name);
    const rnnrt_kernels *set = rnnrt_kernels_for_isa(name);
    if (!set)
        return rnnrt_fail(RNNRT_E_UNSUPPORTED,
                          "rnnrt_set_isa: '%s' kernels are not available: this CPU lacks the "
                          "features or this build does not include them", name);
    rnnrt_active_kernels(); /* let the startup choice run first so it cannot override us */
    atomic_store(&active, set);
    return RNNRT_OK;
}
