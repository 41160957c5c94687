#!/usr/bin/env bash
# scripts/bench checks everything before the first benchmark: a bad option,
# output path, filter or benchmark flag is one line on stderr and exit 2
# within seconds, and nothing is written.
# usage: tests/bench_usage.sh
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/out"
failures=0

# expect WANT_LINE ARGS...: exit 2, exactly WANT_LINE on stderr (after the
# build's own progress lines), nothing in the output directory.
expect() {
  local want=$1; shift
  local start=$SECONDS rc got
  timeout 300 "$top/scripts/bench" "$@" >"$work/stdout" 2>"$work/stderr"
  rc=$?
  got=$(grep -v -e '^== build' -e '^   \[[0-9]*/[0-9]*\]' "$work/stderr")
  if [ "$rc" -eq 2 ] && [ "$got" = "$want" ] && [ -z "$(ls -A "$work/out")" ] && [ ! -s "$work/stdout" ]; then
    echo "PASS: $* -> '$got' ($((SECONDS - start)) s)"
  else
    echo "FAIL: $*: exit $rc, stderr '$got', want '$want'; written: $(ls -A "$work/out")"
    failures=$((failures + 1))
  fi
}

o=$work/out/r.json
expect "scripts/bench: --min-time: 0 s is too short to measure (at least 0.01; the suite uses 0.3, --quick 0.05)" \
  --quick --min-time 0 -o "$o"
expect "scripts/bench: --repetitions: 'x' is not a positive whole number" --repetitions x -o "$o"
expect "scripts/bench: --filter: '(' is not a valid extended regular expression" --quick --filter '(' -o "$o"
expect "scripts/bench: cannot write /nonexistent/x.json: the directory /nonexistent does not exist" \
  --quick --filter udp/sendto -o /nonexistent/x.json
touch "$work/exists.json"
expect "scripts/bench: $work/exists.json exists already; results are never overwritten" --quick -o "$work/exists.json"
expect "scripts/bench: unknown argument '--frobnicate' (see --help)" --frobnicate
# Checked by the binaries themselves (--list-groups), before anything runs.
expect "scripts/bench: --threads: 'abc' is not a number from 1 to 256" --quick --threads abc -o "$o"
expect "scripts/bench: --threads: '0' is not a number from 1 to 256" --quick --threads 0 -o "$o"
expect "scripts/bench: --placement: 'both' is not one of same, split, free" --quick --placement both -o "$o"
expect "scripts/bench: --payload: '0' is not a number from 1 to 1048576" --quick --payload 0 -o "$o"
expect "scripts/bench: --server: '127.0.0.1' has no port: expected HOST:PORT" --quick --server 127.0.0.1 -o "$o"
expect "scripts/bench: --scenario: 'nope' is not a scenario (one of: proxy-backend, pool, short-lived, udp-client, port-pressure; scripts/bench --scenario list)" \
  --scenario nope -o "$o"
expect "scripts/bench: --scenario: scenario pool: N 'x' is not a number from 1 to 1000000" --scenario pool:x -o "$o"
expect "scripts/bench: --scenario runs what its scenario names; it does not go with --filter or --section" \
  --scenario short-lived --filter tcp -o "$o"
if [ ! -x "$top/scripts/paired" ]; then
  expect "scripts/bench: --scenario measures paired through scripts/paired (the paired driver), which this tree does not have yet" \
    --scenario short-lived -o "$o"
fi
listed=$("$top/scripts/bench" --scenario list)
if grep -q '^proxy-backend: ' <<<"$listed" && [ -z "$(ls -A "$work/out")" ]; then
  echo "PASS: --scenario list names the scenarios"
else
  echo "FAIL: --scenario list"; failures=$((failures + 1))
fi
expect "scripts/bench: --filter: 'no_such_strategy' selects no benchmark (scripts/bench --help; names as in docs/results-format.md)" \
  --quick --filter no_such_strategy -o "$o"

# --sysctl and --conntrack: checked in a throwaway namespace (root) before
# anything runs; the section names against the table.
expect "scripts/bench: --sysctl tcp_tw_reuse: not NAME=VALUE (e.g. net.ipv4.tcp_tw_reuse=0)" \
  --quick --sysctl tcp_tw_reuse -o "$o"
expect "scripts/bench: --sysctl net.ipv4.tcp_tw_reuse=: not NAME=VALUE (e.g. net.ipv4.tcp_tw_reuse=0)" \
  --quick --sysctl net.ipv4.tcp_tw_reuse= -o "$o"
expect "scripts/bench: --sysctl kernel.pid_max=4096: only net.* sysctls can be set (they belong to a network namespace; others would change the host's)" \
  --quick --sysctl kernel.pid_max=4096 -o "$o"
expect "scripts/bench: --sysctl applies to the suite's own network namespaces; it does not go with --server" \
  --quick --sysctl net.ipv4.tcp_tw_reuse=1 --server 127.0.0.1:7000 -o "$o"
expect "scripts/bench: --section: 'nope' is not a section (one of: tw_reuse,conntrack,rpc)" --section nope -o "$o"
expect "scripts/bench: --section and --no-sections contradict each other" --section tw_reuse --no-sections -o "$o"
if [ "$(id -u)" -eq 0 ] && unshare -n true 2>/dev/null; then
  expect "scripts/bench: --sysctl net.ipv4.no_such_sysctl=1: no such sysctl in a network namespace on kernel $(uname -r)" \
    --quick --sysctl net.ipv4.no_such_sysctl=1 -o "$o"
  expect "scripts/bench: --sysctl net.ipv4.tcp_tw_reuse=7: the kernel refuses the value: Invalid argument" \
    --quick --sysctl net.ipv4.tcp_tw_reuse=7 -o "$o"
  # nft is in /usr/sbin: without it on PATH, --conntrack cannot work.
  PATH=/usr/bin:/bin expect "scripts/bench: --conntrack: 'nft' not found (Debian package nftables; scripts/setup installs it)" \
    --quick --conntrack -o "$o"
  PATH=/usr/bin:/bin expect "scripts/bench: section conntrack (connection tracking): 'nft' not found (Debian package nftables; scripts/setup installs it)" \
    --section conntrack -o "$o"
  # Without root (nobody), when nobody may read the tree.
  if setpriv --reuid=65534 --regid=65534 --clear-groups test -r "$top/scripts/bench" 2>/dev/null; then
    expect_as_nobody=1
  fi
else
  echo "SKIP: the kernel checks of --sysctl and --conntrack need root"
fi
if [ "${expect_as_nobody:-0}" -eq 1 ]; then
  chmod 777 "$work/out"
  bench_as() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
  for flag in "--conntrack" "--sysctl=net.ipv4.tcp_tw_reuse=1"; do
    got=$(bench_as "$top/scripts/bench" --quick "$flag" -o "$o" 2>&1 >/dev/null); rc=$?
    want="scripts/bench: ${flag%%=*} needs root (it is applied inside fresh network namespaces; the host's settings are never changed)"
    if [ "$rc" -eq 2 ] && [ "$got" = "$want" ] && [ -z "$(ls -A "$work/out")" ]; then echo "PASS: nobody $flag -> '$got'"
    else echo "FAIL: nobody $flag: exit $rc, stderr '$got', want '$want'"; failures=$((failures + 1)); fi
  done
fi

if [ "$failures" -gt 0 ]; then echo "bench_usage: $failures failed"; exit 1; fi
echo "bench_usage: all passed"
