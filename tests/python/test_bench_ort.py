"""tools/bench_ort.py computes what PyTorch computes: its ONNX LSTM and GRU (linear_before_
reset=1) nodes, built from an nn.LSTM / nn.GRU's weights, run in ONNX Runtime at 1 and 2
intra-op threads, equal PyTorch's output on a small shape within 1e-5 relative to max(1, |y|)
(float32 on both sides: a few roundings of a 16-term sum).

    /usr/bin/python3 tests/python/test_bench_ort.py

Exit code 77 (skipped, with the reason) without onnxruntime (tools/setup_peer_venv.sh).
"""
import os
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import peer_python  # noqa: E402

peer_python.need_or_skip(["onnxruntime", "onnx", "torch", "numpy"])

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.join(peer_python.ROOT, "tools"))
import bench_ort  # noqa: E402


def main():
    torch.manual_seed(5)
    torch.set_num_threads(1)
    T, N, I, H = 6, 3, 12, 16
    x = torch.randn(T, N, I)
    worst = 0.0
    for cell, Cls in (("lstm", torch.nn.LSTM), ("gru", torch.nn.GRU)):
        module = Cls(I, H).eval()
        with torch.no_grad():
            ref = module(x)[0].numpy()
        model = bench_ort.onnx_model(cell, module)
        for threads in (1, 2):
            y = bench_ort.session(ort, model, threads).run(None, {"x": x.numpy()})[0]
            got = y.reshape(T, N, H)  # ONNX Y is [T, directions, N, H]
            err = float(np.max(np.abs(got - ref) / np.maximum(1.0, np.abs(ref))))
            print(f"{cell} T={T} N={N} I={I} H={H} threads={threads}: ONNX Runtime "
                  f"{ort.__version__} vs PyTorch {torch.__version__}: {err:.2e}")
            worst = max(worst, err)
        # with a state (tools/bench_streams_ort.py): one step per call, h (and c) carried
        sess = bench_ort.session(ort, bench_ort.onnx_model(cell, module, state=True), 1)
        feed = {"initial_h": np.zeros((1, N, H), np.float32)}
        if cell == "lstm":
            feed["initial_c"] = np.zeros((1, N, H), np.float32)
        steps = []
        for t in range(T):
            out = sess.run(None, dict(feed, x=x.numpy()[t:t + 1]))
            steps.append(out[0].reshape(N, H))
            feed["initial_h"] = out[1]
            if cell == "lstm":
                feed["initial_c"] = out[2]
        err = float(np.max(np.abs(np.stack(steps) - ref) / np.maximum(1.0, np.abs(ref))))
        print(f"{cell} step by step with initial_h / initial_c: {err:.2e}")
        worst = max(worst, err)
    ok = worst <= 1e-5
    print("1 passed, 0 failed" if ok else "0 passed, 1 failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
