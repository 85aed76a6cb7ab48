"""Convert recurrent models to rnnrt's safetensors files, then check that rnnrt agrees with
the source on a random input.

    /usr/bin/python3 tools/convert.py INPUT OUTPUT.safetensors [--format pt|keras|onnx]
                                      [--vocab TEXT] [--no-check] [--tolerance 1e-4]

Formats (from INPUT's extension unless --format says):
  pt     PyTorch .pt/.pth: a state_dict (possibly under "state_dict"/"model"), or a whole
         pickled module (torch.load; only load files you trust). The float tensors are written
         as they are (rnnrt reads PyTorch's names: docs/model-format.md). Needs python3-torch.
  keras  Keras .h5 (Keras 2 or 3 model.save(), or save_weights()) or .keras (Keras 3 zip;
         its weights are found as Keras 3 stores them, by layer class and position). Layers
         Embedding?, LSTM/GRU/SimpleRNN/Bidirectional(one of them) (stacked, concat), Dense?
         (linear or softmax, which is left out: rnnrt gives logits) in a chain; Dropout and
         InputLayer are skipped. Keras' kernel [I, 4H] (gates i, f, c, o) and recurrent
         kernel become weight_ih/weight_hh; GRU gates z, r, h become r, z, n:
         reset_after=True (Keras' default, bias [2, 3H]) is PyTorch's GRU, reset_after=False
         (one input bias [3H], into bias_ih, bias_hh zero) is rnnrt.cell=gru_reset_before;
         SimpleRNN (tanh or relu) is rnnrt.cell=rnn_tanh / rnn_relu. Embedding(mask_zero=
         True) with trailing padding: pass the lengths. return_sequences=False: take
         rnnrt's last step.
         go_backwards=True (without Bidirectional) gives rnnrt.direction=reverse for that
         layer and, since Keras hands the next layer its outputs in the order it computed
         them, for the layers after it until the next go_backwards; where the last layer
         runs backward, Keras' output sequence is rnnrt's reversed in time (Keras' step k
         is rnnrt's step T-1-k; return_sequences=False: rnnrt's step 0).
         Refused, naming the layer and attribute: go_backwards inside Bidirectional, other
         activations (SimpleRNN: tanh or relu), merge_mode other than concat, a GRU of a
         weights-only .h5 without a bias (reset_after cannot be told), other layers. Needs
         python3-h5py.
  onnx   ONNX LSTM, GRU and RNN nodes, in graph order as stacked layers (as torch.onnx.export
         writes them): gate order i, o, f, c (LSTM) and z, r, h (GRU) become PyTorch's;
         GRU linear_before_reset=1 is PyTorch's GRU, linear_before_reset=0 (the default)
         rnnrt.cell=gru_reset_before; RNN (activations Tanh or Relu) is
         rnnrt.cell=rnn_tanh / rnn_relu;
         B = [Wb, Rb]; forward, reverse (rnnrt.direction=reverse, one word per node
         when they differ; sequence_lens reverse each sequence within its length, as ONNX
         Runtime does) or bidirectional; clip (the same in every node) gives rnnrt.clip;
         peepholes (P) give
         rnnrt.cell=lstm_peephole; input_forget=1 gives lstm_coupled with the negated i
         weights in rnnrt's f slot (ONNX Runtime computes i and f = 1 - i, rnnrt f and
         i = 1 - f). sequence_lens and initial_h/initial_c are run-time inputs (lengths,
         rnnrt_state_write). Refused, naming the node and attribute: layout=1, other
         activations (RNN: Tanh or Relu), input_forget=1 with p_i/p_o peepholes, clips that
         differ between nodes or are not positive. Other nodes (an exported embedding's
         Gather, a head's Gemm) are not converted. Needs python3-onnx.

The check runs the written file through rnnrt (the installed package, `pip install .`, or
else the clone's python/rnnrt over librnnrt.so: $RNNRT_LIB or a build*/ tree) and the
source: PyTorch itself for pt; a NumPy implementation of Keras' and of ONNX Runtime's
equations, computed from the source file's own weights, for keras and onnx (Debian ships
neither). tests/python/test_convert.py checks the converter against Keras 3 and ONNX Runtime
themselves where they are installed (tools/setup_peer_venv.sh). It fails (exit 1) when the
largest difference relative to max(1, |reference|) exceeds the tolerance.
"""
import argparse
import io
import json
import os
import re
import sys
import zipfile

import numpy as np

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import safetensors_io as st  # noqa: E402


class ConvertError(Exception):
    pass


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


# ---- the common result -----------------------------------------------------------------------

class Converted:
    """Tensors in rnnrt's (PyTorch's) names plus metadata, and a reference to check against:
    reference(inputs, kind) -> outputs, kind being 'tokens' (ids [T,B]) or 'floats' ([T,B,I])."""

    def __init__(self):
        self.tensors = {}
        self.metadata = {}
        self.reference = None
        self.notes = []


def rnn_tensor_names(prefix, k, reverse):
    s = f"_l{k}" + ("_reverse" if reverse else "")
    return {n: f"{prefix}{n}{s}" for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh",
                                            "weight_ci", "weight_cf", "weight_co")}


