"""Write the whole-model test cases (embedding, recurrent stack, head) to tests/data/stack/.

Run from the repository root (needs Debian's python3-torch, hence /usr/bin/python3):

    /usr/bin/python3 tools/make_stack_tests.py [--out tests/data/stack]

For each case <name> of MANIFEST it writes
  <name>.model.safetensors  a PyTorch model's state_dict (nn.Embedding -> nn.LSTM/nn.GRU ->
                            nn.Linear, under the names of the case) with its metadata;
  <name>.io.safetensors     ids I32 [T,B] (or x F32 [T,B,I]); optional lengths I32 [B];
                            out F32 [T,B,N], PyTorch's head applied to every step (zeros past
                            each sequence's length); last F32 [B,N], the head at each sequence's
                            last step.
and charlstm.io.safetensors for the shipped models/charlstm.safetensors: ids_<n> I32 [n,1] and
logits_<n> F32 [n,1,vocab] for prompts of several lengths n, computed by PyTorch from the file's
own (F16) weights. MANIFEST lists one case per line. BAD lists the files that must not load,
one per line: "<file> <status> <part of the message>".
"""
import argparse
import os
import sys
import zlib

import numpy as np

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as st  # noqa: E402

VOCAB = "abc de\nfgé€."  # 12 characters, two of them outside ASCII


def torch_stack(cell, E, I, H, L, bidir, P, vocab, head, head_bias):
    import torch
    from torch import nn
    torch.manual_seed(7)
    emb = nn.Embedding(vocab, E) if vocab else None
    if cell == "lstm":
        rnn = nn.LSTM(I, H, num_layers=L, bidirectional=bidir, proj_size=P)
    else:
        rnn = nn.GRU(I, H, num_layers=L, bidirectional=bidir)
    out = (2 if bidir else 1) * (P or H)
    fc = nn.Linear(out, head, bias=head_bias) if head else None
    return emb, rnn, fc


def reference(emb, rnn, fc, inputs, lengths):
    """PyTorch's outputs at every step (zeros past each length) and at each last step."""
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
    with torch.no_grad():
        x = emb(torch.from_numpy(inputs).long()) if emb is not None else torch.from_numpy(inputs)
        T, B = x.shape[0], x.shape[1]
        lens = lengths if lengths is not None else np.full(B, T, dtype=np.int32)
        packed = pack_padded_sequence(x, torch.from_numpy(lens.astype(np.int64)),
                                      enforce_sorted=False)
        y, _ = rnn(packed)
        y, _ = pad_packed_sequence(y, total_length=T)
        out = fc(y) if fc is not None else y
        mask = (torch.arange(T)[:, None] < torch.from_numpy(lens.astype(np.int64))[None, :])
        out = out * mask[:, :, None]
        last = out[torch.from_numpy(lens.astype(np.int64) - 1), torch.arange(B)]
    return out.numpy().astype(np.float32), last.numpy().astype(np.float32)


# name, cell, embedding module, rnn module, head module, options
CASES = [
    dict(name="lstm_char", cell="lstm", E=8, H=16, vocab=len(VOCAB), head=len(VOCAB),
         names=("embedding", "lstm", "fc"), meta={"rnnrt.vocab": VOCAB}, T=9, B=3,
         lengths=(9, 4, 1)),
    dict(name="gru_2layer_bidir_classifier", cell="gru", E=6, H=10, L=2, bidir=True, vocab=20,
         head=5, names=("model.embed", "model.rnn", "model.classifier"), T=7, B=4,
         lengths=(7, 3, 5, 1)),
    dict(name="lstm_proj_nobias_head", cell="lstm", E=5, H=12, P=4, L=2, vocab=9, head=9,
         head_bias=False, names=("emb", "rnn", "out"), T=6, B=2, dtype="F16"),
    dict(name="word_lm_names", cell="lstm", E=10, H=10, vocab=30, head=30,
         names=("encoder", "rnn", "decoder"), T=5, B=2, dtype="BF16"),
    dict(name="metadata_names", cell="gru", E=4, H=6, vocab=7, head=7,
         names=("tok", "body.cell", "score"),
         meta={"rnnrt.embedding": "tok", "rnnrt.head": "score", "rnnrt.vocab": "ABCDEFG"},
         T=4, B=2, lengths=(2, 4)),
    dict(name="float_classifier", cell="lstm", I=8, H=12, vocab=0, head=3,
         names=(None, "lstm", "fc"), T=8, B=5, lengths=(8, 8, 3, 6, 1)),
]


