#!/usr/bin/python3
"""What quantizing the activations costs on top of int8 weights: the accuracy half of
issue 11's choice between weight-only int8 (rnnrt's "weights": "int8" today) and per-step
dynamic quantization of x_t and h_{t-1} (as oneDNN's u8s8 and ONNX Runtime's
DynamicQuantizeLSTM do). The speed half is `build/bench/rnnrt-bench-int8-dot`.

    /usr/bin/python3 tools/int8_activation_study.py [--skip-char] [--out FILE.json]
                                                    [--shapes N]

Every figure is an emulation in PyTorch (float32, one thread) of the arithmetic each scheme
defines, not rnnrt's kernels:
  f32      the model as stored;
  int8     weights rounded as rnnrt's packing does (per row, symmetric, largest magnitude
           to 127: runtime/pack.c), activations float32: rnnrt's int8 today;
  +s16     and each row of every GEMM input (x_t for W_ih, h_{t-1} for W_hh) rounded to
           int16 with its own scale, largest magnitude to q = min(32767, (2^31 - 1) //
           (127 K)) so that an int32 sum of K products cannot overflow (the vpmaddwd /
           VPDPWSSD design: 8191 levels at K = 2048);
  +s8      each such row to int8, symmetric, largest magnitude to 127 (vpmaddubsw with the
           sign trick, VPDPBUSD with an offset of 128);
  +u8      each whole GEMM input (all rows of a step) to uint8, asymmetric (scale and zero
           point from its minimum and maximum), as ONNX Runtime's dynamic quantization
           does; its result for one sequence depends on the others in the batch.
Measured: the character model's bits per character on the held-out text (read as
tools/train_charlstm.py's evaluate() reads it), the digits classifier's test accuracy, and
the largest and mean |y - y_f32| on seeded random nn.LSTM / nn.GRU (the quality report's
generator, tools/quality_report.py) of the smallest --shapes default benchmark shapes.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchlib  # noqa: E402
import quality_report as qr  # noqa: E402

SCHEMES = ("f32", "int8", "int8+s16", "int8+s8", "int8+u8")


def quantize_weight_rows(torch, w):
    """rnnrt's int8 packing of a [rows][K] matrix, as the float32 values it multiplies by."""
    largest = w.abs().amax(dim=1, keepdim=True)
    scale = largest / 127.0
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    return torch.clamp(torch.round(w / scale), -127, 127) * scale


