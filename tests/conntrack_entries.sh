#!/usr/bin/env bash
# conntrack_entries on the rows: under the stateful rule of
# scripts/conntrack.nft (what scripts/bench --conntrack loads) a short
# fresh_close run leaves its connections in the namespace's table in
# TIME_WAIT, and fresh_linger0 (an RST close) leaves them in CLOSE, with
# fewer TIME_WAIT entries (only the harness's own probe connections may end
# with a FIN); without the rule the counter is absent; the same across
# scripts/netns --conntrack. Then scripts/bench
# --conntrack --sysctl end to end on one benchmark: the sysctl is set inside
# the namespace (the row's context reads it back), the host's is unchanged.
# Needs root and nft: exits 77 otherwise.
# usage: tests/conntrack_entries.sh BIN_DIR
set -uo pipefail

if [ $# -lt 1 ] || [ ! -x "$1/tcp_churn" ]; then
  echo "usage: $0 BIN_DIR (with tcp_churn)" >&2
  exit 2
fi
bin=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" -ne 0 ] || ! unshare -n true 2>/dev/null; then
  echo "SKIP: needs root for network namespaces of its own"; exit 77
fi
command -v nft >/dev/null || { echo "SKIP: needs nft (Debian package nftables)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

# run NAME RULES FILTER: one short run of tcp_churn in a fresh namespace,
# with the conntrack rules when RULES is "on"; its JSON in $work/NAME.json.
run() {
  local rules=
  [ "$2" = on ] && rules=$top/scripts/conntrack.nft
  unshare -n sh -c 'ip link set lo up && { [ -z "$1" ] || nft -f "$1"; } && shift && exec "$@"' sh "$rules" \
    "$bin/tcp_churn" --threads=1 --placement=same --benchmark_min_time=0.05 --benchmark_repetitions=1 \
    --benchmark_filter="$3" --benchmark_format=json >"$work/$1.json" 2>"$work/$1.err" ||
    { echo "FAIL: $1: tcp_churn exited $?: $(tr '\n' ' ' <"$work/$1.err")"; failures=$((failures + 1)); }
}
run close on '^tcp/fresh_close/closer:client/payload:64/placement:same/real_time/threads:1$'
run linger on '^tcp/fresh_linger0/closer:client/payload:64/placement:same/real_time/threads:1$'
run off off '^tcp/fresh_close/closer:client/payload:64/placement:same/real_time/threads:1$'

/usr/bin/python3 - "$work" <<'PY' || failures=$((failures + 1))
import json, sys
work = sys.argv[1]
def row(name):
    rows = [r for r in json.load(open(f"{work}/{name}.json"))["benchmarks"] if r.get("run_type") == "iteration"]
    assert len(rows) == 1, f"{name}: {len(rows)} rows"
    return rows[0]
close, linger, off = row("close"), row("linger"), row("off")
failed = []
def check(ok, what):
    print(("PASS: " if ok else "FAIL: ") + what)
    if not ok:
        failed.append(what)
tw = lambda r: r.get("conntrack_entries_TIME_WAIT", 0)
check(close.get("conntrack_entries", 0) > 0, f"fresh_close under conntrack: conntrack_entries {close.get('conntrack_entries')} > 0")
check(tw(close) > 0, f"fresh_close: TIME_WAIT entries {tw(close)} > 0 (a FIN close)")
check(linger.get("conntrack_entries_CLOSE", 0) > 0,
      f"fresh_linger0: CLOSE entries {linger.get('conntrack_entries_CLOSE', 0)} > 0 (an RST close)")
check(tw(linger) < tw(close), f"fresh_linger0 leaves fewer TIME_WAIT entries ({tw(linger)}) than fresh_close ({tw(close)})")
check(sum(v for k, v in close.items() if k.startswith("conntrack_entries_")) <= close["conntrack_entries"],
      "the TCP states add up to at most conntrack_entries")
check(not any(k.startswith("conntrack_entries") for k in off), "without the rule: no conntrack_entries on the row")
sys.exit(1 if failed else 0)
PY

# scripts/netns --conntrack: the client's namespace tracks the veth path's connections.
if "$top/scripts/netns" --conntrack --echo-binary="$bin/sockchurn-echo" -- "$bin/tcp_churn" --server={server} \
    --server-once-port={server_once_port} --threads=1 --placement=same --benchmark_min_time=0.05 \
    --benchmark_repetitions=1 --benchmark_filter='^tcp/fresh_linger0/closer:client/payload:64/placement:same/real_time/threads:1$' \
    --benchmark_format=json >"$work/netns.json" 2>"$work/netns.err"; then
  entries=$(/usr/bin/python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["benchmarks"][0].get("conntrack_entries_CLOSE", 0)))' "$work/netns.json")
  if [ "$entries" -gt 0 ]; then echo "PASS: scripts/netns --conntrack: fresh_linger0 leaves $entries CLOSE entries"
  else echo "FAIL: scripts/netns --conntrack: no CLOSE entries"; failures=$((failures + 1)); fi
else
  echo "FAIL: scripts/netns --conntrack exited $?: $(tail -3 "$work/netns.err")"; failures=$((failures + 1))
fi

# scripts/bench end to end: one benchmark, --conntrack and a --sysctl.
host_before=$(sysctl -n net.ipv4.tcp_fin_timeout)
out=$work/bench.json
if "$top/scripts/bench" --quick --conntrack --sysctl net.ipv4.tcp_fin_timeout=33 --repetitions 1 --min-time 0.01 \
    --filter '^tcp/fresh_close/closer:client/payload:64/placement:same/real_time/threads:1$' --no-plots \
    -o "$out" >"$work/bench.out" 2>&1; then
  /usr/bin/python3 - "$out" <<'PY' || failures=$((failures + 1))
import json, sys
doc = json.load(open(sys.argv[1]))
ctx, rows = doc["context"], doc["benchmarks"]
failed = []
def check(ok, what):
    print(("PASS: " if ok else "FAIL: ") + what)
    if not ok:
        failed.append(what)
check(ctx.get("suite_conntrack") == "on", f"suite_conntrack {ctx.get('suite_conntrack')!r} == 'on'")
check(ctx.get("suite_sysctls") == "net.ipv4.tcp_fin_timeout=33", f"suite_sysctls {ctx.get('suite_sysctls')!r}")
check(ctx.get("sysctl.net.ipv4.tcp_fin_timeout") == "33",
      f"the benchmark's namespace has tcp_fin_timeout {ctx.get('sysctl.net.ipv4.tcp_fin_timeout')!r} == '33'")
check(len(rows) == 1 and rows[0].get("conntrack_entries", 0) > 0, "the row has conntrack_entries > 0")
sys.exit(1 if failed else 0)
PY
else
  echo "FAIL: scripts/bench --conntrack --sysctl exited $?: $(tail -5 "$work/bench.out")"
  failures=$((failures + 1))
fi
host_after=$(sysctl -n net.ipv4.tcp_fin_timeout)
if [ "$host_before" = "$host_after" ]; then echo "PASS: the host's tcp_fin_timeout is unchanged ($host_after)"
else echo "FAIL: the host's tcp_fin_timeout changed from $host_before to $host_after"; failures=$((failures + 1)); fi

if [ "$failures" -gt 0 ]; then echo "conntrack_entries: $failures failed"; exit 1; fi
echo "conntrack_entries: all passed"
