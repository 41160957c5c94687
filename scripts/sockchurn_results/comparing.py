"""Two results files side by side: matching runs, changes, significance, and
the context fields that make a comparison apples to oranges.

Pure: summaries and contexts in, DataFrames and strings out.
"""

import math
import re

import pandas as pd

from .stats import ALPHA, MIN_U_REPETITIONS, _divide, _pair_note, u_test

# Context fields that, when they differ, make the files measure different
# things (checked in this order; sysctl.* keys are found by prefix).
CONTEXT_FIELDS = ("kernel", "git_commit", "sysctl.*", "suite_repetitions", "suite_min_time",
                  "placement", "suite_path", "suite_isolation", "isolation")


def _by_key(summary):
    """The summary with one row per run key (the first), indexed by key."""
    if summary.empty:
        return summary
    return summary.drop_duplicates("key").set_index("key", drop=False)


def _first_names(summary):
    """{run key: the first run name with that key}, in file order."""
    out = {}
    for key, name in (zip(summary["key"], summary["run_name"]) if len(summary) else ()):
        out.setdefault(key, name)
    return out


def overlap(summary_a, summary_b):
    """(common, only_a, only_b): run names (common: A's), each in its file's
    order. Runs match by key (names.run_key: a name without engine:, flows:,
    rpc: matches one with their default values)."""
    first_a, first_b = _first_names(summary_a), _first_names(summary_b)
    return ([first_a[k] for k in first_a if k in first_b],
            [first_a[k] for k in first_a if k not in first_b],
            [first_b[k] for k in first_b if k not in first_a])


def _common_keys(summary_a, summary_b):
    keys_b = set(summary_b["key"]) if len(summary_b) else set()
    return list(dict.fromkeys(k for k in (summary_a["key"] if len(summary_a) else ()) if k in keys_b))


def compare_ratio_tables(table_a, table_b, keys):
    """Two ratio tables side by side on their common keys: keys, then
    ratio/lo/hi/note with suffixes _a and _b, and change_pct =
    (ratio_b / ratio_a - 1) * 100 (positive: reuse's advantage grew in B).
    """
    keep = ["ratio", "lo", "hi", "note"]
    columns = keys + [f"{c}_{s}" for s in "ab" for c in keep] + ["change_pct"]
    if table_a.empty or table_b.empty:
        return pd.DataFrame(columns=columns)
    a = table_a[keys + keep].drop_duplicates(keys).rename(columns={c: c + "_a" for c in keep})
    b = table_b[keys + keep].drop_duplicates(keys).rename(columns={c: c + "_b" for c in keep})
    merged = a.merge(b, on=keys, how="inner")
    merged["change_pct"] = [(_divide(rb, ra) - 1) * 100 for ra, rb in
                            zip(merged["ratio_a"], merged["ratio_b"])]
    return merged[columns].reset_index(drop=True)


def verdict(p_value, note, n_a, n_b, names=("A", "B")):
    """Whether a change is real, in words: the U test's answer, or why there
    is none (an errored side, or how many repetitions are missing)."""
    if note.endswith("errored") or (note.startswith("no ") and note != "no per-repetition data"):
        return note
    if not math.isnan(p_value):
        if p_value < ALPHA:
            return f"changed (p={p_value:.2g} *)"
        return f"no significant change (p={p_value:.2g})"
    if note == "no per-repetition data":
        return "no test: only aggregates in the file"
    a, b = names
    return f"no test (needs {MIN_U_REPETITIONS} repetitions per side; {a} has {n_a}, {b} has {n_b})"


def runs_summary(runs):
    """The one-line summary of compare_runs' table."""
    changed = int(runs["verdict"].str.startswith("changed").sum()) if len(runs) else 0
    tested = int(runs["p_value"].notna().sum()) if len(runs) else 0
    line = f"{changed} of {len(runs)} common runs changed (U test, p<{ALPHA})"
    if tested < len(runs):
        line += (f"; {len(runs) - tested} untested (too few repetitions or an error), "
                 f"{tested - changed} within noise")
    else:
        line += f"; {tested - changed} within noise"
    return line


def compare_runs(summary_a, summary_b, metric):
    """Runs present in both files (matched by key): run_name (A's), a, b
    (medians of metric), a_min, a_max, b_min, b_max, n_a, n_b, change_pct =
    (b / a - 1) * 100, p_value (U test A vs B), note and verdict.
    """
    columns = ["run_name", "a", "a_min", "a_max", "b", "b_min", "b_max", "n_a", "n_b",
               "change_pct", "p_value", "note", "verdict"]
    common = _common_keys(summary_a, summary_b)
    if not common or metric not in summary_a.columns or metric not in summary_b.columns:
        return pd.DataFrame(columns=columns)
    a, b = _by_key(summary_a), _by_key(summary_b)
    records = []
    for key in common:
        ra, rb = a.loc[key], b.loc[key]
        sa, sb = list(ra[metric + "_samples"]), list(rb[metric + "_samples"])
        record = {"run_name": ra["run_name"], "a": ra[metric], "b": rb[metric],
                  "n_a": int(ra["n"]), "n_b": int(rb["n"])}
        for side, row, samples in (("a", ra, sa), ("b", rb, sb)):
            spread = len(samples) >= 2
            record[f"{side}_min"] = row[metric + "_min"] if spread else math.nan
            record[f"{side}_max"] = row[metric + "_max"] if spread else math.nan
        record["change_pct"] = (_divide(record["b"], record["a"]) - 1) * 100
        record["p_value"] = u_test(sa, sb)
        record["note"] = _pair_note((("A", ra), ("B", rb)), (record["a"], record["b"]), sa, sb, metric)
        record["verdict"] = verdict(record["p_value"], record["note"], len(sa), len(sb))
        records.append(record)
    return pd.DataFrame(records, columns=columns)


def _text(value):
    if value is None or isinstance(value, (dict, list)):
        return None
    return " ".join(str(value).split())


def _same(key, a, b):
    if key == "git_commit":
        # A short and a full hash of one commit are the same commit.
        ha, hb = (re.fullmatch(r"([0-9a-f]{7,40})(-dirty)?", v) for v in (a, b))
        if ha and hb and ha.group(2) == hb.group(2):
            return ha.group(1).startswith(hb.group(1)) or hb.group(1).startswith(ha.group(1))
    return a == b


def context_differences(context_a, context_b):
    """[(key, value in A, value in B)] for each of CONTEXT_FIELDS that differs
    ("(not recorded)" for a side without it; keys neither file has are skipped)."""
    keys = []
    for field in CONTEXT_FIELDS:
        if field.endswith(".*"):
            prefix = field[:-1]
            found = [k for k in list(context_a) + list(context_b) if k.startswith(prefix)]
            keys += sorted(dict.fromkeys(found))
        else:
            keys.append(field)
    out = []
    for key in keys:
        a, b = _text(context_a.get(key)), _text(context_b.get(key))
        if a is None and b is None:
            continue
        if a is None or b is None or not _same(key, a, b):
            out.append((key, a if a is not None else "(not recorded)",
                        b if b is not None else "(not recorded)"))
    return out
