#!/usr/bin/env bash
# `switchboard run --threads N` prints what --threads 1 prints, byte for
# byte: stdout (decisions, as JSON Lines and as text with --explain) and the
# summary on stderr (but its last, timing line). Over every shipped rule
# pack (skill_routing has queues: it runs on one engine, same output), the
# reference workload when given, and a stream with bad lines and --until.
#
#   tests/cli/threads_identical.sh path/to/switchboard [WORKLOAD_DIR]
# WORKLOAD_DIR: bench/gen_workload.py's output (events.jsonl, rules_100.yaml,
# rules_1000.yaml): 20,000 events of 2,000 sessions.
set -euo pipefail
bin="$1"
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
failures=0

compare() {  # NAME ARGS...: runs ARGS with --threads 1 and with 2, 3, 4
  local name="$1"; shift
  timeout 120 "$bin" run "$@" --threads 1 >"$scratch/one.out" 2>"$scratch/one.err" \
    && rc1=0 || rc1=$?
  grep -v '^throughput:' "$scratch/one.err" >"$scratch/one.sum" || true
  if [[ ! -s "$scratch/one.out" ]]; then
    echo "FAIL  $name: --threads 1 printed no decision (a test that cannot fail)"
    failures=$((failures + 1))
    return
  fi
  for n in 2 3 4; do
    timeout 120 "$bin" run "$@" --threads "$n" >"$scratch/n.out" 2>"$scratch/n.err" \
      && rc=0 || rc=$?
    grep -v '^throughput:' "$scratch/n.err" >"$scratch/n.sum" || true
    if [[ $rc != "$rc1" ]] || ! cmp -s "$scratch/one.out" "$scratch/n.out" ||
       ! cmp -s "$scratch/one.sum" "$scratch/n.sum"; then
      echo "FAIL  $name --threads $n (exit $rc, --threads 1: $rc1)"
      diff <(head -c 4000 "$scratch/one.out") <(head -c 4000 "$scratch/n.out") | head -10 || true
      diff "$scratch/one.sum" "$scratch/n.sum" | head -10 || true
      failures=$((failures + 1))
      return
    fi
  done
  echo "ok    $name ($(wc -l <"$scratch/one.out") lines)"
}

for pack in rules/*/; do
  rules=$(ls "$pack"*.yaml | head -1)
  compare "$(basename "$pack")" "$rules" --events "$pack/events.jsonl" --until 2030-01-01T00:00:00Z
  compare "$(basename "$pack") text" "$rules" --events "$pack/events.jsonl" --format text --explain
done
compare "golden events, bad lines" tests/golden/run/shop.yaml \
  --events tests/golden/run/events.jsonl --until 2026-11-23T15:00:00Z
# A malformed line, then one past the reader's 1 MiB limit, then events:
# the reports keep the input's order.
{
  head -3 tests/golden/run/events.jsonl
  echo '{"type": "cart.updated", BAD'
  printf '{"type":"cart.updated","pad":"%s"}\n' "$(head -c 1100000 /dev/zero | tr '\0' a)"
  tail -n +4 tests/golden/run/events.jsonl
} >"$scratch/long.jsonl"
compare "bad line, then a line too long" tests/golden/run/shop.yaml \
  --events "$scratch/long.jsonl" --until 2026-11-23T15:00:00Z
# A channel event without a channel passes the reader but not the engine:
# no partition's clock may move to its time (the timers are not due yet).
cat >"$scratch/wait.yaml" <<'EOF'
ruleset: wait
session: {key: user}
rules:
  - name: wait
    on: {after: 2m, since: x.start}
    then: [{tag: [waited]}]
  - name: seen
    on: x.start
    then: [{tag: [seen]}]
EOF
for u in 1 2 3 4 5 6; do
  echo "{\"time\":\"2026-11-23T10:00:00Z\",\"type\":\"x.start\",\"user\":\"u$u\"}"
done >"$scratch/wait.jsonl"
echo '{"time":"2026-11-23T10:30:00Z","type":"channel.down"}' >>"$scratch/wait.jsonl"
echo '{"time":"2026-11-23T10:01:00Z","type":"x.start","user":"u9"}' >>"$scratch/wait.jsonl"
compare "an event the engine refuses" "$scratch/wait.yaml" --events "$scratch/wait.jsonl"
compare "golden events, bad lines, reload" tests/golden/run/shop.yaml \
  --events tests/golden/run/events.jsonl \
  --reload-at 2026-11-23T10:01:00Z:tests/golden/run/shop_v2.yaml \
  --until 2026-11-23T15:00:00Z
if [[ $# -ge 2 ]]; then
  for rules in "$2"/rules_100.yaml "$2"/rules_1000.yaml; do
    compare "reference workload, $(basename "$rules")" "$rules" \
      --events "$2/events.jsonl" --until 2030-01-01T00:00:00Z
  done
fi

if ((failures > 0)); then
  echo "$failures failed"
  exit 1
fi
