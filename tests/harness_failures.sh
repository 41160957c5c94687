#!/usr/bin/env bash
# How the benchmark binaries fail: every case asserts the exit status and the
# exact message, each bounded in time.
#   1. usage errors (a flag, a filter that selects nothing, a min time with a
#      unit): one line on stderr, nothing on stdout, exit 2
#   2. unreachable echo server or echo binary: one line, exit 1, at once
#   3. (root) the echo server dies or hangs mid-benchmark (the blocking and
#      Asio engines), or the benchmark gets SIGINT: a bounded non-zero exit, no sockchurn-echo left behind
#   4. (root) ephemeral ports exhausted (10-port range in a private
#      namespace): EADDRNOTAVAIL named, exit 1; tolerated and counted with
#      --max-errors
# Cases 3 and 4 churn connections, so each runs in its own network namespace
# (`unshare -n`); without root they are skipped and the script exits 77.
#
# usage: tests/harness_failures.sh BIN_DIR    (the dir holding tcp_churn)
set -uo pipefail

if [ $# -lt 1 ] || [ ! -x "$1/tcp_churn" ] || [ ! -x "$1/udp_churn" ]; then
  echo "usage: $0 BIN_DIR (with tcp_churn, udp_churn and sockchurn-echo)" >&2
  exit 2
fi
bin=$(cd "$1" && pwd)
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Runs one binary to completion (bounded): fills $work/out, $work/err, $rc.
run() {
  timeout -k 5 "$1" "${@:2}" >"$work/out" 2>"$work/err"
  rc=$?
}

# The benchmark's stderr without the lines Google Benchmark and the context
# print (date, machine, caches, "key: value" context, the DEBUG warning).
own_stderr() {
  awk '/^(tcp|udp)_churn: warning: running in the host/ { next }
       /^(tcp|udp)_churn: / { print; next }
       /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-/ || /^Running / || /^Run on / || /^CPU Caches:/ || /^  L[123] / ||
       /^Load Average:/ || /^\*\*\*WARNING\*\*\* Library was built as DEBUG/ || /^[a-z_.0-9]+: / { next }
       { print }' "$work/err"
}

# expect NAME RC_WANTED STDERR_LINE: exit status, exactly that one line on
# stderr, an empty stdout, and no crash.
expect_usage() {
  local name=$1 want_rc=$2 want=$3
  local got
  # Outside a private namespace the binaries warn once about it (not root).
  got=$(grep -v "^[a-z_]*: warning: running in the host's network namespace" "$work/err")
  if [ "$rc" -ne "$want_rc" ]; then fail "$name: exit $rc, want $want_rc (stderr: $got)"; return; fi
  if [ "$got" != "$want" ]; then fail "$name: stderr '$got', want '$want'"; return; fi
  if [ -s "$work/out" ]; then fail "$name: unexpected stdout: $(head -3 "$work/out")"; return; fi
  pass "$name: exit $rc, '$got'"
}

no_crash() {
  local crashed=0
  grep -q -E 'terminate called|core dumped|Sanitizer|Segmentation fault' "$work/err" && crashed=1
  [[ $rc =~ ^[0-9]+$ ]] && [ "$rc" -ge 128 ] && [ "$rc" -ne 130 ] && crashed=1
  if [ "$crashed" -eq 1 ]; then
    fail "$1: crashed (exit $rc): $(tail -3 "$work/err")"
    return 1
  fi
}

# True while a process exists and is not a zombie.
running() {
  local stat
  stat=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ $stat != Z* ]]
}

# Waits up to $2 seconds for process $1 (a child of this shell) to end; sets
# rc to its exit status, or kills it and returns 1.
wait_bounded() {
  local pid=$1 limit=$2 i
  for ((i = 0; i < limit * 20; i++)); do
    running "$pid" || { wait "$pid"; rc=$?; return 0; }
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  rc=timeout
  return 1
}

# The bundled echo server a benchmark process started (waits up to 10 s).
echo_child_of() {
  local i pid
  for ((i = 0; i < 100; i++)); do
    pid=$(pgrep -P "$1" -x sockchurn-echo) && { echo "$pid"; return 0; }
    sleep 0.1
  done
  return 1
}

