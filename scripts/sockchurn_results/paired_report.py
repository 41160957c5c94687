"""Paired ratios in words and tables: verdict lines, one file, two files.

Pure: "paired" lists (docs/results-format.md) in, strings and report.Table
out. A ratio reads as reuse's advantage (> 1: reuse is better), with its
95% interval.
"""

import math

import pandas as pd

from .names import DEFAULT_DIMS, parse_name
from .paired_stats import CONFIDENCE, RUN_TO_RUN, shift_interval
from .report import Table, col

METRIC_WORDS = {"exchanges_per_s": "rate", "cpu_us_per_exchange": "CPU per exchange"}
# The dimensions of a variant name in words (others read "key value").
CLOSER_WORDS = {"client": "client closes", "server": "server closes"}


def dims_words(name):
    """"tcp/x/engine:asio/flows:16/rpc:10/closer:server/port:bound" ->
    ["server closes", "asio engine", "16 connections per thread",
    "10 requests per connection", "bound port"]."""
    dims = parse_name(name)["dims"]
    words = []
    if "closer" in dims:
        words.append(CLOSER_WORDS.get(dims["closer"], f"closer {dims['closer']}"))
    for key, value in dims.items():
        if key == "closer" or DEFAULT_DIMS.get(key) == value or (key == "port" and value == "ephemeral"):
            continue
        if key == "engine":
            words.append(f"{value} engine")
        elif key == "flows":
            words.append(f"{value} connections per thread")
        elif key == "rpc":
            words.append(f"{value} requests per connection")
        elif key == "ring":
            words.append(f"ring features {value}")
        elif key == "port":
            words.append(f"{value} port")
        else:
            words.append(f"{key} {value}")
    return words


def _reuse_and_fresh(ratio):
    """(reuse, fresh) variant names of a ratio (a CPU ratio is fresh / reuse)."""
    if ratio["metric"] == "exchanges_per_s":
        return ratio["numerator"], ratio["denominator"]
    return ratio["denominator"], ratio["numerator"]


def describe(ratio, group, placement=False):
    """"tcp reuse_unspec ÷ fresh_linger0, client closes, 1 thread" (and
    ", placement same" when asked). Two variants of one strategy (a
    --baseline group) read by the dimensions that differ: "tcp reuse_unspec
    ring:defer ÷ ring:none, client closes, uring engine, 1 thread"."""
    reuse, fresh = _reuse_and_fresh(ratio)
    parsed, base = parse_name(reuse), parse_name(fresh)
    threads = group.get("threads", 1)
    if parsed["strategy"] and parsed["strategy"] == base["strategy"]:
        ours = [f"{k}:{v}" for k, v in parsed["dims"].items() if base["dims"].get(k) != v]
        theirs = [f"{k}:{v}" for k, v in base["dims"].items() if parsed["dims"].get(k) != v]
        same = "/".join([parsed["group"], parsed["strategy"]] +
                        [f"{k}:{v}" for k, v in parsed["dims"].items() if base["dims"].get(k) == v])
        words = [f"{parsed['group']} {parsed['strategy']} {' '.join(ours) or reuse} ÷ "
                 f"{' '.join(theirs) or 'the default'}"] + dims_words(same)
    else:
        words = [f"{parsed['group']} {parsed['strategy'] or reuse} ÷ "
                 f"{base['strategy'] or fresh}"] + dims_words(reuse)
    words.append(f"{threads} thread" + ("" if threads == 1 else "s"))
    if placement and group.get("placement"):
        words.append(f"placement {group['placement']}")
    return ", ".join(words)


def fmt_interval(ratio):
    """"1.14× [1.12, 1.16]", or why there is no interval."""
    estimate, lo, hi = ratio.get("estimate"), ratio.get("lo"), ratio.get("hi")
    if estimate is None:
        return "no pairs"
    if lo is None or hi is None:
        return f"{estimate:.2f}× [no interval: {ratio.get('pairs', 0)} pairs, 95% needs 6]"
    return f"{estimate:.2f}× [{lo:.2f}, {hi:.2f}]"


def pairs_words(ratio):
    """"19 pairs, 1 excluded: stall"."""
    words = f"{ratio.get('pairs', 0)} pairs"
    excluded = ratio.get("excluded", 0)
    if excluded:
        kinds = [why.split(": ", 1)[1].split(" (", 1)[0] for why in ratio.get("excluded_why", [])]
        words += f", {excluded} excluded: " + ", ".join(dict.fromkeys(kinds))
    return words


