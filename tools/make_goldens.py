"""Write the golden test cases of rnnrt to tests/data/golden/.

Run from the repository root (needs Debian's python3-torch, hence /usr/bin/python3):

    /usr/bin/python3 tools/make_goldens.py [--out tests/data/golden]

For each case <name> it writes
  <name>.model.safetensors  the model as a user saves it: the state_dict of an nn.LSTM /
                            nn.GRU / nn.RNN (possibly under a name prefix, next to unrelated
                            tensors, in F16 or BF16), or the same layout for the peephole /
                            coupled-gate LSTMs and the reset-before GRU of
                            docs/model-format.md, which declare "rnnrt.cell" in __metadata__;
  <name>.io.safetensors     (metadata torch_fp32_error: PyTorch's own float32 error on the
                            case, for PyTorch cases) x F32 [T,B,I]; optional lengths I32 [B]; optional h0 F32
                            [L*D,B,Hout] and c0 F32 [L*D,B,H] (absent: zeros); y F32 [T,B,D*Hout];
                            hn F32 [L*D,B,Hout]; cn F32 [L*D,B,H] (absent for GRU and RNN);
and MANIFEST, the case names one per line in a stable order.

References: PyTorch's output for nn.LSTM / nn.GRU / nn.RNN cases, computed in float64 from the
float32 weights and inputs, then rounded to float32 (packed sequences for lengths, padded back to T
with zeros); for stacks whose layers all run backward (rnnrt.direction=reverse), PyTorch on the
input reversed within each length, its output reversed back; an independent NumPy float64
implementation of the equations in docs/model-format.md for the peephole and coupled-gate LSTMs,
the GRU with the reset gate before the product (gru_reset_before), stacks that mix forward and
reverse layers and every rnnrt.clip case (each asserts that its clip changes y by more than
1e-2). That NumPy oracle is itself checked against PyTorch on every PyTorch case (and on
reductions of the variants to PyTorch's cells: plain LSTMs, and nn.GRU for a reset-before GRU
whose reset gate is saturated open) before anything is written. F16 / BF16 models: the weights
are rounded to that dtype
first and the reference is computed with the rounded weights. Output is deterministic: running
the script twice gives identical bytes.
"""
import argparse
import os
import sys
import zlib
from dataclasses import dataclass, field
from typing import Optional, Tuple

import numpy as np

sys.dont_write_bytecode = True  # no tools/__pycache__ from importing the sibling modules
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as st  # noqa: E402

GATES = {"lstm": 4, "gru": 3, "lstm_peephole": 4, "lstm_coupled": 3, "rnn_tanh": 1,
         "rnn_relu": 1, "gru_reset_before": 3}
TORCH_CELLS = ("lstm", "gru", "rnn_tanh", "rnn_relu")
NO_CELL_STATE = ("gru", "rnn_tanh", "rnn_relu", "gru_reset_before")
ORACLE_TOL = 1e-9  # two float64 computations of the same equations


@dataclass(frozen=True)
class Case:
    name: str
    what: str                      # one-line description for the report
    cell: str = "lstm"             # lstm, gru, lstm_peephole, lstm_coupled, rnn_tanh, rnn_relu,
                                   # gru_reset_before
    I: int = 7
    H: int = 13
    P: int = 0                     # LSTM proj_size (0: none)
    L: int = 1
    bidir: bool = False
    bias: bool = True
    T: int = 5
    B: int = 3
    lengths: Optional[Tuple[int, ...]] = None
    init_state: bool = False
    prefix: str = ""
    extra: str = ""                # "", "head", "foreign_dtypes", "second_rnn"
    dtype: str = "F32"             # dtype of the model file: F32, F16, BF16
    w_std: float = 0.0             # 0: PyTorch's uniform init; else weights ~ N(0, w_std)
    x_std: float = 1.0
    declare: bool = False          # write "rnnrt.cell" metadata (always for the variants)
    metadata: dict = field(default_factory=dict)
    direction: str = ""            # rnnrt.direction: "reverse" or one word per layer ("": none)
    clip: float = 0.0              # rnnrt.clip (0: none)

    @property
    def reverse(self):
        """Per layer: does it run backward in time (a one-direction model)."""
        words = self.direction.split(",") if self.direction else ["forward"]
        words = words * self.L if len(words) == 1 else words
        assert len(words) == self.L and set(words) <= {"forward", "reverse"}
        return [w == "reverse" for w in words]

    @property
    def D(self):
        return 2 if self.bidir else 1

    @property
    def Hout(self):
        return self.P or self.H


