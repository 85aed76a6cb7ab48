"""rnnrt.Batcher and rnnrt.Stream (python/rnnrt/streams.py) over the library's batcher. Run by
meson (tests/meson.build) with /usr/bin/python3:

    RNNRT_LIB=build/runtime/librnnrt.so /usr/bin/python3 tests/python/test_batcher.py

Each stream's outputs and state must be the bytes of Model.forward on its whole input alone
(the C suite, tests/test_batcher.c, checks the same across every cell and type). Exit code
77 (skipped) when NumPy is missing.
"""
import os
import threading
import time
import unittest

from clone_binding import ROOT, np, rnnrt

GOLDEN = os.path.join(ROOT, "tests", "data", "golden")


def model(name):
    return rnnrt.Model(os.path.join(GOLDEN, name + ".model.safetensors"))


def whole(m, x):
    """y and (h, c) of x [T, I] alone, from zeros."""
    s = m.state(1)
    y = m.forward(x[:, None, :], state=s)[:, 0, :]
    return y, s.read()


def stalling(m, **kw):
    """A lone stream stalls: a step waits for 2 ready streams, or 10 s."""
    return rnnrt.Batcher(m, max_batch=2, max_wait_us=10_000_000, **kw)


class Exactness(unittest.TestCase):
    def test_many_streams_from_threads(self):
        """60 streams, each cut into random chunks, pushed by 4 threads with push and
        push_async: each equals its whole sequence alone, bit for bit."""
        rng = np.random.default_rng(int(os.environ.get("RNNRT_TEST_SEED", "26")))
        for name in ("lstm_proj_lengths_state", "gru_clip", "grurb_2layer", "lstm_3layer"):
            m = model(name)
            xs = [rng.uniform(-1.5, 1.5, (int(rng.integers(1, 20)), m.input_size))
                  .astype(np.float32) for _ in range(60)]
            with rnnrt.Batcher(m, max_batch=8, max_wait_us=100) as b:
                streams = [b.open() for _ in xs]
                got = [[] for _ in xs]

                def run(k):
                    for i in range(k, len(xs), 4):
                        x, s, t = xs[i], streams[i], 0
                        while t < len(x):
                            n = int(rng.integers(1, 6))
                            if rng.integers(2):
                                got[i].append(s.push_async(x[t:t + n]))
                            else:
                                got[i].append(s.push(x[t:t + n]))
                            t += n
                threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                for i, x in enumerate(xs):
                    y = np.concatenate([g.result() if hasattr(g, "result") else g
                                        for g in got[i]])
                    y_want, (h_want, c_want) = whole(m, x)
                    self.assertTrue(np.array_equal(y, y_want), f"{name}: stream {i}")
                    h, c = streams[i].state()
                    self.assertTrue(np.array_equal(h, h_want), f"{name}: stream {i} h")
                    if c_want is None:
                        self.assertIsNone(c)
                    else:
                        self.assertTrue(np.array_equal(c, c_want), f"{name}: stream {i} c")
                st = b.stats()
                self.assertEqual(st["rows"], sum(len(x) for x in xs))
                self.assertEqual(st["open_streams"], len(xs))
                self.assertEqual(sum(st["batch_rows"]), st["steps"])

    def test_one_step_shapes(self):
        m = model("gru_basic")
        x = np.linspace(-1, 1, 3 * m.input_size, dtype=np.float32).reshape(3, -1)
        with rnnrt.Batcher(m) as b:
            s = b.open()
            ys = [s.push(x[t]) for t in range(3)]       # one step: [input_size] -> [output]
            self.assertEqual(ys[0].shape, (m.output_size,))
            self.assertTrue(np.array_equal(np.stack(ys), whole(m, x)[0]))
            s.wait(timeout=1)


