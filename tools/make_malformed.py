"""Write the malformed model files of rnnrt's loader tests to tests/data/malformed/.

Run from the repository root:

    /usr/bin/python3 tools/make_malformed.py [--out tests/data/malformed]

Each file starts from a valid tiny model (LSTM, input 2, hidden 2, unless stated) and breaks
exactly one thing. MANIFEST has one line per case, `<file> <STATUS> <substring>`:
STATUS is the rnnrt_status the loader must return (FORMAT, UNSUPPORTED or IO) and substring a
lowercase word or tensor name that rnnrt_last_error() must contain. A file listed in MANIFEST
but not written (does_not_exist.safetensors) is the IO case. Output is deterministic.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.dont_write_bytecode = True  # no tools/__pycache__ from importing the sibling modules
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as st  # noqa: E402
from make_goldens import param_shapes  # noqa: E402  (torch is not imported at module level)

STATUSES = ("FORMAT", "UNSUPPORTED", "IO")


# ---- building blocks -------------------------------------------------------------------------

def filled(shape, dtype=np.float32):
    """Deterministic small values of a shape."""
    n = int(np.prod(shape, dtype=np.int64))
    return ((np.arange(n) % 7 - 3) * 0.125).reshape(shape).astype(dtype)


def model(I=2, H=2, L=1, bidir=False, bias=True, P=0, cell="lstm", prefix=""):
    """Ordered dict of a valid model's tensors (PyTorch state_dict order)."""
    shapes = param_shapes(cell, I, H, P, L, 2 if bidir else 1, bias)
    return {prefix + n: filled(s) for n, s in shapes.items()}


def make(tensors, metadata=None, edit=None, header_len=None, raw_header=None, dtypes=None):
    """File bytes of tensors; edit(header) may mutate the JSON header before it is written;
    raw_header replaces the JSON text entirely; header_len overrides the u64 length field."""
    header, data = st.build(tensors, metadata, dtypes)
    if edit is not None:
        edit(header)
    hb = st.encode_header(raw_header if raw_header is not None else header)
    return st.pack(hb, data, header_len)


def set_field(name, key, value):
    """An edit that sets header[name][key] = value (value may be a function of the old one)."""
    def edit(h):
        h[name][key] = value(h[name][key]) if callable(value) else value
    return edit


def del_field(name, key):
    def edit(h):
        del h[name][key]
    return edit


def without(tensors, *names):
    return {n: v for n, v in tensors.items() if n not in names}


def with_shape(tensors, name, shape, dtype=np.float32):
    """Replace one tensor by one of another shape (data stays consistent with the header)."""
    out = dict(tensors)
    out[name] = filled(shape, dtype)
    return out


def with_dtype(tensors, name, dtype):
    out = dict(tensors)
    out[name] = tensors[name].astype(dtype)
    return out


def plus(tensors, extra):
    out = dict(tensors)
    out.update(extra)
    return out


def duplicate_name_json():
    """A header naming weight_ih_l0 twice (json.dumps cannot write that); the second entry
    points at its own bytes, appended to the data, so nothing overlaps."""
    h, data = st.build(plus(model(), {"DUP": filled((8, 2))}))
    text = json.dumps(h, separators=(",", ":"))
    assert text.count('"DUP"') == 1
    return text.replace('"DUP"', '"weight_ih_l0"'), data


# ---- the cases -------------------------------------------------------------------------------

