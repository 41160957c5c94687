#!/usr/bin/env bash
# No finished result is lost (issue: results written as they are made):
#   1. SIGKILL a benchmark binary mid-run: its finished rows are on disk;
#   2. kill its echo server mid-run: the finished rows are kept, the
#      interrupted benchmark is an errored row that keeps its counters;
#   3. SIGINT scripts/bench during its third group: exit 130, the merged
#      results hold the finished groups, name the unfinished ones.
# In each case compare.py and plot.py work on the merged file.
# usage: tests/results_kept.sh BIN_DIR     (the dir holding tcp_churn)
set -uo pipefail

if [ $# -lt 1 ] || [ ! -x "$1/tcp_churn" ]; then
  echo "usage: $0 BIN_DIR (with tcp_churn and sockchurn-echo)" >&2
  exit 2
fi
bin=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
py=/usr/bin/python3

# Waits (at most $2 s) until file $1 holds $3 finished iteration rows.
wait_rows() {
  local deadline=$((SECONDS + $2))
  while [ $SECONDS -lt "$deadline" ]; do
    [ "$(grep -c '"run_type": "iteration"' "$1" 2>/dev/null || true)" -ge "$3" ] 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# compare.py and plot.py on a merged file.
tools_work() {
  local name=$1 file=$2
  if ! $py "$top/scripts/compare.py" "$file" >"$work/compare.out" 2>&1; then
    fail "$name: compare.py: $(tail -2 "$work/compare.out")"; return 1
  fi
  if ! $py "$top/scripts/plot.py" "$file" -o "$work/plots-$name" >"$work/plot.out" 2>&1; then
    fail "$name: plot.py: $(tail -2 "$work/plot.out")"; return 1
  fi
  return 0
}

# Merges one part (possibly cut short) and counts its rows.
merged_rows() {
  rm -f "$work/merged.json"
  $py "$top/scripts/merge_results.py" "$1" -o "$work/merged.json" 2>/dev/null || { echo -1; return; }
  $py -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(r.get("run_type")=="iteration" for r in d["benchmarks"]))' "$work/merged.json"
}

# 1. SIGKILL of the benchmark binary after two finished rows.
"$bin/tcp_churn" --threads=1 --benchmark_min_time=0.2 --benchmark_repetitions=3 \
  --benchmark_filter='fresh_linger0/closer:client|reuse_unspec/closer:client/port:ephemeral' \
  --benchmark_out="$work/killed.json" --benchmark_out_format=json >/dev/null 2>&1 &
pid=$!
if wait_rows "$work/killed.json" 30 2; then
  kill -KILL "$pid"; wait "$pid" 2>/dev/null
  pkill -KILL -P "$pid" 2>/dev/null
  n=$(merged_rows "$work/killed.json")
  if [ "$n" -ge 2 ] && tools_work sigkill "$work/merged.json"; then
    pass "SIGKILL mid-run: $n finished rows kept and readable"
  else
    [ "$n" -ge 2 ] || fail "SIGKILL mid-run: $n rows after merging"
  fi
else
  kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  fail "SIGKILL mid-run: no two rows within 30 s"
fi

# 2. The echo server killed after two finished rows.
"$bin/tcp_churn" --threads=1 --benchmark_min_time=0.2 --benchmark_repetitions=3 --stall-timeout=2 \
  --benchmark_filter='fresh_linger0/closer:client|reuse_unspec/closer:client/port:ephemeral' \
  --benchmark_out="$work/echo.json" --benchmark_out_format=json >/dev/null 2>"$work/echo.err" &
pid=$!
if wait_rows "$work/echo.json" 30 2; then
  pkill -KILL -x -P "$pid" sockchurn-echo
  wait "$pid"; rc=$?
  n=$(merged_rows "$work/echo.json")
  errored=$($py -c '
import json, sys
rows = [r for r in json.load(open(sys.argv[1]))["benchmarks"] if r.get("error_occurred")]
print(" ".join("%d:%d" % (r.get("exchanges", -1), r.get("errors", -1)) for r in rows))' "$work/merged.json" 2>/dev/null)
  if [ "$rc" -ne 0 ] && [ "$n" -ge 2 ] && [[ $errored =~ ^[0-9]+:[1-9] ]] && tools_work echo-killed "$work/merged.json"; then
    pass "echo server killed: exit $rc, $n rows kept, errored rows (exchanges:errors) $errored"
  else
    fail "echo server killed: exit $rc, $n rows, errored '$errored': $(grep tcp_churn "$work/echo.err" | tail -2)"
  fi
else
  kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  fail "echo server killed: no two rows within 30 s"
fi

# 3. SIGINT to scripts/bench (its whole process group, as Ctrl-C does)
# during its third group.
# `env --default-signal=INT`: a background job of a script starts with SIGINT
# ignored, and a signal ignored at entry cannot be trapped.
setsid env --default-signal=INT "$top/scripts/bench" --repetitions 2 --min-time 0.2 --placement same --threads 1 --no-plots \
  --filter '^tcp/(fresh_close|fresh_linger0|reuse_unspec)/closer:client/|^tcp/keepalive' \
  -o "$work/suite.json" >"$work/suite.out" 2>&1 &
pid=$!
deadline=$((SECONDS + 120))
while [ $SECONDS -lt $deadline ] && ! grep -q '^\[3/' "$work/suite.out" 2>/dev/null; do sleep 0.1; done
sleep 0.3
kill -INT -- -"$pid" 2>/dev/null
wait "$pid"; rc=$?
if [ "$rc" -eq 130 ] && [ -s "$work/suite.json" ]; then
  summary=$($py -c '
import json, sys
d = json.load(open(sys.argv[1]))
names = sorted({r["run_name"].split("/")[1] for r in d["benchmarks"] if r.get("run_type") == "iteration"})
print(",".join(names) + "|" + d["context"].get("suite_unfinished_groups", ""))' "$work/suite.json")
  if [[ $summary == fresh_close,fresh_linger0*"|"*reuse_unspec*keepalive* ]] && tools_work suite "$work/suite.json"; then
    pass "SIGINT in the third group: exit 130; kept ${summary%%|*}; unfinished: ${summary#*|}"
  else
    fail "SIGINT in the third group: kept/unfinished '$summary'; $(tail -3 "$work/suite.out")"
  fi
else
  fail "SIGINT in the third group: exit $rc, $(tail -3 "$work/suite.out")"
fi

if [ "$failures" -gt 0 ]; then echo "results_kept: $failures failed"; exit 1; fi
echo "results_kept: all passed"