CASES = [
    # ---- PyTorch nn.LSTM ------------------------------------------------------------------
    Case("lstm_basic", "LSTM 1 layer, I=7 H=13 B=3 T=5"),
    Case("lstm_2layer", "LSTM 2 layers", L=2),
    Case("lstm_3layer", "LSTM 3 layers", L=3),
    Case("lstm_bidir", "LSTM 1 layer bidirectional", bidir=True),
    Case("lstm_3layer_bidir", "LSTM 3 layers bidirectional", L=3, bidir=True),
    Case("lstm_proj", "LSTM proj_size=5, declares rnnrt.cell=lstm", P=5, declare=True),
    Case("lstm_proj_bidir_2layer", "LSTM proj_size=5, 2 layers, bidirectional",
         P=5, L=2, bidir=True),
    Case("lstm_proj_lengths_state", "LSTM proj_size=4, 2 layers, lengths + h0/c0",
         P=4, L=2, T=6, lengths=(6, 2, 4), init_state=True),
    Case("lstm_state", "LSTM 2 layers, initial h0/c0", L=2, init_state=True),
    Case("lstm_lengths", "LSTM lengths (3,1,4) with T=5 (max < T: last step all zero)",
         lengths=(3, 1, 4)),
    Case("lstm_bidir_lengths", "LSTM bidirectional, lengths (5,2,1)",
         bidir=True, lengths=(5, 2, 1)),
    Case("lstm_bidir_lengths_state", "LSTM 2 layers bidirectional, lengths (2,5,3) + h0/c0",
         L=2, bidir=True, lengths=(2, 5, 3), init_state=True),
    Case("lstm_nobias", "LSTM bias=False, 2 layers", L=2, bias=False),
    Case("lstm_h1", "LSTM I=1 H=1 B=2 T=4 (size-1 dims)", I=1, H=1, B=2, T=4),
    Case("lstm_batch1", "LSTM batch 1, T=6", B=1, T=6),
    Case("lstm_seq1", "LSTM seq_len 1, 2 layers bidirectional + h0/c0",
         T=1, L=2, bidir=True, init_state=True),
    Case("lstm_prefix", "LSTM 2 layers under prefix 'encoder.rnn.'", L=2,
         prefix="encoder.rnn."),
    Case("lstm_with_head", "LSTM under 'lstm.' next to embedding.weight, fc.weight, fc.bias "
         "(ignored)", prefix="lstm.", extra="head"),
    Case("lstm_foreign_dtypes", "LSTM under 'model.lstm.' next to ignored I64 scalar, F64 and "
         "BOOL tensors (a whole model's state_dict)", prefix="model.lstm.",
         extra="foreign_dtypes"),
    Case("lstm_select_prefix", "two LSTMs 'encoder.rnn.' and 'decoder.rnn.'; metadata "
         "rnnrt.prefix=decoder.rnn. selects the second", prefix="decoder.rnn.",
         extra="second_rnn", metadata={"rnnrt.prefix": "decoder.rnn."}),
    Case("lstm_f16", "LSTM 2 layers, F16 weights", L=2, dtype="F16"),
    Case("lstm_bf16", "LSTM bidirectional + projection, BF16 weights",
         bidir=True, P=5, dtype="BF16"),
    Case("lstm_saturate", "LSTM 2 layers, weights ~N(0,3), x ~N(0,5): saturated gates",
         L=2, w_std=3.0, x_std=5.0, init_state=True),
    Case("lstm_large", "LSTM I=33 H=64 T=20 B=5, 2 layers, lengths",
         I=33, H=64, T=20, B=5, L=2, lengths=(20, 17, 1, 20, 9)),
    # ---- PyTorch nn.GRU -------------------------------------------------------------------
    Case("gru_basic", "GRU 1 layer", cell="gru"),
    Case("gru_2layer_bidir", "GRU 2 layers bidirectional, declares rnnrt.cell=gru",
         cell="gru", L=2, bidir=True, declare=True),
    Case("gru_state", "GRU 1 layer, initial h0", cell="gru", init_state=True),
    Case("gru_lengths", "GRU lengths (4,5,1)", cell="gru", lengths=(4, 5, 1)),
    Case("gru_bidir_lengths_state", "GRU 2 layers bidirectional, lengths (3,1,5) + h0",
         cell="gru", L=2, bidir=True, lengths=(3, 1, 5), init_state=True),
    Case("gru_nobias", "GRU bias=False", cell="gru", bias=False),
    Case("gru_batch1_seq1", "GRU batch 1, seq_len 1, 2 layers", cell="gru", B=1, T=1, L=2),
    Case("gru_prefix", "GRU under prefix 'model.gru.'", cell="gru", prefix="model.gru."),
    Case("gru_f16", "GRU F16 weights", cell="gru", dtype="F16"),
    Case("gru_bf16", "GRU 2 layers, BF16 weights", cell="gru", L=2, dtype="BF16"),
    Case("gru_saturate", "GRU weights ~N(0,3), x ~N(0,5)", cell="gru", w_std=3.0, x_std=5.0,
         init_state=True),
    # ---- PyTorch nn.RNN (tanh without metadata, as PyTorch saves it; relu declared) -------
    Case("rnn_tanh_basic", "RNN tanh 1 layer, no metadata", cell="rnn_tanh"),
    Case("rnn_tanh_2layer_bidir", "RNN tanh 2 layers bidirectional, declares rnnrt.cell=rnn_tanh",
         cell="rnn_tanh", L=2, bidir=True, declare=True),
    Case("rnn_tanh_bidir_lengths_state", "RNN tanh 2 layers bidirectional, lengths (3,1,5) + h0",
         cell="rnn_tanh", L=2, bidir=True, lengths=(3, 1, 5), init_state=True),
    Case("rnn_tanh_nobias", "RNN tanh bias=False, 2 layers", cell="rnn_tanh", L=2, bias=False),
    Case("rnn_tanh_large", "RNN tanh I=33 H=64 T=20 B=5, 2 layers, lengths (several panels)",
         cell="rnn_tanh", I=33, H=64, T=20, B=5, L=2, lengths=(20, 17, 1, 20, 9)),
    Case("rnn_tanh_saturate", "RNN tanh weights ~N(0,3), x ~N(0,5) + h0", cell="rnn_tanh",
         w_std=3.0, x_std=5.0, init_state=True),
    Case("rnn_relu_basic", "RNN relu 1 layer, declares rnnrt.cell=rnn_relu", cell="rnn_relu"),
    Case("rnn_relu_2layer_bidir", "RNN relu 2 layers bidirectional", cell="rnn_relu", L=2,
         bidir=True),
    Case("rnn_relu_bidir_lengths_state", "RNN relu 2 layers bidirectional, lengths (2,5,4) + h0",
         cell="rnn_relu", L=2, bidir=True, lengths=(2, 5, 4), init_state=True),
    Case("rnn_relu_nobias", "RNN relu bias=False", cell="rnn_relu", bias=False),
    Case("rnn_relu_large", "RNN relu I=20 H=40 T=12 B=7, 2 layers bidirectional, lengths, h0",
         cell="rnn_relu", I=20, H=40, T=12, B=7, L=2, bidir=True,
         lengths=(12, 3, 12, 1, 7, 12, 5), init_state=True),
    Case("rnn_tanh_f16_prefix", "RNN tanh F16 weights under prefix 'encoder.rnn.'",
         cell="rnn_tanh", dtype="F16", prefix="encoder.rnn."),
    # ---- a lone reverse direction (rnnrt.direction): PyTorch on the input reversed within
    # each length where every layer runs backward, the NumPy oracle where directions mix ---
    Case("lstm_reverse", "LSTM 1 layer, rnnrt.direction=reverse", direction="reverse"),
    Case("lstm_reverse_2layer_lengths_state", "LSTM 2 layers reverse, lengths (3,5,1) + "
         "h0/c0", L=2, lengths=(3, 5, 1), init_state=True, direction="reverse"),
    Case("lstm_reverse_proj", "LSTM proj_size=5 reverse, lengths (4,2,5)", P=5,
         lengths=(4, 2, 5), direction="reverse"),
    Case("lstm_reverse_large", "LSTM I=33 H=64 T=20 B=5, 2 layers reverse, lengths",
         I=33, H=64, T=20, B=5, L=2, lengths=(20, 17, 1, 20, 9), direction="reverse"),
    Case("gru_reverse_lengths_state", "GRU 2 layers reverse, lengths (2,5,4) + h0",
         cell="gru", L=2, lengths=(2, 5, 4), init_state=True, direction="reverse"),
    Case("rnn_tanh_reverse", "RNN tanh reverse + h0", cell="rnn_tanh", init_state=True,
         direction="reverse"),
    Case("rnn_relu_reverse_lengths", "RNN relu 2 layers reverse, lengths (5,1,3)",
         cell="rnn_relu", L=2, lengths=(5, 1, 3), direction="reverse"),
    Case("lstm_mixed_directions", "LSTM 3 layers reverse,forward,reverse, lengths (4,5,2) "
         "+ h0/c0 (NumPy)", L=3, lengths=(4, 5, 2), init_state=True,
         direction="reverse,forward,reverse"),
    Case("gru_forward_reverse", "GRU 2 layers forward,reverse (NumPy)", cell="gru", L=2,
         direction="forward,reverse"),
    Case("peephole_reverse_lengths", "peephole LSTM reverse, lengths (5,3,1) + h0/c0",
         cell="lstm_peephole", lengths=(5, 3, 1), init_state=True, direction="reverse"),
    Case("coupled_reverse", "coupled-gate LSTM 2 layers reverse", cell="lstm_coupled", L=2,
         direction="reverse"),
    # ---- cell clipping (rnnrt.clip, NumPy oracle): weights ~N(0,0.7) and x ~N(0,2) put
    # most pre-activations past the clip, so the clamp decides the result -----------------
    Case("lstm_clip", "LSTM clip 0.5", w_std=0.7, x_std=2.0, clip=0.5),
    Case("lstm_clip_2layer_lengths_state", "LSTM 2 layers clip 0.75, lengths (3,5,1) + "
         "h0/c0", L=2, lengths=(3, 5, 1), init_state=True, w_std=0.7, x_std=2.0, clip=0.75),
    Case("lstm_clip_proj_bidir", "LSTM proj_size=5 bidirectional clip 0.5", P=5, bidir=True,
         w_std=0.7, x_std=2.0, clip=0.5),
    Case("lstm_clip_reverse_large", "LSTM I=33 H=64 T=20 B=5 reverse clip 1.25, lengths",
         I=33, H=64, T=20, B=5, lengths=(20, 17, 1, 20, 9), w_std=0.4, x_std=2.0,
         direction="reverse", clip=1.25),
    Case("gru_clip", "GRU clip 0.5", cell="gru", w_std=0.7, x_std=2.0, clip=0.5),
    Case("gru_clip_bidir_lengths_state", "GRU 2 layers bidirectional clip 0.6, lengths "
         "(3,1,5) + h0", cell="gru", L=2, bidir=True, lengths=(3, 1, 5), init_state=True,
         w_std=0.7, x_std=2.0, clip=0.6),
    Case("gru_clip_large", "GRU I=33 H=64 T=12 B=5 reverse clip 1.5, lengths", cell="gru",
         I=33, H=64, T=12, B=5, lengths=(12, 7, 1, 12, 3), w_std=0.4, x_std=2.0,
         direction="reverse", clip=1.5),
    Case("rnn_tanh_clip", "RNN tanh clip 0.5 + h0", cell="rnn_tanh", init_state=True,
         w_std=0.7, x_std=2.0, clip=0.5),
    Case("rnn_relu_clip", "RNN relu 2 layers clip 0.8, lengths (5,2,4)", cell="rnn_relu",
         L=2, lengths=(5, 2, 4), w_std=0.7, x_std=2.0, clip=0.8),
    Case("peephole_clip_state", "peephole LSTM clip 0.5 + h0/c0 (peepholes inside the clamp)",
         cell="lstm_peephole", init_state=True, w_std=0.7, x_std=2.0, clip=0.5),
    Case("peephole_clip_proj_reverse", "peephole LSTM proj_size=5 reverse clip 0.6, lengths",
         cell="lstm_peephole", P=5, lengths=(2, 5, 3), w_std=0.7, x_std=2.0,
         direction="reverse", clip=0.6),
    Case("coupled_clip", "coupled-gate LSTM clip 0.5", cell="lstm_coupled", w_std=0.7,
         x_std=2.0, clip=0.5),
    # ---- NumPy oracle: peephole and coupled-gate LSTM -------------------------------------
    Case("peephole_basic", "peephole LSTM 1 layer", cell="lstm_peephole"),
    Case("peephole_2layer_bidir_lengths", "peephole LSTM 2 layers bidirectional, lengths "
         "(5,3,1)", cell="lstm_peephole", L=2, bidir=True, lengths=(5, 3, 1)),
    Case("peephole_proj_state", "peephole LSTM proj_size=5 + h0/c0, prefix 'cell.'",
         cell="lstm_peephole", P=5, init_state=True, prefix="cell."),
    Case("peephole_nobias", "peephole LSTM bias=False", cell="lstm_peephole", bias=False),
    Case("peephole_f16", "peephole LSTM F16 weights", cell="lstm_peephole", dtype="F16"),
    Case("coupled_basic", "coupled-gate LSTM 1 layer", cell="lstm_coupled"),
    Case("coupled_proj", "coupled-gate LSTM proj_size=5, 2 layers", cell="lstm_coupled",
         P=5, L=2),
    Case("coupled_bidir_lengths_state", "coupled-gate LSTM 2 layers bidirectional, lengths "
         "(2,5,4) + h0/c0", cell="lstm_coupled", L=2, bidir=True, lengths=(2, 5, 4),
         init_state=True),
    Case("coupled_nobias", "coupled-gate LSTM bias=False", cell="lstm_coupled", bias=False),
    # ---- NumPy oracle: GRU with the reset gate before the product (Keras reset_after=False,
    # ONNX linear_before_reset=0) -----------------------------------------------------------
    Case("grurb_basic", "reset-before GRU 1 layer", cell="gru_reset_before"),
    Case("grurb_2layer", "reset-before GRU 2 layers", cell="gru_reset_before", L=2),
    Case("grurb_bidir", "reset-before GRU 1 layer bidirectional", cell="gru_reset_before",
         bidir=True),
    Case("grurb_state", "reset-before GRU 1 layer, initial h0", cell="gru_reset_before",
         init_state=True),
    Case("grurb_lengths", "reset-before GRU lengths (4,5,1)", cell="gru_reset_before",
         lengths=(4, 5, 1)),
    Case("grurb_bidir_lengths_state", "reset-before GRU 2 layers bidirectional, lengths "
         "(3,1,5) + h0", cell="gru_reset_before", L=2, bidir=True, lengths=(3, 1, 5),
         init_state=True),
    Case("grurb_nobias", "reset-before GRU bias=False, 2 layers", cell="gru_reset_before", L=2,
         bias=False),
    Case("grurb_large", "reset-before GRU I=29 H=70 T=20 B=7, 2 layers, lengths, h0 (several "
         "panels of every set, none full at the end, several row blocks)",
         cell="gru_reset_before", I=29, H=70, T=20, B=7, L=2,
         lengths=(20, 17, 1, 20, 9, 3, 14), init_state=True),
    Case("grurb_large_bidir", "reset-before GRU I=18 H=45 T=11 B=9, 2 layers bidirectional, "
         "lengths", cell="gru_reset_before", I=18, H=45, T=11, B=9, L=2, bidir=True,
         lengths=(11, 2, 7, 11, 1, 5, 9, 11, 4)),
    Case("grurb_f16_prefix", "reset-before GRU F16 weights under prefix 'model.gru.'",
         cell="gru_reset_before", dtype="F16", prefix="model.gru."),
    Case("grurb_saturate", "reset-before GRU weights ~N(0,3), x ~N(0,5) + h0",
         cell="gru_reset_before", w_std=3.0, x_std=5.0, init_state=True),
]


