"""`rnnrt serve` (tools/serve.c) on loopback, with a real HTTP client (http.client): streams
opened, pushed and closed over HTTP/1.1 keep-alive give the bytes of Model.forward on each
whole input; the limits and errors answer as docs/streams.md says; a client that vanishes
or stalls holds no one else up; SIGTERM stops the server cleanly. Run by meson with
/usr/bin/python3:

    RNNRT_LIB=build/runtime/librnnrt.so RNNRT_TOOL=build/tools/rnnrt \\
        /usr/bin/python3 tests/python/test_serve.py

Exit code 77 (skipped) when NumPy is missing or the tool was built without libmicrohttpd.
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import unittest

from clone_binding import ROOT, np, rnnrt

TOOL = os.environ.get("RNNRT_TOOL", os.path.join(ROOT, "build", "tools", "rnnrt"))
GOLDEN = os.path.join(ROOT, "tests", "data", "golden")
MODEL = os.path.join(GOLDEN, "lstm_proj_lengths_state.model.safetensors")


class Server:
    """`rnnrt serve MODEL --port 0 ...`, stopped with SIGTERM."""

    def __init__(self, *args, model=MODEL):
        self.p = subprocess.Popen([TOOL, "serve", model, "--port", "0", *args],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.p.stdout.readline()
        if "listening on" not in line:
            self.p.kill()
            err = self.p.stderr.read()
            if "without libmicrohttpd" in err:
                print("skipped: " + err.strip())
                sys.exit(77)
            raise RuntimeError("rnnrt serve did not start: %r %r" % (line, err))
        self.port = int(line.split("http://127.0.0.1:")[1].split()[0])

    def conn(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        rc = self.p.wait(timeout=30)
        self.p.stdout.close()
        self.p.stderr.close()
        return rc


def call(c, method, path, body=None, headers=None):
    """(status, parsed JSON or raw bytes) of one request on keep-alive connection c."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    if r.getheader("Content-Type", "").startswith("application/json"):
        return r.status, json.loads(data)
    return r.status, data


def whole(m, x):
    return m.forward(x[:, None, :])[:, 0, :]


