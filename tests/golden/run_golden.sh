#!/usr/bin/env bash
# The CLI's golden tests: runs the switchboard binary the way a user does and
# compares what it prints with the files under tests/golden/.
#
#   check/<pack>.expected         stdout of `switchboard check rules/<pack>`
#                                 (exit status 0, no warnings) for every
#                                 rules/*/ pack
#   check/broken/<name>.yaml      rulesets with mistakes (a file, or a folder
#   check/broken/<name>/          of files); `switchboard check` must exit 1
#   check/broken/<name>.expected  and print exactly .expected on stderr
#                                 (file:line:column diagnostics)
#   graph/<pack>.dot              stdout of `switchboard check rules/<pack> --graph`
#   usage                         bad command lines must exit 2
#   a missing ruleset             must exit 1 with a message naming it
#   run/<case>.args               dry runs: the arguments of `switchboard run`
#                                 (one line, split on blanks); optional
#   run/<case>.stdin              fed on stdin; expected exit status in
#   run/<case>.status             (default 0), stdout (the decisions) in
#   run/<case>.stdout             .stdout and stderr (bad lines, summary) in
#   run/<case>.stderr             .stderr without the "throughput:" line
#                                 (stdout must be JSON Lines unless the
#                                 arguments say --format text)
#   run/<case>.trace              with `--trace @TRACE@` in .args: the trace
#                                 file (JSON Lines, one per trigger)
#   diff/<case>.args              `switchboard diff` the same way: arguments,
#   diff/<case>.status            exit status (default 0), the differences
#   diff/<case>.stdout            on stdout, bad lines and the summary on
#   diff/<case>.stderr            stderr; diff/schema.* reads NEW from stdin
#   test/*.expected               `switchboard test` outputs
#   hostile input                 tests/data/hostile/: bad event lines reported
#                                 and counted, valid ones keep their decisions;
#                                 hostile rule files refused (section 11)
#
# Usage (from ctest, at the repository root):
#   bash tests/golden/run_golden.sh PATH_TO_switchboard
# UPDATE_GOLDEN=1 rewrites the expected files from the current output
# (review the diff before committing it).
set -uo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 PATH_TO_switchboard" >&2
  exit 2
fi
switchboard=$(realpath "$1")
cd "$(dirname "${BASH_SOURCE[0]}")/../.."  # paths below are from the repo root
golden=tests/golden
update=${UPDATE_GOLDEN:-0}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS  $1"; }
fail() { failed=$((failed + 1)); echo "FAIL  $1"; }

# compare NAME EXPECTED_FILE ACTUAL_FILE: diff, or rewrite with UPDATE_GOLDEN=1.
compare() {
  local name=$1 expected=$2 actual=$3
  if [[ "$update" == 1 ]]; then
    if ! cmp -s "$expected" "$actual" 2>/dev/null; then
      cp "$actual" "$expected"
      echo "      (updated $expected)"
    fi
    pass "$name"
  elif [[ ! -f "$expected" ]]; then
    fail "$name: no expected file $expected (run with UPDATE_GOLDEN=1)"
    sed 's/^/      | /' "$actual"
  elif diff -u --label "$expected" --label actual "$expected" "$actual" \
      >"$scratch/diff"; then
    pass "$name"
  else
    fail "$name: output differs from $expected"
    sed 's/^/      /' "$scratch/diff"
  fi
}

# expect_status NAME WANT GOT STDERR_FILE: false (and a FAIL) on a mismatch.
expect_status() {
  local name=$1 want=$2 got=$3 stderr=$4
  if [[ "$got" -ne "$want" ]]; then
    fail "$name: exit status $got, expected $want"
    sed 's/^/      stderr| /' "$stderr" | head -20
    return 1
  fi
}

