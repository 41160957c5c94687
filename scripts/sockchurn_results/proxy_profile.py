"""Where the proxy's CPU per request goes (scripts/proxy_profile): the
proxy section's profiled runs (scripts/proxy_section --perf-dir) in the
buckets of scripts/profile, per backend strategy, and what reuse changes
against each fresh strategy.

A run is one row of the section with its perf script text: perf sampled the
proxy process alone (``-p``) at ``-F HZ`` from the end of the warm-up to the
end of the measured wrk run, so a sample stands for 1/HZ s of the proxy's
CPU and µs per request = samples ÷ HZ ÷ the run's requests. A strategy's
figure pools its runs (all rounds): samples summed over requests summed,
beside the proxy's measured CPU per request (/proc/PID/stat of the same
runs) pooled the same way; the buckets must add up to it within
profile.TOLERANCE. Classification, folding and the function differences are
sockchurn_results.profile's. Pairs are chosen by role (a reuse strategy
against each fresh one, as proxy_results.ratio_pairs orders them), never by
name.

Pure: texts and rows in, dicts and text out.
"""

import re
from collections import Counter

from . import profile
from .proxy_results import ProxyResultsError, catalog_of, ratio_pairs, variant_of

FORMAT = "sockchurn-proxy-profile"
VERSION = 1
OUTSIDE = "kernel outside a syscall handler"
EVENT = "cpu-clock"
TOP = 12
FOLDED_KEEP = 150  # stacks per strategy kept in proxy-profile.json


class ProxyProfileError(ValueError):
    """Rows or texts that cannot be turned into the proxy's profile; one line."""


def run_counts(text, source):
    """{"samples", "buckets", "folded", "syscalls"} of one run's perf script
    text, each a count of samples (by bucket, folded stack, system call)."""
    try:
        samples = profile.parse_perf_script(text, source)
    except profile.ProfileError as e:
        raise ProxyProfileError(str(e)) from None
    samples = [s for s in samples if re.split(r"[:/]", s.event)[0] == EVENT]
    if not samples:
        raise ProxyProfileError(f"{source}: no {EVENT} sample")
    buckets, folded, syscalls = Counter(), Counter(), Counter()
    for s in samples:
        buckets[profile.classify(s.frames)] += 1
        folded[profile.fold(s.frames)] += 1
        call = profile.syscall_of(s.frames)
        syscalls[call if call else profile.USER if not any(f.kernel for f in s.frames) else OUTSIDE] += 1
    return {"samples": len(samples), "buckets": buckets, "folded": folded, "syscalls": syscalls}


def us_per_request(samples, frequency, requests):
    """CPU µs per request of ``samples`` taken at ``frequency`` Hz over ``requests``."""
    return samples * 1e6 / frequency / requests


def _per_request(counts, frequency, requests):
    return {k: us_per_request(v, frequency, requests) for k, v in counts.items()}


def strategy_entry(strategy, info, runs, frequency):
    """One strategy's pooled profile from its runs: [(row, counts)]."""
    requests = sum(row["exchanges"] for row, _ in runs)
    samples = sum(c["samples"] for _, c in runs)
    buckets, folded, syscalls = Counter(), Counter(), Counter()
    for _, c in runs:
        buckets.update(c["buckets"])
        folded.update(c["folded"])
        syscalls.update(c["syscalls"])
    measured = sum(row["cpu_us_per_exchange"] * row["exchanges"] for row, _ in runs) / requests
    bucket_us = {b: us_per_request(buckets.get(b, 0), frequency, requests) for b in profile.BUCKETS}
    per_run = []
    for row, c in runs:
        run_buckets = {b: us_per_request(c["buckets"].get(b, 0), frequency, row["exchanges"])
                       for b in profile.BUCKETS}
        per_run.append({"round": row["repetition_index"], "requests": row["exchanges"],
                        "requests_per_s": row["exchanges_per_s"], "samples": c["samples"],
                        "perf_samples": row.get("perf_samples"), "perf_data": row.get("perf_data"),
                        "bucket_us": run_buckets,
                        "check": profile.sum_check(run_buckets, row["cpu_us_per_exchange"])})
    return {"strategy": strategy, "role": info.get("role"), "ends_with": info.get("ends_with"),
            "keep_alive": info.get("keep_alive"), "runs": per_run, "requests": requests, "samples": samples,
            "bucket_us": bucket_us, "check": profile.sum_check(bucket_us, measured),
            "syscall_us": dict(sorted(_per_request(syscalls, frequency, requests).items(), key=lambda kv: -kv[1])),
            # ns per stack over the pooled requests: what profile.diff_functions reads.
            "folded_ns": {k: v * 1e9 / frequency for k, v in sorted(folded.items(), key=lambda kv: -kv[1])}}


