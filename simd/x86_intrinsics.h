/* The x86 intrinsics a kernel body uses: the compiler's (<immintrin.h>) in the native sets,
 * or the software model of the instructions (simd/model/x86_model.h) in the model sets,
 * whose flags define RNNRT_INTRINSICS_MODEL. A body written once runs both ways, so the
 * model sets test it on any machine and the native sets run it where the CPU can. */
#ifndef RNNRT_SIMD_X86_INTRINSICS_H
#define RNNRT_SIMD_X86_INTRINSICS_H

#ifdef RNNRT_INTRINSICS_MODEL
#include "model/x86_model.h"
#else
#include <immintrin.h>
#endif

#endif
