#!/usr/bin/env bash
# A brief run of every libFuzzer target: each replays its committed corpus
# (fuzz/corpus/NAME, which holds the regression inputs) and then fuzzes for a
# few seconds (FUZZ_BRIEF_SECONDS, default 4) from a scratch copy of it. Any
# crash, sanitizer report or failed property fails the test. Skipped (77)
# when clang++ cannot link a libFuzzer target (Debian: clang libclang-rt-dev).
#
# usage: tests/fuzz_brief.sh [BIN_DIR]
#   BIN_DIR holds fuzz_* binaries built by the fuzz preset; without it the
#   preset is configured and built here (build/fuzz). scripts/fuzz runs longer.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
seconds=${FUZZ_BRIEF_SECONDS:-4}
case "${1:-}" in
  -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
esac
if [ $# -gt 1 ]; then
  echo "usage: $0 [BIN_DIR]" >&2
  exit 2
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Can clang++ link a libFuzzer target here?
if ! command -v clang++ >/dev/null 2>&1; then
  echo "SKIP: clang++ is not installed (Debian: apt-get install clang libclang-rt-dev)"
  exit 77
fi
printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' >"$scratch/probe.cpp"
if ! clang++ -fsanitize=fuzzer,address,undefined "$scratch/probe.cpp" -o "$scratch/probe" 2>"$scratch/probe.err"; then
  echo "SKIP: clang++ cannot link -fsanitize=fuzzer (Debian: apt-get install libclang-rt-dev): $(head -n 1 "$scratch/probe.err")"
  exit 77
fi

if [ $# -eq 1 ]; then
  bin=$1
else
  start=$SECONDS
  (cd "$src" && cmake --preset fuzz >/dev/null && cmake --build --preset fuzz >"$scratch/build.log" 2>&1) || {
    tail -n 30 "$scratch/build.log"
    echo "FAIL: building the fuzz preset"
    exit 1
  }
  echo "built the fuzz preset in $((SECONDS - start)) s"
  bin=$src/build/fuzz/bin
fi

failed=()
for source in "$src"/fuzz/fuzz_*.cpp; do
  name=$(basename "$source" .cpp)
  t=${name#fuzz_}
  exe=$bin/$name
  if [ ! -x "$exe" ]; then
    echo "FAIL: $exe is missing"
    failed+=("$t")
    continue
  fi
  work=$scratch/corpus/$t
  mkdir -p "$work" "$scratch/crashes/$t"
  args=("$work" "$src/fuzz/corpus/$t" -max_total_time="$seconds" -timeout=20 -error_exitcode=1
        -timeout_exitcode=1 -print_final_stats=1 -artifact_prefix="$scratch/crashes/$t/")
  [ -f "$src/fuzz/$t.dict" ] && args+=(-dict="$src/fuzz/$t.dict")
  status=0
  "$exe" "${args[@]}" >"$scratch/$t.log" 2>&1 || status=$?
  runs=$(grep -a '^stat::number_of_executed_units:' "$scratch/$t.log" | awk '{print $2}')
  seeds=$(find "$src/fuzz/corpus/$t" -type f | wc -l)
  if [ "$status" -ne 0 ]; then
    failed+=("$t")
    echo "FAIL: $name (exit $status):"
    grep -a -E -A3 'fuzz property failed|ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)|runtime error' "$scratch/$t.log" | head -n 20 ||
      tail -n 30 "$scratch/$t.log"
    for c in "$scratch/crashes/$t"/*; do
      [ -f "$c" ] && echo "  crash input (base64): $(base64 -w0 "$c" | head -c 2000)"
    done
  else
    echo "ok: $name: $seeds seeds replayed, ${runs:-?} executions in ${seconds} s"
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAIL: ${failed[*]}"
  exit 1
fi
echo "PASS: every fuzz target replayed its corpus and fuzzed ${seconds} s without a crash"