# 1. Every shipped rule pack checks cleanly.
for pack in rules/*/; do
  pack=${pack%/}
  name=$(basename "$pack")
  "$switchboard" check "$pack" >"$scratch/out" 2>"$scratch/err"
  status=$?
  expect_status "check $pack" 0 "$status" "$scratch/err" || continue
  if [[ -s "$scratch/err" ]]; then  # shipped packs check without warnings
    fail "check $pack: warnings on stderr"
    sed 's/^/      stderr| /' "$scratch/err"
    continue
  fi
  compare "check $pack" "$golden/check/$name.expected" "$scratch/out"
done

# 2. Broken rulesets (files and folders): exit 1 and the exact diagnostics
# on stderr.
for ruleset in "$golden"/check/broken/*.yaml "$golden"/check/broken/*/; do
  [[ -e "$ruleset" ]] || continue
  ruleset=${ruleset%/}
  "$switchboard" check "$ruleset" >"$scratch/out" 2>"$scratch/err"
  status=$?
  expect_status "check $ruleset" 1 "$status" "$scratch/err" || continue
  compare "check $ruleset" "${ruleset%.yaml}.expected" "$scratch/err"
done

# 3. The rule graph as Graphviz DOT.
for pack in rules/cart_abandonment rules/skill_routing; do
  name=$(basename "$pack")
  "$switchboard" check "$pack" --graph >"$scratch/out" 2>"$scratch/err"
  status=$?
  expect_status "graph $pack" 0 "$status" "$scratch/err" || continue
  if ! grep -q '^digraph' "$scratch/out"; then
    fail "graph $pack: no 'digraph' in the output"
    head -5 "$scratch/out" | sed 's/^/      | /'
    continue
  fi
  compare "graph $pack" "$golden/graph/$name.dot" "$scratch/out"
done

# 4. Bad command lines: exit 2, with a message on stderr.
usage_cases=(
  ""                                   # no command
  "frobnicate"                         # unknown command
  "check"                              # check without RULES
  "check rules/after_hours --bogus"    # unknown flag
  "check rules/after_hours rules/response_time"  # two rulesets
  "run"                                # run without RULES
  "run tests/golden/run/shop.yaml"     # run without --events
  "run tests/golden/run/shop.yaml --events"  # --events without a value
  "run tests/golden/run/shop.yaml --events - --until yesterday"  # bad time
  "run tests/golden/run/shop.yaml --events - --bogus"  # unknown flag
  "run tests/golden/run/shop.yaml --events - --format yaml"  # bad format
  "run - --events -"                   # stdin twice
  "run tests/golden/run/shop.yaml --events - --trace"  # --trace without FILE
  "diff"                               # diff without rulesets
  "diff tests/golden/run/shop.yaml"    # one ruleset
  "diff tests/golden/run/shop.yaml tests/golden/run/shop.yaml"  # no --events
  "diff tests/golden/run/shop.yaml - --events -"  # stdin twice
  "diff tests/golden/run/shop.yaml tests/golden/run/shop.yaml --events - --format csv"
  "test --bogus tests/data/rule_tests/passing.yaml"  # unknown flag
)
for args in "${usage_cases[@]}"; do
  # shellcheck disable=SC2086  # word splitting is intended
  "$switchboard" $args >"$scratch/out" 2>"$scratch/err" </dev/null
  status=$?
  expect_status "usage: switchboard $args" 2 "$status" "$scratch/err" || continue
  if [[ ! -s "$scratch/err" ]]; then
    fail "usage: switchboard $args: exit 2 but nothing on stderr"
    continue
  fi
  pass "usage: switchboard $args"
done

# 5. A ruleset that does not exist: exit 1, and stderr names the path.
missing=tests/golden/check/no_such_ruleset.yaml
"$switchboard" check "$missing" >"$scratch/out" 2>"$scratch/err"
status=$?
if expect_status "check $missing" 1 "$status" "$scratch/err"; then
  if grep -qF "$missing" "$scratch/err"; then
    pass "check $missing"
  else
    fail "check $missing: stderr does not name the path"
    sed 's/^/      stderr| /' "$scratch/err"
  fi
fi