# ---- parameters ------------------------------------------------------------------------------

def param_shapes(cell, I, H, P, L, D, bias):
    """Tensor names (no prefix) and shapes in PyTorch's state_dict order."""
    G = GATES[cell]
    Hout = P or H
    shapes = {}
    for k in range(L):
        in_k = I if k == 0 else D * Hout
        for d in range(D):
            s = f"_l{k}" + ("_reverse" if d else "")
            shapes["weight_ih" + s] = (G * H, in_k)
            shapes["weight_hh" + s] = (G * H, Hout)
            if bias:
                shapes["bias_ih" + s] = (G * H,)
                shapes["bias_hh" + s] = (G * H,)
            if P:
                shapes["weight_hr" + s] = (P, H)
            if cell == "lstm_peephole":
                for p in ("ci", "cf", "co"):
                    shapes[f"weight_{p}" + s] = (H,)
    return shapes


def random_params(rng, shapes, H, w_std):
    """PyTorch's init U(-1/sqrt(H), 1/sqrt(H)), or N(0, w_std) when w_std > 0; float32."""
    k = 1.0 / np.sqrt(H)
    out = {}
    for name, shape in shapes.items():
        if w_std > 0:
            out[name] = rng.normal(0.0, w_std, size=shape).astype(np.float32)
        else:
            out[name] = rng.uniform(-k, k, size=shape).astype(np.float32)
    return out


