/* rnnrt_f32_gru_rb_h_gates__avx2: the second half of the reset-before GRU step of
 * simd/kernels.h on 8 units at a time, the tail through maskload/maskstore (masked-off lanes
 * are neither read nor written). h = n + z*(h_prev - n), the GRU kernel's form. NaN inputs
 * give NaN outputs; they may raise FE_INVALID (see vmath_avx2.h). */
#include "kernels.h"
#include "vmath_avx2.h"

/* Eight floats, or the lanes of m in the tail (full is a constant at every call). */
static inline __attribute__((always_inline)) __m256 load(const float *p, int full, __m256i m)
{
    return full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m);
}

static inline __attribute__((always_inline)) __m256
h_cell(const float *t, const float *z, const float *h_prev, size_t j, int full, __m256i m)
{
    __m256 nn = rnnrt_avx2_tanh_core(load(t + j, full, m));
    __m256 hp = load(h_prev + j, full, m);
    return _mm256_fmadd_ps(load(z + j, full, m), _mm256_sub_ps(hp, nn), nn);
}

static void h_row(size_t n, const float *t, const float *z, const float *h_prev, float *h)
{
    const __m256i none = _mm256_setzero_si256();
    size_t j = 0;
    for (; j + 8 <= n; j += 8)
        _mm256_storeu_ps(h + j, h_cell(t, z, h_prev, j, 1, none));
    if (j < n) {
        __m256i m = rnnrt_avx2_tail_mask(n - j);
        _mm256_maskstore_ps(h + j, m, h_cell(t, z, h_prev, j, 0, m));
    }
}

void rnnrt_f32_gru_rb_h_gates__avx2(size_t rows, size_t n, const float *t, size_t ldt,
                                    const float *z, const float *h_prev, float *h, size_t ldh)
{
    rnnrt_f32_gru_rb_h_rows(h_row, rows, n, t, ldt, z, h_prev, h, ldh);
}
