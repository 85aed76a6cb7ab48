"""Per-call overhead of the Python binding: a one-step, batch-1 forward from Python against
the same call from C (bench/bench_call_overhead.c, built here with cc against the same
librnnrt.so). The target of issue 14 is under 10 microseconds more than C.

    .venv/bin/python bench/bench_python_overhead.py [--hidden 32] [--calls 20000] [--repeats 7]

Prints the median time per call, one thread, of: C; ctypes' raw call (the floor of any
ctypes binding); Model.forward(x, state=s, out=y); Model.forward(x, state=s) (allocates y);
and the overheads over C. Timings on a shared or busy machine are provisional: rerun idle.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import rnnrt
from bench_batch import lstm_bytes

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def per_call_ns(fn, calls, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter_ns()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter_ns() - t0) / calls)
    return statistics.median(times)


def c_per_call_ns(model_path, calls, repeats, workdir):
    exe = os.path.join(workdir, "bench_call_overhead")
    libdir = os.path.dirname(os.path.abspath(rnnrt.library_path))
    cc = os.environ.get("CC", "cc")
    subprocess.run([cc, "-O2", "-std=c11", "-I", os.path.join(ROOT, "runtime", "include"),
                    os.path.join(HERE, "bench_call_overhead.c"), "-o", exe,
                    os.path.abspath(rnnrt.library_path), f"-Wl,-rpath,{libdir}"], check=True)
    out = subprocess.run([exe, model_path, str(calls), str(repeats)], check=True,
                         capture_output=True, text=True).stdout
    return statistics.median(float(v) for v in out.split())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--calls", type=int, default=20000)
    ap.add_argument("--repeats", type=int, default=7)
    a = ap.parse_args()
    rnnrt.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "lstm.safetensors")
        with open(path, "wb") as f:
            f.write(lstm_bytes(a.hidden, a.hidden))
        m = rnnrt.Model(path)
        s = m.state(1)
        x = np.zeros((1, 1, m.input_size), np.float32)
        y = np.empty((1, 1, m.output_size), np.float32)
        xp, yp = x.ctypes.data, y.ctypes.data
        c = c_per_call_ns(path, a.calls, a.repeats, tmp)
        rows = [
            ("C rnnrt_forward", c),
            ("ctypes raw call", per_call_ns(
                lambda: rnnrt._forward(m._p, s._p, xp, 1, 1, None, yp), a.calls, a.repeats)),
            ("Model.forward(x, state, out=y)", per_call_ns(
                lambda: m.forward(x, state=s, out=y), a.calls, a.repeats)),
            ("Model.forward(x, state)", per_call_ns(
                lambda: m.forward(x, state=s), a.calls, a.repeats)),
        ]
    print(f"rnnrt {rnnrt.version()} ({rnnrt.library_path}), LSTM H={a.hidden}, T=1, B=1, "
          f"1 thread, kernel set {rnnrt.isa()}, median of {a.repeats} x {a.calls} calls")
    for name, ns in rows:
        extra = "" if name.startswith("C ") else f"  (+{(ns - c) / 1000:.2f} us over C)"
        print(f"{name:34s} {ns / 1000:8.2f} us{extra}")


if __name__ == "__main__":
    sys.exit(main())
