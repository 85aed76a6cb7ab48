"""Model.from_torch: an in-memory PyTorch module to safetensors bytes rnnrt loads.

The recurrent module's state_dict goes in under the prefix "rnn." (PyTorch's names, which
rnnrt reads: docs/model-format.md), an nn.Embedding as "embedding", an nn.Linear head as
"fc", with the metadata keys that name them, so nothing is left to rnnrt's guessing.
"""
from __future__ import annotations

import json
import struct
from typing import Dict, Tuple

import numpy as np


def _error(message: str):
    from . import E_UNSUPPORTED, Error
    return Error(E_UNSUPPORTED, message)


def safetensors_bytes(tensors: Dict[str, np.ndarray], metadata: Dict[str, str]) -> bytes:
    """float32 tensors and string metadata as one safetensors file, in memory."""
    header = {"__metadata__": dict(metadata)}
    chunks, offset = [], 0
    for name, arr in tensors.items():
        raw = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


# nn.RNNBase.mode -> rnnrt.cell (nn.RNN's mode carries its nonlinearity)
_CELLS = {"LSTM": "lstm", "GRU": "gru", "RNN_TANH": "rnn_tanh", "RNN_RELU": "rnn_relu"}


def _recurrent(module):
    """(name, module) of the one nn.LSTM / nn.GRU / nn.RNN in module (itself included)."""
    from torch import nn
    found = [(n, m) for n, m in module.named_modules() if isinstance(m, nn.RNNBase)]
    for n, m in found:
        if m.mode not in _CELLS:
            raise _error(f"{n or 'the module'}: {type(m).__name__} (mode {m.mode}) is not "
                         "supported by rnnrt yet: nn.LSTM, nn.GRU and nn.RNN are")
    if len(found) != 1:
        raise _error(f"{type(module).__name__}: holds {len(found)} nn.LSTM / nn.GRU / nn.RNN "
                     "modules, rnnrt runs exactly one stack")
    return found[0]


def _numpy(t):
    return t.detach().to("cpu").float().numpy()


def to_safetensors(module) -> Tuple[bytes, bool]:
    """(file bytes, batch_first) for an nn.LSTM / nn.GRU / nn.RNN or a module holding one."""
    from torch import nn
    rnn_name, rnn = _recurrent(module)
    tensors = {"rnn." + k: _numpy(v) for k, v in rnn.state_dict().items()}
    meta = {"rnnrt.cell": _CELLS[rnn.mode],
            "rnnrt.prefix": "rnn.", "rnnrt.embedding": "none", "rnnrt.head": "none",
            "rnnrt.converted_from": f"torch:{type(module).__name__}"}
    out_width = (rnn.proj_size or rnn.hidden_size) * (2 if rnn.bidirectional else 1)
    if rnn is not module:
        embeddings = [m for m in module.modules() if isinstance(m, nn.Embedding)
                      and m.embedding_dim == rnn.input_size]
        heads = [m for n, m in module.named_modules() if isinstance(m, nn.Linear)
                 and m.in_features == out_width and not n.startswith(rnn_name + ".")]
        if len(embeddings) > 1 or len(heads) > 1:
            raise _error(f"{type(module).__name__}: more than one nn.Embedding or nn.Linear "
                         "fits the recurrent stack; pass the recurrent module itself")
        if embeddings:
            tensors["embedding.weight"] = _numpy(embeddings[0].weight)
            meta["rnnrt.embedding"] = "embedding"
        if heads:
            tensors["fc.weight"] = _numpy(heads[0].weight)
            if heads[0].bias is not None:
                tensors["fc.bias"] = _numpy(heads[0].bias)
            meta["rnnrt.head"] = "fc"
    return safetensors_bytes(tensors, meta), bool(rnn.batch_first)
