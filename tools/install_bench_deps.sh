#!/usr/bin/env bash
# Installs what the benchmark suite needs, from Debian 12's archive (run as root), on top of
# what building rnnrt needs (tools/install_deps.sh). Packages already present are left alone.
# ONNX Runtime (PyPI) goes into .venv-peers/ (tools/setup_peer_venv.sh); if that fails the
# benchmark report says so and the run goes on.
#   --no-torch   leave out python3-torch (the PyTorch peer is then skipped with a message)
#   --icount     only what the instruction-count gate needs (valgrind, Google Benchmark)
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
packages=(g++ libbenchmark-dev libdnnl-dev libopenblas-dev valgrind python3 python3-numpy
          python3-matplotlib python3-torch python3-onnx python3-venv)
for arg in "$@"; do
  case "$arg" in
    --no-torch) packages=("${packages[@]/python3-torch}") ;;
    --icount) packages=(g++ libbenchmark-dev valgrind python3) ;;
    *) echo "install_bench_deps.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${packages[@]}"; do
  [ -n "$p" ] || continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "rnnrt bench: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
[[ " $* " == *" --icount "* ]] || tools/setup_peer_venv.sh ort > /dev/null
