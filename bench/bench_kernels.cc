// rnnrt-bench-kernels: throughput of every kernel of simd/kernels.inc this machine runs.
// Vector math and gate kernels on the cell-update sizes of real LSTM/GRU layers: a tile of
// B rows of H units for hidden size H and batch B (vector math: n = H * B), reporting units per
// second and the bytes each call reads and writes. GEMM microkernels (tiles and pair tiles,
// every weight type) on one full tile with k-blocks of 256 in L1, and streaming panels from
// memory as the recurrent step of a small batch does (/stream), reporting FLOP/s.
//
// Names: <slot>/<isa>/H:<hidden>/B:<batch>, e.g. lstm_gates/avx512/H:1024/B:16, and
// <kernel>/kc:256 and <kernel>/stream, e.g. rnnrt_f32_gemm_3x32__avx2/kc:256. Filter with
// --benchmark_filter=..., write JSON with
//   --benchmark_out=results/bench_kernels.json --benchmark_out_format=json
// Run on an otherwise idle machine; each benchmark repeats one call on the same buffers, so
// the data stays in the cache level its size fits (H=1024, B=16 LSTM: 7 arrays of 64 KiB,
// in L2).
//
// --smoke (the test bench-kernels-gemm): no timing. Calls every GEMM and pair tile this CPU
// runs through CallGemm, the benchmark's own call, once per shape class, checks each output
// against the product of the constant operands, and exits 1 on a wrong value or on a tile it
// has no call for. Seconds in any build; the oracle tests (tests/kernels) check the values.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "cpu_features.h"
#include "dispatch.h"
}

namespace {

// The (hidden, batch) pairs of the shared shape list (bench/shapes.def: DeepBench and
// larger-batch rows) with 256 <= H <= 2048 and B <= 64: a cell update works on H*B units.
struct Shape {
    int batch, hidden;
};
#define RNNRT_SHAPE(cell, T, N, H, I, set, source) {N, H},
const Shape kListed[] = {
#include "shapes.def"
};
#undef RNNRT_SHAPE

std::vector<Shape> KernelShapes()
{
    std::vector<Shape> out;
    for (const Shape &s : kListed) {
        if (s.hidden < 256 || s.hidden > 2048 || s.batch > 64)
            continue;
        bool seen = false;
        for (const Shape &o : out)
            seen = seen || (o.hidden == s.hidden && o.batch == s.batch);
        if (!seen)
            out.push_back(s);
    }
    std::sort(out.begin(), out.end(), [](const Shape &a, const Shape &b) {
        return a.hidden != b.hidden ? a.hidden < b.hidden : a.batch < b.batch;
    });
    return out;
}

enum Family { VEXP, VSIGMOID, VTANH, LSTM, PEEPHOLE, COUPLED, GRU, RNN_TANH, RNN_RELU,
              GRU_RB_RZ, GRU_RB_H, VACT, FAMILY_COUNT };
const char *const kFamilyNames[FAMILY_COUNT] = {"vexp", "vsigmoid", "vtanh", "lstm_gates",
                                                "lstm_peephole_gates", "lstm_coupled_gates",
                                                "gru_gates", "rnn_tanh_gates",
                                                "rnn_relu_gates", "gru_rb_rz_gates",
                                                "gru_rb_h_gates", "vact"};
// Arrays each call takes: gate kernels read a tile (all gates of B rows of H units, G n
// floats) and per-row state; peepholes and b_hn are per unit. Floats read and written per
// unit, for the bytes counter.
const int kInputs[FAMILY_COUNT] = {1, 1, 1, 2, 5, 2, 4, 1, 1, 2, 3, 1};
const int kOutputs[FAMILY_COUNT] = {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 1, 1};
const int kReadPerUnit[FAMILY_COUNT] = {1, 1, 1, 5, 5, 4, 7, 1, 1, 3, 3, 1};

// 64-byte aligned float arrays filled with values in the ranges a trained network sees
// (pre-activations within +-8, cell state within +-4, peephole weights and h within +-1).
class Arrays {
  public:
    Arrays(Family fam, size_t n)
    {
        uint64_t s = 0x243f6a8885a308d3ull;
        for (int a = 0; a < kInputs[fam] + kOutputs[fam]; a++) {
            size_t bytes = (4 * n * sizeof(float) + 63) / 64 * 64; // room for a 4-gate tile
            p_[a] = static_cast<float *>(std::aligned_alloc(64, bytes));
            if (!p_[a]) {
                std::fprintf(stderr, "rnnrt-bench-kernels: out of memory\n");
                std::exit(1);
            }
            float range = Range(fam, a);
            for (size_t j = 0; j < 4 * n; j++) {
                s = s * 6364136223846793005ull + 1442695040888963407ull;
                double u = static_cast<double>(s >> 11) * 0x1p-53; // [0, 1)
                p_[a][j] = static_cast<float>((2.0 * u - 1.0) * range);
            }
        }
    }
    ~Arrays()
    {
        for (float *p : p_)
            std::free(p);
    }
    Arrays(const Arrays &) = delete;
    Arrays &operator=(const Arrays &) = delete;
    float *operator[](int a) const { return p_[a]; }

