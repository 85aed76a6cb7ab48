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
         SimpleRNN is rnnrt.cell=rnn_relu for relu, else rnn_tanh. recurrent_activation and
         activation (tanh, sigmoid, hard_sigmoid, relu, linear, elu, softsign, softplus,
         leaky_relu in Keras 3) become rnnrt.activation_functions where they are not the
         cell's own, per layer and direction (Bidirectional's backward_layer has its own);
         hard_sigmoid as the Keras version the file records computes it (keras_version:
         Keras 2 clip(0.2 x + 0.5, 0, 1), HardSigmoid(0.2,0.5); Keras 3 relu6(x + 3) / 6,
         HardSigmoid(0.16666667,0.5)). The file records rnnrt.layout=batch_major: rnnrt run
         and Model.forward take Keras' [batch, time, ...] by default.
         Embedding(mask_zero=True) with trailing padding: pass the lengths.
         return_sequences=False: take rnnrt's last step.
         go_backwards=True (without Bidirectional) gives rnnrt.direction=reverse for that
         layer and, since Keras hands the next layer its outputs in the order it computed
         them, for the layers after it until the next go_backwards; where the last layer
         runs backward, Keras' output sequence is rnnrt's reversed in time (Keras' step k
         is rnnrt's step T-1-k; return_sequences=False: rnnrt's step 0).
         Refused, naming the layer and attribute: go_backwards inside Bidirectional, other
         activations, hard_sigmoid in a file without keras_version, merge_mode other than
         concat, a GRU of a weights-only .h5 without a bias (reset_after cannot be told),
         other layers. A weights-only .h5 has no activations: Keras' defaults are assumed.
         Needs python3-h5py.
  onnx   ONNX LSTM, GRU and RNN nodes, in graph order as stacked layers (as torch.onnx.export
         writes them): gate order i, o, f, c (LSTM) and z, r, h (GRU) become PyTorch's;
         GRU linear_before_reset=1 is PyTorch's GRU, linear_before_reset=0 (the default)
         rnnrt.cell=gru_reset_before; RNN is rnnrt.cell=rnn_relu where every direction's
         function is Relu, else rnn_tanh;
         activations, activation_alpha and activation_beta become
         rnnrt.activation_functions (per layer and direction) as ONNX Runtime reads them:
         LSTM and GRU names in any case, alphas and betas taken in order by the functions
         that use them, then LeakyRelu 0.01, HardSigmoid 0.2, 0.5, Elu 1 and 0 for the
         others; RNN names as spelt, alpha and beta per direction, 0 without them;
         layout=1 (the same in every node) gives rnnrt.layout=batch_major: X [B, T, I] and
         Y [B, T, D*H] by default in rnnrt run and Model.forward (initial_h/c stay
         [D, B, H], rnnrt's h_n layout);
         B = [Wb, Rb]; forward, reverse (rnnrt.direction=reverse, one word per node
         when they differ; sequence_lens reverse each sequence within its length, as ONNX
         Runtime does) or bidirectional; clip (the same in every node) gives rnnrt.clip;
         peepholes (P) give
         rnnrt.cell=lstm_peephole; input_forget=1 gives lstm_coupled with the negated i
         weights in rnnrt's f slot (ONNX Runtime computes i and f = 1 - i, rnnrt f and
         i = 1 - f; so f(-x) must be 1 - f(x): Sigmoid, or HardSigmoid or Affine with beta
         0.5). sequence_lens and initial_h/initial_c are run-time inputs (lengths,
         rnnrt_state_write). Refused, naming the node and attribute: unknown activations or
         a count other than the node's, non-finite alphas and betas, layouts that differ
         between nodes, input_forget=1 with p_i/p_o peepholes or another f, clips that
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


# ---- gate functions (rnnrt.activation_functions, docs/model-format.md) ------------------------

# ONNX's functions and how many parameters each takes (alpha, then beta)
ONNX_FUNCTIONS = {"Relu": 0, "Tanh": 0, "Sigmoid": 0, "Affine": 2, "LeakyRelu": 1,
                  "ThresholdedRelu": 1, "ScaledTanh": 2, "HardSigmoid": 2, "Elu": 1,
                  "Softsign": 0, "Softplus": 0}