def verdict_lines(group):
    """One line per reuse / fresh pair of a group: the rate ratio with its
    interval, then CPU per exchange; then a line per variant with two modes."""
    lines = []
    by_pair = {}
    for ratio in group.get("ratios", []):
        by_pair.setdefault(_reuse_and_fresh(ratio), {})[ratio["metric"]] = ratio
    for metrics in by_pair.values():
        rate = metrics.get("exchanges_per_s")
        cpu = metrics.get("cpu_us_per_exchange")
        first = rate or cpu
        line = f"{describe(first, group, placement=True)}: {fmt_interval(first)} " \
               f"({pairs_words(first)})"
        if rate and cpu:
            line += f"; CPU per exchange {fmt_interval(cpu)}"
        lines.append(line)
        if rate and rate.get("by_mode"):
            fresh = _reuse_and_fresh(rate)[1]
            shares = [m.get("share") for m in group.get("modes", {}).get(fresh, [])]
            lines.append(f"  {fresh} has 2 modes; the ratio in each: " + "; ".join(
                f"{m['fresh_rate']:,.0f}/s" + (f" ({share:.0%})" if share else "")
                + f": {fmt_interval(m)} ({m['pairs']} pairs)"
                for m, share in zip(rate["by_mode"], shares + [None] * 2)))
    told = {_reuse_and_fresh(r)[1] for r in group.get("ratios", []) if r.get("by_mode")}
    for name, found in group.get("modes", {}).items():
        if len(found) > 1 and name not in told:
            lines.append(f"  {name}: {len(found)} modes: " + ", ".join(
                f"{m['rate']:,.0f}/s ({m['share']:.0%})" for m in found))
    if group.get("error"):
        lines.append(f"  {' / '.join(group.get('group', []))}: ended early: {group['error']}")
    return lines


def busy_banner(groups):
    """A warning line when slices ran on a busy machine, else None."""
    busy = sum(g.get("flags", {}).get("busy_slices", 0) for g in groups)
    total = sum(len(g.get("slices", [])) for g in groups)
    if not busy:
        return None
    return (f"the machine was busy in {busy} of {total} slices (foreign CPU load > 0.5 CPUs or "
            f"steal > 0.1 CPUs): the ratios are paired, so each pair shared that load, but "
            f"rates and CPU figures are not a quiet machine's")


# ---- compare.py: one file -------------------------------------------------

def _ident(ratio, group):
    reuse, fresh = _reuse_and_fresh(ratio)
    return (reuse, fresh, ratio["metric"], group.get("threads", 1), group.get("placement", ""),
            group.get("payload", ""))


def _verdict(lo, hi, at=1.0):
    if lo is None or hi is None or (isinstance(lo, float) and math.isnan(lo)):
        return "no interval"
    if lo > at:
        return "reuse better"
    if hi < at:
        return "reuse worse"
    return "within noise"


def ratio_rows(paired):
    """One row per ratio of a "paired" list (the first of a duplicate)."""
    rows, seen = [], set()
    for group in paired:
        for ratio in group.get("ratios", []):
            ident = _ident(ratio, group)
            if ident in seen:
                continue
            seen.add(ident)
            rows.append({"ratio": describe(ratio, group), "metric": METRIC_WORDS.get(
                ratio["metric"], ratio["metric"]), "placement": group.get("placement", ""),
                "estimate": _nan(ratio.get("estimate")), "lo": _nan(ratio.get("lo")),
                "hi": _nan(ratio.get("hi")), "pairs": ratio.get("pairs", 0),
                "excluded": pairs_words(ratio).partition(", ")[2],
                "verdict": _verdict(ratio.get("lo"), ratio.get("hi")),
                "modes": _modes_words(group, ratio), "ident": ident,
                "busy": _busy(group),
                "log_ratios": ratio.get("log_ratios") or []})
    return rows


# A group counts as measured on a busy machine when more than this share of
# its slices were busy (a few busy slices among hundreds move no ratio).
BUSY_GROUP_SHARE = 0.1


def _busy(group):
    busy = group.get("flags", {}).get("busy_slices", 0)
    return busy > BUSY_GROUP_SHARE * max(1, len(group.get("slices", [])))


def _modes_words(group, ratio):
    parts = []
    for name in (ratio["numerator"], ratio["denominator"]):
        found = group.get("modes", {}).get(name, [])
        if len(found) > 1:
            parts.append(f"{parse_name(name)['strategy'] or name}: " + " / ".join(
                f"{m['rate']:,.0f} ({m['share']:.0%})" for m in found))
    return "; ".join(parts)


def _nan(x):
    return math.nan if x is None else float(x)


def one_file_summary(rows):
    counts = {v: sum(r["verdict"] == v for r in rows) for v in
              ("reuse better", "reuse worse", "within noise", "no interval")}
    words = [f"{counts['reuse better']} reuse better beyond noise",
             f"{counts['reuse worse']} reuse worse", f"{counts['within noise']} within noise"]
    if counts["no interval"]:
        words.append(f"{counts['no interval']} without an interval (too few pairs)")
    return f"{len(rows)} paired ratios (95% intervals): " + ", ".join(words)


def one_file_table(paired):
    """(summary line, Table) of every paired ratio of one file."""
    rows = ratio_rows(paired)
    frame = pd.DataFrame(rows, columns=["ratio", "metric", "placement", "estimate", "lo", "hi",
                                        "pairs", "excluded", "verdict", "modes"])
    columns = [col("ratio"), col("metric"), col("placement"), col("estimate", "×", "ratio"),
               col(("lo", "hi"), "95% interval", "range"), col("pairs", kind="int"),
               col("excluded", drop_if_empty=True), col("verdict"),
               col("modes", drop_if_empty=True)]
    method = next((r.get("method") for g in paired for r in g.get("ratios", [])), "")
    return one_file_summary(rows), Table(
        "paired ratios (reuse's advantage, > 1: reuse is better)", frame, columns,
        explanation=f"measured interleaved, slice by slice; {method}")


