#!/usr/bin/python3
"""Instruction-count gate: a performance check that does not depend on how busy the machine
is. Builds bench/rnnrt-icount (fixed small forward passes: LSTM and GRU, batch 1 and 5, each
rnnrt variant) in its own release build, runs it under valgrind --tool=callgrind for the
scalar and the AVX2 kernel sets (RNNRT_ISA=...; valgrind cannot run AVX-512), counts the
instructions of each rnnrt_forward() call alone, and compares them with the committed
baseline bench/icount_baseline.json.

Fails (exit 1) when any case executes more than TOLERANCE (2%) more instructions than its
baseline, or when a case has no baseline. Fewer instructions pass, with a note. The counts
are exact and repeat bit for bit on the same compiler: the tolerance only leaves room for
harmless code motion. A baseline recorded with another compiler version is not comparable:
the gate then says so and passes without judging (record a new baseline on that compiler).

  tools/icount_gate.py                 check (CI: .ci/run)
  tools/icount_gate.py --update        measure and rewrite the baseline (commit it, saying why
                                       the count changed)
  options: --build DIR (default build-icount), --tolerance 0.02, --isas scalar,avx2

Needs valgrind and Google Benchmark's headers for the bench/ build
(tools/install_bench_deps.sh --icount).
"""
import argparse
import glob
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASELINE = os.path.join(ROOT, "bench", "icount_baseline.json")
TOLERANCE = 0.02
# Fixed build: the counts depend on the optimisation flags, so nothing is taken from the
# environment (CFLAGS and friends are cleared too).
MESON_OPTIONS = ["-Dbuildtype=release", "-Db_ndebug=true", "-Dtests=false", "-Dbench=true",
                 "-Dc_args=", "-Dcpp_args="]


def run(cmd, env=None, cwd=None):
    r = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write("icount_gate: %s failed (exit %d)\n%s%s" % (
            " ".join(cmd), r.returncode, r.stdout[-3000:], r.stderr[-3000:]))
        sys.exit(2)
    return r.stdout


def clean_env():
    env = {k: v for k, v in os.environ.items()
           if k not in ("CFLAGS", "CXXFLAGS", "CPPFLAGS", "LDFLAGS") and not k.startswith(
               ("RNNRT_", "OMP_", "GOMP_", "VALGRIND_"))}
    env["OMP_NUM_THREADS"] = "1"
    return env


def compiler_id(env):
    return run(["cc", "--version"], env=env).splitlines()[0].strip()


def build(build_dir, env):
    if os.path.isdir(os.path.join(build_dir, "meson-info")):
        run(["meson", "configure", build_dir] + MESON_OPTIONS, env=env)
    else:
        run(["meson", "setup", build_dir] + MESON_OPTIONS, env=env, cwd=ROOT)
    run(["ninja", "-C", build_dir, "bench/rnnrt-icount"], env=env)
    exe = os.path.join(build_dir, "bench", "rnnrt-icount")
    if not os.path.exists(exe):
        sys.exit("icount_gate: %s was not built (is libbenchmark-dev installed? "
                 "tools/install_bench_deps.sh --icount)" % exe)
    return exe


