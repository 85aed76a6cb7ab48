/* Kernel-set dispatch: the best set this CPU supports, chosen once, or the one forced by
 * RNNRT_ISA / rnnrt_set_isa(). */
#ifndef RNNRT_DISPATCH_H
#define RNNRT_DISPATCH_H

#include <stdbool.h>

#include "kernels.h"

/* Tables defined by each ISA library (simd/<isa>/); only the ones built are linked. */
extern const rnnrt_kernels rnnrt_kernels_scalar;
#ifdef RNNRT_HAVE_AVX2
extern const rnnrt_kernels rnnrt_kernels_avx2;
#endif
#ifdef RNNRT_HAVE_AVX512
extern const rnnrt_kernels rnnrt_kernels_avx512;
#endif
#ifdef RNNRT_HAVE_NEON
extern const rnnrt_kernels rnnrt_kernels_neon;
#endif

/* The kernel set names, for messages. */
#define RNNRT_ISA_NAMES "scalar, avx2, avx512, neon"

/* True if `isa` names a kernel set (whether or not this CPU or build has it). */
bool rnnrt_isa_known(const char *isa);

/* The active kernel set (never NULL). */
const rnnrt_kernels *rnnrt_active_kernels(void);

/* The set named `isa` if it was built and this CPU runs it, else NULL. For tests and
 * benchmarks that compare sets side by side. */
const rnnrt_kernels *rnnrt_kernels_for_isa(const char *isa);

#endif
