"""Train the digits sequence classifier of examples/digits and write its files.

    /usr/bin/python3 examples/digits/train_digits.py

Data: the 8x8 handwritten digits shipped with Debian's python3-sklearn
(sklearn.datasets.load_digits: 1797 images, pixels 0..16), split 80/20 with a fixed seed.
Each image is a sequence of 8 rows of 8 pixels (divided by 16) fed to nn.LSTM(8, 32); a
linear head nn.Linear(32, 10) reads the last step's output. Writes, next to this script,
  digits.safetensors  the model (lstm.*, fc.*: rnnrt finds the head by its name);
  digits_test.bin     the test set for digits.c: one text line
                      "rnnrt-digits v1 count=N pytorch_correct=K\n", then N records of 66
                      bytes: label, PyTorch's prediction, 64 pixels (row-major, 0..16).
"""
import os
import sys

import numpy as np
import torch
from torch import nn
from sklearn.datasets import load_digits

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
import safetensors_io as st  # noqa: E402


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(8, 32)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):  # x [8, B, 8]
        return self.fc(self.lstm(x)[0][-1])


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    digits = load_digits()
    images, labels = digits.images.astype(np.uint8), digits.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(labels))
    split = int(0.8 * len(labels))
    train, test = order[:split], order[split:]

    def seq(idx):  # [8 rows = steps, B, 8 pixels]
        return torch.from_numpy(images[idx].transpose(1, 0, 2).astype(np.float32) / 16.0)

    model = Classifier()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    xtr, ytr = seq(train), torch.from_numpy(labels[train])
    for epoch in range(60):
        for b in range(0, len(train), 128):
            loss = nn.functional.cross_entropy(model(xtr[:, b:b + 128]), ytr[b:b + 128])
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        pred = model(seq(test)).argmax(1).numpy()
    correct = int((pred == labels[test]).sum())
    print(f"PyTorch: {correct}/{len(test)} test digits right ({100 * correct / len(test):.2f}%)")
    st.write(os.path.join(HERE, "digits.safetensors"),
             {n: t.detach().numpy() for n, t in model.state_dict().items()},
             {"rnnrt.description": "LSTM(8, 32) over the rows of 8x8 digits, linear head on "
                                   "the last step (examples/digits/train_digits.py)"})
    with open(os.path.join(HERE, "digits_test.bin"), "wb") as f:
        f.write(f"rnnrt-digits v1 count={len(test)} pytorch_correct={correct}\n".encode())
        for k, i in enumerate(test):
            f.write(bytes([labels[i], pred[k]]) + images[i].tobytes())


if __name__ == "__main__":
    main()