  private:
    static float Range(Family fam, int a)
    {
        switch (fam) {
        case LSTM:
        case COUPLED:
            return a == 1 ? 4.0f : 8.0f;
        case PEEPHOLE:
            return a == 0 ? 8.0f : a < 4 ? 1.0f : 4.0f;
        case GRU:
            return a < 2 ? 8.0f : 1.0f;
        case GRU_RB_RZ:
        case GRU_RB_H:
            return a == 0 ? 8.0f : 1.0f;
        default:
            return 8.0f;
        }
    }
    float *p_[10] = {};
};

void Run(benchmark::State &state, rnnrt_kernel_any_fn fn, Family fam, size_t H, size_t B)
{
    const size_t n = H * B;
    Arrays b(fam, n);
    const int in = kInputs[fam];
    for (auto _ : state) {
        switch (fam) {
        case VEXP:
        case VSIGMOID:
        case VTANH:
            reinterpret_cast<rnnrt_f32_vunary_fn>(fn)(n, b[0], b[1]);
            break;
        case VACT: { // Keras 2's hard sigmoid, the most common function beyond the defaults
            const rnnrt_activation a = {RNNRT_ACT_HARD_SIGMOID, 0.2f, 0.5f};
            reinterpret_cast<rnnrt_f32_vact_fn>(fn)(n, b[0], b[1], &a);
            break;
        }
        case LSTM:
            reinterpret_cast<rnnrt_f32_lstm_gates_fn>(fn)(B, H, b[0], 4 * H, H, b[1], b[in], H,
                                                          b[in + 1], H);
            break;
        case PEEPHOLE:
            reinterpret_cast<rnnrt_f32_lstm_peephole_gates_fn>(fn)(
                B, H, b[0], 4 * H, H, b[1], b[2], b[3], b[4], b[in], H, b[in + 1], H);
            break;
        case COUPLED:
            reinterpret_cast<rnnrt_f32_lstm_coupled_gates_fn>(fn)(B, H, b[0], 3 * H, H, b[1],
                                                                  b[in], H, b[in + 1], H);
            break;
        case RNN_TANH:
        case RNN_RELU: // one signature
            reinterpret_cast<rnnrt_f32_rnn_tanh_gates_fn>(fn)(B, H, b[0], H, b[in], H);
            break;
        case GRU_RB_RZ:
            reinterpret_cast<rnnrt_f32_gru_rb_rz_gates_fn>(fn)(B, H, b[0], 2 * H, H, b[1],
                                                               b[in], b[in + 1], H);
            break;
        case GRU_RB_H:
            reinterpret_cast<rnnrt_f32_gru_rb_h_gates_fn>(fn)(B, H, b[0], H, b[1], b[2], b[in],
                                                              H);
            break;
        default:
            reinterpret_cast<rnnrt_f32_gru_gates_fn>(fn)(B, H, b[0], 3 * H, H, b[1], 3 * H, b[2],
                                                         b[3], b[in], H);
            break;
        }
        benchmark::ClobberMemory();
    }
    const int64_t iters = static_cast<int64_t>(state.iterations());
    state.SetItemsProcessed(iters * static_cast<int64_t>(n));
    state.SetBytesProcessed(iters * static_cast<int64_t>(n * sizeof(float)) *
                            (kReadPerUnit[fam] + kOutputs[fam]));
}

// The GEMM operands' constant values: A 0.5 (int8 rows: 3 with scale 1/12), weights 0.25
// (bf16 0x3e80; int8: 3 with scale 1/12). Every product is then (nearly) 0.125 or 1/16, so
// --smoke knows each output without an oracle.
const float kA = 0.5f, kW = 0.25f, kQScale = 1.0f / 12;
const uint16_t kWbf16 = 0x3e80, kAbf16 = 0x3f00; // 0.25 and 0.5
const int8_t kQ = 3;

// The GEMM families and weight types CallGemm has a call for; a line of simd/kernels.inc
// outside them and the gate families needs one added there before it can be benchmarked or
// smoke-tested.
bool GemmCallable(const rnnrt_kernel_info *e)
{
    const bool family = !std::strcmp(e->family, "gemm") || !std::strcmp(e->family, "gemm_pair");
    return family && (!std::strcmp(e->dtype, "f32") || !std::strcmp(e->dtype, "bf16") ||
                      !std::strcmp(e->dtype, "int8") || !std::strcmp(e->dtype, "int8dot") ||
                      (!std::strcmp(e->dtype, "bf16dot") && !std::strcmp(e->family, "gemm")));
}

// The dot-product types' input preparation (quantize, round).
bool IsPreparation(const rnnrt_kernel_info *e)
{
    return !std::strcmp(e->family, "quantize") || !std::strcmp(e->family, "round");
}

bool IsPair(const rnnrt_kernel_info *e)
{
    return !std::strcmp(e->family, "gemm_pair");
}

// Tiles without a k-block rule (pair tiles, int8dot) take all of K in one call.
bool WholeK(const rnnrt_kernel_info *e)
{
    return e->kc_share == 0;
}

// A GEMM microkernel's weights: panels of its type, k rows of nr columns each, filled with
// the constants above, and for int8 its scales.
struct Panels {
    void *w = nullptr;
    std::vector<float> scale;
    size_t bytes = 0;
};

size_t WeightSize(const rnnrt_kernel_info *e)
{
    return !std::strncmp(e->dtype, "bf16", 4) ? 2 : !std::strncmp(e->dtype, "int8", 4) ? 1 : 4;
}

// Rows a panel of K rows of k takes: int8dot panels end with their column sums.
size_t PanelRows(const rnnrt_kernel_info *e, size_t K)
{
    return K + (!std::strcmp(e->dtype, "int8dot") ? RNNRT_INT8DOT_SUM_ROWS : 0);
}

// The column sums after each of `panels` int8dot panels of K rows, `stride` elements apart.
void WriteSums(const rnnrt_kernel_info *e, Panels &p, size_t panels, size_t K, size_t stride)
{
    if (std::strcmp(e->dtype, "int8dot"))
        return;
    for (size_t q = 0; q < panels; q++)
        rnnrt_int8dot_column_sums(static_cast<size_t>(e->nr), K,
                                  static_cast<int8_t *>(p.w) + q * stride);
}

Panels MakePanels(const rnnrt_kernel_info *e, size_t elements)
{
    Panels p;
    const size_t size = WeightSize(e);
    p.bytes = (elements * size + 63) / 64 * 64;
    p.w = std::aligned_alloc(64, p.bytes);
    if (!p.w) {
        std::fprintf(stderr, "rnnrt-bench-kernels: out of memory\n");
        std::exit(1);
    }
    for (size_t i = 0; i < elements; i++)
        if (size == 4)
            static_cast<float *>(p.w)[i] = kW;
        else if (size == 2)
            static_cast<uint16_t *>(p.w)[i] = kWbf16;
        else
            static_cast<int8_t *>(p.w)[i] = kQ;
    p.scale.assign(2 * static_cast<size_t>(e->nr), kQScale); // a pair tile reads 2 panels
    return p;
}

// A GEMM's A: `rows` rows, lda apart, as floats (f32, bf16 and int8 weights), as int8 with
// a scale per row (int8dot) and as bf16 (bf16dot), sized exactly so that ASan sees a read
// past them.
struct RowsA {
    std::vector<float> f;
    std::vector<int8_t> q;
    std::vector<float> q_scale;
    std::vector<uint16_t> h;
    size_t lda;
    RowsA(size_t rows, size_t lda_)
        : f(rows * lda_, kA), q(rows * lda_, kQ), q_scale(rows, kQScale), h(rows * lda_, kAbf16),
          lda(lda_)
    {
    }
};

// One call of a tile (family gemm, `rows` rows) or pair tile (gemm_pair, one row) of any
// weight type on the panel at element `at`, kc rows from there, A from column k0; rows of C
// are nr (pair: 2 nr) apart. A pair's second panel starts `next` elements after the first.
// The int8dot tiles cover all of kc (a multiple of 4).
void CallGemm(const rnnrt_kernel_info *e, size_t rows, size_t kc, const RowsA &a, size_t k0,
              const Panels &p, size_t at, size_t next, const float *init, float *c)
{
    const size_t nr = static_cast<size_t>(e->nr), lda = a.lda;
    const size_t size = WeightSize(e);
    const char *w = static_cast<const char *>(p.w) + at * size;
    const bool pair = IsPair(e);
    if (!std::strcmp(e->dtype, "int8dot")) {
        const int8_t *q = a.q.data() + k0;
        if (pair)
            reinterpret_cast<rnnrt_int8dot_gemm_pair_fn>(e->fn)(
                kc, q, a.q_scale[0], reinterpret_cast<const int8_t *>(w), next, p.scale.data(),
                init, c);
        else
            reinterpret_cast<rnnrt_int8dot_gemm_fn>(e->fn)(
                rows, kc, q, lda, a.q_scale.data(), reinterpret_cast<const int8_t *>(w),
                p.scale.data(), init, nr, c, nr);
        return;
    }
    if (!std::strcmp(e->dtype, "bf16dot")) {
        reinterpret_cast<rnnrt_bf16dot_gemm_fn>(e->fn)(rows, kc, a.h.data() + k0, lda,
                                                       reinterpret_cast<const uint16_t *>(w),
                                                       init, nr, c, nr);
        return;
    }
    const float *af = a.f.data() + k0;
    if (size == 4 && !pair)
        reinterpret_cast<rnnrt_f32_gemm_fn>(e->fn)(rows, kc, af, lda,
                                                   reinterpret_cast<const float *>(w), init, nr,
                                                   c, nr);
    else if (size == 2 && !pair)
        reinterpret_cast<rnnrt_bf16_gemm_fn>(e->fn)(
            rows, kc, af, lda, reinterpret_cast<const uint16_t *>(w), init, nr, c, nr);
    else if (!pair)
        reinterpret_cast<rnnrt_int8_gemm_fn>(e->fn)(rows, kc, af, lda,
                                                    reinterpret_cast<const int8_t *>(w),
                                                    p.scale.data(), init, nr, c, nr);
    else if (size == 4)
        reinterpret_cast<rnnrt_f32_gemm_pair_fn>(e->fn)(kc, af, reinterpret_cast<const float *>(w),
                                                        next, init, c);
    else if (size == 2)
        reinterpret_cast<rnnrt_bf16_gemm_pair_fn>(e->fn)(
            kc, af, reinterpret_cast<const uint16_t *>(w), next, init, c);
    else
        reinterpret_cast<rnnrt_int8_gemm_pair_fn>(e->fn)(
            kc, af, reinterpret_cast<const int8_t *>(w), next, p.scale.data(), init, c);
}

// One full tile of a GEMM microkernel: MR rows, NR columns (a pair tile: one row, two panels),
// kc = 256, C accumulated onto; everything stays in L1.
void RunGemm(benchmark::State &state, const rnnrt_kernel_info *e)
{
    const size_t kc = 256, mr = static_cast<size_t>(e->mr), nr = static_cast<size_t>(e->nr);
    const size_t panels = IsPair(e) ? 2 : 1;
    const RowsA a(mr, kc);
    std::vector<float> c(mr * nr * panels, 0.0f);
    const size_t stride = PanelRows(e, kc) * nr;
    Panels p = MakePanels(e, panels * stride);
    WriteSums(e, p, panels, kc, stride);
    for (auto _ : state) {
        CallGemm(e, mr, kc, a, 0, p, 0, stride, c.data(), c.data());
        benchmark::ClobberMemory();
    }
    state.counters["FLOP/s"] = benchmark::Counter(
        2.0 * static_cast<double>(mr * nr * kc * panels) * static_cast<double>(state.iterations()),
        benchmark::Counter::kIsRate);
    std::free(p.w);
}

// The same tile streaming its weights from memory, as the recurrent step of a small batch
// does once the weights outgrow the caches: one pass over panels of K = 1536 rows filling
// twice the L3 (at least 64 MiB), in k-blocks of 128 as the step's strip tiles take them
// (a pair tile: all of K, two panels per call). Reports FLOP/s and weight bytes read per second.
void RunGemmStream(benchmark::State &state, const rnnrt_kernel_info *e)
{
    const size_t K = 1536, kc = 128, mr = static_cast<size_t>(e->mr), nr = static_cast<size_t>(e->nr);
    const bool pair = IsPair(e);
    const size_t l3 = static_cast<size_t>(rnnrt_cpu()->l3 > 0 ? rnnrt_cpu()->l3 : 0);
    const size_t target = std::max<size_t>(64u << 20, 2 * l3);
    size_t panels = target / (K * nr * WeightSize(e));
    panels += panels % 2; // whole pairs
    const RowsA a(mr, K);
    std::vector<float> c(mr * nr * 2, 0.0f);
    const size_t stride = PanelRows(e, K) * nr;
    Panels p = MakePanels(e, panels * stride);
    WriteSums(e, p, panels, K, stride);
    for (auto _ : state) {
        for (size_t q = 0; q < panels; q += pair ? 2 : 1) {
            const size_t at = q * stride;
            if (WholeK(e))
                CallGemm(e, mr, K, a, 0, p, at, stride, nullptr, c.data());
            else
                for (size_t k0 = 0; k0 < K; k0 += kc)
                    CallGemm(e, mr, kc, a, k0, p, at + k0 * nr, 0, k0 ? c.data() : nullptr,
                             c.data());
        }
        benchmark::ClobberMemory();
    }
    const double iters = static_cast<double>(state.iterations());
    state.counters["FLOP/s"] = benchmark::Counter(
        2.0 * static_cast<double>(mr * nr * K * panels) * iters, benchmark::Counter::kIsRate);
    state.counters["bytes/s"] = benchmark::Counter(
        static_cast<double>(K * nr * panels * WeightSize(e)) * iters, benchmark::Counter::kIsRate);
    std::free(p.w);
}

Family FamilyOfSlot(const char *slot)
{
    for (int f = 0; f < FAMILY_COUNT; f++)
        if (!std::strcmp(kFamilyNames[f], slot))
            return static_cast<Family>(f);
    return FAMILY_COUNT;
}

// Every kernel of the table this CPU runs, each function once (a function may fill two
// slots); the others are named on stderr.
std::vector<const rnnrt_kernel_info *> Runnable()
{
    std::vector<const rnnrt_kernel_info *> out;
    size_t count;
    const rnnrt_kernel_info *list = rnnrt_kernel_list(&count);
    for (size_t e = 0; e < count; e++) {
        const rnnrt_kernel_info *info = &list[e];
        bool seen = false;
        for (size_t d = 0; d < e; d++)
            seen = seen || list[d].fn == info->fn;
        if (seen)
            continue;
        if (!rnnrt_kernel_supported(info)) {
            std::fprintf(stderr, "rnnrt-bench-kernels: skipping %s (this CPU lacks it)\n",
                         info->name);
            continue;
        }
        out.push_back(info);
    }
    return out;
}

// One shape class of --smoke: `rows` rows of A, K in calls of kb (one call of K for tiles
// without k-blocks), C starting from nothing (init NULL) or from 1 (init = C, accumulated).
// Rows of C past `rows` start as NaN and must stay so: the contract says they are never
// touched. Each written output must be its start plus K products of the constants.
bool SmokeCall(const rnnrt_kernel_info *e, size_t rows, size_t K, size_t kb, bool accumulate)
{
    const size_t nr = static_cast<size_t>(e->nr), size = WeightSize(e);
    const size_t panels = IsPair(e) ? 2 : 1, mr = IsPair(e) ? 1 : static_cast<size_t>(e->mr);
    const size_t stride = PanelRows(e, K) * nr;
    const size_t next = (stride * size + 63) / 64 * 64 / size; // pairs: a 64-byte boundary
    Panels p = MakePanels(e, (panels - 1) * next + stride);
    WriteSums(e, p, panels, K, next);
    const RowsA a(rows, K);
    const size_t width = nr * panels;
    std::vector<float> c(mr * width, std::nanf(""));
    if (accumulate)
        std::fill(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(rows * width), 1.0f);
    if (WholeK(e))
        kb = K;
    for (size_t k0 = 0; k0 < K; k0 += kb)
        CallGemm(e, rows, std::min(kb, K - k0), a, k0, p, k0 * nr, next,
                 k0 || accumulate ? c.data() : nullptr, c.data());
    std::free(p.w);

    const bool int8_rows = !std::strcmp(e->dtype, "int8dot");
    const bool int8_weights = !std::strncmp(e->dtype, "int8", 4);
    const double av = int8_rows ? kQ * static_cast<double>(kQScale) : kA;
    const double wv = int8_weights ? kQ * static_cast<double>(kQScale) : kW;
    const double want = (accumulate ? 1.0 : 0.0) + static_cast<double>(K) * av * wv;
    for (size_t i = 0; i < c.size(); i++) {
        const size_t m = i / width, j = i % width;
        // Exact in float but for 1/12, which no float is: within 1e-6 relative.
        const bool ok = m < rows ? std::fabs(c[i] - want) <= 1e-5 * std::max(1.0, want)
                                 : std::isnan(c[i]);
        if (!ok) {
            std::printf("FAIL %s: %zu rows, K %zu in calls of %zu, init %s: c[%zu][%zu] = %.9g, ",
                        e->name, rows, K, kb, accumulate ? "C" : "NULL", m, j, c[i]);
            if (m < rows)
                std::printf("expected %.9g\n", want);
            else
                std::printf("a row past the tile's, which must stay untouched (NaN)\n");
            return false;
        }
    }
    return true;
}

// Every shape class a tile meets once: all its rows, fewer, one (the edge tiles and a batch
// of one); a k-block shorter than any unrolling, the benchmark's 256, and three blocks of
// 128 as the streaming benchmark and the recurrent step call them (tiles without k-blocks:
// one call of K = 384); init NULL and init = C.
bool SmokeTile(const rnnrt_kernel_info *e)
{
    const size_t mr = static_cast<size_t>(e->mr);
    const size_t kg = static_cast<size_t>(std::max(1, e->kgroup));
    std::vector<size_t> rows = {mr};
    if (!IsPair(e) && mr > 2)
        rows.push_back(mr - 1);
    if (!IsPair(e) && mr > 1)
        rows.push_back(1);
    const size_t ks[][2] = {{3 * kg, 3 * kg}, {256, 256}, {384, 128}}; // K, k-block
    int calls = 0;
    for (size_t r : rows)
        for (const auto &k : ks)
            for (int acc = 0; acc < (k[0] == k[1] ? 2 : 1); acc++, calls++)
                if (!SmokeCall(e, IsPair(e) ? 1 : r, k[0], k[1], acc))
                    return false;
    std::printf("ok   %s: %d shape classes\n", e->name, calls);
    return true;
}

int Smoke()
{
    int tiles = 0, failed = 0;
    for (const rnnrt_kernel_info *e : Runnable()) {
        if (FamilyOfSlot(e->slot) != FAMILY_COUNT || IsPreparation(e))
            continue; // gate, vector-math and preparation kernels: tests/kernels calls each
        if (!std::strcmp(e->family, "tile_release")) {
            // after the set's matrix-engine tiles above (kernels.inc lists it after them)
            reinterpret_cast<rnnrt_f32_tile_release_t *>(e->fn)();
            std::printf("ok   %s: called\n", e->name);
            continue;
        }
        if (!GemmCallable(e)) {
            std::printf("FAIL %s (family %s, weights %s): no call for it in CallGemm\n",
                        e->name, e->family, e->dtype);
            failed++;
            continue;
        }
        tiles++;
        failed += !SmokeTile(e);
    }
    std::printf("smoke: %d GEMM and pair tiles called, %d failed\n", tiles, failed);
    return failed ? 1 : 0;
}

} // namespace

