"""tools/ab_lib.py: two librnnrt builds paired in one process. With the build's library and a
copy of it (two files, so two loaded libraries) on a small shape of the quick set it writes
one row per thread count with a positive, finite ratio per round; a library path that is
not a file is refused with exit status 2 before anything runs; and when B computes other
outputs (here: B's models get negated W_hh) it reports them and exits 1 instead of timing.
Timing itself is not asserted.

    RNNRT_LIB=build/runtime/librnnrt.so /usr/bin/python3 tests/python/test_ab_lib.py

Exit code 77 (skipped, with the reason) without NumPy or PyTorch.
"""
import copy
import json
import math
import os
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import peer_python  # noqa: E402

peer_python.need_or_skip(["torch", "numpy"])

sys.path.insert(0, os.path.join(peer_python.ROOT, "tools"))
import ab_lib  # noqa: E402

SHAPE = "lstm/T:50/N:1/H:64/"  # in the quick set; a pass takes about 0.1 ms
LIB = os.environ["RNNRT_LIB"]


def main():
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        copy_lib = os.path.join(tmp, "librnnrt-copy.so")
        shutil.copyfile(LIB, copy_lib)
        out = os.path.join(tmp, "ab.json")
        status = ab_lib.main([LIB, copy_lib, "--set", "quick", "--threads", "1,2",
                              "--rounds", "3", "--calls", "2", "--filter", SHAPE,
                              "--json", out])
        with open(out) as f:
            rows = json.load(f)["rows"]
        threads = sorted(r["threads"] for r in rows)
        good = status == 0 and threads == [1, 2] and all(
            len(r["ratio"]) == 3 and all(math.isfinite(v) and v > 0 for v in r["ratio"]) and
            all(v > 0 for v in r["a_ms"] + r["b_ms"]) for r in rows)
        print(f"paired run: status {status}, rows for threads {threads}: "
              f"{'ok' if good else 'FAILED'}")
        failed += not good

        status = ab_lib.main([os.path.join(tmp, "missing.so"), LIB, "--filter", SHAPE])
        print(f"missing library: status {status} (want 2): {'ok' if status == 2 else 'FAILED'}")
        failed += status != 2

        # B on other weights: the comparison must catch it before any timing.
        real_load = ab_lib.load_package

        def load_negated(name, lib):
            pkg = real_load(name, lib)
            if name.endswith("_b"):
                real_from = pkg.Model.from_torch

                def from_torch(module, **kw):
                    import torch
                    other = copy.deepcopy(module)
                    with torch.no_grad():
                        other.weight_hh_l0.mul_(-1.0)
                    return real_from(other, **kw)

                pkg.Model.from_torch = from_torch
            return pkg

        ab_lib.load_package = load_negated
        try:
            status = ab_lib.main([LIB, copy_lib, "--set", "quick", "--rounds", "1",
                                  "--calls", "1", "--filter", SHAPE])
        finally:
            ab_lib.load_package = real_load
        print(f"other outputs: status {status} (want 1): {'ok' if status == 1 else 'FAILED'}")
        failed += status != 1
    print(f"{3 - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
