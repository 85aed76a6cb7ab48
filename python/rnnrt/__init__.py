"""rnnrt from Python: LSTM, GRU and RNN inference on CPUs, a ctypes binding over librnnrt.so.

Installed with `pip install .` (meson-python builds the C library into this package), or
used from a clone with `PYTHONPATH=python` after `meson setup build && ninja -C build`.
The shared library is found through $RNNRT_LIB (a path to librnnrt.so), then next to this
file (the installed package), then the build trees of the clone (build*/runtime/), then
the system's library path. Needs NumPy.

    import numpy as np, rnnrt
    m = rnnrt.Model(rnnrt.DEFAULT_MODEL)               # the character LSTM of `rnnrt generate`
    print(m.generate("The ", length=200, temperature=0.8, seed=1))
    s = m.state(batch=4)                               # zeros
    y = m.forward(np.zeros((10, 4, m.input_size), np.float32), state=s)   # [T, B, O]
    h, c = s.read(); s.write(h, c)
    logits = m.forward_tokens(np.array([[1], [2]]))    # [T, B, vocab]
    m2 = rnnrt.Model.from_torch(torch.nn.LSTM(8, 16, batch_first=True))  # no file
    b = rnnrt.Batcher(m2, max_batch=64); s = b.open(); y = s.push(x1)   # streams, batched

Arrays already float32 / int32 and C-contiguous are passed as they are; others are
converted. Results are new NumPy arrays unless `out=` is given. The GIL is released during
every library call (ctypes does so for CDLL functions), so Python threads run forward
passes in parallel. Errors raise rnnrt.Error (a ValueError) with the library's status and
message.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
from typing import Callable, List, Optional, Tuple, Union

import numpy as np

__all__ = ["Error", "Model", "State", "Rng", "sample", "version", "isa", "set_isa",
           "variant", "set_variant", "set_num_threads", "num_threads", "library_path",
           "DEFAULT_MODEL", "has_model_options", "Batcher", "Stream"]

_HERE = os.path.dirname(os.path.abspath(__file__))


class _RngStruct(ctypes.Structure):
    _fields_ = [("s", ctypes.c_ulonglong * 4)]


def _candidates():
    env = os.environ.get("RNNRT_LIB")
    if env:
        yield env
    bundled = os.path.join(_HERE, "librnnrt.so")
    if os.path.exists(bundled):
        yield bundled
    root = os.path.dirname(os.path.dirname(_HERE))  # python/rnnrt -> the clone's root
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
    raise ImportError("rnnrt: cannot find librnnrt.so; pip install . from a clone, or build "
                      "it (meson setup build && ninja -C build) or set RNNRT_LIB to its path" +
                      ("; tried " + "; ".join(tried) if tried else ""))


_lib, library_path = _load()


def _default_model():
    for path in (os.path.join(_HERE, "charlstm.safetensors"),
                 os.path.join(os.path.dirname(os.path.dirname(_HERE)), "models",
                              "charlstm.safetensors")):
        if os.path.exists(path):
            return path
    return None


#: The character LSTM `rnnrt generate` uses (models/charlstm.safetensors), or None.
DEFAULT_MODEL: Optional[str] = _default_model()


def _fn(name, restype, *argtypes):
    f = getattr(_lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


# Pointers are passed as integers (_ptr): a third of the cost of ndarray.ctypes.data_as().
_P = ctypes.c_void_p
_I = ctypes.c_int
_PP = ctypes.POINTER(_P)
_status_string = _fn("rnnrt_status_string", ctypes.c_char_p, _I)
_last_error = _fn("rnnrt_last_error", ctypes.c_char_p)
_model_load = _fn("rnnrt_model_load", _I, ctypes.c_char_p, _PP)
_model_load_memory = _fn("rnnrt_model_load_memory", _I, ctypes.c_char_p, ctypes.c_size_t, _PP)
_model_free = _fn("rnnrt_model_free", None, _P)
_state_create = _fn("rnnrt_state_create", _I, _P, _I, _PP)
_state_free = _fn("rnnrt_state_free", None, _P)
_state_read = _fn("rnnrt_state_read", _I, _P, _P, _P)
_state_write = _fn("rnnrt_state_write", _I, _P, _P, _P)
_state_reset = _fn("rnnrt_state_reset", _I, _P)
_state_batch = _fn("rnnrt_state_batch", _I, _P)
_forward = _fn("rnnrt_forward", _I, _P, _P, _P, _I, _I, _P, _P)
_forward_batch_first = _fn("rnnrt_forward_batch_first", _I, _P, _P, _P, _I, _I, _P, _P)
_forward_tokens = _fn("rnnrt_forward_tokens", _I, _P, _P, _P, _I, _I, _P, _I, _P)
_forward_head = _fn("rnnrt_forward_head", _I, _P, _P, _P, _I, _I, _P, _I, _P)
_token = _fn("rnnrt_model_token", ctypes.c_char_p, _P, _I)
_encode = _fn("rnnrt_model_encode", _I, _P, ctypes.c_char_p, _P, _I, _P)
_rng_seed = _fn("rnnrt_rng_seed", None, ctypes.POINTER(_RngStruct), ctypes.c_ulonglong)
_rng_next = _fn("rnnrt_rng_next", ctypes.c_ulonglong, ctypes.POINTER(_RngStruct))
_rng_uniform = _fn("rnnrt_rng_uniform", ctypes.c_double, ctypes.POINTER(_RngStruct))
_sample = _fn("rnnrt_sample", _I, _P, _I, ctypes.c_float, _I, ctypes.POINTER(_RngStruct), _P)
_version = _fn("rnnrt_version", ctypes.c_char_p)
_isa = _fn("rnnrt_isa", ctypes.c_char_p)
_set_isa = _fn("rnnrt_set_isa", _I, ctypes.c_char_p)
_variant = _fn("rnnrt_variant", ctypes.c_char_p)
_set_variant = _fn("rnnrt_set_variant", _I, ctypes.c_char_p)
_set_num_threads = _fn("rnnrt_set_num_threads", None, _I)
_num_threads = _fn("rnnrt_num_threads", _I)
_queries = {name: _fn("rnnrt_model_" + name, _I, _P) for name in (
    "input_size", "output_size", "num_layers", "num_directions", "hidden_size", "proj_size",
    "state_h_size", "has_bias", "vocab_size", "head_size", "logits_size", "num_chars")}
_cell_name = _fn("rnnrt_model_cell_name", ctypes.c_char_p, _P)

# Per-model options (rnnrt_options, rnnrt_model_load_ex): a library built before them
# falls back to the process-wide setters.
has_model_options: bool = hasattr(_lib, "rnnrt_options_create")
if has_model_options:
    _options_create = _fn("rnnrt_options_create", _I, _PP)
    _options_free = _fn("rnnrt_options_free", None, _P)
    _options_set = _fn("rnnrt_options_set", _I, _P, ctypes.c_char_p, ctypes.c_char_p)
    _model_load_ex = _fn("rnnrt_model_load_ex", _I, ctypes.c_char_p, _P, _PP)
    _model_load_memory_ex = _fn("rnnrt_model_load_memory_ex", _I, ctypes.c_char_p,
                                ctypes.c_size_t, _P, _PP)
    _model_isa = _fn("rnnrt_model_isa", ctypes.c_char_p, _P)
    _model_weights = _fn("rnnrt_model_weights", ctypes.c_char_p, _P)
    _model_threads = _fn("rnnrt_model_threads", _I, _P)
_model_activations = (_fn("rnnrt_model_activations", ctypes.c_char_p, _P)
                      if hasattr(_lib, "rnnrt_model_activations") else None)
# The gate functions and the file's layout (rnnrt.activation_functions, rnnrt.layout); None
# with a library built before them.
_model_functions = (_fn("rnnrt_model_activation_functions", ctypes.c_char_p, _P, _I, _I)
                    if hasattr(_lib, "rnnrt_model_activation_functions") else None)
_model_batch_major = (_fn("rnnrt_model_batch_major", _I, _P)
                      if hasattr(_lib, "rnnrt_model_batch_major") else None)

# The batch-first whole-model calls: with a library built before them (None here),
# forward_head and forward_tokens transpose batch-first arrays themselves.
_forward_tokens_bf = _forward_head_bf = None
if hasattr(_lib, "rnnrt_forward_tokens_batch_first"):
    _forward_tokens_bf = _fn("rnnrt_forward_tokens_batch_first", _I, _P, _P, _P, _I, _I, _P,
                             _I, _P)
    _forward_head_bf = _fn("rnnrt_forward_head_batch_first", _I, _P, _P, _P, _I, _I, _P, _I,
                           _P)

E_INVALID = 1
E_UNSUPPORTED = 5
_F32 = np.dtype(np.float32)


class Error(ValueError):
    """A failed call: .status (the rnnrt_status number), .message (the library's words)."""

    def __init__(self, status: int, message: str):
        self.status = status
        self.message = message
        super().__init__(f"{message} ({_status_string(status).decode()})")


def _check(status: int) -> None:
    if status:
        raise Error(status, _last_error().decode("utf-8", "replace"))


def _f32(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float32)


def _lengths(lengths, batch: int):
    if lengths is None:
        return None
    lengths = np.ascontiguousarray(lengths, dtype=np.int32)
    if lengths.shape != (batch,):
        raise Error(E_INVALID, f"lengths must have shape ({batch},), has {lengths.shape}")
    return lengths


_addressof = ctypes.addressof
_char_at = ctypes.c_char.from_buffer


def _ptr(a):
    """The address of an array's data. Through the buffer protocol (about 0.8 us) when the
    array is writable and not empty, else ndarray.ctypes.data (about 2.4 us)."""
    if a is None:
        return None
    try:
        return _addressof(_char_at(a))
    except (TypeError, ValueError, BufferError):
        return a.ctypes.data


def _out(out, shape) -> np.ndarray:
    if out is None:
        return np.empty(shape, np.float32)
    flags = out.flags
    if out.shape != shape or out.dtype != _F32 or not flags.c_contiguous or not flags.writeable:
        raise Error(E_INVALID, f"out must be a writable C-contiguous float32 array of shape "
                               f"{shape}, is {out.dtype} {out.shape}")
    return out


def version() -> str:
    """The library's version, "0.1.0"."""
    return _version().decode()


def isa() -> str:
    """The process-wide kernel set: "scalar", "avx2", "avx512" or "neon"."""
    return _isa().decode()


def set_isa(name: str) -> None:
    """Forces the process-wide kernel set (Error if this CPU lacks it)."""
    _check(_set_isa(name.encode()))


def variant() -> str:
    return _variant().decode()


def set_variant(name: str) -> None:
    """"blocked" (default) or "reference" (the oracle), for tests and benchmarks; "simd" is a
    deprecated name of "blocked"."""
    _check(_set_variant(name.encode()))


def set_num_threads(n: int) -> None:
    """The process-wide thread count of forward passes (n <= 0: the OpenMP default)."""
    _set_num_threads(int(n))


def num_threads() -> int:
    return _num_threads()


class Rng:
    """The library's seeded generator (xoshiro256**): the same seed, the same draws."""

    def __init__(self, seed: int = 1):
        self._s = _RngStruct()
        _rng_seed(ctypes.byref(self._s), int(seed))

    def next(self) -> int:
        return _rng_next(ctypes.byref(self._s))

    def uniform(self) -> float:
        return _rng_uniform(ctypes.byref(self._s))


def sample(logits, temperature: float = 1.0, top_k: int = 0, rng: Optional[Rng] = None) -> int:
    """One token id from a vector of logits (rnnrt_sample): greedy at temperature 0."""
    logits = _f32(logits).reshape(-1)
    tok = ctypes.c_int()
    _check(_sample(_ptr(logits), logits.size, float(temperature), int(top_k),
                   ctypes.byref(rng._s) if rng is not None else None, ctypes.byref(tok)))
    return tok.value


class State:
    """The recurrent state of `batch` sequences for one model (rnnrt_state): h (and c for
    LSTMs) in PyTorch's h_n / c_n layout, [layers * directions, batch, size]."""

    def __init__(self, model: "Model", batch: int):
        self._model = model
        self._p = _P()
        _check(_state_create(model._p, int(batch), ctypes.byref(self._p)))
        self.batch: int = _state_batch(self._p)

    def __del__(self):
        if getattr(self, "_p", None):
            _state_free(self._p)
            self._p = None

    def shapes(self) -> Tuple[Tuple[int, int, int], Optional[Tuple[int, int, int]]]:
        """The shapes of h and c (None for GRU and RNN models, which have no cell state)."""
        m = self._model
        n = m.num_layers * m.num_directions
        h = (n, self.batch, m.state_h_size)
        c = (n, self.batch, m.hidden_size) if m.cell.startswith("lstm") else None
        return h, c

    def read(self) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        """(h, c) in PyTorch's h_n / c_n layout; c is None for GRU and RNN models."""
        hs, cs = self.shapes()
        h = np.empty(hs, np.float32)
        c = None if cs is None else np.empty(cs, np.float32)
        _check(_state_read(self._p, _ptr(h), _ptr(c)))
        return h, c

    def write(self, h, c=None) -> None:
        """Sets the state from h (and c), PyTorch's h_0 / c_0."""
        hs, cs = self.shapes()
        h = _f32(h)
        if h.shape != hs:
            raise Error(E_INVALID, f"h must have shape {hs}, has {h.shape}")
        if cs is not None:
            c = _f32(c)
            if c.shape != cs:
                raise Error(E_INVALID, f"c must have shape {cs}, has {c.shape}")
        _check(_state_write(self._p, _ptr(h), None if cs is None else _ptr(c)))

    def reset(self) -> None:
        """Back to zeros."""
        _check(_state_reset(self._p))


def _options(weights: str, isa_name: str, threads: Optional[int], activations: str = "f32"):
    """An rnnrt_options for the non-default settings, or None when all are defaults."""
    if activations != "f32" and _model_activations is None:
        raise Error(E_UNSUPPORTED, f"activations={activations}: this librnnrt predates the "
                                   "\"activations\" option")
    pairs = [(k, v) for k, v in (("weights", weights if weights != "f32" else None),
                                 ("activations", activations if activations != "f32" else None),
                                 ("isa", isa_name if isa_name != "auto" else None),
                                 ("threads", None if threads is None else str(int(threads))))
             if v is not None]
    if not pairs:
        return None
    if not has_model_options:
        # A library older than rnnrt_options: the process-wide setters, which is what
        # the options replace, and bf16 / int8 cannot be had.
        for k, v in pairs:
            if k == "weights":
                raise Error(E_UNSUPPORTED, f"weights={v}: this librnnrt has no per-model "
                                           "options (rnnrt_model_load_ex)")
            if k == "isa":
                set_isa(v)
            else:
                set_num_threads(int(v))
        return None
    o = _P()
    _check(_options_create(ctypes.byref(o)))
    try:
        for k, v in pairs:
            _check(_options_set(o, k.encode(), v.encode()))
    except Error:
        _options_free(o)
        raise
    return o


class Model:
    """A loaded model (rnnrt_model), from a safetensors file or its bytes.

    weights: "f32", "bf16" or "int8" (the recurrent and projection matrices rounded at load;
    activations, state, biases, embedding, head and arithmetic stay float32); activations:
    "f32"; with weights "int8", "int8" (each matrix product's input rounded per row at every
    step, integer dot products); with weights "bf16", "bf16" (each input rounded to bf16 at
    every step, bf16 dot products summed in float32); isa: "auto" or a kernel set name; threads: this
    model's thread count (None: the library's default). A model is immutable and may be
    shared by threads, each with its own State.
    """

    batch_first: bool = False

    def __init__(self, source: Union[str, os.PathLike, bytes, bytearray, memoryview], *,
                 weights: str = "f32", isa: str = "auto", threads: Optional[int] = None,
                 activations: str = "f32"):
        self._p = _P()
        opts = _options(weights, isa, threads, activations)
        try:
            if isinstance(source, (bytes, bytearray, memoryview)):
                data = bytes(source)
                if opts:
                    _check(_model_load_memory_ex(data, len(data), opts, ctypes.byref(self._p)))
                else:
                    _check(_model_load_memory(data, len(data), ctypes.byref(self._p)))
            else:
                path = os.fsencode(source)
                if opts:
                    _check(_model_load_ex(path, opts, ctypes.byref(self._p)))
                else:
                    _check(_model_load(path, ctypes.byref(self._p)))
        finally:
            if opts:
                _options_free(opts)
        for name, f in _queries.items():
            setattr(self, name, f(self._p))
        self.cell: str = _cell_name(self._p).decode()
        # a file that records a batch-major source (Keras, ONNX layout=1) runs batch-first
        self.batch_first = bool(_model_batch_major and _model_batch_major(self._p) == 1)
        self.vocab: str = "".join(_token(self._p, k).decode() for k in range(self.num_chars))

    @classmethod
    def from_torch(cls, module, *, weights: str = "f32", isa: str = "auto",
                   threads: Optional[int] = None, activations: str = "f32") -> "Model":
        """A model from an in-memory torch.nn.LSTM, nn.GRU or nn.RNN (tanh or relu), or a
        module holding one (with an nn.Embedding and an nn.Linear head, if it has them),
        without a file. The model's batch_first is the recurrent module's."""
        from . import _torch
        data, batch_first = _torch.to_safetensors(module)
        m = cls(data, weights=weights, isa=isa, threads=threads, activations=activations)
        m.batch_first = batch_first
        return m

    def __del__(self):
        if getattr(self, "_p", None):
            _model_free(self._p)
            self._p = None

    @property
    def isa(self) -> str:
        """The kernel set this model runs."""
        return _model_isa(self._p).decode() if has_model_options else isa()

    @property
    def weights(self) -> str:
        """The weight format: "f32", "bf16" or "int8"."""
        return _model_weights(self._p).decode() if has_model_options else "f32"

    @property
    def activations(self) -> str:
        """The GEMM inputs' format: "f32", or "int8" (rounded per row at every step)."""
        return _model_activations(self._p).decode() if _model_activations else "f32"

    @property
    def activation_functions(self) -> List[List[str]]:
        """Each layer's gate functions per direction, in ONNX's names as the file's
        rnnrt.activation_functions writes them: [["Sigmoid,Tanh,Tanh"]] for an LSTM of its
        own functions, [["HardSigmoid(0.2,0.5),Tanh,Tanh", ...], ...] otherwise."""
        if not _model_functions:
            return []
        return [[_model_functions(self._p, k, d).decode() for d in range(self.num_directions)]
                for k in range(self.num_layers)]

    @property
    def threads(self) -> int:
        """The thread count this model's forward passes use."""
        return _model_threads(self._p) if has_model_options else num_threads()

    def state(self, batch: int = 1) -> State:
        """A zero state for `batch` sequences."""
        return State(self, batch)

    def _state_arg(self, state):
        if state is None:
            return None
        if state._model is not self:
            raise Error(E_INVALID, "the state belongs to another model")
        return state._p

    def _seq(self, x, batch_first, time_major=True):
        """x as a C-contiguous float32 array, [T, B, I] when time_major (a batch-first x is
        transposed: a copy), else in x's own layout; otherwise a copy only when x is not
        one already."""
        if type(x) is not np.ndarray:
            x = np.asarray(x)
        if x.ndim != 3 or x.shape[2] != self.input_size:
            dims = "[B, T, %d]" if batch_first else "[T, B, %d]"
            raise Error(E_INVALID, f"x must have shape {dims % self.input_size}, has "
                                   f"{x.shape}")
        if batch_first and time_major:
            x = x.transpose(1, 0, 2)
        if (x.dtype is not _F32 and x.dtype != _F32) or not x.flags.c_contiguous:
            x = np.ascontiguousarray(x, dtype=np.float32)
        return x

    def forward(self, x: np.ndarray, state: Optional[State] = None, lengths=None,
                batch_first: Optional[bool] = None, out: Optional[np.ndarray] = None
                ) -> np.ndarray:
        """The recurrent stack: x [T, B, input_size] -> y [T, B, output_size] (both
        [B, T, ...] with batch_first; None: the model's, True for a file whose rnnrt.layout
        is batch_major (converted from Keras or an ONNX layout=1 graph) or a from_torch
        module with batch_first=True, else False).

        state None: start from zeros; a State: start from it and leave the final state in
        it. lengths [B]: PyTorch's packed-sequence semantics, y zero past each length. out:
        a C-contiguous float32 array of y's shape to write y into. Either layout goes to
        the library as it is (rnnrt_forward, or rnnrt_forward_batch_first with
        batch_first): x is not copied when it is C-contiguous float32, and y is written
        straight into out.
        """
        if batch_first is None:
            batch_first = self.batch_first
        x = self._seq(x, batch_first, time_major=False)
        if batch_first:
            B, T, _ = x.shape
        else:
            T, B, _ = x.shape
        if lengths is not None:
            lengths = _lengths(lengths, B)
        y = _out(out, (B, T, self.output_size) if batch_first else (T, B, self.output_size))
        status = (_forward_batch_first if batch_first else _forward)(
            self._p, None if state is None else self._state_arg(state), _ptr(x), T, B,
            _ptr(lengths), _ptr(y))
        if status:
            _check(status)
        return y

    def _logits(self, fn, fn_bf, data, state, lengths, last_step_only, batch_first):
        """data: C-contiguous, [B, T, ...] with batch_first, else [T, B, ...]. It goes to fn
        (rnnrt_forward_head or _tokens), or with batch_first to fn_bf, its batch-first twin;
        fn_bf None (an older library): transposed here for fn, and the logits back. The
        logits are [T, B, L] ([B, T, L] with batch_first), or [B, L] with last_step_only."""
        here = batch_first and fn_bf is None
        if here:
            data = np.ascontiguousarray(data.swapaxes(0, 1))
        bf = batch_first and not here
        T, B = (data.shape[1], data.shape[0]) if bf else (data.shape[0], data.shape[1])
        lengths = _lengths(lengths, B)
        L = self.logits_size
        out = np.empty((B, L) if last_step_only else (B, T, L) if bf else (T, B, L),
                       np.float32)
        _check((fn_bf if bf else fn)(self._p, self._state_arg(state), _ptr(data), T, B,
                                     _ptr(lengths), int(bool(last_step_only)), _ptr(out)))
        return out if last_step_only or not here else \
            np.ascontiguousarray(out.transpose(1, 0, 2))

    def forward_head(self, x: np.ndarray, state: Optional[State] = None, lengths=None,
                     last_step_only: bool = False, batch_first: Optional[bool] = None
                     ) -> np.ndarray:
        """The recurrent stack then the linear head: [T, B, logits_size] ([B, T, ...] with
        batch_first, which runs rnnrt_forward_head_batch_first on x as it is), or
        [B, logits_size] from each sequence's last step with last_step_only."""
        batch_first = self.batch_first if batch_first is None else batch_first
        return self._logits(_forward_head, _forward_head_bf,
                            self._seq(x, batch_first, time_major=False), state, lengths,
                            last_step_only, batch_first)

    def forward_tokens(self, ids, state: Optional[State] = None, lengths=None,
                       last_step_only: bool = False, batch_first: Optional[bool] = None
                       ) -> np.ndarray:
        """Token ids [T, B] ([B, T] with batch_first) -> embedding -> stack -> head:
        logits [T, B, logits_size] ([B, T, ...] with batch_first, through
        rnnrt_forward_tokens_batch_first), or [B, logits_size] with last_step_only."""
        batch_first = self.batch_first if batch_first is None else batch_first
        ids = np.asarray(ids)
        if ids.ndim != 2:
            dims = "[B, T]" if batch_first else "[T, B]"
            raise Error(E_INVALID, f"ids must have shape {dims}, has {ids.shape}")
        if ids.dtype.kind not in "iu":
            raise Error(E_INVALID, f"ids must be integers, not {ids.dtype}")
        if ids.dtype != np.int32 and ids.size and (ids.min() < -2**31 or ids.max() >= 2**31):
            raise Error(E_INVALID, "ids do not fit in int32")
        return self._logits(_forward_tokens, _forward_tokens_bf,
                            np.ascontiguousarray(ids, dtype=np.int32), state, lengths,
                            last_step_only, batch_first)

    def encode(self, text: Union[str, bytes]) -> np.ndarray:
        """Text -> token ids (int32), one per character; Error for characters outside the
        vocabulary or invalid UTF-8."""
        raw = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        if b"\0" in raw:
            raise Error(E_INVALID, "text holds a NUL character")
        ids = np.empty(max(len(raw), 1), np.int32)
        count = ctypes.c_int()
        _check(_encode(self._p, raw, _ptr(ids), len(raw), ctypes.byref(count)))
        return ids[:count.value].copy()

    def decode(self, ids) -> str:
        """Token ids -> text."""
        return "".join(_token(self._p, int(k)).decode() for k in np.asarray(ids).reshape(-1))

    def generate(self, prompt: str, length: int = 300, temperature: float = 0.8,
                 top_k: int = 0, seed: int = 1, state: Optional[State] = None,
                 callback: Optional[Callable[[str], None]] = None) -> str:
        """The prompt, then `length` sampled characters, one step each with the state carried
        (as `rnnrt generate`, which prints the same text for the same arguments). `state`
        (batch 1) continues an earlier call; callback(ch) sees each character as it comes."""
        ids = self.encode(prompt)
        if ids.size == 0:
            raise Error(E_INVALID, "the prompt is empty: the model needs at least one "
                                   "character")
        if self.num_chars == 0 or self.head_size != self.num_chars:
            raise Error(E_INVALID, "not a character model (embedding, head and vocabulary "
                                   "needed)")
        state = state if state is not None else self.state(1)
        rng = Rng(seed)
        logits = self.forward_tokens(ids[:, None], state=state, last_step_only=True,
                                     batch_first=False)
        out = [prompt]
        step = np.empty((1, 1), np.int32)
        for _ in range(length):
            tok = sample(logits[0], temperature, top_k, rng)
            ch = _token(self._p, tok).decode()
            out.append(ch)
            if callback:
                callback(ch)
            step[0, 0] = tok
            logits = self.forward_tokens(step, state=state, last_step_only=True,
                                         batch_first=False)
        return "".join(out)


from .streams import E_BUSY, E_CLOSED, E_TIMEOUT, Batcher, Stream  # noqa: E402,F401
