/* The AVX2 + FMA kernel set, offered by dispatch when the CPU and OS support AVX2 and FMA. */
#include "kernels.h"
#include "avx2_kernels.h"
#include "gemm_kernels.h"

const rnnrt_kernels rnnrt_kernels_avx2 = {
    .isa = "avx2",
    .vexp = rnnrt_f32_vexp__avx2,
    .vsigmoid = rnnrt_f32_vsigmoid__avx2,
    .vtanh = rnnrt_f32_vtanh__avx2,
    .lstm_gates = rnnrt_f32_lstm_gates__avx2,
    .lstm_peephole_gates = rnnrt_f32_lstm_peephole_gates__avx2,
    .lstm_coupled_gates = rnnrt_f32_lstm_coupled_gates__avx2,
    .gru_gates = rnnrt_f32_gru_gates__avx2,
    .matmul_nt = rnnrt_f32_matmul_nt__avx2,
    .units = 8,
    .gemm4 = {rnnrt_f32_gemm_3x32__avx2, 3, 32},
    .gemm3 = {rnnrt_f32_gemm_4x24__avx2, 4, 24},
};
