#!/usr/bin/env bash
# Runs the benchmark suite from a configured build and writes everything to one folder:
#   machine.json        CPU, flags, caches, compiler and build options, packages, git, date
#   bench_roofline.json FMA peak, read bandwidth, bf16/int8 dot peaks (rnnrt-bench-roofline)
#   bench_lstm.json     forward passes: rnnrt variants, kernel sets, threads, oneDNN, OpenBLAS;
#                       bf16/int8 rnnrt and bf16/u8s8 oneDNN (skipped, with why, where unsupported)
#   bench_torch.json    PyTorch nn.LSTM / nn.GRU (tools/bench_torch.py)
#   bench_ort.json      ONNX Runtime LSTM / GRU nodes (tools/bench_ort.py, in .venv-peers/)
#   bench_gemm.json     the GEMMs of one step (rnnrt-bench-gemm)
#   bench_kernels.json  gate and vector-math kernels (rnnrt-bench-kernels; --full only)
#   summary.md, *.png   tables (tools/bench_report.py) and plots (tools/plot_results.py)
#   log/                each binary's console output
# then prints the table.
#
# usage: tools/run_bench.sh [--quick|--full] [--build DIR] [--out DIR] [--no-torch]
#                           [--no-ort] [--no-plots] [--rounds N]
#                           [-- extra Google Benchmark options]
#   default set: ~10 min budget on 2 cores; --quick: under 2 minutes; --full: everything.
#   --out defaults to results/<cpu>-<cores>c (tools/benchlib.py slug).
#   --rounds N (default 3; --quick 1): the forward passes (rnnrt, oneDNN, OpenBLAS) and
#   ONNX Runtime run in turn N times with 9 / N repetitions each, merged after (the
#   rounds' files are in rounds/). On a shared machine whole runs drift by 15-20% over
#   minutes; rounds put every implementation in the same stretches of time, where one run
#   each would compare rnnrt at one time with ONNX Runtime minutes later.
set -euo pipefail
cd "$(dirname "$0")/.."
set_name=default build=build out= torch=1 ort=1 plots=1 rounds= extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) set_name=quick ;;
    --full) set_name=full ;;
    --build) build=$2; shift ;;
    --out) out=$2; shift ;;
    --no-torch) torch=0 ;;
    --no-ort) ort=0 ;;
    --no-plots) plots=0 ;;
    --rounds) rounds=$2; shift ;;
    --) shift; extra=("$@"); break ;;
    *) echo "run_bench.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
py=/usr/bin/python3
[ -x "$py" ] || py=python3
[ -n "$out" ] || out=results/$($py tools/benchlib.py slug)
mkdir -p "$out/log"
bin=$build/bench
if [ ! -x "$bin/rnnrt-bench-lstm" ]; then
  echo "run_bench.sh: $bin/rnnrt-bench-lstm is missing: configure with -Dbench=true and" \
       "install libbenchmark-dev (tools/install_bench_deps.sh)" >&2
  exit 1
fi
$py tools/benchlib.py machine "$build" > "$out/machine.json"

start=$SECONDS
step() {  # step NAME JSON COMMAND...: runs one benchmark binary, JSON out, console to log/
  local name=$1 json=$2; shift 2
  local t0=$SECONDS
  printf '%-22s ' "$name"
  if "$@" --benchmark_out="$out/$json" --benchmark_out_format=json "${extra[@]}" \
       > "$out/log/$name.txt" 2>&1; then
    local n; n=$(grep -c '"error_occurred": true' "$out/$json" || true)
    echo "done in $((SECONDS - t0)) s ($n skipped, reasons in the JSON and log/$name.txt)"
  else
    echo "FAILED after $((SECONDS - t0)) s; last lines of log/$name.txt:"
    tail -5 "$out/log/$name.txt"
    return 1
  fi
}

echo "rnnrt benchmark suite, set '$set_name', results in $out/"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}  OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-unset}"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (a quiet machine shows < 0.5)"
failed=0
step roofline bench_roofline.json "$bin/rnnrt-bench-roofline" --set="$set_name" || failed=1
# ONNX Runtime runs from .venv-peers/ (tools/setup_peer_venv.sh). Without it, or when it
# fails, bench_ort.json holds only the reason, which the report prints in its notes.
ort_py=.venv-peers/bin/python
ort_skip() {
  printf '{"context": {"onnxruntime": "not measured: %s"}, "benchmarks": []}\n' "$1" \
    > "$out/bench_ort.json"
}
if [ "$ort" = 0 ]; then
  ort_why="--no-ort"