class Serve(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.m = rnnrt.Model(MODEL)

    def test_streams_exact_over_http(self):
        """8 streams from 4 threads, each on its own connection, in random chunks as JSON
        (and as raw float32): y is the bytes of Model.forward on the whole input."""
        srv = Server("--max-batch", "8", "--max-wait-us", "100")
        try:
            m, rng = self.m, np.random.default_rng(3)
            xs = [rng.uniform(-1, 1, (int(rng.integers(1, 30)), m.input_size))
                  .astype(np.float32) for _ in range(8)]
            got = [None] * len(xs)
            errors = []

            def run(i):
                c = srv.conn()
                st, body = call(c, "POST", "/streams")
                if st != 201:
                    errors.append((st, body))
                    c.close()
                    return
                sid, t, ys = body["id"], 0, []
                local = np.random.default_rng(i)
                while t < len(xs[i]):
                    n = int(local.integers(1, 6))
                    x = xs[i][t:t + n]
                    if local.integers(2):
                        st, body = call(c, "POST", "/streams/%d/steps" % sid, {"x": x.tolist()})
                        y = np.array(body["y"], np.float32) if st == 200 else None
                    else:
                        st, body = call(c, "POST", "/streams/%d/steps" % sid, x.tobytes(),
                                        {"Content-Type": "application/octet-stream"})
                        y = np.frombuffer(body, np.float32).reshape(len(x), -1) \
                            if st == 200 else None
                    if st != 200:
                        errors.append((st, body))
                        c.close()
                        return
                    ys.append(y)
                    t += n
                got[i] = np.concatenate(ys)
                st, body = call(c, "DELETE", "/streams/%d" % sid)
                if st != 200:
                    errors.append((st, body))
                c.close()

            threads = [threading.Thread(target=run, args=(i,)) for i in range(len(xs))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(errors, [])
            for i, x in enumerate(xs):
                self.assertTrue(np.array_equal(got[i], whole(m, x)), "stream %d" % i)
            c = srv.conn()
            st, text = call(c, "GET", "/metrics")
            self.assertEqual(st, 200)
            text = text.decode()
            self.assertIn("rnnrt_open_streams 0", text)
            self.assertIn('rnnrt_batch_rows_bucket{le="+Inf"}', text)
            self.assertIn("rnnrt_push_latency_seconds_count", text)
            self.assertIn("rnnrt_http_request_seconds_bucket", text)
            self.assertIn("rnnrt_stream_steps_per_second", text)
            self.assertEqual(call(c, "GET", "/healthz"), (200, b"ok\n"))
            c.close()
        finally:
            self.assertEqual(srv.stop(), 0)

    def test_limits_and_errors(self):
        srv = Server("--max-streams", "2", "--max-pending", "5", "--max-body", "2000")
        try:
            c, I = srv.conn(), self.m.input_size
            st, a = call(c, "POST", "/streams")
            self.assertEqual(st, 201)
            sid = a["id"]
            steps = "/streams/%d/steps" % sid
            self.assertEqual(call(c, "POST", "/streams")[0], 201)
            st, body = call(c, "POST", "/streams")
            self.assertEqual(st, 429)
            self.assertIn("max_streams", body["error"])
            st, body = call(c, "POST", steps, {"x": [[0.0] * I] * 6})
            self.assertEqual(st, 429)
            self.assertIn("max_pending", body["error"])
            for bad, word in (("{\"x\": [[1, 2", "x"), ("not json", "JSON object"),
                              ({"y": [[0.0] * I]}, "\"x\""),
                              ({"x": [[0.0] * (I + 1)]}, "x[0] has more than %d" % I),
                              ({"x": [[0.0] * I, [0.0] * (I - 1)]},
                               "x[1] has %d numbers" % (I - 1))):
                st, body = call(c, "POST", steps, bad)
                self.assertEqual(st, 400, bad)
                self.assertIn(word, body["error"])
            st, body = call(c, "POST", steps, b"\0" * 7,
                            {"Content-Type": "application/octet-stream"})
            self.assertEqual(st, 400)
            self.assertIn("input_size", body["error"])
            st, body = call(c, "POST", steps, {"x": [[0.0] * I] * 200})
            self.assertEqual(st, 413)
            self.assertEqual(call(c, "POST", "/streams/99/steps", {"x": [[0.0] * I]})[0], 404)
            self.assertEqual(call(c, "DELETE", "/streams/99")[0], 404)
            self.assertEqual(call(c, "GET", "/nowhere")[0], 404)
            self.assertEqual(call(c, "GET", "/streams")[0], 405)
            self.assertEqual(call(c, "POST", steps, {"x": [[0.5] * I] * 2})[0], 200)
            self.assertEqual(call(c, "DELETE", "/streams/%d" % sid)[0], 200)
            self.assertEqual(call(c, "POST", steps, {"x": [[0.0] * I]})[0], 404)
            self.assertEqual(call(c, "POST", "/streams")[0], 201)  # its place is free
            c.close()
        finally:
            self.assertEqual(srv.stop(), 0)

    def test_vanished_and_stalled_clients(self):
        """A client that sends a push and disconnects, and one that sends half a body and
        stalls, hold no one else up; the server still stops cleanly."""
        srv = Server("--max-wait-us", "0")
        try:
            I = self.m.input_size
            c = srv.conn()
            st, a = call(c, "POST", "/streams")
            body = json.dumps({"x": [[0.25] * I] * 50}).encode()
            gone = socket.create_connection(("127.0.0.1", srv.port))
            gone.sendall(b"POST /streams/%d/steps HTTP/1.1\r\nHost: x\r\nContent-Length: %d"
                         b"\r\n\r\n" % (a["id"], len(body)) + body)
            gone.close()
            stalled = socket.create_connection(("127.0.0.1", srv.port))
            stalled.sendall(b"POST /streams/%d/steps HTTP/1.1\r\nHost: x\r\nContent-Length: "
                            b"%d\r\n\r\n" % (a["id"], len(body)) + body[:10])
            st, b = call(c, "POST", "/streams")
            x = np.full((3, I), 0.5, np.float32)
            st, y = call(c, "POST", "/streams/%d/steps" % b["id"], {"x": x.tolist()})
            self.assertEqual(st, 200)
            self.assertTrue(np.array_equal(np.array(y["y"], np.float32), whole(self.m, x)))
            stalled.close()
            c.close()
        finally:
            self.assertEqual(srv.stop(), 0)

    def test_tokens_and_generation(self):
        """Token pushes give Model.forward_tokens' logits; generation streams one event per
        token, Model.generate's text for the same arguments, from several clients at once; a
        stream deleted mid-generation ends it with an error event; a listener that leaves
        stops its generation."""
        m = rnnrt.Model(rnnrt.DEFAULT_MODEL)
        srv = Server(model=rnnrt.DEFAULT_MODEL)
        try:
            c = srv.conn()
            sid = call(c, "POST", "/streams")[1]["id"]
            ids = m.encode("In the beginning")
            st, body = call(c, "POST", "/streams/%d/tokens" % sid, {"ids": ids.tolist()})
            self.assertEqual(st, 200)
            want = m.forward_tokens(ids[:, None])[:, 0, :]
            self.assertTrue(np.array_equal(np.array(body["logits"], np.float32), want))
            st, body = call(c, "POST", "/streams/%d/tokens" % sid, {"ids": [1, 999]})
            self.assertEqual(st, 400)
            self.assertIn("ids[1] = 999", body["error"])
            args = [("The ", 0.8, 0, 1), ("And ", 0.0, 0, 2), ("In ", 1.2, 5, 3)]
            texts = [None] * len(args)

            def gen(k):
                p, t, top_k, seed = args[k]
                cc = srv.conn()
                s = call(cc, "POST", "/streams")[1]["id"]
                cc.request("POST", "/streams/%d/generate" % s, body=json.dumps(
                    {"prompt": p, "length": 40, "temperature": t, "top_k": top_k,
                     "seed": seed}))
                r = cc.getresponse()
                events = r.read().decode().split("\n\n")
                text = [json.loads(e[6:])["text"] for e in events if e.startswith("data: ")]
                texts[k] = (r.getheader("Content-Type"), p + "".join(text), events[-2])
                cc.close()
            threads = [threading.Thread(target=gen, args=(k,)) for k in range(len(args))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for k, (p, t, top_k, seed) in enumerate(args):
                kind, text, last = texts[k]
                self.assertEqual(kind, "text/event-stream")
                self.assertEqual(text, m.generate(p, length=40, temperature=t, top_k=top_k,
                                                  seed=seed))
                self.assertEqual(last, 'event: done\ndata: {"tokens": 40}')
            for bad, word in (({"prompt": ""}, "prompt"), ({"prompt": "The", "seed": "x"},
                                                         "seed: expected a number"),
                              ({"ids": [1, 500]}, "ids[1]"), ({"prompt": "\u20ac"}, "prompt"),
                              ({"prompt": "The", "length": 0}, "length")):
                st, body = call(c, "POST", "/streams/%d/generate" % sid, bad)
                self.assertEqual(st, 400, bad)
                self.assertIn(word, body["error"])
            # deleted mid-generation: an error event ends the stream of events
            g = srv.conn()
            g.request("POST", "/streams/%d/generate" % sid,
                      body=json.dumps({"prompt": "The ", "length": 10 ** 7}))
            r = g.getresponse()
            self.assertEqual(r.status, 200)
            self.assertTrue(r.read1(64))  # the first events have come
            self.assertEqual(call(c, "DELETE", "/streams/%d" % sid)[0], 200)
            rest = r.read().decode()
            self.assertIn("event: error", rest)
            self.assertIn("closed", rest)
            g.close()
            # a listener that leaves: its generation stops, the server goes on
            s2 = call(c, "POST", "/streams")[1]["id"]
            gone = socket.create_connection(("127.0.0.1", srv.port))
            body = json.dumps({"prompt": "The ", "length": 10 ** 7}).encode()
            gone.sendall(b"POST /streams/%d/generate HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Length: %d\r\n\r\n" % (s2, len(body)) + body)
            gone.recv(100)
            gone.close()
            st, body = call(c, "POST", "/streams/%d/tokens" % s2, {"ids": [1]})
            self.assertEqual(st, 200)
            c.close()
        finally:
            self.assertEqual(srv.stop(), 0)

    def test_refuses_backward_models(self):
        p = subprocess.run([TOOL, "serve", os.path.join(GOLDEN, "lstm_bidir.model.safetensors"),
                            "--port", "0"], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1)
        self.assertIn("bidirectional", p.stderr)


if __name__ == "__main__":
    print(f"rnnrt {rnnrt.version()} from {rnnrt.library_path}; tool {TOOL}")
    unittest.main(verbosity=2)
