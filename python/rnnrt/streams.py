"""Streams: many stateful sequences batched into one step (rnnrt_batcher, docs/streams.md).

    m = rnnrt.Model("model.safetensors")
    with rnnrt.Batcher(m, max_batch=64, max_wait_us=200) as b:
        s = b.open()                          # a stream with a zero state
        y = s.push(x)                         # x [steps, input_size] -> y [steps, output_size]
        text = b.open().generate("The ", length=100)   # models with embedding and head
        f = s.push_async(x2)                  # a concurrent.futures.Future of y
        y2 = f.result()
        h, c = s.state()
        s.close()

The batcher's own thread runs batched steps over every stream that has one queued. Each
stream's outputs and state are the bytes Model.forward gives its whole input alone. The GIL is
released while a push waits (ctypes releases it around library calls), so Python threads, or
push_async, keep many streams in flight; asyncio code can await
asyncio.wrap_future(s.push_async(x)).
"""
from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import sys
import threading
import weakref
from typing import Optional, Tuple

import numpy as np

from . import E_INVALID, Error, _check, _f32, _fn, _I, _lib, _P, _ptr, has_model_options

_pkg = sys.modules[__package__]  # its option calls exist only in libraries that have options

E_BUSY = 6
E_TIMEOUT = 7
E_CLOSED = 8

_BUCKETS = 32


class _Stats(ctypes.Structure):
    _fields_ = [("steps", ctypes.c_ulonglong), ("rows", ctypes.c_ulonglong),
                ("pushes", ctypes.c_ulonglong), ("evicted", ctypes.c_ulonglong),
                ("batch_rows", ctypes.c_ulonglong * _BUCKETS),
                ("latency_us", ctypes.c_ulonglong * _BUCKETS),
                ("open_streams", ctypes.c_int), ("ready_streams", ctypes.c_int)]


_ULL = ctypes.c_ulonglong
_PP = ctypes.POINTER(_P)
has_streams: bool = has_model_options and hasattr(_lib, "rnnrt_batcher_create")
if has_streams:
    _batcher_create = _fn("rnnrt_batcher_create", _I, _P, _P, _PP)
    _batcher_free = _fn("rnnrt_batcher_free", None, _P)
    _batcher_stats = _fn("rnnrt_batcher_read_stats", _I, _P, ctypes.POINTER(_Stats))
    _stream_open = _fn("rnnrt_stream_open", _I, _P, _PP)
    _stream_push = _fn("rnnrt_stream_push", _I, _P, _P, _I, _P)
    _stream_wait = _fn("rnnrt_stream_wait", _I, _P, _I)
    _stream_wait_pushes = _fn("rnnrt_stream_wait_pushes", _I, _P, _ULL, _I)
    _stream_state = _fn("rnnrt_stream_state", _I, _P, _P, _P)
    _stream_close = _fn("rnnrt_stream_close", None, _P)
    _stream_push_tokens = _fn("rnnrt_stream_push_tokens", _I, _P, _P, _I, _I, _P, _P, _P)
    _stream_generate = _fn("rnnrt_stream_generate", _I, _P, _P, _I, _I, ctypes.c_float, _I,
                           _ULL, _P, _P, _P)
    _stream_free = _fn("rnnrt_stream_free", None, _P)


def _timeout_ms(timeout: Optional[float]) -> int:
    return -1 if timeout is None else max(0, int(timeout * 1000))


