#!/usr/bin/env bash
# The kernel's counters and the syscall count on every row must agree with
# what each strategy does, so that a counter that lies fails the tests: one
# client-side TCP open per exchange (none for keepalive), one RST per
# exchange where the connection ends with a reset and none where it ends with
# a FIN, two UDP datagrams per exchange (client and server share the
# namespace), and the exact number of system calls of one cycle (one
# io_uring_enter per cycle in the io_uring engine; in the Asio engine at least
# the blocking engine's; at flows:N one io_uring_enter per N cycles, as one
# enter waits for every flow's chain). The io_uring engine at flows:16 runs
# reuse_unspec and fresh_linger0: TcpActiveOpens per exchange within 1%
# (a second per run: the up to 15 exchanges in flight at its end are opened
# but not counted); and UDP reuse_unspec: UdpOutDatagrams per exchange
# within 1% of 2.
# With rpc:N a connection carries N exchanges: opens
# and RSTs are 1/N per exchange, in every engine that takes rpc; a TCP
# strategy missing at rpc:1 or rpc:10 in any engine that runs here fails.
# Built with a sanitizer (SOCKCHURN_SANITIZE set by CTest) the exact system
# call counts are not checked: the sanitizer's runtime makes calls of its own.
# Needs a private network namespace (root): exits 77 otherwise.
# usage: tests/counters_agree.sh BIN_DIR
set -uo pipefail

