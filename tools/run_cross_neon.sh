#!/usr/bin/env bash
# The AArch64 (NEON) build, cross-compiled with Debian's gcc-aarch64-linux-gnu and tested
# under qemu-aarch64 (shared NEON.md): the default suite, then the accuracy sweep on every
# 97th input (the full 2^32 sweep is too slow under emulation).
#   tools/run_cross_neon.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-aarch64}
tools/install_deps.sh
need=(gcc-aarch64-linux-gnu g++-aarch64-linux-gnu qemu-user libcmocka-dev:arm64
      libgomp1:arm64 libcjson-dev:arm64)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "run_cross_neon: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  dpkg --add-architecture arm64
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
if [ -d "$build/meson-info" ]; then
  meson setup --reconfigure "$build" --cross-file tools/cross/aarch64-linux-gnu.ini -Dbench=false
else
  meson setup "$build" --cross-file tools/cross/aarch64-linux-gnu.ini -Dbench=false
fi
ninja -C "$build"
# qemu is 10-70x slower than native: give every test ten times its timeout.
meson test -C "$build" --print-errorlogs --timeout-multiplier 10
meson test -C "$build" --print-errorlogs --suite exhaustive
