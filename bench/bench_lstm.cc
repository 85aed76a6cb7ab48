// rnnrt-bench-lstm: the whole forward pass of one LSTM or GRU layer on every shape of
// bench/shapes.def, for each rnnrt variant (reference, blocked), kernel set and thread
// count, with the peers found at configure time (oneDNN, a hand-written OpenBLAS LSTM) in the
// same binary, so they share a process, a machine state and the same counting of FLOPs.
//
// Benchmark names: forward/<cell>/T:<T>/N:<N>/H:<H>/I:<I>/impl:<impl>/isa:<isa>/threads:<n>
// with impl one of reference, blocked, onednn, openblas (tools/bench_torch.py adds
// torch); the counter GFLOPS is 2*T*N*G*H*(I+H) per pass over the median time.
#include <rnnrt.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_common.h"
#include "bench_model.h"
#include "bench_peers.h"

using namespace rnnrt_bench;

namespace {

// The reference variant (plain loops, double accumulation) is the oracle, not a fast path:
// measured only where one pass stays small.
const double kReferenceMaxFlops = 0.2e9;
const unsigned long long kSeed = 20261122;

Options g_opt;

struct RnnrtCase : Case {
    rnnrt_model *m = nullptr;
    rnnrt_state *state = nullptr;
    float *x = nullptr, *y = nullptr;
    int T, N;
    RnnrtCase(const Shape &s) : T(s.T), N(s.N)
    {
        if (rnnrt_bench_make_model(s.cell, s.H, s.I, kSeed, &m) != RNNRT_OK ||
            rnnrt_state_create(m, s.N, &state) != RNNRT_OK) {
            skip = std::string("model: ") + rnnrt_last_error();
            return;
        }
        x = rnnrt_bench_alloc((size_t)s.T * s.N * s.I);
        y = rnnrt_bench_alloc((size_t)s.T * s.N * s.H);
        if (!x || !y) {
            skip = "out of memory";
            return;
        }
        rnnrt_bench_fill(x, (size_t)s.T * s.N * s.I, kSeed + 4, 1.0f);
    }
    ~RnnrtCase() override
    {
        rnnrt_state_free(state);
        rnnrt_model_free(m);
        rnnrt_bench_free(x);
        rnnrt_bench_free(y);
    }
    void run() override
    {
        // A zero initial state, as the peers start from, in a state kept across calls (as a
        // service keeps one per stream), so its scratch memory is allocated once, as the
        // peers' workspaces are.
        rnnrt_state_reset(state);
        if (rnnrt_forward(m, state, x, T, N, nullptr, y) != RNNRT_OK)
            skip = std::string("rnnrt_forward: ") + rnnrt_last_error();
    }
};

void bm_rnnrt(benchmark::State &st, const std::string &name, Shape s, std::string variant,
              std::string isa, int threads)
{
    rnnrt_set_variant(variant.c_str());
    rnnrt_set_isa(isa.c_str());
    rnnrt_set_num_threads(threads);
    Case *c = cached_case(name, g_opt,
                          [&] { return std::unique_ptr<Case>(new RnnrtCase(s)); });
    run_loop(st, c, s.flops());
}

// Whether rnnrt_set_variant(variant) runs its own code for this cell yet: a variant whose
// output is bit for bit the reference's on a small seeded case is the reference under
// another name (the fast paths land in later issues), and measuring it twice helps nobody.
bool variant_is_reference(const char *cell, const char *variant, const std::string &isa)
{
    const int T = 3, N = 2, H = 40, I = 24;
    rnnrt_model *m;
    if (rnnrt_bench_make_model(cell, H, I, kSeed, &m) != RNNRT_OK)
        return false;
    std::vector<float> x((size_t)T * N * I), y0((size_t)T * N * H), y1((size_t)T * N * H);
    rnnrt_bench_fill(x.data(), x.size(), 7, 1.0f);
    rnnrt_set_isa(isa.c_str());
    rnnrt_set_num_threads(1);
    rnnrt_set_variant("reference");
    rnnrt_forward(m, nullptr, x.data(), T, N, nullptr, y0.data());
    rnnrt_set_variant(variant);
    rnnrt_forward(m, nullptr, x.data(), T, N, nullptr, y1.data());
    rnnrt_model_free(m);
    return !memcmp(y0.data(), y1.data(), y0.size() * sizeof(float));
}

#ifdef RNNRT_BENCH_HAVE_OPENBLAS
struct BlasCase : Case {
    rnnrt_bench_blas_lstm *p;
    BlasCase(const Shape &s) : p(rnnrt_bench_blas_lstm_create(s.T, s.N, s.H, s.I, kSeed))
    {
        if (!p)
            skip = "out of memory";
    }
    ~BlasCase() override { rnnrt_bench_blas_lstm_free(p); }
    void run() override { rnnrt_bench_blas_lstm_run(p); }
};

void bm_openblas(benchmark::State &st, const std::string &name, Shape s, int threads)
{
    rnnrt_bench_blas_set_threads(threads);
    Case *c = cached_case(name, g_opt,
                          [&] { return std::unique_ptr<Case>(new BlasCase(s)); });
    st.SetLabel(rnnrt_bench_blas_core());
    run_loop(st, c, s.flops());
}
#endif

#ifdef RNNRT_BENCH_HAVE_ONEDNN
struct DnnlCase : Case {
    std::unique_ptr<OnednnRnn> r;
    DnnlCase(const Shape &s)
    {
        try {
            r = make_onednn(s.cell, s.T, s.N, s.H, s.I, kSeed);
        } catch (const std::exception &e) {
            skip = std::string("oneDNN: ") + e.what();
        }
    }
    void run() override { r->run(); }
};

void bm_onednn(benchmark::State &st, const std::string &name, Shape s, int threads)
{
    onednn_set_threads(threads);
    Case *c = cached_case(name, g_opt,
                          [&] { return std::unique_ptr<Case>(new DnnlCase(s)); });
    if (c->skip.empty())
        st.SetLabel(static_cast<DnnlCase *>(c)->r->impl());
    run_loop(st, c, s.flops());
}
#endif

std::string bench_name(const Shape &s, const std::string &impl, const std::string &isa, int t)
{
    return "forward/" + s.key() + "/impl:" + impl + "/isa:" + isa + "/threads:" +
           std::to_string(t);
}

void reg(const std::string &name,
         std::function<void(benchmark::State &, const std::string &)> fn)
{
    benchmark::RegisterBenchmark(name.c_str(), [fn, name](benchmark::State &st) { fn(st, name); })
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
}

void register_rnnrt(const std::vector<Shape> &shapes)
{
    std::vector<std::string> isas = runnable_isas(g_opt);
    if (isas.empty()) {
        note("rnnrt", "skipped: no kernel set left after --isas");
        return;
    }
    const std::string best = isas[0];
    std::vector<int> threads = thread_counts(g_opt);
    for (const char *variant : {"blocked", "reference"}) {
        if (!wanted(g_opt.variants, variant))
            continue;
        std::map<std::string, bool> runs;  // per cell: does the variant run its own code?
        for (const char *cell : {"lstm", "gru"}) {
            bool same = strcmp(variant, "reference") && variant_is_reference(cell, variant, best);
            runs[cell] = !same || g_opt.force_variants;
            if (same)
                note(std::string("variant_") + variant + "_" + cell,
                     std::string(g_opt.force_variants ? "measured although it" : "skipped: it") +
                         " gives the reference's output bit for bit (not implemented yet)");
        }
        for (const Shape &s : shapes) {
            if (!runs[s.cell])
                continue;
            bool reference = !strcmp(variant, "reference");
            if (reference && s.flops() > kReferenceMaxFlops)
                continue;
            // Every kernel set on the quick shapes (and on all shapes with --full); the best
            // set alone elsewhere, so the default run stays within its ten minutes.
            bool sweep = !reference &&
                         (g_opt.set == SET_FULL ||
                          (g_opt.set == SET_DEFAULT && s.set == SET_QUICK));
            for (const std::string &isa : isas) {
                if (isa != best && !sweep)
                    continue;
                for (int t : threads) {
                    // Thread counts beyond the first: blocked (the default path) only, but
                    // every variant with --full.
                    bool more = isa == best && !strcmp(variant, "blocked");
                    if (t != threads[0] && !more && g_opt.set != SET_FULL)
                        continue;
                    reg(bench_name(s, variant, isa, t),
                        [s, variant, isa, t](benchmark::State &st, const std::string &n) {
                            bm_rnnrt(st, n, s, variant, isa, t);
                        });
                }
            }
        }
    }
    char buf[160];
    snprintf(buf, sizeof buf, "reference measured only where a pass is <= %.2g GFLOP",
             kReferenceMaxFlops * 1e-9);
    note("rnnrt_reference", buf);
}

void register_peers(const std::vector<Shape> &shapes)
{
    (void)shapes; // unused when neither oneDNN nor OpenBLAS was found
    std::vector<int> threads = thread_counts(g_opt);
#ifdef RNNRT_BENCH_HAVE_ONEDNN
    if (wanted(g_opt.peers, "onednn")) {
        note("onednn", onednn_info() + "; weights reordered once, forward_inference");
        for (const Shape &s : shapes)
            for (int t : threads)
                reg(bench_name(s, "onednn", "native", t),
                    [s, t](benchmark::State &st, const std::string &n) { bm_onednn(st, n, s, t); });
    }
#else
    note("onednn", "skipped: libdnnl-dev was not found when this build was configured");
#endif
#ifdef RNNRT_BENCH_HAVE_OPENBLAS
    if (wanted(g_opt.peers, "openblas")) {
        note("openblas", std::string(rnnrt_bench_blas_info()) +
                             "; LSTM by hand: one sgemm for all input projections, one per "
                             "step, scalar gates (GRU not written)");
        for (const Shape &s : shapes)
            if (!strcmp(s.cell, "lstm"))
                for (int t : threads)
                    reg(bench_name(s, "openblas", "native", t),
                        [s, t](benchmark::State &st, const std::string &n) {
                            bm_openblas(st, n, s, t);
                        });
    }
#else
    note("openblas", "skipped: libopenblas-dev was not found when this build was configured");
#endif
}

}  // namespace

int main(int argc, char **argv)
{
    std::vector<char *> args;
    g_opt = parse_options(&argc, &argv, &args,
                          "  --variants=LIST      rnnrt variants (reference,blocked)\n"
                          "  --force-variants     measure variants that still run the reference\n"
                          "  --peers=LIST         peers (onednn,openblas; default: all built)\n");
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    std::string saved_isa = rnnrt_isa();
    note("rnnrt", std::string("rnnrt ") + rnnrt_version() + ", default kernel set " + saved_isa +
                      ", default variant " + rnnrt_variant());
    const char *sets[] = {"quick", "default", "full"};
    note("shape_set", sets[g_opt.set]);
    std::vector<Shape> shapes = shapes_in(g_opt.set);
    register_rnnrt(shapes);
    register_peers(shapes);
    rnnrt_set_isa(saved_isa.c_str());
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
