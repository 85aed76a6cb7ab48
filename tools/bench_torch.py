#!/usr/bin/python3
"""PyTorch's nn.LSTM / nn.GRU on the shapes of bench/shapes.def, written as Google Benchmark
JSON (same names, fields and GFLOPS counter as rnnrt-bench-lstm, impl:torch), so the report,
the plots and perf_compare.py put it beside the others.

One layer, unidirectional, with biases, fp32, time-major input, zero initial state, under
torch.inference_mode(); threads set with torch.set_num_threads(). Per benchmark: warm-up
call (and more for --warmup seconds), then --repetitions repetitions of as many calls as fill
--min-time seconds (at least one), each repetition's mean time per call reported. As in the
C++ binaries, a benchmark whose repetitions would exceed --max-seconds is skipped and says so.

Run with Debian's interpreter and python3-torch: /usr/bin/python3 tools/bench_torch.py
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402


def shape_models(torch, set_name):
    """(shape, module, input) for each shape of the set, from one seed, so every Python peer
    (tools/bench_ort.py too) runs the same weights and inputs."""
    torch.manual_seed(20261122)
    for s in benchlib.shapes(set_name):
        Cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[s["cell"]]
        model = Cls(s["I"], s["H"]).eval()
        yield s, model, torch.randn(s["T"], s["N"], s["I"])


def main():
    a = benchlib.peer_options(__doc__)

    try:
        import torch
    except ImportError as e:
        print("bench_torch: PyTorch is not installed (Debian: python3-torch): %s" % e,
              file=sys.stderr)
        return 3

    context = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "executable": "tools/bench_torch.py",
        "num_cpus": os.cpu_count(),
        "torch": "PyTorch %s" % torch.__version__,
        "torch_parallel": "; ".join(ln.strip() for ln in torch.__config__.parallel_info()
                                    .splitlines() if "backend" in ln or "OpenMP" in ln),
        "torch_blas": ", ".join(re.findall(r"\b(BLAS_INFO=[^,]*|USE_MKLDNN=[^,]*)",
                                           torch.__config__.show())),
        "shape_set": a.set,
    }
    benchmarks = []
    for s, model, x in shape_models(torch, a.set):
        fl = benchlib.flops(s["cell"], s["T"], s["N"], s["H"], s["I"])
        for t in a.threads:
            name = "forward/%s/impl:torch/isa:native/threads:%d" % (benchlib.shape_key(s), t)
            if a.filter and a.filter not in name:
                continue
            torch.set_num_threads(t)
            with torch.inference_mode():
                benchlib.time_peer(lambda: model(x), name, fl, "torch %s" % torch.__version__,
                                   a, benchmarks)
    benchlib.write_peer_json(context, benchmarks, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
