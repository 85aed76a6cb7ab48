"""python3 -m rnnrt.batch in this process and on a local Dask cluster (a scheduler and 2
worker processes on 127.0.0.1, started here; one is killed with SIGKILL once some outputs are
written): every output has the bytes of the in-process run, bad shards are reported by
name, a rerun skips what is done. Run from the venv of tools/setup_venv.sh (see
test_package.py). Outputs are checked against PyTorch on one shard (1e-5 relative to
max(1, |ref|), as in test_package.py).
"""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("distributed")
if sys.prefix == sys.base_prefix:
    pytest.skip("run from the venv tools/setup_venv.sh makes (.venv/bin/python -m pytest)",
                allow_module_level=True)

import rnnrt  # noqa: E402
from rnnrt import _torch  # noqa: E402

I, H = 16, 192
SHARDS = 20
BAD = {"bad_dtype.npz": "float32", "bad_lengths.npz": "outside", "no_x.npz": "no array x",
       "not_npz.npz": "not a .npz"}


def env():
    return {k: v for k, v in os.environ.items() if k not in ("RNNRT_LIB", "PYTHONPATH")}


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    """A 2-layer LSTM model file, SHARDS good shards and the bad ones."""
    root = tmp_path_factory.mktemp("batch")
    torch.manual_seed(0)
    mod = torch.nn.LSTM(I, H, num_layers=2, batch_first=True).eval()
    data, _ = _torch.to_safetensors(mod)
    (root / "model.safetensors").write_bytes(data)
    src = root / "in"
    src.mkdir()
    rng = np.random.default_rng(0)
    for k in range(SHARDS):
        N, T = 24 + k % 5, 20 + 3 * (k % 7)
        lengths = rng.integers(1, T + 1, N).astype(np.int32)
        x = rng.standard_normal((N, T, I)).astype(np.float32)
        x[np.arange(T)[None, :] >= lengths[:, None]] = 0
        np.savez(src / f"shard{k:03d}.npz", x=x, lengths=lengths)
    np.savez(src / "bad_dtype.npz", x=np.zeros((2, 3, I)), lengths=np.ones(2, np.int32))
    np.savez(src / "bad_lengths.npz", x=np.zeros((2, 3, I), np.float32),
             lengths=np.array([3, 0], np.int32))
    np.savez(src / "no_x.npz", lengths=np.ones(2, np.int32))
    (src / "not_npz.npz").write_bytes(b"garbage")
    return root, mod


def run_batch(root, out, *more, check_rc=1):
    r = subprocess.run([sys.executable, "-m", "rnnrt.batch", "--model",
                        str(root / "model.safetensors"), "--input", str(root / "in"),
                        "--output", str(out), "--batch-size", "8", *more],
                       env=env(), capture_output=True, text=True, timeout=120)
    assert r.returncode == check_rc, r.stderr
    return r


def good_names():
    return [f"shard{k:03d}.npz" for k in range(SHARDS)]


def test_in_process_against_pytorch_bad_shards_and_rerun(job):
    root, mod = job
    out = root / "local"
    out.mkdir()
    (out / ".shard000.npz.tmp-left-by-a-killed-worker").write_bytes(b"partial")
    r = run_batch(root, out)
    for name, words in BAD.items():
        assert f"bad shard {name}: " in r.stderr and words in r.stderr, r.stderr
    assert sorted(os.listdir(out)) == good_names()
    shard = np.load(root / "in" / "shard003.npz")
    res = np.load(out / "shard003.npz")
    assert res["y"].shape == (shard["x"].shape[0], shard["x"].shape[1], H)
    for n, L in enumerate(shard["lengths"]):
        with torch.no_grad():
            y, (h, c) = mod(torch.from_numpy(shard["x"][n:n + 1, :L]))
        scale = np.maximum(1.0, np.abs(y[0].numpy()))
        assert np.max(np.abs(res["y"][n, :L] - y[0].numpy()) / scale) < 1e-5
        assert not res["y"][n, L:].any()
        assert np.max(np.abs(res["h_n"][:, n] - h[:, 0].numpy())) < 1e-5
        assert np.max(np.abs(res["c_n"][:, n] - c[:, 0].numpy())) < 1e-5
    before = {n: (out / n).stat().st_mtime_ns for n in good_names()}
    r = run_batch(root, out)
    assert f"0 shards done, {SHARDS} skipped" in r.stderr
    assert before == {n: (out / n).stat().st_mtime_ns for n in good_names()}


def wait_for(predicate, seconds, what):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_dask_cluster_with_a_killed_worker(job, tmp_path):
    root, _ = job
    local = root / "reference"
    run_batch(root, local)
    sched_file = tmp_path / "scheduler.json"
    procs = []
    common = ["--no-dashboard"]
    try:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
             "--port", "0", "--scheduler-file", str(sched_file), *common],
            env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for(sched_file.exists, 60, "the scheduler")
        address = json.loads(sched_file.read_text())["address"]
        for k in range(2):
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads",
                 "1", "--no-nanny", "--host", "127.0.0.1", "--local-directory",
                 str(tmp_path / f"w{k}"), *common],
                env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client
        with Client(address, timeout="60s") as c:
            c.wait_for_workers(2, timeout=60)
        out = tmp_path / "cluster"
        job_proc = subprocess.Popen(
            [sys.executable, "-m", "rnnrt.batch", "--model", str(root / "model.safetensors"),
             "--input", str(root / "in"), "--output", str(out), "--batch-size", "8",
             "--scheduler", address, "--threads", "1"],
            env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: out.exists() and sum(n.startswith("shard") for n in os.listdir(out))
                 >= 3, 120, "3 outputs")
        victim = procs[1]
        victim.send_signal(signal.SIGKILL)
        written = sum(n.startswith("shard") for n in os.listdir(out))
        print(f"{written} of {SHARDS} outputs written when a worker was killed")
        _, stderr = job_proc.communicate(timeout=120)
        assert victim.wait(10) == -signal.SIGKILL
        assert written < SHARDS, "every shard was done before the kill: nothing redone"
        assert job_proc.returncode == 1, stderr
        for name in BAD:
            assert f"bad shard {name}: " in stderr, stderr
        assert sorted(os.listdir(out)) == good_names(), "only whole outputs, no temporaries"
        for name in good_names():
            assert (out / name).read_bytes() == (local / name).read_bytes(), name
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
