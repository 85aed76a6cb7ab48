"""tools/ab_pair.py runs two rnnrt-bench-lstm binaries shape by shape and prints one row per
benchmark with its rounds; it refuses a missing binary and a shape that matches nothing, with
exit status 2 and a message naming them. Timing is not asserted (the same binary twice).

    /usr/bin/python3 tests/python/test_ab_pair.py BENCH_BINARY
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "..", "..", "tools", "ab_pair.py")
bench = sys.argv[1]


def run(*args):
    return subprocess.run([sys.executable, TOOL, *args], capture_output=True, text=True)


failures = []
ok = run(bench, bench, "--shape", "lstm/T:50/N:1/H:64/", "--rounds", "2", "--repetitions", "2",
         "--isa", "scalar")
rows = [line for line in ok.stdout.splitlines() if line.startswith("lstm/T:50/N:1/H:64/")]
if ok.returncode != 0 or len(rows) != 1 or "rounds=2" not in rows[0]:
    failures.append(f"same binary twice: exit {ok.returncode}, rows {rows}, stderr {ok.stderr!r}")

missing = run("/nonexistent/rnnrt-bench-lstm", bench, "--shape", "lstm/")
if missing.returncode != 2 or "/nonexistent/rnnrt-bench-lstm" not in missing.stderr:
    failures.append(f"missing binary: exit {missing.returncode}, stderr {missing.stderr!r}")

nomatch = run(bench, bench, "--shape", "nosuchcell/", "--rounds", "1", "--isa", "scalar")
if nomatch.returncode != 2 or "nosuchcell/" not in nomatch.stderr:
    failures.append(f"unmatched shape: exit {nomatch.returncode}, stderr {nomatch.stderr!r}")

for f in failures:
    print("FAIL: " + f)
sys.exit(1 if failures else 0)
