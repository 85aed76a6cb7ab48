/* Kernels of the roofline probe (rnnrt-bench-roofline), one file per ISA, each compiled
 * with its own flags (bench/ only; the library's code never sees them).
 *
 * fma:  runs `iters` rounds of independent multiply-adds on registers only (enough chains to
 *       cover the FMA latency on current x86 cores) and returns the FLOPs done (2 per lane
 *       per FMA). The result is written to *sink so the work cannot be removed.
 * dot_<type>: the same on the ISA's dot-product instruction for a reduced type (bf16 pairs
 *       into fp32, u8 x s8 quadruples into int32): returns the operations done (2 per
 *       product), called only where the CPU runs it (and for AMX, after the permission).
 * read: sums n floats of buf (n a multiple of 128, buf 64-byte aligned), `passes` times,
 *       with vector loads; returns the bytes read. */
#ifndef RNNRT_BENCH_ROOFLINE_H
#define RNNRT_BENCH_ROOFLINE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

double rnnrt_bench_fma__avx2(size_t iters, float *sink);
double rnnrt_bench_read__avx2(const float *buf, size_t n, size_t passes, float *sink);
double rnnrt_bench_fma__avx512(size_t iters, float *sink);
double rnnrt_bench_read__avx512(const float *buf, size_t n, size_t passes, float *sink);
double rnnrt_bench_dot_bf16__avx512_bf16(size_t iters, float *sink); /* VDPBF16PS */
double rnnrt_bench_dot_int8__avx512_vnni(size_t iters, float *sink); /* VPDPBUSD */
double rnnrt_bench_dot_bf16__amx(size_t iters, float *sink);         /* TDPBF16PS */
double rnnrt_bench_dot_int8__amx(size_t iters, float *sink);         /* TDPBUSD */

#ifdef __cplusplus
}
#endif

#endif
