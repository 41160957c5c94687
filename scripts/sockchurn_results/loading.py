"""Reading Google Benchmark 1.7.1 JSON into a table of rows.

``parse_results`` is pure (a decoded JSON document in, ``Results`` out);
``load`` is the only function here that touches the file system.
"""

import gzip
import json
import math
import zlib
from dataclasses import dataclass, field

import pandas as pd

from .jsonfile import read_text
from .names import CHURN_GROUPS, GROUPS, parse_name, run_key, split_aggregate, with_defaults
from .roles import RolesError, StrategyRoles, strategy_roles

TIME_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}

# Keys Google Benchmark itself writes on a row; every other numeric key is a
# user counter.
_GB_KEYS = frozenset({
    "name", "family_index", "per_family_instance_index", "run_name",
    "run_type", "repetitions", "repetition_index", "threads", "iterations",
    "real_time", "cpu_time", "time_unit", "aggregate_name", "aggregate_unit",
    "error_occurred", "error_message", "skipped", "skip_message", "label",
    "cpu_coefficient", "real_coefficient", "big_o", "rms",
})

# Columns of Results.rows that are not dimensions or counters.
BASE_COLUMNS = (
    "name", "run_name", "run_type", "aggregate_name", "repetition_index",
    "repetitions", "threads", "iterations", "real_time_ns", "cpu_time_ns",
    "error_occurred", "error_message", "group", "strategy", "args",
    "time_flags", "key",
)
# Columns that summaries and tables add: a dimension or counter of the same
# name gets a prefix (dim_, counter_) instead of clashing with them.
_RESERVED = frozenset(BASE_COLUMNS) | {"n", "errored", "n_errored", "n_total", "source",
                                       "role", "rank", "baseline", "op", "file", "errnos",
                                       "status", "real_ns", "cpu_ns", "note"}
_DERIVED_SUFFIXES = ("_min", "_max", "_samples")

# Dimensions shown first, in this order, when present.
PREFERRED_DIMS = ("closer", "port", "engine", "flows", "ring", "rpc", "payload", "placement", "proto")


class ResultsError(Exception):
    """A results file that cannot be used; str() is one line naming the file."""


@dataclass(frozen=True)
class Results:
    """One results file: its context and one row per JSON benchmark row.

    ``rows`` has BASE_COLUMNS, one string column per name dimension (listed
    in ``dims``; "" where a name lacks it) and one float column per user
    counter (listed in ``counters``; NaN where a row lacks it). Times are in
    nanoseconds whatever the file's time_unit. ``paired`` is the file's
    "paired" list (rotation groups with their ratios; empty in files made
    before it existed).
    """
    source: str
    context: dict
    rows: pd.DataFrame = field(repr=False)
    dims: tuple = ()
    counters: tuple = ()
    roles: StrategyRoles = field(default_factory=StrategyRoles)
    paired: tuple = ()

    @property
    def has_benchmarks(self):
        return len(self.rows) > 0

    @property
    def is_sockchurn(self):
        """True when at least one row is a tcp/, udp/ or syscall/ benchmark."""
        return bool(self.rows["group"].isin(GROUPS).any())


