"""Per-run summaries, reuse-vs-fresh ratios and two-file comparisons.

All functions are pure: Results / DataFrames in, DataFrames out.

Conventions (also in docs/results-format.md):
- A run is all rows sharing a run_name. Its value for a metric is the median
  over its iteration rows (one per repetition); a run with no iteration rows
  (``--benchmark_report_aggregates_only``) falls back to its "median"
  aggregate row. Counts (errors, errors_<ERRNO>, stale) are summed over
  repetitions instead.
- A run with any errored repetition is "errored": no values, listed apart.
- Roles (sockchurn_results.roles) say which strategies are compared: every
  reuse-role strategy against every fresh-role one of the same protocol.
- ratio is the advantage of a reuse strategy over a fresh strategy, so > 1 always
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

from .names import CHURN_GROUPS, DEFAULT_DIMS, GROUPS, natural_key

HIGHER_IS_BETTER = frozenset({"exchanges_per_s"})
MIN_U_REPETITIONS = 9
ALPHA = 0.05
TIME_METRICS = ("real_time_ns", "cpu_time_ns")
# The churn benchmarks' counters of one exchange: its rate, the client's and
# the server's CPU, two latency percentiles (docs/results-format.md).
EXCHANGE_METRICS = ("exchanges_per_s", "cpu_us_per_exchange", "server_cpu_us_per_exchange",
                    "p50_us", "p99_us")
# Counts: summed over repetitions; kept for errored runs too (what was done
# before the error), never turned into a rate there.
COUNTS = ("errors", "stale", "exchanges")
# Display order of known dimension values (others sort naturally after them).
VALUE_ORDER = {"port": ("ephemeral", "bound"), "placement": ("same", "split", "free"),
               "closer": ("client", "server"), "proto": ("tcp", "udp"),
               "op": ("socket_close", "connect_disconnect", "disconnect_unconnected")}


def is_count(metric):
    """Counts are summed over repetitions rather than taking the median."""
    return metric in COUNTS or is_errno_count(metric)


def is_errno_count(metric):
    """errors_<ERRNO> (a count), not errors_<ERRNO>_per_s (a rate)."""
    return metric.startswith("errors_") and not metric.endswith("_per_s")


def higher_is_better(metric):
    return metric in HIGHER_IS_BETTER


def metrics_of(results):
    return TIME_METRICS + tuple(results.counters)


def _group_key(group):
    return (GROUPS.index(group), "") if group in GROUPS else (len(GROUPS), group)


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
    roles = results.roles
    records = []
    for run_name, rows in results.rows.groupby("run_name", sort=False):
        first = rows.iloc[0]
        churn = first["group"] in CHURN_GROUPS and first["strategy"] != ""
        record = {"run_name": run_name, "key": first["key"], "group": first["group"],
                  "strategy": first["strategy"], "args": first["args"],
                  "role": roles.role(first["strategy"]) if churn else "",
                  "rank": roles.rank(first["strategy"])[0]}
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
            for metric in metrics:
                if is_count(metric):
                    samples = _finite(iterations[metric])
                    if samples:
                        values[metric] = (float(sum(samples)), [])
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
                if math.isnan(reps) or not 1 <= reps <= 1 << 30:
                    reps = math.nan
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
    return ["group"] + others + ["strategy", "baseline", "port", "threads"]


def _pair_cells(reuse, fresh, metric):
    r_samples = list(reuse[metric + "_samples"])
    f_samples = list(fresh[metric + "_samples"])
    record = dict(reuse=reuse[metric], fresh=fresh[metric],
                  n_reuse=int(reuse["n"]), n_fresh=int(fresh["n"]))
    record["ratio"] = _advantage(record["reuse"], record["fresh"], metric)
    cross = []
    if len(r_samples) >= 2 or len(f_samples) >= 2:
        cross = [_advantage(r, f, metric) for r in r_samples for f in f_samples]
        cross = [c for c in cross if not math.isnan(c)]
    record["lo"] = min(cross) if cross else math.nan
    record["hi"] = max(cross) if cross else math.nan
    record["p_value"] = u_test(r_samples, f_samples)
    record["note"] = _pair_note((("reuse", reuse), ("fresh", fresh)),
                                (record["reuse"], record["fresh"]), r_samples, f_samples, metric)
    return record


def ratio_table(results, metric="exchanges_per_s", summary=None):
    """Every reuse-role strategy vs every fresh-role strategy of the same
    protocol, matched on every other dimension (a port only when both have
    one); one row per reuse port. Columns: ratio_key_columns (strategy = the
    reuse strategy, baseline = the fresh one), reuse, fresh (medians), ratio,
    lo, hi, n_reuse, n_fresh, p_value, note, rank, baseline_rank (sort keys).
    note is "" when the U test ran, else why not (or which side errored).
    """
    summary = summarize(results) if summary is None else summary
    keys = ratio_key_columns(results)
    columns = keys + ["reuse", "fresh", "ratio", "lo", "hi", "n_reuse", "n_fresh",
                      "p_value", "note", "rank", "baseline_rank"]
    if summary.empty or metric not in summary.columns:
        return pd.DataFrame(columns=columns)
    match_on = [k for k in keys if k not in ("strategy", "baseline", "port")]
    churn = summary[summary["group"].isin(CHURN_GROUPS)]
    fresh_rows = churn[churn["role"] == "fresh"]
    records = []
    for _, reuse in churn[churn["role"] == "reuse"].iterrows():
        port = reuse["port"] if "port" in reuse else ""
        for _, fresh in fresh_rows.iterrows():
            if any(reuse[k] != fresh[k] for k in match_on):
                continue
            if port and "port" in fresh and fresh["port"] and fresh["port"] != port:
                continue
            record = {k: reuse[k] for k in match_on}
            record.update(strategy=reuse["strategy"], baseline=fresh["strategy"], port=port,
                          rank=reuse["rank"], baseline_rank=fresh["rank"])
            record.update(_pair_cells(reuse, fresh, metric))
            records.append(record)
    table = pd.DataFrame(records, columns=columns)
    return _sort(table, keys, results.roles)


# A run whose median foreign CPU load is above this shared the machine (the
# same threshold as a paired slice's "busy" flag).
BUSY_FOREIGN_CPUS = 0.5


def unpaired_summary(table):
    """The one-line summary of a ratio table from medians of separate runs."""
    if table.empty:
        return "no reuse / fresh ratios"
    untested = int(table["p_value"].isna().sum())
    tested = len(table) - untested
    significant = int((table["p_value"] < ALPHA).sum())
    line = (f"{len(table)} reuse / fresh ratios from medians of separate runs (not paired: "
            f"min-max ranges, no intervals)")
    if tested:
        line += f"; {significant} of {tested} significant (U test)"
    if untested:
        line += (f"; {untested} untested (the U test needs {MIN_U_REPETITIONS} repetitions "
                 f"per side; scripts/paired gives intervals from any run)")
    return line


def busy_runs(summary):
    """A warning when runs shared the machine (median foreign_cpu_load above
    BUSY_FOREIGN_CPUS), else None."""
    if summary.empty or "foreign_cpu_load" not in summary.columns:
        return None
    busy = int((summary["foreign_cpu_load"] > BUSY_FOREIGN_CPUS).sum())
    if not busy:
        return None
    return (f"{busy} of {len(summary)} runs shared the machine (median foreign CPU load > "
            f"{BUSY_FOREIGN_CPUS} CPUs): their rates and the ratios of separate runs may "
            f"measure the machine's load, not the strategies")


def unpaired_reuse(summary, table):
    """(group, strategy) of each reuse-role strategy in the summary that got
    no ratio row (its fresh strategies are not in the file), in file order."""
    if summary.empty or "role" not in summary.columns:
        return []
    reuse = summary[summary["group"].isin(CHURN_GROUPS) & (summary["role"] == "reuse")]
    paired = set(zip(table["group"], table["strategy"])) if len(table) else set()
    pairs = dict.fromkeys(zip(reuse["group"], reuse["strategy"]))
    return [p for p in pairs if p not in paired]


def value_key(dim, value):
    """Sort key of a dimension value: known values in VALUE_ORDER, then natural order."""
    known = VALUE_ORDER.get(dim, ())
    if value in known:
        return (known.index(value), (0, 0, ""))
    if dim in DEFAULT_DIMS and value == DEFAULT_DIMS[dim]:
        return (-1, (0, 0, ""))
    return (len(known), natural_key(value))


def _sort(table, keys, roles):
    if table.empty:
        return table.reset_index(drop=True)

    def key(row):
        out = []
        for k in keys:
            value = row[k]
            if k == "group":
                out.append(_group_key(value))
            elif k in ("baseline", "strategy"):
                out.append(roles.rank(value))
            else:
                out.append(value_key(k, value))
        return tuple(out)

    order = sorted(range(len(table)), key=lambda i: key(table.iloc[i]))
    return table.iloc[order].reset_index(drop=True)


def run_order(results, summary):
    """The summary sorted by group, strategy, dimensions and threads."""
    keys = ["group", "strategy"] + list(results.dims) + ["args", "threads"]
    return _sort(summary, keys, results.roles)


def errnos(row, columns):
    """"EADDRNOTAVAIL=3 EPIPE=1": the nonzero errors_<ERRNO> columns of a row."""
    parts = [f"{c[len('errors_'):]}={row[c]:.0f}" for c in columns
             if not math.isnan(row[c]) and row[c] > 0]
    return " ".join(parts)


def errored_runs(summary):
    """Errored runs: run_name, n_errored, n_total, error_message, and what the
    rows kept: errnos ("EPIPE=3 ECONNRESET=1", "" if none), exchanges done
    before the error (NaN if not recorded)."""
    columns = ["run_name", "n_errored", "n_total", "error_message", "errnos", "exchanges"]
    if summary.empty:
        return pd.DataFrame(columns=columns)
    bad = summary[summary["errored"]].copy()
    errno_columns = [c for c in summary.columns if is_errno_count(c)
                     and not c.endswith(("_min", "_max", "_samples"))]
    bad["errnos"] = [errnos(row, errno_columns) for _, row in bad.iterrows()]
    if "exchanges" not in bad.columns:
        bad["exchanges"] = math.nan
    return bad[columns].reset_index(drop=True)


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
    return _sort(table, keys + ["threads"], results.roles)
