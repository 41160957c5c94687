"""Per-run summaries, reuse-vs-fresh ratios and two-file comparisons.

All functions are pure: Results / DataFrames in, DataFrames out.

Conventions (also in docs/results-format.md):
- A run is all rows sharing a run_name. Its value for a metric is the median
  over its iteration rows (one per repetition); a run with no iteration rows
  (``--benchmark_report_aggregates_only``) falls back to its "median"
  aggregate row. Counts (errors, errors_<ERRNO>, stale) are summed over
  repetitions instead.
- A run with any errored repetition is "errored": no values, listed apart.
- ratio is the advantage of reuse_unspec over a fresh strategy, so > 1 always
  means reuse is better: reuse/fresh for rates (exchanges_per_s), fresh/reuse
  for costs (CPU and latency per exchange).
- lo..hi is the min..max of that ratio over every (reuse repetition, fresh
  repetition) pair: it does not depend on how repetitions are paired up.
- p_value is a two-sided Mann-Whitney U test of the two sides' repetitions,
  computed only when both sides have at least MIN_U_REPETITIONS.
"""

import math
import warnings

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu

from .names import GROUPS, natural_key

REUSE = "reuse_unspec"
BASELINES = ("fresh_close", "fresh_linger0")
CHURN_GROUPS = ("tcp", "udp")
STRATEGY_ORDER = ("fresh_close", "fresh_linger0", "reuse_unspec", "reconnect",
                  "keepalive", "sendto")
HIGHER_IS_BETTER = frozenset({"exchanges_per_s"})
MIN_U_REPETITIONS = 9
ALPHA = 0.05
TIME_METRICS = ("real_time_ns", "cpu_time_ns")
# Display order of known dimension values (others sort naturally after them).
VALUE_ORDER = {"port": ("ephemeral", "bound"), "placement": ("same", "split", "free"),
               "closer": ("client", "server"), "proto": ("tcp", "udp"),
               "op": ("socket_close", "connect_disconnect", "disconnect_unconnected")}


def is_count(metric):
    """Counts are summed over repetitions rather than taking the median."""
    return metric in ("errors", "stale") or metric.startswith("errors_")


def higher_is_better(metric):
    return metric in HIGHER_IS_BETTER


def metrics_of(results):
    return TIME_METRICS + tuple(results.counters)


def _group_key(group):
    return (GROUPS.index(group), "") if group in GROUPS else (len(GROUPS), group)


def _strategy_key(strategy):
    if strategy in STRATEGY_ORDER:
        return (STRATEGY_ORDER.index(strategy), "")
    return (len(STRATEGY_ORDER), strategy)


def _finite(values):
    return [float(v) for v in values if v is not None and not math.isnan(v)]


def _median(values):
    return float(np.median(values)) if values else math.nan


def summarize(results):
    """One row per run (file order): identity, n, errored, and per metric m
    the columns m (median, or sum for counts), m_min, m_max and m_samples
    (tuple of per-repetition values; empty when only aggregates exist).

    ``source`` says where values came from: "repetitions", "aggregate" or
    "errored"; ``n`` is the number of repetitions behind the values.
    """
    metrics = metrics_of(results)
    records = []
    for run_name, rows in results.rows.groupby("run_name", sort=False):
        first = rows.iloc[0]
        record = {"run_name": run_name, "group": first["group"],
                  "strategy": first["strategy"], "args": first["args"]}
        for dim in results.dims:
            record[dim] = first[dim]
        record["threads"] = int(first["threads"])
        iterations = rows[rows["run_type"] != "aggregate"]
        failed = iterations[iterations["error_occurred"]]
        good = iterations[~iterations["error_occurred"]]
        aggregates = rows[rows["run_type"] == "aggregate"]
        messages = [m for m in dict.fromkeys(failed["error_message"]) if m]
        record.update(errored=len(failed) > 0, n_errored=len(failed),
                      n_total=len(iterations),
                      error_message="; ".join(messages) or ("(no message)" if len(failed) else ""))
        values = {}
        if record["errored"]:
            record.update(source="errored", n=0)
        elif len(good):
            record.update(source="repetitions", n=len(good))
            for metric in metrics:
                samples = _finite(good[metric])
                total = float(sum(samples)) if samples else math.nan
                values[metric] = (total if is_count(metric) else _median(samples), samples)
        else:
            median = aggregates[aggregates["aggregate_name"] == "median"]
            mean = aggregates[aggregates["aggregate_name"] == "mean"]
            chosen = median if len(median) else mean
            if len(chosen):
                reps = chosen.iloc[0]["repetitions"]
                record.update(source="aggregate", n=int(reps) if not math.isnan(reps) else 1)
                for metric in metrics:
                    value = float(chosen.iloc[0][metric])
                    if is_count(metric) and len(mean) and not math.isnan(reps):
                        value = float(mean.iloc[0][metric]) * reps
                    values[metric] = (value, [])
            else:
                record.update(source="none", n=0)
        for metric in metrics:
            value, samples = values.get(metric, (math.nan, []))
            record[metric] = value
            record[metric + "_min"] = min(samples) if samples else math.nan
            record[metric + "_max"] = max(samples) if samples else math.nan
            record[metric + "_samples"] = tuple(samples)
        records.append(record)
    return pd.DataFrame(records)


