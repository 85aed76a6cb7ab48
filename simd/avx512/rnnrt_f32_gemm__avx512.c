/* AVX-512 GEMM microkernels 6x64 and 8x48: panels of 16 units times 4 or 3 gates, one zmm
 * per gate. 24 accumulators, the panel row in 4 (3) registers, one broadcast of A: 29 of
 * the 32 zmm registers. Contract: rnnrt_f32_gemm_fn in simd/kernels.h. */
#include <immintrin.h>

#include "gemm_kernels.h"

/* MR and NV are constants at every call, so the accumulator arrays live in registers. */
static inline __attribute__((always_inline)) void
tile(const int MR, const int NV, size_t kc, const float *a, size_t lda, const float *b,
     const float *init, size_t ld_init, float *c, size_t ldc)
{
    __m512 acc[8][4];
    for (int m = 0; m < MR; m++)
        for (int v = 0; v < NV; v++)
            acc[m][v] = init ? _mm512_loadu_ps(init + m * ld_init + 16 * v) : _mm512_setzero_ps();
    for (size_t k = 0; k < kc; k++) {
        __m512 bv[4];
        for (int v = 0; v < NV; v++)
            bv[v] = _mm512_load_ps(b + k * (size_t)(16 * NV) + 16 * v);
        for (int m = 0; m < MR; m++) {
            __m512 am = _mm512_set1_ps(a[m * lda + k]);
            for (int v = 0; v < NV; v++)
                acc[m][v] = _mm512_fmadd_ps(am, bv[v], acc[m][v]);
        }
    }
    for (int m = 0; m < MR; m++)
        for (int v = 0; v < NV; v++)
            _mm512_storeu_ps(c + m * ldc + 16 * v, acc[m][v]);
}

void rnnrt_f32_gemm_6x64__avx512(size_t mr, size_t kc, const float *a, size_t lda,
                                 const float *b, const float *init, size_t ld_init, float *c,
                                 size_t ldc)
{
    switch (mr) {
    case 1: tile(1, 4, kc, a, lda, b, init, ld_init, c, ldc); break;
    case 2: tile(2, 4, kc, a, lda, b, init, ld_init, c, ldc); break;
    case 3: tile(3, 4, kc, a, lda, b, init, ld_init, c, ldc); break;
    case 4: tile(4, 4, kc, a, lda, b, init, ld_init, c, ldc); break;
    case 5: tile(5, 4, kc, a, lda, b, init, ld_init, c, ldc); break;
    default: tile(6, 4, kc, a, lda, b, init, ld_init, c, ldc); break;
    }
}

void rnnrt_f32_gemm_8x48__avx512(size_t mr, size_t kc, const float *a, size_t lda,
                                 const float *b, const float *init, size_t ld_init, float *c,
                                 size_t ldc)
{
    switch (mr) {
    case 1: tile(1, 3, kc, a, lda, b, init, ld_init, c, ldc); break;
    case 2: tile(2, 3, kc, a, lda, b, init, ld_init, c, ldc); break;
    case 3: tile(3, 3, kc, a, lda, b, init, ld_init, c, ldc); break;
    case 4: tile(4, 3, kc, a, lda, b, init, ld_init, c, ldc); break;
    case 5: tile(5, 3, kc, a, lda, b, init, ld_init, c, ldc); break;
    case 6: tile(6, 3, kc, a, lda, b, init, ld_init, c, ldc); break;
    case 7: tile(7, 3, kc, a, lda, b, init, ld_init, c, ldc); break;
    default: tile(8, 3, kc, a, lda, b, init, ld_init, c, ldc); break;
    }
}
