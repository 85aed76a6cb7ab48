/* The peers measured beside rnnrt in rnnrt-bench-lstm, each built only when its library was
 * found at configure time (RNNRT_BENCH_HAVE_OPENBLAS, RNNRT_BENCH_HAVE_ONEDNN).
 * Every peer runs the same one-layer forward pass as the rnnrt benchmark of that shape, on
 * seeded random weights and inputs, time-major [T][N][I] -> [T][N][H], zero initial state. */
#ifndef RNNRT_BENCH_PEERS_H
#define RNNRT_BENCH_PEERS_H

#ifdef __cplusplus
extern "C" {
#endif

/* ---- OpenBLAS, by hand (peer_openblas.c) ----------------------------------------------
 * What a user writes with a BLAS: one cblas_sgemm for the input projections of all steps,
 * then per step one cblas_sgemm of the recurrent weights and the gates in scalar C with
 * libm's expf/tanhf. LSTM only. */
typedef struct rnnrt_bench_blas_lstm rnnrt_bench_blas_lstm;
rnnrt_bench_blas_lstm *rnnrt_bench_blas_lstm_create(int T, int N, int H, int in_size,
                                                    unsigned long long seed);
void rnnrt_bench_blas_lstm_run(rnnrt_bench_blas_lstm *p);
void rnnrt_bench_blas_lstm_free(rnnrt_bench_blas_lstm *p);
void rnnrt_bench_blas_set_threads(int n);
/* "OpenBLAS 0.3.21 ... Haswell MAX_THREADS=64; core Haswell (OPENBLAS_CORETYPE=Haswell)" */
const char *rnnrt_bench_blas_info(void);
/* "OpenBLAS core=Haswell": the kernel set OpenBLAS runs, for each benchmark's label */
const char *rnnrt_bench_blas_core(void);

#ifdef __cplusplus
}

/* ---- oneDNN (peer_onednn.cc) ----------------------------------------------------------
 * lstm_forward / lbr_gru_forward (PyTorch's GRU), forward_inference, weights given in
 * oneDNN's ldigo layout and reordered once, at creation, into the layout the primitive
 * chose; one execute() per pass. The same seeded f32 weights, bias and input for every data
 * type; the reduced-precision ones are converted from them once, at creation:
 *   f32   everything f32
 *   bf16  source, destination and weights bf16, bias f32 (oneDNN's bf16 RNN configuration)
 *   u8s8  source and destination u8 (u8 = scale * x + shift, one scale and shift for the
 *         input and the hidden state, from the input's range joined with (-1, 1), the
 *         range of h), weights s8 with one scale per gate and output unit (mask (1 << 3) |
 *         (1 << 4) over ldigo), bias f32 */
#include <memory>
#include <stdexcept>
#include <string>

namespace rnnrt_bench {
enum class OnednnType { f32, bf16, u8s8 };
const char *onednn_type_name(OnednnType t);  // "f32", "bf16", "u8s8"
std::string onednn_config(OnednnType t);     // the data types and quantization, in words

struct OnednnRnn {
    virtual ~OnednnRnn() = default;
    virtual void run() = 0;
    virtual std::string impl() const = 0;  // the implementation oneDNN picked
    virtual std::string config() const = 0;  // data types and quantization, one line
};
// oneDNN answered `unimplemented`: by_cpu when it defines the operation for these data
// types (the descriptor was made) but has no implementation for this CPU; otherwise
// oneDNN does not define it at all (e.g. int8 for the linear-before-reset GRU).
struct OnednnUnsupported : std::runtime_error {
    bool by_cpu;
    OnednnUnsupported(bool cpu, const std::string &what) : std::runtime_error(what), by_cpu(cpu) {}
};
// cell "lstm" or "gru"; throws OnednnUnsupported as above, std::exception with oneDNN's
// message on any other failure.
std::unique_ptr<OnednnRnn> make_onednn(const char *cell, int T, int N, int H, int in_size,
                                       unsigned long long seed,
                                       OnednnType type = OnednnType::f32);
void onednn_set_threads(int n);
std::string onednn_info();  // "oneDNN 2.6.3 (cpu runtime OMP)"
}  // namespace rnnrt_bench
#endif

#endif