# each cell's own functions (rnnrt computes them without the key)
CELL_FUNCTIONS = {"lstm": ["Sigmoid", "Tanh", "Tanh"], "lstm_peephole": ["Sigmoid", "Tanh", "Tanh"],
                  "lstm_coupled": ["Sigmoid", "Tanh", "Tanh"], "gru": ["Sigmoid", "Tanh"],
                  "gru_reset_before": ["Sigmoid", "Tanh"], "rnn_tanh": ["Tanh"],
                  "rnn_relu": ["Relu"]}


def np_function(fn):
    """A gate function (name, alpha, beta) on float64 arrays."""
    name, a, b = fn
    return {"Sigmoid": sigmoid, "Tanh": np.tanh, "Relu": lambda v: np.maximum(v, 0.0),
            "Affine": lambda v: a * v + b,
            "LeakyRelu": lambda v: np.where(v >= 0, v, a * v),
            "ThresholdedRelu": lambda v: np.where(v > a, v, 0.0),
            "ScaledTanh": lambda v: a * np.tanh(b * v),
            "HardSigmoid": lambda v: np.clip(a * v + b, 0.0, 1.0),
            "Elu": lambda v: np.where(v >= 0, v, a * np.expm1(np.minimum(v, 0.0))),
            "Softsign": lambda v: v / (1.0 + np.abs(v)),
            "Softplus": lambda v: np.logaddexp(v, 0.0)}[name]


def float_text(v):
    """The float32 value v in the fewest digits that read back as it."""
    v = np.float32(v)
    text = np.format_float_positional(v, unique=True, trim="-")
    return text if len(text) <= 12 else np.format_float_scientific(v, unique=True, trim="-")


def function_text(fn):
    name, a, b = fn
    params = [float_text(a), float_text(b)][:ONNX_FUNCTIONS[name]]
    return name + (f"({','.join(params)})" if params else "")


def functions_metadata(cell, units):
    """rnnrt.activation_functions for units [[(name, alpha, beta), ...] per layer and
    direction], or None when every unit has the cell's own functions."""
    entries = [",".join(function_text(f) for f in u) for u in units]
    if all(e == ",".join(CELL_FUNCTIONS[cell]) for e in entries):
        return None
    return entries[0] if len(set(entries)) == 1 else ";".join(entries)


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


def keras_version(path):
    """The Keras version that wrote the file ("2.11.0", "3.5.0"), or None when it does not
    say: keras_version of an .h5's root or model_weights group, metadata.json of a .keras."""
    import h5py
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            if "metadata.json" in z.namelist():
                return json.loads(z.read("metadata.json")).get("keras_version")
        return None
    with h5py.File(path, "r") as f:
        for group in (f, f.get("model_weights")):
            v = group.attrs.get("keras_version") if group is not None else None
            if v is not None:
                return v.decode() if isinstance(v, bytes) else str(v)
    return None


def keras_function(name, version, lname, attr):
    """A Keras activation by name as an ONNX gate function (name, alpha, beta), exactly:
    Keras 2's hard_sigmoid is clip(0.2 x + 0.5, 0, 1), Keras 3's relu6(x + 3) / 6."""
    plain = {"tanh": "Tanh", "sigmoid": "Sigmoid", "relu": "Relu", "softsign": "Softsign",
             "softplus": "Softplus"}
    major = int(str(version).split(".")[0]) if version else None
    if name in plain:
        return (plain[name], 0.0, 0.0)
    if name in ("linear", None):
        return ("Affine", 1.0, 0.0)
    if name == "elu":
        return ("Elu", 1.0, 0.0)
    if name == "leaky_relu" and major is not None and major >= 3:  # negative_slope=0.2
        return ("LeakyRelu", 0.2, 0.0)
    if name == "hard_sigmoid":
        if major is None:
            raise ConvertError(f"{lname}: {attr}=hard_sigmoid, which Keras 2 and 3 compute "
                               "differently, and the file does not say which Keras wrote it "
                               "(no keras_version)")
        return ("HardSigmoid", 1.0 / 6.0, 0.5) if major >= 3 else ("HardSigmoid", 0.2, 0.5)
    raise ConvertError(f"{lname}: {attr}={name}; rnnrt computes tanh, sigmoid, hard_sigmoid, "
                       "relu, linear, elu, softsign, softplus"
                       + (" and leaky_relu" if major is None or major >= 3 else ""))


