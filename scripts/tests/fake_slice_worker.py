#!/usr/bin/python3
"""A stand-in for `tcp_churn --slice-worker` (PAIRED_SPEC.md), for the paired
driver's tests: the same flags, ready line, commands and answers, with
made-up rates.

Its behaviour per variant comes from the JSON file named by the environment
variable FAKE_SLICE_WORKER: {"variants": {NAME: {...}}, "log_dir": DIR,
"seed": N, "time_scale": F}. Per variant (all optional):
  rate            exchanges/s (default 10000); "modes": [[rate, share], ...]
                  picks one per slice instead
  noise           sigma of the lognormal noise per slice (default 0.02)
  drift           sigma of a random walk per round that every variant of the
                  run shares (the same seed: the machine's mood; default 0)
  cpu_us          client CPU µs per exchange (default 20), same noise
  busy            foreign_cpu_load of every slice (default 0.01)
  stall_slice     the slice (1-based) in which one exchange takes stall_s
                  (default 0.7 s, as a SIGSTOP of the echo server)
  error_at_start  an error message instead of the ready line (exit 1)
  error_at_slice  the slice (1-based) that fails with an error line (exit 1)
  unknown         true: the variant does not exist (one line on stderr, exit 2)
--list-groups prints "^NAME/" per variant; with --json the config's "roles"
({"strategy_roles": ROLES}), and without "roles" it rejects --json.
time_scale: the fraction of each reported slice time that is really slept
(default 0.05, so tests are fast); log_dir: each worker writes
<pid>.json there with its argv, its network namespace and its child's pid
(a sleeping child stands for the echo server).
"""

import argparse
import json
import math
import os
import random
import signal
import subprocess
import sys
import time
import zlib


def parse(argv):
    p = argparse.ArgumentParser(prog="fake_slice_worker")
    p.add_argument("--slice-worker", action="store_true", required=True)
    p.add_argument("--variant", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--placement", default="same")
    p.add_argument("--payload", type=int, default=64)
    p.add_argument("--warmup-max-s", type=float, default=10.0)
    return p.parse_known_args(argv)[0]


def emit(doc):
    sys.stdout.write(json.dumps(doc) + "\n")
    sys.stdout.flush()


def fail(message):
    emit({"error": message})
    print(f"fake_slice_worker: {message}", file=sys.stderr)
    sys.exit(1)


def list_groups(config, as_json):
    """--list-groups: a regex per configured variant; with --json the
    config's "roles" (a strategy_roles string), or a rejected flag."""
    if as_json:
        if "roles" not in config:
            print("fake_slice_worker: unknown flag '--json'", file=sys.stderr)
            return 2
        emit({"strategy_roles": config["roles"]})
        return 0
    for name in config.get("variants", {}):
        print(f"^{name}/")
    return 0


def main():
    with open(os.environ["FAKE_SLICE_WORKER"], encoding="utf-8") as f:
        config = json.load(f)
    if "--list-groups" in sys.argv:
        return list_groups(config, "--json" in sys.argv)
    args = parse(sys.argv[1:])
    me = config.get("variants", {}).get(args.variant)
    if me is None or me.get("unknown"):
        print(f"fake_slice_worker: unknown variant '{args.variant}'", file=sys.stderr)
        return 2
    scale = config.get("time_scale", 0.05)
    # The echo server's stand-in: a child in the worker's process group.
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    if config.get("log_dir"):
        # Written whole, then renamed: a test polling the folder never reads half a file.
        path = os.path.join(config["log_dir"], f"{os.getpid()}.json")
        with open(path + ".part", "w") as f:
            json.dump({"argv": sys.argv, "pid": os.getpid(), "child": child.pid,
                       "pgid": os.getpgid(0), "netns": os.readlink("/proc/self/ns/net")}, f)
        os.replace(path + ".part", path)
    signal.signal(signal.SIGTERM, lambda *_: (child.kill(), sys.exit(143)))
    if me.get("error_at_start"):
        child.kill()
        fail(me["error_at_start"])
    own = random.Random(zlib.crc32(args.variant.encode()) ^ config.get("seed", 1))
    shared = random.Random(config.get("seed", 1))
    drift = 0.0
    emit({"ready": True, "variant": args.variant, "threads": args.threads,
          "placement": args.placement, "payload": args.payload,
          "warmup": {"seconds": 0.3, "exchanges": 3000, "time_wait": 0, "stable": True}})
    number = 0
    for line in sys.stdin:
        words = line.split()
        if words == ["quit"]:
            break
        if len(words) != 3 or words[0] != "slice":
            emit({"error": f"unknown command '{line.strip()}'"})
            continue
        number += 1
        if me.get("error_at_slice") == number:
            child.kill()
            fail(f"connect: Cannot assign requested address (EADDRNOTAVAIL) in slice {number}")
        seconds, floor = float(words[1]), int(words[2])
        drift += shared.gauss(0, me.get("drift", 0.0))
        if "modes" in me:
            pick, rate = own.random(), me["modes"][-1][0]
            for mode_rate, share in me["modes"]:
                if pick < share:
                    rate = mode_rate
                    break
                pick -= share
        else:
            rate = me.get("rate", 10000.0)
        noise = me.get("noise", 0.02)
        rate *= math.exp(drift + own.gauss(0, noise))
        exchanges = max(floor, math.ceil(rate * seconds))
        wall_s = exchanges / rate
        max_us = 1e6 / rate * 5
        if me.get("stall_slice") == number:
            stall = me.get("stall_s", 0.7)
            wall_s += stall
            max_us = stall * 1e6
        time.sleep(wall_s * scale)
        cpu_us = me.get("cpu_us", 20.0) * math.exp(own.gauss(0, noise))
        emit({"slice": number - 1, "exchanges": exchanges, "errors": {},  # 0-based, as the worker
              "wall_ns": int(wall_s * 1e9), "client_cpu_ns": int(cpu_us * exchanges * 1e3),
              "server_cpu_ns": int(cpu_us * 0.8 * exchanges * 1e3),
              "machine_busy_ns": int(wall_s * 1e9), "steal_ns": 0,
              "foreign_cpu_load": me.get("busy", 0.01), "time_wait": 0, "syscalls": None,
              "p50_us": 1e6 / rate, "p99_us": 2e6 / rate, "max_us": max_us, "short": False})
    child.kill()
    child.wait()
    emit({"done": True})
    return 0


if __name__ == "__main__":
    sys.exit(main())