class Batcher:
    """Batched steps over many streams of one model (rnnrt_batcher).

    max_batch: rows per batched step; max_wait_us: how long a step waits to gather more
    streams; max_streams: open streams at most; max_pending: steps queued per stream at most;
    idle_timeout_ms: a stream with nothing queued for this long is evicted (0: never);
    threads: threads per step (None: the model's); workers: the threads that wait for
    push_async's futures (None: 32, made on first use). The model's kernel set and data
    types are used: load it with the options you want. The model is kept alive by the
    batcher. close() (or the end of a with block) cancels pending work and frees everything.
    """

    def __init__(self, model, *, max_batch: int = 64, max_wait_us: int = 200,
                 max_streams: int = 65536, max_pending: int = 65536, idle_timeout_ms: int = 0,
                 threads: Optional[int] = None, workers: Optional[int] = None):
        if not has_streams:
            raise Error(5, "this librnnrt has no batcher (rnnrt_batcher_create)")
        self._model = model
        self._p = None
        self._lock = threading.Condition()
        self._calls = 0          # library calls on this batcher or its streams in progress
        # the open streams' objects, weakly: a stream dropped by its user frees its handle
        self._streams: "weakref.WeakValueDictionary[int, Stream]" = \
            weakref.WeakValueDictionary()
        self._workers = workers or 32
        self._executor: Optional[concurrent.futures.ThreadPoolExecutor] = None
        o = _P()
        _check(_pkg._options_create(ctypes.byref(o)))
        try:
            for k, v in (("max_batch", max_batch), ("max_wait_us", max_wait_us),
                         ("max_streams", max_streams), ("max_pending", max_pending),
                         ("idle_timeout_ms", idle_timeout_ms),
                         ("threads", 0 if threads is None else threads)):
                _check(_pkg._options_set(o, k.encode(), str(int(v)).encode()))
            p = _P()
            _check(_batcher_create(model._p, o, ctypes.byref(p)))
            self._p = p
        finally:
            _pkg._options_free(o)

    def __enter__(self) -> "Batcher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        self.close()

    @contextlib.contextmanager
    def _using(self):
        """The batcher's handle for library calls on it or its streams within the block (close
        waits for the block to end before freeing), or Error when the batcher is closed."""
        with self._lock:
            if self._p is None:
                raise Error(E_CLOSED, "the batcher is closed")
            self._calls += 1
            p = self._p
        try:
            yield p
        finally:
            with self._lock:
                self._calls -= 1
                if not self._calls:
                    self._lock.notify_all()

    def open(self) -> "Stream":
        """A new stream with a zero state (Error with status E_BUSY at max_streams)."""
        p = _P()
        with self._using() as b:
            _check(_stream_open(b, ctypes.byref(p)))
        s = Stream(self, p)
        with self._lock:
            self._streams[p.value] = s
        return s

    def stats(self) -> dict:
        """Counters since creation: steps, rows (rows / steps is the mean batch), pushes,
        evicted, open_streams, ready_streams, and the histograms batch_rows[k] (steps of
        2^(k-1) + 1 .. 2^k rows) and latency_us[k] (pushes done within 2^k microseconds)."""
        st = _Stats()
        with self._using() as b:
            _check(_batcher_stats(b, ctypes.byref(st)))
        out = {name: getattr(st, name) for name, _ in _Stats._fields_}
        out["batch_rows"] = list(st.batch_rows)
        out["latency_us"] = list(st.latency_us)
        return out

    def _submit(self, fn):
        with self._lock:
            if self._executor is None:
                self._executor = concurrent.futures.ThreadPoolExecutor(
                    self._workers, thread_name_prefix="rnnrt-batcher")
            return self._executor.submit(fn)

    def close(self) -> None:
        """Cancels every stream's pending steps (waits return Error E_CLOSED), waits for the
        calls in progress to return, and frees the batcher and its streams."""
        lock = getattr(self, "_lock", None)
        if lock is None:
            return
        with lock:
            p, self._p = self._p, None
            streams = list(self._streams.values())
            self._streams.clear()
        if p is None:
            return
        # Handles stay valid after rnnrt_stream_close: calls that begin now return E_CLOSED.
        for s in streams:
            _stream_close(s._h)
            s._h = None
        with lock:
            while self._calls:
                lock.wait()
        _batcher_free(p)
        if self._executor is not None:
            self._executor.shutdown(wait=False)