def keras_functions(cls, cfg, version, lname):
    """The gate functions of a Keras recurrent layer in ONNX's order: LSTM f, g, h
    (recurrent_activation, activation, activation), GRU f, g, SimpleRNN f (activation)."""
    act = cfg.get("activation", "tanh")
    if not isinstance(act, (str, type(None))):
        raise ConvertError(f"{lname}: activation={act}; rnnrt takes Keras' activations by name")
    g = keras_function(act, version, lname, "activation")
    if cls == "SimpleRNN":
        return [g]
    rec = cfg.get("recurrent_activation", "sigmoid")
    if not isinstance(rec, (str, type(None))):
        raise ConvertError(f"{lname}: recurrent_activation={rec}; rnnrt takes Keras' "
                           "activations by name")
    f = keras_function(rec, version, lname, "recurrent_activation")
    return [f, g, g] if cls == "LSTM" else [f, g]


def keras_cell_name(cls, cfg):
    """rnnrt.cell of a Keras recurrent layer (SimpleRNN: rnn_relu for relu; its other
    activations are gate functions of rnn_tanh)."""
    if cls == "SimpleRNN":
        return "rnn_relu" if cfg.get("activation", "tanh") == "relu" else "rnn_tanh"
    if cls == "GRU" and cfg.get("reset_after", True) is False:
        return "gru_reset_before"
    return cls.lower()


def keras_cell(cls, cfg, kernel, rk, bias, H, lname):
    """One direction of a Keras LSTM/GRU/SimpleRNN -> (PyTorch-layout dict, has a bias)."""
    if cls == "SimpleRNN":  # h = activation(x kernel + h recurrent_kernel + bias)
        b = bias if bias is not None else np.zeros(H, np.float32)
        return {"weight_ih": kernel.T, "weight_hh": rk.T, "bias_ih": b,
                "bias_hh": np.zeros_like(b)}, bias is not None
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


def keras_reference_rnn(cls, w, x, H, backwards, functions, reset_after=True):
    """Keras' own equations, from Keras-layout weights: x [T,B,I] -> [T,B,H]; functions:
    the layer's gate functions (keras_functions)."""
    kernel, rk, bias = (a.astype(np.float64) if a is not None else None for a in w)
    act = np_function(functions[-1])  # SimpleRNN's activation, the others' g and h
    rec = np_function(functions[0])  # recurrent_activation
    T, B = x.shape[:2]
    h, c = np.zeros((B, H)), np.zeros((B, H))
    y = np.zeros((T, B, H))
    for t in (range(T - 1, -1, -1) if backwards else range(T)):
        if cls == "LSTM":
            z = x[t] @ kernel + h @ rk + (0 if bias is None else bias)
            i, f = rec(z[:, :H]), rec(z[:, H:2 * H])
            c = f * c + i * act(z[:, 2 * H:3 * H])
            h = rec(z[:, 3 * H:]) * act(c)
        elif cls == "SimpleRNN":
            z = x[t] @ kernel + h @ rk + (0 if bias is None else bias)
            h = act(z)
        elif not reset_after:  # the input bias only; r scales h before the product
            mx = x[t] @ kernel + (0 if bias is None else bias)
            zg = rec(mx[:, :H] + h @ rk[:, :H])
            r = rec(mx[:, H:2 * H] + h @ rk[:, H:2 * H])
            hh = act(mx[:, 2 * H:] + (r * h) @ rk[:, 2 * H:])
            h = zg * h + (1 - zg) * hh
        else:
            b = np.zeros((2, 3 * H)) if bias is None else bias
            mx, mh = x[t] @ kernel + b[0], h @ rk + b[1]
            zg = rec(mx[:, :H] + mh[:, :H])
            r = rec(mx[:, H:2 * H] + mh[:, H:2 * H])
            hh = act(mx[:, 2 * H:] + r * mh[:, 2 * H:])
            h = zg * h + (1 - zg) * hh
        y[t] = h
    return y


