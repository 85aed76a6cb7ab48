#!/usr/bin/python3
"""PyTorch's nn.LSTM / nn.GRU on the shapes of bench/shapes.def, written as Google Benchmark
JSON (same names, fields and GFLOPS counter as rnnrt-bench-lstm, impl:torch), so the report,
the plots and perf_compare.py put it beside the others.

One layer, unidirectional, with biases, fp32, time-major input, zero initial state, under
torch.inference_mode(); threads set with torch.set_num_threads(). Per benchmark: warm-up
call (and more for --warmup seconds), then --repetitions repetitions of as many calls as fill
--min-time seconds (at least one), each repetition's mean time per call reported. As in the
C++ binaries, a benchmark whose repetitions would exceed --max-seconds is skipped and says so.

Run with Debian's interpreter and python3-torch: /usr/bin/python3 tools/bench_torch.py
"""
import argparse
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402


def measure(fn, min_time, reps, warmup):
    """After a first call made by the caller: more warm-up, one timed call to size the
    repetitions, then the repetitions."""
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
    return iters, out, one


def main():
    ap = argparse.ArgumentParser(description=__doc__,
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
    a = ap.parse_args()
    threads = [int(t) for t in a.threads.split(",")] if a.threads else (
        [1] if a.set == "quick" else [1, 2])
    reps = a.repetitions or (5 if a.set == "quick" else 9)
    if a.max_seconds is None:
        a.max_seconds = 60.0 if a.set == "full" else 10.0

    try:
        import torch
    except ImportError as e:
        print("bench_torch: PyTorch is not installed (Debian: python3-torch): %s" % e,
              file=sys.stderr)
        return 3
    torch.manual_seed(20261122)

    context = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "executable": "tools/bench_torch.py",
        "num_cpus": os.cpu_count(),
        "torch": "PyTorch %s" % torch.__version__,
        "torch_parallel": "; ".join(ln.strip() for ln in torch.__config__.parallel_info()
                                    .splitlines() if "backend" in ln or "OpenMP" in ln),
        "torch_blas": ", ".join(re.findall(r"\b(BLAS_INFO=[^,]*|USE_MKLDNN=[^,]*)",
                                           torch.__config__.show())),
        "shape_set": a.set,
    }
    benchmarks = []
    for s in benchlib.shapes(a.set):
        Cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[s["cell"]]
        model = Cls(s["I"], s["H"]).eval()
        x = torch.randn(s["T"], s["N"], s["I"])
        fl = benchlib.flops(s["cell"], s["T"], s["N"], s["H"], s["I"])
        for t in threads:
            name = "forward/%s/impl:torch/isa:native/threads:%d" % (benchlib.shape_key(s), t)
            if a.filter and a.filter not in name:
                continue
            torch.set_num_threads(t)
            with torch.inference_mode():
                def fn():
                    model(x)
                t0 = time.perf_counter()
                fn()
                one = time.perf_counter() - t0
                if one * (reps + 2) > a.max_seconds:
                    msg = ("skipped: one pass takes %.2f s, %d repetitions exceed "
                           "--max-seconds=%g" % (one, reps, a.max_seconds))
                    benchmarks.append({"name": name + "/real_time", "run_name": name + "/real_time",
                                       "run_type": "iteration", "error_occurred": True,
                                       "error_message": msg})
                    print("%-70s %s" % (name, msg), file=sys.stderr)
                    continue
                iters, times, _ = measure(fn, a.min_time, reps, a.warmup)
            for k, sec in enumerate(times):
                benchmarks.append({
                    "name": name + "/real_time", "run_name": name + "/real_time",
                    "run_type": "iteration", "repetitions": reps, "repetition_index": k,
                    "threads": 1, "iterations": iters, "real_time": sec * 1e3,
                    "cpu_time": sec * 1e3, "time_unit": "ms", "GFLOPS": fl / sec * 1e-9,
                    "label": "torch %s" % torch.__version__})
            med = sorted(times)[len(times) // 2]
            benchmarks.append({
                "name": name + "/real_time_median", "run_name": name + "/real_time",
                "run_type": "aggregate", "aggregate_name": "median", "repetitions": reps,
                "threads": 1, "iterations": reps, "real_time": med * 1e3, "cpu_time": med * 1e3,
                "time_unit": "ms", "GFLOPS": fl / med * 1e-9})
            print("%-70s %10.3f ms %9.2f GFLOP/s" % (name, med * 1e3, fl / med * 1e-9),
                  file=sys.stderr)
    doc = {"context": context, "benchmarks": benchmarks}
    if a.out:
        with open(a.out, "w") as f:
            json.dump(doc, f, indent=1)
    else:
        json.dump(doc, sys.stdout, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
