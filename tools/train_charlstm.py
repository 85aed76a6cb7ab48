"""Train the character-level LSTM that ships as rnnrt's default model.

    /usr/bin/python3 tools/train_charlstm.py [--out models/charlstm.safetensors]

Corpus: the King James Version of the Bible (1611; public domain), as shipped by Debian's
bible-kjv-text package and printed by the `bible` program of bible-kjv (both installed with
apt-get; the package's copyright file: "The copyright for the King James Version text of the
Bible is expired"). Verse references are dropped and each verse becomes one line.

Model: Embedding(vocab, 64) -> LSTM(64, 512) -> Linear(512, vocab), the PyTorch module names
`embedding`, `lstm`, `fc`, saved as F16 safetensors with the metadata rnnrt reads
(docs/model-format.md): rnnrt.vocab (the characters, token k being the k-th one),
rnnrt.embedding, rnnrt.head. Training is seeded and single-threaded (the machine is shared and
PyTorch's multi-threaded LSTM is slower than one thread when the cores are busy); it prints the
training time and the validation loss in bits per character.
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

CORPUS_NAME = "King James Version of the Bible (Debian package bible-kjv-text)"
CORPUS_LICENSE = "public domain (the 1611 translation's copyright has expired)"


def load_corpus():
    """One verse per line, without references, from the `bible` program."""
    try:
        raw = subprocess.run(["bible", "-f", "Gen1:1-Rev22:21"], check=True,
                             capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        sys.exit(f"train_charlstm: cannot run `bible` ({e}); apt-get install bible-kjv "
                 "bible-kjv-text")
    verses = []
    for line in raw.split("\n"):
        m = re.match(r"^\S+?\d+:\d+ (.*)$", line)
        if m:
            verses.append(m.group(1).strip())
        elif line.strip() and verses:
            verses[-1] += " " + line.strip()
    text = "".join(v + "\n" for v in verses)
    if len(verses) != 31102:
        sys.exit(f"train_charlstm: expected the 31102 verses of the KJV, got {len(verses)}")
    return text


# The last 2% of the corpus is held out, and evaluate() reads it as VALID_BATCH streams cut
# into windows of VALID_SEQ steps (tools/quality_report.py measures it the same way).
TRAIN_FRACTION = 0.98
VALID_SEQ, VALID_BATCH = 200, 16


def encode(text):
    """(vocab, ids): the corpus's characters in sorted order (token k is the k-th) and the
    text as int64 token ids."""
    vocab = "".join(sorted(set(text)))
    index = np.zeros(128, dtype=np.int64)
    for k, c in enumerate(vocab):
        index[ord(c)] = k
    return vocab, index[np.frombuffer(text.encode("ascii"), dtype=np.uint8)]


def split(data):
    """(train, valid): the token ids before and after the held-out cut."""
    cut = int(len(data) * TRAIN_FRACTION)
    return data[:cut], data[cut:]


def build(vocab, emb, hidden, layers):
    import torch
    from torch import nn

    class CharLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(vocab, emb)
            self.lstm = nn.LSTM(emb, hidden, num_layers=layers)
            self.fc = nn.Linear(hidden, vocab)

        def forward(self, ids, state=None):
            out, state = self.lstm(self.embedding(ids), state)
            return self.fc(out), state

    torch.manual_seed(1234)
    return CharLSTM()


def evaluate(model, data, seq, batch):
    import torch
    from torch import nn
    model.eval()
    n = (len(data) - 1) // (seq * batch) * (seq * batch)
    x = torch.from_numpy(data[:n].reshape(batch, -1).T.copy())
    y = torch.from_numpy(data[1:n + 1].reshape(batch, -1).T.copy())
    total, state = 0.0, None
    with torch.no_grad():
        for t in range(0, x.shape[0], seq):
            logits, state = model(x[t:t + seq], state)
            total += nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                 y[t:t + seq].reshape(-1), reduction="sum")
    model.train()
    return float(total) / n / np.log(2.0)


def sample(model, vocab, prompt, n, temperature=0.8, seed=1):
    import torch
    g = torch.Generator().manual_seed(seed)
    index = {c: k for k, c in enumerate(vocab)}
    ids = torch.tensor([[index[c]] for c in prompt])
    out, state = prompt, None
    with torch.no_grad():
        logits, state = model(ids, state)
        for _ in range(n):
            p = torch.softmax(logits[-1, 0] / temperature, 0)
            k = int(torch.multinomial(p, 1, generator=g))
            out += vocab[k]
            logits, state = model(torch.tensor([[k]]), state)
    return out


def save(model, vocab, path, meta):
    sd = {n: t.detach().numpy().astype(np.float16) for n, t in model.state_dict().items()}
    metadata = {"rnnrt.vocab": vocab, "rnnrt.embedding": "embedding", "rnnrt.head": "fc"}
    metadata.update(meta)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    st.write(path, sd, metadata)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join("models", "charlstm.safetensors"))
    ap.add_argument("--embedding", type=int, default=64)
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--seq", type=int, default=100)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    import torch
    from torch import nn
    torch.set_num_threads(args.threads)
    torch.backends.mkldnn.enabled = False  # its LSTM is several times slower here

    text = load_corpus()
    vocab, data = encode(text)
    train, valid = split(data)
    print(f"corpus: {len(text)} characters, vocabulary of {len(vocab)}; training on "
          f"{len(train)}, validating on {len(valid)}")

    model = build(len(vocab), args.embedding, args.hidden, args.layers)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps,
                                                pct_start=0.05)
    rng = np.random.default_rng(1234)
    start = time.time()
    for step in range(1, args.steps + 1):
        begin = rng.integers(0, len(train) - args.seq - 1, size=args.batch)
        rows = begin[None, :] + np.arange(args.seq + 1)[:, None]
        chunk = torch.from_numpy(train[rows])
        logits, _ = model(chunk[:-1])
        loss = nn.functional.cross_entropy(logits.reshape(-1, len(vocab)),
                                           chunk[1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 100 == 0 or step == args.steps:
            print(f"step {step}/{args.steps}: loss {float(loss) / np.log(2):.3f} bits/char, "
                  f"{time.time() - start:.0f} s", flush=True)
    minutes = (time.time() - start) / 60
    bpc = evaluate(model, valid, VALID_SEQ, VALID_BATCH)
    print(f"trained in {minutes:.1f} min ({args.threads} thread(s)); validation "
          f"{bpc:.3f} bits/char")
    print(sample(model, vocab, "The ", 300))
    save(model, vocab, args.out, {
        "rnnrt.description": f"character LSTM, embedding {args.embedding}, {args.layers} x "
                             f"LSTM {args.hidden}, trained by tools/train_charlstm.py",
        "rnnrt.corpus": CORPUS_NAME, "rnnrt.corpus_license": CORPUS_LICENSE,
        "rnnrt.validation_bits_per_char": f"{bpc:.3f}",
    })
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)")


if __name__ == "__main__":
    main()
