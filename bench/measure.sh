#!/usr/bin/env bash
# Takes every figure of docs/performance.md in one go (the side by side
# apart: bench/compare). Writes the raw outputs into OUT.
#
#   bench/measure.sh [BUILD_DIR [OUT]]     defaults: build-release, /tmp/switchboard-measure
#
# BUILD_DIR must be a Release build with -DSWITCHBOARD_BUILD_BENCHMARKS=ON.
# Set RT=1 to run each program under `chrt -f 50` (SCHED_FIFO, needs root):
# on a machine shared with other work it keeps the scheduler from
# preempting the measured thread, which otherwise shows up as multi-ms
# outliers in p99.9, max and the mean. REPS (default 3) sets the number of
# Google Benchmark repetitions (the median is reported) and latency passes.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD="${1:-$HERE/../build-release}"
OUT="${2:-/tmp/switchboard-measure}"
REPS="${REPS:-3}"
PREFIX=()
if [ "${RT:-0}" = 1 ]; then PREFIX=(chrt -f 50); fi
mkdir -p "$OUT"
WL="$BUILD/bench-workload"
run() { echo "+ ${PREFIX[*]} $*" >&2; "${PREFIX[@]}" "$@"; }

run "$BUILD/switchboard_bench" --benchmark_repetitions="$REPS" \
    --benchmark_report_aggregates_only=true \
    --benchmark_out="$OUT/bench.json" --benchmark_out_format=json \
    | tee "$OUT/bench.txt"
run "$BUILD/switchboard_latency" --repeat "$((REPS + 2))" --feed reused | tee "$OUT/latency_reused.txt"
run "$BUILD/switchboard_latency" --repeat "$((REPS + 2))" --feed in-place | tee "$OUT/latency_in_place.txt"
for n in 10 100 1000; do
  for i in $(seq "$REPS"); do
    run "$BUILD/switchboard" run "$WL/rules_$n.yaml" --events "$WL/events.jsonl" \
        2>&1 >/dev/null | grep '^throughput' | sed "s/^/rules $n: /"
  done
done | tee "$OUT/cli.txt"
