#!/usr/bin/env bash
# The packaging check (scripts/test runs it after the normal build): a
# fresh consumer builds and runs tests/package/consumer.cc against
#   1. the installed package, found by find_package(switchboard CONFIG);
#   2. the installed switchboard.pc, with pkg-config --static;
#   3. the source tree, by add_subdirectory, building none of the
#      project's tests, benchmarks or CLI.
#
#   tests/package/run.sh BUILD_DIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source_dir="$(cd "$here/../.." && pwd)"
build_dir="$(cd "$1" && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

echo "== package: install"
cmake --install "$build_dir" --prefix "$scratch/prefix" >"$scratch/install.log"
for f in lib/libswitchboard.a include/switchboard/engine.h bin/switchboard \
         lib/cmake/switchboard/switchboardConfig.cmake \
         lib/pkgconfig/switchboard.pc; do
  [[ -e "$scratch/prefix/$f" ]] || { echo "package: $f is not installed" >&2; exit 1; }
done
if [[ -d "$scratch/prefix/include/engine" ]]; then
  echo "package: engine internals were installed" >&2; exit 1
fi

echo "== package: find_package(switchboard CONFIG)"
cmake -S "$here/find_package" -B "$scratch/fp" "${generator[@]}" \
  -DCMAKE_PREFIX_PATH="$scratch/prefix" >"$scratch/fp.log" || {
  cat "$scratch/fp.log"; exit 1; }
cmake --build "$scratch/fp" >"$scratch/fp-build.log" 2>&1 || {
  cat "$scratch/fp-build.log"; exit 1; }
"$scratch/fp/consumer" >/dev/null

echo "== package: pkg-config --static switchboard"
flags="$(PKG_CONFIG_PATH="$scratch/prefix/lib/pkgconfig" \
         pkg-config --cflags --libs --static switchboard)"
# shellcheck disable=SC2086  # the flags are words
c++ -o "$scratch/pc-consumer" "$here/consumer.cc" $flags
"$scratch/pc-consumer" >/dev/null

echo "== package: add_subdirectory"
cmake -S "$here/add_subdirectory" -B "$scratch/as" "${generator[@]}" \
  -DSWITCHBOARD_SOURCE_DIR="$source_dir" \
  ${CMAKE_CXX_COMPILER_LAUNCHER:+-DCMAKE_CXX_COMPILER_LAUNCHER=$CMAKE_CXX_COMPILER_LAUNCHER} \
  >"$scratch/as.log" || { cat "$scratch/as.log"; exit 1; }
cmake --build "$scratch/as" -j"$(nproc)" >"$scratch/as-build.log" 2>&1 || {
  cat "$scratch/as-build.log"; exit 1; }
"$scratch/as/consumer" >/dev/null
built="$(find "$scratch/as/switchboard" -type f -perm -u+x \
         \( -name '*_test' -o -name 'switchboard' -o -name 'switchboard_bench' \
            -o -name cel_conformance \) | head -n 3)"
if [[ -n "$built" ]]; then
  echo "package: add_subdirectory built the project's own programs:" >&2
  echo "$built" >&2
  exit 1
fi
echo "== package: ok"
