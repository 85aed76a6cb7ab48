"""The installed Python package rnnrt (pip install . into a venv: tools/setup_venv.sh), run by
tools/run_tests.sh as

    .venv/bin/python -m pytest tests/python/test_package.py tests/python/test_batch.py

It imports rnnrt from the venv (not from the clone's python/), checks that it loads from
any directory with no environment variable, that tools/convert.py works outside the tree,
Model.from_torch against PyTorch for every cell rnnrt has, and the API's edges.
Tolerance: 1e-5 relative to max(1, |ref|), PyTorch's float32 against rnnrt's float32 (both
round; the C golden tests hold rnnrt to the same bound against float64 references).
"""
import ast
import ctypes
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IN_VENV = sys.prefix != sys.base_prefix
if not IN_VENV:
    pytest.skip("run from the venv tools/setup_venv.sh makes (.venv/bin/python -m pytest)",
                allow_module_level=True)

import rnnrt  # noqa: E402


def clean_env():
    return {k: v for k, v in os.environ.items() if k not in ("RNNRT_LIB", "PYTHONPATH")}


def rel_err(a, b):
    b = np.asarray(b)
    return float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b)))) if b.size else 0.0


def test_installed_outside_the_tree(tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", "import rnnrt; print(rnnrt.__file__); print(rnnrt.library_path);"
         "print(rnnrt.DEFAULT_MODEL); m = rnnrt.Model(rnnrt.DEFAULT_MODEL);"
         "print(ascii(m.generate('The ', length=20, seed=1)))"],
        cwd=tmp_path, env=clean_env(), capture_output=True, text=True, check=True).stdout
    package, lib, model, text = out.splitlines()[:4]
    here = os.path.dirname(package)
    assert here.startswith(sys.prefix + os.sep), f"not the venv's package: {package}"
    assert lib == os.path.join(here, "librnnrt.so")
    assert model == os.path.join(here, "charlstm.safetensors")
    text = ast.literal_eval(text)
    assert text.startswith("The ") and len(text) == 24


def test_sdist_builds_and_installs(tmp_path):
    """The sdist meson-python makes (meson dist: the files git tracks) installs on its own,
    into a second venv, and imports from outside both trees."""
    make = f"import mesonpy; mesonpy.build_sdist({str(tmp_path)!r})"
    subprocess.run([sys.executable, "-c", make], cwd=ROOT, env=clean_env(), check=True,
                   capture_output=True)
    (sdist,) = tmp_path.glob("rnnrt-*.tar.gz")
    venv = tmp_path / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(venv)],
                   check=True)
    py = str(venv / "bin" / "python")
    subprocess.run([py, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-deps",
                    str(sdist)], cwd=tmp_path, env=clean_env(), check=True,
                   capture_output=True)
    out = subprocess.run([py, "-c", "import rnnrt; print(rnnrt.library_path)"], cwd=tmp_path,
                         env=clean_env(), check=True, capture_output=True, text=True).stdout
    assert out.strip().startswith(str(venv))


