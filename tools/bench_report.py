#!/usr/bin/python3
"""The readable side of a benchmark run: reads the JSON that tools/run_bench.sh wrote into
one results folder and prints the tables (and writes them to summary.md there).

  forward passes   shape, threads, rnnrt variant, GFLOP/s (median), % of this machine's
                   roofline, the speedup over each peer (with the peer's GFLOP/s) and over
                   the faster of oneDNN and ONNX Runtime
  against peers    per thread count and variant: geometric mean of that last speedup over
                   the shapes where both were measured, the slowest shape
  kernel sets      GFLOP/s of each variant under each kernel set, where measured
  data types       per shape and thread count: rnnrt f32, bf16, int8 weights, int8 weights
                   with int8 activations (int8 x int8); oneDNN f32, bf16, u8s8; ONNX Runtime
                   and PyTorch f32; the ratios rnnrt bf16 / oneDNN bf16, rnnrt int8 and
                   int8 x int8 / oneDNN u8s8, rnnrt bf16, int8 and int8 x int8 / rnnrt f32,
                   with their geometric means; a data type that could not run
                   says why ("unsupported on this CPU", "unsupported by oneDNN", ...)
  roofline         FMA peak and read bandwidth by working-set size; the bf16 and int8
                   dot-product peaks (AVX512-BF16, AVX512-VNNI, AMX), or why absent
  GEMM             GFLOP/s of each implementation, weights warm and cold

usage: tools/bench_report.py RESULTS_DIR [--no-write]
"""
import argparse
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

ISA_ORDER = ["avx512", "avx2", "neon", "scalar"]
VARIANTS = ["blocked", "simd", "reference"]
PEERS = [("onednn", "oneDNN"), ("ort", "ONNX Runtime"), ("openblas", "OpenBLAS"),
         ("torch", "PyTorch")]
# The peers issue 12's targets compare with: rnnrt over the faster of them, per shape.
FAST_PEERS = ("onednn", "ort")


