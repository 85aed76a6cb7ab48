"""Character generation speed at batch 1: rnnrt (`rnnrt generate`) next to PyTorch on the
same model, one step per character with the state carried, sampling included.

    /usr/bin/python3 tools/bench_generate.py [--rnnrt build/tools/rnnrt]
        [--model models/charlstm.safetensors] [--length 2000] [--threads 1,2]

PyTorch (as installed, and with torch.backends.mkldnn.enabled = False, which is faster for
single steps on Debian's build) runs nn.Embedding -> nn.LSTM -> nn.Linear built from the file's weights (F16 in the
file, float32 in memory as in rnnrt), under torch.no_grad(), one forward per character, and
samples with torch.multinomial at temperature 0.8. rnnrt is timed by the tool itself (its
closing line), for each forward variant. Each figure is the best of --repeats runs. Check that
the machine is quiet first (top): the figures are only as good as the cores are free.
"""
import argparse
import os
import re
import subprocess
import sys
import time

import numpy as np

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as st  # noqa: E402


def torch_speed(model_path, length, threads, repeats, mkldnn=True):
    import torch
    from torch import nn
    torch.set_num_threads(threads)
    torch.backends.mkldnn.enabled = mkldnn
    tensors, meta = st.read(model_path)
    sd = {n: torch.from_numpy(v.astype(np.float32)) for n, v in tensors.items()}
    V, E = sd["embedding.weight"].shape
    H = sd["lstm.weight_hh_l0"].shape[1]
    L = sum(1 for n in sd if n.startswith("lstm.weight_ih_l"))
    emb, rnn, fc = nn.Embedding(V, E), nn.LSTM(E, H, L), nn.Linear(H, V)
    for prefix, mod in (("embedding.", emb), ("lstm.", rnn), ("fc.", fc)):
        mod.load_state_dict({n[len(prefix):]: v for n, v in sd.items() if n.startswith(prefix)})
    vocab = meta["rnnrt.vocab"]
    best = 0.0
    for _ in range(repeats):
        g = torch.Generator().manual_seed(1)
        with torch.no_grad():
            ids = torch.tensor([[vocab.index(c)] for c in "The "])
            y, state = rnn(emb(ids))
            logits = fc(y[-1, 0])
            t0 = time.perf_counter()
            for _ in range(length):
                k = int(torch.multinomial(torch.softmax(logits / 0.8, 0), 1, generator=g))
                y, state = rnn(emb(torch.tensor([[k]])), state)
                logits = fc(y[-1, 0])
            best = max(best, length / (time.perf_counter() - t0))
    return best


def rnnrt_speed(tool, model_path, length, threads, variant, repeats):
    best = 0.0
    env = dict(os.environ, RNNRT_VARIANT=variant)
    for _ in range(repeats):
        r = subprocess.run([tool, "generate", model_path, "--length", str(length), "--threads",
                            str(threads)], env=env, capture_output=True, text=True, check=True)
        m = re.search(r"([0-9.]+) chars/s", r.stderr)
        best = max(best, float(m.group(1)))
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rnnrt", default=os.path.join("build", "tools", "rnnrt"))
    ap.add_argument("--model", default=os.path.join("models", "charlstm.safetensors"))
    ap.add_argument("--length", type=int, default=2000)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    import torch
    print(f"model {args.model}, {args.length} characters at batch 1, best of {args.repeats}")
    print(f"{'':28s}" + "".join(f"{t + ' thread(s)':>14s}" for t in args.threads.split(",")))
    rows = [(f"PyTorch {torch.__version__}", lambda t: torch_speed(
        args.model, args.length, t, args.repeats)),
        ("PyTorch, oneDNN off", lambda t: torch_speed(
            args.model, args.length, t, args.repeats, mkldnn=False))]
    for variant in ("reference", "blocked"):
        rows.append((f"rnnrt ({variant})", lambda t, v=variant: rnnrt_speed(
            args.rnnrt, args.model, args.length, t, v, args.repeats)))
    for name, fn in rows:
        cells = [f"{fn(int(t)):10.0f} c/s" for t in args.threads.split(",")]
        print(f"{name:28s}" + "".join(f"{c:>14s}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