def np_rnn(layers, x, cell, H):
    """x [T,B,I] through stacked layers, each a list of per-direction dicts with float64
    arrays in PyTorch's layout (weight_ih, weight_hh, bias_ih, bias_hh, optional peepholes
    p_i, p_f, p_o). cell: lstm, gru, gru_reset_before, lstm_peephole, lstm_coupled. Zero
    initial state."""
    inp = x.astype(np.float64)
    T, B = inp.shape[:2]
    for dirs in layers:
        outs = []
        for d, w in enumerate(dirs):
            h = np.zeros((B, H))
            c = np.zeros((B, H))
            y = np.zeros((T, B, H))
            steps = range(T) if d == 0 else range(T - 1, -1, -1)
            for t in steps:
                gi = inp[t] @ w["weight_ih"].T + w["bias_ih"]
                gh = h @ w["weight_hh"].T + w["bias_hh"]
                if cell == "gru":
                    r = sigmoid(gi[:, :H] + gh[:, :H])
                    z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
                    n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
                    h = (1 - z) * n + z * h
                elif cell == "gru_reset_before":
                    r = sigmoid(gi[:, :H] + gh[:, :H])
                    z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
                    n = np.tanh(gi[:, 2 * H:] + (r * h) @ w["weight_hh"][2 * H:].T +
                                w["bias_hh"][2 * H:])
                    h = (1 - z) * n + z * h
                else:
                    a = gi + gh
                    if cell == "lstm_coupled":
                        f = sigmoid(a[:, :H])
                        i, g, o_pre = 1 - f, np.tanh(a[:, H:2 * H]), a[:, 2 * H:]
                    else:
                        ip, f_pre = a[:, :H], a[:, H:2 * H]
                        if cell == "lstm_peephole":
                            ip, f_pre = ip + w["p_i"] * c, f_pre + w["p_f"] * c
                        i, f = sigmoid(ip), sigmoid(f_pre)
                        g, o_pre = np.tanh(a[:, 2 * H:3 * H]), a[:, 3 * H:]
                    c = f * c + i * g
                    if cell == "lstm_peephole":
                        o_pre = o_pre + w["p_o"] * c
                    h = sigmoid(o_pre) * np.tanh(c)
                y[t] = h
            outs.append(y)
        inp = np.concatenate(outs, axis=2)
    return inp


# ---- PyTorch ---------------------------------------------------------------------------------

EMBEDDING_NAMES = ("embedding", "embeddings", "embed", "emb", "encoder", "word_embeddings",
                   "tok_embeddings", "token_embedding")
HEAD_NAMES = ("fc", "head", "linear", "decoder", "out", "output", "classifier", "dense",
              "lm_head")


def find_stack_names(tensors, prefix, in_size, out_size):
    """The embedding and head rnnrt recognizes (docs/model-format.md), for the reference."""
    p = prefix[:-1] if prefix.endswith(".") else prefix
    parent = p[:p.rfind(".") + 1] if "." in p else ""

    def pick(names, cols):
        got = [parent + n for n in names if parent + n + ".weight" in tensors and
               tensors[parent + n + ".weight"].ndim == 2 and
               tensors[parent + n + ".weight"].shape[1] == cols]
        return got[0] if len(got) == 1 else None
    return pick(EMBEDDING_NAMES, in_size), pick(HEAD_NAMES, out_size)


def from_pytorch(path):
    import torch
    from torch import nn
    obj = torch.load(path, map_location="cpu")
    module = obj if isinstance(obj, nn.Module) else None
    sd = module.state_dict() if module is not None else obj
    for key in ("state_dict", "model_state_dict", "model"):
        if isinstance(sd, dict) and key in sd and isinstance(sd[key], dict):
            sd = sd[key]
    if not isinstance(sd, dict) or not any(k.endswith("weight_ih_l0") for k in sd):
        raise ConvertError("no recurrent layer (no tensor named *weight_ih_l0) in " + path)
    out = Converted()
    for name, t in sd.items():
        if torch.is_tensor(t) and t.is_floating_point():
            out.tensors[name] = t.detach().float().numpy()
    prefixes = sorted({k[:-len("weight_ih_l0")] for k in sd if k.endswith("weight_ih_l0")})
    if len(prefixes) > 1:
        raise ConvertError(f"several recurrent modules {prefixes}: convert a state_dict of one")
    prefix = prefixes[0]
    rnn_sd = {k[len(prefix):]: sd[k].float() for k in sd
              if k.startswith(prefix) and "." not in k[len(prefix):]}
    I = rnn_sd["weight_ih_l0"].shape[1]
    has_proj = "weight_hr_l0" in rnn_sd
    H = rnn_sd["weight_hr_l0"].shape[1] if has_proj else rnn_sd["weight_hh_l0"].shape[1]
    P = rnn_sd["weight_hr_l0"].shape[0] if has_proj else 0
    L = sum(1 for k in rnn_sd if k.startswith("weight_ih_l") and "reverse" not in k)
    bidir = "weight_ih_l0_reverse" in rnn_sd
    gates = rnn_sd["weight_ih_l0"].shape[0] // H
    cls = nn.LSTM if gates == 4 else nn.GRU
    kw = dict(proj_size=P) if cls is nn.LSTM else {}
    rnn = cls(I, H, num_layers=L, bias="bias_ih_l0" in rnn_sd, bidirectional=bidir, **kw)
    rnn.load_state_dict(rnn_sd)
    out_size = (2 if bidir else 1) * (P or H)
    emb_name, head_name = find_stack_names(out.tensors, prefix, I, out_size)

    def linear(name):
        w = torch.from_numpy(out.tensors[name + ".weight"])
        b = out.tensors.get(name + ".bias")
        return lambda y: y @ w.T + (0 if b is None else torch.from_numpy(b))

    emb = torch.from_numpy(out.tensors[emb_name + ".weight"]) if emb_name else None
    head = linear(head_name) if head_name else None

    def reference(inputs, kind):
        with torch.no_grad():
            x = emb[torch.from_numpy(inputs).long()] if kind == "tokens" else \
                torch.from_numpy(inputs)
            y, _ = rnn(x)
            return (head(y) if head else y).numpy()
    out.reference = reference
    out.notes.append(f"PyTorch {cls.__name__} under '{prefix}', {L} layer(s)"
                     + (f", embedding '{emb_name}'" if emb_name else "")
                     + (f", head '{head_name}'" if head_name else ""))
    return out