def round_to(a, dtype):
    """Round float32 values to the file dtype; return (float32 values, stored array)."""
    if dtype == "F32":
        return a, a
    if dtype == "F16":
        h = a.astype(np.float16)
        return h.astype(np.float32), h
    if dtype == "BF16":
        bits = st.float32_to_bf16_bits(a)
        return st.bf16_bits_to_float32(bits).reshape(a.shape), bits.reshape(a.shape)
    raise ValueError(dtype)


# ---- references ------------------------------------------------------------------------------

def torch_forward(cell, params, I, H, P, L, D, bias, x, lengths, h0, c0, dtype=np.float64):
    """PyTorch's output (y, hn, cn or None) for an nn.LSTM / GRU / RNN state_dict, computed in
    float64 from the float32 weights and inputs: the exact result to about 1e-15, so the tests'
    1e-5 tolerance measures rnnrt's own float32 rounding. (Two float32 computations that sum
    in different orders, PyTorch's and rnnrt's, differ by up to 1e-5 on the saturating cases,
    which would leave no margin.)"""
    import torch
    from torch import nn
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    if cell == "lstm":
        mod = nn.LSTM(I, H, num_layers=L, bias=bias, bidirectional=D == 2, proj_size=P)
    elif cell in ("rnn_tanh", "rnn_relu"):
        mod = nn.RNN(I, H, num_layers=L, nonlinearity=cell[4:], bias=bias,
                     bidirectional=D == 2)
    else:
        mod = nn.GRU(I, H, num_layers=L, bias=bias, bidirectional=D == 2)
    sd = mod.state_dict()
    assert list(sd) == list(params), (list(sd), list(params))
    for name, t in sd.items():
        assert tuple(t.shape) == params[name].shape, name
    if dtype == np.float64:
        mod = mod.double()
    mod.load_state_dict({n: torch.from_numpy(v.astype(dtype)) for n, v in params.items()})
    T = x.shape[0]
    hx = None
    if h0 is not None:
        hx = (torch.from_numpy(h0.astype(dtype)), torch.from_numpy(c0.astype(dtype))) \
            if cell == "lstm" else torch.from_numpy(h0.astype(dtype))
    with torch.no_grad():
        xt = torch.from_numpy(x.astype(dtype))
        if lengths is not None:
            packed = pack_padded_sequence(xt, torch.tensor(lengths, dtype=torch.int64),
                                          enforce_sorted=False)
            out, state = mod(packed, hx)
            y, _ = pad_packed_sequence(out, total_length=T)
        else:
            y, state = mod(xt, hx)
    if cell == "lstm":
        return y.numpy(), state[0].numpy(), state[1].numpy()
    return y.numpy(), state.numpy(), None


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def np_step(cell, p, s, x, h, c, H, clip=0.0):
    """One step of one direction of one layer, float64, per docs/model-format.md. clip > 0:
    each gate's whole pre-activation is clamped to [-clip, clip] (ONNX's clip)."""
    def k(v):
        return np.clip(v, -clip, clip) if clip > 0 else v
    z = np.zeros(GATES[cell] * H)
    b_ih = p.get("bias_ih" + s, z)
    b_hh = p.get("bias_hh" + s, z)
    gi = p["weight_ih" + s] @ x + b_ih
    gh = p["weight_hh" + s] @ h + b_hh
    if cell == "rnn_tanh":
        return np.tanh(k(gi + gh)), None
    if cell == "rnn_relu":
        return np.maximum(k(gi + gh), 0.0), None
    if cell == "gru":
        r = _sigmoid(k(gi[:H] + gh[:H]))
        u = _sigmoid(k(gi[H:2 * H] + gh[H:2 * H]))
        n = np.tanh(k(gi[2 * H:] + r * gh[2 * H:]))
        return (1.0 - u) * n + u * h, None
    if cell == "gru_reset_before":
        w_hh = p["weight_hh" + s]
        r = _sigmoid(gi[:H] + gh[:H])
        u = _sigmoid(gi[H:2 * H] + gh[H:2 * H])
        n = np.tanh(gi[2 * H:] + w_hh[2 * H:] @ (r * h) + b_hh[2 * H:])
        return (1.0 - u) * n + u * h, None
    a = gi + gh
    if cell == "lstm":
        i, f = _sigmoid(k(a[:H])), _sigmoid(k(a[H:2 * H]))
        g, o = np.tanh(k(a[2 * H:3 * H])), _sigmoid(k(a[3 * H:]))
        c2 = f * c + i * g
    elif cell == "lstm_peephole":
        i = _sigmoid(k(a[:H] + p["weight_ci" + s] * c))
        f = _sigmoid(k(a[H:2 * H] + p["weight_cf" + s] * c))
        g = np.tanh(k(a[2 * H:3 * H]))
        c2 = f * c + i * g
        o = _sigmoid(k(a[3 * H:] + p["weight_co" + s] * c2))
    elif cell == "lstm_coupled":
        f = _sigmoid(k(a[:H]))
        i = 1.0 - f
        g, o = np.tanh(k(a[H:2 * H])), _sigmoid(k(a[2 * H:]))
        c2 = f * c + i * g
    else:
        raise ValueError(cell)
    h2 = o * np.tanh(c2)
    if ("weight_hr" + s) in p:
        h2 = p["weight_hr" + s] @ h2
    return h2, c2


