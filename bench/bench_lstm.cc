// rnnrt-bench-lstm: the whole forward pass of one LSTM or GRU layer on every shape of
// bench/shapes.def, for each rnnrt variant (reference, blocked), kernel set and thread
// count, with the peers found at configure time (oneDNN, a hand-written OpenBLAS LSTM) in the
// same binary, so they share a process, a machine state and the same counting of FLOPs.
//
// Benchmark names: forward/<cell>/T:<T>/N:<N>/H:<H>/I:<I>/impl:<impl>/isa:<isa>/threads:<n>
// with impl one of reference, blocked, onednn, openblas (tools/bench_torch.py adds
// torch), and the reduced-precision ones: blocked_bf16, blocked_int8, blocked_int8x8 and
// blocked_bf16x16 (rnnrt's blocked pass on a model loaded with the option weights=bf16 or
// int8; int8x8: weights=int8 with activations=int8; bf16x16: weights=bf16 with
// activations=bf16), onednn_bf16 and onednn_u8s8
// (bench_peers.h has their data types); the counter GFLOPS is 2*T*N*G*H*(I+H) per pass over
// the median time, whatever the data type (so for int8 it counts integer operations).
// A data type this CPU (or the library) cannot run is skipped with an error message that
// starts "unsupported on this CPU:", "unsupported by oneDNN:" or "unsupported by rnnrt:".
#include <rnnrt.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_common.h"
#include "bench_model.h"
#include "bench_peers.h"

#include "thread_choice_trials.h"

using namespace rnnrt_bench;