def _divide(a, b):
    if math.isnan(a) or math.isnan(b):
        return math.nan
    if b == 0:
        return math.inf if a > 0 else math.nan
    return a / b


def _advantage(reuse, fresh, metric):
    return _divide(reuse, fresh) if higher_is_better(metric) else _divide(fresh, reuse)


def u_test(a, b):
    """Two-sided Mann-Whitney U p-value, or NaN when a side has < MIN_U_REPETITIONS."""
    if len(a) < MIN_U_REPETITIONS or len(b) < MIN_U_REPETITIONS:
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(mannwhitneyu(a, b, alternative="two-sided").pvalue)


def _spread_note(a_samples, b_samples):
    if not a_samples or not b_samples:
        return "no per-repetition data"
    if len(a_samples) < MIN_U_REPETITIONS or len(b_samples) < MIN_U_REPETITIONS:
        return f"n<{MIN_U_REPETITIONS}"
    return ""


def _pair_note(sides, values, a_samples, b_samples, metric):
    """Why a pair has no value, spread or U test: "<sides> errored" (sides
    are (name, row) pairs), "no <metric>", or _spread_note."""
    errored = [name for name, row in sides if row["errored"]]
    if errored:
        return " and ".join(errored) + " errored"
    if any(math.isnan(v) for v in values):
        return f"no {metric}"
    return _spread_note(a_samples, b_samples)


def ratio_key_columns(results):
    """Columns that identify a ratio row, in display order."""
    others = [d for d in results.dims if d != "port"]
    return ["group"] + others + ["baseline", "port", "threads"]


def ratio_table(results, metric="exchanges_per_s", summary=None):
    """reuse_unspec vs each fresh strategy, matched on every dimension except
    strategy and port (one row per reuse port). Columns: ratio_key_columns,
    reuse, fresh (medians), ratio, lo, hi, n_reuse, n_fresh, p_value, note.
    note is "" when the U test ran, else why not (or which side errored).
    """
    summary = summarize(results) if summary is None else summary
    keys = ratio_key_columns(results)
    columns = keys + ["reuse", "fresh", "ratio", "lo", "hi", "n_reuse", "n_fresh",
                      "p_value", "note"]
    if summary.empty or metric not in summary.columns:
        return pd.DataFrame(columns=columns)
    match_on = [k for k in keys if k not in ("baseline", "port")]
    churn = summary[summary["group"].isin(CHURN_GROUPS)]
    fresh_rows = churn[churn["strategy"].isin(BASELINES)]
    records = []
    for _, reuse in churn[churn["strategy"] == REUSE].iterrows():
        for _, fresh in fresh_rows.iterrows():
            if any(reuse[k] != fresh[k] for k in match_on):
                continue
            record = {k: reuse[k] for k in match_on}
            record.update(baseline=fresh["strategy"], port=reuse["port"] if "port" in reuse else "")
            r_samples = list(reuse[metric + "_samples"])
            f_samples = list(fresh[metric + "_samples"])
            record.update(reuse=reuse[metric], fresh=fresh[metric],
                          n_reuse=int(reuse["n"]), n_fresh=int(fresh["n"]))
            record["ratio"] = _advantage(record["reuse"], record["fresh"], metric)
            if len(r_samples) >= 2 or len(f_samples) >= 2:
                cross = [_advantage(r, f, metric) for r in r_samples for f in f_samples]
                cross = [c for c in cross if not math.isnan(c)]
            else:
                cross = []
            record["lo"] = min(cross) if cross else math.nan
            record["hi"] = max(cross) if cross else math.nan
            record["p_value"] = u_test(r_samples, f_samples)
            record["note"] = _pair_note((("reuse", reuse), ("fresh", fresh)),
                                        (record["reuse"], record["fresh"]), r_samples, f_samples, metric)
            records.append(record)
    table = pd.DataFrame(records, columns=columns)
    return _sort(table, keys)


def value_key(dim, value):
    """Sort key of a dimension value: known values in VALUE_ORDER, then natural order."""
    known = VALUE_ORDER.get(dim, ())
    if value in known:
        return (known.index(value), (0, 0, ""))
    return (len(known), natural_key(value))


