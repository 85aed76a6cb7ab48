#!/usr/bin/python3
"""Plots of one results folder (matplotlib, Debian's python3-matplotlib):

  gflops_vs_batch.png   GFLOP/s against batch, one panel per cell and hidden size, a line per
                        rnnrt variant (best kernel set) and per peer; solid 1 thread, dashed 2
  speedup_onednn.png    rnnrt's fastest variant over oneDNN, per shape and thread count
  roofline.png          read bandwidth by working set, and the roofline (FLOPs per byte of
                        recurrent weights = batch/2) with every measured forward pass on it

usage: tools/plot_results.py RESULTS_DIR
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

import matplotlib  # noqa: E402
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ISA_ORDER = ["avx512", "avx2", "neon", "scalar"]
STYLE = {  # impl -> (label, colour, marker)
    "blocked": ("rnnrt blocked", "tab:red", "o"),
    "simd": ("rnnrt simd", "tab:orange", "s"),
    "reference": ("rnnrt reference", "tab:gray", "x"),
    "onednn": ("oneDNN", "tab:blue", "^"),
    "ort": ("ONNX Runtime", "tab:brown", "P"),
    "openblas": ("OpenBLAS by hand", "tab:green", "v"),
    "torch": ("PyTorch", "tab:purple", "D"),
}


def collect(runs):
    """[(fields, median GFLOP/s)] of the forward passes, rnnrt at its best kernel set."""
    fwd = [(r["fields"], benchlib.median_counter(r, "GFLOPS")) for r in runs.values()
           if r["fields"]["kind"] == "forward" and not r["error"] and r["times"]]
    isas = {f["isa"] for f, _ in fwd}
    best = next((i for i in ISA_ORDER if i in isas), None)
    return [(f, g) for f, g in fwd if f["isa"] in (best, "native")]


def plot_batch(data, path):
    panels = {}
    for f, g in data:
        panels.setdefault((f["cell"], f["H"]), []).append((f, g))
    keys = sorted((k for k, v in panels.items() if len({f["N"] for f, _ in v}) > 1),
                  key=lambda k: (k[0] != "lstm", k[1]))
    if not keys:
        return False
    cols = min(3, len(keys))
    rows = math.ceil(len(keys) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(max(10.0, 5.2 * cols), 3.9 * rows + 1.2),
                             squeeze=False)
    for ax, key in zip(axes.flat, keys):
        pts = panels[key]
        for impl, (label, colour, marker) in STYLE.items():
            for t, ls in ((1, "-"), (2, "--")):
                xy = sorted((f["N"], g) for f, g in pts if f["impl"] == impl and f["threads"] == t)
                if xy:
                    ax.plot([x for x, _ in xy], [y for _, y in xy], ls, color=colour,
                            marker=marker, ms=4, label="%s, %d thr" % (label, t))
        ts = sorted({f["T"] for f, _ in pts})
        ax.set_title("%s H=%d (T=%s)" % (key[0].upper(), key[1], ",".join(map(str, ts))))
        ax.set_xscale("log", base=2)
        ax.set_xlabel("batch N")
        ax.set_ylabel("GFLOP/s")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(keys):]:
        ax.axis("off")
    h, l = axes.flat[0].get_legend_handles_labels()
    fig.legend(h, l, loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.suptitle("Forward pass, one layer, fp32: GFLOP/s = 2*T*N*G*H*(I+H) / median time",
                 fontsize=10)
    legend_h = 0.25 * math.ceil(len(l) / 4) / fig.get_size_inches()[1]
    fig.tight_layout(rect=(0, legend_h + 0.02, 1, 0.96))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def plot_speedup(data, path):
    by = {}
    for f, g in data:
        k = (f["cell"], f["T"], f["N"], f["H"], f["I"], f["threads"])
        by.setdefault(k, {})
        if f["impl"] in ("blocked", "simd", "reference"):
            by[k]["rnnrt"] = max(by[k].get("rnnrt", 0), g)
        elif f["impl"] == "onednn":
            by[k]["onednn"] = g
    order = [s for s in benchlib.shapes("full")]
    rows = []
    for s in order:
        for t in (1, 2):
            k = (s["cell"], s["T"], s["N"], s["H"], s["I"], t)
            v = by.get(k, {})
            if "rnnrt" in v and "onednn" in v:
                rows.append(("%s T=%d N=%d H=%d" % (s["cell"], s["T"], s["N"], s["H"]), t,
                             v["rnnrt"] / v["onednn"]))
    if not rows:
        return False
    labels = sorted({r[0] for r in rows}, key=[r[0] for r in rows].index)
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(labels) + 1.5))
    for t, colour, off in ((1, "tab:red", -0.2), (2, "tab:pink", 0.2)):
        ys = [labels.index(r[0]) + off for r in rows if r[1] == t]
        xs = [r[2] for r in rows if r[1] == t]
        if xs:
            # Bars grow from 1 (parity) towards the speedup, left when oneDNN is faster.
            ax.barh(ys, [x - 1.0 for x in xs], left=1.0, height=0.4, color=colour,
                    label="%d thread%s" % (t, "s" if t > 1 else ""))
    ax.axvline(1.0, color="k", lw=0.8)
    ax.set_xscale("log", base=2)
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("speedup of rnnrt's fastest variant over oneDNN (log scale; > 1: rnnrt faster)")
    ax.legend(fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def plot_roofline(roof, data, path):
    if not roof.peak or not roof.bw:
        return False
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.6))
    for t, pts in sorted(roof.bw.items()):
        a1.plot([s for s, _ in pts], [b for _, b in pts], "o-", ms=3,
                label="%d thread%s" % (t, "s" if t > 1 else ""))
    a1.set_xscale("log", base=2)
    a1.set_xlabel("working set per thread (bytes)")
    a1.set_ylabel("read bandwidth (GB/s)")
    a1.set_title("Read bandwidth by working set")
    a1.grid(alpha=0.3)
    a1.legend(fontsize=8)

    t = 1
    peak = roof.peak.get(t)
    ai = [2 ** (k / 4) for k in range(-8, 36)]
    for ws, ls, name in ((1 << 19, ":", "512 KiB (L2)"), (16 << 20, "-.", "16 MiB (L3)"),
                         (256 << 20, "--", "256 MiB (DRAM)")):
        bw = roof.bandwidth(ws * t, t)
        a2.plot(ai, [min(peak, x * bw) for x in ai], ls, color="k", lw=1,
                label="weights of %s" % name)
    for (isa, th), g in sorted(roof.peak_isa.items()):
        if th == t:
            a2.axhline(g, color="0.6", lw=0.8)
            a2.text(ai[0], g * 1.05, "FMA peak %s %.0f" % (isa, g), fontsize=7)
    for impl, (label, colour, marker) in STYLE.items():
        xs = [f["N"] / 2 for f, g in data if f["impl"] == impl and f["threads"] == t]
        ys = [g for f, g in data if f["impl"] == impl and f["threads"] == t]
        if xs:
            a2.scatter(xs, ys, color=colour, marker=marker, s=18, label=label, zorder=3)
    a2.set_xscale("log", base=2)
    a2.set_yscale("log")
    a2.set_xlabel("FLOPs per byte of recurrent weights (= batch / 2)")
    a2.set_ylabel("GFLOP/s")
    a2.set_title("Roofline, 1 thread: every forward pass measured")
    a2.grid(alpha=0.3, which="both")
    a2.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    d = sys.argv[1]
    p = lambda n: os.path.join(d, n)
    _, runs = benchlib.load_many([p("bench_lstm.json"), p("bench_torch.json"),
                                  p("bench_ort.json")])
    _, rruns = benchlib.load_many([p("bench_roofline.json")])
    data = collect(runs)
    made = []
    if plot_batch(data, p("gflops_vs_batch.png")):
        made.append("gflops_vs_batch.png")
    if plot_speedup(data, p("speedup_onednn.png")):
        made.append("speedup_onednn.png")
    if rruns and plot_roofline(benchlib.Roofline(rruns), data, p("roofline.png")):
        made.append("roofline.png")
    print("plots: %s" % (", ".join(made) if made else "none (not enough data)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