# Asserts that echo server $2 is gone within 5 s (a zombie waiting for init
# counts as gone); names case $1 in the failure.
expect_echo_gone() {
  local i
  for ((i = 0; i < 100; i++)); do
    running "$2" || return 0
    sleep 0.05
  done
  fail "$1: sockchurn-echo $2 is still running: $(ps -o pid=,ppid=,stat=,args= -p "$2")"
  kill -KILL "$2" 2>/dev/null
  return 1
}

# ---------------------------------------------------------------------------
# 1. Usage errors.
usage_cases() {
  run 10 "$bin/tcp_churn" --frobnicate
  expect_usage "unknown flag" 2 "$bin/tcp_churn: error: unrecognized command-line flag: --frobnicate"
  run 10 "$bin/tcp_churn" --threads=0
  expect_usage "--threads=0" 2 "tcp_churn: --threads: '0' is not a number from 1 to 256"
  run 10 "$bin/tcp_churn" --threads
  expect_usage "--threads without a value" 2 "tcp_churn: --threads needs a value: --threads=LIST"
  run 10 "$bin/tcp_churn" --placement=nowhere
  expect_usage "--placement=nowhere" 2 "tcp_churn: --placement: 'nowhere' is not one of same, split, free"
  run 10 "$bin/udp_churn" --payload=70000
  expect_usage "udp --payload=70000" 2 "udp_churn: --payload: 70000 bytes do not fit a UDP datagram (max 65507)"
  run 10 "$bin/tcp_churn" --flows=0
  expect_usage "--flows=0" 2 "tcp_churn: --flows: '0' is not a number from 1 to 65536"
  run 10 "$bin/tcp_churn" --rpc=-3
  expect_usage "--rpc=-3" 2 "tcp_churn: --rpc: '-3' is not a number from 1 to 1000000"
  # More flows than descriptors allow (client and server sockets, a 1024 limit).
  run 10 bash -c 'ulimit -n 1024 && exec "$0" --flows=600 --threads=1' "$bin/tcp_churn"
  expect_usage "--flows=600 under ulimit -n 1024" 2 \
    "tcp_churn: --flows: 600 flows x 1 threads need about 1264 descriptors (client and server), more than the limit of 1024 (ulimit -n)"
  run 10 "$bin/tcp_churn" --stall-timeout=0
  expect_usage "--stall-timeout=0" 2 "tcp_churn: --stall-timeout: '0' is not a number from 1 to 3600"
  run 10 "$bin/tcp_churn" --server=localhost
  expect_usage "--server=localhost" 2 "tcp_churn: --server: 'localhost' has no port: expected HOST:PORT"
  run 10 "$bin/tcp_churn" '--server=[::1]'
  expect_usage "--server=[::1]" 2 "tcp_churn: --server: '[::1]' has no port: expected [IPv6]:PORT"
  run 10 "$bin/tcp_churn" --server=1.2.3.4:99999
  expect_usage "--server=1.2.3.4:99999" 2 \
    "tcp_churn: --server: '1.2.3.4:99999': port '99999' is not a number from 1 to 65535"
  run 10 "$bin/tcp_churn" --listen=nowhere
  expect_usage "--listen=nowhere" 2 \
    "tcp_churn: --listen: 'nowhere' is not a numeric IPv4 or IPv6 address (host names are not resolved)"
  run 10 "$bin/tcp_churn" --list-groups '--benchmark_filter=('
  expect_usage "--benchmark_filter=(" 2 "tcp_churn: --benchmark_filter: '(' is not a valid regular expression"
  # A filter that selects nothing is an error, not an empty run (also when
  # only listing); a --benchmark_min_time with a unit gets told the syntax.
  run 10 "$bin/tcp_churn" --benchmark_filter=nomatch
  expect_usage "--benchmark_filter=nomatch" 2 "tcp_churn: --benchmark_filter: 'nomatch' selects no benchmark"
  run 10 "$bin/udp_churn" --benchmark_list_tests --benchmark_filter='^tcp/'
  expect_usage "udp --benchmark_filter=^tcp/" 2 "udp_churn: --benchmark_filter: '^tcp/' selects no benchmark"
  run 10 "$bin/syscall_cost" --benchmark_filter=nomatch
  expect_usage "syscall_cost --benchmark_filter=nomatch" 2 "syscall_cost: --benchmark_filter: 'nomatch' selects no benchmark"
  run 10 "$bin/tcp_churn" --benchmark_min_time=0.2s
  expect_usage "--benchmark_min_time=0.2s" 2 \
    "tcp_churn: --benchmark_min_time: '0.2s' has a unit; this Google Benchmark (1.7.1) takes seconds as a bare number, e.g. --benchmark_min_time=0.2"
  run 10 "$bin/udp_churn" --benchmark_min_time=10x
  expect_usage "--benchmark_min_time=10x" 2 \
    "udp_churn: --benchmark_min_time: '10x' has a unit; this Google Benchmark (1.7.1) takes seconds as a bare number, e.g. --benchmark_min_time=0.2"
  run 10 "$bin/tcp_churn" --benchmark_min_time=soon
  expect_usage "--benchmark_min_time=soon" 2 "tcp_churn: --benchmark_min_time: 'soon' is not a number of seconds above 0"
  run 10 "$bin/tcp_churn" --list-groups --threads 0
  expect_usage "--list-groups --threads 0" 2 "tcp_churn: --threads: '0' is not a number from 1 to 256"
}

