"""rnnrt from Python: a ctypes binding over librnnrt.so (no compiled extension, no pip).

Put this directory on sys.path (or PYTHONPATH) and `import rnnrt`. The shared library is found
through $RNNRT_LIB (a path to librnnrt.so), then the build trees next to this file
(build/runtime/, ...), then the system's library path. Needs NumPy.

    import numpy as np, rnnrt
    m = rnnrt.Model("models/charlstm.safetensors")
    print(m.generate("The ", length=200, temperature=0.8, seed=1))
    s = m.state(batch=4)                               # zeros
    y = m.forward(np.zeros((10, 4, m.input_size), np.float32), state=s)   # [T, B, O]
    h, c = s.read(); s.write(h, c)
    logits = m.forward_tokens(np.array([[1], [2]]))    # [T, B, vocab]

Arrays are converted to C-contiguous float32 / int32 as needed; results are new NumPy arrays.
Errors raise rnnrt.Error with the library's status and message.
"""
import ctypes
import ctypes.util
import os

import numpy as np

__all__ = ["Error", "Model", "State", "Rng", "sample", "version", "isa", "set_isa",
           "variant", "set_variant", "set_num_threads", "num_threads", "library_path"]

_c_float_p = ctypes.POINTER(ctypes.c_float)
_c_int_p = ctypes.POINTER(ctypes.c_int)


class _RngStruct(ctypes.Structure):
    _fields_ = [("s", ctypes.c_ulonglong * 4)]


def _candidates():
    env = os.environ.get("RNNRT_LIB")
    if env:
        yield env
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    for build in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        path = os.path.join(root, build, "runtime", "librnnrt.so")
        if build.startswith("build") and os.path.exists(path):
            yield path
    found = ctypes.util.find_library("rnnrt")
    if found:
        yield found


def _load():
    tried = []
    for path in _candidates():
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            tried.append(f"{path}: {e}")
    raise ImportError("rnnrt: cannot find librnnrt.so; build it (meson setup build && ninja "
                      "-C build) or set RNNRT_LIB to its path" +
                      ("; tried " + "; ".join(tried) if tried else ""))


_lib, library_path = _load()


