"""The ctypes binding (python/rnnrt/) against the golden and whole-model test data, and
against `rnnrt generate`. Run by meson (tests/meson.build) with /usr/bin/python3:

    RNNRT_LIB=build/runtime/librnnrt.so RNNRT_TOOL=build/tools/rnnrt \
        /usr/bin/python3 tests/python/test_binding.py

Exit code 77 (skipped) when NumPy is missing.
"""
import os
import subprocess
import sys
import unittest

from clone_binding import ROOT, np, rnnrt

sys.path.insert(0, os.path.join(ROOT, "tools"))
import safetensors_io as st  # noqa: E402

DATA = os.path.join(ROOT, "tests", "data")
SHIPPED = os.path.join(ROOT, "models", "charlstm.safetensors")


def rel_err(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b)))) if b.size else 0.0


class Golden(unittest.TestCase):
    def case(self, name):
        m = rnnrt.Model(os.path.join(DATA, "golden", name + ".model.safetensors"))
        io, _ = st.read(os.path.join(DATA, "golden", name + ".io.safetensors"))
        return m, io

    def test_forward_and_state(self):
        for name in ("lstm_3layer_bidir", "lstm_bidir_lengths_state", "gru_bidir_lengths_state",
                     "lstm_proj_lengths_state", "grurb_bidir_lengths_state"):
            m, io = self.case(name)
            if name.startswith("grurb"):
                self.assertEqual(m.cell, "gru_reset_before")
            s = m.state(io["x"].shape[1])
            if "h0" in io:
                s.write(io["h0"], io.get("c0"))
            y = m.forward(io["x"], state=s, lengths=io.get("lengths"))
            self.assertLess(rel_err(y, io["y"]), 1e-5, name)
            h, c = s.read()
            self.assertLess(rel_err(h, io["hn"]), 1e-5, name)
            if "cn" in io:
                self.assertLess(rel_err(c, io["cn"]), 1e-5, name)
            else:
                self.assertIsNone(c)
            s.reset()
            self.assertEqual(float(np.abs(s.read()[0]).max()), 0.0)

    def test_batch_first_is_the_time_major_path(self):
        """batch_first=True runs rnnrt_forward_batch_first on x as it is: the bytes of the
        time-major call, y and the final state, with lengths and an initial state."""
        for name in ("lstm_bidir_lengths_state", "gru_bidir_lengths_state",
                     "lstm_proj_lengths_state", "grurb_bidir_lengths_state"):
            m, io = self.case(name)
            x = np.ascontiguousarray(io["x"], dtype=np.float32)
            T, B = x.shape[:2]
            self.assertNotEqual(T, B, name)
            xb = np.ascontiguousarray(x.transpose(1, 0, 2))
            lengths = io.get("lengths")
            s_tm, s_bf = m.state(B), m.state(B)
            for s in (s_tm, s_bf):
                s.write(io["h0"], io.get("c0"))
            y_tm = m.forward(x, state=s_tm, lengths=lengths)
            out = np.full((B, T, m.output_size), np.nan, np.float32)
            y_bf = m.forward(xb, state=s_bf, lengths=lengths, batch_first=True, out=out)
            self.assertIs(y_bf, out, name)
            np.testing.assert_array_equal(y_bf, y_tm.transpose(1, 0, 2), name)
            for a, b in zip(s_bf.read(), s_tm.read()):
                np.testing.assert_array_equal(a, b, name)
            # a refused call leaves out as it was
            out[...] = 7.0
            with self.assertRaises(rnnrt.Error) as e:
                m.forward(xb, lengths=np.full(B, T + 1), batch_first=True, out=out)
            self.assertIn("rnnrt_forward_batch_first: lengths[0]", e.exception.message)
            self.assertTrue(np.all(out == 7.0), name)

    def test_from_bytes_and_queries(self):
        path = os.path.join(DATA, "golden", "lstm_proj.model.safetensors")
        with open(path, "rb") as f:
            m = rnnrt.Model(f.read())
        self.assertEqual((m.cell, m.proj_size, m.state_h_size), ("lstm", 5, 5))
        self.assertEqual((m.vocab_size, m.head_size, m.num_chars), (0, 0, 0))

    def test_file_layout_and_functions(self):
        """A file whose rnnrt.layout is batch_major runs batch-first by default (an explicit
        batch_first wins); activation_functions reads rnnrt.activation_functions."""
        path = os.path.join(DATA, "golden", "gru_bidir_lengths_state.model.safetensors")
        tensors, meta = st.read(path)
        _, io = self.case("gru_bidir_lengths_state")
        x = np.ascontiguousarray(io["x"], dtype=np.float32)
        xb = np.ascontiguousarray(x.transpose(1, 0, 2))
        plain = rnnrt.Model(path)
        self.assertFalse(plain.batch_first)
        self.assertEqual(plain.activation_functions, [["Sigmoid,Tanh", "Sigmoid,Tanh"]] * 2)
        meta = dict(meta or {}, **{"rnnrt.layout": "batch_major",
                                   "rnnrt.activation_functions": "HardSigmoid(0.2,0.5),Tanh"})
        m = rnnrt.Model(st.to_bytes(tensors, meta))
        self.assertTrue(m.batch_first)
        self.assertEqual(m.activation_functions, [["HardSigmoid(0.2,0.5),Tanh"] * 2] * 2)
        np.testing.assert_array_equal(m.forward(xb), m.forward(x, batch_first=False)
                                      .transpose(1, 0, 2))
        self.assertGreater(rel_err(m.forward(x, batch_first=False), plain.forward(x)), 1e-2)

    def test_errors(self):
        with self.assertRaises(rnnrt.Error) as e:
            rnnrt.Model("/nonexistent.safetensors")
        self.assertEqual(e.exception.status, 3)
        self.assertIn("cannot open", e.exception.message)
        m, io = self.case("lstm_basic")
        with self.assertRaises(ValueError):
            m.forward(np.zeros((2, 1, m.input_size + 1)))
        with self.assertRaises(rnnrt.Error) as e:
            m.forward(io["x"], state=m.state(io["x"].shape[1] + 1))
        self.assertIn("batch", e.exception.message)