def from_keras(path):
    layers = [lay for lay in keras_layers(path)
              if lay[0] not in ("InputLayer", "Dropout", "SpatialDropout1D", "NoWeights")]
    out = Converted()
    version = keras_version(path)
    emb = head = None
    rnns = []  # (cls, cfg, [(keras weights), ...] per direction, name, [functions] per direction)
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
            inner_cls, inner_cfg, back_cfg = cls, cfg, cfg
            if cls == "Bidirectional":
                inner = cfg.get("layer", {})
                inner_cls, inner_cfg = inner.get("class_name"), inner.get("config", {})
                back_cfg = (cfg.get("backward_layer") or {}).get("config", inner_cfg)
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
            functions = [keras_functions(inner_cls, c, version, lname)
                         for c in (inner_cfg, back_cfg)[:len(dirs)]]
            rnns.append((inner_cls, inner_cfg, dirs, lname, functions))
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
    cells = {keras_cell_name(r[0], r[1]) for r in rnns}
    if cells == {"rnn_tanh", "rnn_relu"}:  # SimpleRNNs of both: relu as a gate function
        cells = {"rnn_tanh"}
    if len(cells) != 1 or len({len(r[2]) for r in rnns}) != 1:
        raise ConvertError("stacked recurrent layers must all be of one cell (LSTM, GRU of one "
                           "reset_after, or SimpleRNN), with the same directions")
    cell = cells.pop()
    H = rnns[0][2][0][1].shape[0]
    has_bias = None
    for k, (cls, cfg, dirs, lname, _) in enumerate(rnns):
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
    out.metadata["rnnrt.layout"] = "batch_major"  # Keras takes [batch, time, ...]
    functions = functions_metadata(cell, [f for r in rnns for f in r[4]])
    if functions:
        out.metadata["rnnrt.activation_functions"] = functions
    # Keras' go_backwards reverses the layer's input and returns its outputs in the order it
    # computed them, so the next layer reads them backward in time too: layer k runs backward
    # in time when an odd number of layers up to it have go_backwards.
    backward, flips = [], False
    for cls, cfg, dirs, lname, _ in rnns:
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
        for cls, cfg, dirs, _, fns in rnns:
            ra = cfg.get("reset_after", True)
            if len(dirs) == 1 and cfg.get("go_backwards"):  # outputs in computing order
                x = keras_reference_rnn(cls, dirs[0], x, H, True, fns[0], ra)[::-1]
                continue
            ys = [keras_reference_rnn(cls, dirs[0], x, H, False, fns[0], ra)]
            if len(dirs) == 2:  # Keras re-reverses the backward output to align the steps
                ys.append(keras_reference_rnn(cls, dirs[1], x, H, True, fns[1], ra))
            x = np.concatenate(ys, axis=2)
        if backward[-1]:  # Keras' order -> rnnrt's (the output of step t at t)
            x = x[::-1]
        if head is not None:
            x = x @ head[0].astype(np.float64) + (0 if head[1] is None else head[1])
        return x
    out.reference = reference
    out.notes.append(f"Keras {version or '(version not recorded)'}: {len(rnns)} x {cell}"
                     f"{' (bidirectional)' if len(rnns[0][2]) == 2 else ''}"
                     f" of {H} units" + (", Embedding" if emb is not None else "")
                     + (", Dense head" if head is not None else "")
                     + (f", gate functions {functions}" if functions else ""))
    return out


# ---- ONNX ------------------------------------------------------------------------------------

ONNX_RECURRENT = ("LSTM", "GRU", "RNN")
# ONNX Runtime's defaults of alpha and beta in LSTM and GRU; 0 for the others' (and for every
# function of RNN)
ORT_DEFAULTS = {"LeakyRelu": (0.01, 0.0), "HardSigmoid": (0.2, 0.5), "Elu": (1.0, 0.0)}


