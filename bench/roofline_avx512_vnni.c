/* Roofline kernel for AVX512-VNNI (compiled with -mavx512f -mavx512vnni): see roofline.h. */
#include <immintrin.h>

#include "roofline.h"

/* VPDPBUSD: per 32-bit lane, four u8 x s8 products added to an int32 accumulator (8 OP),
 * 16 lanes: 128 OP per instruction. 16 independent accumulators; inputs of 1 add 4 per
 * round, far from int32 overflow for the rounds the probe runs (2^20). */
double rnnrt_bench_dot_int8__avx512_vnni(size_t iters, float *sink)
{
    const __m512i a = _mm512_set1_epi8(1), b = _mm512_set1_epi8(1);
    __m512i acc[16];
    for (int k = 0; k < 16; k++)
        acc[k] = _mm512_set1_epi32(k);
    /* A constant trip count: the compiler unrolls it and keeps each accumulator in its own
     * register (objdump shows 16 register-only instructions a round). */
    for (size_t i = 0; i < iters; i++)
        for (int k = 0; k < 16; k++)
            acc[k] = _mm512_dpbusd_epi32(acc[k], a, b);
    __m512i s = acc[0];
    for (int k = 1; k < 16; k++)
        s = _mm512_add_epi32(s, acc[k]);
    *sink += (float)_mm512_reduce_add_epi32(s);
    return (double)iters * 16 * 128;
}
