/* Declarations of the matrix kernels of every ISA (contracts in simd/kernels.h):
 * matmul_nt for the "simd" forward variant and the GEMM microkernels of the blocked one.
 * The tile is in the name: rnnrt_f32_gemm_<MR>x<NR>__<isa>. */
#ifndef RNNRT_SIMD_GEMM_KERNELS_H
#define RNNRT_SIMD_GEMM_KERNELS_H

#include <stddef.h>

#define RNNRT_DECLARE_MATMUL_NT(isa)                                                          \
    void rnnrt_f32_matmul_nt__##isa(size_t M, size_t N, size_t K, const float *a, size_t lda, \
                                    const float *w, size_t ldw, const float *bias, float *c,  \
                                    size_t ldc)
#define RNNRT_DECLARE_GEMM(tile, isa)                                                         \
    void rnnrt_f32_gemm_##tile##__##isa(size_t mr, size_t kc, const float *a, size_t lda,     \
                                        const float *b, const float *init, size_t ld_init,    \
                                        float *c, size_t ldc)

RNNRT_DECLARE_MATMUL_NT(avx2);
RNNRT_DECLARE_GEMM(3x32, avx2);
RNNRT_DECLARE_GEMM(4x24, avx2);

RNNRT_DECLARE_MATMUL_NT(avx512);
RNNRT_DECLARE_GEMM(6x64, avx512);
RNNRT_DECLARE_GEMM(8x48, avx512);

RNNRT_DECLARE_MATMUL_NT(neon);
RNNRT_DECLARE_GEMM(6x16, neon);
RNNRT_DECLARE_GEMM(8x12, neon);

#endif
