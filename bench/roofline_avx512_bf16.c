/* Roofline kernel for AVX512-BF16 (compiled with -mavx512f -mavx512bf16): see roofline.h. */
#include <immintrin.h>

#include "roofline.h"

/* VDPBF16PS: per 32-bit lane, two bf16 products added to an fp32 accumulator (4 FLOP), 16
 * lanes: 64 FLOP per instruction. 16 independent accumulators, as the fp32 FMA probe: enough
 * for two pipes at a latency of up to 8 cycles. Inputs 1e-3 keep the sums normal and far
 * from overflow over any number of rounds the probe runs. */
double rnnrt_bench_dot_bf16__avx512_bf16(size_t iters, float *sink)
{
    const __m512 one = _mm512_set1_ps(1e-3f);
    const __m512bh a = _mm512_cvtne2ps_pbh(one, one), b = a;
    __m512 acc[16];
    for (int k = 0; k < 16; k++)
        acc[k] = _mm512_set1_ps((float)k);
    /* A constant trip count: the compiler unrolls it and keeps each accumulator in its own
     * register (objdump shows 16 register-only instructions a round). */
    for (size_t i = 0; i < iters; i++)
        for (int k = 0; k < 16; k++)
            acc[k] = _mm512_dpbf16_ps(acc[k], a, b);
    __m512 s = acc[0];
    for (int k = 1; k < 16; k++)
        s = _mm512_add_ps(s, acc[k]);
    *sink += _mm512_reduce_add_ps(s);
    return (double)iters * 16 * 64;
}
