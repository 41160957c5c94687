#!/usr/bin/env bash
# scripts/proxy_section: its skip path (not root; nginx, haproxy or wrk
# missing: one line, status 0), the kernel cross-check on a short run (the
# namespace's TcpActiveOpens per request is 1 where every request gets its
# own backend connection, about 1/N for a keep-alive pool with nginx's
# keepalive_requests N; TIME_WAIT where each strategy must leave it, none
# for reuse_unspec), and that SIGINT stops everything it started.
# Needs root, nginx, haproxy and wrk for the last two: exits 77 otherwise.
# usage: tests/proxy_section.sh PROXY_BINARY
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
section=$here/scripts/proxy_section
if [ $# -lt 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 PROXY_BINARY (sockchurn-proxy)" >&2
  exit 2
fi
binary=$1
fail() { echo "FAIL: $*"; exit 1; }

# Skip path: nothing to run with.
out=$(env PATH=/nonexistent /usr/bin/python3 "$section" --proxy-binary "$binary" 2>&1); status=$?
[ $status -eq 0 ] || fail "missing tools: exit $status: $out"
if [ "$(id -u)" -eq 0 ]; then
  [ "$out" = "proxy_section: skipped: nginx, haproxy, wrk not installed (scripts/setup installs nginx, haproxy, wrk)" ] ||
    fail "missing tools: '$out'"
  # nobody runs a copy of scripts/ where it cannot read the checkout (a
  # clone under /root, mode 700, on a fresh machine).
  as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
  readable=$section
  if ! as_nobody test -r "$section" 2>/dev/null; then
    copy=$(mktemp -d) && chmod 755 "$copy" && cp -r "$here/scripts" "$copy/" && chmod -R a+rX "$copy" &&
      readable=$copy/scripts/proxy_section
  fi
  out=$(as_nobody /usr/bin/python3 "$readable" 2>&1); status=$?
  [ "$readable" = "$section" ] || rm -rf "$copy"
else
  out=$(/usr/bin/python3 "$section" 2>&1); status=$?
fi
[ $status -eq 0 ] && [ "$out" = "proxy_section: skipped: not root (the section runs each program in network namespaces of its own)" ] ||
  fail "not root: exit $status: '$out'"
# A bad option: one line, status 2.
out=$(/usr/bin/python3 "$section" --rounds 0 2>&1); status=$?
[ $status -eq 2 ] && [ "$(echo "$out" | grep -c 'rounds')" -ge 1 ] || fail "--rounds 0: exit $status: $out"

if [ "$(id -u)" -ne 0 ] || ! command -v nginx >/dev/null || ! command -v haproxy >/dev/null || ! command -v wrk >/dev/null; then
  echo "SKIP: the runs need root, nginx, haproxy and wrk"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The kernel cross-check, one short round.
"$section" --proxy-binary "$binary" --rounds 1 --seconds 1 --warmup 0 --bodies 64 --backend-requests 1,100 \
  --connections 4 --haproxy fresh_close --sockchurn fresh_close,fresh_linger0,reuse_unspec,keepalive \
  -o "$work/section.json" >"$work/out.txt" 2>"$work/err.txt" ||
  fail "section run exited $?: $(tail -3 "$work/err.txt")"
/usr/bin/python3 - "$work/section.json" <<'PY' || exit 1
import json, re, sys
doc = json.load(open(sys.argv[1]))
rows = doc["benchmarks"]
bad = []
assert len(rows) == 10, f"{len(rows)} rows, not 10"
name = re.compile(r"^tcp/(\w+)/engine:(haproxy|sockchurn_proxy)/payload:64/placement:split/section:proxy/"
                  r"backend_requests:(1|100)/real_time/threads:4$")
for r in rows:
    m = name.match(r["name"])
    if not m:
        bad.append(f"name {r['name']}")
        continue
    strategy, proxy, be = m.group(1), m.group(2), int(m.group(3))
    if r.get("error_occurred"):
        bad.append(f"{r['name']}: {r['error_message']}")
        continue
    opens = r["snmp_TcpActiveOpens_per_exchange"]
    n = r["exchanges"]
    # wrk's own 4 connections add 4/n.
    if strategy == "keepalive" and be == 100:
        want = (0.01, 0.01 + 4 / n + 0.005)
    else:
        want = (0.995, 1.0 + 4 / n + 0.005)
    if not want[0] <= opens <= want[1]:
        bad.append(f"{r['name']}: TcpActiveOpens per request {opens:.4f}, not in {want[0]:.3f}-{want[1]:.3f}")
    if proxy == "sockchurn_proxy":
        if strategy in ("reuse_unspec", "fresh_linger0") and r["time_wait"] != 0:
            bad.append(f"{r['name']}: {r['time_wait']} TIME_WAIT, not 0")
        if strategy == "fresh_close" and be == 1 and not (r["time_wait_server"] > 0 and r["time_wait_proxy"] == 0):
            bad.append(f"{r['name']}: TIME_WAIT backend {r['time_wait_server']} proxy {r['time_wait_proxy']}: "
                       "the backend closes first, so its side, not the proxy's")
        if strategy == "fresh_close" and be == 100 and not r["time_wait_proxy"] > 0:
            bad.append(f"{r['name']}: no TIME_WAIT on the proxy's side, which closes first")
        if strategy in ("reuse_unspec", "fresh_linger0") and not 0.99 <= r["snmp_TcpOutRsts_per_exchange"] <= 1.01:
            bad.append(f"{r['name']}: {r['snmp_TcpOutRsts_per_exchange']:.3f} RSTs per request, not 1")
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY

# SIGINT mid-run: exit 130 soon, the finished runs written, nothing left running.
"$section" --proxy-binary "$binary" --rounds 5 --seconds 20 --warmup 0 --bodies 64 --backend-requests 1 \
  --haproxy fresh_close --sockchurn reuse_unspec -o "$work/interrupted.json" >/dev/null 2>"$work/int.txt" &
pid=$!
sleep 4
kill -INT $pid
for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -0 $pid 2>/dev/null && { kill -KILL $pid; fail "still running 10 s after SIGINT"; }
wait $pid; status=$?
[ $status -eq 130 ] || fail "SIGINT: exit $status, not 130: $(tail -2 "$work/int.txt")"
[ -s "$work/interrupted.json" ] || fail "SIGINT: no results file"
left=$(ps -eo pid=,args= | grep -E 'sockchurn-proxy-section-|--backend 127\.0\.0\.1:8081' | grep -v grep)
[ -z "$left" ] || fail "left running after SIGINT: $left"
echo "PASS"
