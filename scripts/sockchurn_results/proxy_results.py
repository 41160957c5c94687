"""The proxy section's results (scripts/proxy_section, docs/proxy.md): its
table, its paired ratios with intervals, and the microbenchmark's prediction
beside them.

A row is one run of one variant (proxy, backend-side strategy, backend
requests per connection, body) in one round (``repetition_index``). Every
round runs every variant once, in alternating order, so a ratio A ÷ B is
taken within a round: one log-ratio per round, and over the rounds the
Hodges-Lehmann estimate with its Wilcoxon signed-rank 95% interval
(paired_stats.signed_rank_interval, the method of docs/paired.md). Which
pairs are compared follows from each strategy's role and how its
connections end (the catalog the section stores in its context), never from
a name.

Pure: rows and dicts in, dicts and text out.
"""

import json
import math
import statistics

from .names import parse_name
from .paired_stats import MIN_PAIRS, signed_rank_interval

CATALOG_KEY = "proxy_strategies"


class ProxyResultsError(ValueError):
    """A file that is not the proxy section's, or lacks what a table needs."""


def variant_of(name):
    """(proxy, strategy, backend_requests, body) of a proxy row's name, or None."""
    p = parse_name(name)
    dims = p["dims"]
    if dims.get("section") != "proxy":
        return None
    return dims.get("engine", "?"), p["strategy"], int(dims.get("backend_requests", 0)), int(dims.get("payload", 0))


def catalog_of(context):
    """{strategy: {"role", "ends_with", "keep_alive", ...}} stored by the section."""
    text = context.get(CATALOG_KEY)
    if not text:
        raise ProxyResultsError(f"the context has no '{CATALOG_KEY}' (a proxy file from before 2026-12-05: "
                                "its ratios cannot be chosen by role; rerun scripts/proxy_section)")
    try:
        return json.loads(text)
    except ValueError as e:
        raise ProxyResultsError(f"the context's '{CATALOG_KEY}' is not JSON: {e}") from None


def ratio_pairs(variants, catalog):
    """(proxy, A, B) for each proxy's ratios: every strategy over its baseline,
    the first fresh one whose end sends a FIN (a normal close); then each
    reuse strategy over each other fresh one. By role and how a connection
    ends: no strategy named here."""
    pairs = []
    for proxy in dict.fromkeys(v[0] for v in variants):
        names = list(dict.fromkeys(v[1] for v in variants if v[0] == proxy))
        info = {n: catalog.get(n, {}) for n in names}
        base = next((n for n in names if info[n].get("role") == "fresh" and info[n].get("ends_with") == "fin"
                     and not info[n].get("keep_alive")), None)
        if base is not None:
            pairs += [(proxy, n, base) for n in names if n != base]
        fresh = [n for n in names if info[n].get("role") == "fresh" and n != base]
        pairs += [(proxy, r, f) for r in names if info[r].get("role") == "reuse" for f in fresh]
    return pairs


def _by_variant(rows):
    out = {}
    for r in rows:
        v = variant_of(r["name"])
        if v is not None:
            out.setdefault(v, []).append(r)
    return out


def variants(rows):
    """The variants of the rows, in the order of their first row."""
    return list(_by_variant(rows))


def table(rows):
    """One dict per variant: medians over its good runs (and min-max of the rate)."""
    out = []
    for v, runs in _by_variant(rows).items():
        good = [r for r in runs if not r.get("error_occurred")]
        bad = [r for r in runs if r.get("error_occurred")]
        entry = {"proxy": v[0], "strategy": v[1], "backend_requests": v[2], "body": v[3], "runs": len(good),
                 "errored": len(bad), "error": bad[0].get("error_message", "") if bad else ""}
        if good:
            med = lambda k: statistics.median(r.get(k, math.nan) for r in good)  # noqa: E731
            rates = [r["exchanges_per_s"] for r in good]
            entry.update(rate=statistics.median(rates), rate_min=min(rates), rate_max=max(rates),
                         cpu_us=med("cpu_us_per_exchange"), server_cpu_us=med("server_cpu_us_per_exchange"),
                         p50_us=med("p50_us"), p99_us=med("p99_us"), opens=med("snmp_TcpActiveOpens_per_exchange"),
                         rsts=med("snmp_TcpOutRsts_per_exchange"), tw_server=med("time_wait_server"),
                         tw_proxy=med("time_wait_proxy"), foreign=med("foreign_cpu_load"))
        out.append(entry)
    return out