def np_forward(cell, params, H, P, L, D, x, lengths, h0, c0, reverse=None, clip=0.0):
    """Independent float64 reference: (y, hn, cn or None) with packed-sequence semantics.
    reverse[k]: one-direction layer k runs from each sequence's last step to its first
    (its output at step t stays at t); clip: as in np_step."""
    reverse = reverse or [False] * L
    p = {n: v.astype(np.float64) for n, v in params.items()}
    T, B, _ = x.shape
    Hout = P or H
    lengths = [T] * B if lengths is None else list(lengths)
    inp = x.astype(np.float64)
    hn = np.zeros((L * D, B, Hout))
    cn = np.zeros((L * D, B, H))
    for k in range(L):
        out = np.zeros((T, B, D * Hout))
        for d in range(D):
            s = f"_l{k}" + ("_reverse" if d else "")
            idx = k * D + d
            for b in range(B):
                h = np.zeros(Hout) if h0 is None else h0[idx, b].astype(np.float64)
                c = np.zeros(H) if c0 is None else c0[idx, b].astype(np.float64)
                back = d == 1 or reverse[k]
                steps = range(lengths[b] - 1, -1, -1) if back else range(lengths[b])
                for t in steps:
                    h, c = np_step(cell, p, s, inp[t, b], h, c, H, clip)
                    out[t, b, d * Hout:(d + 1) * Hout] = h
                hn[idx, b] = h
                if c is not None:
                    cn[idx, b] = c
        inp = out
    return inp, hn, (None if cell in NO_CELL_STATE else cn)