# ---- compare.py: two files ------------------------------------------------

def change_rows(paired_a, paired_b):
    """Each ratio present in both files: A's and B's with their intervals
    and the change B / A with its 95% interval (two-sample Hodges-Lehmann
    shift of the per-round log-ratios, Mann-Whitney interval)."""
    b_rows = {r["ident"]: r for r in ratio_rows(paired_b)}
    out = []
    for a in ratio_rows(paired_a):
        b = b_rows.get(a["ident"])
        if b is None:
            continue
        shift = shift_interval(a["log_ratios"], b["log_ratios"], CONFIDENCE)
        change = shift.exp() if shift.n else shift
        verdict = change_verdict(change, a["busy"] or b["busy"])
        out.append({"ratio": a["ratio"], "metric": a["metric"], "placement": a["placement"],
                    "a": a["estimate"], "a_lo": a["lo"], "a_hi": a["hi"],
                    "b": b["estimate"], "b_lo": b["lo"], "b_hi": b["hi"],
                    "change_pct": (change.estimate - 1) * 100,
                    "change_lo": (change.lo - 1) * 100, "change_hi": (change.hi - 1) * 100,
                    "verdict": verdict})
    return out


SPREAD_WORDS = f"run-to-run spread (±{RUN_TO_RUN:.0%})"


def change_verdict(change, busy=False):
    """A change B / A (an Interval of ratios) against noise and the run-to-run
    spread: "changed" when its whole interval lies beyond ±RUN_TO_RUN (a
    rerun of the same binary does not move a ratio that far), "no change
    beyond noise" when the interval holds no change or lies within the
    spread, "unclear" when it leaves 1 but reaches into the spread."""
    if math.isnan(change.lo):
        return "no interval (too few pairs)"
    if change.lo > 1 + RUN_TO_RUN or change.hi < 1 / (1 + RUN_TO_RUN):
        # A busy machine shifts rates between runs too: say so where it may be that.
        return "changed (busy machine)" if busy else "changed"
    if change.lo <= 1 <= change.hi or (change.lo >= 1 / (1 + RUN_TO_RUN)
                                       and change.hi <= 1 + RUN_TO_RUN):
        return "no change beyond noise"
    return f"unclear: beyond noise, within the {SPREAD_WORDS}"


def two_file_summary(rows, only_a=0, only_b=0):
    changed = sum(r["verdict"].startswith("changed") for r in rows)
    busy = sum(r["verdict"] == "changed (busy machine)" for r in rows)
    within = sum(r["verdict"] == "no change beyond noise" for r in rows)
    unclear = sum(r["verdict"].startswith("unclear") for r in rows)
    line = f"{changed} of {len(rows)} paired ratios changed beyond noise and the {SPREAD_WORDS}; {within} within"
    if unclear:
        line += f"; {unclear} unclear (beyond noise, within the spread)"
    if busy:
        line += f"; {busy} of the changes measured on a busy machine (may be its load)"
    untested = len(rows) - changed - within - unclear
    if untested:
        line += f"; {untested} without an interval (too few pairs)"
    if only_a or only_b:
        line += f" ({only_a} only in A, {only_b} only in B)"
    return line


def two_file_table(paired_a, paired_b, names=("A", "B")):
    """(summary line, Table) of the paired ratios common to both files."""
    rows = change_rows(paired_a, paired_b)
    ids_a = {r["ident"] for r in ratio_rows(paired_a)}
    ids_b = {r["ident"] for r in ratio_rows(paired_b)}
    a, b = names
    frame = pd.DataFrame(rows, columns=["ratio", "metric", "placement", "a", "a_lo", "a_hi", "b",
                                        "b_lo", "b_hi", "change_pct", "change_lo", "change_hi",
                                        "verdict"])
    frame["change"] = [_change_words(r) for r in rows] if rows else []
    columns = [col("ratio"), col("metric"), col("placement"), col("a", f"{a} ×", "ratio"),
               col(("a_lo", "a_hi"), f"{a} 95%", "range"), col("b", f"{b} ×", "ratio"),
               col(("b_lo", "b_hi"), f"{b} 95%", "range"), col("change", f"{b} / {a}"),
               col("verdict")]
    return two_file_summary(rows, len(ids_a - ids_b), len(ids_b - ids_a)), Table(
        f"paired ratios, {a} vs {b}", frame, columns,
        explanation=f"change = {b}'s ratio / {a}'s - 1 with its 95% interval: two-sample "
                    f"Hodges-Lehmann shift of the per-round log-ratios, Mann-Whitney interval",
        empty="(no paired ratio common to both files)")


def _change_words(row):
    if math.isnan(row["change_lo"]):
        return f"{row['change_pct']:+.1f}%"
    return f"{row['change_pct']:+.1f}% [{row['change_lo']:+.1f}, {row['change_hi']:+.1f}]"

