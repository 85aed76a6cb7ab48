"""tools/convert.py round trips, one format per run: a small model is made here, converted,
loaded by rnnrt (python/rnnrt/) and compared with the source on a random input.

    RNNRT_LIB=build/runtime/librnnrt.so /usr/bin/python3 tests/python/test_convert.py pt|keras|onnx

Exit code 77 (skipped, with the reason) when the format's Debian package is missing:
python3-torch for pt and onnx (the ONNX models are exported from PyTorch), python3-h5py for keras,
python3-onnx for onnx. Keras itself is not in Debian: its .h5 / .keras files are written here
with h5py in Keras' layouts (kernel [I, 4H] in gate order i, f, c, o; GRU reset_after with bias
[2, 3H] and gates z, r, h), and the reference is an independent NumPy implementation of Keras'
equations. The ONNX peephole and input_forget nodes are built with onnx.helper and checked
against a NumPy implementation of the ONNX specification.
"""
import io
import json
import os
import sys
import tempfile
import unittest
import warnings
import zipfile

FORMAT = sys.argv[1] if len(sys.argv) > 1 else ""
NEEDS = {"pt": ["numpy", "torch"], "keras": ["numpy", "h5py"], "onnx": ["numpy", "torch", "onnx"]}
if FORMAT not in NEEDS:
    sys.exit("usage: test_convert.py pt|keras|onnx")
for module in NEEDS[FORMAT]:
    try:
        __import__(module)
    except ImportError:
        print(f"skipped: the {FORMAT} converter test needs {module} "
              f"(apt-get install python3-{module})")
        sys.exit(77)

import numpy as np  # noqa: E402

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "python"))
import convert  # noqa: E402
import rnnrt  # noqa: E402

TOL = 1e-4


def sig(v):
    return 1 / (1 + np.exp(-v))


def rel_err(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b))))


class Base(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def convert(self, src, **kw):
        out = self.path("out.safetensors")
        err = convert.convert(src, out, quiet=True, **kw)
        self.assertLess(err, TOL)
        return rnnrt.Model(out)


# ---- PyTorch ---------------------------------------------------------------------------------

if FORMAT in ("pt", "onnx"):
    import torch
    from torch import nn
    torch.set_num_threads(1)

    class CharModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(11, 6)
            self.lstm = nn.LSTM(6, 9, num_layers=2, proj_size=4)
            self.fc = nn.Linear(4, 11)

        def forward(self, ids):
            return self.fc(self.lstm(self.embedding(ids))[0])


class PyTorch(Base):
    def test_whole_module(self):
        torch.manual_seed(1)
        model = CharModel().eval()
        torch.save(model, self.path("m.pt"))
        m = self.convert(self.path("m.pt"), vocab="abcdefghij ")
        self.assertEqual((m.vocab_size, m.head_size, m.proj_size), (11, 11, 4))
        ids = np.random.default_rng(2).integers(0, 11, (8, 3))
        with torch.no_grad():
            ref = model(torch.from_numpy(ids)).numpy()
        self.assertLess(rel_err(m.forward_tokens(ids), ref), TOL)
        self.assertEqual(m.generate("abc", length=5, seed=1)[:3], "abc")

    def test_state_dict_gru(self):
        torch.manual_seed(3)
        gru = nn.GRU(5, 7, num_layers=2, bidirectional=True)
        torch.save({"state_dict": {"encoder.rnn." + k: v for k, v in gru.state_dict().items()}},
                   self.path("gru.pth"))
        m = self.convert(self.path("gru.pth"))
        x = np.random.default_rng(4).standard_normal((6, 2, 5)).astype(np.float32)
        with torch.no_grad():
            ref = gru(torch.from_numpy(x))[0].numpy()
        self.assertEqual(m.cell, "gru")
        self.assertLess(rel_err(m.forward(x), ref), TOL)

    def test_not_a_model(self):
        torch.save({"w": torch.zeros(3)}, self.path("x.pt"))
        with self.assertRaises(convert.ConvertError):
            convert.convert(self.path("x.pt"), self.path("o.safetensors"), quiet=True)


# ---- Keras -----------------------------------------------------------------------------------

def keras_rnn(cell, x, kernel, rk, bias, H, backwards=False):
    """Keras' equations, written out per sequence and step."""
    T, B, _ = x.shape
    y = np.zeros((T, B, H))
    for b in range(B):
        h, c = np.zeros(H), np.zeros(H)
        for t in (reversed(range(T)) if backwards else range(T)):
            if cell == "LSTM":
                z = x[t, b] @ kernel + h @ rk + bias
                i, f, cc, o = (z[k * H:(k + 1) * H] for k in range(4))
                c = sig(f) * c + sig(i) * np.tanh(cc)
                h = sig(o) * np.tanh(c)
            else:
                xz, xr, xh = (x[t, b] @ kernel[:, k * H:(k + 1) * H] + bias[0, k * H:(k + 1) * H]
                              for k in range(3))
                hz, hr, hh = (h @ rk[:, k * H:(k + 1) * H] + bias[1, k * H:(k + 1) * H]
                              for k in range(3))
                z, r = sig(xz + hz), sig(xr + hr)
                h = z * h + (1 - z) * np.tanh(xh + r * hh)
            y[t, b] = h
    return y


def rnn_weights(rng, cell, I, H):
    G = 4 if cell == "LSTM" else 3
    bias_shape = (G * H,) if cell == "LSTM" else (2, G * H)
    return [rng.uniform(-0.5, 0.5, s).astype(np.float32) for s in ((I, G * H), (H, G * H),
                                                                   bias_shape)]


def write_keras2(path, layers, with_config=True):
    """A Keras 2 model.save() .h5: model_weights/<layer>/<layer>/<cell>/<weight>:0 datasets,
    layer_names and weight_names attributes, and the model_config JSON."""
    import h5py
    with h5py.File(path, "w") as f:
        g = f.create_group("model_weights") if with_config else f
        g.attrs["layer_names"] = [n.encode() for n, _, _, _ in layers]
        g.attrs["backend"] = b"tensorflow"
        g.attrs["keras_version"] = b"2.11.0"
        for name, cls, _, weights in layers:
            lg = g.create_group(name)
            names = []
            for wname, w in weights:
                full = f"{name}/{wname}:0"
                lg.create_dataset(full, data=w)
                names.append(full.encode())
            lg.attrs["weight_names"] = names
        if with_config:
            config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
                {"class_name": cls, "config": dict(cfg, name=name)}
                for name, cls, cfg, _ in layers]}}
            f.attrs["model_config"] = json.dumps(config).encode()