namespace {

// The reference variant (plain loops, double accumulation) is the oracle, not a fast path:
// measured only where one pass stays small.
const double kReferenceMaxFlops = 0.2e9;
const unsigned long long kSeed = 20261122;
// The thread choice settles after RNNRT_CHOICE_SETTLE trials of each choice, a trial being
// RNNRT_CHOICE_BURST calls or one long call (thread_choice_trials.h); cached_case already ran two.
const int kChoiceTrials = 2 * RNNRT_CHOICE_SETTLE;
const int kChoiceSettleCalls = kChoiceTrials * RNNRT_CHOICE_BURST - 2;
const int kChoiceLongCallCalls = kChoiceTrials - 2;
const double kChoiceLongCall = RNNRT_CHOICE_LONG_CALL_NS * 1e-9;

Options g_opt;

struct RnnrtCase : Case {
    rnnrt_model *m = nullptr;
    rnnrt_state *state = nullptr;
    float *x = nullptr, *y = nullptr;
    int T, N;
    bool settled = false; // the thread choice's first calls are done (bm_rnnrt)
    // weights: nullptr loads as every other f32 benchmark does (rnnrt_model_load_memory);
    // "bf16" or "int8" loads with that option, and a refusal skips the benchmark with the
    // library's message (so it measures by itself once the library loads them).
    RnnrtCase(const Shape &s, const char *weights = nullptr) : T(s.T), N(s.N)
    {
        if (weights && !load_with_weights(s, weights))
            return;
        if ((!weights && rnnrt_bench_make_model(s.cell, s.H, s.I, kSeed, &m) != RNNRT_OK) ||
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
    // "int8x8" and "bf16x16": int8 or bf16 weights with activations of the same type (the
    // "activations" option).
    bool load_with_weights(const Shape &s, const char *weights)
    {
        const bool int8x8 = !std::strcmp(weights, "int8x8");
        const bool bf16x16 = !std::strcmp(weights, "bf16x16");
        const char *both = int8x8 ? "int8" : bf16x16 ? "bf16" : nullptr;
        rnnrt_options *o = nullptr;
        rnnrt_status st = rnnrt_options_create(&o);
        if (st == RNNRT_OK)
            st = rnnrt_options_set(o, "weights", both ? both : weights);
        if (st == RNNRT_OK && both)
            st = rnnrt_options_set(o, "activations", both);
        if (st == RNNRT_OK)
            st = rnnrt_bench_make_model_ex(s.cell, s.H, s.I, kSeed, o, &m);
        rnnrt_options_free(o);
        if (st == RNNRT_OK)
            return true;
        skip = std::string(st == RNNRT_E_UNSUPPORTED ? "unsupported by rnnrt: "
                                                     : "model: ") +
               rnnrt_last_error();
        return false;
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
              std::string isa, int threads, const char *weights = nullptr)
{
    rnnrt_set_variant(variant.c_str());
    rnnrt_set_isa(isa.c_str());
    rnnrt_set_num_threads(threads);
    Case *c = cached_case(name, g_opt,
                          [&] { return std::unique_ptr<Case>(new RnnrtCase(s, weights)); });
    // On several threads a new model first tries one thread and several, each twice (the
    // thread choice settling, runtime/thread_choice.h), then keeps the faster. A service
    // sees that in its first calls only; the benchmark measures the calls after it, as the
    // peers' are measured after their first. The warm-up is untimed and once per case.
    auto *rc = static_cast<RnnrtCase *>(c);
    if (c->skip.empty() && threads > 1 && !rc->settled) {
        for (int i = 0; i < kChoiceSettleCalls && c->skip.empty(); i++) {
            auto t0 = std::chrono::steady_clock::now();
            c->run();
            std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
            if (i + 1 >= kChoiceLongCallCalls && dt.count() >= kChoiceLongCall)
                break; /* long calls: a trial each */
        }
        rc->settled = true;
    }
    if (c->skip.empty() && weights)
        st.SetLabel(std::string("weights ") + rnnrt_model_weights(static_cast<RnnrtCase *>(c)->m));
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
    DnnlCase(const Shape &s, OnednnType type)
    {
        try {
            r = make_onednn(s.cell, s.T, s.N, s.H, s.I, kSeed, type);
        } catch (const OnednnUnsupported &e) {
            skip = std::string(e.by_cpu ? "unsupported on this CPU: " : "unsupported by oneDNN: ") +
                   e.what();
        } catch (const std::exception &e) {
            skip = std::string("oneDNN: ") + e.what();
        }
    }
    void run() override { r->run(); }
};

void bm_onednn(benchmark::State &st, const std::string &name, Shape s, int threads,
               OnednnType type)
{
    onednn_set_threads(threads);
    Case *c = cached_case(name, g_opt,
                          [&] { return std::unique_ptr<Case>(new DnnlCase(s, type)); });
    if (c->skip.empty()) {
        const OnednnRnn &r = *static_cast<DnnlCase *>(c)->r;
        st.SetLabel(type == OnednnType::u8s8 ? r.impl() + "; " + r.config() : r.impl());
    }
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

// rnnrt's blocked pass with bf16 and int8 weights (rnnrt_options_set "weights"): the best
// kernel set, every thread count, every shape, as the blocked f32 benchmarks.
void register_rnnrt_reduced(const std::vector<Shape> &shapes)
{
    std::vector<std::string> isas = runnable_isas(g_opt);
    if (isas.empty())
        return;
    const std::string isa = isas[0];
    for (const char *weights : {"bf16", "int8", "int8x8", "bf16x16"}) {
        std::string impl = std::string("blocked_") + weights;
        if (!wanted(g_opt.variants, impl))
            continue;
        if (!std::strcmp(weights, "int8x8"))
            note("rnnrt_int8x8", "blocked pass, model loaded with \"weights\" \"int8\" and "
                                 "\"activations\" \"int8\" (GEMM inputs rounded per row, "
                                 "integer dot products); f32 input and output");
        else if (!std::strcmp(weights, "bf16x16"))
            note("rnnrt_bf16x16", "blocked pass, model loaded with \"weights\" \"bf16\" and "
                                  "\"activations\" \"bf16\" (GEMM inputs rounded to bf16, "
                                  "bf16 dot products summed in float32); f32 input and output");
        else
            note("rnnrt_" + std::string(weights),
                 std::string("blocked pass, model loaded with rnnrt_options_set(o, \"weights\", \"") +
                     weights + "\"); f32 input and output");
        for (const Shape &s : shapes)
            for (int t : thread_counts(g_opt))
                reg(bench_name(s, impl, isa, t),
                    [s, isa, t, weights](benchmark::State &st, const std::string &n) {
                        bm_rnnrt(st, n, s, "blocked", isa, t, weights);
                    });
    }
}

void register_peers(const std::vector<Shape> &shapes)
{
    (void)shapes; // unused when neither oneDNN nor OpenBLAS was found
    std::vector<int> threads = thread_counts(g_opt);
#ifdef RNNRT_BENCH_HAVE_ONEDNN
    for (OnednnType type : {OnednnType::f32, OnednnType::bf16, OnednnType::u8s8}) {
        std::string impl = "onednn";
        if (type != OnednnType::f32)
            impl += std::string("_") + onednn_type_name(type);
        if (!wanted(g_opt.peers, impl))
            continue;
        if (type == OnednnType::f32)
            note("onednn", onednn_info() + "; weights reordered once, forward_inference");
        else
            note(impl, onednn_info() + ", " + onednn_type_name(type) + ": " +
                           onednn_config(type) +
                           "; data and weights converted and reordered once, untimed");
        for (const Shape &s : shapes)
            for (int t : threads)
                reg(bench_name(s, impl, "native", t),
                    [s, t, type](benchmark::State &st, const std::string &n) {
                        bm_onednn(st, n, s, t, type);
                    });
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
                          "  --variants=LIST      rnnrt variants (reference,blocked,blocked_bf16,\n"
                          "                       blocked_int8,blocked_int8x8,blocked_bf16x16)\n"
                          "  --force-variants     measure variants that still run the reference\n"
                          "  --peers=LIST         peers (onednn,onednn_bf16,onednn_u8s8,openblas;\n"
                          "                       default: all built)\n");
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
    register_rnnrt_reduced(shapes);
    register_peers(shapes);
    rnnrt_set_isa(saved_isa.c_str());
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
