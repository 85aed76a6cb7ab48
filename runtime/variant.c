/* Which forward pass rnnrt_forward() runs. Process-wide, like the kernel set. */
#include "variant.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static const char *const names[] = {"reference", "blocked"};
#define DEFAULT_VARIANT RNNRT_VARIANT_BLOCKED

static atomic_int active;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int lookup(const char *name)
{
    /* "simd" ran the kernel set's gate kernels on unpacked weights, a benchmark rung now
     * gone; the name stays accepted, deprecated, for callers that still pass it. */
    if (!strcmp(name, "simd"))
        return RNNRT_VARIANT_BLOCKED;
    for (int k = 0; k < (int)(sizeof names / sizeof names[0]); k++)
        if (!strcmp(name, names[k]))
            return k;
    return -1;
}

static void choose_once(void)
{
    const char *env = getenv("RNNRT_VARIANT");
    int v = env && *env ? lookup(env) : DEFAULT_VARIANT;
    /* As with RNNRT_ISA, there is no caller to tell: say it once, use the default. */
    if (v < 0) {
        fprintf(stderr, "rnnrt: RNNRT_VARIANT=%s is not one of reference, blocked; "
                        "using %s\n", env, names[DEFAULT_VARIANT]);
        v = DEFAULT_VARIANT;
    }
    atomic_store(&active, v);
}

rnnrt_variant_id rnnrt_active_variant(void)
{
    pthread_once(&once, choose_once);
    return (rnnrt_variant_id)atomic_load(&active);
}

const char *rnnrt_variant(void)
{
    return names[rnnrt_active_variant()];
}

rnnrt_status rnnrt_set_variant(const char *name)
{
    rnnrt_clear_error();
    if (!name)
        return rnnrt_fail(RNNRT_E_INVALID, "rnnrt_set_variant: name is NULL");
    int v = lookup(name);
    if (v < 0)
        return rnnrt_fail(RNNRT_E_INVALID,
                          "rnnrt_set_variant: unknown variant '%s' (expected reference or "
                          "blocked)", name);
    rnnrt_active_variant(); /* the startup choice must not run after us and override */
    atomic_store(&active, v);
    return RNNRT_OK;
}
