"""Write the seed corpora of the fuzz targets to tests/fuzz/corpus/<target>/.

Run from the repository root (NumPy only; Debian's python3-numpy):

    /usr/bin/python3 tools/make_fuzz_corpus.py [--out tests/fuzz/corpus]

load/  tiny valid models of every cell (lstm, gru, lstm_peephole, lstm_coupled) in every
       dtype (F32, F16, BF16), each alone and as a 2-layer bidirectional stack, plus bias-free,
       projected, prefixed and metadata-selected models; the golden models under 8 KB; and
       the malformed-file corpus of tests/data/malformed (made by tools/make_malformed.py).
       Also the whole models (embedding, head, vocabulary) of tests/data/stack under 16 KB.
npy/   valid .npy files of every version (1, 2, 3) and the dtypes the tool reads or refuses,
       and broken ones (magic, version, header length, descr, order, shape, data size).
tokens/ prompts and sampling settings for the character model of tests/data/stack
       (fuzz_tokens.c gives the layout): in and out of the vocabulary, invalid UTF-8, every
       kind of temperature, raw ids and raw logits.

Small inputs fuzz fastest: the models use input size 2 and hidden size 2 (3 with a
projection to 2); every cell but the plain LSTM declares rnnrt.cell. Output is deterministic;
the whole corpus stays far below 1 MB.
"""
import argparse
import os
import shutil
import struct
import sys

import numpy as np

sys.dont_write_bytecode = True  # no tools/__pycache__ from importing the sibling modules
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as st  # noqa: E402
from make_goldens import param_shapes  # noqa: E402  (torch is not imported at module level)

CELLS = ("lstm", "gru", "lstm_peephole", "lstm_coupled")
DTYPES = ("F32", "F16", "BF16")
GOLDEN_MAX_BYTES = 8192
STACK_MAX_BYTES = 16384


def values(shape, seed):
    """Deterministic values in [-1, 1) of a shape."""
    n = int(np.prod(shape, dtype=np.int64))
    v = (np.arange(n) * 0.37 + seed * 0.11) % 2.0 - 1.0
    return v.reshape(shape).astype(np.float32)


def model_bytes(cell, dtype, I=2, H=2, L=1, D=1, bias=True, P=0, prefix="", metadata=None,
                extra=None):
    shapes = param_shapes(cell, I, H, P, L, D, bias)
    tensors, dtypes = {}, {}
    for k, (name, shape) in enumerate(shapes.items()):
        v = values(shape, k)
        if dtype == "F16":
            v = v.astype(np.float16)
        elif dtype == "BF16":
            v = st.float32_to_bf16_bits(v)
            dtypes[prefix + name] = "BF16"
        elif dtype == "I8" and name.startswith(("weight_ih", "weight_hh", "weight_hr")):
            scale = np.maximum(np.abs(v).max(axis=1), 1e-3).astype(np.float32) / 127
            tensors[prefix + name + "_scale"] = scale
            v = np.clip(np.rint(v / scale[:, None]), -127, 127).astype(np.int8)
        tensors[prefix + name] = v
    tensors.update(extra or {})
    meta = dict(metadata or {})
    if cell != "lstm":
        meta["rnnrt.cell"] = cell
    return st.to_bytes(tensors, meta or None, dtypes)