def write_case(c, out):
    import torch  # noqa: F401
    rng = np.random.default_rng(zlib.crc32(c["name"].encode()))
    E = c.get("E", 0)
    I = E or c["I"]
    emb, rnn, fc = torch_stack(c["cell"], E, I, c["H"], c.get("L", 1), c.get("bidir", False),
                               c.get("P", 0), c["vocab"], c["head"], c.get("head_bias", True))
    dtype = c.get("dtype", "F32")
    tensors, dtypes = {}, {}
    for module, mod in zip(c["names"], (emb, rnn, fc)):
        if mod is None:
            continue
        for n, t in mod.state_dict().items():
            v = t.numpy().astype(np.float32)
            name = f"{module}.{n}"
            if dtype == "F16":
                v16 = v.astype(np.float16)
                t.copy_(torch_from(v16.astype(np.float32)))
                tensors[name] = v16
            elif dtype == "BF16":
                bits = st.float32_to_bf16_bits(v).reshape(v.shape)
                t.copy_(torch_from(st.bf16_bits_to_float32(bits).reshape(v.shape)))
                tensors[name], dtypes[name] = bits, "BF16"
            else:
                tensors[name] = v
    T, B = c["T"], c["B"]
    lengths = np.array(c["lengths"], dtype=np.int32) if "lengths" in c else None
    if c["vocab"]:
        inputs = rng.integers(0, c["vocab"], size=(T, B)).astype(np.int32)
        if lengths is not None:  # ids past a length are never read: make them invalid
            for b in range(B):
                inputs[lengths[b]:, b] = -5
        safe = np.where(inputs < 0, 0, inputs)
        y, last = reference(emb, rnn, fc, safe, lengths)
    else:
        inputs = rng.standard_normal((T, B, I)).astype(np.float32)
        y, last = reference(emb, rnn, fc, inputs, lengths)
    st.write(os.path.join(out, c["name"] + ".model.safetensors"), tensors, c.get("meta"),
             dtypes)
    io = {"ids" if c["vocab"] else "x": inputs}
    if lengths is not None:
        io["lengths"] = lengths
    io["out"], io["last"] = y, last
    st.write(os.path.join(out, c["name"] + ".io.safetensors"), io)


def torch_from(a):
    import torch
    return torch.from_numpy(np.ascontiguousarray(a))


def write_charlstm(model_path, out):
    """PyTorch's logits for the shipped model, from the file's own weights."""
    import torch
    from torch import nn
    tensors, meta = st.read(model_path)
    vocab = meta["rnnrt.vocab"]
    sd = {n: torch.from_numpy(v.astype(np.float32)) for n, v in tensors.items()}
    E = sd["embedding.weight"].shape[1]
    H = sd["lstm.weight_hh_l0"].shape[1]
    L = sum(1 for n in sd if n.startswith("lstm.weight_ih_l"))
    emb, rnn, fc = nn.Embedding(len(vocab), E), nn.LSTM(E, H, L), nn.Linear(H, len(vocab))
    for prefix, mod in (("embedding.", emb), ("lstm.", rnn), ("fc.", fc)):
        mod.load_state_dict({n[len(prefix):]: v for n, v in sd.items() if n.startswith(prefix)})
    text = ("The LORD is my shepherd; I shall not want. He maketh me to lie down in green "
            "pastures: he leadeth me beside the still waters.\n")
    io = {}
    for n in (1, 4, 17, 64, len(text)):
        ids = np.array([[vocab.index(ch)] for ch in text[:n]], dtype=np.int32)
        with torch.no_grad():
            y, _ = rnn(emb(torch.from_numpy(ids).long()))
            io[f"ids_{n}"] = ids
            io[f"logits_{n}"] = fc(y).numpy().astype(np.float32)
    st.write(os.path.join(out, "charlstm.io.safetensors"), io)
    return sorted(int(k[4:]) for k in io if k.startswith("ids_"))


