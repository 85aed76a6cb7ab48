"""Minimal safetensors writer and reader (no dependency beyond NumPy).

Used by tools/make_goldens.py and tools/make_malformed.py. Format: an 8-byte little-endian
u64 header length N, N bytes of JSON (padded with spaces to a multiple of 8), then the raw
little-endian tensor data. Each JSON entry is {"dtype", "shape", "data_offsets": [begin, end]}
with offsets relative to the start of the data; "__metadata__" maps strings to strings.

    write(path, tensors, metadata=None, dtypes=None)   # tensors: dict name -> np.ndarray
    tensors, metadata = read(path)                      # BF16 comes back as float32

BF16 has no NumPy dtype: pass its raw bits as a uint16 array and dtypes={name: "BF16"}
(float32_to_bf16_bits() rounds float32 values to nearest-even BF16 bits).
"""
import json
import struct

import numpy as np

# NumPy dtype -> safetensors dtype string.
_NP_TO_ST = {
    np.dtype("float64"): "F64",
    np.dtype("float32"): "F32",
    np.dtype("float16"): "F16",
    np.dtype("int64"): "I64",
    np.dtype("int32"): "I32",
    np.dtype("int16"): "I16",
    np.dtype("int8"): "I8",
    np.dtype("uint8"): "U8",
    np.dtype("bool"): "BOOL",
}
# safetensors dtype string -> little-endian NumPy dtype used to read its bytes.
_ST_TO_NP = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2",
    "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?",
    "U16": "<u2", "U32": "<u4", "U64": "<u8",
}


def float32_to_bf16_bits(a):
    """Round float32 values to BF16 (nearest, ties to even); return the raw uint16 bits."""
    bits = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def bf16_bits_to_float32(bits):
    """Expand raw BF16 bits (uint16) to float32 exactly."""
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)


def encode_header(header):
    """Serialize a header (a dict, or a ready-made JSON string) to space-padded bytes."""
    if isinstance(header, (bytes, bytearray)):
        raw = bytes(header)
    elif isinstance(header, str):
        raw = header.encode("utf-8")
    else:
        raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    return raw + b" " * (-len(raw) % 8)


def pack(header_bytes, data, header_len=None):
    """Assemble a file: u64 header length (default: len(header_bytes)), header, data."""
    n = len(header_bytes) if header_len is None else header_len
    return struct.pack("<Q", n) + header_bytes + data


def build(tensors, metadata=None, dtypes=None):
    """Return (header dict, data bytes) for tensors in their dict order, densely packed."""
    dtypes = dtypes or {}
    header = {}
    if metadata is not None:
        header["__metadata__"] = dict(metadata)
    chunks = []
    offset = 0
    for name, arr in tensors.items():
        arr = np.asarray(arr)
        st = dtypes.get(name) or _NP_TO_ST[arr.dtype]
        raw = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        if st == "BF16" and arr.dtype != np.uint16:
            raise ValueError(f"{name}: BF16 tensors must be given as uint16 raw bits")
        header[name] = {"dtype": st, "shape": [int(d) for d in arr.shape],
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    return header, b"".join(chunks)


def to_bytes(tensors, metadata=None, dtypes=None):
    """The bytes of a safetensors file holding tensors (and metadata)."""
    header, data = build(tensors, metadata, dtypes)
    return pack(encode_header(header), data)


def write(path, tensors, metadata=None, dtypes=None):
    """Write tensors (dict name -> array) and optional metadata to a safetensors file."""
    with open(path, "wb") as f:
        f.write(to_bytes(tensors, metadata, dtypes))


def read_bytes(buf, bf16_as_float32=True):
    """Parse safetensors bytes; return (dict name -> np.ndarray, metadata dict)."""
    if len(buf) < 8:
        raise ValueError("file too short for a header length")
    (n,) = struct.unpack_from("<Q", buf, 0)
    if n > len(buf) - 8:
        raise ValueError("header length past end of file")
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    if not isinstance(header, dict):
        raise ValueError("header is not a JSON object")
    data = memoryview(buf)[8 + n:]
    metadata = header.pop("__metadata__", None) or {}
    tensors = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        np_dtype = np.dtype(_ST_TO_NP[e["dtype"]])
        shape = tuple(e["shape"])
        count = int(np.prod(shape, dtype=np.int64))
        if not (0 <= begin <= end <= len(data)) or end - begin != count * np_dtype.itemsize:
            raise ValueError(f"{name}: bad data_offsets")
        arr = np.frombuffer(data[begin:end], dtype=np_dtype).reshape(shape).copy()
        if e["dtype"] == "BF16" and bf16_as_float32:
            arr = bf16_bits_to_float32(arr).reshape(shape)
        tensors[name] = arr
    return tensors, metadata


def read(path, bf16_as_float32=True):
    """Read a safetensors file; return (dict name -> np.ndarray, metadata dict)."""
    with open(path, "rb") as f:
        return read_bytes(f.read(), bf16_as_float32)


def read_header(path):
    """Return the parsed JSON header of a safetensors file (dict, including __metadata__)."""
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack_from("<Q", buf, 0)
    return json.loads(buf[8:8 + n].decode("utf-8"))