# ---- Keras -----------------------------------------------------------------------------------

def keras_layers(path):
    """[(class_name, config, [weights as np arrays in Keras' order])] of a .h5 or .keras."""
    import h5py
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            config = json.loads(z.read("config.json"))
            weights = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
        return keras3_layers(config, weights)
    f = h5py.File(path, "r")
    config = f.attrs.get("model_config")
    group = f["model_weights"] if "model_weights" in f else f
    classes = {}
    if config is not None:
        config = json.loads(config.decode() if isinstance(config, bytes) else config)
        for layer in layer_configs(config):
            classes[layer["config"]["name"]] = layer
    layers = []
    for name in group.attrs["layer_names"]:
        name = name.decode() if isinstance(name, bytes) else name
        g = group[name]
        names = [n.decode() if isinstance(n, bytes) else n for n in g.attrs["weight_names"]]
        weights = [np.array(g[n]) for n in names]
        layer = classes.get(name) or guess_layer(name, names, weights)
        layers.append((layer["class_name"], layer.get("config", {}), weights, names))
    return layers


def layer_configs(config):
    c = config.get("config", config)
    layers = c["layers"] if isinstance(c, dict) else c
    return layers


def keras_snake_case(name):
    """Keras 3's naming.to_snake_case: the weights file's name for a layer class."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def keras3_layers(config, weights):
    """Keras 3 stores a container's layers in model.weights.h5 under layers/<class in
    snake case>, with _1, _2, ... for the second and later layers of one class (not under
    the layers' names); the InputLayer is not among them."""
    layers = []
    seen = {}
    for layer in layer_configs(config):
        name, cls = layer["config"]["name"], layer["class_name"]
        key = None
        if cls != "InputLayer":
            base = keras_snake_case(cls)
            key = base + (f"_{seen[base]}" if seen.get(base) else "")
            seen[base] = seen.get(base, 0) + 1
        group = weights["layers"] if "layers" in weights else {}
        g = group[key] if key is not None and key in group else \
            group[name] if name in group else None
        if g is None:
            layers.append((cls, layer["config"], [], []))
            continue

        def var_list(group):
            vs = group.get("vars")
            return [np.array(vs[str(k)]) for k in range(len(vs))] if vs is not None else []
        if cls == "Bidirectional":
            ws = []
            for part in ("forward_layer", "backward_layer"):
                ws += var_list(g[part]["cell"])
        elif cls in KERAS_RECURRENT:
            ws = var_list(g["cell"])
        else:
            ws = var_list(g)
        layers.append((cls, layer["config"], ws, []))
    return layers


def guess_layer(name, names, weights):
    """A weights-only .h5 has no config: tell the layer from its weights' names and shapes."""
    tails = [n.split("/")[-1].split(":")[0] for n in names]
    if not tails:
        return {"class_name": "NoWeights"}  # Dropout, InputLayer, ...
    if tails == ["embeddings"]:
        return {"class_name": "Embedding"}
    if "recurrent_kernel" in tails:
        k = weights[tails.index("kernel")]
        rk = weights[tails.index("recurrent_kernel")]
        # a weights-only file has no activation: SimpleRNN's default, tanh, is assumed
        cls = "LSTM" if k.shape[1] == 4 * rk.shape[0] else \
            "SimpleRNN" if k.shape[1] == rk.shape[0] else "GRU"
        # a GRU's bias tells reset_after: [2, 3H] True, [3H] False; without one, unknown
        biases = [w for t, w in zip(tails, weights) if t == "bias"]
        cfg = {"reset_after": None if cls == "GRU" and not biases else
               cls == "GRU" and biases[0].ndim == 2}
        if len(tails) > 3 or any("backward" in n for n in names):
            return {"class_name": "Bidirectional", "config": {"layer": {
                "class_name": cls, "config": cfg}, "merge_mode": "concat"}}
        return {"class_name": cls, "config": cfg}
    if tails[:1] == ["kernel"]:
        return {"class_name": "Dense"}
    return {"class_name": "Unknown:" + name}


KERAS_RECURRENT = ("LSTM", "GRU", "SimpleRNN")


def keras_cell_name(cls, cfg):
    """rnnrt.cell of a Keras recurrent layer (SimpleRNN: by its activation)."""
    if cls == "SimpleRNN":
        return "rnn_" + str(cfg.get("activation", "tanh"))
    if cls == "GRU" and cfg.get("reset_after", True) is False:
        return "gru_reset_before"
    return cls.lower()


def keras_cell(cls, cfg, kernel, rk, bias, H, lname):
    """One direction of a Keras LSTM/GRU/SimpleRNN -> (PyTorch-layout dict, has a bias)."""
    if cls == "SimpleRNN":  # h = activation(x kernel + h recurrent_kernel + bias)
        if cfg.get("activation", "tanh") not in ("tanh", "relu"):
            raise ConvertError(f"{lname}: activation={cfg.get('activation')}; rnnrt computes "
                               "tanh or relu")
        b = bias if bias is not None else np.zeros(H, np.float32)
        return {"weight_ih": kernel.T, "weight_hh": rk.T, "bias_ih": b,
                "bias_hh": np.zeros_like(b)}, bias is not None
    if cfg.get("activation", "tanh") != "tanh" or \
            cfg.get("recurrent_activation", "sigmoid") != "sigmoid":
        raise ConvertError(f"{lname}: activation={cfg.get('activation')}, recurrent_activation="
                           f"{cfg.get('recurrent_activation')}; rnnrt computes tanh / sigmoid")
    if cls == "LSTM":  # i f c o is PyTorch's i f g o
        b = bias if bias is not None else np.zeros(4 * H, np.float32)
        return {"weight_ih": kernel.T, "weight_hh": rk.T, "bias_ih": b,
                "bias_hh": np.zeros_like(b)}, bias is not None
    reset_after = cfg.get("reset_after", True)
    if reset_after is None:
        raise ConvertError(f"{lname}: a GRU without a bias in a weights-only file; whether it "
                           "is reset_after=True or False cannot be told (save the model with "
                           "its config)")
    perm = np.concatenate([np.arange(H, 2 * H), np.arange(H), np.arange(2 * H, 3 * H)])
    want = (2, 3 * H) if reset_after else (3 * H,)
    if bias is not None and bias.shape != want:
        raise ConvertError(f"{lname}: reset_after={reset_after} with a bias of shape "
                           f"{list(bias.shape)}, expected {list(want)}")
    if not reset_after:  # one input bias, outside the reset gate: rnnrt's b_ih, b_hh = 0
        b = bias if bias is not None else np.zeros(3 * H, np.float32)
        return {"weight_ih": kernel.T[perm], "weight_hh": rk.T[perm], "bias_ih": b[perm],
                "bias_hh": np.zeros_like(b)}, bias is not None
    b = bias if bias is not None else np.zeros((2, 3 * H), np.float32)
    return {"weight_ih": kernel.T[perm], "weight_hh": rk.T[perm], "bias_ih": b[0][perm],
            "bias_hh": b[1][perm]}, bias is not None


def keras_reference_rnn(cls, w, x, H, backwards, activation="tanh", reset_after=True):
    """Keras' own equations, from Keras-layout weights: x [T,B,I] -> [T,B,H]."""
    kernel, rk, bias = (a.astype(np.float64) if a is not None else None for a in w)
    T, B = x.shape[:2]
    h, c = np.zeros((B, H)), np.zeros((B, H))
    y = np.zeros((T, B, H))
    for t in (range(T - 1, -1, -1) if backwards else range(T)):
        if cls == "LSTM":
            z = x[t] @ kernel + h @ rk + (0 if bias is None else bias)
            i, f = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H])
            c = f * c + i * np.tanh(z[:, 2 * H:3 * H])
            h = sigmoid(z[:, 3 * H:]) * np.tanh(c)
        elif cls == "SimpleRNN":
            z = x[t] @ kernel + h @ rk + (0 if bias is None else bias)
            h = np.maximum(z, 0.0) if activation == "relu" else np.tanh(z)
        elif not reset_after:  # the input bias only; r scales h before the product
            mx = x[t] @ kernel + (0 if bias is None else bias)
            zg = sigmoid(mx[:, :H] + h @ rk[:, :H])
            r = sigmoid(mx[:, H:2 * H] + h @ rk[:, H:2 * H])
            hh = np.tanh(mx[:, 2 * H:] + (r * h) @ rk[:, 2 * H:])
            h = zg * h + (1 - zg) * hh
        else:
            b = np.zeros((2, 3 * H)) if bias is None else bias
            mx, mh = x[t] @ kernel + b[0], h @ rk + b[1]
            zg = sigmoid(mx[:, :H] + mh[:, :H])
            r = sigmoid(mx[:, H:2 * H] + mh[:, H:2 * H])
            hh = np.tanh(mx[:, 2 * H:] + r * mh[:, 2 * H:])
            h = zg * h + (1 - zg) * hh
        y[t] = h
    return y