int main(int argc, char **argv)
{
    // --smoke: checked calls instead of benchmarks, and nothing else on the command line.
    for (int i = 1; i < argc; i++)
        if (!std::strcmp(argv[i], "--smoke")) {
            if (argc != 2) {
                std::fprintf(stderr, "rnnrt-bench-kernels: --smoke takes no other argument\n");
                return 2;
            }
            return Smoke();
        }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    const std::vector<Shape> shapes = KernelShapes();
    for (const rnnrt_kernel_info *info : Runnable()) {
        if (GemmCallable(info)) {
            benchmark::RegisterBenchmark((std::string(info->name) + "/kc:256").c_str(),
                                         [info](benchmark::State &st) { RunGemm(st, info); });
            benchmark::RegisterBenchmark((std::string(info->name) + "/stream").c_str(),
                                         [info](benchmark::State &st) { RunGemmStream(st, info); })
                ->Unit(benchmark::kMillisecond);
            continue;
        }
        const Family fam = FamilyOfSlot(info->slot);
        if (!std::strcmp(info->family, "tile_release") || IsPreparation(info))
            continue; // no work to time, or a small part of a pass's (tests/kernels checks it)
        if (fam == FAMILY_COUNT) {
            std::fprintf(stderr, "rnnrt-bench-kernels: no benchmark for %s (family %s, "
                                 "weights %s)\n", info->name, info->family, info->dtype);
            continue;
        }
        for (const Shape &s : shapes) {
            std::string name = std::string(info->slot) + "/" + info->set +
                               "/H:" + std::to_string(s.hidden) +
                               "/B:" + std::to_string(s.batch);
            size_t H = static_cast<size_t>(s.hidden), B = static_cast<size_t>(s.batch);
            rnnrt_kernel_any_fn fn = info->fn;
            benchmark::RegisterBenchmark(name.c_str(), [fn, fam, H, B](benchmark::State &st) {
                Run(st, fn, fam, H, B);
            });
        }
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