if [ $# -lt 1 ] || [ ! -x "$1/tcp_churn" ]; then
  echo "usage: $0 BIN_DIR (with tcp_churn and udp_churn)" >&2
  exit 2
fi
bin=$(cd "$1" && pwd)
. "$(dirname "$0")/support/own_netns.sh"
own_netns "the counters are the namespace's" "$0" "$@"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() {  # BINARY FILTER [FLAGS...]; the JSON in $work/${out:-BINARY}.json
  local out=${out:-$1}
  "$bin/$1" --threads=1 --max-errors=0 --count-syscalls --benchmark_min_time=0.05 --benchmark_filter="$2" "${@:3}" \
    --benchmark_format=json \
    >"$work/$out.json" 2>"$work/$1.err" ||
    { echo "FAIL: $1 exited $?: $(grep -o '"error_message": .*' "$work/$1.json") $(grep "^$1: " "$work/$1.err")"; exit 1; }
}
run tcp_churn '/closer:client/(port:ephemeral/)?payload|^tcp/keepalive/' --benchmark_repetitions=3 --rpc=1,10 --flows=1,4
out=tcp_flows16 run tcp_churn '^tcp/(reuse_unspec|fresh_linger0)/engine:uring/flows:16/closer:client/(port:ephemeral/)?payload' \
  --flows=16 --benchmark_min_time=1
run udp_churn '^udp/(fresh_close|reuse_unspec/(engine:uring/)?port:ephemeral|reconnect|sendto)/' --flows=1
out=udp_flows16 run udp_churn '^udp/reuse_unspec/engine:uring/flows:16/port:ephemeral/' --flows=16 --benchmark_min_time=1

/usr/bin/python3 - "$work/tcp_churn.json" "$work/udp_churn.json" "$work/tcp_flows16.json" "$work/udp_flows16.json" <<'PY'
import json, os, sys

# strategy: (opens, RSTs or datagrams, syscalls) per exchange, closer client.
TCP = {
    "fresh_close": (1, 0, 5),         # socket connect write read close
    "fresh_linger0": (1, 1, 6),       # + setsockopt(SO_LINGER)
    "reuse_unspec": (1, 1, 4),        # connect write read connect(AF_UNSPEC)
    "conditional_linger": (1, 1, 6),  # socket connect write read setsockopt close
    "shutdown_drain": (1, 0, 7),      # socket connect write read shutdown read close
    "bind_no_port": (1, 0, 7),        # socket setsockopt bind connect write read close
    "port_range": (1, 1, 7),          # socket setsockopt setsockopt(SO_LINGER) connect write read close
    "keepalive": (0, 0, 2),           # write read
}
UDP = {
    "fresh_close": (2, 5),   # socket connect send recvfrom close
    "reuse_unspec": (2, 4),  # connect send recvfrom connect(AF_UNSPEC)
    "reconnect": (2, 3),     # connect send recvfrom
    "sendto": (2, 2),        # sendto recvfrom
}
failures = 0

def check(row, name, want, tolerance=0.0):
    global failures
    got = row.get(name)
    if got is None or abs(got - want) > tolerance:
        print(f"FAIL: {row['name']}: {name} = {got}, want {want}")
        failures += 1

def within(row, name, low, high):
    global failures
    got = row.get(name)
    if got is None or not low - 1e-9 <= got <= high + 1e-9:
        print(f"FAIL: {row['name']}: {name} = {got}, want {low:.6f}..{high:.6f}")
        failures += 1

def variant(row, protocol):
    """A row's strategy, engine, flows and rpc from its name, and its key in
    `seen`: the strategy, with its engine unless blocking, /flows:16 and /rpc
    where the row has them."""
    parts = row["name"].split("/")
    dims = dict(p.split(":", 1) for p in parts if ":" in p)
    strategy, engine = parts[1], dims.get("engine", "blocking")
    flows, rpc = int(dims.get("flows", 1)), int(dims.get("rpc", 1))
    key = ("udp/" if protocol == "udp" else "") + strategy
    key += ("/engine:" + engine if engine != "blocking" else "") + ("/flows:16" if flows == 16 else "")
    key += "/rpc" if rpc != 1 else ""
    return strategy, engine, flows, rpc, key

def calls_per_exchange(engine, flows, calls):
    """System calls per exchange: the blocking engine's `calls` (the Asio
    engine's at least those), one io_uring_enter for every flow's chain in
    the io_uring engine."""
    return 1 / flows if engine == "uring" else calls

tcp, udp, tcp16, udp16 = (json.load(open(p)) for p in sys.argv[1:5])
syscalls_counted = tcp["context"].get("syscall_counter", "").startswith("raw_syscalls")
sanitizer = os.environ.get("SOCKCHURN_SANITIZE", "")
if sanitizer:
    # The sanitizer's runtime makes system calls of its own in the
    # benchmark thread (ASan maps shadow memory as the program allocates).
    syscalls_counted = False
    tcp["context"]["syscall_counter"] = "built with -fsanitize=" + sanitizer
seen = set()
for row in tcp["benchmarks"] + tcp16["benchmarks"]:
    if row.get("run_type") != "iteration":
        continue
    strategy, engine, flows, rpc, key = variant(row, "tcp")
    opens, rsts, calls = TCP[strategy]
    calls = calls_per_exchange(engine, flows, calls)
    if flows == 16:
        # The independent check at many flows: the kernel's opens agree
        # with the exchanges counted within 1%.
        within(row, "snmp_TcpActiveOpens_per_exchange", 0.99 / rpc, 1.01 / rpc)
    seen.add(key)
    # keepalive's connections (one per flow) are opened in the first
    # cycles. With rpc:N or several flows a run ends with up to one
    # connection per flow part-used (opened, ended the strategy's way by
    # finish()): at most `flows` opens and RSTs more than 1/N per exchange.
    k = row["iterations"]
    if opens == 0:
        check(row, "snmp_TcpActiveOpens_per_exchange", 0, tolerance=flows / k + 1e-9)
    else:
        within(row, "snmp_TcpActiveOpens_per_exchange", 1 / rpc, 1 / rpc + (flows - 1 + (rpc > 1)) / k)
    if rsts == 0:
        # keepalive resets its connections at the end of a run; a FIN
        # strategy's connections still in flight there (other flows) end
        # with unread data: a RST.
        check(row, "snmp_TcpOutRsts_per_exchange", 0, tolerance=(flows if opens == 0 else flows - 1) / k + 1e-9)
    else:
        within(row, "snmp_TcpOutRsts_per_exchange", 1 / rpc, 1 / rpc + (flows - 1 + (rpc > 1)) / k)
    check(row, "netstat_TCPSynRetrans_per_exchange", 0)
    # time_wait counts the TIME_WAIT sockets this run made (never those of
    # the repetitions before it): at most one per exchange, and for a FIN
    # close by the client about one per exchange (tcp_tw_reuse recycles
    # some only after a second).
    if row.get("run_type") == "iteration" and "time_wait" in row:
        fin_close = rsts == 0 and opens == 1
        low = 0.5 * row["iterations"] / rpc if fin_close else 0
        high = row["iterations"] / rpc + flows if fin_close else 0
        if not low <= row["time_wait"] <= high:
            print(f"FAIL: {row['name']} repetition {row.get('repetition_index')}: time_wait = {row['time_wait']}, "
                  f"want {low:.0f}..{high:.0f} for {row['iterations']} exchanges")
            failures += 1
    # Over a whole run: the first cycle of keepalive and the reusing
    # strategies also opens (and connects) its socket, keepalive's end of
    # run resets and closes it, and Google Benchmark's loop makes two calls
    # of its own at its ends.
    if syscalls_counted and engine == "asio":
        # Non-blocking: EINPROGRESS, epoll_wait, SO_ERROR and EAGAIN reads
        # come on top of the blocking engine's calls, how many depends on
        # timing; never fewer.
        if row.get("syscalls_per_exchange", 0) < calls / rpc:
            print(f"FAIL: {row['name']}: syscalls_per_exchange = {row.get('syscalls_per_exchange')}, "
                  f"want at least {calls / rpc}")
            failures += 1
    elif syscalls_counted and rpc == 1:
        check(row, "syscalls_per_exchange", calls, tolerance=(6 + flows) / row["iterations"] + 1e-9)
for row in udp["benchmarks"] + udp16["benchmarks"]:
    if row.get("run_type") != "iteration":
        continue
    strategy, engine, flows, _, key = variant(row, "udp")
    datagrams, calls = UDP[strategy]
    calls = calls_per_exchange(engine, flows, calls)
    if flows == 16:
        # The independent check at many flows: the kernel's datagrams (the
        # client's and the echo's) agree with the exchanges counted within
        # 1%; the up to 15 in flight at the end are sent but not counted.
        within(row, "snmp_UdpOutDatagrams_per_exchange", 0.99 * datagrams, 1.01 * datagrams)
    else:
        check(row, "snmp_UdpOutDatagrams_per_exchange", datagrams)
    seen.add(key)
    check(row, "snmp_UdpInErrors_per_exchange", 0)
    if syscalls_counted:
        check(row, "syscalls_per_exchange", calls, tolerance=(3 + flows) / row["iterations"] + 1e-9)
missing = (set(TCP) | {"udp/" + s for s in UDP}) - seen
if "uring" not in tcp["context"].get("engines_left_out", ""):
    missing |= {"udp/" + s + "/engine:uring" for s in ("fresh_close", "reuse_unspec")} - seen
    missing |= {s + "/engine:uring/flows:16" for s in ("fresh_linger0", "reuse_unspec")} - seen
    missing |= {"udp/reuse_unspec/engine:uring/flows:16"} - seen
# Every TCP strategy in every engine that runs here, at rpc:1 and (where it
# ends connections) rpc:10: opens and RSTs 1/N per exchange in each.
engines = [""] + ["/engine:" + e for e in ("uring", "asio") if e not in tcp["context"].get("engines_left_out", "")]
missing |= {s + e + r for s in TCP for e in engines for r in ("", "/rpc") if not (r and s == "keepalive")} - seen
if missing:
    print(f"FAIL: no row for {sorted(missing)}")
    failures += 1
note = "" if syscalls_counted else " (syscalls not counted here: " + tcp["context"]["syscall_counter"] + ")"
print(f"counters_agree: {len(seen)} strategies checked, {failures} failed{note}")
sys.exit(1 if failures else 0)
PY