# 6. Dry runs (`switchboard run`): decisions on stdout, bad lines and the
# summary on stderr. The summary's "throughput:" line depends on timing: it
# must be there, and is left out of the comparison.
for args_file in "$golden"/run/*.args; do
  [[ -e "$args_file" ]] || continue
  case=${args_file%.args}
  name="run $(basename "$case")"
  read -r args <"$args_file"
  args=${args//@TRACE@/$scratch/trace}
  rm -f "$scratch/trace"
  stdin=/dev/null
  [[ -f "$case.stdin" ]] && stdin=$case.stdin
  # shellcheck disable=SC2086  # word splitting is intended
  "$switchboard" run $args <"$stdin" >"$scratch/out" 2>"$scratch/err_raw"
  status=$?
  grep -v '^throughput: ' "$scratch/err_raw" >"$scratch/err"
  want=0
  [[ -f "$case.status" ]] && want=$(<"$case.status")
  expect_status "$name" "$want" "$status" "$scratch/err" || continue
  if ! grep -q '^throughput: [0-9]* lines in ' "$scratch/err_raw"; then
    fail "$name: no 'throughput:' line on stderr"
    continue
  fi
  if [[ " $args " != *" --format text "* ]] && command -v python3 >/dev/null &&
      ! python3 -c 'import json, sys
for line in sys.stdin: json.loads(line)' <"$scratch/out" 2>"$scratch/json"; then
    fail "$name: stdout is not JSON Lines"
    sed 's/^/      | /' "$scratch/json" | tail -3
    continue
  fi
  compare "$name (stdout)" "$case.stdout" "$scratch/out"
  compare "$name (stderr)" "$case.stderr" "$scratch/err"
  if [[ -f "$case.trace" || " $args " == *" $scratch/trace "* ]]; then
    if command -v python3 >/dev/null &&
        ! python3 -c 'import json, sys
for line in sys.stdin: json.loads(line)' <"$scratch/trace" 2>"$scratch/json"; then
      fail "$name: the trace is not JSON Lines"
      sed 's/^/      | /' "$scratch/json" | tail -3
      continue
    fi
    compare "$name (trace)" "$case.trace" "$scratch/trace"
  fi
done

# 7. run with a ruleset that has errors, or an events file that does not
# exist: exit 1, and stderr says why.
"$switchboard" run tests/golden/check/broken/typos.yaml \
    --events tests/golden/run/events.jsonl >"$scratch/out" 2>"$scratch/err"
status=$?
if expect_status "run (broken ruleset)" 1 "$status" "$scratch/err"; then
  if grep -q ': error: ' "$scratch/err" && [[ ! -s "$scratch/out" ]]; then
    pass "run (broken ruleset)"
  else
    fail "run (broken ruleset): no diagnostics on stderr, or output on stdout"
  fi
fi
missing=tests/golden/run/no_such_events.jsonl
"$switchboard" run tests/golden/run/shop.yaml --events "$missing" \
    >"$scratch/out" 2>"$scratch/err"
status=$?
if expect_status "run --events $missing" 1 "$status" "$scratch/err"; then
  if grep -qF "$missing" "$scratch/err"; then
    pass "run --events $missing"
  else
    fail "run --events $missing: stderr does not name the path"
    sed 's/^/      stderr| /' "$scratch/err"
  fi
fi

# 7b. Typos get "did you mean" (exit 2) and the command's usage; `check -`
# reads the ruleset from stdin; a missing events file gets no summary.
# expect_stderr NAME STATUS TEXT CMD...: CMD (with this function's stdin)
# must exit STATUS with the fixed string TEXT on stderr.
expect_stderr() {
  local name=$1 want=$2 text=$3
  shift 3
  "$@" >"$scratch/out" 2>"$scratch/err"
  local status=$?
  expect_status "$name" "$want" "$status" "$scratch/err" || return
  if grep -qF -- "$text" "$scratch/err"; then
    pass "$name"
  else
    fail "$name: stderr does not say: $text"
    sed 's/^/      stderr| /' "$scratch/err" | head -5
  fi
}
expect_stderr "usage: switchboard chek (did you mean)" 2 \
  "unknown command 'chek'; did you mean 'check'?" \
  "$switchboard" chek rules/after_hours </dev/null
expect_stderr "usage: switchboard run --explian (did you mean)" 2 \
  "unknown option '--explian'; did you mean '--explain'?" \
  "$switchboard" run tests/golden/run/shop.yaml --events - --explian </dev/null
expect_stderr "usage: switchboard run --explian (run's usage)" 2 \
  "usage: switchboard run RULES --events FILE|-" \
  "$switchboard" run tests/golden/run/shop.yaml --events - --explian </dev/null
expect_stderr "check - (stdin, broken): diagnostics name <stdin>" 1 \
  "<stdin>:22:15: error: unknown attribute 'intnet'" \
  "$switchboard" check - <tests/golden/check/broken/typos.yaml
"$switchboard" check - <rules/after_hours/hours.yaml >"$scratch/out" 2>"$scratch/err"
status=$?
if expect_status "check - (stdin)" 0 "$status" "$scratch/err"; then
  compare "check - (stdin)" "$golden/check/after_hours.expected" "$scratch/out"
fi
"$switchboard" run tests/golden/run/shop.yaml --events "$missing" \
    >"$scratch/out" 2>"$scratch/err"
if grep -q '^events: ' "$scratch/err"; then
  fail "run --events $missing: a summary was printed"
  sed 's/^/      stderr| /' "$scratch/err"
else
  pass "run --events $missing: no summary"
fi

# 7c. `switchboard diff OLD NEW --events FILE` (docs/cli.md): the cases of
# diff/<case>.args. diff/cart_abandonment_v2.yaml is the cart pack with its
# high-value threshold lowered from 250 to 200, exactly as sed makes it.
if sed 's/250/200/g' rules/cart_abandonment/cart.yaml |
    cmp -s - "$golden/diff/cart_abandonment_v2.yaml"; then
  pass "diff: cart_abandonment_v2.yaml is the pack with 250 -> 200"
else
  fail "diff: $golden/diff/cart_abandonment_v2.yaml is not the pack with 250" \
    "-> 200 (regenerate: sed 's/250/200/g' rules/cart_abandonment/cart.yaml" \
    ">$golden/diff/cart_abandonment_v2.yaml)"
fi
# diff_case NAME STDIN ARGS...: runs `switchboard diff ARGS` and compares.
diff_case() {
  local case=$1 stdin=$2
  shift 2
  local name="diff $(basename "$case")"
  "$switchboard" diff "$@" <"$stdin" >"$scratch/out" 2>"$scratch/err"
  local status=$? want=0
  [[ -f "$case.status" ]] && want=$(<"$case.status")
  expect_status "$name" "$want" "$status" "$scratch/err" || return
  compare "$name (stdout)" "$case.stdout" "$scratch/out"
  compare "$name (stderr)" "$case.stderr" "$scratch/err"
}
for args_file in "$golden"/diff/*.args; do
  [[ -e "$args_file" ]] || continue
  read -r args <"$args_file"
  # shellcheck disable=SC2086  # word splitting is intended
  diff_case "${args_file%.args}" /dev/null $args
done
# NEW from stdin: the shop with `tier` an int, so NEW rejects the line whose
# tier is a string (reported and counted for NEW only).
sed -e 's/^  tier: string$/  tier: int/' -e "s/event.tier == 'gold'/event.tier == 1/" \
  tests/golden/run/shop.yaml >"$scratch/tier_int.yaml"
diff_case "$golden/diff/schema" "$scratch/tier_int.yaml" \
  tests/golden/run/shop.yaml - --events tests/golden/run/events.jsonl \
  --until 2026-11-23T12:00:00Z --format text
# A ruleset that does not load, or events that cannot be read: exit 2 (as
# diff(1)), no summary.
for args in "tests/golden/check/broken/typos.yaml tests/golden/run/shop.yaml --events tests/golden/run/events.jsonl" \
            "tests/golden/run/shop.yaml tests/golden/run/shop.yaml --events $missing"; do
  # shellcheck disable=SC2086
  "$switchboard" diff $args >"$scratch/out" 2>"$scratch/err"
  status=$?
  if expect_status "diff (trouble): $args" 2 "$status" "$scratch/err"; then
    if grep -q '^decisions: ' "$scratch/err" || [[ -s "$scratch/out" ]]; then
      fail "diff (trouble): $args: a summary or differences were printed"
    else
      pass "diff (trouble): $args"
    fi
  fi
done

# 8. The rule packs' example streams: for every rules/<pack>/events.jsonl,
# `switchboard run rules/<pack> --events rules/<pack>/events.jsonl` plus the
# options in packs/<pack>.args (one line, e.g. `--until TIME`) must exit 0
# with no bad lines, print exactly packs/<pack>.decisions on stdout and
# packs/<pack>.summary on stderr (without the "throughput:" line). The
# stream must be what the pack's gen_events.py writes (when python3 exists),
# so a generator change without a regenerated stream is caught.
for events in rules/*/events.jsonl; do
  [[ -e "$events" ]] || continue
  pack_dir=${events%/events.jsonl}
  pack=$(basename "$pack_dir")
  name="pack $pack"
  pack_args=""
  [[ -f "$golden/packs/$pack.args" ]] && read -r pack_args <"$golden/packs/$pack.args"
  if [[ -f "$pack_dir/gen_events.py" ]] && command -v python3 >/dev/null; then
    if python3 "$pack_dir/gen_events.py" >"$scratch/generated" 2>"$scratch/err" &&
        cmp -s "$scratch/generated" "$events"; then
      pass "$name: events.jsonl matches gen_events.py"
    else
      fail "$name: $events differs from what gen_events.py writes" \
        "(regenerate: python3 $pack_dir/gen_events.py >$events)"
      sed 's/^/      stderr| /' "$scratch/err" | head -5
    fi
  fi
  # shellcheck disable=SC2086  # word splitting is intended
  "$switchboard" run "$pack_dir" --events "$events" $pack_args \
      >"$scratch/out" 2>"$scratch/err_raw"
  status=$?
  grep -v '^throughput: ' "$scratch/err_raw" >"$scratch/err"
  expect_status "$name" 0 "$status" "$scratch/err" || continue
  if ! grep -qx 'bad lines: 0' "$scratch/err"; then
    fail "$name: the stream has bad lines"
    grep ': error: ' "$scratch/err" | head -5 | sed 's/^/      stderr| /'
    continue
  fi
  compare "$name (decisions)" "$golden/packs/$pack.decisions" "$scratch/out"
  compare "$name (summary)" "$golden/packs/$pack.summary" "$scratch/err"