class Keras(Base):
    def test_embedding_lstm_dense(self):
        rng = np.random.default_rng(5)
        V, E, H = 13, 5, 8
        emb = rng.uniform(-1, 1, (V, E)).astype(np.float32)
        k1, r1, b1 = rnn_weights(rng, "LSTM", E, H)
        k2, r2, b2 = rnn_weights(rng, "LSTM", H, H)
        dk, db = rng.uniform(-1, 1, (H, V)).astype(np.float32), rng.uniform(-1, 1, V).astype(np.float32)
        lstm_cfg = {"units": H, "activation": "tanh", "recurrent_activation": "sigmoid",
                    "return_sequences": True, "use_bias": True}
        layers = [("embedding", "Embedding", {"input_dim": V, "output_dim": E},
                   [("embeddings", emb)]),
                  ("lstm", "LSTM", lstm_cfg, [("lstm_cell/kernel", k1),
                                              ("lstm_cell/recurrent_kernel", r1),
                                              ("lstm_cell/bias", b1)]),
                  ("dropout", "Dropout", {"rate": 0.1}, []),
                  ("lstm_1", "LSTM", lstm_cfg, [("lstm_cell_1/kernel", k2),
                                                ("lstm_cell_1/recurrent_kernel", r2),
                                                ("lstm_cell_1/bias", b2)]),
                  ("dense", "Dense", {"units": V, "activation": "softmax"},
                   [("kernel", dk), ("bias", db)])]
        ids = rng.integers(0, V, (6, 2))
        y = keras_rnn("LSTM", keras_rnn("LSTM", emb[ids], k1, r1, b1, H), k2, r2, b2, H)
        ref = y @ dk + db
        for with_config in (True, False):
            write_keras2(self.path("m.h5"), layers, with_config)
            m = self.convert(self.path("m.h5"))
            self.assertEqual((m.vocab_size, m.head_size, m.num_layers), (V, V, 2))
            self.assertLess(rel_err(m.forward_tokens(ids), ref), TOL)

    def test_bidirectional_gru_reset_after(self):
        rng = np.random.default_rng(6)
        I, H = 4, 6
        fw, bw = rnn_weights(rng, "GRU", I, H), rnn_weights(rng, "GRU", I, H)
        gru_cfg = {"units": H, "reset_after": True, "activation": "tanh",
                   "recurrent_activation": "sigmoid", "return_sequences": True}
        names = ["kernel", "recurrent_kernel", "bias"]
        layers = [("bidirectional", "Bidirectional",
                   {"layer": {"class_name": "GRU", "config": gru_cfg}, "merge_mode": "concat"},
                   [(f"forward_gru/gru_cell/{n}", w) for n, w in zip(names, fw)] +
                   [(f"backward_gru/gru_cell/{n}", w) for n, w in zip(names, bw)])]
        write_keras2(self.path("g.h5"), layers)
        m = self.convert(self.path("g.h5"))
        x = rng.standard_normal((5, 3, I)).astype(np.float32)
        ref = np.concatenate([keras_rnn("GRU", x, *fw, H), keras_rnn("GRU", x, *bw, H, True)], 2)
        self.assertEqual((m.cell, m.num_directions), ("gru", 2))
        self.assertLess(rel_err(m.forward(x), ref), TOL)

    def test_keras3_zip(self):
        """A Keras 3 .keras file: config.json and model.weights.h5 (layers/<name>/vars/<k>,
        layers/<name>/cell/vars/<k>) in a zip."""
        import h5py
        rng = np.random.default_rng(7)
        V, E, H = 9, 3, 5
        emb = rng.uniform(-1, 1, (V, E)).astype(np.float32)
        k, r, b = rnn_weights(rng, "GRU", E, H)
        dk, db = rng.uniform(-1, 1, (H, 2)).astype(np.float32), np.zeros(2, np.float32)
        buf = io.BytesIO()
        with h5py.File(buf, "w") as f:
            f["layers/embedding/vars/0"] = emb
            for j, w in enumerate((k, r, b)):
                f[f"layers/gru/cell/vars/{j}"] = w
            f["layers/dense/vars/0"], f["layers/dense/vars/1"] = dk, db
        config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
            {"class_name": "InputLayer", "config": {"name": "input_layer"}},
            {"class_name": "Embedding", "config": {"name": "embedding"}},
            {"class_name": "GRU", "config": {"name": "gru", "units": H, "reset_after": True}},
            {"class_name": "Dense", "config": {"name": "dense", "activation": "linear"}}]}}
        with zipfile.ZipFile(self.path("m.keras"), "w") as z:
            z.writestr("config.json", json.dumps(config))
            z.writestr("metadata.json", json.dumps({"keras_version": "3.0.0"}))
            z.writestr("model.weights.h5", buf.getvalue())
        m = self.convert(self.path("m.keras"))
        ids = rng.integers(0, V, (4, 2))
        ref = keras_rnn("GRU", emb[ids], k, r, b, H) @ dk + db
        self.assertLess(rel_err(m.forward_tokens(ids), ref), TOL)
        self.assertLess(rel_err(m.forward_tokens(ids, last_step_only=True), ref[-1]), TOL)

    def test_unsupported(self):
        rng = np.random.default_rng(8)
        k, r, _ = rnn_weights(rng, "GRU", 3, 4)
        layers = [("gru", "GRU", {"units": 4, "reset_after": False},
                   [("gru_cell/kernel", k), ("gru_cell/recurrent_kernel", r),
                    ("gru_cell/bias", np.zeros(12, np.float32))])]
        write_keras2(self.path("old.h5"), layers)
        with self.assertRaisesRegex(convert.ConvertError, "reset_after"):
            convert.convert(self.path("old.h5"), self.path("o.safetensors"), quiet=True)


