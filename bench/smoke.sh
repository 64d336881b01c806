#!/usr/bin/env bash
# bench_smoke (ctest): runs every benchmark program once at a tiny size on
# the small generated workload, so CI notices a benchmark that no longer
# builds, loads or runs. It never judges speed: only exit statuses count.
#
#   smoke.sh SWITCHBOARD_BENCH SWITCHBOARD_LATENCY SWITCHBOARD_WORKLOAD DIR
set -euo pipefail
bench="$1" latency="$2" driver="$3" workload="$4"
export SWITCHBOARD_BENCH_SMOKE=1 SWITCHBOARD_BENCH_WORKLOAD="$workload"
out="$("$bench" --benchmark_min_time=0.001 2>&1)" || { echo "$out"; exit 1; }
echo "$out"
# A benchmark that skipped itself with an error still exits 0: catch it.
if grep -q "ERROR OCCURRED" <<<"$out"; then
  echo "bench_smoke: a benchmark reported an error" >&2
  exit 1
fi
"$latency" --workload "$workload" --repeat 1
# The driver's decision count must equal the generator's own evaluator
# (route actions: one route per event that matches any rule).
for n in 10 100 1000; do
  json="$("$driver" --workload "$workload" --n "$n" --warmup 100)"
  echo "$json"
  python3 - "$json" "$workload/expected_$n.json" <<'PY'
import json, sys
got = json.loads(sys.argv[1])["decisions"]
want = json.load(open(sys.argv[2]))["route_decisions"]
if got != want:
    sys.exit("bench_smoke: switchboard made %d decisions, expected %d" % (got, want))
PY
done