def s16_levels(K):
    return min(32767, (2**31 - 1) // (127 * K))


def quantize_input(torch, a, scheme):
    """The GEMM input a [rows][K] as the scheme's kernels would see it, dequantized."""
    if scheme in ("f32", "int8"):
        return a
    if scheme == "int8+u8":  # one asymmetric scale for the whole input (all rows)
        lo, hi = min(float(a.min()), 0.0), max(float(a.max()), 0.0)
        scale = (hi - lo) / 255.0 if hi > lo else 1.0
        zero = round(-lo / scale)
        q = torch.clamp(torch.round(a / scale) + zero, 0, 255)
        return (q - zero) * scale
    levels = s16_levels(a.shape[1]) if scheme == "int8+s16" else 127
    largest = a.abs().amax(dim=1, keepdim=True)
    scale = torch.where(largest > 0, largest / levels, torch.ones_like(largest))
    return torch.clamp(torch.round(a / scale), -levels, levels) * scale


class Recurrent:
    """A one-direction nn.LSTM / nn.GRU stack run step by step with the scheme's rounding
    of weights and GEMM inputs (gates in PyTorch's order and equations)."""

    def __init__(self, torch, module, scheme):
        self.torch, self.scheme = torch, scheme
        self.gru = isinstance(module, torch.nn.GRU)
        self.layers = []
        for l in range(module.num_layers):
            def get(name):
                return getattr(module, f"{name}_l{l}").detach().float()
            w_ih, w_hh = get("weight_ih"), get("weight_hh")
            if scheme != "f32":
                w_ih, w_hh = quantize_weight_rows(torch, w_ih), quantize_weight_rows(torch, w_hh)
            self.layers.append((w_ih.t().contiguous(), w_hh.t().contiguous(),
                                get("bias_ih"), get("bias_hh")))
        self.hidden = module.hidden_size

    def gemm(self, a, w):
        return quantize_input(self.torch, a, self.scheme) @ w

    def __call__(self, x, state=None):
        torch = self.torch
        T, B = x.shape[0], x.shape[1]
        if state is None:
            z = torch.zeros(len(self.layers), B, self.hidden)
            state = z if self.gru else (z, z.clone())
        hs = [s.clone() for s in (state if self.gru else state[0])]
        cs = None if self.gru else [s.clone() for s in state[1]]
        out = x
        for l, (w_ih, w_hh, b_ih, b_hh) in enumerate(self.layers):
            xp = self.gemm(out.reshape(T * B, -1), w_ih).reshape(T, B, -1) + b_ih
            ys, h = [], hs[l]
            for t in range(T):
                hp = self.gemm(h, w_hh) + b_hh
                if self.gru:
                    xr, xz, xn = xp[t].chunk(3, 1)
                    hr, hz, hn = hp.chunk(3, 1)
                    r, zg = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
                    n = torch.tanh(xn + r * hn)
                    h = (1 - zg) * n + zg * h
                else:
                    i, f, g, o = (xp[t] + hp).chunk(4, 1)
                    c = torch.sigmoid(f) * cs[l] + torch.sigmoid(i) * torch.tanh(g)
                    cs[l] = c
                    h = torch.sigmoid(o) * torch.tanh(c)
                ys.append(h)
            hs[l] = h
            out = torch.stack(ys)
        return out, (torch.stack(hs) if self.gru else (torch.stack(hs), torch.stack(cs)))


class CharModel:
    """train_charlstm's module with its LSTM replaced by Recurrent (embedding and head f32,
    as in rnnrt)."""

    def __init__(self, torch, module, scheme):
        self.module, self.rnn = module, Recurrent(torch, module.lstm, scheme)

    def eval(self):
        pass

    def train(self):
        pass

    def __call__(self, ids, state):
        out, state = self.rnn(self.module.embedding(ids), state)
        return self.module.fc(out), state


def char_study(torch):
    import train_charlstm as tc
    vocab, data = tc.encode(tc.load_corpus())
    _, valid = tc.split(data)
    module = qr.torch_char_model(torch, tc, qr.CHAR_MODEL).eval()
    out = {}
    for s in SCHEMES:
        t0 = time.perf_counter()
        with torch.no_grad():
            out[s] = tc.evaluate(CharModel(torch, module, s), valid, tc.VALID_SEQ,
                                 tc.VALID_BATCH)
        print(f"character model {s:9s} {out[s]:.5f} bits/char ({time.perf_counter() - t0:.0f} s)",
              flush=True)
    return {"characters": int(len(valid)), "bits_per_char": out}


def digits_study(torch):
    import safetensors_io as st
    tensors, _ = st.read(qr.DIGITS_MODEL)
    lstm = torch.nn.LSTM(8, 32)
    lstm.load_state_dict({k[len("lstm."):]: torch.from_numpy(v.astype(np.float32))
                          for k, v in tensors.items() if k.startswith("lstm.")})
    fc_w, fc_b = (torch.from_numpy(tensors[k].astype(np.float32)) for k in ("fc.weight", "fc.bias"))
    x, labels, _, torch_correct = qr.read_digits()
    out = {"digits": int(len(labels)), "pytorch_correct": torch_correct, "correct": {}}
    with torch.no_grad():
        for s in SCHEMES:
            y, _ = Recurrent(torch, lstm, s)(torch.from_numpy(x))
            pred = (y[-1] @ fc_w.t() + fc_b).argmax(1).numpy()
            out["correct"][s] = int((pred == labels).sum())
            print(f"digits {s:9s} {out['correct'][s]}/{len(labels)}", flush=True)
    return out


def random_study(torch, count):
    shapes = sorted(benchlib.shapes("default"),
                    key=lambda s: benchlib.flops(s["cell"], s["T"], s["N"], s["H"], s["I"]))
    rows = []
    for s in shapes[:count]:
        torch.manual_seed(qr.SEED)
        module = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[s["cell"]](s["I"], s["H"]).eval()
        x = torch.rand(s["T"], s["N"], s["I"]) * 2 - 1
        with torch.no_grad():
            ys = {sc: Recurrent(torch, module, sc)(x)[0].double() for sc in SCHEMES}
        dev = {sc: {"max_vs_f32": float((ys[sc] - ys["f32"]).abs().max()),
                    "mean_vs_f32": float((ys[sc] - ys["f32"]).abs().mean())}
               for sc in SCHEMES[1:]}
        rows.append({"shape": benchlib.shape_key(s), "deviation": dev})
        print(benchlib.shape_key(s), " ".join(
            f"{sc} {d['max_vs_f32']:.2e}/{d['mean_vs_f32']:.2e}" for sc, d in dev.items()),
            flush=True)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--skip-char", action="store_true")
    ap.add_argument("--shapes", type=int, default=8,
                    help="random models of this many of the smallest default shapes")
    ap.add_argument("--out", help="write the figures as JSON here")
    args = ap.parse_args()
    torch = qr.load_torch()
    torch.manual_seed(qr.SEED)
    result = {"schemes": SCHEMES, "torch": torch.__version__}
    if not args.skip_char:
        result["char"] = char_study(torch)
    result["digits"] = digits_study(torch)
    result["random"] = random_study(torch, args.shapes)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
