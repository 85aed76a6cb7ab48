#!/usr/bin/env bash
# The whole default test suite: install dependencies, configure, build, run.
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
