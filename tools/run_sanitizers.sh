#!/usr/bin/env bash
# The hardening checks of docs/reliability.md that need their own builds (the ASan+UBSan
# build of the whole suite is in .ci/run already):
#   1. ThreadSanitizer: the threaded tests (threads, golden with its thread-count test,
#      concurrency, batcher) built with clang-14 -fsanitize=thread, OpenMP from clang's libomp with the
#      Archer tool so that OpenMP's own synchronisation is visible to TSan. A canary with a
#      deliberate race must be reported under the same settings, and one without must not.
#   2. Allocation failure: -Dalloc_fail_hook=true with ASan+UBSan (LeakSanitizer on), test
#      alloc_fail.
#   3. The fuzz targets, FUZZ_SECONDS each (default 60) from the committed corpus
#      (tools/fuzz.sh; the two targets run side by side).
#
#   tools/run_sanitizers.sh [tsan|alloc|fuzz]...     (default: all three)
#
# Every build here treats warnings as errors (-Dwerror=true), gcc and clang alike.
# Build directories: $SAN_BUILD_ROOT/{tsan,alloc-fail,fuzz} (default build-san/). About
# 6 minutes on 2 cores from scratch.
set -euo pipefail
cd "$(dirname "$0")/.."
root=${SAN_BUILD_ROOT:-build-san}
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(tsan alloc fuzz)
archer=/usr/lib/llvm-14/lib/libarcher.so

tools/install_deps.sh
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
if ! command -v clang-14 >/dev/null || [ ! -f "$archer" ] || ! installed libclang-rt-14-dev; then
  echo "run_sanitizers: installing clang-14, its sanitizer runtimes and libomp (with Archer)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends clang-14 libclang-rt-14-dev libomp-14-dev
fi

setup() { # dir, meson options...
  local dir=$1
  shift
  if [ -d "$dir/meson-info" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@" >/dev/null
  fi
}

run_tsan() {
  echo "=== ThreadSanitizer (clang-14, libomp + Archer) ==="
  local dir=$root/tsan
  CC=clang-14 setup "$dir" -Db_sanitize=thread -Db_lundef=false -Dbuildtype=debugoptimized \
      -Dwerror=true
  ninja -C "$dir" tests/test_threads tests/test_golden tests/test_concurrency tests/test_batcher
  # Archer (LLVM's OMPT tool) tells TSan about OpenMP barriers, task and lock hand-offs;
  # ignore_noninstrumented_modules keeps TSan from checking libomp's own (uninstrumented)
  # internals. Nothing is suppressed. Three library threads per call, so that the OpenMP
  # teams of concurrent calls interleave with the callers' threads.
  export OMP_TOOL_LIBRARIES=$archer OMP_NUM_THREADS=3
  export TSAN_OPTIONS="halt_on_error=1 exitcode=66 ignore_noninstrumented_modules=1"
  TSAN_OPTIONS+=" second_deadlock_stack=1"
  clang-14 -g -O1 -fsanitize=thread -fopenmp tests/stress/tsan_canary.c -o "$dir/tsan_canary"
  for mode in pthread openmp; do
    if "$dir/tsan_canary" "$mode" >"$dir/canary-$mode.log" 2>&1 ||
        ! grep -q 'WARNING: ThreadSanitizer: data race' "$dir/canary-$mode.log"; then
      echo "run_sanitizers: the TSan canary's $mode race was not reported: the setup is blind"
      return 1
    fi
  done
  "$dir/tsan_canary" clean >"$dir/canary-clean.log" 2>&1 || {
    cat "$dir/canary-clean.log"
    echo "run_sanitizers: TSan reports OpenMP barriers as races: Archer is not active"
    return 1
  }
  echo "tsan canary: deliberate pthread and OpenMP races reported, race-free OpenMP team clean"
  local data=tests/data
  "$dir/tests/test_threads" "$data"
  RNNRT_CONCURRENCY_ROUNDS=${TSAN_CONCURRENCY_ROUNDS:-100} "$dir/tests/test_concurrency" "$data"
  "$dir/tests/test_golden" "$data"
  "$dir/tests/test_batcher" "$data"
  unset OMP_TOOL_LIBRARIES OMP_NUM_THREADS TSAN_OPTIONS
}

run_alloc() {
  echo "=== allocation failure (-Dalloc_fail_hook=true, ASan + UBSan + LeakSanitizer) ==="
  local dir=$root/alloc-fail
  setup "$dir" -Dalloc_fail_hook=true -Db_sanitize=address,undefined -Db_lundef=false \
      -Dbuildtype=debugoptimized -Dc_args=-fno-sanitize-recover=all -Dwerror=true
  ninja -C "$dir" tests/test_alloc_fail
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      "$dir/tests/test_alloc_fail" tests/data
}

run_fuzz() {
  echo "=== fuzz targets, ${FUZZ_SECONDS:-60} s each from the committed corpus ==="
  FUZZ_BUILD=$root/fuzz tools/fuzz.sh "${FUZZ_SECONDS:-60}"
}

for step in "${steps[@]}"; do
  case $step in
    tsan) run_tsan ;;
    alloc) run_alloc ;;
    fuzz) run_fuzz ;;
    *) echo "usage: tools/run_sanitizers.sh [tsan|alloc|fuzz]..." >&2; exit 2 ;;
  esac
done
echo "run_sanitizers: ${steps[*]}: passed"
