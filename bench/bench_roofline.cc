// rnnrt-bench-roofline: the limits every result is compared with, on this machine.
//   roofline/fma/isa:<isa>/threads:<n>              fp32 FMA peak (GFLOPS counter)
//   roofline/read/isa:<isa>/bytes:<ws>/threads:<n>  read bandwidth with a working set of ws
//                                                   bytes per thread (GBps counter)
//   roofline/dot/type:<t>/isa:<isa>/threads:<n>     dot-product peak of a reduced type: bf16
//                                                   (VDPBF16PS, AMX TDPBF16PS) and int8
//                                                   (VPDPBUSD, AMX TDPBUSD), operations per
//                                                   second in the GFLOPS counter; skipped
//                                                   with "absent: ..." or "not built: ..."
//                                                   where the CPU or the compiler lacks it
// Threads are an OpenMP team of exactly n, each with its own registers or its own buffer
// (first touched by that thread); rates are for the whole team.
#include <omp.h>
#include <rnnrt.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bench_common.h"
#include "bench_model.h"
#include "roofline.h"
extern "C" {
#include "cpu_features.h"
}

using namespace rnnrt_bench;

namespace {

Options g_opt;

typedef double (*fma_fn)(size_t, float *);
typedef double (*read_fn)(const float *, size_t, size_t, float *);

struct Isa {
    const char *name;
    fma_fn fma;
    read_fn read;
};

// Kernels built into this binary (meson builds each ISA file only where the compiler takes
// its flags) that the CPU and OS run (checked through rnnrt's own detection).
std::vector<Isa> runnable()
{
    std::vector<Isa> all;
#ifdef RNNRT_BENCH_HAVE_AVX512
    all.push_back({"avx512", rnnrt_bench_fma__avx512, rnnrt_bench_read__avx512});
#endif
#ifdef RNNRT_BENCH_HAVE_AVX2
    all.push_back({"avx2", rnnrt_bench_fma__avx2, rnnrt_bench_read__avx2});
#endif
    std::string saved = rnnrt_isa();
    std::vector<Isa> out;
    for (const Isa &i : all) {
        if (rnnrt_set_isa(i.name) == RNNRT_OK)
            out.push_back(i);
        else
            note(std::string("roofline_") + i.name, "skipped: this CPU does not run it");
    }
    rnnrt_set_isa(saved.c_str());
    return out;
}

// The dot-product probes of the reduced types, in the order the report lists them.
struct DotProbe {
    const char *type, *isa, *instruction, *features;  // features: what rnnrt_cpu_has checks
    uint64_t needs;
    bool amx;
    fma_fn fn;  // nullptr where meson did not build the file
};

std::vector<DotProbe> dot_probes()
{
    fma_fn bf16 = nullptr, vnni = nullptr, amx_bf16 = nullptr, amx_int8 = nullptr;
#ifdef RNNRT_BENCH_HAVE_AVX512_BF16
    bf16 = rnnrt_bench_dot_bf16__avx512_bf16;
#endif
#ifdef RNNRT_BENCH_HAVE_AVX512_VNNI
    vnni = rnnrt_bench_dot_int8__avx512_vnni;
#endif
#ifdef RNNRT_BENCH_HAVE_AMX
    amx_bf16 = rnnrt_bench_dot_bf16__amx;
    amx_int8 = rnnrt_bench_dot_int8__amx;
#endif
    return {
        {"bf16", "avx512_bf16", "VDPBF16PS", "AVX512F AVX512_BF16",
         RNNRT_CPU_AVX512F | RNNRT_CPU_AVX512_BF16, false, bf16},
        {"int8", "avx512_vnni", "VPDPBUSD", "AVX512F AVX512_VNNI",
         RNNRT_CPU_AVX512F | RNNRT_CPU_AVX512_VNNI, false, vnni},
        {"bf16", "amx", "TDPBF16PS", "AMX_TILE AMX_BF16", RNNRT_CPU_AMX_TILE | RNNRT_CPU_AMX_BF16,
         true, amx_bf16},
        {"int8", "amx", "TDPBUSD", "AMX_TILE AMX_INT8", RNNRT_CPU_AMX_TILE | RNNRT_CPU_AMX_INT8,
         true, amx_int8},
    };
}

// Why a probe cannot run here; "" when it can.
std::string dot_absent(const DotProbe &p)
{
    if (!p.fn)
        return std::string("not built: the compiler did not take the flags of roofline_") +
               p.isa + ".c";
    if (!rnnrt_cpu_has(p.needs))
        return std::string("absent: this CPU (with this OS) lacks ") + p.features;
    if (p.amx && !rnnrt_cpu_request_amx())
        return "absent: Linux did not grant the AMX tile state (arch_prctl "
               "ARCH_REQ_XCOMP_PERM)";
    return "";
}

float g_sink;

void bm_fma(benchmark::State &st, fma_fn fn, int threads)
{
    // 2^20 rounds: a few milliseconds per thread, long against the start of the parallel
    // region and against a scheduler's time slice.
    const size_t iters = 1 << 20;
    double flops = 0;
    for (auto _ : st) {
        double f = 0;
#pragma omp parallel num_threads(threads) reduction(+ : f)
        {
            float sink = 0;
            f += fn(iters, &sink);
#pragma omp atomic
            g_sink += sink;
        }
        flops = f;
    }
    st.counters["GFLOPS"] =
        benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

struct ReadCase : Case {
    std::vector<float *> bufs;
    size_t n;
    ReadCase(size_t bytes, int threads) : bufs(threads, nullptr), n(bytes / sizeof(float))
    {
#pragma omp parallel num_threads(threads)
        {
            // Allocated and touched by the thread that reads it.
            float *b = rnnrt_bench_alloc(n);
            if (b)
                rnnrt_bench_fill(b, n, 1 + omp_get_thread_num(), 1.0f);
            bufs[omp_get_thread_num()] = b;
        }
        for (float *b : bufs)
            if (!b)
                skip = "out of memory";
    }
    ~ReadCase() override
    {
        for (float *b : bufs)
            rnnrt_bench_free(b);
    }
    void run() override {}
};

void bm_read(benchmark::State &st, const std::string &name, Isa isa, size_t bytes, int threads)
{
    Case *c = cached_case(name, g_opt,
                          [&] { return std::unique_ptr<Case>(new ReadCase(bytes, threads)); });
    if (!c->skip.empty()) {
        st.SkipWithError(c->skip.c_str());
        return;
    }
    ReadCase *r = static_cast<ReadCase *>(c);
    // At least 64 MiB per thread per iteration (a millisecond or more), so small working
    // sets are read many times between two starts of the parallel region.
    size_t passes = bytes >= (64u << 20) ? 1 : (64u << 20) / bytes;
    double total = 0;
    for (auto _ : st) {
        double b = 0;
#pragma omp parallel num_threads(threads) reduction(+ : b)
        {
            float sink = 0;
            b += isa.read(r->bufs[omp_get_thread_num()], r->n, passes, &sink);
#pragma omp atomic
            g_sink += sink;
        }
        total = b;
    }
    st.SetBytesProcessed((int64_t)(total * st.iterations()));
    st.counters["GBps"] =
        benchmark::Counter(total * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

int main(int argc, char **argv)
{
    std::vector<char *> args;
    g_opt = parse_options(&argc, &argv, &args, nullptr);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    std::vector<Isa> isas = runnable();
    if (isas.empty())
        note("roofline", "skipped: no x86 vector kernel set runs here (AVX2 or AVX-512)");
    std::vector<int> threads = thread_counts(g_opt);
    for (const Isa &isa : isas)
        for (int t : threads) {
            std::string name =
                std::string("roofline/fma/isa:") + isa.name + "/threads:" + std::to_string(t);
            benchmark::RegisterBenchmark(name.c_str(),
                                         [isa, t](benchmark::State &st) {
                                             bm_fma(st, isa.fma, t);
                                         })
                ->UseRealTime();
        }
    for (const DotProbe &p : dot_probes()) {
        std::string why = dot_absent(p);
        note(std::string("roofline_dot_") + p.type + "_" + p.isa,
             std::string(p.instruction) + ": " + (why.empty() ? "measured" : why));
        for (int t : threads) {
            std::string name = std::string("roofline/dot/type:") + p.type + "/isa:" + p.isa +
                               "/threads:" + std::to_string(t);
            benchmark::RegisterBenchmark(name.c_str(),
                                         [p, why, t](benchmark::State &st) {
                                             if (!why.empty())
                                                 st.SkipWithError(why.c_str());
                                             else
                                                 bm_fma(st, p.fn, t);
                                         })
                ->UseRealTime();
        }
    }
    if (!isas.empty()) {
        // Read bandwidth with the widest loads: 32 KiB .. 256 MiB per thread, x2 steps
        // (x4 for --quick).
        const Isa isa = isas[0];
        size_t step = g_opt.set == SET_QUICK ? 4 : 2;
        for (int t : threads)
            for (size_t ws = 32u << 10; ws <= (256u << 20); ws *= step) {
                std::string name = std::string("roofline/read/isa:") + isa.name + "/bytes:" +
                                   std::to_string(ws) + "/threads:" + std::to_string(t);
                benchmark::RegisterBenchmark(name.c_str(),
                                             [isa, ws, t, name](benchmark::State &st) {
                                                 bm_read(st, name, isa, ws, t);
                                             })
                    ->UseRealTime()
                    ->Unit(benchmark::kMicrosecond);
            }
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    benchmark::DoNotOptimize(g_sink);
    return 0;
}
