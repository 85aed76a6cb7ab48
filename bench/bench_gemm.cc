// rnnrt-bench-gemm: the products one LSTM/GRU step makes, C[M][G*H] = A[M][K] * W[G*H][K]^T
// with M = batch, K = H (recurrent) or I (input), for every shape of bench/shapes.def:
//   impl:naive     scalar loops (the compiler cannot vectorize a float sum without
//                  -ffast-math), what a first implementation does
//   impl:blocked   rnnrt's packed blocked GEMM (runtime/gemm.h), weights packed once
//   impl:openblas  cblas_sgemm, one thread (when libopenblas-dev was found)
// weights:warm repeats on one copy of W (in cache when it fits); weights:cold rotates over
// enough copies of W to exceed 128 MiB, so every call finds W out of every cache level. (A
// rotation instead of flushing by touching a big buffer before each call: a flush costs
// milliseconds against GEMMs of microseconds, and it cannot be kept out of the timed loop
// without pausing the timer, which is less accurate than the GEMM itself at small M.)
// Single-threaded: this binary compares kernels; rnnrt-bench-lstm measures threads.
#include <rnnrt.h>

#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "bench_common.h"
#include "bench_model.h"

extern "C" {
#include "dispatch.h"
#include "gemm.h"
}

#ifdef RNNRT_BENCH_HAVE_OPENBLAS
#include <cblas.h>
extern "C" void openblas_set_num_threads(int n);
#endif

using namespace rnnrt_bench;

namespace {

Options g_opt;
// Naive loops only where one call stays short (about 2 GFLOP/s scalar).
const double kNaiveMaxFlops = 0.1e9;

enum Impl { NAIVE, BLOCKED, OPENBLAS };

struct GemmCase : Case {
    Impl impl;
    size_t M, N, K;
    const rnnrt_kernels *kern;
    std::vector<float *> w;  // copies of W: one when warm
    size_t next = 0;
    float *a = nullptr, *c = nullptr;

    GemmCase(Impl impl, size_t M, size_t N, size_t K, const rnnrt_kernels *kern, bool cold)
        : impl(impl), M(M), N(N), K(K), kern(kern)
    {
        size_t wbytes = N * K * sizeof(float);
        size_t copies = cold ? ((size_t)128 << 20) / wbytes + 1 : 1;
        if (cold && copies < 2)
            copies = 2;
        for (size_t k = 0; k < copies; k++) {
            float *p = rnnrt_bench_alloc(N * K);
            if (!p) {
                skip = "out of memory";
                return;
            }
            rnnrt_bench_fill(p, N * K, 100 + k, 0.05f);
            w.push_back(p);
        }
        a = rnnrt_bench_alloc(M * K);
        c = rnnrt_bench_alloc(M * N);
        if (!a || !c) {
            skip = "out of memory";
            return;
        }
        rnnrt_bench_fill(a, M * K, 7, 1.0f);
        blocked_prepare();
    }
    ~GemmCase() override
    {
        blocked_free();
        for (float *p : w)
            rnnrt_bench_free(p);
        rnnrt_bench_free(a);
        rnnrt_bench_free(c);
    }