class Stack(unittest.TestCase):
    def test_cases_match_pytorch(self):
        with open(os.path.join(DATA, "stack", "MANIFEST")) as f:
            names = f.read().split()
        for name in names:
            m = rnnrt.Model(os.path.join(DATA, "stack", name + ".model.safetensors"))
            io, _ = st.read(os.path.join(DATA, "stack", name + ".io.safetensors"))
            lengths = io.get("lengths")
            for last in (False, True):
                if "ids" in io:
                    out = m.forward_tokens(io["ids"], lengths=lengths, last_step_only=last)
                else:
                    out = m.forward_head(io["x"], lengths=lengths, last_step_only=last)
                self.assertLess(rel_err(out, io["last" if last else "out"]), 1e-4, name)

    def test_batch_first_whole_model(self):
        """batch_first=True goes to rnnrt_forward_{tokens,head}_batch_first: the bytes of the
        time-major call on the transposed input, and so does the transpose kept for older
        libraries (the batch-first functions hidden)."""
        self.assertIsNotNone(rnnrt._forward_tokens_bf)
        with open(os.path.join(DATA, "stack", "MANIFEST")) as f:
            names = f.read().split()
        saved = rnnrt._forward_tokens_bf, rnnrt._forward_head_bf
        try:
            for older in (False, True):
                if older:
                    rnnrt._forward_tokens_bf = rnnrt._forward_head_bf = None
                for name in names:
                    m = rnnrt.Model(os.path.join(DATA, "stack", name + ".model.safetensors"))
                    io, _ = st.read(os.path.join(DATA, "stack", name + ".io.safetensors"))
                    call = m.forward_tokens if "ids" in io else m.forward_head
                    data = io["ids"] if "ids" in io else io["x"]
                    for last in (False, True):
                        want = call(data, lengths=io.get("lengths"), last_step_only=last)
                        got = call(np.ascontiguousarray(data.swapaxes(0, 1)),
                                   lengths=io.get("lengths"), last_step_only=last,
                                   batch_first=True)
                        if not last:
                            want = want.transpose(1, 0, 2)
                        self.assertEqual(got.shape, want.shape, name)
                        self.assertEqual(got.tobytes(), np.ascontiguousarray(want).tobytes(),
                                         (name, last, older))
        finally:
            rnnrt._forward_tokens_bf, rnnrt._forward_head_bf = saved
        m = rnnrt.Model(os.path.join(DATA, "stack", "lstm_char.model.safetensors"))
        with self.assertRaises(rnnrt.Error) as e:
            m.forward_tokens(np.array([[0, 1, 2], [3, 12, 4]]), batch_first=True)
        self.assertIn("rnnrt_forward_tokens_batch_first: ids[1][1] = 12 (step t = 1, "
                      "sequence b = 1)", e.exception.message)

    def test_bad_ids_and_text(self):
        m = rnnrt.Model(os.path.join(DATA, "stack", "lstm_char.model.safetensors"))
        self.assertEqual(m.vocab, "abc de\nfgé€.")
        with self.assertRaises(rnnrt.Error) as e:
            m.forward_tokens(np.array([[0, 1], [2, 12]]))
        self.assertEqual(e.exception.status, 1)
        self.assertIn("ids[1][1] = 12 (step t = 1, sequence b = 1)", e.exception.message)
        ids = m.encode("a€é.")
        self.assertEqual(ids.tolist(), [0, 10, 9, 11])
        self.assertEqual(m.decode(ids), "a€é.")
        self.assertEqual(m.encode("").size, 0)
        with self.assertRaises(rnnrt.Error) as e:
            m.encode("aü")
        self.assertIn("U+00FC at byte offset 1", e.exception.message)
        with self.assertRaises(ValueError):
            m.generate("")