def _line_key(ident):
    strategy, closer, port, payload = ident
    return (_strategy_key(strategy), value_key("closer", closer), value_key("port", port),
            value_key("payload", payload))


def _sort(table, keys):
    if table.empty:
        return table.reset_index(drop=True)

    def key(row):
        out = []
        for k in keys:
            value = row[k]
            if k == "group":
                out.append(_group_key(value))
            elif k in ("baseline", "strategy"):
                out.append(_strategy_key(value))
            else:
                out.append(value_key(k, value))
        return tuple(out)

    order = sorted(range(len(table)), key=lambda i: key(table.iloc[i]))
    return table.iloc[order].reset_index(drop=True)


def run_order(results, summary):
    """The summary sorted by group, strategy, dimensions and threads."""
    keys = ["group", "strategy"] + list(results.dims) + ["args", "threads"]
    return _sort(summary, keys)


def errored_runs(summary):
    """Errored runs: run_name, n_errored, n_total, error_message."""
    columns = ["run_name", "n_errored", "n_total", "error_message"]
    if summary.empty:
        return pd.DataFrame(columns=columns)
    return summary[summary["errored"]][columns].reset_index(drop=True)


def syscall_table(results, summary=None):
    """syscall/ runs: op, their dimensions, threads, n, real and CPU ns per op
    (median, min, max) and socket_close_ratio = socket_close's real ns per op
    (same proto) / this op's, so > 1 means the op is cheaper than a
    socket()+close() pair.
    """
    summary = summarize(results) if summary is None else summary
    dims = list(results.dims)
    columns = ["op"] + dims + ["threads", "n", "real_ns", "real_ns_min", "real_ns_max",
                               "cpu_ns", "socket_close_ratio", "note"]
    if summary.empty:
        return pd.DataFrame(columns=columns)
    calls = summary[summary["group"] == "syscall"]
    records = []
    for _, row in calls.iterrows():
        spread = row["n"] >= 2
        record = {"op": row["strategy"], "threads": row["threads"], "n": row["n"],
                  "real_ns": row["real_time_ns"], "cpu_ns": row["cpu_time_ns"],
                  "real_ns_min": row["real_time_ns_min"] if spread else math.nan,
                  "real_ns_max": row["real_time_ns_max"] if spread else math.nan}
        for d in dims:
            record[d] = row[d]
        proto = row["proto"] if "proto" in calls.columns else ""
        base = math.nan
        if proto:
            reference = calls[(calls["strategy"] == "socket_close") & (calls["proto"] == proto)]
            if len(reference):
                base = reference["real_time_ns"].iloc[0]
        record["socket_close_ratio"] = _divide(base, row["real_time_ns"])
        record["note"] = "errored" if row["errored"] else ""
        records.append(record)
    table = pd.DataFrame(records, columns=columns)
    keys = (["proto"] if "proto" in dims else []) + ["op"] + [d for d in dims if d != "proto"]
    return _sort(table, keys + ["threads"])


def overlap(summary_a, summary_b):
    """(common, only_a, only_b): run names, each in its file's order."""
    names_a = list(summary_a["run_name"]) if len(summary_a) else []
    names_b = list(summary_b["run_name"]) if len(summary_b) else []
    set_a, set_b = set(names_a), set(names_b)
    return ([n for n in names_a if n in set_b], [n for n in names_a if n not in set_b],
            [n for n in names_b if n not in set_a])


def compare_ratio_tables(table_a, table_b, keys):
    """Two ratio tables side by side on their common keys: keys, then
    ratio/lo/hi/note with suffixes _a and _b, and change_pct =
    (ratio_b / ratio_a - 1) * 100 (positive: reuse's advantage grew in B).
    """
    keep = ["ratio", "lo", "hi", "note"]
    columns = keys + [f"{c}_{s}" for s in "ab" for c in keep] + ["change_pct"]
    if table_a.empty or table_b.empty:
        return pd.DataFrame(columns=columns)
    a = table_a[keys + keep].rename(columns={c: c + "_a" for c in keep})
    b = table_b[keys + keep].rename(columns={c: c + "_b" for c in keep})
    merged = a.merge(b, on=keys, how="inner")
    merged["change_pct"] = [(_divide(rb, ra) - 1) * 100 for ra, rb in
                            zip(merged["ratio_a"], merged["ratio_b"])]
    return merged[columns].reset_index(drop=True)


