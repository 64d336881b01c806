#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/*_fuzz.cc) with clang, AddressSanitizer
# and UndefinedBehaviorSanitizer, and runs each for SECONDS (default 30).
# Fails (exit 1) when a target finds a crash, a sanitizer report, a leak, a
# timeout or an out-of-memory; the input that did it is saved under
# build-fuzz/artifacts/ and the end of the target's log is printed.
#
# Usage: tools/fuzz.sh [SECONDS] [TARGET...]     e.g. tools/fuzz.sh 300 cel_parse_fuzz
#        tools/fuzz.sh --minutes N [--parallel P] [TARGET...]
# Replay an artifact: build-fuzz/cel_parse_fuzz build-fuzz/artifacts/cel_parse_fuzz-crash-...
#
# The first form is CI's smoke test (30 s each, one after the other). The
# second is the long mode (docs/reliability.md, "Fuzzing"): each target runs
# N minutes, P at a time (default 2), and its corpus lives OUTSIDE the
# repository and the build folder, in $SWITCHBOARD_FUZZ_CORPUS/TARGET
# (default ${XDG_CACHE_HOME:-~/.cache}/switchboard/fuzz-corpus), so it grows
# across runs and survives a clean build. At the end a table gives each
# target's executions, coverage (libFuzzer's cov and ft), corpus size and
# findings.
#
# Seeds are generated from the repository at every run (into
# build-fuzz/seeds/TARGET: rule files, CEL conformance expressions, events,
# test files), plus the few committed in tests/fuzz/seeds/TARGET. What the
# fuzzer finds is kept in build-fuzz/corpus/TARGET and reused by later runs.
# Dictionaries: tests/fuzz/TARGET.dict.
#
# Environment:
#   SWITCHBOARD_FUZZ_BUILD_DIR  build folder (default: build-fuzz; scripts/test
#                               uses build-asan, its sanitizer build)
#   CC, CXX                     compilers for a new build folder (default:
#                               clang, clang++)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

