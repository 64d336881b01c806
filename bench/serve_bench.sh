#!/usr/bin/env bash
# The load test of `switchboard serve` (docs/serving.md, "Performance"):
#
#   bench/serve_bench.sh [BUILD_DIR [SECONDS]]     defaults: build, 5
#
# BUILD_DIR: a Release build with -DSWITCHBOARD_BUILD_BENCHMARKS=ON (it has
# switchboard, switchboard_serve_load and the reference workload,
# bench-workload/: 200,000 events, rules_100.yaml).
#
# 1. HTTP on loopback, connections kept alive (switchboard_serve_load):
#    GET /healthz (the HTTP round trip alone), then POST /v1/events in
#    batches of 1 (one connection) and of 100 (1, 4 and 16 connections),
#    each for SECONDS after a 1 s warm-up; with --state off, then on (a
#    fresh folder: every answer waits for the journal's fsync).
# 2. stdin: `switchboard run` against `switchboard serve --clock event`,
#    `serve` (wall clock) and `serve --state`, the whole workload piped in,
#    REPS (default 5) runs each, taking turns, the median wall time per
#    program.
#
# Set RT=1 to run every program under `chrt -f 50` (SCHED_FIFO, needs root),
# as bench/measure.sh does: on a machine shared with other work it keeps the
# scheduler from preempting the measured threads.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD="${1:-$HERE/../build}"
SECONDS_EACH="${2:-5}"
REPS="${REPS:-5}"
PREFIX=()
if [ "${RT:-0}" = 1 ]; then PREFIX=(chrt -f 50); fi
SB="$BUILD/switchboard"
LOAD="$BUILD/switchboard_serve_load"
RULES="$BUILD/bench-workload/rules_100.yaml"
EVENTS="$BUILD/bench-workload/events.jsonl"
for f in "$SB" "$LOAD" "$RULES" "$EVENTS"; do
  [ -e "$f" ] || { echo "serve_bench: missing $f (build with benchmarks)" >&2; exit 1; }
done
SCRATCH="$(mktemp -d)"
SERVE_PID=""
cleanup() {
  if [ -n "$SERVE_PID" ]; then kill -KILL "$SERVE_PID" 2>/dev/null || true; fi
  rm -rf "$SCRATCH"
}
trap cleanup EXIT

# Starts serve with "$@" and sets PORT once it listens.
start_serve() {
  "${PREFIX[@]}" "$SB" serve "$RULES" --http 127.0.0.1:0 --no-stdin --no-stdout \
    "$@" 2>"$SCRATCH/serve.err" &
  SERVE_PID=$!
  for _ in $(seq 100); do
    PORT=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$SCRATCH/serve.err" \
           | grep -o '[0-9]*$' || true)
    [ -n "$PORT" ] && return 0
    sleep 0.1
  done
  cat "$SCRATCH/serve.err" >&2
  echo "serve_bench: serve did not start" >&2
  exit 1
}

stop_serve() {
  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID"
  SERVE_PID=""
}

load() {
  "${PREFIX[@]}" "$LOAD" --port "$PORT" --events "$EVENTS" \
    --seconds "$SECONDS_EACH" "$@"
}

for state in off on; do
  echo "== HTTP, --state $state"
  args=()
  if [ "$state" = on ]; then args=(--state "$SCRATCH/state"); fi
  start_serve "${args[@]}"
  if [ "$state" = off ]; then load --get /healthz --batch 1 | sed "s/^batch 1 connections 1/GET \/healthz, 1 connection/"; fi
  load --batch 1 --connections 1
  for c in 1 4 16; do load --batch 100 --connections "$c"; done
  stop_serve
done

echo "== stdin, $(wc -l <"$EVENTS") events, median of $REPS runs (interleaved)"
# The programs take turns, so that a change in the machine's load between
# them does not favour one.
variants=("run" "serve --clock event" "serve" "serve --clock event --state DIR")
command_of() {  # variant -> its command line
  case "$1" in
    run) echo "$SB run $RULES --events -" ;;
    serve) echo "$SB serve $RULES" ;;
    "serve --clock event") echo "$SB serve $RULES --clock event" ;;
    *) echo "$SB serve $RULES --clock event --state $SCRATCH/stdin-state" ;;
  esac
}
declare -A times
for _ in $(seq "$REPS"); do
  for v in "${variants[@]}"; do
    rm -rf "$SCRATCH/stdin-state"
    start=$(date +%s%N)
    # shellcheck disable=SC2046
    "${PREFIX[@]}" $(command_of "$v") <"$EVENTS" >/dev/null 2>"$SCRATCH/stdin.err"
    end=$(date +%s%N)
    times[$v]+="$(( (end - start) / 1000 )) "
  done
done
median() { tr ' ' '\n' | grep . | sort -n | sed -n "$(( (REPS + 1) / 2 ))p"; }
n=$(wc -l <"$EVENTS")
run_us=$(echo "${times[run]}" | median)
for v in "${variants[@]}"; do
  us=$(echo "${times[$v]}" | median)
  awk -v name="$v" -v us="$us" -v n="$n" -v run="$run_us" 'BEGIN {
    printf "%-34s %.3f s  %7.0f events/s  %3.0f %% of run\n", name, us / 1e6,
           n / (us / 1e6), 100 * run / us }'
done