def load_corpus(root):
    files = {}
    for cell in CELLS:
        for dtype in DTYPES:
            tag = f"{cell}_{dtype.lower()}"
            files[f"{tag}.safetensors"] = model_bytes(cell, dtype)
            files[f"{tag}_2layer_bidir.safetensors"] = model_bytes(cell, dtype, L=2, D=2)
        files[f"{cell}_nobias.safetensors"] = model_bytes(cell, "F32", bias=False)
        if cell != "gru":
            files[f"{cell}_proj.safetensors"] = model_bytes(cell, "F32", H=3, P=2)
            files[f"{cell}_proj_2layer_bidir.safetensors"] = model_bytes(cell, "F32", H=3, P=2,
                                                                         L=2, D=2)
    files["lstm_prefix_head.safetensors"] = model_bytes(
        "lstm", "F32", prefix="rnn.",
        extra={"embedding.weight": values((5, 2), 9), "fc.weight": values((3, 2), 10)})
    files["gru_select_prefix.safetensors"] = model_bytes(
        "gru", "F32", prefix="dec.", metadata={"rnnrt.prefix": "dec."},
        extra={"enc.weight_ih_l0": values((6, 2), 3), "enc.weight_hh_l0": values((6, 2), 4)})
    files["lstm_3layer_h1.safetensors"] = model_bytes("lstm", "F32", I=1, H=1, L=3)
    for cell in CELLS:  # int8 matrices with row scales, as `rnnrt quantize` writes them
        files[f"{cell}_i8_2layer_bidir.safetensors"] = model_bytes(cell, "I8", L=2, D=2)
    files["lstm_i8_proj.safetensors"] = model_bytes("lstm", "I8", H=3, P=2)
    # gate functions (rnnrt.activation_functions): one entry, and one per layer and direction
    files["lstm_functions.safetensors"] = model_bytes(
        "lstm", "F32", metadata={"rnnrt.activation_functions": "HardSigmoid(0.2,0.5),Tanh,Elu(1)",
                                 "rnnrt.layout": "batch_major"})
    files["gru_functions_2layer_bidir.safetensors"] = model_bytes(
        "gru", "F32", L=2, D=2, metadata={"rnnrt.activation_functions": (
            "Sigmoid,Tanh;LeakyRelu(0.01),Softsign;ScaledTanh(1,0.5),Affine(-1,2);"
            "ThresholdedRelu(1),Softplus"), "rnnrt.clip": "3"})

    golden = os.path.join(root, "tests", "data", "golden")
    for name in sorted(os.listdir(golden)):
        path = os.path.join(golden, name)
        if name.endswith(".model.safetensors") and os.path.getsize(path) <= GOLDEN_MAX_BYTES:
            with open(path, "rb") as f:
                files["golden_" + name] = f.read()
    stack = os.path.join(root, "tests", "data", "stack")
    for name in sorted(os.listdir(stack)):
        path = os.path.join(stack, name)
        if (name.endswith(".safetensors") and ".io." not in name
                and os.path.getsize(path) <= STACK_MAX_BYTES):
            with open(path, "rb") as f:
                files["stack_" + name] = f.read()
    malformed = os.path.join(root, "tests", "data", "malformed")
    for name in sorted(os.listdir(malformed)):
        if name not in ("MANIFEST", "README.md"):
            with open(os.path.join(malformed, name), "rb") as f:
                files["malformed_" + name] = f.read()
    return files


def npy_bytes(descr, shape, data, version=1, fortran="False", header=None, hlen=None):
    """A .npy file; header replaces the dict text, hlen overrides the header length field."""
    if header is None:
        dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
        header = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': ({dims}), }}"
    text = header.encode("latin1")
    pre = 10 if version == 1 else 12
    text += b" " * (-(pre + len(text) + 1) % 64) + b"\n"
    n = len(text) if hlen is None else hlen
    size = struct.pack("<H", n) if version == 1 else struct.pack("<I", n)
    return b"\x93NUMPY" + bytes([version, 0]) + size + text + data