def test_convert_outside_the_tree(tmp_path):
    for name in ("convert.py", "safetensors_io.py"):
        shutil.copy(os.path.join(ROOT, "tools", name), tmp_path)
    torch.manual_seed(3)
    torch.save(nn.GRU(6, 10, num_layers=2).state_dict(), tmp_path / "gru.pt")
    r = subprocess.run([sys.executable, "convert.py", "gru.pt", "gru.safetensors"],
                       cwd=tmp_path, env=clean_env(), capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert rnnrt.Model(str(tmp_path / "gru.safetensors")).cell == "gru"


CELLS = {
    "lstm": lambda: nn.LSTM(7, 12),
    "lstm_proj": lambda: nn.LSTM(7, 12, proj_size=5),
    "lstm_nobias": lambda: nn.LSTM(7, 12, bias=False),
    "lstm_bidir_3layers": lambda: nn.LSTM(7, 12, num_layers=3, bidirectional=True),
    "lstm_proj_bidir_batch_first": lambda: nn.LSTM(7, 12, num_layers=2, proj_size=4,
                                                   bidirectional=True, batch_first=True),
    "gru": lambda: nn.GRU(7, 12),
    "gru_bidir_2layers": lambda: nn.GRU(7, 12, num_layers=2, bidirectional=True),
    "gru_batch_first_nobias": lambda: nn.GRU(7, 12, bias=False, batch_first=True),
    "rnn_tanh": lambda: nn.RNN(7, 12),
    "rnn_tanh_bidir_2layers": lambda: nn.RNN(7, 12, num_layers=2, bidirectional=True),
    "rnn_relu": lambda: nn.RNN(7, 12, nonlinearity="relu"),
    "rnn_relu_bidir_2layers_batch_first_nobias": lambda: nn.RNN(
        7, 12, num_layers=2, nonlinearity="relu", bidirectional=True, batch_first=True,
        bias=False),
}


@pytest.mark.parametrize("name", sorted(CELLS))
def test_from_torch_matches_pytorch(name):
    torch.manual_seed(len(name))
    mod = CELLS[name]().eval()
    m = rnnrt.Model.from_torch(mod)
    assert m.batch_first == mod.batch_first
    assert m.cell == {"LSTM": "lstm", "GRU": "gru", "RNN_TANH": "rnn_tanh",
                      "RNN_RELU": "rnn_relu"}[mod.mode]
    T, B = 9, 4
    x = torch.randn((B, T, 7) if mod.batch_first else (T, B, 7))
    lengths = torch.tensor([9, 3, 7, 1])
    D = 2 if mod.bidirectional else 1
    h0 = torch.randn(mod.num_layers * D, B, mod.proj_size or mod.hidden_size)
    c0 = torch.randn(mod.num_layers * D, B, mod.hidden_size)
    lstm = isinstance(mod, nn.LSTM)
    with torch.no_grad():
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=mod.batch_first,
                                                   enforce_sorted=False)
        y_p, hn = mod(packed, (h0, c0) if lstm else h0)
        y_ref, _ = nn.utils.rnn.pad_packed_sequence(y_p, batch_first=mod.batch_first,
                                                    total_length=T)
    h_ref, c_ref = hn if lstm else (hn, None)
    s = m.state(B)
    s.write(h0.numpy(), c0.numpy() if lstm else None)
    y = m.forward(x.numpy(), state=s, lengths=lengths.numpy())
    assert y.shape == tuple(y_ref.shape)
    assert rel_err(y, y_ref.numpy()) < 1e-5
    h, c = s.read()
    assert rel_err(h, h_ref.numpy()) < 1e-5
    if lstm:
        assert rel_err(c, c_ref.numpy()) < 1e-5
    else:
        assert c is None


class CharNet(nn.Module):
    def __init__(self, cell):
        super().__init__()
        self.tok = nn.Embedding(11, 6)
        self.body = cell(6, 10, num_layers=2, batch_first=True)
        self.proj = nn.Linear(10, 11)

    def forward(self, ids):
        y, _ = self.body(self.tok(ids))
        return self.proj(y)


@pytest.mark.parametrize("cell", [nn.LSTM, nn.GRU, nn.RNN])
def test_from_torch_module_with_embedding_and_head(cell):
    torch.manual_seed(5)
    net = CharNet(cell).eval()
    m = rnnrt.Model.from_torch(net)
    assert (m.vocab_size, m.head_size, m.batch_first) == (11, 11, True)
    ids = torch.randint(0, 11, (3, 8))
    with torch.no_grad():
        ref = net(ids).numpy()
        emb = net.tok(ids).numpy()
    assert rel_err(m.forward_tokens(ids.numpy()), ref) < 1e-5
    assert rel_err(m.forward_head(emb), ref) < 1e-5
    last = m.forward_tokens(ids.numpy(), last_step_only=True)
    assert rel_err(last, ref[:, -1]) < 1e-5


