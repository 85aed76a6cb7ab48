#!/usr/bin/python3
"""Issue 26's baseline (b): ONNX Runtime with the batching a user writes by hand, under the
open-loop load of bench/bench_streams.c. S streams push a step (or a chunk) at Poisson
arrival times; a loop stacks the states of the streams with a step ready (up to max_batch,
oldest first, the rest of a chunk going back to the end of the line), makes one
session.run of one step, and scatters the states back: what sherpa-onnx does, and what a
Python user of onnxruntime would write. The rate rises (x1.25) until the p99 latency of a
push passes the budget at two rates in a row. Latency runs from the scheduled arrival to the step that finishes
the push.

One LSTM or GRU node (tools/bench_ort.py's onnx_model with initial_h / initial_c inputs),
intra_op_num_threads = threads, inter_op 1, sequential, default spinning.

    .venv-peers/bin/python tools/bench_streams_ort.py [--cell lstm] [--hidden 512]
        [--input 512] [--threads 2] [--streams 1000] [--chunk 1] [--budget-ms 10]
        [--seconds 2] [--rate STEPS_PER_S | --start STEPS_PER_S] [--max-batch 64]
        [--json FILE]

Needs onnxruntime, onnx, numpy and torch (tools/setup_peer_venv.sh). Exits 3 when
onnxruntime cannot be imported.
"""
import argparse
import collections
import json
import os
import sys
import threading
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


class Load:
    """One load point: the generator's pushes, the ready line and the latencies."""

    def __init__(self, a, rate):
        self.a = a
        self.rate = rate
        self.lock = threading.Condition()
        self.pending = [collections.deque() for _ in range(a.streams)]  # [arrival, steps left]
        self.ready = collections.deque()  # streams with a step queued, not in this step
        self.queued = [False] * a.streams
        self.latencies = []
        self.steps_done = 0
        self.steps_run = 0
        self.batches = 0
        self.done = False
        t0 = time.monotonic()
        self.window0 = t0 + 0.25 * a.seconds + 0.1
        self.window1 = self.window0 + a.seconds

    def generate(self):
        rng = np.random.default_rng(1)
        t = time.monotonic()
        mean = self.a.chunk / self.rate
        while t < self.window1:
            t += rng.exponential(mean)
            delay = t - time.monotonic()
            if delay > 20e-6:
                time.sleep(delay)
            s = int(rng.integers(self.a.streams))
            with self.lock:
                self.pending[s].append([t, self.a.chunk])
                if not self.queued[s]:
                    self.queued[s] = True
                    self.ready.append(s)
                    self.lock.notify()
        with self.lock:
            self.done = True
            self.lock.notify()

    def take(self):
        """The streams of the next step (blocks while none is ready); None when all is done."""
        with self.lock:
            while not self.ready:
                if self.done and not any(self.pending):
                    return None
                self.lock.wait(0.01)
            n = min(self.a.max_batch, len(self.ready))
            return [self.ready.popleft() for _ in range(n)]

    def account(self, rows):
        now = time.monotonic()
        with self.lock:
            self.batches += 1
            self.steps_run += len(rows)
            for s in rows:
                head = self.pending[s][0]
                head[1] -= 1
                if head[1] == 0:
                    self.pending[s].popleft()
                    if self.window0 <= head[0] < self.window1:
                        self.latencies.append((now - head[0]) * 1e3)
                        self.steps_done += self.a.chunk
                if self.pending[s]:
                    self.ready.append(s)
                else:
                    self.queued[s] = False


def serve(ld, sess, cell, H, x):
    """The hand-written loop: stack, one session.run per step, unstack."""
    h = np.zeros((ld.a.streams, H), np.float32)
    c = np.zeros((ld.a.streams, H), np.float32) if cell == "lstm" else None
    while True:
        rows = ld.take()
        if rows is None:
            return
        idx = np.array(rows)
        feed = {"x": x[:, :len(rows)], "initial_h": h[idx][None]}
        if c is not None:
            feed["initial_c"] = c[idx][None]
        out = sess.run(None, feed)
        h[idx] = out[1][0]
        if c is not None:
            c[idx] = out[2][0]
        ld.account(rows)


def point(a, sess, rate, x):
    ld = Load(a, rate)
    gen = threading.Thread(target=ld.generate)
    gen.start()
    serve(ld, sess, a.cell, a.hidden, x)
    gen.join()
    lat = np.sort(np.array(ld.latencies)) if ld.latencies else np.array([np.inf])
    q = lambda f: float(lat[int(f * (len(lat) - 1))])  # noqa: E731
    return {"mode": "ort-hand-batched", "offered_steps_per_s": rate,
            "steps_per_s": ld.steps_done / a.seconds, "p50_ms": q(0.5), "p99_ms": q(0.99),
            "p999_ms": q(0.999), "mean_batch": ld.steps_run / max(ld.batches, 1),
            "pushes": len(ld.latencies)}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cell", default="lstm", choices=["lstm", "gru"])
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--input", type=int, default=512)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--streams", type=int, default=1000)
    p.add_argument("--chunk", type=int, default=1)
    p.add_argument("--budget-ms", type=float, default=10)
    p.add_argument("--seconds", type=float, default=2)
    p.add_argument("--rate", type=float, help="one load point, steps/s (else a sweep)")
    p.add_argument("--start", type=float, default=1000, help="the sweep's first rate")
    p.add_argument("--max-batch", type=int, default=64)
    p.add_argument("--json")
    a = p.parse_args()
    import bench_ort
    peers = bench_ort.import_ort("bench_streams_ort")
    if not peers:
        return 3
    ort, torch = peers
    torch.manual_seed(20261122)
    module = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[a.cell](a.input, a.hidden).eval()
    sess = bench_ort.session(ort, bench_ort.onnx_model(a.cell, module, state=True), a.threads)
    x = np.random.default_rng(2).uniform(-1, 1, (1, a.max_batch, a.input)).astype(np.float32)
    print("# ONNX Runtime %s, hand-batched: %s H=%d I=%d, %d threads; %d streams pushing %d "
          "step(s); p99 budget %g ms" % (ort.__version__, a.cell, a.hidden, a.input,
                                         a.threads, a.streams, a.chunk, a.budget_ms))
    points, best, misses = [], 0.0, 0
    rate = a.rate or a.start
    while True:  # as bench_streams.c: until two points in a row miss the budget
        pt = point(a, sess, rate, x)
        points.append(pt)
        print("| ort       | %10.0f | %10.0f | %8.3f | %8.3f | %8.3f | %6.1f |" % (
            rate, pt["steps_per_s"], pt["p50_ms"], pt["p99_ms"], pt["p999_ms"],
            pt["mean_batch"]), flush=True)
        ok = pt["p99_ms"] <= a.budget_ms and pt["steps_per_s"] >= 0.9 * rate
        best = max(best, pt["steps_per_s"]) if ok else best
        misses = 0 if ok else misses + 1
        if a.rate or misses == 2 or len(points) >= 40:
            break
        rate *= 1.25
    print("within p99 %g ms: ONNX Runtime hand-batched %.0f steps/s" % (a.budget_ms, best))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"config": vars(a), "onnxruntime": ort.__version__,
                       "best_steps_per_s": best, "points": points}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
