"""tools/pair_peer.py: rnnrt and ONNX Runtime paired in one process. On a small shape of the
quick set it runs, writes one row per thread count with a ratio per round (each ONNX
Runtime's time over rnnrt's, so positive and finite), and when ONNX Runtime is handed other
weights than rnnrt it reports the outputs as different and exits 1 instead of timing them;
--ort-no-spin runs and is recorded in the JSON.

    RNNRT_LIB=build/runtime/librnnrt.so /usr/bin/python3 tests/python/test_pair_peer.py

Exit code 77 (skipped, with the reason) without onnxruntime (tools/setup_peer_venv.sh).
"""
import json
import math
import os
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import peer_python  # noqa: E402

peer_python.need_or_skip(["onnxruntime", "onnx", "torch", "numpy"])

sys.path.insert(0, os.path.join(peer_python.ROOT, "tools"))
import bench_ort  # noqa: E402
import pair_peer  # noqa: E402

SHAPE = "lstm/T:50/N:1/H:64/"  # in the quick set; a pass takes about 0.1 ms


def main():
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "pair.json")
        status = pair_peer.main(["--set", "quick", "--threads", "1,2", "--rounds", "3",
                                 "--calls", "2", "--filter", SHAPE, "--json", out])
        with open(out) as f:
            rows = json.load(f)["rows"]
        threads = sorted(r["threads"] for r in rows)
        good = status == 0 and threads == [1, 2] and all(
            len(r["ratio"]) == 3 and all(math.isfinite(v) and v > 0 for v in r["ratio"])
            for r in rows)
        print(f"paired run: status {status}, rows for threads {threads}: "
              f"{'ok' if good else 'FAILED'}")
        failed += not good

        # ONNX Runtime's pool threads blocking instead of spinning: recorded in the JSON.
        status = pair_peer.main(["--set", "quick", "--threads", "2", "--rounds", "1",
                                 "--calls", "1", "--filter", SHAPE, "--ort-no-spin",
                                 "--json", out])
        with open(out) as f:
            doc = json.load(f)
        good = status == 0 and doc["ort_spinning"] is False and len(doc["rows"]) == 1
        print(f"--ort-no-spin: status {status}, ort_spinning {doc['ort_spinning']}: "
              f"{'ok' if good else 'FAILED'}")
        failed += not good

        # ONNX Runtime on other weights: the check must catch it before any timing.
        real = bench_ort.onnx_model

        def perturbed(cell, module):
            import copy
            import torch
            other = copy.deepcopy(module)
            with torch.no_grad():
                other.weight_hh_l0.mul_(-1.0)
            return real(cell, other)

        bench_ort.onnx_model = perturbed
        try:
            status = pair_peer.main(["--set", "quick", "--threads", "1", "--rounds", "1",
                                     "--calls", "1", "--filter", SHAPE])
        finally:
            bench_ort.onnx_model = real
        print(f"other weights: status {status} (want 1): {'ok' if status == 1 else 'FAILED'}")
        failed += status != 1
    print(f"{3 - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
