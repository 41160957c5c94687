"""The proxy section's results as text: the table and the ratios for
scripts/proxy_section's summary, and the generated blocks of docs/proxy.md
and the README (scripts/readme), from proxy_results' numbers.

Pure: rows and dicts in, text out.
"""

import math

from .paired_stats import MIN_PAIRS
from .proxy_results import micro_cpu_saving, predicted_ratio, ratios, table, variants

PROXY_NAMES = {"haproxy": "HAProxy", "sockchurn_proxy": "sockchurn-proxy"}

def _iv(i, digits=2):
    if math.isnan(i.estimate):
        return "—"
    if math.isnan(i.lo):
        return f"{i.estimate:.{digits}f}× (n={i.n}: too few rounds for an interval)"
    return f"{i.estimate:.{digits}f}× [{i.lo:.{digits}f}, {i.hi:.{digits}f}]"


def _backend_words(n):
    return "closes (1)" if n == 1 else f"keeps ({n})"


def _end_words(catalog, strategy):
    info = catalog.get(strategy, {})
    return "pool" if info.get("keep_alive") else {"fin": "FIN", "rst": "RST", "rst_unless_peer_fin":
                                                   "RST unless FIN read"}.get(info.get("ends_with"), "?")


def markdown_table(rows, catalog, body):
    """The table for one body size: proxies × modes × backend mode."""
    head = ("| proxy | backend side | ends | nginx | requests/s, median (min–max) | proxy µs CPU/request | "
            "nginx µs/request | p99 µs | TIME_WAIT backend / proxy side | active opens/request | RST/request |")
    out = [head, "|" + "---|" * 11]
    for e in table(rows):
        if e["body"] != body:
            continue
        lead = (f"| {PROXY_NAMES.get(e['proxy'], e['proxy'])} | `{e['strategy']}` | {_end_words(catalog, e['strategy'])}"
                f" | {_backend_words(e['backend_requests'])} |")
        if not e["runs"]:
            out.append(f"{lead} errored: {e['error']} |" + " |" * 6)
            continue
        out.append(f"{lead} {e['rate']:.0f} ({e['rate_min']:.0f}–{e['rate_max']:.0f}) | {e['cpu_us']:.1f} | "
                   f"{e['server_cpu_us']:.1f} | {e['p99_us']:.0f} | {e['tw_server']:.0f} / {e['tw_proxy']:.0f} | "
                   f"{e['opens']:.3f} | {e['rsts']:.3f} |")
    return "\n".join(out) + "\n"


def markdown_ratios(rows, catalog, body):
    out = ["| proxy | A ÷ B | nginx | rounds | requests/s | proxy CPU/request |", "|---|---|---|---|---|---|"]
    for r in ratios(rows, catalog):
        if r["body"] != body:
            continue
        out.append(f"| {PROXY_NAMES.get(r['proxy'], r['proxy'])} | `{r['a']}` ÷ `{r['b']}` | "
                   f"{_backend_words(r['backend_requests'])} | {r['rounds']} | {_iv(r['rate'])} | {_iv(r['cpu'])} |")
    return "\n".join(out) + "\n"


def text_report(rows, catalog):
    """What scripts/proxy_section prints at the end: per body, the table and the ratios."""
    out = []
    for body in sorted({v[3] for v in variants(rows)}):
        out += [f"\nbody {body} B: medians over the rounds", markdown_table(rows, catalog, body),
                f"ratios A ÷ B within each round: Hodges-Lehmann estimate [95% interval] over the rounds "
                f"(none below {MIN_PAIRS} rounds)", markdown_ratios(rows, catalog, body)]
    return "\n".join(out)


# --- the generated blocks (scripts/readme) --------------------------------------------------------

def _pct(i):
    """A ratio's interval as a change in percent: +15% [+3%, +19%]."""
    words = f"{(i.estimate - 1) * 100:+.0f}%"
    if math.isnan(i.lo):
        return words + f" (n={i.n}: too few rounds for an interval)"
    return words + f" [{(i.lo - 1) * 100:+.0f}%, {(i.hi - 1) * 100:+.0f}%]"


def _reuse_and_base(catalog, found, proxy):
    """The proxy's reuse strategies and its baseline (the fresh one with a FIN
    end that every other strategy is divided by), from the ratios found."""
    mine = [r for r in found if r["proxy"] == proxy]
    base = next((r["b"] for r in mine if catalog.get(r["a"], {}).get("role") != "reuse"), None)
    if base is None and mine:
        base = mine[0]["b"]
    reuse = list(dict.fromkeys(r["a"] for r in mine if catalog.get(r["a"], {}).get("role") == "reuse"))
    return reuse, base


def prediction(rows, catalog, micro_paired, engine="asio", body=None):
    """The microbenchmark's prediction for sockchurn-proxy at one request per
    backend connection: for each reuse strategy ÷ each fresh one of the
    proxy, the microbenchmark's client CPU saving per connection (the
    paired group of `engine` with the server closing first), the proxy CPU
    ratio it predicts, and the ratio measured. A list of dicts."""
    found = ratios(rows, catalog)
    rows_table = {(e["proxy"], e["strategy"], e["backend_requests"], e["body"]): e for e in table(rows)}
    out = []
    for r in found:
        if (r["proxy"] != "sockchurn_proxy" or r["backend_requests"] != 1
                or catalog.get(r["a"], {}).get("role") != "reuse" or (body is not None and r["body"] != body)):
            continue
        saving = micro_cpu_saving(micro_paired, engine, r["a"], r["b"])
        b_row = rows_table.get((r["proxy"], r["b"], 1, r["body"]))
        if saving is None or b_row is None or not b_row["runs"]:
            continue
        a_row = rows_table[(r["proxy"], r["a"], 1, r["body"])]
        out.append({"ratio": r, "saving": saving, "proxy_cpu_b_us": b_row["cpu_us"],
                    "measured_saving_us": b_row["cpu_us"] - a_row["cpu_us"],
                    "predicted": predicted_ratio(b_row["cpu_us"], saving)})
    return out


