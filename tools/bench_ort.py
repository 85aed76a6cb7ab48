#!/usr/bin/python3
"""ONNX Runtime (PyPI's onnxruntime, CPU execution provider) on the shapes of
bench/shapes.def, written as Google Benchmark JSON (impl:ort) in the form of
tools/bench_torch.py, so the report, the plots and perf_compare.py put it beside the others.

Each shape is one ONNX LSTM or GRU node (opset 14; GRU with linear_before_reset=1, which is
PyTorch's GRU) built with onnx.helper from the weights of tools/bench_torch.py's nn.LSTM /
nn.GRU for that shape (the same seed: the same weights and input), one layer, forward, with
biases, fp32, time-major, zero initial state. One session per shape and thread count:
intra_op_num_threads = 1 or 2, inter_op_num_threads = 1, sequential execution, all graph
optimizations, ONNX Runtime's default thread spinning. Timing as in bench_torch.py.

Needs onnxruntime, onnx, numpy and torch (for the weights): tools/setup_peer_venv.sh makes
.venv-peers/ with onnxruntime over Debian's packages; run .venv-peers/bin/python
tools/bench_ort.py. Exits 3 (nothing written) when onnxruntime cannot be imported.
"""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
import bench_torch  # noqa: E402

# PyTorch's gate blocks in ONNX's order: LSTM i f g o -> i o f c, GRU r z n -> z r h.
ONNX_ORDER = {"lstm": [0, 3, 1, 2], "gru": [1, 0, 2]}


def onnx_model(cell, module, state=False):
    """A one-node ONNX model computing `module` (a one-layer, forward torch nn.LSTM/GRU with
    biases): input x [T, N, I], output y [T, 1, N, H]. With state, also the inputs
    initial_h (and initial_c for LSTM) [1, N, H] and the outputs Y_h (and Y_c), for callers
    that carry a state across calls (tools/bench_streams_ort.py)."""
    from onnx import TensorProto, helper, numpy_helper
    sd = {k: v.detach().numpy() for k, v in module.state_dict().items()}
    H = module.hidden_size

    def perm(a):
        return a.reshape(len(ONNX_ORDER[cell]), H, *a.shape[1:])[ONNX_ORDER[cell]].reshape(
            a.shape)
    W = perm(sd["weight_ih_l0"])[None]
    R = perm(sd["weight_hh_l0"])[None]
    B = np.concatenate([perm(sd["bias_ih_l0"]), perm(sd["bias_hh_l0"])])[None]
    attrs = {"hidden_size": H}
    if cell == "gru":
        attrs["linear_before_reset"] = 1
    ins, outs = ["x", "W", "R", "B"], ["y"]
    states = (["h"] + (["c"] if cell == "lstm" else [])) if state else []
    if states:
        ins += ["", "initial_h"] + (["initial_c"] if cell == "lstm" else [])
        outs += ["Y_" + n for n in states]
    node = helper.make_node(cell.upper(), ins, outs, **attrs)
    graph = helper.make_graph(
        [node], cell, [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                     ["T", "N", module.input_size])] +
        [helper.make_tensor_value_info("initial_" + n, TensorProto.FLOAT, [1, "N", H])
         for n in states],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outs],
        [numpy_helper.from_array(a.astype("float32"), n) for a, n in ((W, "W"), (R, "R"),
                                                                       (B, "B"))])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])


def session(ort, model, threads, spinning=True):
    """A session on `model`; spinning False turns off ONNX Runtime's default spinning of its
    pool threads between work items (session.intra_op.allow_spinning)."""
    so = ort.SessionOptions()
    if not spinning:
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(model.SerializeToString(), so,
                                providers=["CPUExecutionProvider"])


def import_ort(who):
    """(onnxruntime, torch), or None after saying why on stderr (the caller exits 3)."""
    try:
        import onnxruntime as ort
        import torch
    except ImportError as e:
        print("%s: %s (tools/setup_peer_venv.sh installs onnxruntime into .venv-peers/)"
              % (who, e), file=sys.stderr)
        return None
    return ort, torch


def main():
    a = benchlib.peer_options(__doc__)
    peers = import_ort("bench_ort")
    if not peers:
        return 3
    ort, torch = peers
    torch.set_num_threads(1)
    context = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "executable": "tools/bench_ort.py",
        "num_cpus": os.cpu_count(),
        "onnxruntime": "ONNX Runtime %s, CPUExecutionProvider, intra_op_num_threads = "
                       "threads, inter_op_num_threads 1, sequential" % ort.__version__,
        "shape_set": a.set,
    }
    benchmarks = []
    for s, module, x in bench_torch.shape_models(torch, a.set):
        fl = benchlib.flops(s["cell"], s["T"], s["N"], s["H"], s["I"])
        names = {t: "forward/%s/impl:ort/isa:native/threads:%d" % (benchlib.shape_key(s), t)
                 for t in a.threads}
        if a.filter and not any(a.filter in n for n in names.values()):
            continue
        model = onnx_model(s["cell"], module)
        feed = {"x": x.numpy()}
        for t, name in names.items():
            if a.filter and a.filter not in name:
                continue
            sess = session(ort, model, t)
            benchlib.time_peer(lambda: sess.run(None, feed), name, fl,
                               "onnxruntime %s" % ort.__version__, a, benchmarks)
            del sess
    benchlib.write_peer_json(context, benchmarks, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
