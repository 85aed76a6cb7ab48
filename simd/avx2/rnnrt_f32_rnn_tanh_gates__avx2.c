/* rnnrt_f32_rnn_tanh_gates__avx2: the tanh RNN update of simd/kernels.h, each row through
 * this set's vtanh (same accuracy and NaN handling; nothing past a row's n units is read or
 * written). */
#include "kernels.h"

void rnnrt_f32_rnn_tanh_gates__avx2(size_t rows, size_t n, const float *t, size_t ldt, float *h,
                                    size_t ldh)
{
    rnnrt_f32_rnn_rows(rnnrt_f32_vtanh__avx2, rows, n, t, ldt, h, ldh);
}