def _micro_words(p):
    s = p["saving"]
    lo, hi = s["saving_us"][1], s["saving_us"][2]
    return (f"{s['saving_us'][0]:.1f} µs [{lo:.1f}, {hi:.1f}] of client CPU per connection "
            f"({(1 - s['ratio'].estimate) * 100:.0f}% of `{p['ratio']['b']}`'s {s['cpu_b_us']:.1f} µs)")


def prediction_block(rows, catalog, micro_paired, micro_reference, body):
    preds = prediction(rows, catalog, micro_paired, body=body)
    if not preds:
        return ("The microbenchmark reference has no paired Asio group with the server closing first, so "
                "no prediction is drawn.\n")
    out = ["| sockchurn-proxy, nginx closes (1) | microbenchmark: CPU saved per connection | predicted proxy "
           "CPU/request | measured proxy CPU/request | measured saving per request |", "|---|---|---|---|---|"]
    for p in preds:
        lo, hi = p["predicted"][1], p["predicted"][2]
        out.append(f"| `{p['ratio']['a']}` ÷ `{p['ratio']['b']}` | {_micro_words(p)} | "
                   f"{p['predicted'][0]:.2f}× [{lo:.2f}, {hi:.2f}] | {_iv(p['ratio']['cpu'])} | "
                   f"{p['measured_saving_us']:.1f} µs of {p['proxy_cpu_b_us']:.1f} |")
    out += ["", f"The microbenchmark's figures: the paired Asio group (16 connections on one thread, the "
            f"server closing first, placement same) of [{micro_reference}](../{micro_reference}); a "
            f"prediction adds that saving, alone, to the proxy's measured CPU per request of the "
            f"strategy divided by."]
    return "\n".join(out) + "\n"


def readme_block(rows, catalog, micro_paired, proxy_reference, body):
    """The README's answer for a real proxy, in numbers, from the proxy file
    and the microbenchmark's paired reference."""
    found = [r for r in ratios(rows, catalog) if r["body"] == body]
    out = []
    for proxy in dict.fromkeys(r["proxy"] for r in found):
        reuse, base = _reuse_and_base(catalog, found, proxy)
        name = PROXY_NAMES.get(proxy, proxy)
        for be in sorted({r["backend_requests"] for r in found if r["proxy"] == proxy}):
            here = [r for r in found if r["proxy"] == proxy and r["backend_requests"] == be]
            if reuse:
                items = [r for r in here if r["a"] in reuse]
            else:
                items = [r for r in here if r["b"] == base]
            if not items:
                continue
            words = "; ".join(f"`{r['a']}` ÷ `{r['b']}` {_iv(r['rate'])} requests/s, {_iv(r['cpu'])} CPU"
                              for r in items)
            out.append(f"- **{name}, nginx {'closing after every response' if be == 1 else f'keeping a connection for {be} requests'}**"
                       f" — {words}.")
    for p in prediction(rows, catalog, micro_paired, body=body):
        r = p["ratio"]
        if r["b"] != _reuse_and_base(catalog, found, r["proxy"])[1]:
            continue
        out.append(f"- **The microbenchmark's saving, in the proxy** — `{r['a']}` saves {_micro_words(p)} in "
                   f"the microbenchmark; in sockchurn-proxy at one request per backend connection it saves "
                   f"{p['measured_saving_us']:.1f} µs of {p['proxy_cpu_b_us']:.1f} per request (CPU "
                   f"{_iv(r['cpu'])}, predicted {p['predicted'][0]:.2f}×), and requests/s change by "
                   f"{_pct(r['rate'])}.")
    out.append(f"\nFrom [{proxy_reference}]({proxy_reference}) ({body} B bodies; interleaved rounds, ratios "
               f"with 95% intervals); the whole table, HAProxy's modes and where the proxy's time goes: "
               f"[docs/proxy.md](docs/proxy.md#results).")
    return "\n".join(out) + "\n"


def reference_line(proxy_reference, context, rows):
    """Where the proxy figures come from: the file, when, what, how loaded."""
    good = [r for r in rows if not r.get("error_occurred")]
    loads = sorted(r.get("foreign_cpu_load", math.nan) for r in good)
    load = f"{loads[len(loads) // 2]:.2f}" if loads else "?"
    rounds = max((r.get("repetition_index", 0) for r in rows), default=-1) + 1
    return (f"Results: [{proxy_reference}](../{proxy_reference}) — {context.get('date', '?')[:16].replace('T', ' ')}, "
            f"kernel {context.get('kernel', '?')}, {context.get('cpu_model', '?')}, {context.get('num_cpus', '?')} "
            f"CPUs, commit {context.get('git_commit', '?')[:12]}; {context.get('proxy_placement', '?')}; "
            f"{rounds} rounds, {len(rows)} runs ({len(rows) - len(good)} errored); {context.get('suite_section.proxy', '')}; "
            f"load average at the start {context.get('suite_loadavg_at_start', '?')}, busy CPUs besides the proxy "
            f"and nginx (wrk included) a median {load}; {context.get('nginx_version', '')}, "
            f"{context.get('haproxy_version', '')}, {context.get('wrk_version', '')}.\n")