def onnx_functions(op, attrs, D, label):
    """Each direction's gate functions [(name, alpha, beta), ...] as ONNX Runtime reads a
    node's activations, activation_alpha and activation_beta. LSTM and GRU: the names in any
    case, f, g (, h) per direction; alphas and betas are taken in order by the functions
    that use them, across the directions, with ORT_DEFAULTS once they run out. RNN: the
    names as ONNX spells them, one per direction (the spec's default, two Tanh, is one for
    a single direction), and alpha and beta per direction, 0 without the attribute."""
    names = [a.decode() if isinstance(a, bytes) else a for a in attrs.get("activations", [])]
    alphas = [float(v) for v in attrs.get("activation_alpha", [])]
    betas = [float(v) for v in attrs.get("activation_beta", [])]
    for what, vals in (("activation_alpha", alphas), ("activation_beta", betas)):
        if not all(np.isfinite(np.float32(v)) for v in vals):
            raise ConvertError(f"{label}: {what}={vals}; rnnrt takes finite float32 values")
    known = ", ".join(ONNX_FUNCTIONS)
    if op == "RNN":
        names = names or ["Tanh"] * D
        if len(names) == 2 and D == 1:
            names = names[:1]
        if len(names) != D:
            raise ConvertError(f"{label}: activations={names}; an RNN of {D} direction(s) "
                               f"takes {D}")
        for n in names:
            if n not in ONNX_FUNCTIONS:
                raise ConvertError(f"{label}: activations: '{n}' is not one of {known} (RNN "
                                   "takes them as spelt here)")
        for what, vals in (("activation_alpha", alphas), ("activation_beta", betas)):
            if vals and len(vals) < D:
                raise ConvertError(f"{label}: {what}={vals}; ONNX Runtime's RNN reads one per "
                                   f"direction ({D})")
        return [[(names[d], alphas[d] if alphas else 0.0, betas[d] if betas else 0.0)]
                for d in range(D)]
    G = 3 if op == "LSTM" else 2
    names = names or CELL_FUNCTIONS["lstm" if op == "LSTM" else "gru"] * D
    if len(names) != G * D:
        raise ConvertError(f"{label}: activations={names}; a {op} of {D} direction(s) takes "
                           f"{G * D} ({G} per direction)")
    spelt = {n.lower(): n for n in ONNX_FUNCTIONS}
    taken, out = [0, 0], []
    for n in names:
        name = spelt.get(n.lower())
        if name is None:
            raise ConvertError(f"{label}: activations: '{n}' is not one of {known}")
        params = list(ORT_DEFAULTS.get(name, (0.0, 0.0)))
        for k, vals in enumerate((alphas, betas)[:ONNX_FUNCTIONS[name]]):
            if taken[k] < len(vals):
                params[k] = vals[taken[k]]
                taken[k] += 1
        out.append((name, params[0], params[1]))
    return [out[d * G:(d + 1) * G] for d in range(D)]


def coupled_functions(functions, label):
    """input_forget=1: ONNX Runtime computes i = f(z_i) and f = 1 - i; rnnrt's coupled cell
    computes f = F(a) from its f slot, which the converter fills with -z_i, and i = 1 - f,
    with the same F for the output gate. So F must be f and f(-z) = 1 - f(z): Sigmoid, and
    HardSigmoid and Affine with beta 0.5."""
    name, a, b = functions[0]
    if name != "Sigmoid" and not (name in ("HardSigmoid", "Affine") and np.float32(b) == 0.5):
        raise ConvertError(f"{label}: input_forget=1 with f={function_text(functions[0])}: "
                           "rnnrt's coupled cell computes i = 1 - f, which needs "
                           "f(-x) = 1 - f(x) (Sigmoid, HardSigmoid or Affine with beta 0.5)")
    return functions