done

# 9. `switchboard test` (rule authors' tests, docs/testing.md): the passing
# fixture file must exit 0 and end with "4 passed, 0 failed"; the failing one
# must exit 1 and print exactly test/failing.expected on stdout; with
# --coverage, the passing one and test/partial.yaml (which leaves rules
# untested) print test/coverage.expected, partial.yaml alone
# test/partial.expected.
"$switchboard" test tests/data/rule_tests/passing.yaml \
    >"$scratch/out" 2>"$scratch/err"
status=$?
if expect_status "test passing.yaml" 0 "$status" "$scratch/err"; then
  if [[ "$(tail -n 1 "$scratch/out")" == "4 passed, 0 failed" ]]; then
    pass "test passing.yaml"
  else
    fail "test passing.yaml: last line is not '4 passed, 0 failed'"
    sed 's/^/      | /' "$scratch/out"
  fi
fi
"$switchboard" test tests/data/rule_tests/failing.yaml \
    >"$scratch/out" 2>"$scratch/err"
status=$?
if expect_status "test failing.yaml" 1 "$status" "$scratch/err"; then
  compare "test failing.yaml (stdout)" "$golden/test/failing.expected" \
    "$scratch/out"
fi
"$switchboard" test --coverage tests/data/rule_tests/passing.yaml \
    "$golden/test/partial.yaml" >"$scratch/out" 2>"$scratch/err"