def test_from_torch_refuses_what_rnnrt_lacks():
    two = nn.Sequential(nn.LSTM(4, 5), nn.LSTM(5, 5))
    with pytest.raises(rnnrt.Error, match="exactly one"):
        rnnrt.Model.from_torch(two)


def test_errors_carry_the_library_message():
    with pytest.raises(rnnrt.Error) as e:
        rnnrt.Model("/nonexistent.safetensors")
    assert e.value.status == 3 and "cannot open" in e.value.message
    with pytest.raises(rnnrt.Error) as e:
        rnnrt.Model(b"not a model")
    assert e.value.status == 4
    m = rnnrt.Model.from_torch(nn.GRU(3, 4))
    with pytest.raises(rnnrt.Error, match="lengths"):
        m.forward(np.zeros((5, 2, 3), np.float32), lengths=[5, 6])
    with pytest.raises(rnnrt.Error, match="x must have shape"):
        m.forward(np.zeros((5, 2, 4), np.float32))
    with pytest.raises(rnnrt.Error, match="weights") as e:
        rnnrt.Model.from_torch(nn.GRU(3, 4), weights="f16")
    assert e.value.status == rnnrt.E_INVALID


def test_reduced_precision_weights():
    """bf16 and int8 load from Python and stay near PyTorch's float32 result: bf16 moves a
    weight by at most 2^-9 of itself, int8 by 1/254 of its row's largest; on this small GRU
    (T=6) that moves outputs by ~1e-3 and ~1e-2; 0.05 catches a wrong mapping (errors ~0.3)."""
    torch.manual_seed(3)
    gru = nn.GRU(5, 16)
    x = np.random.default_rng(3).uniform(-1, 1, (6, 2, 5)).astype(np.float32)
    want = gru(torch.from_numpy(x))[0].detach().numpy()
    for weights in ("bf16", "int8"):
        m = rnnrt.Model.from_torch(gru, weights=weights)
        assert m.weights == weights and m.activations == "f32"
        err = np.abs(m.forward(x) - want).max()
        assert 0 < err < 0.05, (weights, err)


@pytest.mark.parametrize("kind, cell, seed, other_weights", [
    ("int8", nn.LSTM, 4, "f32"), ("bf16", nn.GRU, 5, "int8")])
def test_reduced_activations(kind, cell, seed, other_weights):
    """activations="int8" or "bf16" loads with weights of the same type only (the library's
    message comes through) and stays near PyTorch: rounding each input, by at most 1/254 of
    its row's largest value (int8) or 2^-9 of itself (bf16), adds about as much as the
    rounded weights do (~1e-2 and ~5e-3 here), so 0.05 still catches a wrong mapping; and the
    outputs differ from the weight-only model's, so the inputs were rounded."""
    torch.manual_seed(seed)
    net = cell(7, 24)
    x = np.random.default_rng(seed).uniform(-1, 1, (5, 3, 7)).astype(np.float32)
    want = net(torch.from_numpy(x))[0].detach().numpy()
    m = rnnrt.Model.from_torch(net, weights=kind, activations=kind)
    assert (m.weights, m.activations) == (kind, kind)
    got = m.forward(x)
    assert 0 < np.abs(got - want).max() < 0.05
    assert not np.array_equal(got, rnnrt.Model.from_torch(net, weights=kind).forward(x))
    with pytest.raises(rnnrt.Error) as e:
        rnnrt.Model.from_torch(net, weights=other_weights, activations=kind)
    assert e.value.status == rnnrt.E_INVALID and "weights" in str(e.value)


def test_options_threads_and_isa():
    m = rnnrt.Model.from_torch(nn.LSTM(3, 4), threads=1)
    assert m.threads == 1
    assert m.weights == "f32"
    before = rnnrt.isa()
    try:
        scalar = rnnrt.Model.from_torch(nn.LSTM(3, 4), isa="scalar")
        assert scalar.isa == "scalar"
    finally:
        rnnrt.set_isa(before)


