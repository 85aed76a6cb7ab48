#!/usr/bin/env bash
# Issue 26's measurements (docs/streams.md, "Measuring"): streams under an open-loop Poisson
# load, the batcher against unbatched rnnrt_forward workers, the batch-64 limit and ONNX
# Runtime's hand-batched loop, then a plot of p99 latency against steps/s. Writes
#   <out>/streams/<case>.json    one per case (bench/bench_streams.c, tools/bench_streams_ort.py)
#   <out>/streams/streams.png    p99 against steps/s, every case and mode (tools/plot_streams.py)
#   <out>/streams/log/<case>.txt the tables as printed
# Cases: LSTM I = H = 512, 2 threads; f32 with 10, 100, 1,000 and 10,000 streams pushing one
# step, 1,000 streams pushing 10-step chunks; int8 x int8 with 1,000 streams; `rnnrt serve`
# on loopback with 1,000 streams pushing 10-step chunks, JSON and raw float32 (the load
# generator in the same process as nothing else: the server runs the batcher on 2 threads,
# and shares the 2 cores with the client); ONNX Runtime hand-batched with 1,000 streams
# (skipped without .venv-peers/: tools/setup_peer_venv.sh).
# Each rate runs --seconds (default 2) after a warm-up; a sweep takes a minute or two.
#
# usage: tools/run_bench_streams.sh [--build DIR] [--out DIR] [--seconds S] [--quick]
#   --quick: H = 64 and 0.3 s per rate, to check that everything runs (no figures).
set -euo pipefail
cd "$(dirname "$0")/.."
build=build out= seconds=2 size=(--hidden 512 --input 512)
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift ;;
    --out) out=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    --quick) seconds=0.3 size=(--hidden 64 --input 64) ;;
    *) echo "run_bench_streams.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$out" ] || out=results/$(/usr/bin/python3 tools/benchlib.py slug)
dir=$out/streams
mkdir -p "$dir/log"
bench=$build/bench/rnnrt-bench-streams
[ -x "$bench" ] || { echo "run_bench_streams.sh: $bench is missing (ninja -C $build)" >&2; exit 1; }
common=("${size[@]}" --threads 2 --budget-ms 10 --seconds "$seconds")
run() { # case, options...
  local name=$1
  shift
  echo "== $name"
  "$bench" "${common[@]}" "$@" --json "$dir/$name.json" | tee "$dir/log/$name.txt"
}
run f32-s1000-chunk1 --streams 1000 --chunk 1
run f32-s1000-chunk10 --streams 1000 --chunk 10
for s in 10 100 10000; do
  run "f32-s$s-chunk1" --streams "$s" --chunk 1 --modes batcher,unbatched
done
run int8-s1000-chunk1 --streams 1000 --chunk 1 --weights int8 --activations int8
# The HTTP server on the same model, loopback, 1,000 streams pushing 10-step chunks (JSON,
# then raw float32 bodies), against f32-s1000-chunk10's batcher figure.
tool=$build/tools/rnnrt
if "$tool" serve 2>&1 | grep -q "without libmicrohttpd"; then
  echo "run_bench_streams.sh: $tool has no server (libmicrohttpd-dev): HTTP skipped"
else
  model=$dir/model.safetensors
  "$bench" "${size[@]}" --write-model "$model"
  "$tool" serve "$model" --port 0 --threads 2 --max-batch 64 --max-wait-us 200 \
      > "$dir/log/serve.txt" 2>&1 &
  server=$!
  for _ in $(seq 50); do grep -q listening "$dir/log/serve.txt" && break; sleep 0.1; done
  port=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\).*|\1|p' "$dir/log/serve.txt")
  run http-s1000-chunk10 --streams 1000 --chunk 10 --modes http --url "127.0.0.1:$port"
  run http-binary-s1000-chunk10 --streams 1000 --chunk 10 --modes http --binary \
      --url "127.0.0.1:$port"
  kill -TERM "$server"
  wait "$server" || true
fi
peer=.venv-peers/bin/python
if [ -x "$peer" ]; then
  echo "== ort-s1000-chunk1"
  "$peer" tools/bench_streams_ort.py "${common[@]}" --streams 1000 --chunk 1 \
      --json "$dir/ort-s1000-chunk1.json" | tee "$dir/log/ort-s1000-chunk1.txt" || true
else
  echo "run_bench_streams.sh: no .venv-peers/ (tools/setup_peer_venv.sh ort): ONNX Runtime skipped"
fi
/usr/bin/python3 tools/plot_streams.py "$dir"/*.json --out "$dir/streams.png" || true
echo "run_bench_streams.sh: results in $dir"
