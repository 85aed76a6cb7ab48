"""tools/convert.py round trips, one format per run: a small model is made here, converted,
loaded by rnnrt (python/rnnrt/) and compared with the source on a random input.

    RNNRT_LIB=build/runtime/librnnrt.so /usr/bin/python3 tests/python/test_convert.py pt|keras|onnx

Exit code 77 (skipped, with the reason) when the format's Debian package is missing:
python3-torch for pt and onnx (the ONNX models are exported from PyTorch), python3-h5py for keras,
python3-onnx for onnx.

The frameworks themselves give the references where they are installed (PyPI, in .venv-peers/
by tools/setup_peer_venv.sh; tests/python/peer_python.py re-runs this test under that
interpreter): ONNX Runtime runs every ONNX test graph (class OnnxRuntime, and the NumPy model
of the specification is checked against it), and Keras 3 on JAX writes .keras and .h5 files
and computes their outputs (class KerasItself), within 1e-5 relative to max(1, |y|). Without
them those classes are skipped with the reason and the rest remains: .h5 / .keras files
written here with h5py in Keras' layouts (kernel [I, 4H] in gate order i, f, c, o; GRU
reset_after with bias [2, 3H] and gates z, r, h, and reset_after=False with bias [3H])
against an independent NumPy implementation of Keras' equations, and ONNX peephole,
input_forget and GRU (both linear_before_reset) nodes built with onnx.helper against a NumPy
implementation of what ONNX Runtime computes.
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
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_python  # noqa: E402

# The frameworks themselves, from .venv-peers/ (peer_python re-runs this test there): without
# them their cases skip with the reason and the NumPy checks remain.
ORT_MISSING = peer_python.need(["onnxruntime"]) if FORMAT == "onnx" else "not this format"
if not ORT_MISSING:
    import onnxruntime as ort
if FORMAT == "keras":
    os.environ.setdefault("KERAS_BACKEND", "jax")  # Keras 3 on its CPU backend
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
KERAS_MISSING = peer_python.need(["jax", "keras"]) if FORMAT == "keras" else "not this format"

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "python"))
import convert  # noqa: E402
import rnnrt  # noqa: E402

TOL = 1e-4
# Against ONNX Runtime and Keras, relative to max(1, |y|): float32 on both sides, a few
# roundings per step of short sequences.
FRAMEWORK_TOL = 1e-5


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

def keras_rnn(cell, x, kernel, rk, bias, H, backwards=False, rec=sig, act=np.tanh):
    """Keras' equations, written out per sequence and step; rec and act are the layer's
    recurrent_activation and activation (SimpleRNN: act, or relu for "SimpleRNN relu")."""
    T, B, _ = x.shape
    y = np.zeros((T, B, H))
    for b in range(B):
        h, c = np.zeros(H), np.zeros(H)
        for t in (reversed(range(T)) if backwards else range(T)):
            if cell in ("SimpleRNN", "SimpleRNN relu"):
                z = x[t, b] @ kernel + h @ rk + bias
                h = np.maximum(z, 0.0) if cell.endswith("relu") else act(z)
            elif cell == "LSTM":
                z = x[t, b] @ kernel + h @ rk + bias
                i, f, cc, o = (z[k * H:(k + 1) * H] for k in range(4))
                c = rec(f) * c + rec(i) * act(cc)
                h = rec(o) * act(c)
            elif cell == "GRU reset_after=False":  # one input bias; r scales h before rk_h
                xz, xr, xh = (x[t, b] @ kernel[:, k * H:(k + 1) * H] + bias[k * H:(k + 1) * H]
                              for k in range(3))
                z = rec(xz + h @ rk[:, :H])
                r = rec(xr + h @ rk[:, H:2 * H])
                h = z * h + (1 - z) * act(xh + (r * h) @ rk[:, 2 * H:])
            else:
                xz, xr, xh = (x[t, b] @ kernel[:, k * H:(k + 1) * H] + bias[0, k * H:(k + 1) * H]
                              for k in range(3))
                hz, hr, hh = (h @ rk[:, k * H:(k + 1) * H] + bias[1, k * H:(k + 1) * H]
                              for k in range(3))
                z, r = rec(xz + hz), rec(xr + hr)
                h = z * h + (1 - z) * act(xh + r * hh)
            y[t, b] = h
    return y


def rnn_weights(rng, cell, I, H):
    G = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}[cell]
    bias_shape = (2, G * H) if cell == "GRU" else (G * H,)
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
            self.assertLess(rel_err(m.forward_tokens(ids, batch_first=False), ref), TOL)

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
        self.assertLess(rel_err(m.forward(x, batch_first=False), ref), TOL)

    def test_simple_rnn(self):
        """Keras 2 .h5 of stacked SimpleRNNs (tanh, then relu in a second file), with and
        without the config (a weights-only file is taken as tanh, SimpleRNN's default)."""
        rng = np.random.default_rng(12)
        I, H = 4, 6
        x = rng.standard_normal((5, 3, I)).astype(np.float32)
        w1, w2 = rnn_weights(rng, "SimpleRNN", I, H), rnn_weights(rng, "SimpleRNN", H, H)
        names = ["kernel", "recurrent_kernel", "bias"]
        for act in ("tanh", "relu"):
            cfg = {"units": H, "activation": act, "return_sequences": True}
            layers = [(f"simple_rnn{s}", "SimpleRNN", cfg,
                       [(f"simple_rnn_cell{s}/{n}", v) for n, v in zip(names, w)])
                      for s, w in (("", w1), ("_1", w2))]
            cell = "SimpleRNN" + (" relu" if act == "relu" else "")
            ref = keras_rnn(cell, keras_rnn(cell, x, *w1, H), *w2, H)
            for with_config in (True, False) if act == "tanh" else (True,):
                write_keras2(self.path("s.h5"), layers, with_config)
                m = self.convert(self.path("s.h5"))
                self.assertEqual((m.cell, m.num_layers), ("rnn_" + act, 2))
                self.assertLess(rel_err(m.forward(x, batch_first=False), ref), TOL, act)

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
        self.assertLess(rel_err(m.forward_tokens(ids, batch_first=False), ref), TOL)
        self.assertLess(rel_err(m.forward_tokens(ids, last_step_only=True, batch_first=False), ref[-1]), TOL)

    def test_gru_reset_after_false(self):
        """reset_after=False (bias [3H], the input's only) is rnnrt's gru_reset_before: two
        stacked layers in a Keras 2 .h5, with and without the config (the bias's shape tells
        reset_after then)."""
        rng = np.random.default_rng(8)
        I, H = 3, 5
        x = rng.standard_normal((6, 2, I)).astype(np.float32)
        k1, r1, _ = rnn_weights(rng, "GRU", I, H)
        k2, r2, _ = rnn_weights(rng, "GRU", H, H)
        b1, b2 = (rng.uniform(-0.5, 0.5, 3 * H).astype(np.float32) for _ in range(2))
        cfg = {"units": H, "reset_after": False, "return_sequences": True}
        names = ["kernel", "recurrent_kernel", "bias"]
        layers = [(f"gru{s}", "GRU", cfg, [(f"gru_cell{s}/{n}", v) for n, v in zip(names, w)])
                  for s, w in (("", (k1, r1, b1)), ("_1", (k2, r2, b2)))]
        cell = "GRU reset_after=False"
        ref = keras_rnn(cell, keras_rnn(cell, x, k1, r1, b1, H), k2, r2, b2, H)
        for with_config in (True, False):
            write_keras2(self.path("rb.h5"), layers, with_config)
            m = self.convert(self.path("rb.h5"))
            self.assertEqual((m.cell, m.num_layers), ("gru_reset_before", 2))
            self.assertLess(rel_err(m.forward(x, batch_first=False), ref), TOL, with_config)

    def test_keras2_functions(self):
        """A Keras 2 .h5 (keras_version 2.11.0) with Keras 2's hard_sigmoid,
        clip(0.2 x + 0.5, 0, 1): the LSTM and GRU recurrent_activation of Keras 2.0-2.2, with
        relu, elu, softsign, softplus and linear activations, in stacks, one Bidirectional
        with another function backward, against Keras 2's equations in NumPy."""
        rng = np.random.default_rng(13)
        I, H = 4, 5
        x = rng.standard_normal((6, 3, I)).astype(np.float32)
        hard = lambda v: np.clip(0.2 * v + 0.5, 0.0, 1.0)  # noqa: E731  Keras 2's
        fns = {"relu": lambda v: np.maximum(v, 0.0), "elu": lambda v: np.where(
            v >= 0, v, np.expm1(np.minimum(v, 0.0))), "softsign": lambda v: v / (1 + np.abs(v)),
            "softplus": lambda v: np.logaddexp(v, 0.0), "linear": lambda v: v,
            "tanh": np.tanh, "sigmoid": sig, "hard_sigmoid": hard}
        names = ["kernel", "recurrent_kernel", "bias"]
        for cls, keras_cls, acts in (("LSTM", "LSTM", [("hard_sigmoid", "tanh"),
                                                       ("hard_sigmoid", "relu")]),
                                     ("GRU", "GRU", [("hard_sigmoid", "softsign"),
                                                     ("sigmoid", "elu")]),
                                     ("GRU reset_after=False", "GRU",
                                      [("hard_sigmoid", "softplus"), ("hard_sigmoid", "tanh")]),
                                     ("SimpleRNN", "SimpleRNN", [(None, "elu"),
                                                                 (None, "linear")])):
            w1, w2 = rnn_weights(rng, keras_cls, I, H), rnn_weights(rng, keras_cls, H, H)
            if cls == "GRU reset_after=False":  # one input bias [3H]
                w1[2], w2[2] = w1[2][0], w2[2][0]
            layers, ref = [], x
            for k, ((rec, act), w) in enumerate(zip(acts, (w1, w2))):
                cfg = {"units": H, "activation": act, "return_sequences": True}
                if rec:
                    cfg["recurrent_activation"] = rec
                if keras_cls == "GRU":
                    cfg["reset_after"] = cls == "GRU"
                suffix = f"_{k}" if k else ""
                lname = keras_cls.lower().replace("simplernn", "simple_rnn") + suffix
                layers.append((lname, keras_cls, cfg, [(f"{lname}_cell/{n}", v)
                                                       for n, v in zip(names, w)]))
                ref = keras_rnn(cls, ref, *w, H, rec=fns[rec or "sigmoid"], act=fns[act])
            write_keras2(self.path("k2.h5"), layers)
            m = self.convert(self.path("k2.h5"))
            self.assertTrue(m.batch_first, cls)
            self.assertLess(rel_err(m.forward(x, batch_first=False), ref), TOL, cls)
            if acts[0][0] == "hard_sigmoid":
                self.assertTrue(m.activation_functions[0][0].startswith(
                    "HardSigmoid(0.2,0.5)"), m.activation_functions)
        # Bidirectional whose backward_layer has other functions
        fw, bw = rnn_weights(rng, "GRU", I, H), rnn_weights(rng, "GRU", I, H)
        cfg = {"units": H, "reset_after": True, "return_sequences": True}
        layers = [("bidirectional", "Bidirectional", {
            "layer": {"class_name": "GRU", "config": dict(cfg, activation="relu",
                                                          recurrent_activation="hard_sigmoid")},
            "backward_layer": {"class_name": "GRU", "config": dict(
                cfg, activation="softsign", go_backwards=True)}, "merge_mode": "concat"},
            [(f"forward_gru/gru_cell/{n}", v) for n, v in zip(names, fw)] +
            [(f"backward_gru/gru_cell/{n}", v) for n, v in zip(names, bw)])]
        write_keras2(self.path("bi.h5"), layers)
        m = self.convert(self.path("bi.h5"))
        ref = np.concatenate([keras_rnn("GRU", x, *fw, H, rec=hard, act=fns["relu"]),
                              keras_rnn("GRU", x, *bw, H, True, act=fns["softsign"])], 2)
        self.assertEqual(m.activation_functions, [["HardSigmoid(0.2,0.5),Relu",
                                                   "Sigmoid,Softsign"]])
        self.assertLess(rel_err(m.forward(x, batch_first=False), ref), TOL)

    def test_unsupported(self):
        """A weights-only GRU without a bias does not say which reset_after it has."""
        rng = np.random.default_rng(8)
        k, r, _ = rnn_weights(rng, "GRU", 3, 4)
        layers = [("gru", "GRU", {"units": 4, "use_bias": False},
                   [("gru_cell/kernel", k), ("gru_cell/recurrent_kernel", r)])]
        write_keras2(self.path("nobias.h5"), layers, with_config=False)
        with self.assertRaisesRegex(convert.ConvertError, "GRU.*reset_after.*cannot be told"):
            convert.convert(self.path("nobias.h5"), self.path("o.safetensors"), quiet=True)
        layers = [("gru", "GRU", {"units": 4, "reset_after": False},
                   [("gru_cell/kernel", k), ("gru_cell/recurrent_kernel", r),
                    ("gru_cell/bias", np.zeros((2, 12), np.float32))])]
        write_keras2(self.path("mixed.h5"), layers)
        with self.assertRaisesRegex(convert.ConvertError, "gru.*reset_after=False with a bias "
                                                          "of shape \\[2, 12\\]"):
            convert.convert(self.path("mixed.h5"), self.path("o.safetensors"), quiet=True)
        # hard_sigmoid where the file does not say which Keras (2 or 3) wrote it
        layers = [("gru", "GRU", {"units": 4, "recurrent_activation": "hard_sigmoid"},
                   [("gru_cell/kernel", k), ("gru_cell/recurrent_kernel", r),
                    ("gru_cell/bias", np.zeros((2, 12), np.float32))])]
        write_keras2(self.path("nover.h5"), layers)
        import h5py
        with h5py.File(self.path("nover.h5"), "a") as f:
            del f["model_weights"].attrs["keras_version"]
        with self.assertRaisesRegex(convert.ConvertError, "gru.*hard_sigmoid.*keras_version"):
            convert.convert(self.path("nover.h5"), self.path("o.safetensors"), quiet=True)


# ---- ONNX ------------------------------------------------------------------------------------

def onnx_lstm_ref(x, W, R, B, P, input_forget):
    """The ONNX specification's LSTM, one direction, gates i o f c, written per step."""
    H = R.shape[1]
    T, Bt, _ = x.shape
    h, c, y = np.zeros((Bt, H)), np.zeros((Bt, H)), np.zeros((T, Bt, H))
    pi, po, pf = P[:H], P[H:2 * H], P[2 * H:]
    for t in range(T):
        g = x[t] @ W.T + h @ R.T + B[:4 * H] + B[4 * H:]
        i = sig(g[:, :H] + pi * c)  # input_forget: f = 1 - i, as ONNX Runtime computes it
        f = 1 - i if input_forget else sig(g[:, 2 * H:3 * H] + pf * c)
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
                       nn.GRU(4, 5, num_layers=2), nn.GRU(4, 3, bidirectional=True),
                       nn.RNN(4, 5, num_layers=2, bidirectional=True),
                       nn.RNN(4, 6, num_layers=2, nonlinearity="relu")):
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
            if not ORT_MISSING:  # the NumPy model of the specification is ONNX Runtime's
                y = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(
                    None, {"x": x})[0]
                y = y.transpose(0, 2, 1, 3).reshape(ref.shape)
                self.assertLess(rel_err(y, ref), FRAMEWORK_TOL, cell)
        path, *_ = self.hand_built(rng, 1, True)
        with self.assertRaisesRegex(convert.ConvertError, "input_forget=1 with peepholes"):
            convert.convert(path, self.path("o.safetensors"), quiet=True)