def from_keras(path):
    layers = [lay for lay in keras_layers(path)
              if lay[0] not in ("InputLayer", "Dropout", "SpatialDropout1D", "NoWeights")]
    out = Converted()
    emb = head = None
    rnns = []  # (cls, cfg, [(keras weights), ...] per direction)
    for cls, cfg, weights, _ in layers:
        lname = f"layer '{cfg['name']}' ({cls})" if cfg.get("name") else f"layer {cls}"
        if cls == "Embedding":
            if rnns or emb is not None:
                raise ConvertError(f"{lname}: an Embedding must come first")
            emb = weights[0]
            if cfg.get("mask_zero"):
                out.notes.append("Embedding mask_zero=True: give rnnrt each sequence's length "
                                 "(its steps before the padding id 0); past a length rnnrt "
                                 "outputs zeros where Keras repeats the last output")
        elif cls in KERAS_RECURRENT + ("Bidirectional",):
            if head is not None:
                raise ConvertError(f"{lname} after the Dense head")
            inner_cls, inner_cfg = cls, cfg
            if cls == "Bidirectional":
                inner = cfg.get("layer", {})
                inner_cls, inner_cfg = inner.get("class_name"), inner.get("config", {})
                if cfg.get("merge_mode", "concat") != "concat":
                    raise ConvertError(f"{lname}: merge_mode={cfg.get('merge_mode')}; rnnrt "
                                       "concatenates the directions ('concat')")
                if inner_cfg.get("go_backwards"):
                    raise ConvertError(f"{lname}: go_backwards=True inside Bidirectional (the "
                                       "forward half reading backward) is not supported")
            if not inner_cfg.get("return_sequences", True):
                out.notes.append(f"{lname} has return_sequences=False: Keras' output is rnnrt's "
                                 "last step (last_step_only)" + (
                                     ", except the backward half, which is rnnrt's final state"
                                     if cls == "Bidirectional" else ""))
            per = len(weights) // (2 if cls == "Bidirectional" else 1)
            dirs = [weights[k:k + per] for k in range(0, len(weights), per)]
            dirs = [(d[0], d[1], d[2] if len(d) > 2 else None) for d in dirs]
            rnns.append((inner_cls, inner_cfg, dirs, lname))
        elif cls == "Dense":
            if not rnns:
                raise ConvertError(f"{lname} before the recurrent layers")
            if cfg.get("activation", "linear") not in ("linear", "softmax", None):
                raise ConvertError(f"{lname}: activation={cfg.get('activation')}; rnnrt's head "
                                   "is linear")
            if cfg.get("activation") == "softmax":
                out.notes.append("the Dense softmax is left out: rnnrt gives its logits")
            head = (weights[0], weights[1] if len(weights) > 1 else None)
        else:
            raise ConvertError(f"{lname} is not supported (rnnrt converts Embedding, LSTM, GRU, "
                               "SimpleRNN, Bidirectional, Dense, Dropout)")
    if not rnns:
        raise ConvertError("no LSTM/GRU/SimpleRNN layer in " + path)
    cell = keras_cell_name(rnns[0][0], rnns[0][1])
    if any(keras_cell_name(r[0], r[1]) != cell for r in rnns) or \
            len({len(r[2]) for r in rnns}) != 1:
        raise ConvertError("stacked recurrent layers must all be of one cell (LSTM, GRU of one "
                           "reset_after, or SimpleRNN with one activation), with the same "
                           "directions")
    H = rnns[0][2][0][1].shape[0]
    has_bias = None
    for k, (cls, cfg, dirs, lname) in enumerate(rnns):
        if dirs[0][1].shape[0] != H:
            raise ConvertError(f"{lname}: stacked layers of different sizes; rnnrt needs one "
                               "hidden size")
        for d, (kernel, rk, bias) in enumerate(dirs):
            w, biased = keras_cell(cls, cfg, kernel, rk, bias, H, lname)
            if has_bias is not None and biased != has_bias:
                raise ConvertError("some layers have biases and some do not")
            has_bias = biased
            names = rnn_tensor_names("rnn.", k, d == 1)
            for key in ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if biased else ()):
                out.tensors[names[key]] = np.ascontiguousarray(w[key], np.float32)
    out.metadata["rnnrt.cell"] = cell
    # Keras' go_backwards reverses the layer's input and returns its outputs in the order it
    # computed them, so the next layer reads them backward in time too: layer k runs backward
    # in time when an odd number of layers up to it have go_backwards.
    backward, flips = [], False
    for cls, cfg, dirs, lname in rnns:
        flips ^= len(dirs) == 1 and bool(cfg.get("go_backwards"))
        backward.append(flips)
    if any(backward):
        words = ["reverse" if b else "forward" for b in backward]
        out.metadata["rnnrt.direction"] = "reverse" if all(backward) else ",".join(words)
        if backward[-1]:
            out.notes.append("go_backwards: Keras returns the last layer's outputs in the order "
                             "it computed them, from the last step to the first; rnnrt writes "
                             "the output of step t at t, so Keras' sequence is rnnrt's reversed "
                             "in time (with return_sequences=False Keras' output is rnnrt's "
                             "step 0, or with lengths, rnnrt's step 0 of each sequence)")
    if emb is not None:
        out.tensors["embedding.weight"] = np.ascontiguousarray(emb, np.float32)
        out.metadata["rnnrt.embedding"] = "embedding"
    if head is not None:
        out.tensors["fc.weight"] = np.ascontiguousarray(head[0].T, np.float32)
        if head[1] is not None:
            out.tensors["fc.bias"] = np.ascontiguousarray(head[1], np.float32)
        out.metadata["rnnrt.head"] = "fc"

    def reference(inputs, kind):
        x = emb[inputs].astype(np.float64) if kind == "tokens" else inputs.astype(np.float64)
        for cls, cfg, dirs, _ in rnns:
            act, ra = cfg.get("activation", "tanh"), cfg.get("reset_after", True)
            if len(dirs) == 1 and cfg.get("go_backwards"):  # outputs in computing order
                x = keras_reference_rnn(cls, dirs[0], x, H, True, act, ra)[::-1]
                continue
            ys = [keras_reference_rnn(cls, dirs[0], x, H, False, act, ra)]
            if len(dirs) == 2:  # Keras re-reverses the backward output to align the steps
                ys.append(keras_reference_rnn(cls, dirs[1], x, H, True, act, ra))
            x = np.concatenate(ys, axis=2)
        if backward[-1]:  # Keras' order -> rnnrt's (the output of step t at t)
            x = x[::-1]
        if head is not None:
            x = x @ head[0].astype(np.float64) + (0 if head[1] is None else head[1])
        return x
    out.reference = reference
    out.notes.append(f"Keras {len(rnns)} x {cell}{' (bidirectional)' if len(rnns[0][2]) == 2 else ''}"
                     f" of {H} units" + (", Embedding" if emb is not None else "")
                     + (", Dense head" if head is not None else ""))
    return out


