#!/usr/bin/env bash
# clang-tidy over the project's own C++ (src/, server/, proxy/, bench/) with the
# checks in .clang-tidy; any warning fails. Skipped (77) without clang-tidy. A
# file found clean before with the same preprocessed text is not checked again.
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

# Files found clean before with the same preprocessed text and configuration
# are not checked again (tests/support/tidy_cache.py); the rest in parallel.
start=$SECONDS
status=0
/usr/bin/python3 "$src/tests/support/tidy_cache.py" "$tidy" "$build" "$src" "$(printf '%s\n' "${extra[@]}")" "${files[@]}" ||
  status=$?
echo "clang-tidy: $((SECONDS - start)) s ($("$tidy" --version | grep -o 'version [0-9.]*'))"
if [ "$status" -ne 0 ]; then
  echo "FAIL: clang-tidy found the problems above (checks in .clang-tidy)"
  exit 1
fi
echo "clang-tidy: no findings"