def _number(value):
    """A JSON number as a finite float; anything else (text, bool, NaN,
    Infinity, an integer too large for a float) is NaN."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return math.nan
    try:
        number = float(value)
    except OverflowError:
        return math.nan
    return number if math.isfinite(number) else math.nan


def _is_counter(key, value):
    return key not in _GB_KEYS and isinstance(value, (int, float)) \
        and not isinstance(value, bool)


def _column(key, prefix, taken):
    """Column name for a dimension or counter: key, or prefix + key when it
    would clash with a base/derived column or a name in `taken`."""
    if key in _RESERVED or key in taken or key.endswith(_DERIVED_SUFFIXES):
        return prefix + key
    return key


def parse_paired(doc, source="<results>"):
    """The document's "paired" list as a tuple (empty without one); raises
    ResultsError when it is there but not rotation groups with ratios."""
    paired = doc.get("paired", [])
    if not isinstance(paired, list):
        raise ResultsError(f"{source}: \"paired\" is a {type(paired).__name__}, expected a list")
    for index, group in enumerate(paired):
        ratios = group.get("ratios") if isinstance(group, dict) else None
        if not isinstance(ratios, list) or not isinstance(group.get("group"), list):
            raise ResultsError(f"{source}: paired group #{index} has no \"group\" and "
                               f"\"ratios\" lists")
        for ratio in ratios:
            if not isinstance(ratio, dict) or not all(
                    isinstance(ratio.get(k), str) for k in ("numerator", "denominator", "metric")):
                raise ResultsError(f"{source}: paired group #{index} has a ratio without "
                                   f"numerator, denominator and metric")
    return tuple(paired)


def parse_results(doc, source="<results>"):
    """Turn a decoded Google Benchmark JSON document into ``Results``.

    Raises ResultsError (message starts with ``source``) when the document is
    not Google Benchmark output or has no benchmarks. A file of paired
    measurement alone (a "paired" list, no "benchmarks", as scripts/paired
    writes) has no rows.
    """
    if not isinstance(doc, dict):
        raise ResultsError(f"{source}: not Google Benchmark JSON "
                           f"(top level is a {type(doc).__name__}, expected an object)")
    paired = parse_paired(doc, source)
    context = doc.get("context")
    if not isinstance(context, dict):
        context = {}
    if paired and not doc.get("benchmarks"):
        return Results(source=str(source), context=context,
                       rows=pd.DataFrame(columns=list(BASE_COLUMNS)), paired=paired)
    if "benchmarks" not in doc:
        raise ResultsError(f"{source}: not Google Benchmark JSON (no \"benchmarks\" key)")
    benchmarks = doc["benchmarks"]
    if not isinstance(benchmarks, list):
        raise ResultsError(f"{source}: \"benchmarks\" is a {type(benchmarks).__name__}, expected a list")
    if not benchmarks:
        raise ResultsError(f"{source}: no benchmarks (\"benchmarks\" is empty)")

    parsed_rows, dim_keys, counter_keys = [], {}, {}
    for index, row in enumerate(benchmarks):
        out, dims, counters = _parse_row(row, index, source)
        parsed_rows.append((out, dims, counters))
        dim_keys.update(dict.fromkeys(dims))
        counter_keys.update(dict.fromkeys(counters))

    if any(out["group"] in GROUPS for out, _, _ in parsed_rows):
        # sockchurn files always show the canonical dimensions, even if empty.
        dim_keys.update(dict.fromkeys(k for k in PREFERRED_DIMS if k not in dim_keys))
    dim_columns = {k: _column(k, "dim_", ()) for k in dim_keys}
    counter_columns = {k: _column(k, "counter_", set(dim_columns.values())) for k in counter_keys}
    records = []
    for out, dims, counters in parsed_rows:
        out.update({dim_columns[k]: v for k, v in dims.items()})
        out.update({counter_columns[k]: v for k, v in counters.items()})
        records.append(out)
    dims = [dim_columns[k] for k in dim_keys]
    dims = [d for d in PREFERRED_DIMS if d in dims] + [d for d in dims if d not in PREFERRED_DIMS]
    counters = list(counter_columns.values())
    frame = pd.DataFrame(records)
    for column in dims:
        frame[column] = frame[column].fillna("").astype(str) if column in frame else ""
    for column in counters:
        frame[column] = frame[column].astype(float)
    churn = frame[frame["group"].isin(CHURN_GROUPS)]["strategy"]
    try:
        roles = strategy_roles(context, list(dict.fromkeys(churn)))
    except RolesError as e:
        raise ResultsError(f"{source}: context {e}") from None
    return Results(source=str(source), context=context, rows=frame,
                   dims=tuple(dims), counters=tuple(counters), roles=roles, paired=paired)


def _parse_row(row, index, source):
    """(base columns, {dim: value}, {counter: value}) of one benchmark row."""
    if not isinstance(row, dict) or not isinstance(row.get("name"), str) or not row["name"]:
        raise ResultsError(f"{source}: benchmark #{index} has no \"name\"")
    name = row["name"]
    run_type = row.get("run_type", "iteration")
    aggregate_name = row.get("aggregate_name", "")
    if not isinstance(aggregate_name, str):
        aggregate_name = ""
    run_name = row.get("run_name")
    if not isinstance(run_name, str) or not run_name:
        run_name, suffix = split_aggregate(name) if run_type == "aggregate" else (name, "")
        aggregate_name = aggregate_name or suffix
    unit = row.get("time_unit", "ns")
    if not isinstance(unit, str) or unit not in TIME_UNIT_NS:
        raise ResultsError(f"{source}: benchmark {name!r} has unknown time_unit {unit!r}")
    # cv aggregates carry fractions, not times.
    scale = 1.0 if row.get("aggregate_unit") == "percentage" or aggregate_name == "cv" \
        else TIME_UNIT_NS[unit]
    parsed = parse_name(run_name)
    threads = row.get("threads")
    if isinstance(threads, bool) or not isinstance(threads, int):
        threads = parsed["threads"] if parsed["threads"] is not None else 1
    if not 1 <= threads <= 1 << 20:
        raise ResultsError(f"{source}: benchmark {name!r} has {threads} threads, "
                           f"expected 1 to {1 << 20}")
    error = row.get("error_occurred") is True
    out = {
        "name": name,
        "run_name": run_name,
        "run_type": run_type if run_type in ("iteration", "aggregate") else "iteration",
        "aggregate_name": aggregate_name,
        "repetition_index": _number(row.get("repetition_index")),
        "repetitions": _number(row.get("repetitions", 1)),
        "threads": int(threads),
        "iterations": _number(row.get("iterations")),
        "real_time_ns": _number(row.get("real_time")) * scale,
        "cpu_time_ns": _number(row.get("cpu_time")) * scale,
        "error_occurred": error,
        "error_message": " ".join(str(row.get("error_message", "")).split()) if error else "",
        "group": parsed["group"],
        "strategy": parsed["strategy"],
        "args": "/".join(parsed["args"]),
        "time_flags": "/".join(parsed["time_flags"]),
        "key": run_key(dict(parsed, threads=int(threads))),
    }
    counters = {k: _number(v) for k, v in row.items() if _is_counter(k, v)}
    return out, with_defaults(parsed), counters


def load(path):
    """Read and parse one results file; raises ResultsError with a one-line message."""
    return load_document(path)[1]


def load_document(path):
    """(the decoded JSON document, its Results) of one results file, for the
    tools that read top-level keys beside the benchmarks ("paired");
    raises ResultsError with a one-line message."""
    try:
        text = read_text(path)
    except FileNotFoundError:
        raise ResultsError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ResultsError(f"{path}: is a directory, expected a JSON file") from None
    except UnicodeDecodeError:
        raise ResultsError(f"{path}: not JSON (not UTF-8 text)") from None
    except OSError as e:
        raise ResultsError(f"{path}: cannot read ({e.strerror})") from None
    except (EOFError, gzip.BadGzipFile, zlib.error):
        raise ResultsError(f"{path}: a damaged or cut gzip file") from None
    if not text.strip():
        raise ResultsError(f"{path}: empty file, expected Google Benchmark JSON")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        hint = "; truncated by a crashed run?" if e.pos >= len(text.rstrip()) else ""
        raise ResultsError(f"{path}: not JSON ({e.msg} at line {e.lineno} "
                           f"column {e.colno}{hint})") from None
    return doc, parse_results(doc, path)
