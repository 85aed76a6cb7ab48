#!/usr/bin/env bash
# Makes (or completes) .venv-peers/, a virtual environment on Debian's Python that sees
# Debian's python3-torch, numpy, onnx and h5py (--system-site-packages) and adds from PyPI
# the frameworks rnnrt is checked against and benchmarked beside:
#   ort    onnxruntime (CPU): benchmark peer, reference for the ONNX converter tests
#   keras  keras 3 and jax/jaxlib (the CPU backend): reference for the Keras converter tests
# usage: tools/setup_peer_venv.sh [ort] [keras]   (default: both). Prints the interpreter.
# The versions are the ones the tests were checked with (what pip chose on Debian 12 under
# the numpy 1.24 pin below).
# Idempotent: a package already importable is not installed again. A failed install (no
# network, no wheel for this Python) is reported and tolerated: exit 0, the tests that need
# the package skip and say so. Debian's numpy and protobuf are pinned, so pip cannot shadow
# the versions python3-torch and python3-onnx were built against.
set -uo pipefail
cd "$(dirname "$0")/.."
venv=.venv-peers
py=$venv/bin/python
want=("$@")
[ ${#want[@]} -gt 0 ] || want=(ort keras)
if [ ! -x "$py" ]; then
  /usr/bin/python3 -m venv --system-site-packages "$venv" >&2 ||
    { echo "setup_peer_venv: cannot create $venv (Debian: python3-venv)" >&2; exit 0; }
fi
constraints=$venv/constraints.txt
/usr/bin/python3 - > "$constraints" <<'PY'
import importlib
for name, mod in (("numpy", "numpy"), ("protobuf", "google.protobuf")):
    try:
        print("%s==%s" % (name, importlib.import_module(mod).__version__))
    except Exception:
        pass
PY
install() {  # install LABEL IMPORT_CHECK PACKAGES...
  local label=$1 check=$2; shift 2
  if "$py" -c "$check" 2>/dev/null; then return 0; fi
  echo "setup_peer_venv: installing $* into $venv" >&2
  if ! "$py" -m pip install -q --disable-pip-version-check -c "$constraints" "$@" >&2; then
    echo "setup_peer_venv: could not install $label ($*); tests and benchmarks that need" \
         "it will skip" >&2
  fi
}
for w in "${want[@]}"; do
  case "$w" in
    ort) install onnxruntime "import onnxruntime" onnxruntime==1.26.0 ;;
    keras) install keras 'import os; os.environ.setdefault("KERAS_BACKEND", "jax"); import jax, keras' \
             keras==3.15.1 jax==0.4.38 jaxlib==0.4.38 ;;
    *) echo "setup_peer_venv: unknown set $w (ort, keras)" >&2; exit 2 ;;
  esac
done
echo "$py"
