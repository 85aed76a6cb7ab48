#!/usr/bin/python3
"""p99 latency of a push against steps/s, from the JSON of bench/bench_streams.c and
tools/bench_streams_ort.py (tools/run_bench_streams.sh): one line per file and mode, the
budget as a horizontal line.

    /usr/bin/python3 tools/plot_streams.py results/.../streams/*.json --out streams.png
"""
import argparse
import json
import os


def series(path):
    """(label, [(steps/s, p99 ms)]) per mode of one file; overloaded points left out."""
    with open(path) as f:
        d = json.load(f)
    name = os.path.splitext(os.path.basename(path))[0]
    modes = {}
    for p in d["points"]:
        if p["p99_ms"] > 0:
            modes.setdefault(p["mode"], []).append((p["steps_per_s"], p["p99_ms"]))
    return [("%s %s" % (name, m), sorted(pts)) for m, pts in modes.items()], d


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("json", nargs="+")
    ap.add_argument("--out", default="streams.png")
    a = ap.parse_args()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(9, 6))
    budget = None
    styles = {"batcher": "-", "unbatched": "--"}  # ONNX Runtime's loop dotted
    for k, path in enumerate(a.json):
        lines, d = series(path)
        budget = d["config"].get("budget_ms", budget)
        for label, pts in lines:  # a colour per file (case), a line style per mode
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", ms=3, label=label,
                    color="C%d" % (k % 10), ls=styles.get(label.split()[-1], ":"))
        if d.get("forward64_steps_per_s"):
            ax.axvline(d["forward64_steps_per_s"], ls=":", lw=0.8, color="grey")
    if budget:
        ax.axhline(budget, ls="--", color="red", lw=0.8, label="p99 budget")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("steps/s (pushes done x steps per push)")
    ax.set_ylabel("p99 latency of a push, ms")
    ax.set_title("Streams under open-loop Poisson load (dotted: rnnrt_forward on 64 rows)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(a.out, dpi=120)
    print("plot_streams: wrote %s" % a.out)


if __name__ == "__main__":
    main()
