#!/usr/bin/env bash
# The loaded-machine bound (README, Threads): per-call medians at 1 and 2 threads on an
# idle machine, then with a busy loop in another process taking one core.
#   tools/bench_contention.sh [BUILD_DIR] [H T runs batch...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
exe=$build/bench/rnnrt-bench-contention
echo "== idle ($(nproc) CPUs)"
"$exe" "$@"
echo "== another process busy on one core"
( while :; do :; done ) &
busy=$!
trap 'kill $busy 2>/dev/null || true' EXIT
sleep 0.5
"$exe" "$@"
