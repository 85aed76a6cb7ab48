"""Batch inference over a folder of shards, in this process or on a Dask cluster.

    python3 -m rnnrt.batch --model M --input IN --output OUT [--scheduler ADDRESS]
                           [--threads N] [--weights f32|bf16|int8] [--batch-size B]

IN is a folder (or an fsspec URL) of shards, each a .npz holding `x` float32 [N, T, I]
(batch-first, zero-padded) and `lengths` int32 [N] (1 <= lengths[n] <= T). Each shard gives
OUT/<same name>, a .npz holding `y` float32 [N, T, O] (zeros past each length), `h_n` and,
for LSTMs, `c_n` (PyTorch's layout, [layers * directions, N, size]).

Without --scheduler the shards run in this process, one after another. With it they are
tasks on the Dask distributed cluster at ADDRESS: each worker loads the model once (the
model path and IN/OUT must be readable and writable by every worker: a shared file system
or a URL) and runs it with --threads threads. Within a shard the sequences are sorted by
length and cut into batches of --batch-size, so little work goes into padding; the same
shard and batch size give the same batches everywhere, so an output's bytes do not depend
on where or how it ran (on machines with the same kernel set: rnnrt.isa()).

Each output is written under a temporary name (.<name>.tmp-<random>) and renamed, so an
output is whole or absent; temporaries left by a killed worker are removed when the job
ends, and Dask runs a lost worker's shards again elsewhere. Shards whose output exists are
skipped, so a rerun finishes what a stopped job left. A bad shard (not a .npz, missing
arrays, wrong dtype or shape, lengths out of range) is reported by name and the others go
on; the exit status is then 1 (2 when the job cannot start).
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np

import rnnrt

_TMP_MARK = ".tmp-"


class ShardError(Exception):
    """A shard that cannot be run: the message says what is wrong with it."""


# ---- storage: a local folder, or an fsspec URL ----------------------------------------


class Store:
    """The shards' folder: local paths through os, URLs ("s3://...", "file://...")
    through fsspec."""

    def __init__(self, root: str):
        self.root = root
        if "://" in root:
            import fsspec
            self.fs, self.path = fsspec.core.url_to_fs(root)
        else:
            self.fs, self.path = None, root

    def _join(self, name: str) -> str:
        return self.path.rstrip("/") + "/" + name if self.fs else os.path.join(self.path, name)

    def _list(self) -> List[str]:
        if self.fs:
            if not self.fs.isdir(self.path):
                return []
            return [p.rstrip("/").rsplit("/", 1)[-1] for p in self.fs.ls(self.path, detail=False)]
        return os.listdir(self.path) if os.path.isdir(self.path) else []

    def names(self) -> List[str]:
        """The .npz files in the folder, sorted (temporaries left out)."""
        return sorted(n for n in self._list() if n.endswith(".npz") and not n.startswith("."))

    def temporaries(self) -> List[str]:
        return [n for n in self._list() if n.startswith(".") and _TMP_MARK in n]

    def exists(self, name: str) -> bool:
        return self.fs.exists(self._join(name)) if self.fs else \
            os.path.exists(self._join(name))

    def makedirs(self) -> None:
        if self.fs:
            self.fs.makedirs(self.path, exist_ok=True)
        else:
            os.makedirs(self.path, exist_ok=True)

    def read(self, name: str) -> bytes:
        if self.fs:
            with self.fs.open(self._join(name), "rb") as f:
                return f.read()
        with open(self._join(name), "rb") as f:
            return f.read()

    def write_whole(self, name: str, arrays: Dict[str, np.ndarray]) -> None:
        """arrays as OUT/name, written under a temporary name, then renamed."""
        tmp = f".{name}{_TMP_MARK}{uuid.uuid4().hex}"
        if self.fs:
            with self.fs.open(self._join(tmp), "wb") as f:
                write_npz(f, arrays)
            self.fs.mv(self._join(tmp), self._join(name))
            return
        try:
            with open(self._join(tmp), "wb") as f:
                write_npz(f, arrays)
                f.flush()
                os.fsync(f.fileno())
            os.replace(self._join(tmp), self._join(name))
        except BaseException:
            if os.path.exists(self._join(tmp)):
                os.unlink(self._join(tmp))
            raise

    def remove(self, name: str) -> None:
        if self.fs:
            self.fs.rm(self._join(name))
        elif os.path.exists(self._join(name)):
            os.unlink(self._join(name))


def write_npz(f, arrays: Dict[str, np.ndarray]) -> None:
    """An uncompressed .npz that np.load reads, with fixed timestamps (np.savez stamps the
    current time), so the same arrays always give the same bytes."""
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as z:
        for key, a in arrays.items():
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            with z.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.ascontiguousarray(a), allow_pickle=False)


# ---- one shard ------------------------------------------------------------------------


def read_shard(data: bytes, input_size: int) -> Tuple[np.ndarray, np.ndarray]:
    """(x, lengths) from a shard's bytes, checked; ShardError says what is wrong."""
    if not data.startswith(b"PK"):
        raise ShardError("not a .npz file (no zip header)")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            missing = [k for k in ("x", "lengths") if k not in z.files]
            if missing:
                raise ShardError(f"no array {' or '.join(missing)} (has {', '.join(z.files)})")
            x, lengths = z["x"], z["lengths"]
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as e:
        raise ShardError(f"not a readable .npz: {e}") from None
    if x.dtype != np.float32 or x.ndim != 3 or x.shape[2] != input_size:
        raise ShardError(f"x must be float32 [N, T, {input_size}], is {x.dtype} "
                         f"{list(x.shape)}")
    if lengths.dtype != np.int32 or lengths.shape != (x.shape[0],):
        raise ShardError(f"lengths must be int32 [{x.shape[0]}], is {lengths.dtype} "
                         f"{list(lengths.shape)}")
    bad = np.flatnonzero((lengths < 1) | (lengths > x.shape[1]))
    if bad.size:
        n = int(bad[0])
        raise ShardError(f"lengths[{n}] = {int(lengths[n])} is outside [1, T = {x.shape[1]}]"
                         + (f" ({bad.size} such)" if bad.size > 1 else ""))
    return x, lengths


