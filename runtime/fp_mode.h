/* The floating-point mode rnnrt computes in. Subnormal numbers make float arithmetic slower
 * (1.2x to 2.2x on the forward pass with subnormal weights, docs/reliability.md), and the
 * bf16 dot products read and write them as zero (simd/kernels.h), so the forward pass
 * flushes them to zero (x86 MXCSR FTZ and DAZ, AArch64 FPCR.FZ) in its own threads only and
 * gives the caller its mode back. Tests and benchmarks that call kernels directly do the
 * same. */
#ifndef RNNRT_FP_MODE_H
#define RNNRT_FP_MODE_H

/* Sets flush-to-zero and denormals-are-zero on this thread; returns the mode it replaced. */
unsigned long rnnrt_flush_denormals(void);

/* Puts back a mode rnnrt_flush_denormals returned. */
void rnnrt_restore_fp_mode(unsigned long old);

#endif