# ---- ONNX ------------------------------------------------------------------------------------

ONNX_RECURRENT = ("LSTM", "GRU", "RNN")


def onnx_reference_node(op, attrs, W, R, B, P, x):
    """The ONNX specification's LSTM / GRU / RNN on x [T,B,I] (float64): Y as [T,B,D*H].
    direction=reverse runs its one direction from T-1 to 0; clip clamps every gate's
    pre-activation (as ONNX Runtime does: with the peepholes and, for the GRU's h gate, the
    reset product inside)."""
    D, G, _ = W.shape
    H = R.shape[2]
    T, Bt = x.shape[:2]
    clip = attrs.get("clip")
    k = (lambda v: np.clip(v, -clip, clip)) if clip else (lambda v: v)  # noqa: E731
    reverse = onnx_direction(attrs) == "reverse"
    outs = []
    for d in range(D):
        w, r = W[d].astype(np.float64), R[d].astype(np.float64)
        wb = B[d][:G].astype(np.float64) if B is not None else np.zeros(G)
        rb = B[d][G:].astype(np.float64) if B is not None else np.zeros(G)
        h, c = np.zeros((Bt, H)), np.zeros((Bt, H))
        y = np.zeros((T, Bt, H))
        for t in (range(T) if d == 0 and not reverse else range(T - 1, -1, -1)):
            if op == "LSTM":
                p = P[d].astype(np.float64) if P is not None else np.zeros(3 * H)
                g = x[t] @ w.T + h @ r.T + wb + rb
                gi, go, gf, gc = (g[:, j * H:(j + 1) * H] for j in range(4))
                # input_forget couples f to i (ONNX Runtime: f = 1 - i; the f weights and
                # the f peephole are not used)
                i = sigmoid(k(gi + p[:H] * c))
                f = 1 - i if attrs.get("input_forget", 0) else sigmoid(k(gf + p[2 * H:] * c))
                c = f * c + i * np.tanh(k(gc))
                o = sigmoid(k(go + p[H:2 * H] * c))
                h = o * np.tanh(c)
            elif op == "RNN":  # Ht = f(Xt W^T + Ht-1 R^T + Wb + Rb), f Tanh or Relu
                a = k(x[t] @ w.T + h @ r.T + wb + rb)
                relu = [v.decode() if isinstance(v, bytes) else v
                        for v in attrs.get("activations", [])][:1] == ["Relu"]
                h = np.maximum(a, 0.0) if relu else np.tanh(a)
            else:
                gx = x[t] @ w.T + wb
                gz = sigmoid(k(gx[:, :H] + h @ r[:H].T + rb[:H]))
                gr = sigmoid(k(gx[:, H:2 * H] + h @ r[H:2 * H].T + rb[H:2 * H]))
                if attrs.get("linear_before_reset", 0):
                    gh = np.tanh(k(gx[:, 2 * H:] + gr * (h @ r[2 * H:].T + rb[2 * H:])))
                else:  # the specification's default: r scales h before R_h
                    gh = np.tanh(k(gx[:, 2 * H:] + (gr * h) @ r[2 * H:].T + rb[2 * H:]))
                h = (1 - gz) * gh + gz * h
            y[t] = h
        outs.append(y)
    return np.concatenate(outs, axis=2)