def fmt_g(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return "%.3g" % x if x < 10 else "%.1f" % x


class Table:
    def __init__(self, header):
        self.header = header
        self.rows = []

    def add(self, row):
        self.rows.append([str(c) for c in row])

    def text(self):
        w = [max(len(r[k]) for r in [self.header] + self.rows) for k in range(len(self.header))]
        line = lambda r: "  ".join(c.ljust(w[k]) if k < 3 else c.rjust(w[k])
                                   for k, c in enumerate(r)).rstrip()
        out = [line(self.header), "  ".join("-" * x for x in w)]
        out += [line(r) for r in self.rows]
        return "\n".join(out)

    def markdown(self):
        out = ["| " + " | ".join(self.header) + " |",
               "|" + "|".join("---" for _ in self.header) + "|"]
        out += ["| " + " | ".join(r) + " |" for r in self.rows]
        return "\n".join(out)


def index_forward(runs):
    """{(shape key, impl, isa, threads): run} for the forward benchmarks."""
    out = {}
    for r in runs.values():
        f = r["fields"]
        if f["kind"] != "forward":
            continue
        key = "%s/T:%d/N:%d/H:%d/I:%d" % (f["cell"], f["T"], f["N"], f["H"], f["I"])
        out[(key, f["impl"], f["isa"], f["threads"])] = r
    return out


def gflops(run):
    if not run or run["error"] or not run["times"]:
        return None
    return benchlib.median_counter(run, "GFLOPS")


def forward_tables(runs, roof, shapes):
    idx = index_forward(runs)
    threads = sorted({k[3] for k in idx})
    isas_present = {k[2] for k in idx}
    best = next((i for i in ISA_ORDER if i in isas_present), None)
    peers_present = [(p, n) for p, n in PEERS if any(k[1] == p for k in idx)]
    fast = [p for p in FAST_PEERS if any(k[1] == p for k in idx)]
    fast_name = " and ".join(n for p, n in PEERS if p in fast)
    hdr = ["shape", "thr", "variant", "GFLOP/s", "% roofline"] + \
          ["vs %s (GFLOP/s)" % n for _, n in peers_present] + \
          (["vs the faster of %s" % fast_name] if len(fast) > 1 else [])
    main = Table(hdr)
    ratios = {}  # (threads, variant) -> [(ratio over the faster peer, shape label)]
    for s in shapes:
        key = benchlib.shape_key(s)
        label = "%s T=%d N=%d H=%d I=%d" % (s["cell"], s["T"], s["N"], s["H"], s["I"])
        for t in threads:
            peer_g = {p: gflops(idx.get((key, p, "native", t))) for p, _ in peers_present}
            rows = []
            for v in VARIANTS:
                r = idx.get((key, v, best, t))
                if r is None:
                    continue
                g = gflops(r)
                if g is None:
                    rows.append([label, t, v, "skipped", "", *["" for _ in hdr[5:]]])
                    continue
                pct = ""
                if roof and roof.ok(t):
                    pct = "%.0f%%" % (100 * g / roof.limit_gflops(s["cell"], s["T"], s["N"],
                                                                   s["H"], s["I"], t))
                cells = []
                for p, _ in peers_present:
                    pg = peer_g[p]
                    cells.append("%.2fx (%s)" % (g / pg, fmt_g(pg)) if pg else "-")
                if len(fast) > 1:
                    fg = [peer_g[p] for p in fast if peer_g[p]]
                    cells.append("%.2fx" % (g / max(fg)) if len(fg) == len(fast) else "-")
                    if len(fg) == len(fast):
                        ratios.setdefault((t, v), []).append((g / max(fg), label))
                rows.append([label, t, v, fmt_g(g), pct, *cells])
            if not rows and any(peer_g.values()):
                rows.append([label, t, "(none)", "-", "",
                             *["(%s)" % fmt_g(peer_g[p]) if peer_g[p] else "-"
                               for p, _ in peers_present],
                             *["" for _ in hdr[5 + len(peers_present):]]])
            for k, row in enumerate(rows):
                if k:
                    row[0] = row[1] = ""
                main.add(row)

    # Kernel sets side by side, threads = 1, where more than one was measured.
    isas = [i for i in ISA_ORDER if i in isas_present]
    sweep = Table(["shape", "variant", ""] + isas)
    for s in shapes:
        key = benchlib.shape_key(s)
        label = "%s T=%d N=%d H=%d I=%d" % (s["cell"], s["T"], s["N"], s["H"], s["I"])
        for v in VARIANTS:
            got = {i: gflops(idx.get((key, v, i, 1))) for i in isas}
            if sum(1 for i in isas if (key, v, i, 1) in idx) > 1:
                sweep.add([label, v, ""] + [fmt_g(got[i]) for i in isas])

    against = Table(["threads", "variant", "shapes", "geometric mean", "slowest",
                     "shapes below 1.0x"])
    for (t, v), rs in sorted(ratios.items(), key=lambda kv: (kv[0][0],
                                                             VARIANTS.index(kv[0][1]))):
        gm = benchlib.geomean(r for r, _ in rs)
        worst = min(rs)
        against.add([t, v, len(rs), "%.2fx" % gm, "%.2fx (%s)" % worst,
                     sum(1 for r, _ in rs if r < 1.0)])
    against.title = "rnnrt against the faster of %s, per shape" % fast_name
    return main, sweep, against


# The data-type table: (impl, isa or None for the best kernel set, column heading).
DTYPE_COLUMNS = [("blocked", None, "rnnrt f32"), ("blocked_bf16", None, "rnnrt bf16"),
                 ("blocked_int8", None, "rnnrt int8"),
                 ("blocked_int8x8", None, "rnnrt int8 x int8"),
                 ("blocked_bf16x16", None, "rnnrt bf16 x bf16"), ("onednn", "native", "oneDNN f32"),
                 ("onednn_bf16", "native", "oneDNN bf16"),
                 ("onednn_u8s8", "native", "oneDNN u8s8"), ("ort", "native", "ONNX Runtime f32"),
                 ("torch", "native", "PyTorch f32")]
# (numerator, denominator) headings of DTYPE_COLUMNS
DTYPE_RATIOS = [("rnnrt bf16", "oneDNN bf16"), ("rnnrt bf16 x bf16", "oneDNN bf16"),
                ("rnnrt int8", "oneDNN u8s8"), ("rnnrt int8 x int8", "oneDNN u8s8"),
                ("rnnrt bf16", "rnnrt f32"), ("rnnrt int8", "rnnrt f32"),
                ("rnnrt int8 x int8", "rnnrt f32"), ("rnnrt bf16 x bf16", "rnnrt f32")]
# What a benchmark's error message starts with (bench/bench_lstm.cc) -> the table's words.
SKIP_WORDS = [("unsupported on this CPU", "unsupported on this CPU"),
              ("unsupported by oneDNN", "unsupported by oneDNN"),
              ("unsupported by rnnrt", "unsupported by rnnrt")]


def skip_words(error):
    return next((w for p, w in SKIP_WORDS if error.startswith(p)), "skipped")


def dtype_tables(runs, shapes):
    """Every data type side by side, the ratios per shape, their geometric means, and the
    reasons of what could not run (one line per implementation and reason)."""
    idx = index_forward(runs)
    reduced = ("blocked_bf16", "blocked_int8", "blocked_int8x8", "blocked_bf16x16", "onednn_bf16",
               "onednn_u8s8")
    if not any(k[1] in reduced for k in idx):
        return None, None, []
    best = next((i for i in ISA_ORDER if i in {k[2] for k in idx}), None)
    cols = [(impl, isa or best, head) for impl, isa, head in DTYPE_COLUMNS
            if any(k[1] == impl for k in idx)]
    heads = [h for _, _, h in cols]
    ratios = [(a, b) for a, b in DTYPE_RATIOS if a in heads and b in heads]
    t = Table(["shape", "thr", ""] + heads + ["%s / %s" % r for r in ratios])
    gm = {}  # (threads, ratio) -> [(value, label)]
    reasons = {}  # (column, reason) -> shapes
    threads = sorted({k[3] for k in idx})
    for s in shapes:
        key = benchlib.shape_key(s)
        label = "%s T=%d N=%d H=%d I=%d" % (s["cell"], s["T"], s["N"], s["H"], s["I"])
        for th in threads:
            g, cells = {}, []
            for impl, isa, head in cols:
                r = idx.get((key, impl, isa, th))
                g[head] = gflops(r)
                if g[head] is not None:
                    cells.append(fmt_g(g[head]))
                elif r is not None and r["error"]:
                    cells.append(skip_words(r["error"]))
                    reasons.setdefault((head, r["error"]), []).append(label)
                else:
                    cells.append("-")
            if all(c == "-" for c in cells):
                continue
            for a, b in ratios:
                if g[a] and g[b]:
                    cells.append("%.2fx" % (g[a] / g[b]))
                    gm.setdefault((th, a, b), []).append((g[a] / g[b], label))
                else:
                    cells.append("-")
            t.add([label, th, ""] + cells)
    means = Table(["threads", "ratio", "", "shapes", "geometric mean", "slowest"])
    for th in threads:
        for a, b in ratios:
            rs = gm.get((th, a, b))
            if not rs:
                means.add([th, "%s / %s" % (a, b), "", 0, "not measured", "-"])
                continue
            mean = benchlib.geomean(r for r, _ in rs)
            means.add([th, "%s / %s" % (a, b), "", len(rs), "%.2fx" % mean,
                       "%.2fx (%s)" % min(rs)])
    why = ["%s: %s (%d shape%s)" % (head, err, len(ls), "" if len(ls) == 1 else "s")
           for (head, err), ls in sorted(reasons.items())]
    return t, means, why


def dot_table(roof, runs=None):
    """The reduced types' dot-product peaks, each measured or why not, and the share of each
    that rnnrt's fastest pass of that type reached at that thread count (runs: the forward
    benchmarks, or None)."""
    names = {("bf16", "avx512_bf16"): "bf16 dot, AVX512-BF16 (VDPBF16PS)",
             ("int8", "avx512_vnni"): "int8 dot, AVX512-VNNI (VPDPBUSD)",
             ("bf16", "amx"): "bf16 dot, AMX (TDPBF16PS)",
             ("int8", "amx"): "int8 dot, AMX (TDPBUSD)"}
    impl = {"bf16": "blocked_bf16x16", "int8": "blocked_int8x8"}
    best = {}  # (type, threads) -> (GFLOP/s, shape)
    for (shape, i, _isa, th), r in index_forward(runs or {}).items():
        g = gflops(r)
        for typ, name in impl.items():
            if i == name and g and g > best.get((typ, th), (0, ""))[0]:
                best[(typ, th)] = (g, shape)
    t = Table(["peak", "threads", "", "value", "rnnrt's fastest pass of the type",
               "share of the peak"])
    for (typ, isa, th), v in sorted(roof.dot.items(), key=lambda kv: (
            list(names).index(kv[0][:2]) if kv[0][:2] in names else 9, kv[0][2])):
        name = names.get((typ, isa), "%s dot, %s" % (typ, isa))
        unit = "GFLOP/s" if typ == "bf16" else "GOP/s"
        g, shape = best.get((typ, th), (None, ""))
        measured = not isinstance(v, str)
        t.add([name, th, "", "%.1f %s" % (v, unit) if measured else v,
               "%.1f (%s)" % (g, shape) if g and measured else "-",
               "%.0f%%" % (100 * g / v) if g and measured and v else "-"])
    return t


def roofline_table(roof):
    t = Table(["limit", "threads", ""] + ["value"])
    for (isa, th), g in sorted(roof.peak_isa.items()):
        t.add(["FMA peak, %s" % isa, th, "", "%.1f GFLOP/s" % g])
    for th, pts in sorted(roof.bw.items()):
        for ws, gb in pts:
            size = "%d KiB" % (ws >> 10) if ws < (1 << 20) else "%d MiB" % (ws >> 20)
            t.add(["read, %s per thread" % size, th, "", "%.1f GB/s" % gb])
    return t


def gemm_table(runs):
    cols = {}
    rows = {}
    for r in runs.values():
        f = r["fields"]
        if f["kind"] != "gemm":
            continue
        col = "%s%s %s" % (f["impl"], "" if f["isa"] == "-" else "/" + f["isa"], f["weights"])
        cols[col] = True
        rows.setdefault((f["M"], f["N"], f["K"]), {})[col] = gflops(r)
    order = sorted(cols, key=lambda c: (c.split()[1] != "warm",
                                        ["naive", "simd", "blocked", "openblas"].index(
                                            c.split("/")[0].split()[0])
                                        if c.split("/")[0].split()[0] in
                                        ["naive", "simd", "blocked", "openblas"] else 9, c))
    t = Table(["M x N x K", "", ""] + order)
    for (m, n, k), v in sorted(rows.items(), key=lambda kv: (kv[0][2], kv[0][1], kv[0][0])):
        t.add(["%d x %d x %d" % (m, n, k), "", ""] + [fmt_g(v.get(c)) for c in order])
    return t


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--no-write", action="store_true", help="print only, no summary.md")
    a = ap.parse_args()
    p = lambda n: os.path.join(a.dir, n)
    ctx, runs = benchlib.load_many([p("bench_lstm.json"), p("bench_torch.json"),
                                    p("bench_ort.json")])
    _, rruns = benchlib.load_many([p("bench_roofline.json")])
    _, gruns = benchlib.load_many([p("bench_gemm.json")])
    roof = benchlib.Roofline(rruns) if rruns else None
    machine = {}
    if os.path.exists(p("machine.json")):
        with open(p("machine.json")) as f:
            machine = json.load(f)
    set_name = ctx.get("shape_set", "full")
    present = {k[0] for k in index_forward(runs)}
    shapes = [s for s in benchlib.shapes("full") if benchlib.shape_key(s) in present]

    out = []
    head = "rnnrt benchmarks: %s, %s cores" % (machine.get("cpu_model", "?"),
                                                machine.get("cores", "?"))
    out.append("# " + head)
    out.append("")
    out.append("Set `%s`; git %s%s; %s. Medians of the repetitions; GFLOP/s count "
               "2*T*N*G*H*(I+H) per pass. `%% roofline` is against this machine's limit for "
               "the shape (tools/benchlib.py: Roofline). `vs X` is rnnrt's speedup over X at "
               "the same thread count, X's own GFLOP/s in brackets." % (
                   set_name, machine.get("git_commit", "?")[:12],
                   " (uncommitted changes)" if machine.get("git_dirty") else "",
                   machine.get("date", "")))
    if machine.get("load_average_at_start") and machine["load_average_at_start"][0] > 0.5:
        out.append("")
        out.append("**Load average %.2f when the run started: not a quiet machine; treat these "
                   "numbers as a smoke test.**" % machine["load_average_at_start"][0])
    main_t, sweep_t, against_t = forward_tables(runs, roof, shapes)
    sections = [("Forward pass", main_t)]
    if against_t.rows:
        sections.append((against_t.title, against_t))
    if sweep_t.rows:
        sections.append(("Kernel sets (GFLOP/s, 1 thread)", sweep_t))
    dtype_t, dtype_means, dtype_why = dtype_tables(runs, shapes)
    if dtype_t is not None:
        sections.append(("Data types side by side (GFLOP/s; int8 and u8s8 count integer "
                         "operations the same way)", dtype_t))
        sections.append(("Data type ratios, geometric mean over the shapes where both ran",
                         dtype_means))
    if roof and roof.peak:
        sections.append(("Roofline of this machine", roofline_table(roof)))
    if roof and roof.dot:
        sections.append(("Dot-product peaks of the reduced types", dot_table(roof, runs)))
    if gruns:
        sections.append(("GEMM of one step, 1 thread (GFLOP/s)", gemm_table(gruns)))
    notes = sorted((k, v) for k, v in ctx.items() if isinstance(v, str) and k not in (
        "date", "host_name", "executable", "library_build_type"))

    text = [head, "=" * len(head)] + out[2:]
    md = list(out)
    for title, t in sections:
        text += ["", title, "-" * len(title), t.text()]
        md += ["", "## " + title, "", t.markdown()]
    if dtype_why:
        title = "Data types that did not run, and why"
        text += ["", title, "-" * len(title)] + ["  " + w for w in dtype_why]
        md += ["", "## " + title, ""] + ["- " + w for w in dtype_why]
    if notes:
        text += ["", "Notes"] + ["  %s: %s" % kv for kv in notes]
        md += ["", "## Notes", ""] + ["- **%s**: %s" % kv for kv in notes]
    print("\n".join(text))
    if not a.no_write:
        with open(p("summary.md"), "w") as f:
            f.write("\n".join(md) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