def flip_within(a, lengths):
    """a [T,B,...] with each sequence b's first lengths[b] steps in reverse order (ONNX
    Runtime's ReverseSequence); the steps past a length stay where they are."""
    out = a.copy()
    T, B = a.shape[:2]
    for b in range(B):
        n = T if lengths is None else lengths[b]
        out[:n, b] = a[:n, b][::-1]
    return out


def torch_case(c, params, x, lens, h0, c0, dtype=np.float64):
    """PyTorch's result for a case. A stack whose layers all run backward is PyTorch's
    forward stack on the input reversed within each length, its outputs reversed back
    (zeros past a length stay zeros)."""
    if not c.reverse[0]:
        return torch_forward(c.cell, params, c.I, c.H, c.P, c.L, c.D, c.bias, x, lens, h0, c0,
                             dtype)
    y, hn, cn = torch_forward(c.cell, params, c.I, c.H, c.P, c.L, c.D, c.bias,
                              flip_within(x, lens), lens, h0, c0, dtype)
    return flip_within(y, lens), hn, cn


def max_rel_err(a, ref):
    """max |a - ref| / max(1, |ref|)."""
    return float(np.max(np.abs(a - ref) / np.maximum(1.0, np.abs(ref)))) if ref.size else 0.0


def assert_close(what, got, ref, tol=ORACLE_TOL):
    for g, r, n in zip(got, ref, ("y", "hn", "cn")):
        if r is None:
            assert g is None, (what, n)
            continue
        err = max_rel_err(np.asarray(g, np.float64), np.asarray(r, np.float64))
        assert err <= tol, f"{what}: NumPy oracle vs PyTorch, {n} differs by {err:.3g}"