def run_arrays(model: rnnrt.Model, x: np.ndarray, lengths: np.ndarray,
               batch_size: int) -> Dict[str, np.ndarray]:
    """y, h_n (and c_n) of checked shard arrays: the sequences sorted by length (longest
    first, ties in shard order) and run batch_size at a time, each batch only as long as
    its longest sequence."""
    N, T = x.shape[0], x.shape[1]
    y = np.zeros((N, T, model.output_size), np.float32)
    probe = model.state(1)
    hs, cs = probe.shapes()
    h_n = np.zeros((hs[0], N, hs[2]), np.float32)
    c_n = None if cs is None else np.zeros((cs[0], N, cs[2]), np.float32)
    order = np.argsort(-lengths, kind="stable")
    for start in range(0, N, batch_size):
        idx = order[start:start + batch_size]
        lens = lengths[idx]
        steps = int(lens[0])
        state = model.state(len(idx))
        xb = np.ascontiguousarray(x[idx, :steps].transpose(1, 0, 2))
        yb = model.forward(xb, state=state, lengths=lens, batch_first=False)
        y[idx, :steps] = yb.transpose(1, 0, 2)
        h, c = state.read()
        h_n[:, idx] = h
        if c_n is not None:
            c_n[:, idx] = c
    out = {"y": y, "h_n": h_n}
    if c_n is not None:
        out["c_n"] = c_n
    return out


# The models a process has loaded, so a Dask worker loads each once for all its shards.
_models: Dict[Tuple[str, str, Optional[int]], rnnrt.Model] = {}


def load_model(path: str, weights: str = "f32", threads: Optional[int] = None) -> rnnrt.Model:
    key = (path, weights, threads)
    if key not in _models:
        source = path
        if "://" in path:
            import fsspec
            with fsspec.open(path, "rb") as f:
                source = f.read()
        _models[key] = rnnrt.Model(source, weights=weights, threads=threads)
    return _models[key]


@dataclass
class ShardResult:
    name: str
    status: str  # "done", "skipped" or "bad"
    sequences: int = 0
    message: str = ""


def run_shard(name: str, input_root: str, output_root: str, model_path: str,
              weights: str = "f32", threads: Optional[int] = None,
              batch_size: int = 64) -> ShardResult:
    """One shard, IN/name -> OUT/name; the task a Dask worker runs."""
    out = Store(output_root)
    if out.exists(name):
        return ShardResult(name, "skipped")
    model = load_model(model_path, weights, threads)
    try:
        x, lengths = read_shard(Store(input_root).read(name), model.input_size)
        result = run_arrays(model, x, lengths, batch_size)
    except (ShardError, OSError, rnnrt.Error) as e:
        return ShardResult(name, "bad", message=str(e))
    out.write_whole(name, result)
    return ShardResult(name, "done", sequences=int(x.shape[0]))


# ---- the job --------------------------------------------------------------------------


@dataclass
class Summary:
    done: List[str] = field(default_factory=list)
    skipped: List[str] = field(default_factory=list)
    bad: Dict[str, str] = field(default_factory=dict)
    sequences: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.bad


