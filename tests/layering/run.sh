#!/usr/bin/env bash
# layering_check (ctest): cmake/CheckLayering.cmake passes on the real tree
# and refuses a copy of it with one backward include (a file of engine/cel
# including engine/run), one public header including an engine header, a
# service file including an engine header, an engine file including a
# service header, and a CLI file including an engine header, naming each.
# The CLI including the service is allowed.
#
#   run.sh CMAKE SOURCE_DIR
set -euo pipefail
cmake_bin="$1" root="$2"
stages="common,cel,load,check,plan,route,run,io,authoring"
script="$root/cmake/CheckLayering.cmake"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

"$cmake_bin" -DROOT="$root" "-DSTAGES=$stages" -P "$script" >"$scratch/ok.log" 2>&1 || {
  cat "$scratch/ok.log"; echo "layering: the real tree fails the check" >&2; exit 1; }

mkdir -p "$scratch/tree"
cp -r "$root/engine" "$root/include" "$root/service" "$root/tools" "$scratch/tree/"
echo '#include "engine/run/engine_impl.h"' >>"$scratch/tree/engine/cel/ast.cc"
echo '#include "engine/check/checked_ruleset.h"' >>"$scratch/tree/include/switchboard/event.h"
echo '#include "engine/run/engine_impl.h"' >>"$scratch/tree/service/journal.cc"
echo '#include "service/journal.h"' >>"$scratch/tree/engine/io/line_reader.cc"
echo '#include "engine/io/fast_parse.h"' >>"$scratch/tree/tools/switchboard/cli.cc"
echo '#include "service/journal.h"' >>"$scratch/tree/tools/switchboard/check.cc"
if "$cmake_bin" -DROOT="$scratch/tree" "-DSTAGES=$stages" -P "$script" >"$scratch/bad.log" 2>&1; then
  echo "layering: a tree with backward includes passed the check" >&2; exit 1
fi
for want in "engine/cel/ast.cc:.*: error: includes engine/run/engine_impl.h" \
            "include/switchboard/event.h:.*: error: includes engine/check/checked_ruleset.h" \
            "service/journal.cc:.*: error: includes engine/run/engine_impl.h" \
            "engine/io/line_reader.cc:.*: error: includes service/journal.h" \
            "tools/switchboard/cli.cc:.*: error: includes engine/io/fast_parse.h" \
            "5 include(s) run against the stages"; do
  grep -q "$want" "$scratch/bad.log" || {
    cat "$scratch/bad.log"; echo "layering: missing '$want'" >&2; exit 1; }
done
echo "layering: ok"