# ---- ONNX ------------------------------------------------------------------------------------

def onnx_lstm_ref(x, W, R, B, P, input_forget):
    """The ONNX specification's LSTM, one direction, gates i o f c, written per step."""
    H = R.shape[1]
    T, Bt, _ = x.shape
    h, c, y = np.zeros((Bt, H)), np.zeros((Bt, H)), np.zeros((T, Bt, H))
    pi, po, pf = P[:H], P[H:2 * H], P[2 * H:]
    for t in range(T):
        g = x[t] @ W.T + h @ R.T + B[:4 * H] + B[4 * H:]
        f = sig(g[:, 2 * H:3 * H] + pf * c)
        i = 1 - f if input_forget else sig(g[:, :H] + pi * c)
        c = f * c + i * np.tanh(g[:, 3 * H:])
        h = sig(g[:, H:2 * H] + po * c) * np.tanh(c)
        y[t] = h
    return y


class Onnx(Base):
    def export(self, module, x, name):
        path = self.path(name)
        warnings.simplefilter("ignore")  # the exporter's notes on batch sizes and shapes
        torch.onnx.export(module, (torch.from_numpy(x),), path, opset_version=14,
                          input_names=["x"], output_names=["y", "h"])
        return path

    def test_pytorch_lstm_and_gru(self):
        torch.manual_seed(9)
        x = np.random.default_rng(10).standard_normal((5, 2, 4)).astype(np.float32)
        for module in (nn.LSTM(4, 6, num_layers=2, bidirectional=True),
                       nn.GRU(4, 5, num_layers=2), nn.GRU(4, 3, bidirectional=True)):
            m = self.convert(self.export(module, x, "m.onnx"))
            with torch.no_grad():
                ref = module(torch.from_numpy(x))[0].numpy()
            self.assertLess(rel_err(m.forward(x), ref), TOL, str(module))

    def hand_built(self, rng, input_forget, peephole, bidir=False):
        import onnx
        from onnx import TensorProto, helper, numpy_helper
        I, H, D = 3, 4, 2 if bidir else 1
        W = rng.uniform(-0.6, 0.6, (D, 4 * H, I)).astype(np.float32)
        R = rng.uniform(-0.6, 0.6, (D, 4 * H, H)).astype(np.float32)
        B = rng.uniform(-0.6, 0.6, (D, 8 * H)).astype(np.float32)
        P = rng.uniform(-0.6, 0.6, (D, 3 * H)).astype(np.float32) if peephole else \
            np.zeros((D, 3 * H), np.float32)
        inits = [numpy_helper.from_array(a, n) for a, n in ((W, "W"), (R, "R"), (B, "B"), (P, "P"))]
        node = helper.make_node("LSTM", ["x", "W", "R", "B", "", "", "", "P"], ["y"],
                                hidden_size=H, input_forget=int(input_forget),
                                direction="bidirectional" if bidir else "forward")
        graph = helper.make_graph([node], "g", [helper.make_tensor_value_info(
            "x", TensorProto.FLOAT, [None, None, I])], [helper.make_tensor_value_info(
                "y", TensorProto.FLOAT, None)], inits)
        path = self.path("hand.onnx")
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]), path)
        return path, W, R, B, P

    def test_peepholes_and_input_forget(self):
        rng = np.random.default_rng(11)
        x = rng.standard_normal((6, 2, 3)).astype(np.float32)
        for input_forget, peephole, bidir, cell in ((0, True, False, "lstm_peephole"),
                                                    (0, True, True, "lstm_peephole"),
                                                    (1, False, False, "lstm_coupled"),
                                                    (0, False, False, "lstm")):
            path, W, R, B, P = self.hand_built(rng, input_forget, peephole, bidir)
            m = self.convert(path)
            self.assertEqual(m.cell, cell)
            ys = [onnx_lstm_ref(x, W[0], R[0], B[0], P[0], input_forget)]
            if bidir:
                ys.append(onnx_lstm_ref(x[::-1], W[1], R[1], B[1], P[1], input_forget)[::-1])
            ref = np.concatenate(ys, axis=2)
            self.assertLess(rel_err(m.forward(x), ref), TOL, cell)
        path, *_ = self.hand_built(rng, 1, True)
        with self.assertRaisesRegex(convert.ConvertError, "input_forget=1 with peepholes"):
            convert.convert(path, self.path("o.safetensors"), quiet=True)


if __name__ == "__main__":
    print(f"rnnrt {rnnrt.version()} from {rnnrt.library_path}")
    cls = {"pt": PyTorch, "keras": Keras, "onnx": Onnx}[FORMAT]
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(cls)
    ok = unittest.TextTestRunner(verbosity=2).run(suite).wasSuccessful()
    sys.exit(0 if ok else 1)