class _Progress:
    """Shards done of the total and sequences per second, redrawn on one line of stderr
    when it is a terminal, else one line at the end."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled = total, enabled
        self.tty = enabled and sys.stderr.isatty()
        self.start = time.monotonic()

    def show(self, s: Summary, final: bool = False) -> None:
        if not self.enabled or not (self.tty or final):
            return
        seconds = max(time.monotonic() - self.start, 1e-9)
        count = len(s.done) + len(s.skipped) + len(s.bad)
        width = 30
        bar = "#" * (width * count // max(self.total, 1))
        line = (f"[{bar:<{width}}] {count}/{self.total} shards ({len(s.skipped)} skipped, "
                f"{len(s.bad)} bad), {s.sequences / seconds:.0f} sequences/s, "
                f"{seconds:.1f} s")
        sys.stderr.write(("\r" if self.tty else "") + line + ("\n" if final else ""))
        sys.stderr.flush()


def _record(s: Summary, r: ShardResult) -> None:
    if r.status == "done":
        s.done.append(r.name)
        s.sequences += r.sequences
    elif r.status == "skipped":
        s.skipped.append(r.name)
    else:
        s.bad[r.name] = r.message


def run(model: str, input: str, output: str, scheduler: Optional[str] = None,
        threads: Optional[int] = None, weights: str = "f32", batch_size: int = 64,
        progress: bool = True) -> Summary:
    """The batch job (what `python3 -m rnnrt.batch` runs). Raises rnnrt.Error when the
    model cannot be loaded; bad shards are in the Summary."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, is {batch_size}")
    src, dst = Store(input), Store(output)
    names = src.names()
    dst.makedirs()
    load_model(model, weights, threads)  # fails here, once, for a bad model or option
    s = Summary()
    t0 = time.monotonic()
    bar = _Progress(len(names), progress)
    done = set(dst.names())
    todo = [n for n in names if n not in done]
    for n in names:
        if n in done:
            _record(s, ShardResult(n, "skipped"))
    args = (input, output, model, weights, threads, batch_size)
    if scheduler is None:
        for n in todo:
            _record(s, run_shard(n, *args))
            bar.show(s)
    else:
        _run_dask(scheduler, todo, args, s, bar)
    for tmp in dst.temporaries():  # a killed worker's unfinished outputs
        dst.remove(tmp)
    s.seconds = time.monotonic() - t0
    bar.show(s, final=True)
    return s


def _run_dask(scheduler: str, names: List[str], args, s: Summary, bar: _Progress) -> None:
    from distributed import Client, as_completed
    # Under `python3 -m rnnrt.batch` this module is __main__, whose functions Dask would
    # pickle by value (with the loaded models): send the importable one by name.
    from rnnrt.batch import run_shard as task
    with Client(scheduler, timeout="30s") as client:
        futures = {client.submit(task, n, *args, key=f"rnnrt-shard-{n}-{uuid.uuid4().hex}",
                                 pure=False): n for n in names}
        for f in as_completed(futures):
            try:
                _record(s, f.result())
            except Exception as e:  # a task Dask gave up on (e.g. KilledWorker)
                _record(s, ShardResult(futures[f], "bad",
                                       message=f"{type(e).__name__}: {e}"))
            bar.show(s)


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m rnnrt.batch",
                                description="Run an rnnrt model over a folder of .npz shards.")
    p.add_argument("--model", required=True, help="safetensors model file (or URL)")
    p.add_argument("--input", required=True, help="folder or fsspec URL of .npz shards")
    p.add_argument("--output", required=True, help="folder or fsspec URL for the outputs")
    p.add_argument("--scheduler", help="Dask scheduler address (tcp://host:8786); "
                                       "without it the job runs in this process")
    p.add_argument("--threads", type=int, help="threads per model (per worker)")
    p.add_argument("--weights", default="f32", choices=["f32", "bf16", "int8"])
    p.add_argument("--batch-size", type=int, default=64,
                   help="sequences per forward call (default 64)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    a = p.parse_args(argv)
    try:
        s = run(a.model, a.input, a.output, scheduler=a.scheduler, threads=a.threads,
                weights=a.weights, batch_size=a.batch_size, progress=not a.quiet)
    except (rnnrt.Error, OSError, ValueError) as e:
        print(f"rnnrt.batch: {e}", file=sys.stderr)
        return 2
    for name, message in sorted(s.bad.items()):
        print(f"rnnrt.batch: bad shard {name}: {message}", file=sys.stderr)
    print(f"rnnrt.batch: {len(s.done)} shards done, {len(s.skipped)} skipped, "
          f"{len(s.bad)} bad; {s.sequences} sequences in {s.seconds:.2f} s", file=sys.stderr)
    return 0 if s.ok else 1


if __name__ == "__main__":
    sys.exit(main())
