// Shared parts of the benchmark binaries: see bench_common.h.
#include "bench_common.h"

#include <rnnrt.h>
extern "C" {
#include "dispatch.h"
}

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace rnnrt_bench {

int Shape::gates() const
{
    return !strcmp(cell, "lstm") ? 4 : 3;
}

double Shape::flops() const
{
    return 2.0 * T * N * gates() * H * (double)(I + H);
}

std::string Shape::key() const
{
    std::ostringstream s;
    s << cell << "/T:" << T << "/N:" << N << "/H:" << H << "/I:" << I;
    return s.str();
}

const std::vector<Shape> &all_shapes()
{
#define QUICK SET_QUICK
#define DEFAULT SET_DEFAULT
#define FULL SET_FULL
#define RNNRT_SHAPE(cell, T, N, H, I, set, source) {#cell, T, N, H, I, set, #source},
    static const std::vector<Shape> list = {
#include "shapes.def"
    };
#undef RNNRT_SHAPE
#undef QUICK
#undef DEFAULT
#undef FULL
    return list;
}

std::vector<Shape> shapes_in(Set s)
{
    std::vector<Shape> out;
    for (const Shape &sh : all_shapes())
        if (sh.set <= s)
            out.push_back(sh);
    return out;
}

static std::vector<std::string> split(const std::string &s)
{
    std::vector<std::string> out;
    std::stringstream in(s);
    std::string item;
    while (std::getline(in, item, ','))
        if (!item.empty())
            out.push_back(item);
    return out;
}

static bool starts(const char *arg, const char *prefix, const char **value)
{
    size_t n = strlen(prefix);
    if (strncmp(arg, prefix, n))
        return false;
    *value = arg + n;
    return true;
}

[[noreturn]] static void usage(const char *prog, const char *extra, const char *bad)
{
    if (bad)
        fprintf(stderr, "%s: unknown or malformed option '%s'\n\n", prog, bad);
    fprintf(stderr,
            "usage: %s [options] [Google Benchmark options]\n"
            "  --quick | --full | --set=quick|default|full   shape set of bench/shapes.def\n"
            "  --threads=1,2        thread counts (set through rnnrt_set_num_threads and\n"
            "                       each peer's own call); default 1,2 (--quick: 1)\n"
            "  --isas=LIST          rnnrt kernel sets to measure (default: every one this\n"
            "                       CPU runs)\n"
            "  --max-seconds=S      skip a benchmark whose repetitions would take longer than\n"
            "                       S seconds (default 10; --full: 60)\n"
            "%s"
            "Defaults added unless given: --benchmark_repetitions=9 (--quick: 5)\n"
            "  --benchmark_min_time=0.03 --benchmark_min_warmup_time=0 (each benchmark\n"
            "  runs one untimed pass first) --benchmark_display_aggregates_only=true\n",
            prog, extra ? extra : "");
    exit(bad ? 2 : 0);
}

Options parse_options(int *argc, char ***argv, std::vector<char *> *storage,
                      const char *extra_usage)
{
    Options o;
    std::vector<char *> &out = *storage;
    out.clear();
    out.push_back((*argv)[0]);
    bool have_reps = false, have_min = false, have_warm = false, have_disp = false;
    for (int k = 1; k < *argc; k++) {
        const char *a = (*argv)[k], *v;
        if (!strcmp(a, "--quick"))
            o.set = SET_QUICK;
        else if (!strcmp(a, "--full"))
            o.set = SET_FULL;
        else if (starts(a, "--set=", &v)) {
            if (!strcmp(v, "quick"))
                o.set = SET_QUICK;
            else if (!strcmp(v, "default"))
                o.set = SET_DEFAULT;
            else if (!strcmp(v, "full"))
                o.set = SET_FULL;
            else
                usage((*argv)[0], extra_usage, a);
        } else if (starts(a, "--threads=", &v)) {
            for (const std::string &t : split(v)) {
                int n = atoi(t.c_str());
                if (n < 1)
                    usage((*argv)[0], extra_usage, a);
                o.threads.push_back(n);
            }
        } else if (starts(a, "--isas=", &v))
            o.isas = split(v);
        else if (starts(a, "--variants=", &v))
            o.variants = split(v);
        else if (starts(a, "--peers=", &v))
            o.peers = split(v);
        else if (starts(a, "--max-seconds=", &v))
            o.max_seconds = atof(v);
        else if (!strcmp(a, "--force-variants"))
            o.force_variants = true;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            usage((*argv)[0], extra_usage, nullptr);
        else {
            have_reps |= !strncmp(a, "--benchmark_repetitions=", 24);
            have_min |= !strncmp(a, "--benchmark_min_time=", 21);
            have_warm |= !strncmp(a, "--benchmark_min_warmup_time=", 28);
            have_disp |= !strncmp(a, "--benchmark_display_aggregates_only", 35) ||
                         !strncmp(a, "--benchmark_report_aggregates_only", 34);
            if (starts(a, "--benchmark_repetitions=", &v))
                o.repetitions = atoi(v) > 0 ? atoi(v) : 1;
            out.push_back((*argv)[k]);
        }
    }
    static std::string reps, min_time = "--benchmark_min_time=0.03",
                             warm = "--benchmark_min_warmup_time=0",
                             disp = "--benchmark_display_aggregates_only=true";
    if (!have_reps) {
        o.repetitions = o.set == SET_QUICK ? 5 : 9;
        reps = "--benchmark_repetitions=" + std::to_string(o.repetitions);
        out.push_back(&reps[0]);
    }
    if (!have_min)
        out.push_back(&min_time[0]);
    if (!have_warm)
        out.push_back(&warm[0]);
    if (!have_disp)
        out.push_back(&disp[0]);
    if (o.max_seconds < 0)
        o.max_seconds = o.set == SET_FULL ? 60 : 10;
    out.push_back(nullptr);
    *argc = (int)out.size() - 1;
    *argv = out.data();
    return o;
}

std::vector<int> thread_counts(const Options &o)
{
    if (!o.threads.empty())
        return o.threads;
    if (o.set == SET_QUICK)
        return {1};
    return {1, 2};
}

bool wanted(const std::vector<std::string> &list, const std::string &name)
{
    if (list.empty())
        return true;
    for (const std::string &s : list)
        if (s == name)
            return true;
    return false;
}

std::vector<std::string> runnable_isas(const Options &o)
{
    std::string saved = rnnrt_isa();
    std::vector<std::string> out;
    for (int s = 0; s < rnnrt_kernel_set_count; s++) {
        const char *isa = rnnrt_kernel_set_names[s];
        if (!wanted(o.isas, isa))
            continue;
        if (rnnrt_set_isa(isa) == RNNRT_OK)
            out.push_back(isa);
        else if (!o.isas.empty())
            note(std::string("isa_") + isa, std::string("skipped: ") + rnnrt_last_error());
    }
    rnnrt_set_isa(saved.c_str());
    return out;
}

double time_once(const std::function<void()> &fn)
{
    fn();
    auto t0 = std::chrono::steady_clock::now();
    fn();
    auto t1 = std::chrono::steady_clock::now();
    return std::chrono::duration<double>(t1 - t0).count();
}

static std::unique_ptr<Case> g_case;
static std::string g_case_name;

Case *cached_case(const std::string &name, const Options &o,
                  const std::function<std::unique_ptr<Case>()> &make)
{
    if (g_case && g_case_name == name)
        return g_case.get();
    g_case.reset();  // free the previous benchmark's data before making this one's
    g_case_name = name;
    g_case = make();
    if (g_case->skip.empty()) {
        Case *c = g_case.get();
        double t = time_once([c] { c->run(); });
        // Each repetition runs at least one pass, plus Google Benchmark's warm-up.
        double need = t * (o.repetitions + 2);
        if (need > o.max_seconds) {
            char msg[200];
            snprintf(msg, sizeof msg,
                     "skipped: one pass takes %.2f s, %d repetitions exceed --max-seconds=%g",
                     t, o.repetitions, o.max_seconds);
            c->skip = msg;
        }
    }
    return g_case.get();
}

void note(const std::string &key, const std::string &value)
{
    benchmark::AddCustomContext(key, value);
    fprintf(stderr, "note: %s: %s\n", key.c_str(), value.c_str());
}

void run_loop(benchmark::State &st, Case *c, double flops)
{
    if (!c->skip.empty()) {
        st.SkipWithError(c->skip.c_str());
        return;
    }
    for (auto _ : st)
        c->run();
    st.counters["GFLOPS"] =
        benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace rnnrt_bench
