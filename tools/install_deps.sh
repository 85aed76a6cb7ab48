#!/usr/bin/env bash
# Installs what building and testing rnnrt needs, from Debian 12's archive (run as root).
# libmicrohttpd-dev is the HTTP library of `rnnrt serve` (tools/serve.c).
# Packages already present are left alone, so a second run costs one dpkg query.
set -euo pipefail
# The Python packages run the binding and converter tests (Debian's /usr/bin/python3), and
# libonnx-testdata holds ONNX's conformance tests of LSTM, GRU and RNN that they run;
# mesonpy, venv, pytest and distributed build the Python package into .venv/ and test it
# (tools/setup_venv.sh, tests/python/test_package.py and test_batch.py); python3-venv also
# makes .venv-peers/ for what Debian lacks (below).
packages=(meson ninja-build gcc g++ libc6-dev pkg-config libcjson-dev libcmocka-dev
          libmicrohttpd-dev
          python3-numpy python3-torch python3-h5py python3-onnx libonnx-testdata
          python3-mesonpy python3-venv python3-pip python3-pytest python3-distributed)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "rnnrt: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# ONNX Runtime and Keras 3 on JAX from PyPI into .venv-peers/: the references of the
# converter tests and a benchmark peer. Where PyPI cannot be reached this says so and the
# tests that need them skip.
"$(dirname "$0")/setup_peer_venv.sh" ort keras > /dev/null
