#!/usr/bin/python3
"""Writes synthetic-paired.json: a TEST FIXTURE, not a measurement.

A small results file in the suite's format (Google Benchmark rows plus the
top-level "paired" key of /work/wt/PAIRED_SPEC.md) whose numbers are made up
by the formulas below, so that the scenario answers, the forest plot, the
report and the README generator can be tested before a paired reference run
exists. Its context says "synthetic" in every place a reader looks.

Regenerate: /usr/bin/python3 scripts/tests/data/make_synthetic_paired.py
"""

import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from sockchurn_results import jsonfile  # noqa: E402

NOTE = "SYNTHETIC TEST FIXTURE (scripts/tests/data/make_synthetic_paired.py): made-up numbers, not a measurement"
ROLES = "fresh_close=fresh,fresh_linger0=fresh,reuse_unspec=reuse,keepalive=reference,sendto=reference"
# Made-up rates (exchanges/s at one thread) and what each strategy leaves behind.
RATE = {"fresh_close": 14000.0, "fresh_linger0": 33000.0, "reuse_unspec": 37000.0, "keepalive": 60000.0,
        "sendto": 140000.0}
UDP_RATE = {"fresh_close": 90000.0, "reuse_unspec": 120000.0, "sendto": 140000.0}


def row(name, threads, rep, rate, tw=0.0, tw_server=0.0, extra=None):
    out = {"name": name, "run_name": name, "run_type": "iteration", "repetitions": 3,
           "repetition_index": rep, "threads": threads, "iterations": 1000,
           "real_time": 1e9 / rate, "cpu_time": 0.8e9 / rate, "time_unit": "ns",
           "exchanges_per_s": rate * (1 + 0.01 * (rep - 1)), "cpu_us_per_exchange": 0.8e6 / rate,
           "p50_us": 0.9e6 / rate, "p99_us": 2.5e6 / rate, "foreign_cpu_load": 0.02}
    if name.startswith("tcp/"):
        out.update(time_wait=tw, time_wait_server=tw_server)
    out.update(extra or {})
    return out


def variant(proto, strategy, dims):
    return "/".join([proto, strategy] + [f"{k}:{v}" for k, v in dims if v])


def run_name(var, threads, section=""):
    return f"{var}/payload:64/placement:same{section}/real_time/threads:{threads}"


def benchmarks():
    rows = []
    for closer in ("client", "server"):
        for rpc in (1, 100):
            for threads in (1, 8):
                for strategy in ("fresh_close", "fresh_linger0", "reuse_unspec"):
                    port = "ephemeral" if strategy == "reuse_unspec" else ""
                    dims = [("rpc", rpc if rpc > 1 else ""), ("closer", closer), ("port", port)]
                    name = run_name(variant("tcp", strategy, dims), threads)
                    scale = 1.0 if rpc == 1 else 2.5 * RATE["reuse_unspec"] / RATE[strategy]
                    tw = 12000.0 if strategy == "fresh_close" else 0.0
                    tw_server = tw if closer == "server" else 0.0
                    for rep in range(3):
                        rows.append(row(name, threads, rep, RATE[strategy] * scale * (1 + threads / 8),
                                        tw, tw_server))
        for flows in (1, 16):
            for strategy in ("fresh_close", "fresh_linger0", "reuse_unspec"):
                port = "ephemeral" if strategy == "reuse_unspec" else ""
                dims = [("engine", "asio"), ("flows", flows), ("closer", closer), ("port", port)]
                name = run_name(variant("tcp", strategy, dims), 1)
                for rep in range(3):
                    rows.append(row(name, 1, rep, RATE[strategy] * 0.9, 9000.0 if strategy == "fresh_close" else 0.0))
    for rep in range(3):
        rows.append(row(run_name("tcp/keepalive", 1), 1, rep, RATE["keepalive"]))
        for strategy in ("fresh_close", "reuse_unspec", "sendto"):
            port = [("port", "ephemeral")] if strategy == "reuse_unspec" else []
            rows.append(row(run_name(variant("udp", strategy, port), 1), 1, rep, UDP_RATE[strategy]))
        # The conntrack section: entries left in the namespace's table (made up).
        for strategy, entries in (("fresh_close", {"TIME_WAIT": 11000.0}), ("fresh_linger0", {"CLOSE": 3000.0}),
                                  ("reuse_unspec", {"CLOSE": 3100.0})):
            port = [("port", "ephemeral")] if strategy == "reuse_unspec" else []
            name = run_name(variant("tcp", strategy, [("closer", "client")] + port), 1,
                            "/section:conntrack/conntrack:on")
            extra = {"conntrack_entries": sum(entries.values())}
            extra.update({f"conntrack_entries_{k}": v for k, v in entries.items()})
            rows.append(row(name, 1, rep, RATE[strategy] * 0.9, extra=extra))
    for i, r in enumerate(rows):
        r["family_index"], r["per_family_instance_index"] = i // 3, 0
    return rows