# ---- Keras, files written by Keras 3 itself and Keras as the reference ---------------------

if FORMAT == "keras" and not KERAS_MISSING:
    import logging
    import keras
    logging.getLogger("absl").setLevel(logging.ERROR)  # "HDF5 is legacy", on every .h5 save


class KerasItself(Base):
    """Models built and saved by Keras 3 (JAX backend, CPU) as .keras and legacy .h5, with
    random weights; Keras computes the reference (inputs batch-major, rnnrt's time-major)."""
    worst = {}

    @classmethod
    def setUpClass(cls):
        if KERAS_MISSING:
            raise unittest.SkipTest(KERAS_MISSING)

    def build(self, layers, seed, input_shape):
        keras.utils.set_random_seed(seed)
        model = keras.Sequential([keras.Input(input_shape)] + layers)
        rng = np.random.default_rng(seed)
        model.set_weights([rng.uniform(-0.6, 0.6, w.shape).astype(np.float32)
                           for w in model.get_weights()])
        return model

    def saved(self, model):
        """The model as Keras writes it: .keras and .h5 (legacy model.save)."""
        paths = []
        for ext in (".keras", ".h5"):
            path = self.path("model" + ext)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.save(path)
            paths.append(path)
        return paths

    def compare(self, case, model, inputs, got_fn, valid=None):
        """inputs batch-major as Keras takes them; got_fn(converted model) returns rnnrt's
        output batch-major; valid [B, T] marks the steps to compare (masking)."""
        ref = np.asarray(model(inputs, training=False), np.float64)
        for path in self.saved(model):
            got = got_fn(self.convert(path))
            if valid is not None:
                ref_v, got_v = ref[valid], got[valid]
            else:
                ref_v, got_v = ref, got
            err = rel_err(got_v, ref_v)
            label = f"{case} ({os.path.splitext(path)[1]})"
            KerasItself.worst[label] = err
            self.assertLess(err, FRAMEWORK_TOL, label)

    def floats(self, m, x, **kw):
        """x batch-major as Keras takes it, in the layout the file records (no flag)."""
        self.assertTrue(m.batch_first)
        return m.forward_head(x, **kw) if m.head_size else m.forward(x, **kw)

    def test_lstm_gru_bidirectional(self):
        L = keras.layers
        x = np.random.default_rng(30).standard_normal((3, 6, 4)).astype(np.float32)
        for case, layers in (
                ("LSTM", [L.LSTM(5, return_sequences=True)]),
                ("LSTM use_bias=False", [L.LSTM(5, use_bias=False, return_sequences=True)]),
                ("GRU reset_after=True", [L.GRU(5, return_sequences=True)]),
                ("GRU reset_after=False", [L.GRU(5, reset_after=False,
                                                 return_sequences=True)]),
                ("GRU reset_after=False use_bias=False", [
                    L.GRU(5, reset_after=False, use_bias=False, return_sequences=True)]),
                ("Bidirectional GRU reset_after=False", [L.Bidirectional(
                    L.GRU(3, reset_after=False, return_sequences=True))]),
                ("2 x Bidirectional GRU reset_after=False + Dense", [
                    L.Bidirectional(L.GRU(7, reset_after=False, return_sequences=True)),
                    L.Bidirectional(L.GRU(7, reset_after=False, return_sequences=True)),
                    L.Dense(2)]),
                ("Bidirectional LSTM", [L.Bidirectional(L.LSTM(5, return_sequences=True))]),
                ("Bidirectional GRU", [L.Bidirectional(L.GRU(3, return_sequences=True))]),
                ("2 x LSTM + Dense", [L.LSTM(6, return_sequences=True),
                                      L.Dropout(0.2), L.LSTM(6, return_sequences=True),
                                      L.Dense(3)]),
                ("2 x Bidirectional GRU + Dense", [
                    L.Bidirectional(L.GRU(4, return_sequences=True)),
                    L.Bidirectional(L.GRU(4, return_sequences=True)), L.Dense(2)]),
                ("SimpleRNN", [L.SimpleRNN(5, return_sequences=True)]),
                ("SimpleRNN relu use_bias=False", [L.SimpleRNN(5, activation="relu",
                                                               use_bias=False,
                                                               return_sequences=True)]),
                ("2 x Bidirectional SimpleRNN relu + Dense", [
                    L.Bidirectional(L.SimpleRNN(4, activation="relu", return_sequences=True)),
                    L.Bidirectional(L.SimpleRNN(4, activation="relu", return_sequences=True)),
                    L.Dense(2)])):
            model = self.build(layers, 31, (None, 4))
            self.compare(case, model, x, lambda m: self.floats(m, x))
        inp = keras.Input((None, 4))  # the functional API: layers listed with their inputs
        out = L.Dense(3)(L.LSTM(5, return_sequences=True)(L.LSTM(5, return_sequences=True)(inp)))
        model = keras.Model(inp, out)
        model.set_weights([np.random.default_rng(39).uniform(-0.6, 0.6, w.shape).astype(
            np.float32) for w in model.get_weights()])
        self.compare("functional 2 x LSTM + Dense", model, x, lambda m: self.floats(m, x))

    def test_functions(self):
        """activation and recurrent_activation beyond tanh and sigmoid, per layer and per
        direction: relu, hard_sigmoid (Keras 3's relu6(x + 3) / 6, HardSigmoid(1/6, 0.5)),
        linear, elu, softsign, softplus and leaky_relu, in LSTM, GRU (both reset_after),
        SimpleRNN and Bidirectional with its own backward_layer."""
        L = keras.layers
        x = np.random.default_rng(42).standard_normal((3, 6, 4)).astype(np.float32)
        seq = {"return_sequences": True}
        for case, layers, want in (
                ("LSTM relu", [L.LSTM(5, activation="relu", **seq)], "Sigmoid,Relu,Relu"),
                ("LSTM hard_sigmoid", [L.LSTM(5, recurrent_activation="hard_sigmoid", **seq)],
                 "HardSigmoid(0.16666667,0.5),Tanh,Tanh"),
                ("GRU hard_sigmoid relu", [L.GRU(5, recurrent_activation="hard_sigmoid",
                                                 activation="relu", **seq)],
                 "HardSigmoid(0.16666667,0.5),Relu"),
                ("GRU reset_after=False hard_sigmoid softsign", [L.GRU(
                    5, reset_after=False, recurrent_activation="hard_sigmoid",
                    activation="softsign", **seq)], "HardSigmoid(0.16666667,0.5),Softsign"),
                ("SimpleRNN elu", [L.SimpleRNN(5, activation="elu", **seq)], "Elu(1)"),
                ("SimpleRNN softplus, SimpleRNN relu + Dense", [
                    L.SimpleRNN(4, activation="softplus", **seq),
                    L.SimpleRNN(4, activation="relu", **seq), L.Dense(2)], "Softplus"),
                ("LSTM softsign leaky_relu, LSTM linear", [
                    L.LSTM(4, activation="softsign", recurrent_activation="leaky_relu", **seq),
                    L.LSTM(4, activation="linear", **seq)], "LeakyRelu(0.2),Softsign,Softsign"),
                ("Bidirectional LSTM hard_sigmoid", [L.Bidirectional(
                    L.LSTM(4, recurrent_activation="hard_sigmoid", **seq))],
                 "HardSigmoid(0.16666667,0.5),Tanh,Tanh"),
                ("Bidirectional GRU relu, backward_layer softsign elu", [L.Bidirectional(
                    L.GRU(3, activation="relu", **seq), backward_layer=L.GRU(
                        3, activation="softsign", recurrent_activation="elu",
                        go_backwards=True, **seq))], "Sigmoid,Relu")):
            model = self.build(layers, 43, (None, 4))

            def got(m, want=want, case=case):
                self.assertEqual(m.activation_functions[0][0], want, case)
                return self.floats(m, x)
            self.compare(case, model, x, got)

    def test_go_backwards(self):
        """go_backwards=True: Keras returns the outputs in the order it computed them (last
        step first) and the next layer reads them so; rnnrt writes step t at t, so where the
        last layer runs backward Keras' sequence is rnnrt's reversed in time."""
        L = keras.layers
        x = np.random.default_rng(40).standard_normal((3, 6, 4)).astype(np.float32)
        flipped = lambda m: self.floats(m, x)[:, ::-1]  # noqa: E731
        for case, layers, got in (
                ("LSTM go_backwards", [L.LSTM(5, go_backwards=True, return_sequences=True)],
                 flipped),
                ("GRU go_backwards", [L.GRU(5, go_backwards=True, return_sequences=True)],
                 flipped),
                ("SimpleRNN go_backwards", [L.SimpleRNN(5, go_backwards=True,
                                                        return_sequences=True)], flipped),
                ("SimpleRNN relu go_backwards", [L.SimpleRNN(5, activation="relu",
                                                             go_backwards=True,
                                                             return_sequences=True)], flipped),
                ("LSTM go_backwards, LSTM, Dense (reverse,reverse)", [
                    L.LSTM(5, go_backwards=True, return_sequences=True),
                    L.LSTM(5, return_sequences=True), L.Dense(3)], flipped),
                ("GRU, GRU go_backwards (forward,reverse)", [
                    L.GRU(4, return_sequences=True),
                    L.GRU(4, go_backwards=True, return_sequences=True)], flipped),
                ("2 x SimpleRNN go_backwards + Dense (reverse,forward)", [
                    L.SimpleRNN(4, go_backwards=True, return_sequences=True),
                    L.SimpleRNN(4, go_backwards=True, return_sequences=True), L.Dense(2)],
                 lambda m: self.floats(m, x)),
                ("LSTM go_backwards return_sequences=False + Dense (rnnrt's step 0)", [
                    L.LSTM(5, go_backwards=True), L.Dense(3)],
                 lambda m: self.floats(m, x)[:, 0])):
            model = self.build(layers, 41, (None, 4))
            self.compare(case, model, x, got)

    def test_last_step_head(self):
        """return_sequences=False then Dense: rnnrt's last-step head output."""
        L = keras.layers
        x = np.random.default_rng(32).standard_normal((4, 5, 3)).astype(np.float32)
        model = self.build([L.LSTM(6), L.Dense(4)], 33, (None, 3))
        self.compare("LSTM return_sequences=False + Dense", model, x,
                     lambda m: self.floats(m, x, last_step_only=True))

    def test_embedding(self):
        L = keras.layers
        ids = np.random.default_rng(34).integers(1, 12, (3, 7))
        model = self.build([L.Embedding(12, 5), L.GRU(6, return_sequences=True),
                            L.Dense(12, activation="softmax")], 35, (None,))

        def softmax_of_logits(m):
            z = m.forward_tokens(ids)  # batch-major, the file's layout
            e = np.exp(z - z.max(axis=-1, keepdims=True))
            return e / e.sum(axis=-1, keepdims=True)
        self.compare("Embedding + GRU + Dense softmax", model, ids, softmax_of_logits)

    def test_embedding_mask_zero(self):
        """mask_zero with trailing padding: Keras skips the masked steps, rnnrt is given
        the lengths; the valid steps agree (past a length rnnrt gives zeros, Keras repeats)."""
        L = keras.layers
        rng = np.random.default_rng(36)
        ids = rng.integers(1, 10, (3, 6))
        lengths = np.array([6, 4, 2], np.int32)
        valid = np.arange(6)[None, :] < lengths[:, None]
        ids[~valid] = 0
        for case, rnn in (("LSTM", L.LSTM(5, return_sequences=True)),
                          ("Bidirectional LSTM", L.Bidirectional(L.LSTM(4,
                                                                        return_sequences=True)))):
            model = self.build([L.Embedding(10, 4, mask_zero=True), rnn, L.Dense(3)], 37,
                               (None,))
            self.compare("Embedding(mask_zero) + " + case + " + Dense", model, ids,
                         lambda m: m.forward_tokens(ids, lengths=lengths),
                         valid=valid)

    def test_refused(self):
        L = keras.layers
        for case, layers, msg in (
                ("GRU reset_after=True over reset_after=False",
                 [L.GRU(4, return_sequences=True), L.GRU(4, reset_after=False)],
                 "one cell.*reset_after"),
                ("SimpleRNN exponential", [L.SimpleRNN(4, activation="exponential")],
                 "simple_rnn.*activation=exponential"),
                ("LSTM recurrent_activation=gelu", [L.LSTM(4, recurrent_activation="gelu")],
                 "lstm.*recurrent_activation=gelu"),
                ("Dense relu", [L.LSTM(4), L.Dense(2, activation="relu")],
                 "dense.*activation=relu")):
            model = self.build(layers, 38, (None, 3))
            for path in self.saved(model):
                with self.assertRaisesRegex(convert.ConvertError, msg, msg=case + path):
                    convert.convert(path, self.path("o.safetensors"), quiet=True)


