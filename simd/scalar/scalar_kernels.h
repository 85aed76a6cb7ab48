/* Inline helpers of the scalar kernel set (declarations: simd/kernels.h, from kernels.inc). */
#ifndef RNNRT_SIMD_SCALAR_KERNELS_H
#define RNNRT_SIMD_SCALAR_KERNELS_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"

/* NaN is tested on the bits and quieted with an OR: a float compare or arithmetic raises
 * FE_INVALID on a signalling NaN (and x >= 0 does on any NaN). */
static inline bool rnnrt_nan_quiet(float x, float *quiet)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7fffffffu) <= 0x7f800000u)
        return false;
    u |= 0x00400000u;
    memcpy(quiet, &u, sizeof u);
    return true;
}

/* 1 / (1 + e^-x), written so that neither branch overflows: for x < 0, e^x is in (0, 1]. */
static inline float rnnrt_sigmoidf(float x)
{
    float q;
    if (rnnrt_nan_quiet(x, &q))
        return q;
    if (!signbit(x))
        return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

#endif
