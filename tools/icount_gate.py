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
the gate then says so and does not judge against it (record a new baseline on that compiler).

The library's speed must not depend on how it is configured (issue 30), so the gate builds
the driver twice more and requires each case to execute within TOLERANCE (either way) of
the release build's count of the same run: "pip", the options `pip install .` configures
with (meson-python 0.12: -Ddebug=false -Doptimization=2, then pyproject.toml's setup
arguments), and "o2", a distribution's build (buildtype plain, Debian's CFLAGS with -O2).
Their librnnrt.so must also hold exactly as many multiply-add instructions (FMA, vpmadd*,
VNNI, BF16 and AMX dot products) per register kind as the release build's (objdump -d): that
covers the AVX-512 kernels valgrind cannot run. At -O2 gcc leaves the accumulator loops
rolled, which shows as hundreds fewer; with the same -O the counts are equal.

  tools/icount_gate.py                 check (CI: .ci/run)
  tools/icount_gate.py --update        measure and rewrite the baseline (commit it, saying why
                                       the count changed)
  options: --build DIR (default build-icount; the other builds go to DIR-pip, DIR-o2),
           --tolerance 0.02, --isas scalar,avx2, --builds release,pip,o2

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
# What meson-python 0.12 (Debian 12's python3-mesonpy, tools/setup_venv.sh) passes before
# pyproject.toml's own setup arguments. Later meson-python passes -Dbuildtype=release, the
# release build.
MESONPY_OPTIONS = ["-Ddebug=false", "-Doptimization=2"]
# Debian 12's dpkg-buildflags CFLAGS and CPPFLAGS (a package build passes them in CFLAGS,
# which meson puts where -Dc_args goes), with buildtype plain as dh_auto_configure does.
DEBIAN_CFLAGS = ("-g -O2 -ffile-prefix-map=/build=. -fstack-protector-strong -Wformat "
                 "-Werror=format-security -Wdate-time -D_FORTIFY_SOURCE=2")
# A multiply-add (FMA, integer vpmadd*, VNNI, BF16 and AMX dot products: the instructions of
# the kernels' accumulator loops) and the kind of its registers.
MADD_RE = re.compile(r"\t(?:v(?:fn?m(?:add|sub)[0-9a-z]*|pmaddwd|pmaddubsw|pdpbusds?|"
                     r"pdpwssds?|dpbf16ps)|tdp[0-9a-z]+)\s.*?%([xyzt]mm)")
WIDTHS = ("xmm", "ymm", "zmm", "tmm")


def pyproject_setup_args():
    import tomllib
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)["tool"]["meson-python"]["args"]["setup"]


def build_options(kind):
    """meson options of each build; later options win, so -Dbench=true comes last."""
    if kind == "release":
        return MESON_OPTIONS
    if kind == "pip":
        return MESONPY_OPTIONS + pyproject_setup_args() + ["-Dbench=true", "-Dc_args=",
                                                          "-Dcpp_args="]
    if kind == "o2":
        return ["-Dbuildtype=plain", "-Dtests=false", "-Dbench=true",
                "-Dc_args=" + DEBIAN_CFLAGS, "-Dcpp_args="]
    raise ValueError(kind)


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


def shared_library(build_dir, env):
    """The librnnrt.so a user of this build gets: the Python package's if there is one."""
    targets = json.loads(run(["meson", "introspect", "--targets", build_dir], env=env))
    libs = [f for t in targets if t["name"] == "rnnrt" and t["type"] == "shared library"
            for f in t["filename"]]
    libs.sort(key=lambda f: os.sep + "python" + os.sep not in f)
    return libs[0]


def build(build_dir, options, env):
    """(rnnrt-icount, librnnrt.so) of one build."""
    if os.path.isdir(os.path.join(build_dir, "meson-info")):
        run(["meson", "configure", build_dir] + options, env=env)
    else:
        run(["meson", "setup", build_dir] + options, env=env, cwd=ROOT)
    lib = shared_library(build_dir, env)
    run(["ninja", "-C", build_dir, "bench/rnnrt-icount", os.path.relpath(lib, build_dir)],
        env=env)
    exe = os.path.join(build_dir, "bench", "rnnrt-icount")
    if not os.path.exists(exe):
        sys.exit("icount_gate: %s was not built (is libbenchmark-dev installed? "
                 "tools/install_bench_deps.sh --icount)" % exe)
    return exe, lib


def madd_counts(lib, env):
    """{register width: multiply-add instructions} in a library's code (objdump -d)."""
    counts = dict.fromkeys(WIDTHS, 0)
    for line in run(["objdump", "-d", "--no-show-raw-insn", lib], env=env).splitlines():
        m = MADD_RE.search(line)
        if m:
            counts[m.group(1)] += 1
    return counts


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


def count_cases(exe, isas, env):
    """{isa: {case: instructions}} for the kernel sets valgrind can run."""
    counts = {}
    for isa in isas:
        c = measure(exe, isa, env)
        if c is None:
            print("icount_gate: kernel set %s does not run here under valgrind: not counted" % isa)
        else:
            counts[isa] = c
    if not counts:
        sys.exit("icount_gate: no kernel set could be counted")
    return counts


