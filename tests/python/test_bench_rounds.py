"""tools/benchlib.py merge_rounds: a benchmark suite run in rounds (tools/run_bench.sh
--rounds) becomes one Google Benchmark document with every round's repetitions, a median
per benchmark over all of them, and skips resolved across rounds.

    /usr/bin/python3 tests/python/test_bench_rounds.py
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(HERE, "..", "..", "tools")
sys.path.insert(0, TOOLS)
sys.dont_write_bytecode = True
import benchlib  # noqa: E402


def rep(name, ms, gflops):
    return {"name": name, "run_name": name, "run_type": "iteration", "real_time": ms,
            "cpu_time": ms, "time_unit": "ms", "iterations": 1, "GFLOPS": gflops}


def skip(name, why):
    return {"name": name, "run_name": name, "run_type": "iteration", "error_occurred": True,
            "error_message": why}


def median_row(name, ms):  # what Google Benchmark adds per round, to be replaced
    return {"name": name + "_median", "run_name": name, "run_type": "aggregate",
            "aggregate_name": "median", "real_time": ms, "time_unit": "ms"}


A, B, C = "forward/a/real_time", "forward/b/real_time", "forward/c/real_time"
rounds = [
    {"context": {"host": "x"}, "benchmarks": [rep(A, 3.0, 30.0), rep(A, 1.0, 10.0),
                                             median_row(A, 2.0), skip(B, "too slow"),
                                             skip(C, "unsupported")]},
    {"context": {"host": "y"}, "benchmarks": [rep(A, 5.0, 50.0), rep(B, 7.0, 70.0),
                                             skip(C, "unsupported")]},
]
failures = []
with tempfile.TemporaryDirectory() as tmp:
    paths = []
    for i, doc in enumerate(rounds):
        paths.append(os.path.join(tmp, "r%d.json" % i))
        with open(paths[-1], "w") as f:
            json.dump(doc, f)
    out = os.path.join(tmp, "merged.json")
    done = subprocess.run([sys.executable, os.path.join(TOOLS, "benchlib.py"), "merge", out,
                           *paths], capture_output=True, text=True)
    if done.returncode != 0:
        failures.append("merge exited %d: %s" % (done.returncode, done.stderr))
    else:
        with open(out) as f:
            merged = json.load(f)
        ctx, runs = benchlib.load(out)
        if ctx.get("rounds") != 2 or ctx.get("host") != "x":
            failures.append("context %r: want the first round's, with rounds 2" % ctx)
        a = runs.get(benchlib.base_name(A))
        if not a or sorted(a["times"]) != [1e-3, 3e-3, 5e-3] or a["error"]:
            failures.append("A: want the 3 repetitions of both rounds, got %r" % a)
        meds = {b["run_name"]: b for b in merged["benchmarks"]
                if b.get("aggregate_name") == "median"}
        if A not in meds or meds[A]["real_time"] != 3.0 or meds[A]["GFLOPS"] != 30.0:
            failures.append("A's median: want 3.0 ms, 30 GFLOP/s over all rounds, got %r"
                            % meds.get(A))
        if sum(1 for b in merged["benchmarks"] if b.get("aggregate_name") == "median"
               and b["run_name"] == A) != 1:
            failures.append("A: the rounds' own medians must go, one median remains")
        if [b.get("round") for b in merged["benchmarks"]
                if b["run_name"] == A and b["run_type"] == "iteration"] != [0, 0, 1]:
            failures.append("A: repetitions must carry their round, in order")
        b = runs.get(benchlib.base_name(B))
        if not b or b["error"] or b["times"] != [7e-3]:
            failures.append("B (skipped in round 1 only): want round 2's run, got %r" % b)
        c = runs.get(benchlib.base_name(C))
        if not c or c["error"] != "unsupported" or c["times"]:
            failures.append("C (skipped in all rounds): want its reason, got %r" % c)
    bad = subprocess.run([sys.executable, os.path.join(TOOLS, "benchlib.py"), "merge", out],
                         capture_output=True, text=True)
    if bad.returncode != 2:
        failures.append("merge without inputs: want the usage and exit 2, got %d"
                        % bad.returncode)
    empty = os.path.join(tmp, "empty.json")  # Google Benchmark writes nothing on no match
    open(empty, "w").close()
    ctx, runs = benchlib.load(empty)
    if runs:
        failures.append("an empty file must load as no runs, got %r" % runs)

for f in failures:
    print("FAIL: " + f)
sys.exit(1 if failures else 0)
