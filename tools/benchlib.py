"""Shared by rnnrt's benchmark tools: the shape list, Google Benchmark JSON, names, the
roofline model and the machine description. Standard library only (so perf_compare.py and
the gate run without NumPy).

Benchmark names (bench/*.cc and tools/bench_torch.py) are '/'-separated, with key:value
fields after a kind and an optional cell, e.g.
  forward/lstm/T:25/N:1/H:512/I:512/impl:blocked/isa:avx512/threads:1/real_time
  gemm/M:1/N:2048/K:512/impl:openblas/isa:-/weights:cold
  roofline/read/isa:avx512/bytes:32768/threads:1/real_time
"""
import json
import math
import os
import platform
import re
import statistics
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHAPES_DEF = os.path.join(ROOT, "bench", "shapes.def")
SETS = {"QUICK": 0, "DEFAULT": 1, "FULL": 2}
SET_NAMES = {"quick": 0, "default": 1, "full": 2}
GATES = {"lstm": 4, "gru": 3}

_SHAPE_RE = re.compile(
    r"^\s*RNNRT_SHAPE\(\s*(\w+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,"
    r"\s*(\w+)\s*,\s*(\w+)\s*\)")


def shapes(set_name="full", path=SHAPES_DEF):
    """The shapes of bench/shapes.def in a set ('quick' within 'default' within 'full')."""
    limit = SET_NAMES[set_name]
    out = []
    with open(path) as f:
        for line in f:
            m = _SHAPE_RE.match(line)
            if not m:
                continue
            cell, T, N, H, I, st, src = m.groups()
            if SETS[st] <= limit:
                out.append(dict(cell=cell, T=int(T), N=int(N), H=int(H), I=int(I), set=st,
                                source=src))
    return out


def flops(cell, T, N, H, I):
    """FLOPs of one forward pass of one layer: 2*T*N*G*H*(I+H)."""
    return 2.0 * T * N * GATES[cell] * H * (I + H)


def shape_key(s):
    return "%s/T:%d/N:%d/H:%d/I:%d" % (s["cell"], s["T"], s["N"], s["H"], s["I"])


def parse_name(name):
    """Fields of a benchmark name: kind, cell (forward), op (roofline), and every key:value,
    with numbers as ints."""
    parts = [p for p in name.split("/") if p not in ("real_time", "manual_time")]
    out = {"kind": parts[0]}
    for p in parts[1:]:
        if ":" in p:
            k, v = p.split(":", 1)
            out[k] = int(v) if re.fullmatch(r"-?\d+", v) else v
        elif out["kind"] == "forward" and "cell" not in out:
            out["cell"] = p
        elif out["kind"] == "roofline" and "op" not in out:
            out["op"] = p
    return out


def base_name(name):
    """The run name without Google Benchmark's /real_time suffix."""
    return re.sub(r"/(real_time|manual_time)$", "", name)


def load(path):
    """Google Benchmark JSON -> (context, {run name: run}) where a run holds 'times' (the
    real time of every repetition, in seconds per iteration), 'counters' (name -> list over
    repetitions), 'label', 'error' and the parsed name fields."""
    with open(path) as f:
        text = f.read()
    # Google Benchmark writes an empty file when its filter matches nothing
    doc = json.loads(text) if text.strip() else {}
    runs = {}
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    for b in doc.get("benchmarks", []):
        name = base_name(b.get("run_name", b["name"]))
        r = runs.setdefault(name, {"name": name, "times": [], "counters": {}, "label": "",
                                   "error": None, "fields": parse_name(name)})
        if b.get("error_occurred"):
            r["error"] = b.get("error_message", "error")
            continue
        if b.get("run_type", "iteration") != "iteration":
            continue
        r["times"].append(b["real_time"] * scale[b.get("time_unit", "ns")])
        r["label"] = b.get("label", r["label"])
        for k, v in b.items():
            if k in ("GFLOPS", "GBps", "bytes_per_second", "items_per_second"):
                r["counters"].setdefault(k, []).append(v)
    return doc.get("context", {}), runs