def write_baseline(path, counts, cc, tol):
    doc = {"about": "Instructions of one rnnrt_forward() per case of bench/icount_forward.c "
                    "under callgrind, per kernel set; checked by tools/icount_gate.py.",
           "compiler": cc, "machine": platform.machine(), "meson_options": MESON_OPTIONS,
           "tolerance": tol, "counts": counts}
    with open(path, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")


def judge_baseline(counts, base, tol):
    """(failed, improved) of the release build against the committed baseline."""
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
    return fails, better


def judge_builds(ref, others, tol):
    """Failures of the other builds against the release build: cases whose count differs by
    more than tol either way, and vector widths with another number of multiply-adds in
    librnnrt.so."""
    fails = []
    kinds = sorted(others)
    w = max(len(c) for cs in ref["counts"].values() for c in cs)
    print("%-7s %-*s %13s" % ("isa", w, "case", "release") +
          "".join(" %13s %8s" % (k, "change") for k in kinds))
    for isa, cs in ref["counts"].items():
        for case, n in sorted(cs.items()):
            line = "%-7s %-*s %13d" % (isa, w, case, n)
            for k in kinds:
                m = others[k]["counts"].get(isa, {}).get(case)
                if m is None:
                    line += " %13s %8s" % ("-", "MISSING")
                    fails.append((k, isa, case))
                    continue
                ch = m / n - 1.0
                line += " %13d %+7.2f%%" % (m, 100 * ch)
                if abs(ch) > tol:
                    line += " <-"
                    fails.append((k, isa, case))
            print(line)
    print()
    print("multiply-adds in librnnrt.so, xmm/ymm/zmm/tmm: release %s" % "/".join(
        str(ref["madd"][r]) for r in WIDTHS))
    for k in kinds:
        f = others[k]["madd"]
        bad = [r for r in f if f[r] != ref["madd"][r]]
        print("%54s %s%s" % (k, "/".join(str(f[r]) for r in WIDTHS),
                             "  DIFFERS (%s)" % ", ".join(bad) if bad else ""))
        fails += [(k, "madd", r) for r in bad]
    return fails


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build-icount"))
    ap.add_argument("--update", action="store_true")
    ap.add_argument("--tolerance", type=float, default=None)
    ap.add_argument("--isas", default=None, help="default: scalar,avx2 (scalar off x86)")
    ap.add_argument("--builds", default="release,pip,o2",
                    help="release and any of pip, o2 (compared with release)")
    ap.add_argument("--baseline", default=BASELINE)
    a = ap.parse_args()
    t0 = time.time()
    if not shutil.which("valgrind"):
        sys.exit("icount_gate: valgrind is not installed (tools/install_bench_deps.sh --icount)")
    x86 = platform.machine() in ("x86_64", "AMD64")
    isas = a.isas.split(",") if a.isas else (["scalar", "avx2"] if x86 else ["scalar"])
    kinds = [k for k in a.builds.split(",") if k != "release"]
    if set(kinds) - {"pip", "o2"}:
        ap.error("--builds: release, pip, o2")
    env = clean_env()
    exe, lib = build(a.build, MESON_OPTIONS, env)
    cc = compiler_id(env)
    counts = count_cases(exe, isas, env)

    base = None
    if os.path.exists(a.baseline):
        with open(a.baseline) as f:
            base = json.load(f)
    tol = a.tolerance if a.tolerance is not None else (base or {}).get("tolerance", TOLERANCE)
    if a.update:
        write_baseline(a.baseline, counts, cc, tol)
        print("icount_gate: wrote %s (%d cases x %d kernel sets) in %.1f s" % (
            os.path.relpath(a.baseline, ROOT), len(next(iter(counts.values()))), len(counts),
            time.time() - t0))
        return 0

    update_hint = ("If the change is intended, record it: tools/icount_gate.py --update, then "
                   "commit bench/icount_baseline.json and say in the commit why the count "
                   "changed.")
    fails, better, no_base = [], [], not base
    if no_base:
        print("icount_gate: no baseline at %s. %s" % (a.baseline, update_hint))
    elif base.get("compiler") != cc or base.get("machine") != platform.machine():
        print("icount_gate: baseline recorded with '%s' on %s, this is '%s' on %s: counts are "
              "not comparable, not judged. Record a baseline here with tools/icount_gate.py "
              "--update." % (base.get("compiler"), base.get("machine"), cc, platform.machine()))
    else:
        fails, better = judge_baseline(counts, base, tol)
        print()

    build_fails = []
    if kinds:
        others = {}
        for k in kinds:
            exe_k, lib_k = build(a.build + "-" + k, build_options(k), env)
            others[k] = {"counts": count_cases(exe_k, isas, env),
                         "madd": madd_counts(lib_k, env)}
        print("The library as other builds make it, against the release build:")
        build_fails = judge_builds({"counts": counts, "madd": madd_counts(lib, env)}, others,
                                   tol)
        print()
    print("icount_gate: %d cases x %d builds, tolerance %.1f%%, %s, %.1f s" % (
        sum(len(c) for c in counts.values()), 1 + len(kinds), 100 * tol, cc, time.time() - t0))
    if build_fails:
        print("FAIL: %d count(s) of the %s build(s) differ from the release build's: the "
              "library's speed depends on how it is configured (see lib_opt_args in "
              "meson.build)." % (len(build_fails), ", ".join(kinds)))
    if fails:
        print("FAIL: %d case(s) over the baseline. %s" % (len(fails), update_hint))
    if fails or build_fails or no_base:
        return 1
    if better:
        print("passed; %d case(s) improved beyond the tolerance. %s" % (len(better), update_hint))
    else:
        print("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
