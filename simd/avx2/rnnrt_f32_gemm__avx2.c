/* AVX2+FMA GEMM microkernels 3x32 and 4x24: panels of 8 units times 4 or 3 gates, one ymm
 * per gate. 12 accumulators plus the panel row and one broadcast fit the 16 ymm registers
 * (the compiler may fold panel loads into the FMAs). Contract: simd/kernels.h. */
#include <immintrin.h>

#include "gemm_kernels.h"

static inline __attribute__((always_inline)) void
tile(const int MR, const int NV, size_t kc, const float *a, size_t lda, const float *b,
     const float *init, size_t ld_init, float *c, size_t ldc)
{
    __m256 acc[4][4];
    for (int m = 0; m < MR; m++)
        for (int v = 0; v < NV; v++)
            acc[m][v] = init ? _mm256_loadu_ps(init + m * ld_init + 8 * v) : _mm256_setzero_ps();
    for (size_t k = 0; k < kc; k++) {
        __m256 bv[4];
        for (int v = 0; v < NV; v++)
            bv[v] = _mm256_load_ps(b + k * (size_t)(8 * NV) + 8 * v);
        for (int m = 0; m < MR; m++) {
            __m256 am = _mm256_set1_ps(a[m * lda + k]);
            for (int v = 0; v < NV; v++)
                acc[m][v] = _mm256_fmadd_ps(am, bv[v], acc[m][v]);
        }
    }
    for (int m = 0; m < MR; m++)
        for (int v = 0; v < NV; v++)
            _mm256_storeu_ps(c + m * ldc + 8 * v, acc[m][v]);
}

void rnnrt_f32_gemm_3x32__avx2(size_t mr, size_t kc, const float *a, size_t lda,
                               const float *b, const float *init, size_t ld_init, float *c,
                               size_t ldc)
{
    switch (mr) {
    case 1: tile(1, 4, kc, a, lda, b, init, ld_init, c, ldc); break;
    case 2: tile(2, 4, kc, a, lda, b, init, ld_init, c, ldc); break;
    default: tile(3, 4, kc, a, lda, b, init, ld_init, c, ldc); break;
    }
}

void rnnrt_f32_gemm_4x24__avx2(size_t mr, size_t kc, const float *a, size_t lda,
                               const float *b, const float *init, size_t ld_init, float *c,
                               size_t ldc)
{
    switch (mr) {
    case 1: tile(1, 3, kc, a, lda, b, init, ld_init, c, ldc); break;
    case 2: tile(2, 3, kc, a, lda, b, init, ld_init, c, ldc); break;
    case 3: tile(3, 3, kc, a, lda, b, init, ld_init, c, ldc); break;
    default: tile(4, 3, kc, a, lda, b, init, ld_init, c, ldc); break;
    }
}