# --list-groups: the strategy groups scripts/bench runs one namespace each.
# Every benchmark the binary lists falls in exactly one group, and every
# group holds a benchmark; --benchmark_filter narrows the groups.
group_cases() {
  local binary groups names g n
  for binary in tcp_churn udp_churn; do
    run 10 "$bin/$binary" --list-groups --threads 1,4 --placement same
    groups=$(cat "$work/out")
    if [ "$rc" -ne 0 ] || [ -z "$groups" ] || [ -s "$work/err" ]; then
      fail "$binary --list-groups: exit $rc, stdout '$groups', stderr '$(cat "$work/err")'"; continue
    fi
    names=$("$bin/$binary" --benchmark_list_tests --threads 1,4 --placement same 2>/dev/null)
    local bad=0
    while read -r n; do
      local hits=0
      while read -r g; do [[ $n =~ $g ]] && hits=$((hits + 1)); done <<<"$groups"
      [ "$hits" -eq 1 ] || { fail "$binary: $n falls in $hits groups"; bad=1; }
    done <<<"$names"
    while read -r g; do
      grep -q -E -- "$g" <<<"$names" || { fail "$binary: group $g holds no benchmark"; bad=1; }
    done <<<"$groups"
    [ "$bad" -eq 0 ] && pass "$binary --list-groups: $(wc -l <<<"$groups") groups cover $(wc -l <<<"$names") benchmarks once each"
  done
  run 10 "$bin/tcp_churn" --list-groups --benchmark_filter='^tcp/reuse_unspec/closer'
  if [ "$rc" -eq 0 ] && [ "$(cat "$work/out")" = "^tcp/reuse_unspec/closer:client/(port:[a-z]+/)?payload:
^tcp/reuse_unspec/closer:server/(port:[a-z]+/)?payload:" ]; then
    pass "--list-groups with a filter: the reuse_unspec groups only"
  else
    fail "--list-groups --benchmark_filter=reuse_unspec: exit $rc, '$(cat "$work/out")'"
  fi
}

# A loopback port with no TCP listener and no UDP socket.
free_port() {
  local p
  for p in 9 19 49151 40999 33333; do
    if [ -z "$(ss -Htuan "sport = :$p" 2>/dev/null)" ]; then echo "$p"; return; fi
  done
  echo 9
}

# 2. Nothing to talk to: refused at once, or no echo binary.
unreachable_cases() {
  local port
  port=$(free_port)
  local start=$SECONDS
  run 10 "$bin/tcp_churn" --server=127.0.0.1:$port --threads=1 --benchmark_min_time=0.01
  expect_usage "tcp, nothing listening" 1 "tcp_churn: cannot reach the echo server at 127.0.0.1:$port (tcp): ECONNREFUSED"
  run 10 "$bin/udp_churn" --server=127.0.0.1:$port --threads=1 --benchmark_min_time=0.01
  expect_usage "udp, nothing listening" 1 "udp_churn: cannot reach the echo server at 127.0.0.1:$port (udp): ECONNREFUSED"
  [ $((SECONDS - start)) -le 4 ] || fail "refused connections took $((SECONDS - start)) s"
  run 10 "$bin/tcp_churn" --echo-binary=/nonexistent --threads=1 --benchmark_min_time=0.01
  expect_usage "--echo-binary=/nonexistent" 1 "tcp_churn: cannot execute the echo server /nonexistent: ENOENT"
  # An external server with only an echo port (an RFC 862 echo service has
  # no echo-once port): client-closer benchmarks probe and use the echo port
  # alone, so they run.
  "$bin/sockchurn-echo" --listen=127.0.0.1 >"$work/ready" &
  local epid=$! tries=0
  while [ ! -s "$work/ready" ] && [ $tries -lt 50 ]; do sleep 0.1; tries=$((tries + 1)); done
  local eport
  eport=$(sed -n 's/.* tcp=\([0-9]*\) .*/\1/p' "$work/ready")
  run 20 "$bin/tcp_churn" --server=127.0.0.1:$eport --server-once-port=$port --threads=1 \
    --benchmark_min_time=0.01 --benchmark_filter=fresh_linger0/closer:client \
    --benchmark_out="$work/ext.json" --benchmark_out_format=json
  # The context says what was controlled: the client's CPU only.
  local context
  context=$(/usr/bin/python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["context"]; print(c["echo_server"] + "|" + c["placement"])' "$work/ext.json" 2>&1)
  if [ "$rc" -eq 0 ] && grep -q '^tcp/fresh_linger0/closer:client/' "$work/out" &&
     [[ $context == "external|same: client only ("*"); the external server's CPUs are not controlled" ]]; then
    pass "external server without an echo-once port: closer:client runs; context '$context'"
  else
    fail "external server without an echo-once port: exit $rc, context '$context', $(own_stderr)"
  fi
  kill "$epid"; wait "$epid" 2>/dev/null
}

# ---------------------------------------------------------------------------
# 3. The echo server dies (SIGKILL) or hangs (SIGSTOP) mid-benchmark, or the
# benchmark itself gets SIGINT. Runs in a fresh namespace per case.
#   midrun NAME BINARY SIGNAL TARGET FILTER: TARGET is "echo" or "bench".
midrun() {
  local name=$1 binary=$2 sig=$3 target=$4 filter=$5
  # `env --default-signal=INT`: bash starts background jobs with SIGINT ignored.
  env --default-signal=INT "$bin/$binary" --threads=1 --benchmark_min_time=30 --stall-timeout=2 \
    --benchmark_filter="$filter" --benchmark_color=false >"$work/out" 2>"$work/err" &
  local bpid=$! epid
  if ! epid=$(echo_child_of "$bpid"); then
    fail "$name: no sockchurn-echo child appeared: $(tail -3 "$work/err")"
    kill -KILL "$bpid"; wait "$bpid"
    return
  fi
  sleep 0.5
  if ! running "$bpid"; then fail "$name: the benchmark ended before the signal: $(tail -3 "$work/err")"; return; fi
  local victim=$bpid
  [ "$target" = echo ] && victim=$epid
  local t0=$SECONDS
  kill -"$sig" "$victim"
  # Bounded: the watchdog fires after 2 s without progress.
  if ! wait_bounded "$bpid" 15; then
    fail "$name: $binary still running 15 s after SIG$sig to the $target; killed. $(tail -3 "$work/err")"
    kill -KILL "$epid" 2>/dev/null
    return
  fi
  local took=$((SECONDS - t0))
  expect_echo_gone "$name" "$epid" || return
  no_crash "$name" || return
  case "$name" in
    tcp-echo-killed)
      # The first failed syscall ends the benchmark; which one depends on
      # where the client was when the server died. Whether the error text
      # gets "(the echo server process has exited)" races with the child's
      # exit: the closing line below always says so.
      local row
      row=$(grep -E "^tcp/.*ERROR OCCURRED: '(connect|write|read): (ECONNREFUSED \(Connection refused\)|ECONNRESET \(Connection reset by peer\)|EPIPE \(Broken pipe\)|EOF) after [0-9]+ exchanges( \(the echo server process has exited\))?'$" "$work/out")
      if [ "$rc" -eq 1 ] && [ -n "$row" ] &&
         [ "$(own_stderr)" = "tcp_churn: the echo server exited during the run
tcp_churn: some benchmarks ended in an error (see error_message)" ]; then
        pass "$name: exit 1 after ${took} s, ${row#*ERROR OCCURRED: }"
      elif [ "$rc" -eq 3 ] && [[ "$(own_stderr)" =~ ^tcp_churn:\ the\ echo\ server\ exited\ during\ tcp/[^\ ]+\;\ giving\ up$ ]]; then
        # The watchdog saw the dead child during a run before the run ended.
        pass "$name: exit 3 after ${took} s, the watchdog saw the dead server"
      else
        fail "$name: exit $rc, stdout: $(grep ERROR "$work/out"), stderr: $(own_stderr)"
      fi ;;
    udp-echo-killed)
      # A datagram the dead server had taken blocks recv(): the watchdog sees
      # the dead child within a second and ends the run (exit 3). If the
      # client was between exchanges, its next send draws an ICMP port
      # unreachable: ECONNREFUSED, exit 1.
      local watchdog="udp_churn: the echo server exited during udp/fresh_close/payload:64/placement:same/threads:1; giving up"
      if [ "$rc" -eq 3 ] && [ "$(own_stderr)" = "$watchdog" ] && [ "$took" -le 5 ]; then
        pass "$name: exit 3 after ${took} s, the watchdog's message"
      elif [ "$rc" -eq 1 ] && grep -q -E "^udp/fresh_close/.*ERROR OCCURRED: '(send|recv): ECONNREFUSED \(Connection refused\) after [0-9]+ exchanges( \(the echo server process has exited\))?'$" "$work/out" &&
           [ "$(own_stderr)" = "udp_churn: the echo server exited during the run
udp_churn: some benchmarks ended in an error (see error_message)" ]; then
        pass "$name: exit 1 after ${took} s, ECONNREFUSED"
      else
        fail "$name: exit $rc, stdout: $(grep ERROR "$work/out"), stderr: $(own_stderr)"
      fi ;;
    *-echo-stopped)
      # The watchdog: exit 3 within a few seconds, naming the run.
      local run="udp/reuse_unspec/port:ephemeral"
      [ "$binary" = tcp_churn ] && run="tcp/reuse_unspec/engine:asio/flows:16/closer:client/port:ephemeral"
      local watchdog="$binary: no exchange completed for 2 s in $run/payload:64/placement:same/threads:1: the echo server stopped answering (lost datagram, hung or dead server); giving up"
      if [ "$rc" -eq 3 ] && [ "$(own_stderr)" = "$watchdog" ] && [ "$took" -le 5 ]; then
        pass "$name: exit 3 after ${took} s, the watchdog's message, the stopped server killed"
      else
        fail "$name: exit $rc after ${took} s, stderr: $(own_stderr)"
      fi ;;
    *-sigint)
      # Default SIGINT action; the child goes by PR_SET_PDEATHSIG.
      if [ "$rc" -eq 130 ]; then pass "$name: exit 130 after ${took} s, no echo server left"
      else fail "$name: exit $rc, want 130; stderr: $(own_stderr)"; fi ;;
  esac
}