status=$?
if expect_status "test --coverage" 0 "$status" "$scratch/err"; then
  compare "test --coverage (stdout)" "$golden/test/coverage.expected" \
    "$scratch/out"
fi
"$switchboard" test --coverage "$golden/test/partial.yaml" \
    >"$scratch/out" 2>"$scratch/err"
status=$?
if expect_status "test --coverage partial.yaml" 0 "$status" "$scratch/err"; then
  compare "test --coverage partial.yaml (stdout)" \
    "$golden/test/partial.expected" "$scratch/out"
fi

# 9b. `switchboard test --trace FILE`: the engine's trace of each failed
# test (test/failing.trace); passing tests leave none.
"$switchboard" test tests/data/rule_tests/failing.yaml --trace "$scratch/trace" \
    >"$scratch/out" 2>"$scratch/err"
status=$?
if expect_status "test failing.yaml --trace" 1 "$status" "$scratch/err"; then
  compare "test failing.yaml --trace" "$golden/test/failing.trace" \
    "$scratch/trace"
fi
"$switchboard" test tests/data/rule_tests/passing.yaml --trace "$scratch/trace" \
    >"$scratch/out" 2>"$scratch/err"
status=$?
if expect_status "test passing.yaml --trace" 0 "$status" "$scratch/err"; then
  if [[ -s "$scratch/trace" ]]; then
    fail "test passing.yaml --trace: a trace for passing tests"
  else
    pass "test passing.yaml --trace: empty"
  fi