def load_many(paths):
    ctx, runs = {}, {}
    for p in paths:
        if p and os.path.exists(p):
            c, r = load(p)
            ctx.update(c)
            runs.update(r)
    return ctx, runs


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def geomean(xs):
    """The geometric mean of positive ratios (the reports' "geometric mean" columns)."""
    xs = list(xs)
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def quartiles(xs):
    """The first and third quartiles (by rank) of a paired run's per-round ratios."""
    xs = sorted(xs)
    return xs[len(xs) // 4], xs[(3 * len(xs)) // 4]


def check_paired_options(ap, a):
    """The paired tools' (pair_peer.py, ab_lib.py) --threads parsed into a list in place, and
    --rounds, --calls and every thread count checked to be at least 1 (else ap.error)."""
    try:
        a.threads = [int(t) for t in a.threads.split(",")]
    except ValueError:
        ap.error(f"--threads takes a comma list of integers, got {a.threads!r}")
    if a.rounds < 1 or a.calls < 1 or any(t < 1 for t in a.threads):
        ap.error("--rounds, --calls and every thread count must be at least 1")


def timed_block(fn, calls):
    """The median time of `calls` calls of fn after one untimed call (seconds): one block
    of paired_rounds."""
    fn()
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def paired_rounds(first, second, rounds, calls, gap_s=0.0):
    """Both functions timed in alternating blocks (timed_block), `first` first in even
    rounds and `second` first in odd ones, `gap_s` of sleep before each block: per round,
    the two blocks' times (seconds), as two lists."""
    times = ([], [])
    for r in range(rounds):
        for side in ((0, 1) if r % 2 == 0 else (1, 0)):
            time.sleep(gap_s)
            times[side].append(timed_block((first, second)[side], calls))
    return times


def max_relative_error(got, want):
    """The largest |got - want| relative to max(1, |want|) (NumPy arrays): the paired tools'
    check that both sides computed the same outputs before they are timed."""
    import numpy as np
    return float(np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want))))


def median_counter(run, key):
    return median(run["counters"].get(key, []))



def merge_rounds(paths):
    """Google Benchmark JSON documents of the same benchmarks run in several rounds (each
    with some of the repetitions) -> one document: every round's repetitions (tagged with
    "round"), a median entry per benchmark over all of them, and the first document's
    context with "rounds". A benchmark skipped in some rounds (its one-pass time near
    --max-seconds) keeps the rounds where it ran; one skipped in all keeps its reason."""
    docs = []
    for p in paths:
        with open(p) as f:
            docs.append(json.load(f))
    if not docs:
        raise ValueError("merge_rounds: no documents")
    order, iters, errors, units = [], {}, {}, {}
    for r, doc in enumerate(docs):
        for b in doc.get("benchmarks", []):
            name = b.get("run_name", b["name"])
            if name not in iters:
                order.append(name)
                iters[name] = []
            if b.get("error_occurred"):
                errors.setdefault(name, b)
            elif b.get("run_type", "iteration") == "iteration":
                iters[name].append(dict(b, round=r))
                units[name] = b.get("time_unit", "ns")
    out = []
    for name in order:
        runs = iters[name]
        if not runs:
            out.append(errors[name])
            continue
        out.extend(runs)
        med = dict(runs[0], name=name + "_median", run_type="aggregate",
                   aggregate_name="median", repetitions=len(runs),
                   real_time=median([b["real_time"] for b in runs]),
                   cpu_time=median([b.get("cpu_time", b["real_time"]) for b in runs]))
        med.pop("round", None)
        med.pop("repetition_index", None)
        for k in ("GFLOPS", "GBps", "bytes_per_second", "items_per_second"):
            if k in runs[0]:
                med[k] = median([b[k] for b in runs if k in b])
        out.append(med)
    context = dict(docs[0].get("context", {}), rounds=len(docs))
    return {"context": context, "benchmarks": out}

# ---- Python peers (tools/bench_torch.py, tools/bench_ort.py) ------------------------------

