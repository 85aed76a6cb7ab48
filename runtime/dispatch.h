/* Kernel-set dispatch: the best set this CPU supports, chosen once, or the one forced by
 * RNNRT_ISA / rnnrt_set_isa(). The sets and their kernels come from simd/kernel_sets.inc
 * and simd/kernels.inc. */
#ifndef RNNRT_DISPATCH_H
#define RNNRT_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

/* The names of every kernel set, best first, whether built or not ("avx512", "avx2", "neon",
 * "scalar"): what tests, benchmarks and error messages iterate over. */
extern const char *const rnnrt_kernel_set_names[];
extern const int rnnrt_kernel_set_count;

/* One line of simd/kernels.inc whose set was built. fn has the type of the family's
 * signature (rnnrt_<dtype>_<family>_t); cast it back before calling. */
typedef void (*rnnrt_kernel_any_fn)(void);
typedef struct rnnrt_kernel_info {
    const char *set, *dtype, *family, *slot, *name;
    rnnrt_kernel_any_fn fn;
    int mr, nr, kgroup, units, kc_share;
    uint64_t features; /* RNNRT_CPU_* bits it needs */
} rnnrt_kernel_info;

/* Every kernel built into this library, in table order; *count gets their number. */
const rnnrt_kernel_info *rnnrt_kernel_list(size_t *count);

/* True when `info`'s kernel runs on this CPU. */
bool rnnrt_kernel_supported(const rnnrt_kernel_info *info);

/* The kernel set names as a list for messages: "a, b, c<last_sep>d". */
void rnnrt_kernel_set_list(char *buf, size_t size, const char *last_sep);

/* True if `isa` names a kernel set (whether or not this CPU or build has it). */
bool rnnrt_isa_known(const char *isa);

/* The active kernel set (never NULL). */
const rnnrt_kernels *rnnrt_active_kernels(void);

/* The set named `isa` if it was built and this CPU runs it, else NULL. For tests and
 * benchmarks that compare sets side by side. */
const rnnrt_kernels *rnnrt_kernels_for_isa(const char *isa);

#endif
