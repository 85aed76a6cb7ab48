"""tools/quality_report.py's measurements on small cases, in a few seconds: the digits
classifier, and one small random LSTM and GRU. Run by meson (tests/meson.build) with
/usr/bin/python3:

    RNNRT_LIB=build/runtime/librnnrt.so /usr/bin/python3 tests/python/test_quality_report.py

Exit code 77 (skipped) when NumPy or PyTorch is missing.
"""
import math
import os
import sys
import unittest

for module in ("numpy", "torch"):
    try:
        __import__(module)
    except ImportError:
        print(f"skipped: the quality report needs {module} (apt-get install python3-{module})")
        sys.exit(77)

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import quality_report as q  # noqa: E402

rnnrt = q.load_rnnrt()
torch = q.load_torch()


class Digits(unittest.TestCase):
    def test_accuracy(self):
        d = q.digits_quality(rnnrt)
        # f32 is PyTorch's model: the same prediction for every digit (as examples/digits
        # demands), hence PyTorch's count.
        self.assertEqual(d["same_as_pytorch"]["f32"], d["digits"])
        self.assertEqual(d["correct"]["f32"], d["pytorch_correct"])
        for t in ("bf16", "int8", "int8x8", "bf16x16"):  # 0.3 points is one digit of 360
            self.assertLessEqual(d["accuracy"]["f32"] - d["accuracy"][t], q.DIGITS_TARGET, t)


class RandomModel(unittest.TestCase):
    T, N, H, I = 10, 4, 32, 16

    def bound(self, t):
        """The largest change one step's weight rounding can make to a gate pre-activation
        when |x|, |h| <= 1 and |w| <= 1/sqrt(H) (PyTorch's initialisation): (I + H) weights,
        each off by at most half a bf16 ulp (2^-8 of |w|: 8 significant bits) or half an
        int8 step (the row's max |w| / 254). The gates' slopes are at most 1 and the errors
        of earlier steps have random signs, so ten steps stay below one step's worst case:
        the measured largest deviations are 15 to 60 times below it. int8x8 also rounds
        each input (|x|, |h| <= 1) by at most half its row's step, 1/254, times a weight of
        at most 1/sqrt(H): the int8 bound twice. bf16x16 rounds each input by at most half a
        bf16 ulp of itself, 2^-8: the bf16 bound twice."""
        per_weight = 2.0 ** -8 if t.startswith("bf16") else 1.0 / 254
        both = t in ("int8x8", "bf16x16")
        return (2 if both else 1) * (self.I + self.H) * per_weight / math.sqrt(self.H)

    def check(self, cell):
        dev = q.random_case(rnnrt, torch, cell, self.T, self.N, self.H, self.I)
        for t, d in dev.items():
            for k, v in d.items():
                self.assertTrue(math.isfinite(v), f"{cell} {t} {k} = {v}")
        # f32 against PyTorch: the README's bound on outputs below 1 in magnitude.
        self.assertLessEqual(dev["f32"]["max_vs_torch"], 3e-6, cell)
        for t in ("bf16", "int8", "int8x8", "bf16x16"):
            self.assertGreater(dev[t]["mean_vs_f32"], 0.0, f"{cell} {t}: weights not rounded")
            self.assertLessEqual(dev[t]["max_vs_f32"], self.bound(t), f"{cell} {t}")
        # int8's step (the row's max |w| / 127) is wider than bf16's spacing at every weight
        # of the row (at most |w| / 128), and far wider at the small ones.
        self.assertGreater(dev["int8"]["mean_vs_f32"], dev["bf16"]["mean_vs_f32"], cell)
        # and rounding the inputs too moves int8x8 further than the weights alone
        self.assertGreater(dev["int8x8"]["mean_vs_f32"], dev["int8"]["mean_vs_f32"], cell)
        self.assertGreater(dev["bf16x16"]["mean_vs_f32"], dev["bf16"]["mean_vs_f32"], cell)

    def test_lstm(self):
        self.check("lstm")

    def test_gru(self):
        self.check("gru")


if __name__ == "__main__":
    print(f"rnnrt {rnnrt.version()} from {rnnrt.library_path}, kernel set {rnnrt.isa()}")
    unittest.main(verbosity=2)