class Generation(unittest.TestCase):
    def test_shipped_model_and_tool(self):
        m = rnnrt.Model(SHIPPED)
        io, _ = st.read(os.path.join(DATA, "stack", "charlstm.io.safetensors"))
        for key in (k for k in io if k.startswith("ids_")):
            y = m.forward_tokens(io[key])
            self.assertLess(rel_err(y, io["logits_" + key[4:]]), 1e-4, key)
        a = m.generate("The ", length=200, temperature=0.8, seed=11)
        self.assertEqual(a, m.generate("The ", length=200, temperature=0.8, seed=11))
        self.assertNotEqual(a, m.generate("The ", length=200, temperature=0.8, seed=12))
        tool = os.environ.get("RNNRT_TOOL")
        if tool:
            out = subprocess.run([tool, "generate", "--prompt", "The ", "--length", "200",
                                  "--seed", "11"], capture_output=True, check=True).stdout
            self.assertEqual(out.decode(), a)
        # streaming: a state carried across calls continues the text
        s = m.state(1)
        first = m.generate("And ", length=50, seed=3, state=s)
        h, c = s.read()
        self.assertGreater(float(np.abs(h).max()), 0.0)
        seen = []
        m.generate("t", length=20, seed=3, state=s, callback=seen.append)
        self.assertEqual(len(seen), 20)
        self.assertTrue(first.startswith("And "))

    def test_rng_and_sample(self):
        r = rnnrt.Rng(42)
        self.assertEqual(r.next(), 0x15780b2e0c2ec716)
        logits = np.array([0.0, 3.0, 3.0, -1.0], np.float32)
        self.assertEqual(rnnrt.sample(logits, temperature=0), 1)
        with self.assertRaises(rnnrt.Error):
            rnnrt.sample(logits, temperature=1.0)  # no rng
        r = rnnrt.Rng(1)
        draws = {rnnrt.sample(logits, 1.0, 2, r) for _ in range(200)}
        self.assertEqual(draws, {1, 2})


if __name__ == "__main__":
    print(f"rnnrt {rnnrt.version()} from {rnnrt.library_path}, kernel set {rnnrt.isa()}, "
          f"variant {rnnrt.variant()}")
    unittest.main(verbosity=2)