class Stream:
    """One sequence of a Batcher, with its own state (rnnrt_stream). Pushes run in the order
    made, from any thread."""

    def __init__(self, batcher: Batcher, handle):
        self._b = batcher
        self._h = handle.value
        self._lock = threading.Lock()
        self._pushes = 0   # pushes accepted so far
        m = batcher._model
        self.input_size: int = m.input_size
        self.output_size: int = m.output_size

    def __del__(self):
        b = getattr(self, "_b", None)
        if b is None:
            return
        with b._lock:
            if b._p is not None and self._h is not None:
                b._streams.pop(self._h, None)
                _stream_free(self._h)
                self._h = None

    @contextlib.contextmanager
    def _handle(self):
        """The stream's handle for library calls within the block, or Error when the stream
        or its batcher is closed (the batcher is not freed before the block ends)."""
        with self._b._using():
            if self._h is None:
                raise Error(E_CLOSED, "the stream is closed")
            yield self._h

    def _push(self, x) -> Tuple[np.ndarray, np.ndarray, int, bool]:
        x = _f32(x)
        one = x.ndim == 1
        if one:
            x = x.reshape(1, -1)
        if x.ndim != 2 or x.shape[1] != self.input_size or x.shape[0] < 1:
            raise Error(E_INVALID, f"x must have shape [steps, {self.input_size}] or "
                                   f"[{self.input_size}], has {x.shape}")
        y = np.empty((x.shape[0], self.output_size), np.float32)
        n = self._queued(lambda h: _stream_push(h, _ptr(x), x.shape[0], _ptr(y)))
        return x, y, n, one

    def _wait(self, n: int, timeout: Optional[float]) -> None:
        with self._handle() as h:
            _check(_stream_wait_pushes(h, n, _timeout_ms(timeout)))

    def push(self, x, timeout: Optional[float] = None) -> np.ndarray:
        """Runs x [steps, input_size] (or one step [input_size]) through the stream and
        returns y [steps, output_size] (or [output_size]), waiting (without the GIL) for the
        batched steps. Error E_BUSY when the stream's queue is full, E_CLOSED when it was
        closed or evicted, E_TIMEOUT after `timeout` seconds (the push stays queued)."""
        x, y, n, one = self._push(x)
        self._wait(n, timeout)
        return y[0] if one else y

    def push_async(self, x) -> "concurrent.futures.Future[np.ndarray]":
        """Queues x at once and returns a Future of y; a worker thread of the batcher waits
        for it. Pushes on one stream run in the order made."""
        x, y, n, one = self._push(x)

        def done(_x=x):  # x stays alive until the library has read it
            self._wait(n, None)
            return y[0] if one else y
        return self._b._submit(done)

    def _queued(self, call) -> int:
        """Runs call(handle) (a library push) and returns its number among the stream's
        pushes, for the wait."""
        with self._handle() as h, self._lock:
            _check(call(h))
            self._pushes += 1
            return self._pushes

    def push_tokens(self, ids, last_step_only: bool = False,
                    timeout: Optional[float] = None) -> np.ndarray:
        """Token ids [steps] through the embedding, the stream's state and the head: logits
        [steps, logits_size], or [logits_size] of the last step with last_step_only (the
        bytes of Model.forward_tokens on the whole sequence). Models with an embedding."""
        ids = np.ascontiguousarray(ids, dtype=np.int32).reshape(-1)
        if ids.size == 0:
            raise Error(E_INVALID, "ids is empty")
        V = self._b._model.logits_size
        out = np.empty(V if last_step_only else (ids.size, V), np.float32)
        n = self._queued(lambda h: _stream_push_tokens(h, _ptr(ids), ids.size,
                                                       int(bool(last_step_only)), _ptr(out),
                                                       None, None))
        self._wait(n, timeout)
        return out

    def generate(self, prompt, length: int = 300, temperature: float = 0.8, top_k: int = 0,
                 seed: int = 1, timeout: Optional[float] = None):
        """The prompt, then `length` sampled tokens, each fed back; every step is batched
        with the other streams' (rnnrt_stream_generate). A str prompt (character models)
        returns the prompt and the generated text, as Model.generate does for the same
        arguments; ids return the generated ids (int32). The stream's state carries on."""
        m = self._b._model
        text = isinstance(prompt, str)
        ids = m.encode(prompt) if text else np.ascontiguousarray(prompt, np.int32).reshape(-1)
        if ids.size == 0:
            raise Error(E_INVALID, "the prompt is empty: the model needs at least one token")
        out = np.empty(int(length), np.int32)
        n = self._queued(lambda h: _stream_generate(h, _ptr(ids), ids.size, int(length),
                                                    float(temperature), int(top_k), int(seed),
                                                    _ptr(out), None, None))
        self._wait(n, timeout)
        return prompt + m.decode(out) if text else out

    def wait(self, timeout: Optional[float] = None) -> None:
        """Waits until every push made so far is done."""
        with self._handle() as h:
            _check(_stream_wait(h, _timeout_ms(timeout)))

    def state(self) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        """(h, c) after every step done so far, in PyTorch's h_n / c_n layout for a batch
        of one; c is None for GRU and RNN models."""
        m = self._b._model
        h = np.empty((m.num_layers, 1, m.state_h_size), np.float32)
        c = (np.empty((m.num_layers, 1, m.hidden_size), np.float32)
             if m.cell.startswith("lstm") else None)
        with self._handle() as handle:
            _check(_stream_state(handle, _ptr(h), _ptr(c)))
        return h, c

    def close(self) -> None:
        """Cancels pending steps (their waits raise Error E_CLOSED) and frees the state."""
        try:
            with self._handle() as h:
                _stream_close(h)
        except Error:  # closed already, or its batcher
            pass