def lstm_sd(E, H, V, names=("embedding", "lstm", "fc"), head=None, head_in=None):
    rng = np.random.default_rng(3)
    f = lambda *s: rng.uniform(-0.5, 0.5, s).astype(np.float32)  # noqa: E731
    e, r, h = names
    sd = {}
    if e:
        sd[f"{e}.weight"] = f(V, E)
    sd.update({f"{r}.weight_ih_l0": f(4 * H, E), f"{r}.weight_hh_l0": f(4 * H, H),
               f"{r}.bias_ih_l0": f(4 * H), f"{r}.bias_hh_l0": f(4 * H)})
    if h:
        sd[f"{h}.weight"] = f(head or V, head_in or H)
        sd[f"{h}.bias"] = f(head or V)
    return sd


# file, tensors, metadata, status, part of the message
def bad_files():
    V = "abcd"
    sd = lstm_sd(3, 5, 4)
    yield ("bad_head_vocab", lstm_sd(3, 5, 4, head=6), {"rnnrt.vocab": V}, "FORMAT",
           "head 'fc.weight' has 6 outputs but the vocabulary (metadata rnnrt.vocab) has 4")
    yield ("bad_embedding_vocab", lstm_sd(3, 5, 7, head=4), {"rnnrt.vocab": V}, "FORMAT",
           "embedding 'embedding.weight' has 7 rows but the vocabulary")
    yield ("bad_vocab_duplicate", sd, {"rnnrt.vocab": "abca"}, "FORMAT",
           "lists the character U+0061 twice")
    yield ("bad_vocab_no_embedding", lstm_sd(3, 5, 4, names=(None, "lstm", "fc")),
           {"rnnrt.vocab": V}, "FORMAT", "has no embedding table")
    yield ("bad_metadata_embedding_missing", sd, {"rnnrt.embedding": "tok"}, "FORMAT",
           "metadata rnnrt.embedding='tok' but the file has no tensor 'tok.weight'")
    wide = dict(sd)
    wide["proj.weight"] = np.zeros((4, 6), np.float32)
    yield ("bad_metadata_head_width", wide, {"rnnrt.head": "proj"}, "FORMAT",
           "head 'proj.weight' (metadata rnnrt.head) has shape [4, 6]")
    amb = dict(sd)
    amb["embed.weight"] = sd["embedding.weight"]
    yield ("bad_ambiguous_embedding", amb, None, "FORMAT",
           "ambiguous embedding table: both")
    bias = dict(sd)
    bias["fc.bias"] = np.zeros(5, np.float32)
    yield ("bad_head_bias_shape", bias, None, "FORMAT", "head bias 'fc.bias' has shape [5]")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join("tests", "data", "stack"))
    ap.add_argument("--model", default=os.path.join("models", "charlstm.safetensors"))
    args = ap.parse_args()
    import torch
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    for c in CASES:
        write_case(c, args.out)
    with open(os.path.join(args.out, "MANIFEST"), "w") as f:
        f.write("".join(c["name"] + "\n" for c in CASES))
    lines = []
    for name, tensors, meta, status, msg in bad_files():
        st.write(os.path.join(args.out, name + ".safetensors"), tensors, meta)
        lines.append(f"{name}.safetensors {status} {msg}\n")
    with open(os.path.join(args.out, "BAD"), "w") as f:
        f.write("".join(lines))
    lengths = write_charlstm(args.model, args.out)
    total = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out))
    print(f"wrote {len(CASES)} cases, {len(lines)} bad files and the shipped model's logits "
          f"for prompts of {lengths} characters to {args.out} ({total} bytes)")


if __name__ == "__main__":
    main()