def npy_corpus():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 8 - 1
    f = {}
    f["f4_3d.npy"] = npy_bytes("<f4", (2, 3, 4), x.tobytes())
    f["f8_3d.npy"] = npy_bytes("<f8", (2, 3, 4), x.astype("<f8").tobytes())
    f["f4_v2.npy"] = npy_bytes("<f4", (2, 3, 4), x.tobytes(), version=2)
    f["f4_v3.npy"] = npy_bytes("<f4", (2, 3, 4), x.tobytes(), version=3)
    f["i4_1d.npy"] = npy_bytes("<i4", (3,), np.array([3, 1, 2], "<i4").tobytes())
    f["i8_1d.npy"] = npy_bytes("<i8", (3,), np.array([3, 1, 2], "<i8").tobytes())
    f["i8_too_big.npy"] = npy_bytes("<i8", (2,), np.array([1, 1 << 40], "<i8").tobytes())
    f["u1_1d.npy"] = npy_bytes("|u1", (4,), bytes([1, 2, 3, 4]))
    f["f2_1d.npy"] = npy_bytes("<f2", (2,), np.array([1, 2], "<f2").tobytes())
    f["scalar.npy"] = npy_bytes("<f4", (), np.float32(1.5).tobytes())
    f["empty.npy"] = npy_bytes("<f4", (0, 3), b"")
    f["f4_8d.npy"] = npy_bytes("<f4", (1,) * 8, np.float32(2).tobytes())
    f["bad_magic.npy"] = b"\x93NUMPZ" + f["f4_3d.npy"][6:]
    f["bad_version.npy"] = f["f4_3d.npy"][:6] + b"\x04" + f["f4_3d.npy"][7:]
    f["header_past_end.npy"] = npy_bytes("<f4", (2,), b"", hlen=4000)
    f["big_endian.npy"] = npy_bytes(">f4", (2,), np.array([1, 2], ">f4").tobytes())
    f["fortran.npy"] = npy_bytes("<f4", (2, 2), x.ravel()[:4].tobytes(), fortran="True")
    f["no_descr.npy"] = npy_bytes("", (), b"", header="{'fortran_order': False, 'shape': (1,), }")
    f["descr_cut.npy"] = npy_bytes("", (), b"", header="{'shape': (1,), 'descr': '<")
    f["shape_overflow.npy"] = npy_bytes("<f4", (1 << 32, 1 << 32, 1 << 32), b"")
    f["f4_9d.npy"] = npy_bytes("<f4", (1,) * 9, np.float32(2).tobytes())
    f["data_short.npy"] = npy_bytes("<f4", (2, 3, 4), x.tobytes()[:-4])
    f["data_long.npy"] = npy_bytes("<f4", (2, 3, 4), x.tobytes() + b"\0\0\0\0")
    f["bool.npy"] = npy_bytes("|b1", (2,), b"\x01\x00")
    return f


def tokens_input(prompt, steps=4, batch=1, top_k=0, temperature=0.8, seed=1):
    """fuzz_tokens' layout: steps | batch, top_k, temperature bits, seed, prompt bytes."""
    head = bytes([(steps & 7) | ((batch - 1) & 3) << 3, top_k & 0xFF])
    return head + struct.pack("<fQ", temperature, seed) + prompt


def tokens_corpus():
    """Prompts for tests/data/stack/lstm_char, whose vocabulary is 'abc de\\nfgé€.'."""
    f = {}
    f["greedy.bin"] = tokens_input("abc de".encode(), temperature=0.0)
    f["sampled.bin"] = tokens_input("fg. ab".encode(), steps=7, top_k=3)
    f["unicode.bin"] = tokens_input("é€a\nb".encode(), steps=5, temperature=1.5)
    f["top1.bin"] = tokens_input("dd ee".encode(), top_k=1)
    f["outside_vocab.bin"] = tokens_input("xyz".encode())
    f["bad_utf8.bin"] = tokens_input(b"ab\xc3(\xe2\x82")
    f["overlong_utf8.bin"] = tokens_input(b"a\xc1\xa1b")
    f["empty_prompt.bin"] = tokens_input(b"")
    f["nan_temperature.bin"] = tokens_input(b"abc", temperature=float("nan"))
    f["negative_temperature.bin"] = tokens_input(b"abc", temperature=-1.0)
    f["huge_temperature.bin"] = tokens_input(b"abc", temperature=float("inf"))
    f["tiny_temperature.bin"] = tokens_input(b"abc", temperature=1e-45)
    f["raw_ids_batch3.bin"] = tokens_input(struct.pack("<12h", *range(-2, 10)), batch=3)
    f["raw_logits.bin"] = tokens_input(struct.pack("<6f", 1.0, float("-inf"), 3.0, 3.0, -2.0,
                                                   0.5), top_k=2)
    f["long_prompt.bin"] = tokens_input(("abc de" * 50).encode(), steps=7)
    return f


def write(directory, files):
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    for name, content in files.items():
        with open(os.path.join(directory, name), "wb") as f:
            f.write(content)
    return sum(len(c) for c in files.values())


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(root, "tests", "fuzz", "corpus"))
    args = ap.parse_args()
    for target, files in (("load", load_corpus(root)), ("npy", npy_corpus()),
                          ("tokens", tokens_corpus())):
        total = write(os.path.join(args.out, target), files)
        print(f"{target}: {len(files)} inputs, {total} bytes")


if __name__ == "__main__":
    main()
