#!/usr/bin/python3
"""Paired A/B of two rnnrt-bench-lstm binaries, shape by shape.

  tools/ab_pair.py BASE NEW --shape 'lstm/T:25/N:4/H:1024/' [--shape ...] [--rounds 4]
                   [--threads 1] [--variants blocked] [--isa avx2] [--repetitions 5]

On a shared machine whole benchmark runs drift by 15-20% over minutes, so two builds each
running the full suite cannot be compared below that. Here, for every shape and round, the
two binaries run that shape back to back (the order alternating between rounds), and the
figure is the median over rounds of the per-round ratio BASE time / NEW time (above 1: NEW
is faster), with the rounds' range. BASE and NEW are copies of build/bench/rnnrt-bench-lstm
from the two builds (it links librnnrt statically). Exit status 0, or 2 on bad input
(a binary that does not run, a shape that matches no benchmark).
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402


def run_one(binary, shape, args, out):
    threads = args.threads
    filt = f"{shape}.*impl:blocked.*isa:{args.isa}/threads:{threads}/"
    cmd = [binary, f"--threads={threads}", f"--isas={args.isa}", f"--variants={args.variants}",
           f"--benchmark_filter={filt}", f"--benchmark_repetitions={args.repetitions}",
           f"--benchmark_out={out}", "--benchmark_out_format=json"]
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{binary} exited with {done.returncode}: {done.stderr.strip()[-300:]}")
    if os.path.getsize(out) == 0:  # Google Benchmark writes nothing when nothing matches
        return {}
    _, runs = benchlib.load(out)
    return {name: benchlib.median(r["times"]) * 1e3 for name, r in runs.items()
            if r["times"] and not r["error"]}  # milliseconds


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("base")
    ap.add_argument("new")
    ap.add_argument("--shape", action="append", required=True,
                    help="start of a benchmark name after forward/, e.g. lstm/T:25/N:4/H:1024/")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--variants", default="blocked")
    ap.add_argument("--isa", default="avx2")
    ap.add_argument("--repetitions", type=int, default=5)
    args = ap.parse_args()
    for b in (args.base, args.new):
        if not (os.path.isfile(b) and os.access(b, os.X_OK)):
            print(f"ab_pair: {b}: not an executable file", file=sys.stderr)
            return 2
    if args.rounds < 1 or args.repetitions < 1 or args.threads < 1:
        print("ab_pair: --rounds, --repetitions and --threads must be at least 1", file=sys.stderr)
        return 2

    pairs = {}  # run name -> [(base time, new time)] per round
    with tempfile.TemporaryDirectory() as tmp:
        for shape in args.shape:
            for r in range(args.rounds):
                order = [("base", args.base), ("new", args.new)]
                if r % 2:
                    order.reverse()
                times = {}
                for side, binary in order:
                    try:
                        times[side] = run_one(binary, shape, args, os.path.join(tmp, side + ".json"))
                    except (RuntimeError, OSError, ValueError, KeyError) as e:
                        print(f"ab_pair: {e}", file=sys.stderr)
                        return 2
                if not times["base"] or not times["new"]:
                    print(f"ab_pair: shape {shape!r} matches no benchmark in one of the binaries",
                          file=sys.stderr)
                    return 2
                for name in times["base"].keys() & times["new"].keys():
                    pairs.setdefault(name, []).append((times["base"][name], times["new"][name]))

    print(f"{'benchmark':64s} {'base ms':>9s} {'new ms':>9s}  base/new (median of rounds, range)")
    meds = []
    for name in sorted(pairs):
        p = pairs[name]
        ratios = [b / n for b, n in p]
        med = statistics.median(ratios)
        meds.append(med)
        short = name.replace("forward/", "")
        print(f"{short:64s} {statistics.median(b for b, _ in p):9.3f} "
              f"{statistics.median(n for _, n in p):9.3f}  {med:5.2f}x "
              f"[{min(ratios):.2f}-{max(ratios):.2f}] rounds={len(p)}")
    print(f"geometric mean of the medians: {benchlib.geomean(meds):.3f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