def onnx_direction(attrs):
    direction = attrs.get("direction", b"forward")
    return direction.decode() if isinstance(direction, bytes) else direction


def onnx_node_label(node, index):
    return f"node '{node.name}' ({node.op_type})" if node.name else \
        f"{node.op_type} node #{index}"


def from_onnx(path):
    import onnx
    from onnx import numpy_helper
    model = onnx.load(path)
    values = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value":
                    values[node.output[0]] = numpy_helper.to_array(a.t)
    nodes = [n for n in model.graph.node if n.op_type in ONNX_RECURRENT]
    if not nodes:
        raise ConvertError("no LSTM, GRU or RNN node in " + path)
    op = nodes[0].op_type
    if any(n.op_type != op for n in nodes):
        raise ConvertError("the graph mixes " + " and ".join(sorted({n.op_type for n in nodes}))
                           + " nodes: rnnrt stacks layers of one cell")
    out = Converted()
    layers, cell, D, H, clip, directions = [], None, None, None, None, []
    for k, node in enumerate(nodes):
        label = onnx_node_label(node, k)
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        direction = onnx_direction(attrs)
        if direction not in ("forward", "reverse", "bidirectional"):
            raise ConvertError(f"{label}: direction={direction}; expected forward, reverse or "
                               "bidirectional")
        directions.append(direction)
        node_clip = attrs.get("clip")
        if node_clip is not None and not (np.isfinite(node_clip) and node_clip > 0):
            raise ConvertError(f"{label}: clip={node_clip:g}; rnnrt clips with a positive "
                               "finite bound")
        if k and node_clip != clip:
            raise ConvertError(f"{label}: clip={node_clip} where the previous nodes have "
                               f"{clip}: rnnrt has one clip for the whole stack")
        clip = node_clip
        if attrs.get("layout", 0):
            raise ConvertError(f"{label}: layout=1 (batch-first) is not supported; rnnrt "
                               "takes time-major input")
        acts = [a.decode() if isinstance(a, bytes) else a for a in attrs.get("activations", [])]
        default = {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"],
                   "RNN": ["Tanh"]}[op]
        rnn_act = "Tanh"
        if op == "RNN" and acts and acts in (["Relu"], ["Relu", "Relu"]):
            rnn_act = "Relu"
        elif acts and acts != default * (len(acts) // len(default)):
            raise ConvertError(f"{label}: activations={acts}; rnnrt computes {default}" + (
                " or ['Relu'], the same in both directions" if op == "RNN" else ""))
        inputs = list(node.input) + [""] * 8

        def get(i):
            name = inputs[i]
            if not name:
                return None
            if name not in values:
                raise ConvertError(f"{label}: input '{name}' is not a constant")
            return values[name].astype(np.float32)
        W, R, B = get(1), get(2), get(3)
        for i, what in ((5, "initial_h"), (6, "initial_c")):
            if inputs[i] in values and np.any(values[inputs[i]]):
                raise ConvertError(f"{label}: {what} is a non-zero constant; rnnrt starts "
                                   "from the state the caller gives (rnnrt_state_write)")
        P = get(7) if op == "LSTM" else None
        coupled = op == "LSTM" and attrs.get("input_forget", 0)
        if coupled and P is not None and not np.any(P[:, :2 * R.shape[2]]):
            P = None  # only the f peephole, which input_forget=1 does not use
        if P is not None and not np.any(P):
            P = None
        if op == "RNN":
            node_cell = "rnn_" + rnn_act.lower()
        else:
            reset_before = op == "GRU" and not attrs.get("linear_before_reset", 0)
            node_cell = ("gru_reset_before" if reset_before else "gru") if op == "GRU" else (
                "lstm_coupled" if coupled else "lstm_peephole" if P is not None else "lstm")
        if node_cell == "lstm_coupled" and P is not None:
            raise ConvertError(f"{label}: input_forget=1 with peepholes (P) is not "
                               "supported: rnnrt's coupled cell has none")
        if cell not in (None, node_cell) or D not in (None, W.shape[0]) or \
                H not in (None, R.shape[2]):
            raise ConvertError(f"{label} differs from the previous nodes in cell, direction or "
                               "hidden size: rnnrt stacks layers of one kind")
        cell, D, H = node_cell, W.shape[0], R.shape[2]
        if k and W.shape[2] != D * H:
            raise ConvertError(f"{label} takes {W.shape[2]} inputs, not the "
                               f"previous node's {D * H}: the nodes are not a stack")
        layers.append((attrs, W, R, B, P))
        for d in range(D):
            names = rnn_tensor_names("rnn.", k, d == 1)
            G = W.shape[1]
            blocks = lambda a: [a[j * H:(j + 1) * H] for j in range(G // H)]  # noqa: E731
            # ONNX iofc -> ifgo; zrh -> rzn. Coupled: ONNX Runtime computes i from the i
            # weights and takes f = 1 - i, rnnrt computes f and takes i = 1 - f, so rnnrt's
            # f slot gets the negated i block: sigmoid(-z) = 1 - sigmoid(z).
            order = [0, 3, 1] if cell == "lstm_coupled" else [0, 2, 3, 1] if op == "LSTM" \
                else [1, 0, 2] if op == "GRU" else [0]
            sign = [-1, 1, 1] if cell == "lstm_coupled" else [1] * len(order)
            perm = lambda a: np.concatenate([s * blocks(a)[j]  # noqa: E731
                                             for s, j in zip(sign, order)])
            out.tensors[names["weight_ih"]] = perm(W[d])
            out.tensors[names["weight_hh"]] = perm(R[d])
            if B is not None:
                out.tensors[names["bias_ih"]] = perm(B[d][:G])
                out.tensors[names["bias_hh"]] = perm(B[d][G:])
            if P is not None:  # ONNX P = [p_i, p_o, p_f]
                out.tensors[names["weight_ci"]] = P[d][:H].copy()
                out.tensors[names["weight_co"]] = P[d][H:2 * H].copy()
                out.tensors[names["weight_cf"]] = P[d][2 * H:].copy()
    out.metadata["rnnrt.cell"] = cell
    if "reverse" in directions:  # one word per node: D is 1 for all of them here
        out.metadata["rnnrt.direction"] = "reverse" if set(directions) == {"reverse"} else \
            ",".join(directions)
    if clip is not None:  # ONNX Runtime clips with the attribute as float32
        out.metadata["rnnrt.clip"] = "%.9g" % np.float32(clip)
    others = sorted({n.op_type for n in model.graph.node} - set(ONNX_RECURRENT) - {"Constant"})
    if others:
        out.notes.append("not converted (only the recurrent nodes are): " + ", ".join(others))

    def reference(inputs, kind):
        x = inputs.astype(np.float64)
        for attrs, W, R, B, P in layers:
            x = onnx_reference_node(op, attrs, W, R, B, P, x)
        return x
    out.reference = reference
    out.notes.append(f"ONNX {len(nodes)} {op} node(s), cell {cell}, {D} direction(s) ("
                     f"{', '.join(directions)}), hidden {H}"
                     + (f", clip {clip:g}" if clip is not None else ""))
    return out


# ---- checking --------------------------------------------------------------------------------

def check(path, conv, tolerance, seed=0):
    try:
        import rnnrt
    except ImportError:
        sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python"))
        import rnnrt
    m = rnnrt.Model(path)
    rng = np.random.default_rng(seed)
    T, B = 7, 3
    if m.vocab_size:
        ids = rng.integers(0, m.vocab_size, size=(T, B)).astype(np.int32)
        got, ref = m.forward_tokens(ids), conv.reference(ids, "tokens")
    else:
        x = rng.standard_normal((T, B, m.input_size)).astype(np.float32)
        got = m.forward_head(x) if m.head_size else m.forward(x)
        ref = conv.reference(x, "floats")
    if got.shape != ref.shape:
        raise ConvertError(f"check: rnnrt gives shape {got.shape}, the source {ref.shape}")
    err = float(np.max(np.abs(got - ref) / np.maximum(1.0, np.abs(ref))))
    return err, err <= tolerance


def convert(inp, out, fmt=None, vocab=None, do_check=True, tolerance=1e-4, quiet=False):
    """Returns the largest relative difference found by the check (None without one)."""
    ext = os.path.splitext(inp)[1].lower()
    fmt = fmt or {".pt": "pt", ".pth": "pt", ".bin": "pt", ".h5": "keras", ".hdf5": "keras",
                  ".keras": "keras", ".onnx": "onnx"}.get(ext)
    if fmt not in ("pt", "keras", "onnx"):
        raise ConvertError(f"cannot tell the format of '{inp}': give --format pt|keras|onnx")
    conv = {"pt": from_pytorch, "keras": from_keras, "onnx": from_onnx}[fmt](inp)
    meta = dict(conv.metadata)
    meta["rnnrt.converted_from"] = f"{fmt}:{os.path.basename(inp)}"
    if vocab is not None:
        meta["rnnrt.vocab"] = vocab
    st.write(out, {n: np.ascontiguousarray(v, np.float32) for n, v in conv.tensors.items()},
             meta)
    if not quiet:
        for note in conv.notes:
            print(f"convert: {note}")
    if not do_check:
        return None
    err, ok = check(out, conv, tolerance)
    if not quiet or not ok:
        print(f"convert: rnnrt vs {({'pt': 'PyTorch', 'keras': 'Keras equations (NumPy)', 'onnx': 'ONNX Runtime equations (NumPy)'})[fmt]}"
              f" on a random input: max relative difference {err:.2e} "
              f"({'ok' if ok else 'FAILED'}, tolerance {tolerance:g})")
    if not ok:
        raise ConvertError("the converted model disagrees with the source")
    return err


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--format", choices=("pt", "keras", "onnx"))
    ap.add_argument("--vocab", help="the characters of token ids 0, 1, ... (rnnrt.vocab)")
    ap.add_argument("--no-check", action="store_true")
    ap.add_argument("--tolerance", type=float, default=1e-4)
    args = ap.parse_args(argv)
    try:
        convert(args.input, args.output, args.format, args.vocab, not args.no_check,
                args.tolerance)
    except ConvertError as e:
        print(f"convert: {e}", file=sys.stderr)
        return 1
    print(f"convert: wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
