#!/usr/bin/env bash
# The slice worker (tcp_churn/udp_churn --slice-worker) driven through a pipe
# as scripts/paired drives it: its ready line after the warm-up, slices that
# hold at least what they were asked (time and exchanges), an unknown command
# answered and survived, quit and EOF ending it with {"done": true}, threads
# that take no CPU while idle, a slice bounded at 20 times its time; an
# unknown variant (exit 2, one line) and an unreachable server (the JSON
# error line on stdout and stderr, exit 1).
# Needs a private network namespace (root): exits 77 otherwise.
# usage: tests/slice_worker.sh BIN_DIR
set -uo pipefail

if [ $# -lt 1 ] || [ ! -x "$1/tcp_churn" ] || [ ! -x "$1/udp_churn" ]; then
  echo "usage: $0 BIN_DIR (with tcp_churn and udp_churn)" >&2
  exit 2
fi
bin=$(cd "$1" && pwd)
. "$(dirname "$0")/support/own_netns.sh"
own_netns "the worker churns connections" "$0" "$@"

exec timeout -k 5 120 /usr/bin/python3 - "$bin" <<'PY'
import json, os, socket, subprocess, sys, time

bin_dir = sys.argv[1]
failures = 0

def check(ok, what):
    global failures
    print(("PASS: " if ok else "FAIL: ") + what, flush=True)
    failures += 0 if ok else 1

def start(binary, *args):
    return subprocess.Popen([os.path.join(bin_dir, binary), "--slice-worker", *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)

def ask(p, command):
    p.stdin.write(command + "\n")
    p.stdin.flush()
    return json.loads(p.stdout.readline())

def cpu_ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime of every thread, in clock ticks

SLICE_KEYS = {"slice", "exchanges", "errors", "wall_ns", "client_cpu_ns", "server_cpu_ns", "machine_busy_ns",
              "steal_ns", "foreign_cpu_load", "time_wait", "syscalls", "p50_us", "p99_us", "max_us", "short"}

def session(binary, variant, builds_time_wait):
    p = start(binary, "--variant", variant, "--threads", "2", "--warmup-max-s", "1.5")
    ready = json.loads(p.stdout.readline())
    warm = ready.get("warmup", {})
    check(ready.get("ready") is True and ready.get("variant") == variant and ready.get("threads") == 2
          and ready.get("placement") == "same" and ready.get("payload") == 64 and warm.get("exchanges", 0) > 0
          and 0.3 <= warm.get("seconds", 0) <= 3 and isinstance(warm.get("stable"), bool),
          f"{variant}: ready line {json.dumps(ready)}")
    if builds_time_wait:
        check((warm.get("time_wait") or 0) > 0, f"{variant}: the warm-up built up TIME_WAIT ({warm.get('time_wait')})")
    else:
        check(warm.get("time_wait") in (0, None) and warm.get("stable") is True, f"{variant}: no TIME_WAIT, stable at once")
    for k, (seconds, least) in enumerate([(0.06, 200), (0.1, 300)]):
        s = ask(p, f"slice {seconds} {least}")
        check(SLICE_KEYS <= set(s) and s["slice"] == k and s["exchanges"] >= least and s["wall_ns"] >= seconds * 1e9
              and s["short"] is False and s["errors"] == {} and s["server_cpu_ns"] > 0 and s["client_cpu_ns"] > 0
              and 0 < s["p50_us"] <= s["p99_us"] <= s["max_us"] and s["syscalls"] is None
              and (s["time_wait"] is None) == (binary == "udp_churn"),
              f"{variant}: slice {k} ({seconds} s, {least} exchanges): {json.dumps(s)}")
    # Idle between slices: the threads are blocked, not spinning.
    before = cpu_ticks(p.pid)
    time.sleep(0.5)
    idle = cpu_ticks(p.pid) - before
    check(idle <= 2, f"{variant}: {idle} clock ticks of CPU in 0.5 s idle")
    check(ask(p, "frobnicate") == {"error": "unknown command 'frobnicate'"}, f"{variant}: an unknown command is answered")
    bad = ask(p, "slice soon 5")
    check("bad slice command" in bad.get("error", ""), f"{variant}: a bad slice command: {bad}")
    s = ask(p, "slice 0.05 10")
    check(s.get("slice") == 2 and s.get("exchanges", 0) >= 10, f"{variant}: still slicing after them")
    return p

p = session("tcp_churn", "tcp/reuse_unspec/closer:client/port:ephemeral", False)
check(ask(p, "quit") == {"done": True} and p.wait(10) == 0, "quit: {\"done\": true}, exit 0")
p = session("tcp_churn", "tcp/fresh_close/closer:client", True)
p.stdin.close()  # EOF ends it as quit does
check(json.loads(p.stdout.readline()) == {"done": True} and p.wait(10) == 0, "EOF: {\"done\": true}, exit 0")
p = session("udp_churn", "udp/reuse_unspec/port:ephemeral", False)
check(ask(p, "quit") == {"done": True} and p.wait(10) == 0, "udp: quit")

# A slice that cannot reach its count stops at 20 times its time, and says so.
p = start("tcp_churn", "--variant", "tcp/keepalive", "--warmup-max-s", "0.5")
p.stdout.readline()
s = ask(p, "slice 0.01 100000000")
check(s.get("short") is True and 0.2e9 <= s.get("wall_ns", 0) < 1e9,
      f"an unreachable count: short after {s.get('wall_ns', 0) / 1e6:.0f} ms")
p.stdin.close()
p.wait(10)

# An unknown variant: one line naming it, exit 2, nothing on stdout.
r = subprocess.run([os.path.join(bin_dir, "tcp_churn"), "--slice-worker", "--variant", "tcp/no_such"],
                   capture_output=True, text=True, timeout=10)
lines = r.stderr.strip().splitlines()
check(r.returncode == 2 and r.stdout == "" and len(lines) == 1 and
      lines[0].startswith("tcp_churn: --variant: 'tcp/no_such' is not a tcp variant; one of tcp/fresh_close/closer:client,"),
      f"unknown variant: exit {r.returncode}, {lines}")

# An unreachable server: the JSON error line on stdout and on stderr, exit 1.
s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
r = subprocess.run([os.path.join(bin_dir, "tcp_churn"), "--slice-worker", "--variant", "tcp/fresh_close/closer:client",
                    f"--server=127.0.0.1:{port}"], capture_output=True, text=True, timeout=10)
want = json.dumps({"error": f"cannot reach the echo server at 127.0.0.1:{port} (tcp): ECONNREFUSED"})
check(r.returncode == 1 and r.stdout.strip() == want and r.stderr.strip() == want,
      f"unreachable server: exit {r.returncode}, stdout {r.stdout.strip()!r}, stderr {r.stderr.strip()!r}")

print(f"slice_worker: {failures} failed" if failures else "slice_worker: all passed")
sys.exit(1 if failures else 0)
PY
