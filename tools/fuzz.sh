#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/*_fuzz.cc) with clang, AddressSanitizer
# and UndefinedBehaviorSanitizer, and runs each for SECONDS (default 30).
# Fails (exit 1) when a target finds a crash, a sanitizer report, a leak, a
# timeout or an out-of-memory; the input that did it is saved under
# build-fuzz/artifacts/ and the end of the target's log is printed.
#
# Usage: tools/fuzz.sh [SECONDS] [TARGET...]     e.g. tools/fuzz.sh 300 cel_parse_fuzz
# Replay an artifact: build-fuzz/cel_parse_fuzz build-fuzz/artifacts/cel_parse_fuzz-crash-...
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

seconds=${1:-30}
shift || true
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
  echo "usage: tools/fuzz.sh [SECONDS] [TARGET...]" >&2
  exit 2
fi
build=${SWITCHBOARD_FUZZ_BUILD_DIR:-build-fuzz}
[[ "$build" == /* ]] || build=$root/$build

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
  mkdir -p "$seeds/$target" "$build/corpus/$target"
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
for target in "${targets[@]}"; do
  dict=()
  if [[ -f "tests/fuzz/$target.dict" ]]; then
    dict=(-dict="tests/fuzz/$target.dict")
  fi
  log=$logs/$target.log
  echo "== fuzz: $target for ${seconds}s ($(ls "$seeds/$target" | wc -l) seeds," \
       "$(ls "$build/corpus/$target" | wc -l) in the corpus)"
  status=0
  # -timeout: one input taking longer is a finding (a hang);
  # -rss_limit_mb: so is using more memory than this.
  "$build/$target" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2560 \
    -print_final_stats=1 -artifact_prefix="$artifacts/$target-" "${dict[@]}" \
    "$build/corpus/$target" "$seeds/$target" >"$log" 2>&1 || status=$?
  if ((status != 0)); then
    echo "FAILED: $target (exit $status); its log ends:" >&2
    tail -n 40 "$log" >&2
    failed+=("$target")
  else
    grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$log" | tail -n 2 \
      | sed 's/^/   /'
  fi
done
if ((${#failed[@]} > 0)); then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}; artifacts in $artifacts" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} target(s) ran ${seconds}s each without a finding"
