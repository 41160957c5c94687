#!/usr/bin/env bash
# Smoke test of scripts/netns: a very short TCP and UDP benchmark across the
# veth pair, then checks that the namespaces are gone afterwards, also when
# the command fails, the echo server cannot start, --delay cannot be set up
# and scripts/netns is stopped by SIGTERM or SIGINT.
#   tests/netns_smoke.sh BIN_DIR      (BIN_DIR holds tcp_churn, udp_churn, sockchurn-echo)
# Exit status 77 (CTest's skip) when not root or `ip netns` is unavailable.
set -uo pipefail

bin=${1:?usage: netns_smoke.sh BIN_DIR}
netns=$(cd "$(dirname "$0")/.." && pwd)/scripts/netns
skip() { echo "SKIPPED: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root to create network namespaces"
command -v ip >/dev/null || skip "'ip' (iproute2) not installed"
ip netns list >/dev/null 2>&1 || skip "'ip netns' is not available here"
probe=sockchurn-smoke-probe-$$
ip netns add "$probe" 2>/dev/null || skip "cannot create a network namespace (ip netns add failed)"
ip netns del "$probe"
for b in tcp_churn udp_churn sockchurn-echo; do
  [ -x "$bin/$b" ] || { echo "FAIL: $bin/$b not found"; exit 1; }
done

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The namespace inodes a run saw; once scripts/netns has returned, no process
# may still be in them (a namespace with a process in it, and its veth end,
# live on even after `ip netns del`).
record_inodes='stat -L -c %i /run/netns/$0-srv /run/netns/$0-cli > '"$work"'/inodes'
# Each case marks the processes it starts with its own environment variable
# (ip netns exec, taskset and the programs pass it on): only a process that
# carries it can be the run's leftover. The kernel reuses a freed namespace's
# inode number at once, so a process that another test (the Python tests'
# slice workers) put in a namespace created after the run's ended has the
# same inode: CI saw those "in a namespace of the run".
case_seq=0
mark_start() { case_seq=$((case_seq + 1)); export SOCKCHURN_SMOKE_CASE="$$-$case_seq"; }
in_case() { tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null | grep -qx "SOCKCHURN_SMOKE_CASE=$SOCKCHURN_SMOKE_CASE"; }
check_gone() {
  local prefix=$1 what=$2 ino pid
  if ip netns list | grep -qE "^$prefix-(srv|cli)( |$)"; then
    fail "$what: namespace $prefix-srv/-cli still listed"
    ip netns del "$prefix-srv" 2>/dev/null; ip netns del "$prefix-cli" 2>/dev/null
  fi
  [ -s "$work/inodes" ] || return 0
  for ino in $(cat "$work/inodes"); do
    for pid in $(ls /proc | grep -E '^[0-9]+$'); do
      [ "$(stat -L -c %i "/proc/$pid/ns/net" 2>/dev/null)" = "$ino" ] &&
        in_case "$pid" &&
        fail "$what: process $pid ($(cat /proc/$pid/comm 2>/dev/null)) is still in a namespace of the run"
    done
  done
  rm -f "$work/inodes"
}

# 1. TCP and UDP, one strategy each, IPv4 and IPv6.
run_bench() {
  local binary=$1 filter=$2 family=$3 prefix=sockchurn-smoke-$$-$1${3:+-v6} status
  mark_start
  "$netns" --name="$prefix" --echo-binary="$bin/sockchurn-echo" $family -- sh -c "$record_inodes"' && exec "$@"' \
    "$prefix" "$bin/$binary" --server={server} --server-once-port={server_once_port} --threads=1 \
    --benchmark_min_time=0.01 --benchmark_filter="$filter" --benchmark_format=console --benchmark_color=false \
    >"$work/out" 2>&1
  status=$?
  if [ $status -ne 0 ]; then fail "$binary $family through scripts/netns exited $status"; cat "$work/out"
  elif ! grep -qE "^${filter#^}.* exchanges_per_s=" "$work/out"; then fail "$binary $family: no result row"; cat "$work/out"
  elif ! grep -qE "echo_address: (198\.18\.0\.1|\[2001:2::1\]):7000" "$work/out"; then
    fail "$binary $family did not use the namespaced server"; cat "$work/out"
  else echo "ok: $binary $family across the veth pair: $(grep -oE 'exchanges_per_s=[^ ]+' "$work/out")"
  fi
  check_gone "$prefix" "$binary $family"
}
run_bench tcp_churn '^tcp/reuse_unspec/closer:client/port:ephemeral/' ""
run_bench udp_churn '^udp/reuse_unspec/port:ephemeral/' ""
run_bench tcp_churn '^tcp/fresh_linger0/closer:client/' --ipv6

# 2. Forced failures: each must leave nothing behind.
expect_status() {
  local want=$1 what=$2 prefix=$3; shift 3
  mark_start
  "$@" >"$work/out" 2>&1
  local status=$?
  if [ "$status" -ne "$want" ]; then fail "$what: exit status $status, expected $want"; cat "$work/out"
  else echo "ok: $what: exit status $status"
  fi
  check_gone "$prefix" "$what"
}
p=sockchurn-smoke-$$-fail
expect_status 0 "command that exits at once" "$p" \
  "$netns" --name="$p" --echo-binary="$bin/sockchurn-echo" -- true
expect_status 7 "failing command" "$p" \
  "$netns" --name="$p" --echo-binary="$bin/sockchurn-echo" -- sh -c "$record_inodes; exit 7" "$p"
expect_status 1 "echo server that cannot start" "$p" \
  "$netns" --name="$p" --echo-binary=/bin/false -- true
expect_status 1 "a sysctl that does not exist" "$p" \
  "$netns" --name="$p" --echo-binary="$bin/sockchurn-echo" --sysctl net.ipv4.no_such_sysctl=1 -- true
mark_start
"$netns" --name="$p" --echo-binary="$bin/sockchurn-echo" --delay=1 -- sh -c "$record_inodes" "$p" >"$work/out" 2>&1
status=$?
if [ $status -eq 0 ]; then echo "ok: --delay=1 (netem available)"
elif [ $status -eq 2 ] && grep -q netem "$work/out"; then echo "ok: --delay=1 refused clearly: $(cat "$work/out")"
else fail "--delay=1: exit status $status"; cat "$work/out"; fi
check_gone "$p" "--delay=1"

# 3. Signals while the command runs: the command is stopped too. (A
# background job of a script starts with SIGINT ignored, and bash cannot trap
# a signal ignored at entry: env restores the default as a terminal's Ctrl-C
# would find it.)
for sig in TERM INT; do
  p=sockchurn-smoke-$$-$sig
  mark_start
  env --default-signal=INT "$netns" --name="$p" --echo-binary="$bin/sockchurn-echo" -- \
    sh -c "$record_inodes"' && echo $$ > '"$work"'/cmd_pid && exec sleep 60' "$p" >"$work/out" 2>&1 &
  pid=$!
  for ((i = 0; i < 100; i++)); do [ -s "$work/cmd_pid" ] && break; sleep 0.1; done
  [ -s "$work/cmd_pid" ] || fail "SIG$sig: the command did not start"
  kill -"$sig" "$pid"
  wait "$pid"
  status=$?
  want=$([ "$sig" = TERM ] && echo 143 || echo 130)
  if [ $status -ne "$want" ]; then fail "SIG$sig: exit status $status, expected $want"; cat "$work/out"
  else echo "ok: SIG$sig: exit status $status"; fi
  cmd=$(cat "$work/cmd_pid" 2>/dev/null)
  st=$(sed 's/.*) //' "/proc/$cmd/stat" 2>/dev/null)
  [ -n "$cmd" ] && [ -n "$st" ] && [ "${st%% *}" != Z ] && { fail "SIG$sig: the command (pid $cmd) still runs"; kill -KILL "$cmd"; }
  rm -f "$work/cmd_pid"
  check_gone "$p" "SIG$sig"
done

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "netns smoke: all checks passed"
