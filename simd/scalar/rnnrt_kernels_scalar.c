/* The scalar kernel set (libm based): always built, the fallback of dispatch and the
 * baseline of the benchmarks. */
#include "kernels.h"
#include "scalar_kernels.h"

const rnnrt_kernels rnnrt_kernels_scalar = {
    .isa = "scalar",
    .vexp = rnnrt_f32_vexp__scalar,
    .vsigmoid = rnnrt_f32_vsigmoid__scalar,
    .vtanh = rnnrt_f32_vtanh__scalar,
    .lstm_gates = rnnrt_f32_lstm_gates__scalar,
    .lstm_peephole_gates = rnnrt_f32_lstm_peephole_gates__scalar,
    .lstm_coupled_gates = rnnrt_f32_lstm_coupled_gates__scalar,
    .gru_gates = rnnrt_f32_gru_gates__scalar,
    .matmul_nt = rnnrt_f32_matmul_nt__scalar,
    .units = 8,
    .gemm4 = {rnnrt_f32_gemm_4x32__scalar, 4, 32},
    .gemm3 = {rnnrt_f32_gemm_4x24__scalar, 4, 24},
};
