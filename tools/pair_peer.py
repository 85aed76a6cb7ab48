#!/usr/bin/python3
"""rnnrt against ONNX Runtime in one process, paired round by round, shape by shape.

  .venv-peers/bin/python tools/pair_peer.py [--set default] [--threads 1,2] [--rounds 9]
      [--calls 5] [--filter lstm/T:25/N:4/] [--ort-no-spin] [--json OUT]

On a shared VM whole processes and minutes differ: in one main job (Zen 4 EPYC, 2026-12-02)
the same rnnrt pass ran at 45 ms in one round and 78-88 ms in the two others, and in one on
a Zen 3 ONNX Runtime's at 57-63 ms or 108-111 ms, so the suite's figures (a median of each
side's repetitions, taken minutes apart in separate processes) can put either side ahead
by the machine's state alone. Here both run
the same weights and input (tools/bench_torch.py's seed; rnnrt through its Python package,
Model.from_torch, ONNX Runtime through tools/bench_ort.py's one-node model and session) in
the same process, in alternating blocks of `calls` calls a few milliseconds apart, the
order swapped every round; a round's figure is ONNX Runtime's median call time over
rnnrt's (above 1: rnnrt is faster), and a shape's is the median of its rounds with the
quartiles. Between blocks the process sleeps 20 ms so that neither side's spinning worker
threads (libgomp's, ONNX Runtime's pool) are still running into the other's block.

Both sides' outputs are compared once per shape (within 1e-4 relative to max(1, |y|):
float32 on both sides, K-term sums in different orders). Prints a table and the geometric
mean per thread count; --json writes every round. Exit status 0, 1 when the outputs
differ, 2 on bad arguments, 3 when onnxruntime, torch or rnnrt cannot be imported.
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python"))
import benchlib  # noqa: E402

GAP_S = 0.02
OUTPUT_TOLERANCE = 1e-4


def options(argv):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", choices=["quick", "default", "full"], default="default")
    ap.add_argument("--threads", default="1,2", help="comma list (default 1,2)")
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--calls", type=int, default=5, help="timed calls per block")
    ap.add_argument("--filter", default=None, help="substring of the shape, e.g. lstm/T:25/N:4/")
    ap.add_argument("--json", default=None, help="write every round's times here")
    ap.add_argument("--ort-no-spin", action="store_true",
                    help="ONNX Runtime's pool threads block instead of spinning between work "
                         "items (session.intra_op.allow_spinning 0)")
    a = ap.parse_args(argv)
    benchlib.check_paired_options(ap, a)
    return a


def pair_shape(s, module, x, threads, a, ort, rnnrt, bench_ort):
    """One shape at one thread count: (rnnrt times, ORT times, ratios) per round, or an
    error string when the outputs differ."""
    import numpy as np
    model = rnnrt.Model.from_torch(module, threads=threads)
    sess = bench_ort.session(ort, bench_ort.onnx_model(s["cell"], module), threads,
                             spinning=not a.ort_no_spin)
    xn = np.ascontiguousarray(x.numpy(), dtype=np.float32)
    feed = {"x": xn}
    y = np.empty((s["T"], s["N"], s["H"]), np.float32)

    def run_rnnrt():
        model.forward(xn, out=y)

    def run_ort():
        return sess.run(None, feed)[0]

    # rnnrt's thread choice times its trials on a new batch size: first, and away from
    # ONNX Runtime's spinning threads, as the benchmark's warm-up does
    for _ in range(10):
        run_rnnrt()
    got = y.copy()
    time.sleep(GAP_S)
    want = run_ort().reshape(s["T"], s["N"], s["H"])
    err = benchlib.max_relative_error(got, want)
    if not err <= OUTPUT_TOLERANCE:
        return f"outputs differ: {err:.2e} relative (bound {OUTPUT_TOLERANCE:g})"
    rt, ot = benchlib.paired_rounds(run_rnnrt, run_ort, a.rounds, a.calls, GAP_S)
    return rt, ot, [o / r for r, o in zip(rt, ot)]


def main(argv=None):
    a = options(argv)
    try:
        import onnxruntime as ort
        import torch
        import rnnrt
        import bench_ort
        import bench_torch
    except ImportError as e:
        print(f"pair_peer: {e} (tools/setup_peer_venv.sh installs onnxruntime into "
              ".venv-peers/; rnnrt needs a build: meson setup build && ninja -C build)",
              file=sys.stderr)
        return 3
    torch.set_num_threads(1)
    print(f"rnnrt {rnnrt.version()} ({rnnrt.library_path}, kernel set {rnnrt.isa()}) and "
          f"ONNX Runtime {ort.__version__}{' (no spinning)' if a.ort_no_spin else ''}; "
          f"{a.rounds} rounds of {a.calls} calls each, "
          f"{benchlib.cpu_model()}, {os.cpu_count()} CPUs")
    print("| shape | threads | rnnrt ms | ONNX Runtime ms | ORT / rnnrt (median, quartiles) |")
    print("|---|---|---|---|---|")
    rows, status = [], 0
    for s, module, x in bench_torch.shape_models(torch, a.set):
        key = benchlib.shape_key(s)
        if a.filter and a.filter not in key:
            continue
        for t in a.threads:
            got = pair_shape(s, module, x, t, a, ort, rnnrt, bench_ort)
            if isinstance(got, str):
                print(f"| {key} | {t} | {got} | | |")
                status = 1
                continue
            rt, ot, ratio = got
            lo, hi = benchlib.quartiles(ratio)
            med = statistics.median(ratio)
            rows.append({"shape": key, "threads": t, "rnnrt_ms": [v * 1e3 for v in rt],
                         "ort_ms": [v * 1e3 for v in ot], "ratio": ratio})
            print(f"| {key} | {t} | {statistics.median(rt) * 1e3:.3f} | "
                  f"{statistics.median(ot) * 1e3:.3f} | {med:.2f}x [{lo:.2f}-{hi:.2f}] |",
                  flush=True)
    print()
    for t in a.threads:
        meds = [statistics.median(r["ratio"]) for r in rows if r["threads"] == t]
        if meds:
            below = sum(1 for m in meds if m < 1.0)
            print(f"{t} thread(s): {len(meds)} shapes, geometric mean "
                  f"{benchlib.geomean(meds):.3f}x, "
                  f"{below} below 1.0x, slowest {min(meds):.2f}x")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"rnnrt": rnnrt.version(), "onnxruntime": ort.__version__,
                       "cpu": benchlib.cpu_model(), "rounds": a.rounds, "calls": a.calls,
                       "ort_spinning": not a.ort_no_spin,
                       "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "rows": rows}, f,
                      indent=1)
    return status


if __name__ == "__main__":
    sys.exit(main())