def _fn(name, restype, *argtypes):
    f = getattr(_lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


_P = ctypes.c_void_p
_status_string = _fn("rnnrt_status_string", ctypes.c_char_p, ctypes.c_int)
_last_error = _fn("rnnrt_last_error", ctypes.c_char_p)
_model_load = _fn("rnnrt_model_load", ctypes.c_int, ctypes.c_char_p, ctypes.POINTER(_P))
_model_load_memory = _fn("rnnrt_model_load_memory", ctypes.c_int, ctypes.c_char_p,
                         ctypes.c_size_t, ctypes.POINTER(_P))
_model_free = _fn("rnnrt_model_free", None, _P)
_state_create = _fn("rnnrt_state_create", ctypes.c_int, _P, ctypes.c_int, ctypes.POINTER(_P))
_state_free = _fn("rnnrt_state_free", None, _P)
_state_read = _fn("rnnrt_state_read", ctypes.c_int, _P, _c_float_p, _c_float_p)
_state_write = _fn("rnnrt_state_write", ctypes.c_int, _P, _c_float_p, _c_float_p)
_state_reset = _fn("rnnrt_state_reset", ctypes.c_int, _P)
_state_batch = _fn("rnnrt_state_batch", ctypes.c_int, _P)
_forward = _fn("rnnrt_forward", ctypes.c_int, _P, _P, _c_float_p, ctypes.c_int, ctypes.c_int,
               _c_int_p, _c_float_p)
_forward_tokens = _fn("rnnrt_forward_tokens", ctypes.c_int, _P, _P, _c_int_p, ctypes.c_int,
                      ctypes.c_int, _c_int_p, ctypes.c_int, _c_float_p)
_forward_head = _fn("rnnrt_forward_head", ctypes.c_int, _P, _P, _c_float_p, ctypes.c_int,
                    ctypes.c_int, _c_int_p, ctypes.c_int, _c_float_p)
_token = _fn("rnnrt_model_token", ctypes.c_char_p, _P, ctypes.c_int)
_encode = _fn("rnnrt_model_encode", ctypes.c_int, _P, ctypes.c_char_p, _c_int_p, ctypes.c_int,
              _c_int_p)
_rng_seed = _fn("rnnrt_rng_seed", None, ctypes.POINTER(_RngStruct), ctypes.c_ulonglong)
_rng_next = _fn("rnnrt_rng_next", ctypes.c_ulonglong, ctypes.POINTER(_RngStruct))
_rng_uniform = _fn("rnnrt_rng_uniform", ctypes.c_double, ctypes.POINTER(_RngStruct))
_sample = _fn("rnnrt_sample", ctypes.c_int, _c_float_p, ctypes.c_int, ctypes.c_float,
              ctypes.c_int, ctypes.POINTER(_RngStruct), _c_int_p)
_version = _fn("rnnrt_version", ctypes.c_char_p)
_isa = _fn("rnnrt_isa", ctypes.c_char_p)
_set_isa = _fn("rnnrt_set_isa", ctypes.c_int, ctypes.c_char_p)
_variant = _fn("rnnrt_variant", ctypes.c_char_p)
_set_variant = _fn("rnnrt_set_variant", ctypes.c_int, ctypes.c_char_p)
_set_num_threads = _fn("rnnrt_set_num_threads", None, ctypes.c_int)
_num_threads = _fn("rnnrt_num_threads", ctypes.c_int)
_queries = {name: _fn("rnnrt_model_" + name, ctypes.c_int, _P) for name in (
    "input_size", "output_size", "num_layers", "num_directions", "hidden_size", "proj_size",
    "state_h_size", "has_bias", "vocab_size", "head_size", "logits_size", "num_chars")}
_cell_name = _fn("rnnrt_model_cell_name", ctypes.c_char_p, _P)


class Error(Exception):
    """A failed library call: .status (the rnnrt_status number), .message."""

    def __init__(self, status, message):
        self.status = status
        self.message = message
        super().__init__(f"{message} ({_status_string(status).decode()})")


def _check(status):
    if status:
        raise Error(status, _last_error().decode("utf-8", "replace"))


def _f32(a):
    return np.ascontiguousarray(a, dtype=np.float32)


def _fp(a):
    return a.ctypes.data_as(_c_float_p)


def _ip(a):
    return None if a is None else a.ctypes.data_as(_c_int_p)


def _lengths(lengths, batch):
    if lengths is None:
        return None
    lengths = np.ascontiguousarray(lengths, dtype=np.int32)
    if lengths.shape != (batch,):
        raise ValueError(f"lengths must have shape ({batch},), has {lengths.shape}")
    return lengths


def version():
    return _version().decode()


def isa():
    return _isa().decode()


def set_isa(name):
    _check(_set_isa(name.encode()))


def variant():
    return _variant().decode()


def set_variant(name):
    _check(_set_variant(name.encode()))


def set_num_threads(n):
    _set_num_threads(int(n))


def num_threads():
    return _num_threads()


class Rng:
    """The library's seeded generator (xoshiro256**): the same seed, the same draws."""

    def __init__(self, seed=1):
        self._s = _RngStruct()
        _rng_seed(ctypes.byref(self._s), int(seed))

    def next(self):
        return _rng_next(ctypes.byref(self._s))

    def uniform(self):
        return _rng_uniform(ctypes.byref(self._s))


def sample(logits, temperature=1.0, top_k=0, rng=None):
    """One token id from a vector of logits (rnnrt_sample): greedy at temperature 0."""
    logits = _f32(logits).reshape(-1)
    tok = ctypes.c_int()
    _check(_sample(_fp(logits), logits.size, float(temperature), int(top_k),
                   ctypes.byref(rng._s) if rng is not None else None, ctypes.byref(tok)))
    return tok.value


class State:
    """The recurrent state of `batch` sequences for one model (rnnrt_state)."""

    def __init__(self, model, batch):
        self._model = model
        self._p = _P()
        _check(_state_create(model._p, int(batch), ctypes.byref(self._p)))
        self.batch = _state_batch(self._p)

    def __del__(self):
        if getattr(self, "_p", None):
            _state_free(self._p)
            self._p = None

    def _shapes(self):
        m = self._model
        n = m.num_layers * m.num_directions
        h = (n, self.batch, m.state_h_size)
        c = None if m.cell == "gru" else (n, self.batch, m.hidden_size)
        return h, c

    def read(self):
        """(h, c) in PyTorch's h_n / c_n layout; c is None for GRU models."""
        hs, cs = self._shapes()
        h = np.empty(hs, np.float32)
        c = None if cs is None else np.empty(cs, np.float32)
        _check(_state_read(self._p, _fp(h), None if c is None else _fp(c)))
        return h, c

    def write(self, h, c=None):
        hs, cs = self._shapes()
        h = _f32(h)
        if h.shape != hs:
            raise ValueError(f"h must have shape {hs}, has {h.shape}")
        if cs is not None:
            c = _f32(c)
            if c.shape != cs:
                raise ValueError(f"c must have shape {cs}, has {c.shape}")
        _check(_state_write(self._p, _fp(h), None if cs is None else _fp(c)))

    def reset(self):
        _check(_state_reset(self._p))


class Model:
    """A loaded model (rnnrt_model): from a path, or from bytes."""

    def __init__(self, source):
        self._p = _P()
        if isinstance(source, (bytes, bytearray, memoryview)):
            data = bytes(source)
            _check(_model_load_memory(data, len(data), ctypes.byref(self._p)))
        else:
            _check(_model_load(os.fsencode(source), ctypes.byref(self._p)))
        for name, f in _queries.items():
            setattr(self, name, f(self._p))
        self.cell = _cell_name(self._p).decode()
        self.vocab = "".join(_token(self._p, k).decode() for k in range(self.num_chars))

    def __del__(self):
        if getattr(self, "_p", None):
            _model_free(self._p)
            self._p = None

    def state(self, batch=1):
        return State(self, batch)

    def _state_arg(self, state, batch):
        if state is None:
            return None
        if state._model is not self:
            raise ValueError("the state belongs to another model")
        return state._p

    def forward(self, x, state=None, lengths=None):
        """The recurrent stack: x [T, B, input_size] -> y [T, B, output_size]."""
        x = _f32(x)
        if x.ndim != 3 or x.shape[2] != self.input_size:
            raise ValueError(f"x must have shape [T, B, {self.input_size}], has {x.shape}")
        T, B = x.shape[:2]
        lengths = _lengths(lengths, B)
        y = np.empty((T, B, self.output_size), np.float32)
        _check(_forward(self._p, self._state_arg(state, B), _fp(x), T, B, _ip(lengths),
                        _fp(y)))
        return y

    def forward_head(self, x, state=None, lengths=None, last_step_only=False):
        """rnnrt_forward then the head: [T, B, logits_size], or [B, logits_size]."""
        x = _f32(x)
        if x.ndim != 3 or x.shape[2] != self.input_size:
            raise ValueError(f"x must have shape [T, B, {self.input_size}], has {x.shape}")
        T, B = x.shape[:2]
        lengths = _lengths(lengths, B)
        out = np.empty((B, self.logits_size) if last_step_only else (T, B, self.logits_size),
                       np.float32)
        _check(_forward_head(self._p, self._state_arg(state, B), _fp(x), T, B, _ip(lengths),
                             int(bool(last_step_only)), _fp(out)))
        return out

    def forward_tokens(self, ids, state=None, lengths=None, last_step_only=False):
        """Token ids [T, B] -> logits [T, B, logits_size], or [B, logits_size]."""
        ids = np.asarray(ids)
        if ids.ndim != 2:
            raise ValueError(f"ids must have shape [T, B], has {ids.shape}")
        if ids.dtype.kind not in "iu":
            raise ValueError(f"ids must be integers, not {ids.dtype}")
        if ids.size and (ids.min() < -2**31 or ids.max() >= 2**31):
            raise ValueError("ids do not fit in int32")
        ids = np.ascontiguousarray(ids, dtype=np.int32)
        T, B = ids.shape
        lengths = _lengths(lengths, B)
        out = np.empty((B, self.logits_size) if last_step_only else (T, B, self.logits_size),
                       np.float32)
        _check(_forward_tokens(self._p, self._state_arg(state, B), _ip(ids), T, B,
                               _ip(lengths), int(bool(last_step_only)), _fp(out)))
        return out

    def encode(self, text):
        """Text -> token ids (int32), one per character; Error for characters outside the
        vocabulary or invalid UTF-8."""
        raw = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        if b"\0" in raw:
            raise ValueError("text holds a NUL character")
        ids = np.empty(max(len(raw), 1), np.int32)
        count = ctypes.c_int()
        _check(_encode(self._p, raw, _ip(ids), len(raw), ctypes.byref(count)))
        return ids[:count.value].copy()

    def decode(self, ids):
        return "".join(_token(self._p, int(k)).decode() for k in np.asarray(ids).reshape(-1))

    def generate(self, prompt, length=300, temperature=0.8, top_k=0, seed=1, state=None,
                 callback=None):
        """The prompt, then `length` sampled characters, one step each with the state carried
        (as `rnnrt generate`, which prints the same text for the same arguments). `state`
        (batch 1) continues an earlier call; callback(ch) sees each character as it comes."""
        ids = self.encode(prompt)
        if ids.size == 0:
            raise ValueError("the prompt is empty: the model needs at least one character")
        if self.num_chars == 0 or self.head_size != self.num_chars:
            raise ValueError("not a character model (embedding, head and vocabulary needed)")
        state = state if state is not None else self.state(1)
        rng = Rng(seed)
        logits = self.forward_tokens(ids[:, None], state=state, last_step_only=True)
        out = [prompt]
        for k in range(length):
            tok = sample(logits[0], temperature, top_k, rng)
            ch = _token(self._p, tok).decode()
            out.append(ch)
            if callback:
                callback(ch)
            logits = self.forward_tokens(np.array([[tok]], np.int32), state=state,
                                         last_step_only=True)
        return "".join(out)