fi

# 10. The rule packs' own tests (rules/<pack>/tests/tests.yaml, in a
# subfolder so that the folder ruleset does not load them; docs/testing.md):
# every pack has one, and `switchboard test rules --coverage` (all packs at
# once) must exit 0, end with "N passed, 0 failed" for some N > 0, and print
# test/rules.expected (each pack's coverage included).
for dir in rules/*/; do
  if [[ ! -f "${dir}tests/tests.yaml" ]]; then
    fail "test rules: ${dir} has no tests/tests.yaml"
  fi
done
"$switchboard" test rules --coverage >"$scratch/out" 2>"$scratch/err"
status=$?
if expect_status "test rules" 0 "$status" "$scratch/err"; then
  if [[ "$(tail -n 1 "$scratch/out")" =~ ^[1-9][0-9]*\ passed,\ 0\ failed$ ]]; then
    pass "test rules ($(tail -n 1 "$scratch/out"))"
  else
    fail "test rules: last line is not 'N passed, 0 failed'"
    sed 's/^/      | /' "$scratch/out"
  fi
  compare "test rules --coverage (stdout)" "$golden/test/rules.expected" \
    "$scratch/out"
else
  grep -A8 '^FAIL' "$scratch/out" | head -40 | sed 's/^/      | /'
fi

# 11. Hostile input (tests/data/hostile/, docs/reliability.md; the library
# side is tests/io/hostile_test.cc, which pins the same files).
# a) The hostile events file: exit 0; each bad line reported on stderr as
#    FILE:LINE: error: MESSAGE exactly as hostile.errors lists them, counted
#    in the summary; the decisions are those of the valid lines alone
#    (hostile.decisions).
hostile=tests/data/hostile/events
"$switchboard" run "$hostile/ruleset.yaml" --events "$hostile/hostile.jsonl" \
  --until 2026-11-23T12:00:00Z >"$scratch/out" 2>"$scratch/err"
status=$?
if expect_status "run hostile.jsonl" 0 "$status" "$scratch/err"; then
  compare "run hostile.jsonl (decisions)" "$hostile/hostile.decisions" \
    "$scratch/out"
  grep ': error: ' "$scratch/err" >"$scratch/errors"
  sed "s#^\([0-9]*\): #$hostile/hostile.jsonl:\1: error: #" \
    "$hostile/hostile.errors" >"$scratch/want_errors"
  compare "run hostile.jsonl (bad lines)" "$scratch/want_errors" \
    "$scratch/errors"
  if grep -qx "bad lines: $(wc -l <"$hostile/hostile.errors")" "$scratch/err"; then
    pass "run hostile.jsonl (bad lines counted)"
  else
    fail "run hostile.jsonl: the summary does not count every bad line"
    sed 's/^/      | /' "$scratch/err" | tail -n 20
  fi
fi
# b) A 3 MiB line (generated) between valid lines, and a last line without
#    a newline: the long line is skipped with its length, the others decide.
{
  echo '{"time":"2026-11-23T10:00:00Z","type":"cart.updated","visitor":"a","cart_items":1}'
  printf '{"time":"2026-11-23T10:00:01Z","type":"cart.updated","visitor":"b","intent":"'
  head -c $((3 << 20)) /dev/zero | tr '\0' x
  echo '"}'
  printf '{"time":"2026-11-23T10:00:02Z","type":"message.received","visitor":"c","intent":"billing"}'
} >"$scratch/huge.jsonl"
"$switchboard" run "$hostile/ruleset.yaml" --events "$scratch/huge.jsonl" \
  >"$scratch/out" 2>"$scratch/err"
status=$?
if expect_status "run huge line" 0 "$status" "$scratch/err"; then
  if grep -q "huge.jsonl:2: error: line too long: 3145807 bytes (the limit is 1048576)" \
       "$scratch/err" && grep -qx "bad lines: 1" "$scratch/err" &&
     [[ $(grep -c '"session":"a"' "$scratch/out") -eq 1 &&
        $(grep -c '"session":"c"' "$scratch/out") -eq 1 ]]; then
    pass "run huge line"
  else
    fail "run huge line: expected line 2 refused, lines 1 and 3 decided"
    sed 's/^/      | /' "$scratch/err" | cut -c1-200 | head -n 20
  fi
fi
# c) --strict stops at the first bad line (line 5 of the hostile file).
"$switchboard" run "$hostile/ruleset.yaml" --events "$hostile/hostile.jsonl" \
  --strict >"$scratch/out" 2>"$scratch/err"
status=$?
if expect_status "run hostile.jsonl --strict" 1 "$status" "$scratch/err"; then
  if [[ $(grep -c ': error: ' "$scratch/err") -eq 1 ]] &&
     grep -q "hostile.jsonl:5: error: " "$scratch/err"; then
    pass "run hostile.jsonl --strict"
  else
    fail "run hostile.jsonl --strict: expected one error, at line 5"
    sed 's/^/      | /' "$scratch/err" | head -n 20
  fi
fi
# d) Hostile rule files: check exits 1 with file:line:column errors, and run
#    never starts (no decision).
for rules in tests/data/hostile/rules/*.yaml; do
  name=$(basename "$rules" .yaml)
  [[ "$name" == ok_* ]] && continue
  "$switchboard" check "$rules" >"$scratch/out" 2>"$scratch/err"
  status=$?
  if expect_status "check hostile $name" 1 "$status" "$scratch/err"; then
    if grep -q "^$rules:[0-9]*:[0-9]*: error: " "$scratch/err" &&
       ! grep ': error: ' "$scratch/err" | grep -qv "^$rules:[0-9]*:[0-9]*: error: "; then
      pass "check hostile $name"
    else
      fail "check hostile $name: an error without file:line:column"
      sed 's/^/      | /' "$scratch/err" | cut -c1-200 | head -n 20
    fi
  fi
  "$switchboard" run "$rules" --events "$hostile/hostile.jsonl" \
    >"$scratch/out" 2>"$scratch/err"
  status=$?
  if expect_status "run hostile $name" 1 "$status" "$scratch/err"; then
    if [[ -s "$scratch/out" ]]; then
      fail "run hostile $name: decisions from a ruleset that failed to load"
    else
      pass "run hostile $name"
    fi
  fi
done

# 12. Failed writes (docs/cli.md, "Exit status"): every command whose
#     standard output cannot be written says so on stderr and exits 3,
#     whether stdout is full (/dev/full) or closed; check --graph does not
#     say "ok"; run stops reading soon after its output fails.
write_cases=(
  "check rules/after_hours"
  "check rules/after_hours --graph"
  "test rules/cart_abandonment"
  "run rules/cart_abandonment --events rules/cart_abandonment/events.jsonl"
  "version"
  "--help"
  "help run"
)
for args in "${write_cases[@]}"; do
  for target in full closed; do
    if [[ $target == full ]]; then
      # shellcheck disable=SC2086  # word splitting is intended
      "$switchboard" $args >/dev/full 2>"$scratch/err"
    else
      # shellcheck disable=SC2086
      "$switchboard" $args >&- 2>"$scratch/err"
    fi
    status=$?
    name="write error ($target): switchboard $args"
    expect_status "$name" 3 "$status" "$scratch/err" || continue
    if ! grep -q "^switchboard: cannot write to standard output: " "$scratch/err"; then
      fail "$name: stderr does not say the write failed"
      sed 's/^/      | /' "$scratch/err" | head -5
    elif grep -q "^ok: " "$scratch/err"; then
      fail "$name: stderr says ok"
    else
      pass "$name"
    fi
  done
done
# run to /dev/full on a long stream that decides on every line: it stops
# reading long before the end (the summary's line count), instead of
# processing everything.
python3 - >"$scratch/long.jsonl" <<'PY'
for i in range(200000):
    print('{"time":"2026-11-23T10:00:00Z","type":"page.view","visitor":"v%d"}' % (i % 100))
PY
cat >"$scratch/tag.yaml" <<'YAML'
ruleset: tagger
session: {key: visitor}
rules:
  - {name: tag-views, on: page.view, then: [{tag: [viewed]}]}
YAML
"$switchboard" run "$scratch/tag.yaml" --events "$scratch/long.jsonl" \
  >/dev/full 2>"$scratch/err"
status=$?
if expect_status "run to /dev/full stops" 3 "$status" "$scratch/err"; then
  lines=$(sed -n 's/^throughput: \([0-9]*\) lines.*/\1/p' "$scratch/err")
  if [[ -n "$lines" && "$lines" -lt 100000 ]]; then
    pass "run to /dev/full stops reading ($lines of 200000 lines read)"
  else
    fail "run to /dev/full read ${lines:-?} of 200000 lines"
  fi
