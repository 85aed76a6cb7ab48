#!/usr/bin/env bash
# The main job: installs what rnnrt and its benchmarks need, builds, shows what the library
# detects on this machine, then runs the default benchmark set (rnnrt's variants, kernel
# sets and thread counts beside oneDNN, ONNX Runtime, OpenBLAS and PyTorch) and prints the
# table (ONNX Runtime from PyPI into .venv-peers/; without it the run goes on); raw
# JSON, the machine description, summary.md and plots go to results/<slug>/
# (tools/benchlib.py slug; the naming rule is in docs/benchmarking.md).
#
# usage: tools/run_main.sh [--quick|--full] [other tools/run_bench.sh options]
#   default: about 20 minutes on 2 cores once installed (three rounds of the suite,
#   tools/run_bench.sh --rounds); --quick: under 2 minutes.
# Measure on an otherwise idle machine: docs/benchmarking.md says why and how to compare.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${RNNRT_BUILD:-build}
tools/install_bench_deps.sh
# Reconfigure an existing build: it may predate the benchmark packages just installed (e.g.
# made by tools/run_tests.sh), and meson looks for optional dependencies only at setup.
if [ -d "$build/meson-info" ]; then
  meson setup --reconfigure "$build" -Dbench=true
else
  meson setup "$build" -Dbench=true
fi
ninja -C "$build"
"$build/tools/rnnrt" info
echo
exec tools/run_bench.sh --build "$build" "$@"