def measure(exe, isa, env):
    """{case name: instructions} for one kernel set."""
    tmp = tempfile.mkdtemp(prefix="rnnrt-icount-")
    try:
        e = dict(env, RNNRT_ISA=isa)
        out = run(["valgrind", "--tool=callgrind", "--collect-atstart=no",
                   "--callgrind-out-file=" + os.path.join(tmp, "cg.out"), exe], env=e)
        ran = set(re.findall(r" isa (\S+) ", out))
        if ran != {isa}:
            # RNNRT_ISA names a set this CPU (as valgrind presents it) lacks: the library
            # fell back to another set, whose counts would be compared with the wrong ones.
            return None
        counts = {}
        for path in glob.glob(os.path.join(tmp, "cg.out.*")):
            name, total = None, None
            with open(path) as f:
                for line in f:
                    m = re.match(r"desc: Trigger: Client Request: (.*)$", line)
                    if m:
                        name = m.group(1).strip()
                    m = re.match(r"(?:totals|summary): (\d+)", line)
                    if m:
                        total = int(m.group(1))
            if name and total is not None:
                counts[name] = total
        if not counts:
            sys.exit("icount_gate: no case was counted under %s (was rnnrt-icount built "
                     "with valgrind/callgrind.h?)" % isa)
        return counts
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build-icount"))
    ap.add_argument("--update", action="store_true")
    ap.add_argument("--tolerance", type=float, default=None)
    ap.add_argument("--isas", default=None, help="default: scalar,avx2 (scalar off x86)")
    ap.add_argument("--baseline", default=BASELINE)
    a = ap.parse_args()
    t0 = time.time()
    if not shutil.which("valgrind"):
        sys.exit("icount_gate: valgrind is not installed (tools/install_bench_deps.sh --icount)")
    x86 = platform.machine() in ("x86_64", "AMD64")
    isas = a.isas.split(",") if a.isas else (["scalar", "avx2"] if x86 else ["scalar"])
    env = clean_env()
    exe = build(a.build, env)
    cc = compiler_id(env)
    counts = {}
    for isa in isas:
        c = measure(exe, isa, env)
        if c is None:
            print("icount_gate: kernel set %s does not run here under valgrind: not counted" % isa)
        else:
            counts[isa] = c
    if not counts:
        sys.exit("icount_gate: no kernel set could be counted")

    base = None
    if os.path.exists(a.baseline):
        with open(a.baseline) as f:
            base = json.load(f)
    tol = a.tolerance if a.tolerance is not None else (base or {}).get("tolerance", TOLERANCE)
    if a.update:
        doc = {"about": "Instructions of one rnnrt_forward() per case of bench/icount_forward.c "
                        "under callgrind, per kernel set; checked by tools/icount_gate.py.",
               "compiler": cc, "machine": platform.machine(), "meson_options": MESON_OPTIONS,
               "tolerance": tol, "counts": counts}
        with open(a.baseline, "w") as f:
            json.dump(doc, f, indent=1, sort_keys=True)
            f.write("\n")
        print("icount_gate: wrote %s (%d cases x %d kernel sets) in %.1f s" % (
            os.path.relpath(a.baseline, ROOT), len(next(iter(counts.values()))), len(counts),
            time.time() - t0))
        return 0

    update_hint = ("If the change is intended, record it: tools/icount_gate.py --update, then "
                   "commit bench/icount_baseline.json and say in the commit why the count "
                   "changed.")
    if not base:
        print("icount_gate: no baseline at %s. %s" % (a.baseline, update_hint))
        return 1
    if base.get("compiler") != cc or base.get("machine") != platform.machine():
        print("icount_gate: baseline recorded with '%s' on %s, this is '%s' on %s: counts are "
              "not comparable, not judged. Record a baseline here with tools/icount_gate.py "
              "--update." % (base.get("compiler"), base.get("machine"), cc, platform.machine()))
        return 0
    fails, better, rows = [], [], []
    for isa, cs in counts.items():
        for case, n in sorted(cs.items()):
            b = base["counts"].get(isa, {}).get(case)
            if b is None:
                rows.append((isa, case, None, n, None, "NO BASELINE"))
                fails.append((isa, case))
                continue
            ch = n / b - 1.0
            verdict = "ok"
            if ch > tol:
                verdict = "MORE INSTRUCTIONS"
                fails.append((isa, case))
            elif ch < -tol:
                verdict = "fewer (update the baseline to keep the gain)"
                better.append((isa, case))
            rows.append((isa, case, b, n, ch, verdict))
    w = max(len(r[1]) for r in rows)
    print("%-7s %-*s %13s %13s %8s  %s" % ("isa", w, "case", "baseline", "now", "change", ""))
    for isa, case, b, n, ch, v in rows:
        print("%-7s %-*s %13s %13d %8s  %s" % (isa, w, case, "-" if b is None else "%d" % b, n,
                                               "-" if ch is None else "%+.2f%%" % (100 * ch), v))
    print()
    print("icount_gate: %d cases, tolerance +%.1f%%, %s, %.1f s" % (
        len(rows), 100 * tol, cc, time.time() - t0))
    if fails:
        print("FAIL: %d case(s) over the baseline. %s" % (len(fails), update_hint))
        return 1
    if better:
        print("passed; %d case(s) improved beyond the tolerance. %s" % (len(better), update_hint))
    else:
        print("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
