#!/usr/bin/env bash
# clang-tidy over the project's own C++ (src/, server/, proxy/, bench/) with the
# checks in .clang-tidy; any warning fails. Skipped (77) without clang-tidy.
#
# usage: tests/clang_tidy.sh SOURCE_DIR BUILD_DIR   (BUILD_DIR holds compile_commands.json)
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 SOURCE_DIR BUILD_DIR" >&2
  exit 2
fi
src=$1 build=$2

tidy=$(command -v clang-tidy || command -v clang-tidy-14 || true)
if [ -z "$tidy" ]; then
  echo "SKIP: clang-tidy is not installed (Debian: apt-get install clang-tidy)"
  exit 77
fi
if [ ! -f "$build/compile_commands.json" ]; then
  echo "FAIL: no $build/compile_commands.json (CMAKE_EXPORT_COMPILE_COMMANDS)"
  exit 1
fi

cd "$src"
# The files this build compiles (src/engines/uring/*.cpp only when liburing was found).
files=()
shopt -s globstar
for f in src/**/*.cpp server/*.cpp proxy/*.cpp bench/*.cpp; do
  if grep -qF "\"file\": \"$PWD/$f\"" "$build/compile_commands.json"; then files+=("$f"); fi
done

# The compile commands are g++'s:
#  - clang does not know some of its warning flags (-Wno-mismatched-new-delete,
#    -Wno-restrict, -Wno-tsan), and they come with -Werror;
#  - Asio 1.18 enables co_await under clang only with libc++'s
#    <experimental/coroutine>; clang 14 and libstdc++ 12's <coroutine> work,
#    so say so.
extra=(--extra-arg=-Wno-unknown-warning-option --extra-arg=-DBOOST_ASIO_HAS_CO_AWAIT=1)

out=$(mktemp)
trap 'rm -f "$out"' EXIT
start=$SECONDS
status=0
printf '%s\n' "${files[@]}" |
  xargs -P "$(nproc)" -n 1 "$tidy" -p "$build" --quiet --warnings-as-errors='*' "${extra[@]}" >"$out" 2>&1 ||
  status=$?
echo "clang-tidy: ${#files[@]} files in $((SECONDS - start)) s ($("$tidy" --version | grep -o 'version [0-9.]*'))"
if [ "$status" -ne 0 ]; then
  # Drop the "N warnings generated." chatter; keep the findings with context.
  grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings' "$out" || true
  echo "FAIL: clang-tidy found the problems above (checks in .clang-tidy)"
  exit 1
fi
echo "clang-tidy: no findings"