def ratio(num, den, metric, estimate, half):
    return {"numerator": num, "denominator": den, "metric": metric, "estimate": estimate,
            "lo": round(estimate - half, 4), "hi": round(estimate + half, 4), "confidence": 0.95,
            "method": "synthetic (no method: made-up numbers)", "pairs": 20, "excluded": 0, "excluded_why": []}


def group(names, threads, estimates, flags=None):
    """A paired entry: reuse (names[-1]) ÷ each fresh (names[:-1]) at the given (estimate, half-width)."""
    reuse = names[-1]
    ratios = []
    for fresh, (est, half) in zip(names[:-1], estimates):
        ratios.append(ratio(reuse, fresh, "exchanges_per_s", est, half))
        # CPU per exchange the documented way up: fresh ÷ reuse (> 1: reuse is cheaper).
        ratios.append(ratio(fresh, reuse, "cpu_us_per_exchange", est, half))
    return {"group": names, "threads": threads, "placement": "same", "payload": 64, "slice_s": 0.1,
            "min_exchanges": 200, "rounds": 20, "order": "random", "seed": 1,
            "warmup": {n: {"seconds": 1.0, "exchanges": 20000, "time_wait": 0, "stable": True} for n in names},
            "slices": [], "ratios": ratios, "modes": {},
            "flags": flags or {"busy_slices": 0, "insufficient_slices": 0, "stalled_slices": 0}}


def tcp(closer, rpc=1, engine="", flows=""):
    dims = [("engine", engine), ("flows", flows), ("rpc", rpc if rpc > 1 else ""), ("closer", closer)]
    return [variant("tcp", "fresh_close", dims), variant("tcp", "fresh_linger0", dims),
            variant("tcp", "reuse_unspec", dims + [("port", "ephemeral")])]


def paired():
    return [
        # short-lived: reuse wins against both (intervals above 1).
        group(tcp("client"), 1, [(2.6, 0.05), (1.12, 0.02)]),
        # proxy-backend, blocking: reuse wins against fresh_close, ties with fresh_linger0.
        group(tcp("server"), 1, [(1.14, 0.02), (1.01, 0.03)]),
        # proxy-backend, asio 16 connections per thread: a tie against both, one stalled slice.
        group(tcp("server", engine="asio", flows=16), 1, [(1.02, 0.04), (0.99, 0.03)],
              {"busy_slices": 0, "insufficient_slices": 0, "stalled_slices": 1}),
        # pool at 100 requests per connection: no difference beyond noise.
        group(tcp("client", rpc=100), 1, [(1.01, 0.02), (0.995, 0.02)]),
        # port pressure at 8 threads: reuse wins.
        group(tcp("client"), 8, [(3.3, 0.1), (1.2, 0.04)]),
        # UDP: reuse wins against a fresh socket.
        group(["udp/fresh_close", "udp/reuse_unspec/port:ephemeral"], 1, [(1.33, 0.03)]),
    ]


def main():
    doc = {"context": {"date": "2026-01-01T00:00:00+00:00", "host_name": "synthetic", "num_cpus": 2,
                       "library_build_type": "release", "git_commit": "synthetic", "kernel": "synthetic",
                       "strategy_roles": ROLES, "synthetic": NOTE,
                       "suite_command": "synthetic: " + NOTE, "suite_isolation": "a fresh network namespace per strategy group",
                       "suite_unfinished_groups": "", "suite_skipped_groups": ""},
           "benchmarks": benchmarks(), "paired": paired()}
    out = HERE / "synthetic-paired.json"
    tmp = out.with_suffix(".tmp")
    jsonfile.write(tmp, doc, mode="w")
    os.replace(tmp, out)
    print(f"wrote {out} ({NOTE})")


if __name__ == "__main__":
    main()