# ---- cases -----------------------------------------------------------------------------------

def case_inputs(c, rng):
    """x, lengths, h0, c0 of a case (float32 / int32 numpy arrays or None)."""
    x = (rng.standard_normal((c.T, c.B, c.I)) * c.x_std).astype(np.float32)
    lengths = None if c.lengths is None else np.array(c.lengths, dtype=np.int32)
    if lengths is not None:
        assert len(lengths) == c.B and lengths.min() >= 1 and lengths.max() <= c.T
    h0 = c0 = None
    if c.init_state:
        h0 = rng.uniform(-1, 1, (c.L * c.D, c.B, c.Hout)).astype(np.float32)
        if c.cell not in NO_CELL_STATE:
            c0 = rng.uniform(-1, 1, (c.L * c.D, c.B, c.H)).astype(np.float32)
    return x, lengths, h0, c0


def extra_tensors(c, rng):
    """Tensors saved before and after the rnn's (all ignored by the loader)."""
    before, after, dtypes = {}, {}, {}
    if c.extra == "head":
        before["embedding.weight"] = rng.uniform(-1, 1, (11, c.I)).astype(np.float32)
        after["fc.weight"] = rng.uniform(-1, 1, (4, c.D * c.Hout)).astype(np.float32)
        after["fc.bias"] = rng.uniform(-1, 1, (4,)).astype(np.float32)
    elif c.extra == "foreign_dtypes":
        before["model.embed.weight"] = rng.uniform(-1, 1, (6, c.I)).astype(np.float64)
        after["model.bn.num_batches_tracked"] = np.array(7, dtype=np.int64)
        after["model.mask"] = np.array([True, False, True])
        after["model.fc.weight"] = rng.uniform(-1, 1, (2, c.Hout)).astype(np.float32)
    elif c.extra == "second_rnn":
        other = param_shapes("lstm", 4, 6, 0, 1, 1, True)
        for n, v in random_params(rng, other, 6, 0.0).items():
            before["encoder.rnn." + n] = v
    elif c.extra:
        raise ValueError(c.extra)
    return before, after, dtypes


def make_case(c):
    """Return (model tensors, model dtypes, model metadata, io tensors) of a case."""
    rng = np.random.default_rng(zlib.crc32(c.name.encode()))
    shapes = param_shapes(c.cell, c.I, c.H, c.P, c.L, c.D, c.bias)
    params, stored = {}, {}
    for n, v in random_params(rng, shapes, c.H, c.w_std).items():
        params[n], stored[n] = round_to(v, c.dtype)
    x, lengths, h0, c0 = case_inputs(c, rng)
    lens = None if lengths is None else [int(v) for v in lengths]

    ref_np = np_forward(c.cell, params, c.H, c.P, c.L, c.D, x, lens, h0, c0, c.reverse,
                        c.clip)
    fp32_error = None
    if c.clip:  # the clamp must change the result, or the case would not test it
        free = np_forward(c.cell, params, c.H, c.P, c.L, c.D, x, lens, h0, c0, c.reverse)
        assert max_rel_err(ref_np[0], free[0]) > 1e-2, f"{c.name}: the clip does not bind"
    by_torch = c.cell in TORCH_CELLS and not c.clip and len(set(c.reverse)) == 1
    if by_torch:
        ref = torch_case(c, params, x, lens, h0, c0)
        assert_close(c.name, ref_np, ref)
        # How far PyTorch's own float32 result is from the exact one: the tests allow rnnrt
        # twice that on ill-conditioned cases (see tests/test_golden.c).
        ref32 = torch_case(c, params, x, lens, h0, c0, dtype=np.float32)
        fp32_error = max(max_rel_err(a.astype(np.float64), b) for a, b in zip(ref32, ref)
                         if b is not None)
    else:
        ref = tuple(None if a is None else a.astype(np.float32) for a in ref_np)
    y, hn, cn = ref
    assert y.shape == (c.T, c.B, c.D * c.Hout) and hn.shape == (c.L * c.D, c.B, c.Hout)

    before, after, dtypes = extra_tensors(c, rng)
    model = dict(before)
    for n, v in stored.items():
        model[c.prefix + n] = v
        if c.dtype == "BF16":
            dtypes[c.prefix + n] = "BF16"
    model.update(after)
    metadata = dict(c.metadata)
    # rnn_relu: PyTorch's state_dict does not say which nonlinearity; tanh is the default.
    if c.declare or c.cell not in TORCH_CELLS or c.cell == "rnn_relu":
        metadata["rnnrt.cell"] = c.cell
    if c.direction:
        metadata["rnnrt.direction"] = c.direction
    if c.clip:
        metadata["rnnrt.clip"] = repr(c.clip)

    io = {"x": x}
    if lengths is not None:
        io["lengths"] = lengths
    if h0 is not None:
        io["h0"] = h0
    if c0 is not None:
        io["c0"] = c0
    io["y"] = np.ascontiguousarray(y, dtype=np.float32)
    io["hn"] = np.ascontiguousarray(hn, dtype=np.float32)
    if cn is not None:
        io["cn"] = np.ascontiguousarray(cn, dtype=np.float32)
    io_meta = None if fp32_error is None else {"torch_fp32_error": "%.3e" % fp32_error}
    return model, dtypes, (metadata or None), io, io_meta