# 4. Ephemeral port exhaustion: a 10-port range, tcp_tw_reuse=0, client-first
# close(): every used port sits in TIME_WAIT (the echo server's two TCP
# listeners hold two of the ten).
exhaustion() {
  local name=$1; shift
  sysctl -q -w net.ipv4.ip_local_port_range="40000 40009" net.ipv4.tcp_tw_reuse=0 || {
    fail "$name: cannot set the namespace's sysctls"; return; }
  local json=$work/exhaustion.json
  local t0=$SECONDS
  run 30 "$bin/tcp_churn" --benchmark_filter=fresh_close/closer:client --threads=1 --benchmark_min_time=2 \
    --benchmark_color=false --benchmark_out="$json" --benchmark_out_format=json "$@"
  local took=$((SECONDS - t0))
  no_crash "$name" || return
  local message="connect: EADDRNOTAVAIL \\(Cannot assign requested address\\) after [0-9]+ exchanges: no free local port \(ephemeral ports exhausted\)"
  local summary
  summary=$(/usr/bin/python3 - "$json" <<'EOF'
import json, sys
rows = json.load(open(sys.argv[1]))["benchmarks"]
for r in rows:
    print(r.get("error_occurred", False), r.get("error_message", "-"), int(r.get("errors", -1)),
          int(r.get("errors_EADDRNOTAVAIL", -1)), r.get("exchanges_per_s", -1), sep="|")
EOF
  )
  case "$name" in
    exhaustion)
      if [ "$rc" -eq 1 ] && grep -q -E "^tcp/fresh_close/closer:client/.*ERROR OCCURRED: '$message'$" "$work/out" &&
         [[ $summary =~ ^True\|$message\|1\|1\|-1$ ]] &&
         [ "$(own_stderr)" = "tcp_churn: some benchmarks ended in an error (see error_message)" ] && [ "$took" -le 10 ]; then
        pass "$name: exit 1 after ${took} s, $(cut -d'|' -f2 <<<"$summary")"
      else
        fail "$name: exit $rc after ${took} s, json: $summary, stdout: $(grep ERROR "$work/out"), stderr: $(own_stderr)"
      fi ;;
    exhaustion-max-errors-50)
      # The 51st failure of the run (all threads together) ends it, and the
      # message says how many failed. The errored row keeps its counters
      # (Google Benchmark 1.7.1 drops them; bench/results_file.cpp puts them
      # back): 51 errors, all EADDRNOTAVAIL.
      local message50="connect: EADDRNOTAVAIL \\(Cannot assign requested address\\) after [0-9]+ exchanges \\(51 failed exchanges in this run, more than --max-errors\\): no free local port \\(ephemeral ports exhausted\\)"
      if [ "$rc" -eq 1 ] && [[ $summary =~ ^True\|$message50\|51\|51\|-1$ ]] && [ "$took" -le 10 ]; then
        pass "$name: exit 1 after ${took} s, $(cut -d'|' -f2 <<<"$summary")"
      else
        fail "$name: exit $rc after ${took} s, json: $summary, stderr: $(own_stderr)"
      fi ;;
    exhaustion-tolerated)
      # Every failure tolerated, yet not one exchange completed: that is an
      # error naming the failures, never a rate of zero.
      if [ "$rc" -eq 1 ] && [[ $summary =~ ^True\|no\ exchange\ completed:\ [0-9]+\ x\ EADDRNOTAVAIL\| ]] && [ "$took" -le 15 ]; then
        pass "$name: exit 1 after ${took} s, $(cut -d'|' -f2 <<<"$summary")"
      else
        fail "$name: exit $rc after ${took} s, json: $summary, stderr: $(own_stderr)"
      fi ;;
  esac
}