def peer_options(doc, argv=None):
    """Parses the options every Python peer runner takes, with the C++ binaries' defaults."""
    import argparse
    ap = argparse.ArgumentParser(description=doc,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", choices=["quick", "default", "full"], default="default")
    ap.add_argument("--quick", action="store_const", const="quick", dest="set")
    ap.add_argument("--full", action="store_const", const="full", dest="set")
    ap.add_argument("--threads", default=None, help="comma list (default 1,2; --quick: 1)")
    ap.add_argument("--repetitions", type=int, default=None, help="default 9 (--quick: 5)")
    ap.add_argument("--min-time", type=float, default=0.03)
    ap.add_argument("--warmup", type=float, default=0.0,
                    help="seconds of extra warm-up calls after the first (untimed) one")
    ap.add_argument("--max-seconds", type=float, default=None,
                    help="skip a benchmark whose repetitions would take longer "
                         "(default 10, --full 60, as the C++ binaries)")
    ap.add_argument("--filter", default=None, help="substring of the benchmark name")
    ap.add_argument("--out", default=None, help="JSON file (default: stdout)")
    a = ap.parse_args(argv)
    a.threads = [int(t) for t in a.threads.split(",")] if a.threads else (
        [1] if a.set == "quick" else [1, 2])
    a.repetitions = a.repetitions or (5 if a.set == "quick" else 9)
    if a.max_seconds is None:
        a.max_seconds = 60.0 if a.set == "full" else 10.0
    return a


def _measure(fn, min_time, reps, warmup):
    """After a first call made by the caller: more warm-up, one timed call to size the
    repetitions, then the repetitions (each one's mean time per call)."""
    import time
    t_end = time.perf_counter() + warmup
    while time.perf_counter() < t_end:
        fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-9)
    iters = max(1, int(min_time / one))
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(iters):
            fn()
        out.append((time.perf_counter() - t0) / iters)
    return iters, out


