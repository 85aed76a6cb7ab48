#!/usr/bin/env bash
# The whole default test suite: install dependencies, configure, build, run (the C suites,
# then the Python package's tests).
#   tools/run_tests.sh [BUILD_DIR] [extra meson setup options...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
tools/install_deps.sh
if [ -d "$build/meson-info" ]; then
  meson setup --reconfigure "$build" "$@"
else
  meson setup "$build" "$@"
fi
ninja -C "$build"
meson test -C "$build" --print-errorlogs
# The Python package as pip installs it (into .venv/), and the batch job on a local Dask
# cluster: pytest from that venv, so rnnrt comes from site-packages, not from python/.
tools/setup_venv.sh
.venv/bin/python -m pytest -q -p no:cacheprovider tests/python/test_package.py \
  tests/python/test_batch.py