fi

# 13. Files read whole are bounded (docs/reliability.md, "Limits"): a
#     snapshot that is not one (/dev/zero, random bytes) is refused from its
#     header at once; one whose header declares more than the limit is
#     refused naming the limit; neither is read to the end.
for snap in /dev/zero /dev/urandom; do
  timeout 20 "$switchboard" run tests/golden/run/shop.yaml \
    --events tests/golden/run/events.jsonl --snapshot-in "$snap" \
    >"$scratch/out" 2>"$scratch/err"
  status=$?
  if expect_status "snapshot-in $snap" 1 "$status" "$scratch/err"; then
    if grep -q "cannot restore the snapshot '$snap': not a switchboard snapshot" "$scratch/err"; then
      pass "snapshot-in $snap"
    else
      fail "snapshot-in $snap: no clear error"
      sed 's/^/      | /' "$scratch/err" | head -5
    fi
  fi
done
# "SWBSNAP", version 1, a payload length of 2^40 (varint), then nothing.
printf 'SWBSNAP\x01\x80\x80\x80\x80\x80\x20' >"$scratch/huge.snap"
"$switchboard" run tests/golden/run/shop.yaml \
  --events tests/golden/run/events.jsonl --snapshot-in "$scratch/huge.snap" \
  >"$scratch/out" 2>"$scratch/err"
status=$?
if expect_status "snapshot-in huge header" 1 "$status" "$scratch/err"; then
  if grep -q "more than the limit of 1073741824" "$scratch/err"; then
    pass "snapshot-in huge header"
  else
    fail "snapshot-in huge header: the limit is not named"
    sed 's/^/      | /' "$scratch/err" | head -5
  fi
fi

echo
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
