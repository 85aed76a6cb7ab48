// What the benchmark binaries of rnnrt share: the shape list (shapes.def), the options that
// choose a set, thread counts and ISAs, default repetitions, and a cache that builds each
// benchmark's data once across Google Benchmark's repeated calls.
#ifndef RNNRT_BENCH_COMMON_H
#define RNNRT_BENCH_COMMON_H

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace rnnrt_bench {

enum Set { SET_QUICK = 0, SET_DEFAULT = 1, SET_FULL = 2 };

struct Shape {
    const char *cell;  // "lstm" or "gru"
    int T, N, H, I;
    Set set;           // the smallest set that holds the shape
    const char *source;
    int gates() const;
    double flops() const;  // 2*T*N*G*H*(I+H): both products of the layer
    std::string key() const;  // "lstm/T:25/N:1/H:512/I:512"
};

// Every shape of shapes.def, in file order.
const std::vector<Shape> &all_shapes();
// The shapes of a set (quick is in default is in full).
std::vector<Shape> shapes_in(Set s);

struct Options {
    Set set = SET_DEFAULT;
    std::vector<int> threads;          // empty: 1 for --quick, else 1,2
    std::vector<std::string> isas;     // empty: every ISA this CPU runs
    std::vector<std::string> variants; // empty: reference, blocked
    std::vector<std::string> peers;    // empty: every peer built in
    double max_seconds = -1;           // skip a benchmark whose passes would take longer;
                                       // < 0: 10 s, 60 s with --full
    bool force_variants = false;       // run variants that turn out to be the reference
    int repetitions = 9;
};

// Parses and removes the binary's own options (--set=, --quick, --full, --threads=,
// --isas=, --variants=, --peers=, --max-seconds=, --force-variants) from argv, and adds
// Google Benchmark defaults the caller did not give: repetitions (9, --quick 5), min time
// (0.03 s), no warm-up of Google Benchmark's own (cached_case() warms each benchmark once),
// aggregates only on the console. Exits with a usage message on
// an unknown value. `extra_usage` is printed with --help.
Options parse_options(int *argc, char ***argv, std::vector<char *> *storage,
                      const char *extra_usage);

// Thread counts of the options, resolved for the set.
std::vector<int> thread_counts(const Options &o);
bool wanted(const std::vector<std::string> &list, const std::string &name);

// ISAs that rnnrt was built with and this CPU runs, best first ("avx512", "avx2", "neon",
// "scalar"), filtered by --isas.
std::vector<std::string> runnable_isas(const Options &o);

// Seconds of one call of fn (after one call to warm it).
double time_once(const std::function<void()> &fn);

// One benchmark's data, built on its first call and kept while Google Benchmark calls the
// same benchmark again (iteration-count trials, repetitions); the previous benchmark's data
// is freed first, so at most one case lives at a time.
struct Case {
    virtual ~Case() = default;
    virtual void run() = 0;          // one forward pass / one GEMM
    std::string skip;                // non-empty: why this benchmark is skipped
};

// Builds (via make) or reuses the case named `name`, warms it, and once per case checks
// that one run times the repetitions stays under o.max_seconds (else sets skip).
Case *cached_case(const std::string &name, const Options &o,
                  const std::function<std::unique_ptr<Case>()> &make);

// Adds key/value to the JSON context and prints it to stderr (shown before the table).
void note(const std::string &key, const std::string &value);

// Google Benchmark loop shared by the forward benchmarks: runs c->run(), reports GFLOP/s.
void run_loop(benchmark::State &st, Case *c, double flops);

}  // namespace rnnrt_bench

#endif
