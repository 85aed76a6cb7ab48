"""Sequences per second of the batch job (python3 -m rnnrt.batch): in one process, then on
a local Dask cluster of --workers worker processes (1 Dask thread each, --threads rnnrt
threads each), over the same seeded shards. The figures for docs/scaling.md.

    .venv/bin/python bench/bench_batch.py [--shards 32] [--sequences 256] [--steps 100]
        [--input-size 64] [--hidden 256] [--layers 1] [--batch-size 64] [--workers 2]
        [--threads 1] [--json results.json]

Lengths are uniform in [steps/2, steps]. The time is the job's own (rnnrt.batch.run, model
loads and writes included), not the cluster's start. On a shared or busy machine the
figures are provisional: rerun on an idle one.
"""
import argparse
import json
import os
import platform
import sys
import tempfile
import time

import numpy as np

import rnnrt
from rnnrt import _torch, batch


def lstm_bytes(inputs, hidden, layers=1, seed=1):
    """A seeded LSTM's safetensors bytes (PyTorch's initial range U(-1/sqrt(H), 1/sqrt(H)))."""
    rng = np.random.default_rng(seed)
    u = 1 / np.sqrt(hidden)
    tensors = {}
    for k in range(layers):
        width = inputs if k == 0 else hidden
        for name, shape in ((f"weight_ih_l{k}", (4 * hidden, width)),
                            (f"weight_hh_l{k}", (4 * hidden, hidden)),
                            (f"bias_ih_l{k}", (4 * hidden,)), (f"bias_hh_l{k}", (4 * hidden,))):
            tensors[name] = rng.uniform(-u, u, shape).astype(np.float32)
    return _torch.safetensors_bytes(tensors, {"rnnrt.cell": "lstm"})


def make_shards(folder, shards, n, steps, inputs, seed=2):
    os.makedirs(folder)
    rng = np.random.default_rng(seed)
    for k in range(shards):
        lengths = rng.integers(max(1, steps // 2), steps + 1, n).astype(np.int32)
        x = rng.standard_normal((n, steps, inputs)).astype(np.float32)
        x[np.arange(steps)[None, :] >= lengths[:, None]] = 0
        np.savez(os.path.join(folder, f"shard{k:04d}.npz"), x=x, lengths=lengths)


def timed(label, **kw):
    t0 = time.perf_counter()
    s = batch.run(progress=False, **kw)
    seconds = time.perf_counter() - t0
    if s.bad:
        raise SystemExit(f"{label}: bad shards {s.bad}")
    print(f"{label:28s} {s.sequences:7d} sequences in {seconds:7.2f} s: "
          f"{s.sequences / seconds:9.1f} sequences/s")
    return {"label": label, "sequences": s.sequences, "seconds": seconds,
            "sequences_per_second": s.sequences / seconds}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shards", type=int, default=32)
    ap.add_argument("--sequences", type=int, default=256, help="per shard")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--input-size", type=int, default=64)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1, help="rnnrt threads per process")
    ap.add_argument("--json", help="write the figures here")
    a = ap.parse_args()
    from distributed import LocalCluster
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "lstm.safetensors")
        with open(model, "wb") as f:
            f.write(lstm_bytes(a.input_size, a.hidden, a.layers))
        make_shards(os.path.join(tmp, "in"), a.shards, a.sequences, a.steps, a.input_size)
        job = dict(model=model, input=os.path.join(tmp, "in"), threads=a.threads,
                   batch_size=a.batch_size)
        rows.append(timed("1 process", output=os.path.join(tmp, "out1"), **job))
        with LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True,
                          host="127.0.0.1", dashboard_address=None) as cluster:
            rows.append(timed(f"{a.workers} Dask workers", output=os.path.join(tmp, "out2"),
                              scheduler=cluster.scheduler_address, **job))
    info = {"rnnrt": rnnrt.version(), "isa": rnnrt.isa(), "cpus": os.cpu_count(),
            "machine": platform.machine(), "args": vars(a), "results": rows}
    if a.json:
        with open(a.json, "w") as f:
            json.dump(info, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
