#!/usr/bin/python3
"""Two librnnrt builds paired in one process, round by round, shape by shape.

  /usr/bin/python3 tools/ab_lib.py LIB_A LIB_B [--set default] [--filter lstm/T:25/N:4/]
      [--threads 1] [--rounds 9] [--calls 5] [--tolerance 1e-4] [--json OUT]

tools/ab_pair.py runs two benchmark binaries in separate processes, and on a shared VM a
process can be 1.7x slower than the next for its whole life (docs/benchmarking.md), so its
per-round ratios spread over 0.6-1.8x and a 5% change cannot be seen. Here both libraries
(each a librnnrt.so, e.g. build/runtime/librnnrt.so of two worktrees) are loaded into one
process, each behind its own copy of the Python package (python/rnnrt), and run the same
model (Model.from_torch on tools/bench_torch.py's weights and input) in alternating blocks of
`calls` calls, the order swapped every round. A round's figure is A's median call time over
B's (above 1: B is faster); a shape's is the median of its rounds with the quartiles.

Outputs are compared once per shape before timing: beyond `tolerance` (relative to
max(1, |y|)) the shape is reported and not timed. Exit status 0, 1 when outputs differ,
2 on bad arguments (a library that is not a file or does not load), 3 when NumPy or PyTorch
cannot be imported.
"""
import argparse
import importlib.util
import json
import os
import statistics
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import benchlib  # noqa: E402

PACKAGE = os.path.join(ROOT, "python", "rnnrt")


def options(argv):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("lib_a", help="librnnrt.so of the base build")
    ap.add_argument("lib_b", help="librnnrt.so of the build compared with it")
    ap.add_argument("--set", choices=["quick", "default", "full"], default="default")
    ap.add_argument("--filter", action="append", default=None,
                    help="substring of the shape, e.g. lstm/T:25/N:4/ (repeatable)")
    ap.add_argument("--threads", default="1", help="comma list (default 1)")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--calls", type=int, default=5, help="timed calls per block")
    ap.add_argument("--tolerance", type=float, default=1e-4,
                    help="largest relative output difference still timed")
    ap.add_argument("--json", default=None, help="write every round's times here")
    a = ap.parse_args(argv)
    benchlib.check_paired_options(ap, a)
    if not a.tolerance >= 0:
        ap.error(f"--tolerance must be a number >= 0, got {a.tolerance}")
    return a


def load_package(name, lib):
    """python/rnnrt imported again as module `name`, bound to the library file `lib`. The
    package falls back to other libraries when RNNRT_LIB does not load; here that is an
    error, so the path it loaded is checked."""
    if not os.path.isfile(lib):
        raise ImportError(f"{lib}: not a file")
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(PACKAGE, "__init__.py"), submodule_search_locations=[PACKAGE])
    module = importlib.util.module_from_spec(spec)
    saved = os.environ.get("RNNRT_LIB")
    os.environ["RNNRT_LIB"] = lib
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        if saved is None:
            del os.environ["RNNRT_LIB"]
        else:
            os.environ["RNNRT_LIB"] = saved
    if os.path.realpath(module.library_path) != os.path.realpath(lib):
        raise ImportError(f"{lib} did not load (the package found {module.library_path})")
    return module


def pair_shape(s, module, x, threads, a, libs):
    """(A times, B times, ratios) per round, or an error string when the outputs differ."""
    import numpy as np
    xn = np.ascontiguousarray(x.numpy(), dtype=np.float32)
    models = [lib.Model.from_torch(module, threads=threads) for lib in libs]
    ys = [np.empty((s["T"], s["N"], s["H"]), np.float32) for _ in libs]
    runs = [lambda m=m, y=y: m.forward(xn, out=y) for m, y in zip(models, ys)]
    for _ in range(10):  # each side's thread choice makes its trials here
        for run in runs:
            run()
    err = benchlib.max_relative_error(ys[1], ys[0])
    if not err <= a.tolerance:
        return f"outputs differ: {err:.2e} relative (bound {a.tolerance:g})"
    ta, tb = benchlib.paired_rounds(runs[0], runs[1], a.rounds, a.calls)
    return ta, tb, [x / y for x, y in zip(ta, tb)]


def main(argv=None):
    a = options(argv)
    try:
        import numpy  # noqa: F401
        import torch
        import bench_torch
    except ImportError as e:
        print(f"ab_lib: {e} (Debian: python3-numpy, python3-torch)", file=sys.stderr)
        return 3
    try:
        libs = [load_package("rnnrt_ab_a", a.lib_a), load_package("rnnrt_ab_b", a.lib_b)]
    except (ImportError, OSError) as e:
        print(f"ab_lib: {e}", file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    shapes = [(s, module, x) for s, module, x in bench_torch.shape_models(torch, a.set)
              if not a.filter or any(f in benchlib.shape_key(s) for f in a.filter)]
    if not shapes:
        print(f"ab_lib: no shape of the {a.set} set matches {a.filter}", file=sys.stderr)
        return 2
    same = os.path.realpath(a.lib_a) == os.path.realpath(a.lib_b)
    print(f"A {libs[0].library_path} ({libs[0].version()}, {libs[0].isa()}), "
          f"B {libs[1].library_path} ({libs[1].version()}, {libs[1].isa()})"
          f"{' (the same file: one library)' if same else ''}; {a.rounds} rounds of "
          f"{a.calls} calls, {benchlib.cpu_model()}, {os.cpu_count()} CPUs")
    print("| shape | threads | A ms | B ms | A / B (median, quartiles) |")
    print("|---|---|---|---|---|")
    rows, status = [], 0
    for s, module, x in shapes:
        key = benchlib.shape_key(s)
        for t in a.threads:
            got = pair_shape(s, module, x, t, a, libs)
            if isinstance(got, str):
                print(f"| {key} | {t} | {got} | | |")
                status = 1
                continue
            ta, tb, ratio = got
            lo, hi = benchlib.quartiles(ratio)
            rows.append({"shape": key, "threads": t, "a_ms": [v * 1e3 for v in ta],
                         "b_ms": [v * 1e3 for v in tb], "ratio": ratio})
            print(f"| {key} | {t} | {statistics.median(ta) * 1e3:.3f} | "
                  f"{statistics.median(tb) * 1e3:.3f} | {statistics.median(ratio):.3f}x "
                  f"[{lo:.2f}-{hi:.2f}] |", flush=True)
    print()
    for t in a.threads:
        meds = [statistics.median(r["ratio"]) for r in rows if r["threads"] == t]
        if meds:
            print(f"{t} thread(s): {len(meds)} shapes, geometric mean A/B "
                  f"{benchlib.geomean(meds):.3f}x, B faster on {sum(m > 1 for m in meds)}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"a": a.lib_a, "b": a.lib_b, "cpu": benchlib.cpu_model(),
                       "rounds": a.rounds, "calls": a.calls,
                       "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "rows": rows}, f,
                      indent=1)
    return status


if __name__ == "__main__":
    sys.exit(main())