def test_no_copy_out_and_gil():
    m = rnnrt.Model.from_torch(nn.LSTM(3, 4))
    x = np.random.default_rng(1).standard_normal((6, 2, 3)).astype(np.float32)
    out = np.empty((6, 2, 4), np.float32)
    assert m.forward(x, out=out) is out
    np.testing.assert_array_equal(out, m.forward(x))
    with pytest.raises(rnnrt.Error, match="out must be"):
        m.forward(x, out=np.empty((6, 2, 4), np.float64))
    # CDLL (not PyDLL) calls drop the GIL for the length of the C call.
    assert type(rnnrt._lib) is ctypes.CDLL
    # batch_first given per call: the library's batch-first entry point on x as it is (no
    # copy of a C-contiguous float32 x), y written into out; the time-major bytes.
    xb = np.ascontiguousarray(x.transpose(1, 0, 2))
    assert m._seq(xb, True, time_major=False) is xb
    yb = m.forward(xb, batch_first=True)
    np.testing.assert_array_equal(yb, out.transpose(1, 0, 2))
    out_b = np.empty((2, 6, 4), np.float32)
    assert m.forward(xb, batch_first=True, out=out_b) is out_b
    np.testing.assert_array_equal(out_b, yb)
    with pytest.raises(rnnrt.Error, match="out must be"):
        m.forward(xb, batch_first=True, out=np.empty((6, 2, 4), np.float32))
    with pytest.raises(rnnrt.Error, match=r"x must have shape \[B, T, 3\]"):
        m.forward(np.zeros((2, 6, 5), np.float32), batch_first=True)


def test_batch_first_equals_time_major_for_every_cell():
    """forward(batch_first=True) against the time-major call on the transposed x, bit for
    bit: y and the final state, stacked, bidirectional, lengths and an initial state."""
    torch.manual_seed(5)
    T, B = 7, 3
    for mod in (nn.LSTM(5, 8, num_layers=2, bidirectional=True),
                nn.LSTM(5, 8, proj_size=3, num_layers=2), nn.GRU(5, 8, bidirectional=True)):
        m = rnnrt.Model.from_torch(mod, threads=1)
        rng = np.random.default_rng(3)
        x = rng.standard_normal((T, B, 5), dtype=np.float32)
        s_tm, s_bf = m.state(B), m.state(B)
        h0 = rng.standard_normal(s_tm.shapes()[0], dtype=np.float32)
        c0 = None if m.cell == "gru" else rng.standard_normal(s_tm.shapes()[1],
                                                               dtype=np.float32)
        for s in (s_tm, s_bf):
            s.write(h0, c0)
        y_tm = m.forward(x, state=s_tm, lengths=[7, 2, 5])
        y_bf = m.forward(np.ascontiguousarray(x.transpose(1, 0, 2)), state=s_bf,
                         lengths=[7, 2, 5], batch_first=True)
        assert y_bf.shape == (B, T, m.output_size)
        np.testing.assert_array_equal(y_bf, y_tm.transpose(1, 0, 2))
        for a, b in zip(s_bf.read(), s_tm.read()):
            np.testing.assert_array_equal(a, b)


def test_generate_is_seeded():
    m = rnnrt.Model(rnnrt.DEFAULT_MODEL)
    a = m.generate("And ", length=40, seed=7)
    assert a == m.generate("And ", length=40, seed=7)
    assert a != m.generate("And ", length=40, seed=8)


def test_gil_released_during_forward():
    """While one thread is inside a long forward pass, another keeps running Python: the
    call does not hold the GIL (if it did, the counter could not move until it returned)."""
    import threading
    torch.manual_seed(2)
    m = rnnrt.Model.from_torch(nn.LSTM(32, 256), threads=1)
    x = np.zeros((3000, 1, 32), np.float32)
    worker = threading.Thread(target=m.forward, args=(x,))
    count = 0
    worker.start()
    while worker.is_alive():
        count += 1
    worker.join()
    assert count > 1000, f"the main thread ran {count} iterations during the forward pass"