def onnx_reference_node(op, attrs, W, R, B, P, x, functions):
    """The ONNX specification's LSTM / GRU / RNN on x [T,B,I] (float64): Y as [T,B,D*H].
    direction=reverse runs its one direction from T-1 to 0; clip clamps every gate's
    pre-activation (as ONNX Runtime does: with the peepholes and, for the GRU's h gate, the
    reset product inside); functions: each direction's (onnx_functions)."""
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
        fs = [np_function(fn) for fn in functions[d]]
        f_, g_, h_ = fs + [None] * (3 - len(fs))
        for t in (range(T) if d == 0 and not reverse else range(T - 1, -1, -1)):
            if op == "LSTM":
                p = P[d].astype(np.float64) if P is not None else np.zeros(3 * H)
                g = x[t] @ w.T + h @ r.T + wb + rb
                gi, go, gf, gc = (g[:, j * H:(j + 1) * H] for j in range(4))
                # input_forget couples f to i (ONNX Runtime: f = 1 - i; the f weights and
                # the f peephole are not used)
                i = f_(k(gi + p[:H] * c))
                f = 1 - i if attrs.get("input_forget", 0) else f_(k(gf + p[2 * H:] * c))
                c = f * c + i * g_(k(gc))
                o = f_(k(go + p[H:2 * H] * c))
                h = o * h_(c)
            elif op == "RNN":  # Ht = f(Xt W^T + Ht-1 R^T + Wb + Rb)
                h = f_(k(x[t] @ w.T + h @ r.T + wb + rb))
            else:
                gx = x[t] @ w.T + wb
                gz = f_(k(gx[:, :H] + h @ r[:H].T + rb[:H]))
                gr = f_(k(gx[:, H:2 * H] + h @ r[H:2 * H].T + rb[H:2 * H]))
                if attrs.get("linear_before_reset", 0):
                    gh = g_(k(gx[:, 2 * H:] + gr * (h @ r[2 * H:].T + rb[2 * H:])))
                else:  # the specification's default: r scales h before R_h
                    gh = g_(k(gx[:, 2 * H:] + (gr * h) @ r[2 * H:].T + rb[2 * H:]))
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
    layers, cell, D, H, clip, directions, layouts, units = [], None, None, None, None, [], [], []
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
        layout = attrs.get("layout", 0)
        if layout not in (0, 1) or (layouts and layout != layouts[0]):
            raise ConvertError(f"{label}: layout={layout} where the previous nodes have "
                               f"{layouts[0] if layouts else 0}: rnnrt takes one layout for the "
                               "stack (0 time-major, 1 batch-major)")
        layouts.append(layout)
        node_d = 2 if direction == "bidirectional" else 1
        functions = onnx_functions(op, attrs, node_d, label)
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
        if op == "RNN":  # relu in every direction is rnn_relu; other functions rnn_tanh's
            node_cell = "rnn_relu" if all(f[0][0] == "Relu" for f in functions) else "rnn_tanh"
        else:
            reset_before = op == "GRU" and not attrs.get("linear_before_reset", 0)
            node_cell = ("gru_reset_before" if reset_before else "gru") if op == "GRU" else (
                "lstm_coupled" if coupled else "lstm_peephole" if P is not None else "lstm")
        if node_cell == "lstm_coupled" and P is not None:
            raise ConvertError(f"{label}: input_forget=1 with peepholes (P) is not "
                               "supported: rnnrt's coupled cell has none")
        if node_cell == "lstm_coupled":
            units += [coupled_functions(f, label) for f in functions]
        else:
            units += functions
        if cell in ("rnn_tanh", "rnn_relu") and node_cell in ("rnn_tanh", "rnn_relu"):
            node_cell = cell = "rnn_tanh" if node_cell != cell else cell  # relu as a function
        if cell not in (None, node_cell) or D not in (None, W.shape[0]) or \
                H not in (None, R.shape[2]):
            raise ConvertError(f"{label} differs from the previous nodes in cell, direction or "
                               "hidden size: rnnrt stacks layers of one kind")
        cell, D, H = node_cell, W.shape[0], R.shape[2]
        if k and W.shape[2] != D * H:
            raise ConvertError(f"{label} takes {W.shape[2]} inputs, not the "
                               f"previous node's {D * H}: the nodes are not a stack")
        layers.append((attrs, W, R, B, P, functions))
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
    if layouts[0] == 1:
        out.metadata["rnnrt.layout"] = "batch_major"
    functions = functions_metadata(cell, units)
    if functions:
        out.metadata["rnnrt.activation_functions"] = functions
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
        for attrs, W, R, B, P, functions in layers:
            x = onnx_reference_node(op, attrs, W, R, B, P, x, functions)
        return x
    out.reference = reference
    out.notes.append(f"ONNX {len(nodes)} {op} node(s), cell {cell}, {D} direction(s) ("
                     f"{', '.join(directions)}), hidden {H}"
                     + (f", clip {clip:g}" if clip is not None else "")
                     + (", batch-major (layout=1)" if layouts[0] else "")
                     + (f", gate functions {functions}" if functions else ""))
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
    tm = {"batch_first": False}  # the references are time-major, whatever the file's layout
    if m.vocab_size:
        ids = rng.integers(0, m.vocab_size, size=(T, B)).astype(np.int32)
        got, ref = m.forward_tokens(ids, **tm), conv.reference(ids, "tokens")
    else:
        x = rng.standard_normal((T, B, m.input_size)).astype(np.float32)
        got = m.forward_head(x, **tm) if m.head_size else m.forward(x, **tm)
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
