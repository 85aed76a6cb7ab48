/* The AVX-512 (F, BW, DQ, VL) kernel set, offered by dispatch when the CPU and OS support
 * AVX-512 F, BW, DQ and VL. */
#include "kernels.h"
#include "avx512_kernels.h"
#include "gemm_kernels.h"

const rnnrt_kernels rnnrt_kernels_avx512 = {
    .isa = "avx512",
    .vexp = rnnrt_f32_vexp__avx512,
    .vsigmoid = rnnrt_f32_vsigmoid__avx512,
    .vtanh = rnnrt_f32_vtanh__avx512,
    .lstm_gates = rnnrt_f32_lstm_gates__avx512,
    .lstm_peephole_gates = rnnrt_f32_lstm_peephole_gates__avx512,
    .lstm_coupled_gates = rnnrt_f32_lstm_coupled_gates__avx512,
    .gru_gates = rnnrt_f32_gru_gates__avx512,
    .matmul_nt = rnnrt_f32_matmul_nt__avx512,
    .units = 16,
    .gemm4 = {rnnrt_f32_gemm_6x64__avx512, 6, 64},
    .gemm3 = {rnnrt_f32_gemm_8x48__avx512, 8, 48},
};
