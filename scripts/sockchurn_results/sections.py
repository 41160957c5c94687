"""The suite's extra sections (scripts/bench, SECTIONS): tables of their rows.

A section's rows carry the name dimension ``section:<name>`` and the
dimensions of their variant (``tw_reuse:0``, ``conntrack:on``), added by
merge_results.py --dims-for; the main sweep's rows have neither. Pure:
Results in, DataFrames out.
"""

import math
from dataclasses import replace

import numpy as np
import pandas as pd

from .loading import PREFERRED_DIMS

SECTION = "section"
TW_REUSE = "tw_reuse"
CONNTRACK = "conntrack"
# Dimensions of the main sweep: anything else on a section's row names its variant.
_SWEEP_DIMS = frozenset(PREFERRED_DIMS) | {SECTION}


def has_section(results, name):
    return SECTION in results.rows.columns and bool((results.rows[SECTION] == name).any())


def main_sweep(results):
    """The results without the sections' rows (unchanged when there are none)."""
    if SECTION not in results.rows.columns or not (results.rows[SECTION] != "").any():
        return results
    return replace(results, rows=results.rows[results.rows[SECTION] == ""].reset_index(drop=True))


def variant_dims(results, rows):
    """The dimensions that tell a section's variants apart, in file order."""
    return [d for d in results.dims if d not in _SWEEP_DIMS and (rows[d] != "").any()]


def _iterations(results, name):
    rows = results.rows
    if SECTION not in rows.columns:
        return rows.iloc[0:0]
    return rows[(rows[SECTION] == name) & (rows["run_type"] != "aggregate")]


def _value(row, column, missing=math.nan):
    value = row[column] if column in row else math.nan
    return missing if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _median(values):
    finite = [v for v in values if not math.isnan(v)]
    return (float(np.median(finite)), min(finite), max(finite)) if finite else (math.nan,) * 3


def _rate_of_repetition(row):
    """Exchanges per second of one repetition. An errored repetition has no
    exchanges_per_s: 0 when no exchange completed, else its exchanges over
    its wall time (errors_<ERRNO> / errors_<ERRNO>_per_s of any errno)."""
    rate = _value(row, "exchanges_per_s")
    if not math.isnan(rate):
        return rate
    done = _value(row, "exchanges")
    if done == 0:
        return 0.0
    for column in row.index:
        if column.startswith("errors_") and column.endswith("_per_s"):
            count, per_s = _value(row, column[:-len("_per_s")]), _value(row, column)
            if per_s > 0 and not math.isnan(count) and not math.isnan(done):
                return done / (count / per_s)
    return math.nan


def section_strategies(results, name):
    """"tcp/<strategy>" of each strategy the section's rows measured, file
    order, joined by ", " (what its captions name; the section picks its
    strategies from the registry by role and policy)."""
    rows = _iterations(results, name)
    return ", ".join(dict.fromkeys(f"{g}/{s}" for g, s in zip(rows["group"], rows["strategy"]))) or "no rows"


def tw_reuse_table(results):
    """One row per tw_reuse variant (file order): variant (its dimensions,
    "tw_reuse=1, tw_reuse_delay_ms=100"), n and n_errored repetitions, and
    per metric the median and min/max over repetitions: exchanges_per_s
    (errored repetitions included: 0 when none completed), time_wait,
    eaddrnotavail_per_s (failed connect()s with EADDRNOTAVAIL per second)."""
    rows = _iterations(results, TW_REUSE)
    columns = ["variant", "n", "n_errored"] + [f"{m}{s}" for m in ("exchanges_per_s", "time_wait",
                                                                   "eaddrnotavail_per_s")
                                               for s in ("", "_min", "_max")]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    dims = variant_dims(results, rows)
    records = []
    for _, reps in rows.groupby("run_name", sort=False):
        first = reps.iloc[0]
        record = {"variant": ", ".join(f"{d}={first[d]}" for d in dims if first[d] != ""),
                  "n": len(reps), "n_errored": int(reps["error_occurred"].sum())}
        per_rep = {"exchanges_per_s": [_rate_of_repetition(r) for _, r in reps.iterrows()],
                   "time_wait": [_value(r, "time_wait") for _, r in reps.iterrows()],
                   "eaddrnotavail_per_s": [_value(r, "errors_EADDRNOTAVAIL_per_s", 0.0)
                                           for _, r in reps.iterrows()]}
        for metric, values in per_rep.items():
            record[metric], record[metric + "_min"], record[metric + "_max"] = _median(values)
        records.append(record)
    return pd.DataFrame(records, columns=columns)


def conntrack_states(results):
    """The TCP states of conntrack_entries_<STATE> columns, most common first."""
    states = [c[len("conntrack_entries_"):] for c in results.counters
              if c.startswith("conntrack_entries_")]
    rows = results.rows
    return sorted(states, key=lambda s: -rows[f"conntrack_entries_{s}"].fillna(0).sum())


def conntrack_table(results):
    """One row per benchmark of the conntrack section (strategy, closer,
    port; file order): n_off/n_on good repetitions, the medians (and
    min/max) of exchanges_per_s and cpu_us_per_exchange without (``_off``)
    and with (``_on``) connection tracking, rate_change = rate_on / rate_off
    - 1, cpu_added_us = cpu_on - cpu_off, and ``entries`` = conntrack_entries
    of the last repetition with tracking (the table when the benchmark's
    repetitions ended; it accumulates over them: entries expire after 120 s
    in TIME_WAIT, 10 s in CLOSE), with ``entries_<STATE>`` likewise."""
    rows = _iterations(results, CONNTRACK)
    states = conntrack_states(results)
    keys = ["strategy", "closer", "port"]
    metrics = ("exchanges_per_s", "cpu_us_per_exchange")
    columns = (keys + ["n_off", "n_on"]
               + [f"{m}_{side}{s}" for m in metrics for side in ("off", "on") for s in ("", "_min", "_max")]
               + ["rate_change", "cpu_added_us", "entries"] + [f"entries_{s}" for s in states])
    if rows.empty or CONNTRACK not in rows.columns:
        return pd.DataFrame(columns=columns)
    records = {}
    for _, row in rows.iterrows():
        ident = tuple(row[k] if k in row else "" for k in keys)
        record = records.setdefault(ident, dict(zip(keys, ident), _reps={"off": [], "on": []}))
        side = "on" if row[CONNTRACK] == "on" else "off"
        if not row["error_occurred"]:
            record["_reps"][side].append(row)
    out = []
    for record in records.values():
        reps = record.pop("_reps")
        for side in ("off", "on"):
            record[f"n_{side}"] = len(reps[side])
            for metric in metrics:
                values = [_value(r, metric) for r in reps[side]]
                (record[f"{metric}_{side}"], record[f"{metric}_{side}_min"],
                 record[f"{metric}_{side}_max"]) = _median(values)
        record["rate_change"] = record["exchanges_per_s_on"] / record["exchanges_per_s_off"] - 1 \
            if record["exchanges_per_s_off"] > 0 else math.nan
        record["cpu_added_us"] = record["cpu_us_per_exchange_on"] - record["cpu_us_per_exchange_off"]
        last = max(reps["on"], key=lambda r: _value(r, "repetition_index", 0.0), default=None)
        record["entries"] = _value(last, "conntrack_entries") if last is not None else math.nan
        for state in states:
            record[f"entries_{state}"] = _value(last, f"conntrack_entries_{state}", 0.0) \
                if last is not None and not math.isnan(record["entries"]) else math.nan
        out.append(record)
    return pd.DataFrame(out, columns=columns)