def _logs(ra, rb, key):
    common = sorted(set(ra) & set(rb))
    return [math.log(ra[i][key] / rb[i][key]) for i in common if ra[i].get(key, 0) > 0 and rb[i].get(key, 0) > 0]


def ratios(rows, catalog):
    """One dict per (proxy, A, B, backend_requests, body) with both sides
    measured: the rate and proxy-CPU ratios A ÷ B as Intervals (estimate,
    lo, hi; lo/hi NaN below MIN_PAIRS rounds)."""
    by = _by_variant(rows)
    vs = list(by)
    out = []
    for proxy, a, b in ratio_pairs(vs, catalog):
        for be in sorted({v[2] for v in vs}):
            for body in sorted({v[3] for v in vs}):
                runs = {}
                for side in (a, b):
                    runs[side] = {r["repetition_index"]: r for r in by.get((proxy, side, be, body), [])
                                  if not r.get("error_occurred")}
                rate = _logs(runs[a], runs[b], "exchanges_per_s")
                if not rate:
                    continue
                cpu = _logs(runs[a], runs[b], "cpu_us_per_exchange")
                out.append({"proxy": proxy, "a": a, "b": b, "backend_requests": be, "body": body,
                            "rounds": len(rate), "rate": signed_rank_interval(rate).exp(),
                            "cpu": signed_rank_interval(cpu).exp()})
    return out


def find_ratio(found, proxy, a, b, backend_requests, body):
    for r in found:
        if (r["proxy"], r["a"], r["b"], r["backend_requests"], r["body"]) == (proxy, a, b, backend_requests, body):
            return r
    return None


# --- the microbenchmark's prediction ------------------------------------------------------------

def micro_cpu_saving(paired_blocks, engine, a, b):
    """From a paired run (a results file's "paired" list): the client CPU per
    exchange that strategy `a` saves against `b` in the group of `engine`
    with the server closing first, in µs, as (estimate, lo, hi): b's median
    CPU per exchange times (1 - the paired CPU ratio a ÷ b and its interval
    ends). None when the file has no such group."""
    for block in paired_blocks:
        names = block.get("roles", {})
        def pick(strategy):
            for n in names:
                p = parse_name(n)
                if (p["strategy"] == strategy and p["dims"].get("engine", "blocking") == engine
                        and p["dims"].get("closer") == "server" and p["dims"].get("port", "ephemeral") == "ephemeral"):
                    return n
            return None
        na, nb = pick(a), pick(b)
        if na is None or nb is None:
            continue
        cpu_b = [s["client_cpu_ns"] / s["exchanges"] / 1000 for s in block["slices"]
                 if s["variant"] == nb and s.get("exchanges")]
        rounds_a = {s["round"]: s for s in block["slices"] if s["variant"] == na and s.get("exchanges")}
        rounds_b = {s["round"]: s for s in block["slices"] if s["variant"] == nb and s.get("exchanges")}
        logs = [math.log((rounds_a[i]["client_cpu_ns"] / rounds_a[i]["exchanges"])
                         / (rounds_b[i]["client_cpu_ns"] / rounds_b[i]["exchanges"]))
                for i in sorted(set(rounds_a) & set(rounds_b))]
        if not cpu_b or len(logs) < MIN_PAIRS:
            continue
        ratio = signed_rank_interval(logs).exp()
        base = statistics.median(cpu_b)
        return {"a": na, "b": nb, "cpu_b_us": base, "rounds": ratio.n, "ratio": ratio,
                "saving_us": (base * (1 - ratio.estimate), base * (1 - ratio.hi), base * (1 - ratio.lo))}
    return None


def predicted_ratio(proxy_cpu_b_us, saving):
    """The proxy's CPU-per-request ratio A ÷ B if A saved exactly the
    microbenchmark's saving per backend connection: (estimate, lo, hi)."""
    s = saving["saving_us"]
    return tuple((proxy_cpu_b_us - x) / proxy_cpu_b_us for x in (s[0], s[2], s[1]))
