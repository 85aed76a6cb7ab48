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
 * chose; one execute() per pass. */
#include <memory>
#include <string>

namespace rnnrt_bench {
struct OnednnRnn {
    virtual ~OnednnRnn() = default;
    virtual void run() = 0;
    virtual std::string impl() const = 0;  // the implementation oneDNN picked
};
// cell "lstm" or "gru"; throws std::exception with oneDNN's message on failure.
std::unique_ptr<OnednnRnn> make_onednn(const char *cell, int T, int N, int H, int in_size,
                                       unsigned long long seed);
void onednn_set_threads(int n);
std::string onednn_info();  // "oneDNN 2.6.3 (cpu runtime OMP)"
}  // namespace rnnrt_bench
#endif

#endif