elif [ -x "$ort_py" ] && "$ort_py" -c 'import onnxruntime, torch, onnx' 2>/dev/null; then
  ort_why=
else
  ort_why="onnxruntime could not be installed or imported (tools/setup_peer_venv.sh ort)"
fi
# Rounds (see the usage above): 9 repetitions in all, as a single run has.
if [ -z "$rounds" ]; then
  [ "$set_name" = quick ] && rounds=1 || rounds=3
fi
case "$rounds" in ''|*[!0-9]*|0) echo "run_bench.sh: --rounds takes a positive number" >&2; exit 2 ;; esac
reps=$(( (9 + rounds - 1) / rounds ))
[ "$set_name" = quick ] && [ "$rounds" = 1 ] && reps=5
mkdir -p "$out/rounds"
rm -f "$out"/rounds/bench_lstm.*.json "$out"/rounds/bench_ort.*.json \
      "$out"/log/lstm*.txt "$out"/log/ort*.txt
for r in $(seq 1 "$rounds"); do
  [ "$rounds" = 1 ] || echo "round $r of $rounds ($reps repetitions each)"
  step "lstm.$r" "rounds/bench_lstm.$r.json" "$bin/rnnrt-bench-lstm" --set="$set_name" \
    --benchmark_repetitions="$reps" || failed=1
  if [ -z "$ort_why" ]; then
    t0=$SECONDS
    printf '%-22s ' "ort.$r"
    if "$ort_py" tools/bench_ort.py --set="$set_name" --repetitions "$reps" \
        --out "$out/rounds/bench_ort.$r.json" > "$out/log/ort.$r.txt" 2>&1; then
      echo "done in $((SECONDS - t0)) s"
    else
      echo "FAILED: see log/ort.$r.txt"; tail -5 "$out/log/ort.$r.txt"
      rm -f "$out/rounds/bench_ort.$r.json"
      ort_why="tools/bench_ort.py failed, see log/ort.$r.txt"
    fi
  fi
done
merge() {  # merge NAME: rounds/NAME.*.json -> NAME.json (the rounds' files go once merged)
  local files=("$out"/rounds/"$1".*.json)
  [ -e "${files[0]}" ] || return 1
  $py tools/benchlib.py merge "$out/$1.json" "${files[@]}" && rm -f "${files[@]}"
}
merge bench_lstm || failed=1
if ! merge bench_ort; then
  [ -n "$ort_why" ] || ort_why="no round of tools/bench_ort.py finished"
  echo "ort                    skipped: $ort_why"
  ort_skip "$ort_why"
fi
rmdir "$out/rounds" 2>/dev/null || true
if [ "$torch" = 1 ] && $py -c 'import torch' 2>/dev/null; then
  t0=$SECONDS
  printf '%-22s ' torch
  $py tools/bench_torch.py --set="$set_name" --out "$out/bench_torch.json" \
      > "$out/log/torch.txt" 2>&1 && echo "done in $((SECONDS - t0)) s" ||
      { echo "FAILED: see log/torch.txt"; tail -5 "$out/log/torch.txt"; }
else
  echo "torch                  skipped: python3-torch is not installed (or --no-torch)"
  rm -f "$out/bench_torch.json"
fi
# The GEMM binary measures kernels: the quick shapes (all kernel sets) in the default run,
# with fewer repetitions; --full runs every shape.
case "$set_name" in
  quick) gemm_args=(--set=quick --benchmark_repetitions=3 --benchmark_min_time=0.02) ;;
  default) gemm_args=(--set=quick --benchmark_repetitions=5 --benchmark_min_time=0.02) ;;
  full) gemm_args=(--set=full) ;;
esac
step gemm bench_gemm.json "$bin/rnnrt-bench-gemm" "${gemm_args[@]}" || failed=1
if [ "$set_name" = full ] && [ -x "$bin/rnnrt-bench-kernels" ]; then
  step kernels bench_kernels.json "$bin/rnnrt-bench-kernels" --benchmark_repetitions=5 || failed=1
fi
echo "benchmarks took $((SECONDS - start)) s"
echo
$py tools/bench_report.py "$out"
if [ "$plots" = 1 ]; then
  if $py -c 'import matplotlib' 2>/dev/null; then
    $py tools/plot_results.py "$out" || echo "plot_results.py failed (the tables above stand)"
  else
    echo "plots skipped: python3-matplotlib is not installed"
  fi
fi
echo
echo "results: $out/ (summary.md, machine.json, bench_*.json, *.png)"
exit $failed
