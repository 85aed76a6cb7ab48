/* The row dispatch every GEMM microkernel shares: one case per row count, so that in each
 * case the number of rows is a constant and the accumulators live in registers. Macros
 * only (this header is included by ISA files). */
#ifndef RNNRT_SIMD_GEMM_ROWS_H
#define RNNRT_SIMD_GEMM_ROWS_H

#include <assert.h>

/* Runs TILE(R) for R = mr when 1 <= mr <= MR (MR at most 8). Any other mr breaks the
 * microkernel contract: asserted in debug builds, and in release builds nothing is read or
 * written (never a silent tile of another height). */
#define RNNRT_GEMM_SWITCH_ROWS(MR, mr, TILE)                                                  \
    do {                                                                                      \
        assert(1 <= (mr) && (mr) <= (size_t)(MR));                                            \
        switch (mr) {                                                                         \
        case 1: TILE(1); break;                                                               \
        case 2: if ((MR) >= 2) TILE(2); break;                                                \
        case 3: if ((MR) >= 3) TILE(3); break;                                                \
        case 4: if ((MR) >= 4) TILE(4); break;                                                \
        case 5: if ((MR) >= 5) TILE(5); break;                                                \
        case 6: if ((MR) >= 6) TILE(6); break;                                                \
        case 7: if ((MR) >= 7) TILE(7); break;                                                \
        case 8: if ((MR) >= 8) TILE(8); break;                                                \
        default: break;                                                                       \
        }                                                                                     \
    } while (0)

#endif