def time_peer(fn, name, fl, label, a, benchmarks):
    """Times fn() as benchmark `name` (FLOPs fl per call) and appends Google Benchmark JSON
    entries (every repetition and the median, as rnnrt-bench-lstm writes them) to
    benchmarks; a benchmark whose repetitions would exceed a.max_seconds is recorded as
    skipped, with the reason."""
    import sys
    import time
    t0 = time.perf_counter()
    fn()
    one = time.perf_counter() - t0
    reps = a.repetitions
    if one * (reps + 2) > a.max_seconds:
        msg = ("skipped: one pass takes %.2f s, %d repetitions exceed --max-seconds=%g"
               % (one, reps, a.max_seconds))
        benchmarks.append({"name": name + "/real_time", "run_name": name + "/real_time",
                           "run_type": "iteration", "error_occurred": True,
                           "error_message": msg})
        print("%-70s %s" % (name, msg), file=sys.stderr)
        return
    iters, times = _measure(fn, a.min_time, reps, a.warmup)
    for k, sec in enumerate(times):
        benchmarks.append({
            "name": name + "/real_time", "run_name": name + "/real_time",
            "run_type": "iteration", "repetitions": reps, "repetition_index": k,
            "threads": 1, "iterations": iters, "real_time": sec * 1e3,
            "cpu_time": sec * 1e3, "time_unit": "ms", "GFLOPS": fl / sec * 1e-9,
            "label": label})
    med = sorted(times)[len(times) // 2]
    benchmarks.append({
        "name": name + "/real_time_median", "run_name": name + "/real_time",
        "run_type": "aggregate", "aggregate_name": "median", "repetitions": reps,
        "threads": 1, "iterations": reps, "real_time": med * 1e3, "cpu_time": med * 1e3,
        "time_unit": "ms", "GFLOPS": fl / med * 1e-9})
    print("%-70s %10.3f ms %9.2f GFLOP/s" % (name, med * 1e3, fl / med * 1e-9),
          file=sys.stderr)


def write_peer_json(context, benchmarks, out):
    import sys
    doc = {"context": context, "benchmarks": benchmarks}
    if out:
        with open(out, "w") as f:
            json.dump(doc, f, indent=1)
    else:
        json.dump(doc, sys.stdout, indent=1)


# ---- Roofline --------------------------------------------------------------------------

class Roofline:
    """This machine's limits from rnnrt-bench-roofline's JSON: FMA peak per thread count
    (the best ISA) and read bandwidth by working-set size per thread count."""

    def __init__(self, runs):
        self.peak = {}   # threads -> GFLOP/s
        self.peak_isa = {}  # (isa, threads) -> GFLOP/s
        self.bw = {}     # threads -> sorted [(bytes per thread, GB/s)]
        # (type, isa, threads) -> G operations/s of the reduced types' dot-product probes,
        # or the reason they were not measured ("absent: ...", "not built: ...")
        self.dot = {}
        for r in runs.values():
            f = r["fields"]
            if f["kind"] == "roofline" and f.get("op") == "dot":
                self.dot[(f.get("type"), f.get("isa"), f.get("threads", 1))] = (
                    r["error"] or median_counter(r, "GFLOPS"))
                continue
            if f["kind"] != "roofline" or r["error"] or not r["times"]:
                continue
            t = f.get("threads", 1)
            if f.get("op") == "fma":
                g = median_counter(r, "GFLOPS")
                self.peak_isa[(f["isa"], t)] = g
                self.peak[t] = max(self.peak.get(t, 0.0), g)
            elif f.get("op") == "read":
                self.bw.setdefault(t, []).append((f["bytes"], median_counter(r, "GBps")))
        for t in self.bw:
            self.bw[t].sort()

    def ok(self, threads):
        return threads in self.peak and threads in self.bw

    def bandwidth(self, ws_bytes, threads):
        """GB/s for a working set of ws_bytes in total, spread over `threads` threads
        (each reads ws/threads), interpolated in log(size)."""
        import math
        pts = self.bw[threads]
        per = max(ws_bytes / threads, pts[0][0])
        if per >= pts[-1][0]:
            return pts[-1][1]
        for (s0, b0), (s1, b1) in zip(pts, pts[1:]):
            if s0 <= per <= s1:
                a = (math.log(per) - math.log(s0)) / (math.log(s1) - math.log(s0))
                return b0 + a * (b1 - b0)
        return pts[0][1]

    def limit_seconds(self, cell, T, N, H, I, threads):
        """Lower bound on one forward pass: the input projection as one GEMM over all steps
        (its weights read once), then per step the larger of reading the recurrent weights
        at the bandwidth of their size and doing the recurrent FLOPs at peak."""
        G = GATES[cell]
        peak = self.peak[threads] * 1e9
        w_in = 4.0 * G * H * I
        w_rec = 4.0 * G * H * H
        t_in = max(w_in / (self.bandwidth(w_in, threads) * 1e9), 2.0 * T * N * G * H * I / peak)
        t_step = max(w_rec / (self.bandwidth(w_rec, threads) * 1e9), 2.0 * N * G * H * H / peak)
        return t_in + T * t_step

    def limit_gflops(self, cell, T, N, H, I, threads):
        """The limit with `threads` threads is at least the limit with fewer (they could
        stay idle): the best over every thread count measured up to `threads`, which also
        keeps a 2-thread probe run beside a busy neighbour from lowering the bar."""
        best = None
        for t in sorted(self.peak):
            if t <= threads and self.ok(t):
                sec = self.limit_seconds(cell, T, N, H, I, t)
                best = sec if best is None else min(best, sec)
        return flops(cell, T, N, H, I) / best * 1e-9


# ---- Machine description ---------------------------------------------------------------

def _run(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception:
        return ""


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cpuinfo_first(keys):
    """The first value of each /proc/cpuinfo key (cpu0), '' where absent."""
    got = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                k = line.split(":", 1)[0].strip()
                if k in keys and k not in got:
                    got[k] = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return {k: got.get(k, "") for k in keys}


def best_kernel_set():
    """The kernel set rnnrt picks here, from the flags the kernel reports (Linux lists
    AVX-512 and AVX only where the OS saves their registers, as rnnrt's XGETBV check asks)."""
    flags = set(_cpuinfo_first(["flags"])["flags"].split())
    m = platform.machine()
    if m in ("aarch64", "arm64"):
        return "neon"
    if {"avx512f", "avx512bw", "avx512dq", "avx512vl"} <= flags:
        return "avx512"
    if {"avx2", "fma"} <= flags:
        return "avx2"
    return "scalar"


def machine_slug(results=os.path.join(ROOT, "results")):
    """results/<cpu>[-<isa>][-f<family>m<model>]-<cores>c (docs/benchmarking.md): the CPU
    model in lower case with dashes; the best kernel set where it is narrower than AVX-512
    on x86 (so a Zen 3 'AMD EPYC' gets amd-epyc-avx2-2c and the Zen 5 one keeps
    amd-epyc-2c); then, only if that folder already holds another CPU's machine.json, its
    family and model, so a run never overwrites another machine's results."""
    slug = re.sub(r"[^a-z0-9]+", "-", cpu_model().lower()).strip("-")
    slug = re.sub(r"-(processor|cpu)\b", "", slug) or "cpu"
    isa = best_kernel_set()
    if isa in ("avx2", "scalar"):
        slug += "-" + isa
    cores = "-%dc" % (os.cpu_count() or 1)
    here = _cpuinfo_first(["vendor_id", "cpu family", "model"])
    try:
        with open(os.path.join(results, slug + cores, "machine.json")) as f:
            there = json.load(f)
        if (there.get("vendor_id", ""), there.get("cpu_family", ""), there.get("model", "")) \
                != (here["vendor_id"], here["cpu family"], here["model"]):
            slug += "-f%sm%s" % (here["cpu family"] or "0", here["model"] or "0")
    except (OSError, ValueError):
        pass
    return slug + cores


def machine_info(build_dir=None):
    """CPU model, flags, caches, compiler and flags, library versions, git commit, date."""
    info = {"cpu_model": cpu_model(), "cores": os.cpu_count(), "machine": platform.machine(),
            "kernel": platform.release()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                k = line.split(":", 1)[0].strip()
                if k in ("cpu family", "model", "stepping", "microcode", "vendor_id") and \
                        k.replace(" ", "_") not in info:
                    info[k.replace(" ", "_")] = line.split(":", 1)[1].strip()
                if line.startswith("flags"):
                    flags = line.split(":", 1)[1].split()
                    info["cpu_flags_simd"] = sorted(x for x in flags if re.match(
                        r"(sse|ssse|avx|fma|f16c|amx|vnni|bf16|neon|asimd)", x))
                    break
    except OSError:
        pass
    caches = {}
    base = "/sys/devices/system/cpu/cpu0/cache"
    if os.path.isdir(base):
        for idx in sorted(os.listdir(base)):
            d = os.path.join(base, idx)
            try:
                lvl = open(os.path.join(d, "level")).read().strip()
                typ = open(os.path.join(d, "type")).read().strip()
                size = open(os.path.join(d, "size")).read().strip()
                caches["L%s %s" % (lvl, typ)] = size
            except OSError:
                pass
    info["caches_per_core"] = caches
    info["memory_gib"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    info["compiler"] = _run(["cc", "--version"]).splitlines()[0:1]
    info["cxx_compiler"] = _run(["c++", "--version"]).splitlines()[0:1]
    if build_dir:
        try:
            with open(os.path.join(build_dir, "meson-info", "intro-buildoptions.json")) as f:
                opts = {o["name"]: o["value"] for o in json.load(f)}
            info["build_options"] = {k: opts.get(k) for k in (
                "buildtype", "optimization", "debug", "b_ndebug", "c_args", "cpp_args",
                "c_std", "cpp_std", "default_library")}
        except (OSError, ValueError):
            pass
    pkgs = {}
    for p in ("libbenchmark-dev", "libdnnl-dev", "libopenblas0-pthread", "python3-torch",
              "python3-numpy", "python3-matplotlib", "valgrind", "gcc", "g++", "meson"):
        v = _run(["dpkg-query", "-W", "-f=${Version}", p])
        if v:
            pkgs[p] = v
    info["packages"] = pkgs
    info["git_commit"] = _run(["git", "-C", ROOT, "rev-parse", "HEAD"])
    # results/ is what a run rewrites, not a change to the code it measures
    info["git_dirty"] = bool(_run(["git", "-C", ROOT, "status", "--porcelain",
                                   "--untracked-files=no", "--", ".", ":!results"]))
    info["date"] = _run(["date", "-u", "+%Y-%m-%dT%H:%M:%SZ"])
    info["env"] = {k: v for k, v in os.environ.items()
                   if k.startswith(("OPENBLAS_", "OMP_", "GOMP_", "RNNRT_", "DNNL_", "ONEDNN_"))}
    try:
        info["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    return info


if __name__ == "__main__":
    import sys as _sys
    if len(_sys.argv) >= 2 and _sys.argv[1] == "slug":
        print(machine_slug())
    elif len(_sys.argv) >= 2 and _sys.argv[1] == "machine":
        print(json.dumps(machine_info(_sys.argv[2] if len(_sys.argv) > 2 else None), indent=1))
    elif len(_sys.argv) >= 4 and _sys.argv[1] == "merge":
        merged = merge_rounds(_sys.argv[3:])
        with open(_sys.argv[2], "w") as f:
            json.dump(merged, f, indent=1)
    elif len(_sys.argv) >= 2 and _sys.argv[1] == "shapes":
        for s in shapes(_sys.argv[2] if len(_sys.argv) > 2 else "full"):
            print(shape_key(s), s["set"], s["source"])
    else:
        print("usage: benchlib.py slug | machine [BUILD_DIR] | shapes [quick|default|full]"
              " | merge OUT IN...",
              file=_sys.stderr)
        _sys.exit(2)