# Inside a namespace of our own (never the host's: the sysctls above are
# per namespace), run one case of 3 or 4.
if [ "${SOCKCHURN_IN_NETNS:-}" = 1 ]; then
  if [ "$(readlink /proc/self/ns/net)" = "$SOCKCHURN_HOST_NETNS" ]; then
    echo "FAIL: not in a private network namespace; refusing to run $2" >&2
    exit 1
  fi
  ip link set lo up || exit 1
  case "$2" in
    tcp-echo-killed) midrun "$2" tcp_churn KILL echo fresh_close/closer:client ;;
    udp-echo-killed) midrun "$2" udp_churn KILL echo udp/fresh_close ;;
    udp-echo-stopped) midrun "$2" udp_churn STOP echo reuse_unspec/port:ephemeral ;;
    tcp-asio-echo-stopped) midrun "$2" tcp_churn STOP echo 'reuse_unspec/engine:asio/flows:16/closer:client' ;;
    tcp-sigint) midrun "$2" tcp_churn INT bench fresh_close/closer:client ;;
    udp-sigint) midrun "$2" udp_churn INT bench fresh_close ;;
    exhaustion) exhaustion "$2" ;;
    exhaustion-max-errors-50) exhaustion "$2" --max-errors=50 ;;
    exhaustion-tolerated) exhaustion "$2" --max-errors=1000000000 ;;
    *) echo "unknown case $2" >&2; exit 2 ;;
  esac
  [ "$failures" -eq 0 ]
  exit
fi

usage_cases
group_cases
unreachable_cases

skipped=0
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: cases 3-4 (server dies mid-run, SIGINT, port exhaustion) need root for a private network namespace"
  skipped=1
elif ! unshare -n true 2>/dev/null; then
  echo "SKIP: cases 3-4 need 'unshare -n', which fails here"
  skipped=1
else
  export SOCKCHURN_IN_NETNS=1 SOCKCHURN_HOST_NETNS
  SOCKCHURN_HOST_NETNS=$(readlink /proc/self/ns/net)
  for c in tcp-echo-killed udp-echo-killed udp-echo-stopped tcp-asio-echo-stopped tcp-sigint udp-sigint \
           exhaustion exhaustion-max-errors-50 exhaustion-tolerated; do
    unshare -n bash "$self" "$bin" "$c" || failures=$((failures + 1))
  done
fi

if [ "$failures" -gt 0 ]; then echo "harness_failures: $failures failed"; exit 1; fi
[ "$skipped" -eq 1 ] && exit 77
echo "harness_failures: all passed"
