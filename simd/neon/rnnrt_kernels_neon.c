/* The AArch64 NEON kernel set, offered by dispatch when the CPU and OS support NEON (always,
 * on AArch64). */
#include "kernels.h"
#include "neon_kernels.h"
#include "gemm_kernels.h"

const rnnrt_kernels rnnrt_kernels_neon = {
    .isa = "neon",
    .vexp = rnnrt_f32_vexp__neon,
    .vsigmoid = rnnrt_f32_vsigmoid__neon,
    .vtanh = rnnrt_f32_vtanh__neon,
    .lstm_gates = rnnrt_f32_lstm_gates__neon,
    .lstm_peephole_gates = rnnrt_f32_lstm_peephole_gates__neon,
    .lstm_coupled_gates = rnnrt_f32_lstm_coupled_gates__neon,
    .gru_gates = rnnrt_f32_gru_gates__neon,
    .matmul_nt = rnnrt_f32_matmul_nt__neon,
    .units = 4,
    .gemm4 = {rnnrt_f32_gemm_6x16__neon, 6, 16},
    .gemm3 = {rnnrt_f32_gemm_8x12__neon, 8, 12},
};