    void run() override
    {
        const float *wk = w[next];
        next = next + 1 == w.size() ? 0 : next + 1;
        switch (impl) {
        case NAIVE:
            for (size_t m = 0; m < M; m++)
                for (size_t n = 0; n < N; n++) {
                    float s = 0;
                    for (size_t k = 0; k < K; k++)
                        s += a[m * K + k] * wk[n * K + k];
                    c[m * N + n] = s;
                }
            break;
        case BLOCKED:
            blocked_run(wk);
            break;
        case OPENBLAS:
#ifdef RNNRT_BENCH_HAVE_OPENBLAS
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)M, (int)N, (int)K, 1.0f,
                        a, (int)K, wk, (int)K, 0.0f, c, (int)N);
#endif
            break;
        }
    }

    // The packed blocked GEMM (runtime/gemm.h): W packed once per copy, out of the timed
    // loop, as the library packs at load; kernel set kern's gemm_proj microkernel.
    std::vector<rnnrt_gemm_b *> packed;
    std::vector<float> tile;
    void blocked_prepare()
    {
        if (impl != BLOCKED || !kern)
            return;
        for (float *wk : w) {
            rnnrt_gemm_b *b = rnnrt_gemm_b_pack(kern, wk, (int)N, (int)K);
            if (!b) {
                skip = "out of memory packing W";
                return;
            }
            packed.push_back(b);
        }
        tile.resize(M * (size_t)kern->gemm_proj.nr);
    }
    void blocked_run(const float *wk)
    {
        size_t i = 0;
        while (w[i] != wk)
            i++;
        rnnrt_gemm_b_run(packed[i], (int)M, a, K, c, N, tile.data());
    }
    void blocked_free()
    {
        for (rnnrt_gemm_b *b : packed)
            rnnrt_gemm_b_free(b);
    }
};

const char *impl_name(Impl i)
{
    static const char *const names[] = {"naive", "blocked", "openblas"};
    return names[i];
}

void bm_gemm(benchmark::State &st, const std::string &name, Impl impl, size_t M, size_t N,
             size_t K, std::string isa, bool cold)
{
    const rnnrt_kernels *kern = isa == "-" ? nullptr : rnnrt_kernels_for_isa(isa.c_str());
    Case *c = cached_case(name, g_opt, [&] {
        return std::unique_ptr<Case>(new GemmCase(impl, M, N, K, kern, cold));
    });
    if (!c->skip.empty()) {
        st.SkipWithError(c->skip.c_str());
        return;
    }
    for (auto _ : st)
        c->run();
    st.counters["GFLOPS"] = benchmark::Counter(2.0 * M * N * K * 1e-9,
                                               benchmark::Counter::kIsIterationInvariantRate);
    st.SetBytesProcessed((int64_t)(N * K * sizeof(float)) * st.iterations());
}

void reg(Impl impl, size_t M, size_t N, size_t K, const std::string &isa, bool cold)
{
    std::string name = "gemm/M:" + std::to_string(M) + "/N:" + std::to_string(N) + "/K:" +
                       std::to_string(K) + "/impl:" + impl_name(impl) + "/isa:" + isa +
                       "/weights:" + (cold ? "cold" : "warm");
    benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State &st) {
        bm_gemm(st, name, impl, M, N, K, isa, cold);
    })->Unit(benchmark::kMicrosecond);
}

}  // namespace

int main(int argc, char **argv)
{
    std::vector<char *> args;
    g_opt = parse_options(&argc, &argv, &args,
                          "  --variants=LIST      impls (naive,blocked,openblas)\n");
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
#ifdef RNNRT_BENCH_HAVE_OPENBLAS
    openblas_set_num_threads(1);
#else
    note("openblas", "skipped: libopenblas-dev was not found when this build was configured");
#endif
    std::vector<std::string> isas = runnable_isas(g_opt);
    // (M, N, K) of every shape in the set, each once, in the order of shapes.def.
    std::set<std::tuple<size_t, size_t, size_t>> seen;
    for (const Shape &s : shapes_in(g_opt.set)) {
        for (size_t K : {(size_t)s.H, (size_t)s.I}) {
            size_t M = s.N, N = (size_t)s.gates() * s.H;
            if (!seen.insert(std::make_tuple(M, N, K)).second)
                continue;
            double flops = 2.0 * M * N * K;
            for (bool cold : {false, true}) {
                if (wanted(g_opt.variants, "naive") && flops <= kNaiveMaxFlops)
                    reg(NAIVE, M, N, K, "-", cold);
                if (wanted(g_opt.variants, "blocked"))
                    reg(BLOCKED, M, N, K, isas.empty() ? "-" : isas[0], cold);
#ifdef RNNRT_BENCH_HAVE_OPENBLAS
                if (wanted(g_opt.variants, "openblas"))
                    reg(OPENBLAS, M, N, K, "-", cold);
#endif
            }
        }
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
