/* rnnrt_f32_gru_rb_rz_gates__avx2: the first half of the reset-before GRU step of
 * simd/kernels.h (z, and r * h_prev) on 8 units at a time, the tail through
 * maskload/maskstore (masked-off lanes are neither read nor written). NaN inputs give NaN
 * outputs; they may raise FE_INVALID (see vmath_avx2.h). */
#include "kernels.h"
#include "vmath_avx2.h"

/* Eight floats, or the lanes of m in the tail (full is a constant at every call). */
static inline __attribute__((always_inline)) __m256 load(const float *p, int full, __m256i m)
{
    return full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m);
}

static inline __attribute__((always_inline)) void
rz_cell(const float *r, const float *z_pre, const float *h_prev, size_t j, int full, __m256i m,
        __m256 *rh, __m256 *z)
{
    __m256 hp = load(h_prev + j, full, m);
    *z = rnnrt_avx2_sigmoid_core(load(z_pre + j, full, m));
    *rh = _mm256_mul_ps(rnnrt_avx2_sigmoid_core(load(r + j, full, m)), hp);
}

static void rz_row(size_t n, const float *r, const float *z_pre, const float *h_prev, float *rh,
                   float *z)
{
    const __m256i none = _mm256_setzero_si256();
    __m256 rv, zv;
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        rz_cell(r, z_pre, h_prev, j, 1, none, &rv, &zv);
        _mm256_storeu_ps(z + j, zv);
        _mm256_storeu_ps(rh + j, rv);
    }
    if (j < n) {
        __m256i m = rnnrt_avx2_tail_mask(n - j);
        rz_cell(r, z_pre, h_prev, j, 0, m, &rv, &zv);
        _mm256_maskstore_ps(z + j, m, zv);
        _mm256_maskstore_ps(rh + j, m, rv);
    }
}

void rnnrt_f32_gru_rb_rz_gates__avx2(size_t rows, size_t n, const float *t, size_t ldt,
                                     size_t gs, const float *h_prev, float *rh, float *z,
                                     size_t ld)
{
    rnnrt_f32_gru_rb_rz_rows(rz_row, rows, n, t, ldt, gs, h_prev, rh, z, ld);
}