def difference(reuse, fresh):
    """reuse − fresh by bucket, by system call and by function (µs per request)."""
    buckets = {b: reuse["bucket_us"][b] - fresh["bucket_us"][b] for b in profile.BUCKETS}
    calls = set(reuse["syscall_us"]) | set(fresh["syscall_us"])
    syscalls = sorted(((c, fresh["syscall_us"].get(c, 0.0), reuse["syscall_us"].get(c, 0.0)) for c in calls),
                      key=lambda r: (-abs(r[2] - r[1]), r[0]))
    functions = profile.diff_functions(fresh["folded_ns"], fresh["requests"], reuse["folded_ns"],
                                       reuse["requests"], top=TOP)
    measured = reuse["check"]["measured_us"] - fresh["check"]["measured_us"]
    return {"reuse": reuse["strategy"], "fresh": fresh["strategy"], "bucket_us": buckets,
            "sum_us": sum(buckets.values()), "measured_us": measured,
            "syscall_us": syscalls[:TOP], "functions": functions}


def build(doc, texts):
    """proxy-profile.json from the section's results document and
    {perf_data: perf script text} of its runs.

    One block per (proxy, backend_requests, body): its strategies in the
    section's order, and a difference for every reuse strategy against every
    fresh one. Errored runs and runs without a perf file are left out
    (counted in ``left_out``)."""
    ctx = doc.get("context", {})
    try:
        frequency = int(ctx["proxy_perf_frequency"])
    except (KeyError, ValueError):
        raise ProxyProfileError("the results have no 'proxy_perf_frequency' in their context "
                                "(not made by scripts/proxy_section --perf-dir)") from None
    try:
        catalog = catalog_of(ctx)
    except ProxyResultsError as e:
        raise ProxyProfileError(str(e)) from None
    groups, left_out = {}, []
    for row in doc.get("benchmarks", []):
        v = variant_of(row.get("name", ""))
        if v is None:
            continue
        if row.get("error_occurred") or not row.get("perf_data") or not row.get("exchanges"):
            left_out.append({"name": row["name"], "round": row.get("repetition_index"),
                             "why": row.get("error_message") or "no perf file"})
            continue
        if row["perf_data"] not in texts:
            raise ProxyProfileError(f"no perf script text for {row['perf_data']}")
        counts = run_counts(texts[row["perf_data"]], row["perf_data"])
        groups.setdefault((v[0], v[2], v[3]), {}).setdefault(v[1], []).append((row, counts))
    if not groups:
        raise ProxyProfileError("no profiled run without errors in the results")
    blocks = []
    for (proxy, backend_requests, body), by_strategy in groups.items():
        entries = {s: strategy_entry(s, catalog.get(s, {}), sorted(runs, key=lambda r: r[0]["repetition_index"]),
                                     frequency)
                   for s, runs in by_strategy.items()}
        pairs = [(a, b) for p, a, b in ratio_pairs([(proxy, s) for s in entries], catalog)
                 if catalog.get(a, {}).get("role") == "reuse" and catalog.get(b, {}).get("role") == "fresh"]
        blocks.append({"proxy": proxy, "backend_requests": backend_requests, "body": body,
                       "strategies": list(entries.values()),
                       "differences": [difference(entries[a], entries[b]) for a, b in pairs]})
    for b in blocks:
        for e in b["strategies"]:
            # The differences are made; keep the largest stacks only (a file stays small).
            e["folded_ns"] = dict(list(e["folded_ns"].items())[:FOLDED_KEEP])
    failed = [f"{b['proxy']}/{s['strategy']}/backend_requests:{b['backend_requests']}/payload:{b['body']}"
              for b in blocks for s in b["strategies"] if s["check"]["passed"] is False]
    keep = ("date", "host_name", "num_cpus", "cpu_model", "kernel", "git_commit", "suite_command",
            "suite_loadavg_at_start", "proxy_placement", "proxy_perf", "suite_section.proxy", "nginx_version",
            "wrk_version", "perf_version", "proxy_profile_command")
    return {"format": FORMAT, "version": VERSION,
            "provenance": {k: ctx[k] for k in keep if k in ctx},
            "frequency_hz": frequency,
            "notes": ["µs per request = samples ÷ frequency ÷ requests, pooled over a strategy's runs "
                      "(every round); measured = the proxy's utime + stime (/proc/PID/stat) over the same "
                      "runs, pooled the same way",
                      "perf runs beside the proxy: its sampling interrupts are in both the samples and "
                      "the measured CPU, and the rates are lower than without it",
                      f"folded_ns: the {FOLDED_KEEP} largest stacks of each strategy (ns over its pooled "
                      "requests); the differences were made from all of them"],
            "buckets": list(profile.BUCKETS), "rules": [[b, list(p)] for b, p in profile.RULES],
            "sum_check": {"tolerance": profile.TOLERANCE, "failed": failed, "passed": not failed},
            "left_out": left_out, "blocks": blocks}


# ---- text -----------------------------------------------------------------------------

def _cell(x, signed=False):
    return f"{x:+.1f}" if signed else f"{x:.1f}"