def compare_runs(summary_a, summary_b, metric):
    """Runs present in both files: run_name, a, b (medians of metric), n_a,
    n_b, change_pct = (b / a - 1) * 100, p_value (U test A vs B) and note.
    """
    columns = ["run_name", "a", "b", "n_a", "n_b", "change_pct", "p_value", "note"]
    common, _, _ = overlap(summary_a, summary_b)
    if not common or metric not in summary_a.columns or metric not in summary_b.columns:
        return pd.DataFrame(columns=columns)
    a = summary_a.set_index("run_name")
    b = summary_b.set_index("run_name")
    records = []
    for name in common:
        ra, rb = a.loc[name], b.loc[name]
        sa, sb = list(ra[metric + "_samples"]), list(rb[metric + "_samples"])
        record = {"run_name": name, "a": ra[metric], "b": rb[metric],
                  "n_a": int(ra["n"]), "n_b": int(rb["n"])}
        record["change_pct"] = (_divide(record["b"], record["a"]) - 1) * 100
        record["p_value"] = u_test(sa, sb)
        record["note"] = _pair_note((("A", ra), ("B", rb)), (record["a"], record["b"]), sa, sb, metric)
        records.append(record)
    return pd.DataFrame(records, columns=columns)


# ---- chart data ---------------------------------------------------------

def placements(summary):
    """Placement values of the tcp/udp runs, sorted ("" when names have none)."""
    if summary.empty or "placement" not in summary.columns:
        return [""] if len(summary) else []
    churn = summary[summary["group"].isin(CHURN_GROUPS)]
    return sorted(set(churn["placement"]), key=natural_key)


def _line_label(strategy, closer, port, payload, show_payload):
    parts = [strategy]
    if closer:
        parts.append(f"{closer} closes")
    if port:
        parts.append(f"{port} port")
    if show_payload and payload:
        parts.append(f"{payload} B")
    return ", ".join(parts)


def _lines(rows, placement, strategy, value):
    """The rows of one placement as lines, in display order: (show_payload,
    [((strategy, closer, port, payload), points)]) with the strategy taken
    from column `strategy` and "" for a missing column; points sorted by
    threads, those whose `value` is NaN left out; lines left with none dropped.
    """
    if "placement" in rows.columns:
        rows = rows[rows["placement"] == placement]
    get = lambda row, key: row[key] if key in row else ""  # noqa: E731
    show_payload = "payload" in rows.columns and rows["payload"].nunique() > 1
    lines = {}
    for _, row in rows.iterrows():
        ident = (get(row, strategy), get(row, "closer"), get(row, "port"), get(row, "payload"))
        lines.setdefault(ident, []).append(row)
    out = []
    for ident in sorted(lines, key=_line_key):
        points = sorted(lines[ident], key=lambda r: r["threads"])
        points = [p for p in points if not math.isnan(p[value])]
        if points:
            out.append((ident, points))
    return show_payload, out


def series(summary, metric, group, placement):
    """Lines of metric vs threads for one group and placement, errored runs
    left out: list of dicts with label, strategy, closer, port, payload,
    threads, median, lo, hi (lo/hi = min/max over repetitions, NaN if none).
    Lines with no value at all are dropped.
    """
    if summary.empty or metric not in summary.columns:
        return []
    rows = summary[(summary["group"] == group) & ~summary["errored"]]
    show_payload, lines = _lines(rows, placement, "strategy", metric)
    out = []
    for (strategy, closer, port, payload), points in lines:
        out.append({"label": _line_label(strategy, closer, port, payload, show_payload),
                    "strategy": strategy, "closer": closer, "port": port, "payload": payload,
                    "threads": [int(p["threads"]) for p in points],
                    "median": [float(p[metric]) for p in points],
                    "lo": [float(p[metric + "_min"]) for p in points],
                    "hi": [float(p[metric + "_max"]) for p in points]})
    return out


def speedup_series(table, group, placement):
    """Lines of a ratio table vs threads for one group and placement: dicts
    with label ("reuse <port> / <baseline>, <closer> closes"), baseline,
    closer, port, payload, threads, ratio, lo, hi. Errored pairs are left out.
    """
    if table.empty:
        return []
    rows = table[(table["group"] == group) & ~table["note"].str.endswith("errored")]
    show_payload, lines = _lines(rows, placement, "baseline", "ratio")
    out = []
    for (baseline, closer, port, payload), points in lines:
        label = f"reuse{' ' + port if port else ''} / {baseline}"
        if closer:
            label += f", {closer} closes"
        if show_payload and payload:
            label += f", {payload} B"
        out.append({"label": label, "baseline": baseline, "closer": closer, "port": port,
                    "payload": payload, "threads": [int(p["threads"]) for p in points],
                    "ratio": [float(p["ratio"]) for p in points],
                    "lo": [float(p["lo"]) for p in points],
                    "hi": [float(p["hi"]) for p in points]})
    return out