class Tokens(unittest.TestCase):
    def test_push_tokens_and_generate(self):
        """Token pushes give Model.forward_tokens' bytes; generation from several streams at
        once gives Model.generate's text for the same arguments."""
        m = rnnrt.Model(rnnrt.DEFAULT_MODEL)
        ids = m.encode("In the beginning God created")
        want = m.forward_tokens(ids[:, None])[:, 0, :]
        with rnnrt.Batcher(m, max_batch=8) as b:
            s = b.open()
            got = np.concatenate([s.push_tokens(ids[:10]), s.push_tokens(ids[10:])])
            self.assertTrue(np.array_equal(got, want))
            last = b.open().push_tokens(ids, last_step_only=True)
            self.assertTrue(np.array_equal(last, want[-1]))
            args = [("The ", 0.8, 0, 1), ("And ", 0.0, 0, 2), ("In ", 1.2, 5, 3)]
            results = [None] * len(args)

            def gen(k):
                p, t, k_, seed = args[k]
                results[k] = b.open().generate(p, length=40, temperature=t, top_k=k_,
                                               seed=seed)
            threads = [threading.Thread(target=gen, args=(k,)) for k in range(len(args))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for k, (p, t, k_, seed) in enumerate(args):
                self.assertEqual(results[k], m.generate(p, length=40, temperature=t, top_k=k_,
                                                        seed=seed))
            out = b.open().generate(m.encode("The "), length=5, temperature=0)
            self.assertEqual(out.dtype, np.int32)
            with self.assertRaises(rnnrt.Error):
                b.open().push_tokens([m.vocab_size])


class Faults(unittest.TestCase):
    def test_bad_input_and_limits(self):
        m = model("lstm_basic")
        with rnnrt.Batcher(m, max_streams=2, max_pending=4) as b:
            s = b.open()
            with self.assertRaises(rnnrt.Error) as e:
                s.push(np.zeros((2, m.input_size + 1), np.float32))
            self.assertEqual(e.exception.status, 1)
            with self.assertRaises(rnnrt.Error):
                s.push(np.zeros((0, m.input_size), np.float32))
            with self.assertRaises(rnnrt.Error) as e:
                s.push(np.zeros((5, m.input_size), np.float32))
            self.assertEqual(e.exception.status, rnnrt.E_BUSY)
            self.assertIn("max_pending", e.exception.message)
            kept = b.open()  # a stream dropped by its user would give its place back
            with self.assertRaises(rnnrt.Error) as e:
                b.open()
            self.assertEqual(e.exception.status, rnnrt.E_BUSY)
            self.assertIn("max_streams", e.exception.message)
            s.close()
            with self.assertRaises(rnnrt.Error) as e:
                s.push(np.zeros((1, m.input_size), np.float32))
            self.assertEqual(e.exception.status, rnnrt.E_CLOSED)
            kept2 = b.open()  # the closed stream's place is free
            self.assertEqual(b.stats()["open_streams"], 2)
            del kept, kept2
        with self.assertRaises(rnnrt.Error) as e:
            rnnrt.Batcher(m, max_batch=0)
        self.assertIn("max_batch", e.exception.message)
        with self.assertRaises(rnnrt.Error) as e:
            rnnrt.Batcher(model("lstm_bidir"))
        self.assertIn("bidirectional", e.exception.message)

    def test_timeout_close_and_gil(self):
        """A stalled push times out; a waiting thread does not hold the GIL; closing a
        stream fails its pending future with E_CLOSED; closing the batcher fails the rest."""
        m = model("lstm_basic")
        x = np.ones((3, m.input_size), np.float32)
        b = stalling(m)
        s, t = b.open(), b.open()
        with self.assertRaises(rnnrt.Error) as e:
            s.push(x, timeout=0.05)
        self.assertEqual(e.exception.status, rnnrt.E_TIMEOUT)
        f = s.push_async(x)        # queued behind the first push: 6 steps in all
        ticks = 0
        t_end = time.monotonic() + 0.2
        while time.monotonic() < t_end:  # the worker waits in C without the GIL
            ticks += 1
        self.assertGreater(ticks, 1000)
        self.assertFalse(f.done())
        s.close()
        with self.assertRaises(rnnrt.Error) as e:
            f.result(timeout=10)
        self.assertEqual(e.exception.status, rnnrt.E_CLOSED)
        g = t.push_async(x)
        b.close()
        with self.assertRaises(rnnrt.Error) as e:
            g.result(timeout=10)
        self.assertEqual(e.exception.status, rnnrt.E_CLOSED)
        with self.assertRaises(rnnrt.Error) as e:
            b.open()
        self.assertEqual(e.exception.status, rnnrt.E_CLOSED)
        with self.assertRaises(rnnrt.Error):
            t.push(x)
        b.close()  # twice: nothing

    def test_eviction(self):
        m = model("gru_basic")
        with rnnrt.Batcher(m, idle_timeout_ms=50) as b:
            s = b.open()
            s.push(np.zeros(m.input_size, np.float32))
            time.sleep(0.3)
            with self.assertRaises(rnnrt.Error) as e:
                s.push(np.zeros(m.input_size, np.float32))
            self.assertEqual(e.exception.status, rnnrt.E_CLOSED)
            self.assertIn("evicted", e.exception.message)
            self.assertEqual(b.stats()["evicted"], 1)

    def test_dropped_streams_free_their_handles(self):
        m = model("gru_basic")
        with rnnrt.Batcher(m, max_streams=4) as b:
            for _ in range(50):  # more than max_streams: each dropped stream gives its place
                s = b.open()
                s.push(np.zeros(m.input_size, np.float32))
                s.close()
                del s
            self.assertEqual(len(b._streams), 0)


if __name__ == "__main__":
    print(f"rnnrt {rnnrt.version()} from {rnnrt.library_path}, kernel set {rnnrt.isa()}")
    unittest.main(verbosity=2)
