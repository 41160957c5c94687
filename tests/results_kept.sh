#!/usr/bin/env bash
# No finished result is lost (results are written as they are made), tried
# on scripts/bench itself:
#   1. SIGKILL its benchmark binary mid-group: the group's finished rows are
#      kept, the group is named unfinished, the next group runs;
#   2. kill its echo server mid-group: the finished rows are kept, the
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

# Runs scripts/bench on two groups in the background (its own session, SIGINT
# deliverable), into $work/NAME.json.
suite() {
  local name=$1
  # `env --default-signal=INT`: a background job of a script starts with
  # SIGINT ignored, and a signal ignored at entry cannot be trapped.
  setsid env --default-signal=INT "$top/scripts/bench" --repetitions 2 --min-time 0.3 --placement same \
    --threads 1,2 --no-plots --filter '^tcp/(fresh_linger0|reuse_unspec)/closer:client/(port:ephemeral/)?payload' \
    -o "$work/$name.json" >"$work/$name.out" 2>&1 &
  suite_pid=$!
}

# Waits until the suite run NAME ($1, pid $suite_pid) has begun its groups:
# its log appears once the build (at most 10 minutes in a fresh build
# directory) is done, so no wait after this one counts the build.
groups_begun() {
  local log=$work/$1.log deadline=$((SECONDS + 600))
  while [ $SECONDS -lt $deadline ] && [ ! -e "$log" ]; do
    kill -0 "$suite_pid" 2>/dev/null || return 1
    sleep 0.1
  done
  [ -e "$log" ]
}

# Waits (at most 60 s once the groups have begun) until the suite's log
# shows a finished benchmark of its first group, then returns the pid of the
# process named $1 in it.
first_row_then_pid() {
  local log=$work/$2.log deadline
  groups_begun "$2" || return 1
  deadline=$((SECONDS + 60))
  while [ $SECONDS -lt $deadline ]; do
    grep -q '^tcp/fresh_linger0/closer:client/payload:64/placement:same/real_time/threads:1 ' "$log" 2>/dev/null &&
      pgrep -s "$suite_pid" -x "$1" && return 0
    sleep 0.05
  done
  return 1
}

# What a suite left: "exit|finished rows by strategy|errored rows|unfinished groups".
suite_result() {
  $py -c '
import json, sys
d = json.load(open(sys.argv[1]))
rows = [r for r in d["benchmarks"] if r.get("run_type") == "iteration"]
ok = sorted({r["run_name"].split("/")[1] for r in rows if not r.get("error_occurred")})
bad = sum(1 for r in rows if r.get("error_occurred"))
print(",".join(ok) + "|" + str(bad) + "|" + d["context"].get("suite_unfinished_groups", ""))' "$1" 2>&1
}

# suite_with_kill PROCESS NAME WHAT: runs suite NAME and SIGKILLs the process
# named PROCESS in it once its first group has a finished row; then $rc is
# the suite's exit status and $r its suite_result. Returns 1, a failure
# named WHAT, when no row came to wait for.
suite_with_kill() {
  local process=$1 name=$2 what=$3 pid
  suite "$name"
  if ! pid=$(first_row_then_pid "$process" "$name" | head -1) || [ -z "$pid" ]; then
    wait "$suite_pid"
    fail "$what: no finished row to wait for; $(tail -3 "$work/$name.out")"
    return 1
  fi
  kill -KILL "$pid"
  wait "$suite_pid"; rc=$?
  r=$(suite_result "$work/$name.json")
}

# 1. SIGKILL of the benchmark binary in the suite's first group, once a row
# of it has finished: the suite goes on with the second group; the first
# group's finished rows are kept (the file cut short is closed) and it is
# named unfinished.
if suite_with_kill tcp_churn killed "SIGKILL of tcp_churn mid-group"; then
  if [ "$rc" -eq 1 ] && [[ $r == "fresh_linger0,reuse_unspec|0|tcp/fresh_linger0/closer:client" ]] &&
     tools_work sigkill "$work/killed.json"; then
    pass "SIGKILL of tcp_churn mid-group: exit 1; kept rows of fresh_linger0 (before the kill) and reuse_unspec; unfinished: ${r##*|}"
  else
    fail "SIGKILL of tcp_churn mid-group: exit $rc, result '$r'; $(tail -3 "$work/killed.out")"
  fi
fi

# 2. The echo server killed in the suite's first group: the benchmark running
# then ends in an errored row that keeps its counters, the finished rows
# stay, the second group runs.
if suite_with_kill sockchurn-echo echo "echo server killed mid-group"; then
  errored=$($py -c '
import json, sys
rows = [r for r in json.load(open(sys.argv[1]))["benchmarks"] if r.get("error_occurred")]
print(" ".join("%d:%d" % (r.get("exchanges", -1), r.get("errors", -1)) for r in rows))' "$work/echo.json" 2>&1)
  if [ "$rc" -eq 1 ] && [[ $r == fresh_linger0,reuse_unspec\|* ]] &&
     { [[ $errored =~ ^[0-9]+:[1-9] ]] || [[ ${r##*|} == tcp/fresh_linger0/closer:client ]]; } &&
     tools_work echo-killed "$work/echo.json"; then
    pass "echo server killed mid-group: exit 1; kept ${r%%|*}; errored rows (exchanges:errors) '$errored'; unfinished: '${r##*|}'"
  else
    fail "echo server killed mid-group: exit $rc, result '$r', errored '$errored'; $(tail -3 "$work/echo.out")"
  fi
fi

# 3. SIGINT to scripts/bench (its whole process group, as Ctrl-C does)
# during its third group (at most 120 s after the build).
# `env --default-signal=INT`: a background job of a script starts with SIGINT
# ignored, and a signal ignored at entry cannot be trapped.
setsid env --default-signal=INT "$top/scripts/bench" --repetitions 2 --min-time 0.2 --placement same --threads 1 --no-plots \
  --filter '^tcp/(fresh_close|fresh_linger0|reuse_unspec)/closer:client/|^tcp/keepalive' \
  -o "$work/suite.json" >"$work/suite.out" 2>&1 &
pid=$! suite_pid=$!
groups_begun suite
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
