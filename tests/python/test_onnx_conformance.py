"""ONNX's own backend conformance tests of LSTM, GRU and RNN (Debian's libonnx-testdata:
onnx/backend/test/data/node), through tools/convert.py and rnnrt:

    RNNRT_LIB=build/runtime/librnnrt.so /usr/bin/python3 tests/python/test_onnx_conformance.py

Each test is a one-node graph whose inputs are all in test_data_set_0: the weights (W, R, B,
P) become the graph's constants, as an exported model has them, and the converted file runs
with the test's X, sequence_lens and initial states (time-major, or batch-major for
layout=1, the file's layout, which the converted model takes by default). Its outputs, Y
and Y_h, must be the test's within 1e-5 relative to max(1, |y|).

Exit code 77 (skipped, with the reason) without NumPy, python3-onnx or libonnx-testdata.
"""
import os
import sys
import tempfile
import unittest

for module in ("numpy", "onnx"):
    try:
        __import__(module)
    except ImportError:
        print(f"skipped: needs {module} (apt-get install python3-{module})")
        sys.exit(77)
import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402

DATA = os.environ.get("RNNRT_ONNX_TESTDATA", "/usr/share/libonnx-testdata/data/node")
TESTS = ["test_lstm_defaults", "test_lstm_with_initial_bias", "test_lstm_with_peepholes",
         "test_lstm_batchwise", "test_gru_defaults", "test_gru_with_initial_bias",
         "test_gru_seq_length", "test_gru_batchwise", "test_simple_rnn_defaults",
         "test_simple_rnn_with_initial_bias", "test_rnn_seq_length",
         "test_simple_rnn_batchwise"]
if not all(os.path.isdir(os.path.join(DATA, t)) for t in TESTS):
    print(f"skipped: ONNX's conformance data is not in {DATA} (apt-get install "
          "libonnx-testdata, as tools/install_deps.sh does)")
    sys.exit(77)

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "python"))
import convert  # noqa: E402
import rnnrt  # noqa: E402

TOL = 1e-5
CONSTANTS = {1: "W", 2: "R", 3: "B", 7: "P"}  # node input index -> the weights


def tensors(test, kind, names):
    """The test's input_k.pb / output_k.pb as arrays, by the graph's input or output names."""
    out = {}
    for k, name in enumerate(names):
        t = onnx.TensorProto()
        with open(os.path.join(DATA, test, "test_data_set_0", f"{kind}_{k}.pb"), "rb") as f:
            t.ParseFromString(f.read())
        out[name] = numpy_helper.to_array(t)
    return out


class Conformance(unittest.TestCase):
    worst = {}

    def run_test(self, test):
        model = onnx.load(os.path.join(DATA, test, "model.onnx"))
        graph = model.graph
        feeds = tensors(test, "input", [i.name for i in graph.input])
        expected = tensors(test, "output", [o.name for o in graph.output])
        node = graph.node[0]
        roles = {n: k for k, n in enumerate(node.input) if n}
        weights = [n for n in feeds if roles.get(n) in CONSTANTS]
        graph.initializer.extend(numpy_helper.from_array(feeds[n], n) for n in weights)
        keep = [i for i in graph.input if i.name not in weights]
        del graph.input[:]
        graph.input.extend(keep)
        layout = next((onnx.helper.get_attribute_value(a) for a in node.attribute
                       if a.name == "layout"), 0)
        by_role = {roles[n]: v for n, v in feeds.items() if n in roles}
        with tempfile.TemporaryDirectory() as tmp:
            src, out = os.path.join(tmp, "m.onnx"), os.path.join(tmp, "m.safetensors")
            onnx.save(model, src)
            convert.convert(src, out, quiet=True)
            m = rnnrt.Model(out)
        self.assertEqual(m.batch_first, layout == 1, test)
        x = by_role[0]
        B = x.shape[0] if layout else x.shape[1]
        D, H = m.num_directions, m.hidden_size
        state = m.state(B)
        if 5 in by_role or 6 in by_role:  # [D, B, H], or [B, D, H] with layout=1
            h0, c0 = by_role.get(5), by_role.get(6)
            if layout:
                h0 = None if h0 is None else h0.transpose(1, 0, 2)
                c0 = None if c0 is None else c0.transpose(1, 0, 2)
            state.write(h0 if h0 is not None else np.zeros((D, B, H), np.float32),
                        c0 if m.cell.startswith("lstm") else None)
        y = m.forward(x, state=state, lengths=by_role.get(4))  # the file's layout
        h_n = state.read()[0]
        got = {}
        for name, want in expected.items():
            role = list(node.output).index(name)
            if role == 0:  # Y: [T, D, B, H], or [B, T, D, H] with layout=1
                got[name] = y.reshape(want.shape if layout else (want.shape[0],
                                                                 want.shape[2], D, H))
                if not layout:
                    got[name] = got[name].transpose(0, 2, 1, 3)
            else:  # Y_h: [D, B, H], or [B, D, H]
                got[name] = h_n.transpose(1, 0, 2) if layout else h_n
        for name, want in expected.items():
            self.assertEqual(got[name].shape, want.shape, f"{test} {name}")
            err = float(np.max(np.abs(got[name] - want) / np.maximum(1.0, np.abs(want))))
            Conformance.worst[f"{test} {name}"] = err
            self.assertLess(err, TOL, f"{test} {name}")


for _test in TESTS:
    setattr(Conformance, _test, lambda self, t=_test: self.run_test(t))

if __name__ == "__main__":
    print(f"rnnrt {rnnrt.version()} from {rnnrt.library_path}; data {DATA}")
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(Conformance)
    ok = unittest.TextTestRunner(verbosity=2).run(suite).wasSuccessful()
    for case, err in sorted(Conformance.worst.items()):
        print(f"  {case}: max |rnnrt - expected| / max(1, |y|) = {err:.2e}")
    sys.exit(0 if ok else 1)
