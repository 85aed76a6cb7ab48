/* rnnrt_f32_gru_gates__avx2: the GRU cell update of simd/kernels.h on 8 units at a time, the
 * tail through maskload/maskstore (masked-off lanes are neither read nor written).
 * h = n + z*(h_prev - n), the form PyTorch evaluates. NaN inputs give NaN outputs; they may
 * raise FE_INVALID (see vmath_avx2.h). */
#include "kernels.h"
#include "vmath_avx2.h"

/* Eight floats, or the lanes of m in the tail (full is a constant at every call). */
static inline __attribute__((always_inline)) __m256 load(const float *p, int full, __m256i m)
{
    return full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m);
}

/* Units j.. of one row: the recurrent and input parts of the three gates, b_hn, h_prev. */
static inline __attribute__((always_inline)) __m256
gru_cell(const float *ht, const float *xt, size_t gs, const float *b_hn, const float *h_prev,
         size_t j, int full, __m256i m)
{
    __m256 r = _mm256_add_ps(load(ht + j, full, m), load(xt + j, full, m));
    __m256 z = _mm256_add_ps(load(ht + gs + j, full, m), load(xt + gs + j, full, m));
    __m256 hn = load(ht + 2 * gs + j, full, m);
    if (b_hn)
        hn = _mm256_add_ps(hn, load(b_hn + j, full, m));
    __m256 xn = load(xt + 2 * gs + j, full, m);
    __m256 nn = rnnrt_avx2_tanh_core(_mm256_fmadd_ps(rnnrt_avx2_sigmoid_core(r), hn, xn));
    __m256 hp = load(h_prev + j, full, m);
    return _mm256_fmadd_ps(rnnrt_avx2_sigmoid_core(z), _mm256_sub_ps(hp, nn), nn);
}

static void gru_row(size_t n, const float *ht, const float *xt, size_t gs, const float *b_hn,
                    const float *h_prev, float *h)
{
    const __m256i none = _mm256_setzero_si256();
    size_t j = 0;
    for (; j + 8 <= n; j += 8)
        _mm256_storeu_ps(h + j, gru_cell(ht, xt, gs, b_hn, h_prev, j, 1, none));
    if (j < n) {
        __m256i m = rnnrt_avx2_tail_mask(n - j);
        _mm256_maskstore_ps(h + j, m, gru_cell(ht, xt, gs, b_hn, h_prev, j, 0, m));
    }
}

void rnnrt_f32_gru_gates__avx2(size_t rows, size_t n, const float *ht, size_t ldht, size_t gs,
                               const float *xt, size_t ldxt, const float *b_hn,
                               const float *h_prev, float *h, size_t ldh)
{
    rnnrt_f32_gru_rows(gru_row, rows, n, ht, ldht, gs, xt, ldxt, b_hn, h_prev, h, ldh);
}
