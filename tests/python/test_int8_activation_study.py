"""tools/int8_activation_study.py's emulation checked against what it stands for, so that
its figures compare the schemes and not a faulty model of them:
  - its f32 and int8 passes give rnnrt's own f32 and int8 outputs (the int8 weights
    rounded as runtime/pack.c rounds them);
  - every activation rounding stays within half of its step of the input, with the levels
    the scheme names.
Run by meson (tests/meson.build) with /usr/bin/python3:

    RNNRT_LIB=build/runtime/librnnrt.so /usr/bin/python3 tests/python/test_int8_activation_study.py

Exit code 77 (skipped) when NumPy or PyTorch is missing (test_quality_report.py checks).
"""
import os
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_quality_report as base  # noqa: E402  (exits 77 without NumPy or PyTorch)
import int8_activation_study as study  # noqa: E402  (tools/, on the path base set)

rnnrt, torch = base.rnnrt, base.torch


class AgainstRnnrt(unittest.TestCase):
    T, N, H, I = 12, 3, 40, 24

    def check(self, cell):
        torch.manual_seed(7)
        module = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](self.I, self.H).eval()
        x = torch.rand(self.T, self.N, self.I) * 2 - 1
        for scheme, weights in (("f32", "f32"), ("int8", "int8")):
            with torch.no_grad():
                y = study.Recurrent(torch, module, scheme)(x)[0].numpy()
            got = rnnrt.Model.from_torch(module, weights=weights, threads=1).forward(x.numpy())
            # Both are float32 arithmetic on the same weights; they differ by summation order
            # and libm against rnnrt's vector exp/tanh: the README's f32 bound against
            # PyTorch for outputs below 1 in magnitude.
            self.assertLessEqual(float(abs(y - got).max()), 3e-6, f"{cell} {scheme}")
        with torch.no_grad():  # and int8 is not f32: the rounding is there
            y8 = study.Recurrent(torch, module, "int8")(x)[0]
            y32 = study.Recurrent(torch, module, "f32")(x)[0]
        self.assertGreater(float((y8 - y32).abs().max()), 1e-4, cell)

    def test_lstm(self):
        self.check("lstm")

    def test_gru(self):
        self.check("gru")


class Rounding(unittest.TestCase):
    def test_levels_and_error(self):
        torch.manual_seed(3)
        a = torch.randn(5, 700) * torch.tensor([[1.0], [0.01], [30.0], [0.0], [1.0]])
        self.assertEqual(study.s16_levels(700), (2**31 - 1) // (127 * 700))
        self.assertEqual(study.s16_levels(100), 32767)
        for scheme in ("int8+s16", "int8+s8"):
            levels = study.s16_levels(700) if scheme == "int8+s16" else 127
            got = study.quantize_input(torch, a, scheme)
            step = a.abs().amax(dim=1, keepdim=True) / levels
            # half a step, plus the float32 rounding of a / step and of q * step: an ulp
            # each of a value up to `levels` steps, 2 * levels * 2^-24 steps in all
            slack = 0.5 + 2 * levels * 2.0**-24
            self.assertTrue(bool(((got - a).abs() <= step * slack).all()), scheme)
            self.assertEqual(float(got[3].abs().max()), 0.0, scheme)  # a zero row stays zero
            q_vals = torch.round(got[:3] / step[:3])
            self.assertLessEqual(float(q_vals.abs().max()), levels, scheme)
        got = study.quantize_input(torch, a, "int8+u8")
        step = (float(a.max()) - float(a.min())) / 255
        self.assertLessEqual(float((got - a).abs().max()), step * (0.5 + 2 * 255 * 2.0**-24))
        self.assertTrue(torch.equal(study.quantize_input(torch, a, "int8"), a))


if __name__ == "__main__":
    unittest.main(verbosity=2)
