/* Kernels of the roofline probe (rnnrt-bench-roofline), one file per ISA, each compiled
 * with its own flags (bench/ only; the library's code never sees them).
 *
 * fma:  runs `iters` rounds of independent multiply-adds on registers only (enough chains to
 *       cover the FMA latency on current x86 cores) and returns the FLOPs done (2 per lane
 *       per FMA). The result is written to *sink so the work cannot be removed.
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

#ifdef __cplusplus
}
#endif

#endif