# ---- self-checks of the oracle on the two variants -------------------------------------------

def check_variant_reductions():
    """Peephole with p = 0 is a plain LSTM; coupled equals an LSTM whose input gate block is
    the negated forget gate block (sigmoid(-a) = 1 - sigmoid(a)). Check both against PyTorch,
    with layers, both directions, lengths, initial state and projection."""
    rng = np.random.default_rng(12345)
    I, H, P, L, D, T, B = 5, 6, 4, 2, 2, 6, 3
    lens = [6, 2, 4]
    x = rng.standard_normal((T, B, I)).astype(np.float32)
    h0 = rng.uniform(-1, 1, (L * D, B, P)).astype(np.float32)
    c0 = rng.uniform(-1, 1, (L * D, B, H)).astype(np.float32)

    pe = random_params(rng, param_shapes("lstm_peephole", I, H, P, L, D, True), H, 0.0)
    plain = {n: v for n, v in pe.items() if not n.startswith(("weight_ci", "weight_cf",
                                                               "weight_co"))}
    zero_pe = {n: (np.zeros_like(v) if n in pe and n not in plain else v) for n, v in pe.items()}
    got = np_forward("lstm_peephole", zero_pe, H, P, L, D, x, lens, h0, c0)
    ref = torch_forward("lstm", plain, I, H, P, L, D, True, x, lens, h0, c0)
    assert_close("peephole(p=0) vs nn.LSTM", got, ref)

    co = random_params(rng, param_shapes("lstm_coupled", I, H, P, L, D, True), H, 0.0)
    as_lstm = {}
    for n, v in co.items():
        if n.startswith(("weight_ih", "weight_hh", "bias_ih", "bias_hh")):
            f, g, o = v[:H], v[H:2 * H], v[2 * H:]
            as_lstm[n] = np.concatenate([-f, f, g, o]).astype(np.float32)
        else:
            as_lstm[n] = v
    got = np_forward("lstm_coupled", co, H, P, L, D, x, lens, h0, c0)
    ref = torch_forward("lstm", as_lstm, I, H, P, L, D, True, x, lens, h0, c0)
    assert_close("coupled vs nn.LSTM with i = -f", got, ref)

    # A reset gate saturated open (r = 1 to float64 precision: sigmoid(40 + a) for |a| < 4)
    # makes W_hn (r * h) + b_hn equal r * (W_hn h + b_hn): the reset-before GRU is nn.GRU.
    rb = random_params(rng, param_shapes("gru_reset_before", I, H, 0, L, D, True), H, 0.0)
    for n, v in rb.items():
        if n.startswith("bias_ih"):
            v[:H] += 40.0
    h0 = rng.uniform(-1, 1, (L * D, B, H)).astype(np.float32)
    got = np_forward("gru_reset_before", rb, H, 0, L, D, x, lens, h0, None)
    ref = torch_forward("gru", rb, I, H, 0, L, D, True, x, lens, h0, None)
    assert_close("reset-before GRU with r = 1 vs nn.GRU", got, ref)


# ---- main ------------------------------------------------------------------------------------

def write_all(out):
    import torch
    torch.set_num_threads(1)  # fixed reduction order: identical bytes on every run
    os.makedirs(out, exist_ok=True)
    check_variant_reductions()
    names = [c.name for c in CASES]
    assert len(set(names)) == len(names)
    keep = {"MANIFEST"}
    for c in CASES:
        model, dtypes, metadata, io, io_meta = make_case(c)
        st.write(os.path.join(out, c.name + ".model.safetensors"), model, metadata, dtypes)
        st.write(os.path.join(out, c.name + ".io.safetensors"), io, io_meta)
        keep |= {c.name + ".model.safetensors", c.name + ".io.safetensors"}
    for f in os.listdir(out):  # drop cases that no longer exist
        if f.endswith(".safetensors") and f not in keep:
            os.remove(os.path.join(out, f))
    with open(os.path.join(out, "MANIFEST"), "w") as f:
        f.write("".join(n + "\n" for n in names))
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join("tests", "data", "golden"),
                    help="output directory (default: tests/data/golden)")
    ap.add_argument("--list", action="store_true", help="print the cases and exit")
    args = ap.parse_args()
    if args.list:
        for c in CASES:
            print(f"{c.name}: {c.what}")
        return
    names = write_all(args.out)
    total = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out))
    print(f"wrote {len(names)} cases to {args.out} ({total} bytes)")


if __name__ == "__main__":
    main()