def cases():
    """List of (file name, bytes or None for 'do not write', STATUS, substring)."""
    base = model()
    hb, data = st.build(base)
    hjson = st.encode_header(hb)
    good = st.pack(hjson, data)
    big = 1 << 24
    c = []

    def add(fname, content, status, substr):
        c.append((fname, content, status, substr))

    # -- the file as bytes
    add("does_not_exist.safetensors", None, "IO", "does_not_exist")
    add("empty.safetensors", b"", "FORMAT", "header")
    add("four_bytes.safetensors", good[:4], "FORMAT", "header")
    add("header_len_past_eof.safetensors", st.pack(hjson, data, len(hjson) + len(data) + 1),
        "FORMAT", "header")
    add("header_len_huge.safetensors", st.pack(hjson, data, 1 << 63), "FORMAT", "header")
    add("header_len_zero.safetensors", st.pack(hjson, data, 0), "FORMAT", "header")
    add("not_safetensors.txt", b"This is not a safetensors file, just some text.\n" * 3,
        "FORMAT", "header")
    add("json_truncated.safetensors", st.pack(hjson, data, len(hjson) // 2), "FORMAT", "json")
    add("json_invalid.safetensors",
        make(base, raw_header='{"weight_ih_l0": {"dtype": "F32",, "shape": [8, 2]}}'),
        "FORMAT", "json")
    add("json_array.safetensors", make(base, raw_header="[1, 2, 3]"), "FORMAT", "json")
    add("json_empty_object.safetensors", make({}, raw_header="{}"), "FORMAT", "weight_ih_l0")

    # -- one tensor entry broken
    add("entry_not_object.safetensors", make(base, edit=lambda h: h.update(weight_ih_l0=5)),
        "FORMAT", "weight_ih_l0")
    add("missing_dtype.safetensors", make(base, edit=del_field("weight_ih_l0", "dtype")),
        "FORMAT", "weight_ih_l0")
    add("missing_shape.safetensors", make(base, edit=del_field("weight_hh_l0", "shape")),
        "FORMAT", "weight_hh_l0")
    add("missing_offsets.safetensors",
        make(base, edit=del_field("bias_ih_l0", "data_offsets")), "FORMAT", "bias_ih_l0")
    add("dtype_unknown.safetensors", make(base, edit=set_field("weight_ih_l0", "dtype", "F33")),
        "FORMAT", "weight_ih_l0")
    add("dtype_not_string.safetensors",
        make(base, edit=set_field("weight_ih_l0", "dtype", 32)), "FORMAT", "weight_ih_l0")
    add("dtype_f64.safetensors", make(with_dtype(base, "weight_hh_l0", np.float64)),
        "UNSUPPORTED", "weight_hh_l0")
    add("dtype_i32.safetensors", make(with_dtype(base, "weight_ih_l0", np.int32)),
        "UNSUPPORTED", "weight_ih_l0")
    add("dtype_bool.safetensors", make(with_dtype(base, "bias_ih_l0", np.bool_)),
        "UNSUPPORTED", "bias_ih_l0")
    # -- int8 matrices and their row scales (docs/model-format.md, "Quantized weights")
    q8 = plus(with_dtype(base, "weight_hh_l0", np.int8),
              {"weight_hh_l0_scale": np.full((8,), 0.01, np.float32)})
    add("i8_without_scale.safetensors", make(without(q8, "weight_hh_l0_scale")), "FORMAT",
        "weight_hh_l0_scale")
    add("scale_without_i8.safetensors",
        make(plus(base, {"weight_ih_l0_scale": np.full((8,), 0.01, np.float32)})), "FORMAT",
        "weight_ih_l0_scale")
    for label, v in (("nan", np.nan), ("zero", 0.0), ("negative", -0.5), ("inf", np.inf)):
        bad = dict(q8)
        bad["weight_hh_l0_scale"] = np.full((8,), 0.01, np.float32)
        bad["weight_hh_l0_scale"][3] = v
        add(f"scale_{label}.safetensors", make(bad), "FORMAT", "weight_hh_l0_scale")
    add("scale_wrong_length.safetensors", make(with_shape(q8, "weight_hh_l0_scale", (7,))),
        "FORMAT", "weight_hh_l0_scale")
    add("scale_2d.safetensors", make(with_shape(q8, "weight_hh_l0_scale", (8, 1))), "FORMAT",
        "weight_hh_l0_scale")
    add("scale_f16.safetensors", make(with_dtype(q8, "weight_hh_l0_scale", np.float16)),
        "FORMAT", "weight_hh_l0_scale")
    add("bias_i8.safetensors", make(with_dtype(base, "bias_ih_l0", np.int8)), "UNSUPPORTED",
        "bias_ih_l0")
    add("i8_wrong_shape.safetensors",
        make(plus(with_shape(base, "weight_hh_l0", (8, 3), np.int8),
                  {"weight_hh_l0_scale": np.full((8,), 0.01, np.float32)})),
        "FORMAT", "weight_hh_l0")
    add("shape_not_array.safetensors",
        make(base, edit=set_field("weight_ih_l0", "shape", "8,2")), "FORMAT", "weight_ih_l0")
    add("shape_negative_dim.safetensors",
        make(base, edit=set_field("weight_ih_l0", "shape", [-8, 2])), "FORMAT", "weight_ih_l0")
    add("shape_string_dim.safetensors",
        make(base, edit=set_field("weight_ih_l0", "shape", [8, "2"])), "FORMAT", "weight_ih_l0")
    add("shape_float_dim.safetensors",
        make(base, edit=set_field("weight_ih_l0", "shape", [8, 2.5])), "FORMAT", "weight_ih_l0")
    add("shape_zero_dim.safetensors",
        make(with_shape(base, "weight_ih_l0", (0, 2))), "FORMAT", "weight_ih_l0")
    add("shape_product_overflow.safetensors",
        make(base, edit=set_field("weight_ih_l0", "shape", [1 << 40, 1 << 40])),
        "FORMAT", "weight_ih_l0")
    add("shape_product_overflow_4d.safetensors",
        make(base, edit=set_field("weight_ih_l0", "shape", [big, big, big, big])),
        "FORMAT", "weight_ih_l0")
    add("dim_too_large.safetensors",
        make(base, edit=set_field("weight_ih_l0", "shape", [4 << 25, 1])),
        "FORMAT", "weight_ih_l0")
    add("too_many_elements.safetensors",
        make(base, edit=set_field("weight_ih_l0", "shape", [1 << 16, 1 << 16])),
        "FORMAT", "weight_ih_l0")
    add("offsets_past_end.safetensors",
        make(base, edit=set_field("weight_hh_l0", "data_offsets",
                                  lambda o: [o[0] + len(data), o[1] + len(data)])),
        "FORMAT", "weight_hh_l0")
    add("offsets_end_before_begin.safetensors",
        make(base, edit=set_field("bias_hh_l0", "data_offsets", lambda o: [o[1], o[0]])),
        "FORMAT", "bias_hh_l0")
    add("offsets_wrong_count.safetensors",
        make(base, edit=set_field("weight_ih_l0", "data_offsets", lambda o: [o[0]])),
        "FORMAT", "weight_ih_l0")
    add("offsets_negative.safetensors",
        make(base, edit=set_field("weight_ih_l0", "data_offsets", lambda o: [-64, 0])),
        "FORMAT", "weight_ih_l0")
    add("offsets_float.safetensors",
        make(base, edit=set_field("weight_ih_l0", "data_offsets", lambda o: [0, 64.5])),
        "FORMAT", "weight_ih_l0")
    add("offsets_huge.safetensors",
        make(base, edit=set_field("weight_ih_l0", "data_offsets", [0, 1 << 64])),
        "FORMAT", "weight_ih_l0")
    add("offsets_size_mismatch.safetensors",
        make(base, edit=set_field("weight_hh_l0", "data_offsets", lambda o: [o[0], o[1] - 4])),
        "FORMAT", "weight_hh_l0")
    add("offsets_overlap.safetensors",
        make(base, edit=lambda h: h["bias_hh_l0"].update(
            data_offsets=list(h["bias_ih_l0"]["data_offsets"]))), "FORMAT", "overlap")
    dup_header, dup_data = duplicate_name_json()
    add("duplicate_name.safetensors", st.pack(st.encode_header(dup_header), dup_data),
        "FORMAT", "duplicate")
    add("ignored_tensor_bad_offsets.safetensors",
        make(plus(base, {"fc.weight": filled((3, 2))}),
             edit=set_field("fc.weight", "data_offsets", lambda o: [o[0], o[1] + 4096])),
        "FORMAT", "fc.weight")

    # -- tensors of the rnn missing or inconsistent
    add("missing_weight_hh.safetensors", make(without(base, "weight_hh_l0")),
        "FORMAT", "weight_hh_l0")
    add("missing_bias_hh.safetensors", make(without(base, "bias_hh_l0")),
        "FORMAT", "bias_hh_l0")
    add("bias_missing_in_layer1.safetensors",
        make(without(model(L=2), "bias_ih_l1", "bias_hh_l1")), "FORMAT", "bias_ih_l1")
    add("layer_gap.safetensors", make(without(model(L=2), "weight_ih_l1")), "FORMAT", "_l1")
    add("reverse_missing_layer1.safetensors",
        make({n: v for n, v in model(L=2, bidir=True).items() if not n.endswith("l1_reverse")}),
        "FORMAT", "l1_reverse")
    add("reverse_partial.safetensors",
        make(without(model(bidir=True), "weight_hh_l0_reverse")),
        "FORMAT", "weight_hh_l0_reverse")
    add("hh_width_mismatch.safetensors", make(with_shape(base, "weight_hh_l0", (8, 3))),
        "FORMAT", "weight_hh_l0")
    add("hh_rows_mismatch.safetensors", make(with_shape(base, "weight_hh_l0", (12, 2))),
        "FORMAT", "weight_hh_l0")
    add("ih_l1_width_mismatch.safetensors", make(with_shape(model(L=2), "weight_ih_l1", (8, 3))),
        "FORMAT", "weight_ih_l1")
    add("ih_reverse_width_mismatch.safetensors",
        make(with_shape(model(bidir=True), "weight_ih_l0_reverse", (8, 3))),
        "FORMAT", "weight_ih_l0_reverse")
    add("weight_1d.safetensors", make(with_shape(base, "weight_ih_l0", (16,))),
        "FORMAT", "weight_ih_l0")
    add("bias_wrong_length.safetensors", make(with_shape(base, "bias_hh_l0", (7,))),
        "FORMAT", "bias_hh_l0")
    add("bias_2d.safetensors", make(with_shape(base, "bias_ih_l0", (8, 1))),
        "FORMAT", "bias_ih_l0")
    ten_rows = {n: filled((10,) + v.shape[1:]) for n, v in model(H=3).items()}
    add("gate_rows_not_multiple.safetensors",
        make(ten_rows),
        "FORMAT", "weight_ih_l0")
    add("hr_width_mismatch.safetensors",
        make(with_shape(model(L=2, P=1), "weight_hr_l1", (1, 3))), "FORMAT", "weight_hr_l1")
    add("gru_with_hr.safetensors",
        make(plus(model(cell="gru"), {"weight_hr_l0": filled((2, 2))})),
        "FORMAT", "weight_hr_l0")

    # -- metadata and cell variants
    pe = model(cell="lstm_peephole")
    pe_meta = {"rnnrt.cell": "lstm_peephole"}
    add("peephole_missing_ci.safetensors", make(without(pe, "weight_ci_l0"), pe_meta),
        "FORMAT", "weight_ci_l0")
    add("peephole_wrong_length.safetensors", make(with_shape(pe, "weight_cf_l0", (3,)), pe_meta),
        "FORMAT", "weight_cf_l0")
    add("cell_unknown.safetensors", make(base, {"rnnrt.cell": "lstm2"}), "FORMAT", "rnnrt.cell")
    add("cell_gru_on_lstm_shapes.safetensors", make(base, {"rnnrt.cell": "gru"}),
        "FORMAT", "weight_ih_l0")
    add("cell_coupled_on_lstm_shapes.safetensors", make(base, {"rnnrt.cell": "lstm_coupled"}),
        "FORMAT", "weight_ih_l0")
    add("cell_rnn_relu_on_lstm_shapes.safetensors", make(base, {"rnnrt.cell": "rnn_relu"}),
        "FORMAT", "weight_ih_l0")
    add("cell_rnn_tanh_on_gru_shapes.safetensors",
        make(model(cell="gru"), {"rnnrt.cell": "rnn_tanh"}), "FORMAT", "weight_ih_l0")
    add("rnn_with_hr.safetensors",
        make(plus(model(cell="rnn_tanh"), {"weight_hr_l0": filled((2, 2))})),
        "FORMAT", "weight_hr_l0")
    add("rnn_relu_with_peephole.safetensors",
        make(plus(model(cell="rnn_relu"), {"weight_ci_l0": filled((2,))}),
             {"rnnrt.cell": "rnn_relu"}), "FORMAT", "weight_ci_l0")
    # -- rnnrt.direction and rnnrt.clip: each refusal names its key
    for fname, value in (("direction_unknown", "backward"), ("direction_empty", ""),
                         ("direction_case", "Reverse"), ("direction_trailing_comma", "reverse,"),
                         ("direction_too_many", "reverse,forward")):
        add(f"{fname}.safetensors", make(base, {"rnnrt.direction": value}), "FORMAT",
            "rnnrt.direction")
    add("direction_layers_mismatch.safetensors",
        make(model(L=3), {"rnnrt.direction": "reverse,forward"}), "FORMAT", "rnnrt.direction")
    add("direction_reverse_bidirectional.safetensors",
        make(model(bidir=True), {"rnnrt.direction": "reverse"}), "FORMAT", "bidirectional")
    for fname, value in (("clip_zero", "0"), ("clip_negative", "-1"), ("clip_nan", "nan"),
                         ("clip_inf", "inf"), ("clip_huge", "1e39"), ("clip_garbage", "3x"),
                         ("clip_empty", ""), ("clip_space", " 1"), ("clip_hex", "0x1p2"),
                         ("clip_tiny", "1e-50"), ("clip_comma", "0,5")):
        add(f"{fname}.safetensors", make(base, {"rnnrt.clip": value}), "FORMAT", "rnnrt.clip")
    # -- rnnrt.activation_functions and rnnrt.layout: each refusal names its key (the
    # layer and the function too: tests/test_functions.c)
    for fname, value in (("functions_unknown", "Sigmoid,Tanh,Cosine"),
                         ("functions_lowercase", "sigmoid,tanh,tanh"),
                         ("functions_missing_alpha", "LeakyRelu,Tanh,Tanh"),
                         ("functions_missing_beta", "HardSigmoid(0.2),Tanh,Tanh"),
                         ("functions_nan", "Elu(nan),Tanh,Tanh"),
                         ("functions_inf", "Elu(inf),Tanh,Tanh"),
                         ("functions_huge", "Elu(1e39),Tanh,Tanh"),
                         ("functions_extra_parameter", "Sigmoid(1),Tanh,Tanh"),
                         ("functions_too_few", "Sigmoid,Tanh"),
                         ("functions_too_many", "Sigmoid,Tanh,Tanh,Tanh"),
                         ("functions_entries", "Sigmoid,Tanh,Tanh;Sigmoid,Tanh,Tanh"),
                         ("functions_unclosed", "Elu(1,Tanh,Tanh"),
                         ("functions_empty", "")):
        add(f"{fname}.safetensors", make(base, {"rnnrt.activation_functions": value}),
            "FORMAT", "rnnrt.activation_functions")
    add("layout_unknown.safetensors", make(base, {"rnnrt.layout": "batch_first"}), "FORMAT",
        "rnnrt.layout")
    rb_meta = {"rnnrt.cell": "gru_reset_before"}
    add("cell_gru_reset_before_on_lstm_shapes.safetensors", make(base, rb_meta),
        "FORMAT", "weight_ih_l0")
    add("cell_gru_reset_before_misspelt.safetensors",
        make(model(cell="gru"), {"rnnrt.cell": "gru_reset_after"}), "FORMAT", "rnnrt.cell")
    add("gru_reset_before_with_hr.safetensors",
        make(plus(model(cell="gru_reset_before"), {"weight_hr_l0": filled((2, 2))}), rb_meta),
        "FORMAT", "weight_hr_l0")
    add("gru_reset_before_with_peephole.safetensors",
        make(plus(model(cell="gru_reset_before"), {"weight_co_l0": filled((2,))}), rb_meta),
        "FORMAT", "weight_co_l0")
    add("gru_reset_before_missing_bias_hh.safetensors",
        make(without(model(cell="gru_reset_before"), "bias_hh_l0"), rb_meta),
        "FORMAT", "bias_hh_l0")
    add("gru_reset_before_hh_wrong_rows.safetensors",
        make(with_shape(model(cell="gru_reset_before"), "weight_hh_l0", (4, 2)), rb_meta),
        "FORMAT", "weight_hh_l0")
    add("metadata_not_object.safetensors",
        make(base, edit=lambda h: h.update(__metadata__=["rnnrt.cell", "lstm"])),
        "FORMAT", "metadata")
    add("metadata_non_string.safetensors", make(base, {"format": "pt", "epoch": 3}),
        "FORMAT", "metadata")
    add("no_rnn_tensors.safetensors",
        make({"fc.weight": filled((3, 2)), "fc.bias": filled((3,))}), "FORMAT", "weight_ih_l0")
    add("two_prefixes.safetensors",
        make(plus(model(prefix="encoder.rnn."), model(prefix="decoder.rnn."))),
        "FORMAT", "prefix")
    add("prefix_not_found.safetensors",
        make(model(prefix="encoder.rnn."), {"rnnrt.prefix": "decoder.rnn."}), "FORMAT", "prefix")
    rnn = model(prefix="rnn.")
    add("stray_layer.safetensors", make(plus(rnn, {"rnn.weight_ih_l5": filled((8, 2))})),
        "FORMAT", "weight_ih_l5")
    add("stray_peephole.safetensors", make(plus(rnn, {"rnn.weight_ci_l0": filled((2,))})),
        "FORMAT", "weight_ci_l0")
    add("stray_unknown_name.safetensors", make(plus(rnn, {"rnn.weight_xx_l0": filled((8, 2))})),
        "FORMAT", "weight_xx_l0")
    return c


def write_all(out):
    os.makedirs(out, exist_ok=True)
    items = cases()
    names = [f for f, _, _, _ in items]
    assert len(set(names)) == len(names)
    for fname, content, status, substr in items:
        assert status in STATUSES and substr == substr.lower() and " " not in substr, fname
        path = os.path.join(out, fname)
        if content is None:
            if os.path.exists(path):
                os.remove(path)
            continue
        with open(path, "wb") as f:
            f.write(content)
    keep = set(names) | {"MANIFEST", "README.md"}
    for f in os.listdir(out):  # drop files of cases that no longer exist
        if f not in keep and (f.endswith(".safetensors") or f.endswith(".txt")):
            os.remove(os.path.join(out, f))
    with open(os.path.join(out, "MANIFEST"), "w") as f:
        f.write("".join(f"{n} {s} {m}\n" for n, _, s, m in items))
    return items


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join("tests", "data", "malformed"),
                    help="output directory (default: tests/data/malformed)")
    args = ap.parse_args()
    items = write_all(args.out)
    total = sum(len(b) for _, b, _, _ in items if b is not None)
    print(f"wrote {len(items)} cases to {args.out} ({total} bytes of model files)")


if __name__ == "__main__":
    main()