def bucket_table(block):
    """Markdown: buckets × strategies (µs per request), then each reuse −
    fresh difference, the sums against the measured CPU."""
    strategies, diffs = block["strategies"], block["differences"]
    head = ["bucket"] + [f"`{s['strategy']}`" for s in strategies] + \
           [f"`{d['reuse']}` − `{d['fresh']}`" for d in diffs]
    out = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for b in profile.BUCKETS:
        out.append(f"| {b} | " + " | ".join([_cell(s["bucket_us"][b]) for s in strategies] +
                                            [_cell(d["bucket_us"][b], True) for d in diffs]) + " |")
    out.append("| **sum of buckets** | " + " | ".join(
        [f"**{_cell(s['check']['profiled_us'])}**" for s in strategies] +
        [f"**{_cell(d['sum_us'], True)}**" for d in diffs]) + " |")
    out.append("| measured (CPU clock) | " + " | ".join(
        [_cell(s["check"]["measured_us"]) for s in strategies] + [_cell(d["measured_us"], True) for d in diffs]) + " |")
    out.append("| sum − measured | " + " | ".join(
        [f"{s['check']['difference'] * 100:+.1f}%" for s in strategies] +
        [f"{d['sum_us'] - d['measured_us']:+.1f} µs" for d in diffs]) + " |")
    out.append("| runs; samples; requests | " + " | ".join(
        [f"{len(s['runs'])}; {s['samples']}; {s['requests']}" for s in strategies] + [""] * len(diffs)) + " |")
    return "\n".join(out) + "\n"


def function_table(d):
    """Markdown: the functions whose inclusive µs per request change most
    from fresh to reuse (profile.diff_functions' gone, added and changed)."""
    f = d["functions"]
    rows = [(name, a, b, "gone") for name, a, b in f["gone"]] + \
           [(name, a, b, "new") for name, a, b in f["added"]] + [(name, a, b, "") for name, a, b in f["changed"]]
    rows.sort(key=lambda r: (-abs(r[2] - r[1]), r[0]))
    out = [f"| function (inclusive) | `{d['fresh']}` | `{d['reuse']}` | difference | |", "|---|---:|---:|---:|---|"]
    out += [f"| `{name}` | {a:.2f} | {b:.2f} | {b - a:+.2f} | {tag} |" for name, a, b, tag in rows[:TOP]]
    return "\n".join(out) + "\n"


def syscall_table(d):
    out = [f"| system call | `{d['fresh']}` | `{d['reuse']}` | difference |", "|---|---:|---:|---:|"]
    out += [f"| {name} | {a:.2f} | {b:.2f} | {b - a:+.2f} |" for name, a, b in d["syscall_us"]]
    return "\n".join(out) + "\n"


def check_sentence(block):
    parts = [f"`{s['strategy']}` {s['check']['profiled_us']:.1f} vs {s['check']['measured_us']:.1f} µs "
             f"({s['check']['difference'] * 100:+.1f}%)" for s in block["strategies"]]
    ok = all(s["check"]["passed"] for s in block["strategies"])
    return (f"Sum check (buckets against the measured CPU per request, within "
            f"{profile.TOLERANCE:.0%}): {'passed' if ok else 'FAILED'}: " + "; ".join(parts) + ".\n")


def report(doc):
    """The markdown report: provenance, then per block the bucket table, the
    sum check, and per difference its system calls and functions."""
    prov = doc["provenance"]
    out = ["# Where sockchurn-proxy's CPU per request goes", "",
           f"{prov.get('date', '?')}, {prov.get('host_name', '?')} ({prov.get('cpu_model', '?')}, "
           f"{prov.get('num_cpus', '?')} CPUs), kernel {prov.get('kernel', '?')}, commit "
           f"{prov.get('git_commit', '?')}, load at start {prov.get('suite_loadavg_at_start', '?')}; perf "
           f"cpu-clock at {doc['frequency_hz']} Hz on the proxy process during each measured wrk run. "
           f"Command: `{prov.get('proxy_profile_command', prov.get('suite_command', '?'))}`.", ""]
    out += [f"- {n}" for n in doc["notes"]] + [""]
    if doc["left_out"]:
        out += [f"Left out: {len(doc['left_out'])} runs (" +
                "; ".join(f"{x['name']} round {x['round']}: {x['why']}" for x in doc["left_out"][:3]) + ").", ""]
    for block in doc["blocks"]:
        out += [f"## {block['proxy']}, nginx backend_requests:{block['backend_requests']}, "
                f"body {block['body']} B: µs of the proxy's CPU per request", "",
                bucket_table(block), check_sentence(block)]
        for d in block["differences"]:
            out += [f"**`{d['reuse']}` − `{d['fresh']}`: by system call (µs per request; the "
                    f"{TOP} largest changes)**", "", syscall_table(d),
                    f"**`{d['reuse']}` − `{d['fresh']}`: by function**", "", function_table(d)]
    return "\n".join(out)
