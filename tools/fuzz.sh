#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang-14 (-fsanitize=fuzzer,address,
# undefined) and runs each one for SECONDS seconds, starting from its committed corpus.
#
#   tools/fuzz.sh [SECONDS] [TARGET...]     (default: 60 s, every target: load npy tokens options)
#
# Environment:
#   FUZZ_BUILD   build directory (default /tmp/rnnrt-fuzz); the library is built there by
#                meson with the sanitizers and -fsanitize=fuzzer-no-link
#   FUZZ_WORK    where new corpus entries and crash files go (default $FUZZ_BUILD/work); the
#                committed corpus under tests/fuzz/corpus/ is only read
#   FUZZ_SEQUENTIAL=1  run the targets one after the other (default: side by side)
#   FUZZ_ARGS    extra libFuzzer flags
#
# Exit status 0 when every target ran its time without a finding. A finding leaves
# crash-*/leak-*/timeout-*/oom-* in $FUZZ_WORK/<target>/; minimize it
# ($FUZZ_BUILD/fuzz_<target> -minimize_crash=1 FILE), fix the bug, then copy the input to
# tests/fuzz/regressions/<target>/ so the default suite replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(load npy tokens options)
build=${FUZZ_BUILD:-/tmp/rnnrt-fuzz}
work=${FUZZ_WORK:-$build/work}
cc=${FUZZ_CC:-clang-14}

if ! command -v "$cc" >/dev/null || ! dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null |
    grep -q 'install ok installed'; then
  echo "fuzz.sh: installing clang-14 and its runtime libraries"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends clang-14 libclang-rt-14-dev libomp-14-dev
fi
tools/install_deps.sh

san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
if [ ! -d "$build/meson-info" ]; then
  CC=$cc meson setup "$build" -Dtests=false -Dbuildtype=debugoptimized -Dwerror=true \
      -Db_sanitize=address,undefined -Db_lundef=false \
      "-Dc_args=-fsanitize=fuzzer-no-link -fno-sanitize-recover=all -fno-omit-frame-pointer"
fi
ninja -C "$build" runtime/librnnrt.a tools/librnnrt_npy.a

link="-g -O1 -fsanitize=fuzzer $san -Wall -Wextra -Werror"
$cc $link -Iruntime/include tests/fuzz/fuzz_load.c "$build/runtime/librnnrt.a" \
    -lcjson -fopenmp -lm -lpthread -o "$build/fuzz_load"
$cc $link -Itools tests/fuzz/fuzz_npy.c "$build/tools/librnnrt_npy.a" -o "$build/fuzz_npy"
$cc $link -Iruntime/include \
    "-DRNNRT_FUZZ_MODEL_DEFAULT=\"$PWD/tests/data/stack/lstm_char.model.safetensors\"" \
    tests/fuzz/fuzz_tokens.c "$build/runtime/librnnrt.a" -lcjson -fopenmp -lm -lpthread \
    -o "$build/fuzz_tokens"
$cc $link -Iruntime/include \
    "-DRNNRT_FUZZ_OPTIONS_MODEL_DEFAULT=\"$PWD/tests/data/golden/lstm_basic.model.safetensors\"" \
    tests/fuzz/fuzz_options.c "$build/runtime/librnnrt.a" -lcjson -fopenmp -lm -lpthread \
    -o "$build/fuzz_options"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# Runs one target for $seconds; its output goes to $work/<target>/log.txt.
run_target() {
  local t=$1
  rm -rf "$work/$t/artifacts"
  mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
  # max_len: above the largest seed, so mutations can grow it; rss_limit: a model needs at
  # most about twice its file size (F16 to F32), never gigabytes.
  local args=(-max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10
              -print_final_stats=1 -artifact_prefix="$work/$t/artifacts/")
  [ -f "tests/fuzz/$t.dict" ] && args+=(-dict="tests/fuzz/$t.dict")
  # The first corpus directory receives new inputs: the work dir, never the committed one.
  # shellcheck disable=SC2086
  "$build/fuzz_$t" "${args[@]}" ${FUZZ_ARGS:-} "$work/$t/corpus" "tests/fuzz/corpus/$t" \
      >"$work/$t/log.txt" 2>&1
}

# Targets run side by side (sharing the cores of the CI machine) unless FUZZ_SEQUENTIAL=1.
declare -A pids
for t in "${targets[@]}"; do
  seeds=$(find "tests/fuzz/corpus/$t" -type f | wc -l)
  echo "=== fuzz_$t: ${seconds}s from tests/fuzz/corpus/$t ($seeds inputs) ==="
  if [ "${FUZZ_SEQUENTIAL:-0}" = 1 ]; then
    run_target "$t" && pids[$t]=ok || pids[$t]=fail
  else
    run_target "$t" & pids[$t]=$!
  fi
done
status=0
for t in "${targets[@]}"; do
  rc=0
  case ${pids[$t]} in
    ok) ;;
    fail) rc=1 ;;
    *) wait "${pids[$t]}" || rc=$? ;;
  esac
  log=$work/$t/log.txt
  summary='^(#[0-9]+[[:space:]]+(INITED|DONE)|Done [0-9]+ runs|stat::(number_of_executed_units'
  summary+='|peak_rss_mb|new_units_added)|==[0-9]+==ERROR|SUMMARY|fuzz_[a-z]+: contract)'
  grep -E "$summary" "$log" |
      sed "s/^/fuzz_$t: /" || true
  if [ "$rc" -ne 0 ] || [ -n "$(ls -A "$work/$t/artifacts")" ]; then
    echo "fuzz_$t: FINDING (exit $rc), see $log and $work/$t/artifacts/"
    status=1
  else
    echo "fuzz_$t: no finding"
  fi
done
exit $status
