#!/usr/bin/env bash
# The main job. Until the benchmark suite lands (issue 5) it shows what the library detects
# on this machine and runs a forward pass of a 3-layer bidirectional LSTM that ships in
# tests/data, writing the output to results/demo-output.npy.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
tools/install_deps.sh
[ -d "$build/meson-info" ] || meson setup "$build"
ninja -C "$build"
"$build/tools/rnnrt" info tests/data/golden/lstm_3layer_bidir.model.safetensors
mkdir -p results
"$build/tools/rnnrt" run tests/data/golden/lstm_3layer_bidir.model.safetensors \
    --random-input 50,4,7 --output results/demo-output.npy