# ---- ONNX, checked against ONNX Runtime ------------------------------------------------------

class OnnxRuntime(Base):
    """Each graph runs in ONNX Runtime (the reference) and, converted, in rnnrt with the same
    input, sequence_lens and initial states."""
    worst = {}

    @classmethod
    def setUpClass(cls):
        if ORT_MISSING:
            raise unittest.SkipTest(ORT_MISSING)

    def graph(self, rng, op, D, attrs, peephole=False, I=3, H=4, with_state=True,
              with_lens=True, P=None, name=None, r_scale=1.0):
        """r_scale shrinks R, for functions that would otherwise let h grow without bound."""
        import onnx
        from onnx import TensorProto, helper, numpy_helper
        G = {"LSTM": 4, "GRU": 3, "RNN": 1}[op]
        u = lambda *shape: rng.uniform(-0.7, 0.7, shape).astype(np.float32)  # noqa: E731
        consts = {"W": u(D, G * H, I), "R": u(D, G * H, H) * np.float32(r_scale),
                  "B": u(D, 2 * G * H)}
        if op == "LSTM":
            consts["P"] = P if P is not None else u(D, 3 * H) if peephole else \
                np.zeros((D, 3 * H), np.float32)
        ins = ["x", "W", "R", "B", "lens" if with_lens else "",
               "h0" if with_state else "", "c0" if with_state and op == "LSTM" else ""]
        if op == "LSTM":
            ins.append("P")
        while not ins[-1]:
            ins.pop()
        attrs = dict(attrs)
        direction = attrs.pop("direction", {1: "forward", 2: "bidirectional"}[D])
        node = helper.make_node(op, ins, ["y"], name=f"{op.lower()}_node", hidden_size=H,
                                direction=direction, **attrs)
        f = TensorProto.FLOAT
        inputs = [helper.make_tensor_value_info("x", f, ["T", "N", I])]
        if with_lens:
            inputs.append(helper.make_tensor_value_info("lens", TensorProto.INT32, ["N"]))
        if with_state:
            inputs.append(helper.make_tensor_value_info("h0", f, [D, "N", H]))
            if op == "LSTM":
                inputs.append(helper.make_tensor_value_info("c0", f, [D, "N", H]))
        graph = helper.make_graph([node], "g", inputs, [helper.make_tensor_value_info(
            "y", f, None)], [numpy_helper.from_array(a, n) for n, a in consts.items()])
        path = self.path(name or f"{op}.onnx")
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]), path)
        return path

    def ort_run(self, path, feed):
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        names = {i.name for i in sess.get_inputs()}
        y = sess.run(["y"] if "y" in [o.name for o in sess.get_outputs()] else None,
                     {k: v for k, v in feed.items() if k in names})[0]
        return y

    def feed(self, T, N, I, D, H, lens, state, seed):
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((T, N, I)).astype(np.float32)
        feed = {"x": x}
        lengths = np.array([T, T - 3, 1][:N], np.int32) if lens else None
        if lens:
            feed["lens"] = lengths
        if state:
            feed["h0"] = rng.standard_normal((D, N, H)).astype(np.float32)
            feed["c0"] = rng.standard_normal((D, N, H)).astype(np.float32)
        return x, lengths, feed

    def ort_y(self, path, feed, T, N, D, H):
        y = self.ort_run(path, feed)
        if y.ndim == 4:  # ONNX Y [T, D, N, H] -> [T, N, D*H]
            y = y.transpose(0, 2, 1, 3).reshape(T, N, D * H)
        return y

    def check(self, case, path, D, H, cell, T=7, N=3, I=3, lens=True, state=True, seed=0,
              unclipped=None):
        """unclipped: the same graph without its clip, which must give other outputs (the
        clip binds)."""
        x, lengths, feed = self.feed(T, N, I, D, H, lens, state, seed)
        y = self.ort_y(path, feed, T, N, D, H)
        if unclipped is not None:
            free = self.ort_y(unclipped, feed, T, N, D, H)
            self.assertGreater(rel_err(free, y), 1e-2, case + ": the clip does not bind")
        m = self.convert(path)
        self.assertEqual(m.cell, cell, case)
        st = None
        if state:
            st = m.state(N)
            st.write(feed["h0"], feed["c0"] if m.cell.startswith("lstm") else None)
        got = m.forward(x, state=st, lengths=lengths)
        err = rel_err(got, y)
        OnnxRuntime.worst[case] = err
        self.assertLess(err, FRAMEWORK_TOL, case)

    def test_lstm(self):
        rng = np.random.default_rng(20)
        for D in (1, 2):
            for lens, state in ((False, False), (True, False), (False, True), (True, True)):
                case = f"LSTM D={D}" + (" sequence_lens" if lens else "") + \
                    (" initial states" if state else "")
                path = self.graph(rng, "LSTM", D, {}, with_state=state, with_lens=lens)
                self.check(case, path, D, 4, "lstm", lens=lens, state=state)

    def test_peephole(self):
        rng = np.random.default_rng(21)
        for D in (1, 2):
            path = self.graph(rng, "LSTM", D, {}, peephole=True)
            self.check(f"LSTM peephole D={D} sequence_lens initial states", path, D, 4,
                       "lstm_peephole")

    def test_input_forget(self):
        rng = np.random.default_rng(22)
        for D in (1, 2):
            path = self.graph(rng, "LSTM", D, {"input_forget": 1})
            self.check(f"LSTM input_forget=1 D={D} sequence_lens initial states", path, D, 4,
                       "lstm_coupled")
        # only the f peephole: ONNX Runtime does not use it under input_forget=1
        P = np.zeros((1, 12), np.float32)
        P[:, 8:] = 0.5
        path = self.graph(rng, "LSTM", 1, {"input_forget": 1}, P=P)
        self.check("LSTM input_forget=1 with only the f peephole", path, 1, 4, "lstm_coupled")

    def test_gru(self):
        rng = np.random.default_rng(23)
        for D in (1, 2):
            path = self.graph(rng, "GRU", D, {"linear_before_reset": 1})
            self.check(f"GRU linear_before_reset=1 D={D} sequence_lens initial state", path,
                       D, 4, "gru")

    def test_gru_reset_before(self):
        """linear_before_reset=0 (the default, also left out) is gru_reset_before."""
        rng = np.random.default_rng(28)
        for D in (1, 2):
            for lens, state, attrs in ((False, False, {"linear_before_reset": 0}),
                                       (True, False, {}), (False, True, {}),
                                       (True, True, {"linear_before_reset": 0})):
                case = f"GRU linear_before_reset=0 D={D}" + (
                    " sequence_lens" if lens else "") + (" initial state" if state else "") + (
                    "" if attrs else " (attribute absent)")
                path = self.graph(rng, "GRU", D, attrs, with_state=state, with_lens=lens)
                self.check(case, path, D, 4, "gru_reset_before", lens=lens, state=state)
        path = self.graph(rng, "GRU", 2, {}, I=13, H=37)  # several panels in every kernel set
        self.check("GRU linear_before_reset=0 D=2 I=13 H=37 sequence_lens initial state",
                   path, 2, 37, "gru_reset_before", I=13)

    def test_rnn(self):
        rng = np.random.default_rng(27)
        for act in ("Tanh", "Relu"):
            for D in (1, 2):
                for lens, state in ((False, False), (True, True)):
                    case = f"RNN {act} D={D}" + (" sequence_lens initial state" if lens else "")
                    path = self.graph(rng, "RNN", D, {"activations": [act] * D},
                                      with_state=state, with_lens=lens)
                    self.check(case, path, D, 4, "rnn_" + act.lower(), lens=lens, state=state)

    def test_reverse(self):
        """direction=reverse: ONNX Runtime reverses each sequence within its own length."""
        rng = np.random.default_rng(28)
        for op, cell, attrs in (("LSTM", "lstm", {}), ("GRU", "gru", {"linear_before_reset": 1}),
                                ("RNN", "rnn_tanh", {}),
                                ("RNN", "rnn_relu", {"activations": ["Relu"]})):
            for lens, state in ((False, False), (True, False), (False, True), (True, True)):
                case = f"{op} {cell} direction=reverse" + (" sequence_lens" if lens else "") + \
                    (" initial states" if state else "")
                path = self.graph(rng, op, 1, dict(attrs, direction="reverse"),
                                  with_state=state, with_lens=lens)
                self.check(case, path, 1, 4, cell, lens=lens, state=state)
        for case, attrs, peephole, cell in (
                ("LSTM peephole direction=reverse", {}, True, "lstm_peephole"),
                ("LSTM input_forget=1 direction=reverse", {"input_forget": 1}, False,
                 "lstm_coupled")):
            path = self.graph(rng, "LSTM", 1, dict(attrs, direction="reverse"),
                              peephole=peephole)
            self.check(case + " sequence_lens initial states", path, 1, 4, cell)

    def test_clip(self):
        """clip 0.3, where these weights and inputs give pre-activations of about +-2: most
        gates are clamped (each case checks that the clip changes ONNX Runtime's output)."""
        rng = np.random.default_rng(29)
        for op, cell, attrs, D, peephole in (
                ("LSTM", "lstm", {}, 1, False), ("LSTM", "lstm", {}, 2, False),
                ("LSTM", "lstm", {"direction": "reverse"}, 1, False),
                ("LSTM", "lstm_peephole", {}, 1, True),
                ("LSTM", "lstm_coupled", {"input_forget": 1}, 1, False),
                ("GRU", "gru", {"linear_before_reset": 1}, 1, False),
                ("GRU", "gru", {"linear_before_reset": 1}, 2, False),
                ("GRU", "gru", {"linear_before_reset": 1, "direction": "reverse"}, 1, False),
                ("RNN", "rnn_tanh", {}, 1, False), ("RNN", "rnn_tanh", {}, 2, False),
                ("RNN", "rnn_relu", {"activations": ["Relu"]}, 1, False),
                ("GRU", "gru_reset_before", {}, 1, False),
                ("GRU", "gru_reset_before", {}, 2, False),
                ("LSTM", "lstm_peephole", {"activations": ["HardSigmoid", "Softsign", "Elu"]}, 1,
                 True),
                ("GRU", "gru", {"linear_before_reset": 1,
                                "activations": ["HardSigmoid", "ScaledTanh"],
                                "activation_alpha": [0.25, 1.5],
                                "activation_beta": [0.5, 1.0]}, 1, False),
                ("RNN", "rnn_tanh", {"activations": ["Softsign"]}, 1, False)):
            for lens, state in ((False, False), (True, True)):
                seed = int(rng.integers(1 << 30))
                free = self.graph(np.random.default_rng(seed), op, D, attrs, peephole=peephole,
                                  with_state=state, with_lens=lens, name="free.onnx")
                path = self.graph(np.random.default_rng(seed), op, D, dict(attrs, clip=0.3),
                                  peephole=peephole, with_state=state, with_lens=lens)
                case = f"{op} {cell} D={D} {attrs.get('direction', '')} clip=0.3" + (
                    " sequence_lens initial states" if lens else "")
                self.check(case.replace("  ", " "), path, D, 4, cell, lens=lens, state=state,
                           unclipped=free)

    FUNCTIONS = ["Relu", "Tanh", "Sigmoid", "Affine", "LeakyRelu", "ThresholdedRelu",
                 "ScaledTanh", "HardSigmoid", "Elu", "Softsign", "Softplus"]
    PARAMS = {"Affine": (0.6, -0.2), "LeakyRelu": (0.15,), "ThresholdedRelu": (0.25,),
              "ScaledTanh": (1.3, 0.8), "HardSigmoid": (0.3, 0.45), "Elu": (0.7,)}

    def test_activations(self):
        """Every function as f, g and h of LSTM, GRU (both forms) and RNN, a different one in
        each direction, with sequence_lens and initial states; alpha and beta given, and left
        to ONNX Runtime's defaults (LSTM and GRU take them in order across the directions,
        RNN one per direction; LSTM and GRU names in any case)."""
        rng = np.random.default_rng(60)
        F = self.FUNCTIONS
        # A GRU's gates scale h (z h, r h R): unbounded ones square it within a few steps
        # (and ONNX Runtime's Softplus then overflows to NaN). Its unbounded functions are
        # candidates here, under bounded gates.
        gru = ["Tanh", "Relu", "Sigmoid", "Affine", "ScaledTanh", "LeakyRelu", "HardSigmoid",
               "ThresholdedRelu", "Softsign", "Elu", "Sigmoid", "Softplus"]
        for op, G, attrs0, cell in (("LSTM", 3, {}, "lstm"),
                                    ("GRU", 2, {"linear_before_reset": 1}, "gru"),
                                    ("GRU", 2, {}, "gru_reset_before"),
                                    ("RNN", 1, {}, "rnn_tanh")):
            for start in range(0, len(F), 2 * G):  # every function somewhere
                names = [(gru if op == "GRU" else F)[(start + j) % 12 if op == "GRU" else
                                                     (start + j) % len(F)] for j in range(2 * G)]
                for given in (True, False):
                    p = [self.PARAMS.get(n, ()) for n in names]
                    if op == "RNN":  # one per direction, 0 for a function without one
                        alphas = [q[0] if q else 0.0 for q in p]
                        betas = [q[1] if len(q) > 1 else 0.0 for q in p]
                    else:
                        alphas = [q[0] for q in p if q]
                        betas = [q[1] for q in p if len(q) > 1]
                    spelt = names if op == "RNN" else [n.upper() if j % 2 else n.lower()
                                                       for j, n in enumerate(names)]
                    attrs = dict(attrs0, activations=spelt)
                    if given and alphas:
                        attrs["activation_alpha"] = alphas
                    if given and betas:
                        attrs["activation_beta"] = betas
                    # unbounded gates (Elu, Softplus, Relu, ...) scale h by up to |f| a step
                    # and feed it back through R: small R keeps h finite over 7 steps
                    path = self.graph(rng, op, 2, attrs, r_scale=0.5)
                    self.check(f"{op} {cell} {spelt} {'alpha/beta' if given else 'defaults'}",
                               path, 2, 4, cell)
        # a lone reverse direction, and ONNX Runtime's input_forget (f = 1 - i) with the
        # functions for which f(-z) = 1 - f(z), which rnnrt's coupled cell takes
        for op, attrs, cell in (
                ("GRU", {"direction": "reverse", "linear_before_reset": 1,
                         "activations": ["HardSigmoid", "Softsign"]}, "gru"),
                ("LSTM", {"input_forget": 1, "activations": ["HardSigmoid", "Elu", "Softplus"],
                          "activation_alpha": [0.3, 0.9], "activation_beta": [0.5]},
                 "lstm_coupled"),
                ("LSTM", {"input_forget": 1, "activations": ["Affine", "Tanh", "Relu"],
                          "activation_alpha": [0.4], "activation_beta": [0.5]},
                 "lstm_coupled")):
            path = self.graph(rng, op, 1, attrs)
            self.check(f"{op} {cell} {attrs}", path, 1, 4, cell)

    def test_layout_batch_major(self):
        """layout=1: X [B, T, I], Y [B, T, D, H]. ONNX Runtime does not run it for LSTM and
        GRU (and ignores it for RNN), so the reference is ONNX Runtime on the same graph
        with layout=0, time-major; the converted layout=1 graph runs batch-major by default
        (its state stays [D, B, H], rnnrt's h_n layout)."""
        for op, attrs, cell in (("LSTM", {}, "lstm"), ("GRU", {"linear_before_reset": 1}, "gru"),
                                ("GRU", {}, "gru_reset_before"),
                                ("RNN", {"activations": ["Relu", "Tanh"]}, "rnn_tanh")):
            seed = 70 + len(cell)
            tm = self.graph(np.random.default_rng(seed), op, 2, attrs, name="tm.onnx")
            bm = self.graph(np.random.default_rng(seed), op, 2, dict(attrs, layout=1),
                            name="bm.onnx")
            T, N, D, H = 7, 3, 2, 4
            x, lengths, feed = self.feed(T, N, 3, D, H, True, True, 71)
            y = self.ort_y(tm, feed, T, N, D, H)
            m = self.convert(bm)
            self.assertEqual((m.cell, m.batch_first), (cell, True))
            st = m.state(N)
            st.write(feed["h0"], feed["c0"] if cell.startswith("lstm") else None)
            got = m.forward(np.ascontiguousarray(x.transpose(1, 0, 2)), state=st,
                            lengths=lengths)
            err = rel_err(got, y.transpose(1, 0, 2))
            OnnxRuntime.worst[f"{op} {cell} layout=1 D=2 sequence_lens initial states"] = err
            self.assertLess(err, FRAMEWORK_TOL, cell)

    def test_torch_export_stacks(self):
        torch.manual_seed(24)
        x = np.random.default_rng(25).standard_normal((5, 2, 4)).astype(np.float32)
        for name, module in (("LSTM 2 layers bidirectional", nn.LSTM(4, 6, 2,
                                                                     bidirectional=True)),
                             ("GRU 2 layers", nn.GRU(4, 5, num_layers=2)),
                             ("GRU bidirectional", nn.GRU(4, 3, bidirectional=True)),
                             ("RNN tanh 2 layers bidirectional", nn.RNN(4, 5, 2,
                                                                        bidirectional=True)),
                             ("RNN relu 2 layers", nn.RNN(4, 5, 2, nonlinearity="relu"))):
            path = self.path("exported.onnx")
            warnings.simplefilter("ignore")
            torch.onnx.export(module, (torch.from_numpy(x),), path, opset_version=14,
                              input_names=["x"], output_names=["y", "h"])
            y = self.ort_run(path, {"x": x})
            err = rel_err(self.convert(path).forward(x), y)
            OnnxRuntime.worst["torch.onnx.export " + name] = err
            self.assertLess(err, FRAMEWORK_TOL, name)

    def test_refused(self):
        """What rnnrt cannot compute is refused with the node and the attribute."""
        import onnx
        from onnx import TensorProto, helper, numpy_helper
        rng = np.random.default_rng(26)
        cases = [("LSTM", {"clip": -3.0}, "lstm_node.*clip=-3"),
                 ("LSTM", {"layout": 2}, "lstm_node.*layout=2"),
                 ("GRU", {"activations": ["Sigmoid", "Cosine"]}, "gru_node.*'Cosine'"),
                 ("GRU", {"activations": ["Sigmoid"]}, "gru_node.*activations.*takes 2"),
                 ("GRU", {"activations": ["Sigmoid", "Tanh"], "activation_alpha": [float("nan")]},
                  "gru_node.*activation_alpha"),
                 ("LSTM", {"input_forget": 1, "activations": ["Tanh", "Tanh", "Tanh"]},
                  "lstm_node.*input_forget=1 with f=Tanh"),
                 ("LSTM", {"input_forget": 1, "activations": ["Affine", "Tanh", "Tanh"],
                           "activation_alpha": [1.0], "activation_beta": [0.25]},
                  "lstm_node.*input_forget=1 with f=Affine\\(1,0.25\\)")]
        for op, attrs, msg in cases:
            G, H, I = (4 if op == "LSTM" else 3), 2, 3
            consts = [numpy_helper.from_array(rng.uniform(-1, 1, sh).astype(np.float32), n)
                      for n, sh in (("W", (1, G * H, I)), ("R", (1, G * H, H)))]
            node = helper.make_node(op, ["x", "W", "R"], ["y"], name=f"{op.lower()}_node",
                                    hidden_size=H, **attrs)
            graph = helper.make_graph([node], "g", [helper.make_tensor_value_info(
                "x", TensorProto.FLOAT, [None, None, I])], [helper.make_tensor_value_info(
                    "y", TensorProto.FLOAT, None)], consts)
            onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]),
                      self.path("r.onnx"))
            with self.assertRaisesRegex(convert.ConvertError, msg):
                convert.convert(self.path("r.onnx"), self.path("o.safetensors"), quiet=True)
        node = helper.make_node("RNN", ["x", "W", "R"], ["y"], name="rnn_node", hidden_size=2,
                                activations=["sigmoid"])  # ONNX Runtime's RNN reads it as Tanh
        graph = helper.make_graph([node], "g", [helper.make_tensor_value_info(
            "x", TensorProto.FLOAT, [None, None, 3])], [helper.make_tensor_value_info(
                "y", TensorProto.FLOAT, None)],
            [numpy_helper.from_array(np.ones((1, 2, 3), np.float32), "W"),
             numpy_helper.from_array(np.ones((1, 2, 2), np.float32), "R")])
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]),
                  self.path("r.onnx"))
        with self.assertRaisesRegex(convert.ConvertError, "rnn_node.*activations"):
            convert.convert(self.path("r.onnx"), self.path("o.safetensors"), quiet=True)
        path = self.graph(rng, "LSTM", 1, {"input_forget": 1}, peephole=True)
        with self.assertRaisesRegex(convert.ConvertError, "lstm_node.*input_forget=1 with "
                                                          "peepholes"):
            convert.convert(path, self.path("o.safetensors"), quiet=True)


def print_worst(cls, reference):
    for case, err in sorted(getattr(cls, "worst", {}).items()):
        print(f"  {case}: max |rnnrt - {reference}| / max(1, |y|) = {err:.2e}")


if __name__ == "__main__":
    print(f"rnnrt {rnnrt.version()} from {rnnrt.library_path}")
    classes = {"pt": [PyTorch], "keras": [Keras, KerasItself],
               "onnx": [Onnx, OnnxRuntime]}[FORMAT]
    suite = unittest.TestSuite(unittest.defaultTestLoader.loadTestsFromTestCase(c)
                               for c in classes)
    ok = unittest.TextTestRunner(verbosity=2).run(suite).wasSuccessful()
    if FORMAT == "onnx" and not ORT_MISSING:
        print(f"ONNX Runtime {ort.__version__} as the reference:")
        print_worst(OnnxRuntime, "ONNX Runtime")
    if FORMAT == "keras" and not KERAS_MISSING:
        print(f"Keras {keras.__version__} on {keras.backend.backend()} as the reference:")
        print_worst(KerasItself, "Keras")
    sys.exit(0 if ok else 1)