usage() {
  echo "usage: tools/fuzz.sh [SECONDS] [TARGET...]" >&2
  echo "       tools/fuzz.sh --minutes N [--parallel P] [TARGET...]" >&2
  exit 2
}
long=0
parallel=2
if [[ "${1:-}" == --minutes ]]; then
  long=1
  [[ "${2:-}" =~ ^[0-9]+$ ]] || usage
  seconds=$(($2 * 60))
  shift 2
  if [[ "${1:-}" == --parallel ]]; then
    [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || usage
    parallel=$2
    shift 2
  fi
else
  seconds=${1:-30}
  shift || true
  [[ "$seconds" =~ ^[0-9]+$ ]] || usage
fi
build=${SWITCHBOARD_FUZZ_BUILD_DIR:-build-fuzz}
[[ "$build" == /* ]] || build=$root/$build
# Where each target's corpus grows: the build folder for the smoke test,
# a folder outside the repository for the long mode.
corpus_root=$build/corpus
if ((long)); then
  corpus_root=${SWITCHBOARD_FUZZ_CORPUS:-${XDG_CACHE_HOME:-$HOME/.cache}/switchboard/fuzz-corpus}
  case "$corpus_root/" in
    "$root"/*) echo "fuzz: the long mode's corpus must be outside the repository" >&2; exit 2 ;;
  esac
fi

all_targets=()
for source in tests/fuzz/*_fuzz.cc; do
  all_targets+=("$(basename "$source" .cc)")
done
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=("${all_targets[@]}")
fi

# ---- build -------------------------------------------------------------------
# A new build folder gets the `fuzz` preset's settings; an existing one (CI
# uses build-asan, which also builds the tests) keeps its own and only gets
# the fuzz targets turned on.
echo "== fuzz: configure ($build)"
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  CC=${CC:-clang} CXX=${CXX:-clang++} cmake -S . -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g" \
    -DSWITCHBOARD_BUILD_FUZZERS=ON \
    -DSWITCHBOARD_BUILD_TESTS=OFF \
    -DSWITCHBOARD_BUILD_BENCHMARKS=OFF >/dev/null
else
  cmake -S . -B "$build" -DSWITCHBOARD_BUILD_FUZZERS=ON >/dev/null
fi
echo "== fuzz: build ${targets[*]}"
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"

# ---- seeds -------------------------------------------------------------------
seeds=$build/seeds
rm -rf "$seeds"
# add_seed TARGET LABEL: writes stdin to seed file LABEL (a source path,
# '/' made '_') of TARGET's seed folder.
add_seed() {
  cat >"$seeds/$1/${2//\//_}"
}
# add_seed_lines TARGET LABEL: one seed per non-empty line of stdin.
add_seed_lines() {
  local i=0 line
  while IFS= read -r line; do
    i=$((i + 1))
    [[ -n "$line" ]] && printf '%s' "$line" >"$seeds/$1/${2//\//_}-$i"
  done
  return 0
}
for target in "${all_targets[@]}"; do
  mkdir -p "$seeds/$target" "$corpus_root/$target"
  if [[ -d "tests/fuzz/seeds/$target" ]]; then
    cp tests/fuzz/seeds/"$target"/* "$seeds/$target/"
  fi
done
shopt -s nullglob
# Rule files.
for f in rules/*/*.yaml tests/data/diagnostics/*.yaml tests/golden/run/*.yaml \
         tests/data/rule_tests/*.yaml tests/data/hostile/rules/*.yaml; do
  add_seed ruleset_fuzz "$f" <"$f"
done
# CEL expressions: the conformance suite's, the parser's test data, the
# conditions of the rule packs.
cel_exprs() {
  grep -h '"expr":' tests/data/cel/parse/conformance_exprs.json \
    | sed -E 's/^ *"expr": "(.*)",?$/\1/; s/\\"/"/g; s/\\\\/\\/g'
  grep -hv -e '^#' -e '^!!' -e '^=>' tests/data/cel/parse/*.txt
  grep -h -E '^ *(if|- ")' rules/*/*.yaml | sed -E 's/^ *(if:|-) *//; s/^"(.*)"$/\1/'
}
cel_exprs | add_seed_lines cel_parse_fuzz cel
cel_exprs | add_seed_lines cel_check_fuzz cel
# Events: chunks of 25 lines of every events file.
for f in rules/*/events.jsonl rules/*/tests/*.jsonl tests/golden/run/*.jsonl \
         tests/data/rule_tests/*.jsonl tests/data/hostile/events/*.jsonl; do
  chunks=$build/chunks
  rm -rf "$chunks"
  mkdir -p "$chunks"
  split -l 25 "$f" "$chunks/part-"
  for part in "$chunks"/part-*; do
    add_seed jsonl_reader_fuzz "$f-${part##*/}" <"$part"
  done
  rm -rf "$chunks"
done
# Test files, their ruleset and events files renamed to the scratch folder's
# (rules.yaml, broken.yaml, events.jsonl).
for f in rules/*/tests/tests.yaml tests/data/rule_tests/*.yaml \
         tests/data/rule_tests/malformed/*.yaml; do
  sed -E -e 's#^( *(- )?ruleset:) *[^ ]*broken[^ ]*$#\1 broken.yaml#' \
         -e 's#^( *(- )?ruleset:) *[^ ]*/[^ ]*$#\1 rules.yaml#' \
         -e 's#^( *(- )?events_file:) .*$#\1 events.jsonl#' "$f" \
    | add_seed rule_test_fuzz "$f"
done
shopt -u nullglob

# ---- run -----------------------------------------------------------------------
artifacts=$build/artifacts
logs=$build/logs
mkdir -p "$artifacts" "$logs"
# Scratch files of the targets (rule_test_fuzz's folder).
export TMPDIR=$build/tmp
rm -rf "$TMPDIR"
mkdir -p "$TMPDIR"
failed=()
# fuzz_one TARGET: runs TARGET for $seconds; its exit status.
fuzz_one() {
  local target=$1 dict=() status=0
  if [[ -f "tests/fuzz/$target.dict" ]]; then
    dict=(-dict="tests/fuzz/$target.dict")
  fi
  # -timeout: one input taking longer is a finding (a hang);
  # -rss_limit_mb: so is using more memory than this.
  "$build/$target" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2560 \
    -print_final_stats=1 -artifact_prefix="$artifacts/$target-" "${dict[@]}" \
    "$corpus_root/$target" "$seeds/$target" >"$logs/$target.log" 2>&1 || status=$?
  return $status
}
# report TARGET STATUS: a failure's log, or the target's final figures.
report() {
  local target=$1 status=$2 log=$logs/$1.log
  if ((status != 0)); then
    echo "FAILED: $target (exit $status); its log ends:" >&2
    tail -n 40 "$log" >&2
    failed+=("$target")
  else
    grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$log" | tail -n 2 \
      | sed 's/^/   /'
  fi
}
if ((long)); then
  echo "== fuzz: ${#targets[@]} target(s), $((seconds / 60)) min each, $parallel at a time; corpus in $corpus_root"
  declare -A pids=()
  for target in "${targets[@]}"; do
    while (( $(jobs -rp | wc -l) >= parallel )); do wait -n || true; done
    echo "== fuzz: $target ($(ls "$corpus_root/$target" | wc -l) in its corpus)"
    fuzz_one "$target" &
    pids[$target]=$!
  done
  for target in "${targets[@]}"; do
    status=0
    wait "${pids[$target]}" || status=$?
    report "$target" "$status"
  done
  printf '\n%-20s %14s %8s %8s %8s %s\n' target executions cov ft corpus findings
  for target in "${targets[@]}"; do
    log=$logs/$target.log
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    done_line=$(grep -E '^#[0-9]+.*DONE' "$log" | tail -n 1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
    findings=0
    [[ " ${failed[*]} " == *" $target "* ]] && findings=1
    printf '%-20s %14s %8s %8s %8s %s\n' "$target" "${execs:-?}" "${cov:-?}" \
      "${ft:-?}" "$(ls "$corpus_root/$target" | wc -l)" "$findings"
  done
else
  for target in "${targets[@]}"; do
    echo "== fuzz: $target for ${seconds}s ($(ls "$seeds/$target" | wc -l) seeds," \
         "$(ls "$corpus_root/$target" | wc -l) in the corpus)"
    status=0
    fuzz_one "$target" || status=$?
    report "$target" "$status"
  done
fi
if ((${#failed[@]} > 0)); then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}; artifacts in $artifacts" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} target(s) ran ${seconds}s each without a finding"
