"""Tables for compare.py: which columns, how cells read, text/markdown/CSV
(the grids drawn by tables.py).

Pure: summaries and ratio tables in, strings out.
"""

import csv
import io
import math
import re
from dataclasses import dataclass, field

from .names import DEFAULT_DIMS, GROUPS as GROUP_ORDER, RING_DEFAULT
from .stats import (ALPHA, EXCHANGE_METRICS, MIN_U_REPETITIONS, errnos, higher_is_better, is_errno_count,
                    metrics_of, value_key)
from .tables import aligned, markdown

FORMATS = ("text", "md", "csv")

METRIC_LABELS = {
    "exchanges_per_s": "exch/s",
    "cpu_us_per_exchange": "cpu µs/exch",
    "server_cpu_us_per_exchange": "server cpu µs/exch",
    "p50_us": "p50 µs",
    "p99_us": "p99 µs",
    "max_us": "max µs",
    "time_wait": "TIME_WAIT",
    "time_wait_server": "TIME_WAIT server",
    "foreign_cpu_load": "foreign CPU",
    "steal_cpu": "steal CPU",
    "exchanges": "exchanges",
    "errors": "errors",
    "stale": "stale",
    "real_time_ns": "real ns",
    "cpu_time_ns": "cpu ns",
}

DIM_LABELS = {"group": "proto", "baseline": "vs", "strategy": "reuse", "closer": "closer", "port": "port",
              "payload": "payload", "placement": "placement", "threads": "threads"}


def metric_label(metric):
    return METRIC_LABELS.get(metric, metric)


# ---- provenance ---------------------------------------------------------

def _ctx(context, key):
    value = context.get(key)
    if value is None or value == "" or isinstance(value, (dict, list)):
        return "?"
    return " ".join(str(value).split())


def short_date(date):
    """"2025-11-25T14:21:07+00:00" -> "2025-11-25 14:21"; other text unchanged."""
    match = re.match(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d)", date)
    return f"{match.group(1)} {match.group(2)}" if match else date


def short_commit(commit):
    return commit[:12] if re.fullmatch(r"[0-9a-f]{13,40}(-dirty)?", commit) else commit


def provenance(context, source=None):
    """One line: where and how the results were made. Missing keys read "?"."""
    c = lambda key: _ctx(context, key)  # noqa: E731
    cores = c("cores") if c("cores") != "?" else c("num_cpus")
    parts = [f"kernel {c('kernel')}", f"CPU {c('cpu_model')} ({cores} cores)",
             short_date(c("date")), f"commit {short_commit(c('git_commit'))}",
             f"host {c('host_name')}", f"isolation {c('isolation')}",
             f"tcp_tw_reuse={c('sysctl.net.ipv4.tcp_tw_reuse')}",
             f"ip_local_port_range={c('sysctl.net.ipv4.ip_local_port_range')}",
             f"tcp_fin_timeout={c('sysctl.net.ipv4.tcp_fin_timeout')}",
             f"somaxconn={c('sysctl.net.core.somaxconn')}",
             f"echo_threads={c('echo_threads')}",
             f"benchmark library {c('library_build_type')}"]
    line = ", ".join(parts)
    return f"{source}: {line}" if source else line


def chart_provenance(context):
    """Shorter provenance for chart titles."""
    c = lambda key: _ctx(context, key)  # noqa: E731
    cores = c("cores") if c("cores") != "?" else c("num_cpus")
    return (f"kernel {c('kernel')} · {c('cpu_model')} · {cores} cores · "
            f"{short_date(c('date'))} · commit {short_commit(c('git_commit'))} · {short_isolation(c('isolation'))}")


def short_isolation(isolation):
    """A merged file's isolation without the per-group veth names, each kind
    once, one kind's details together: "private network namespace
    (lo,scv1c) | private network namespace (lo,scv2c) | private network
    namespace (loopback only)" -> "private network namespace (lo,scv…;
    loopback only)"."""
    kinds = {}
    for part in isolation.split(" | "):
        part = re.sub(r"scv[0-9]+c", "scv…", part.strip())
        kind, _, detail = part.partition(" (")
        details = kinds.setdefault(kind, [])
        if detail and detail.rstrip(")") not in details:
            details.append(detail.rstrip(")"))
    return " | ".join(f"{k} ({'; '.join(d)})" if d else k for k, d in kinds.items())


# ---- cells --------------------------------------------------------------

def _nan(x):
    return x is None or (isinstance(x, float) and math.isnan(x))


def fmt_number(x):
    """Three significant digits, thousands separators above 1000."""
    if _nan(x):
        return "-"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    a = abs(x)
    if a >= 1000:
        return f"{x:,.0f}"
    if a >= 100:
        return f"{x:.0f}"
    if a >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def fmt_ratio(x):
    if _nan(x):
        return "-"
    return "inf" if math.isinf(x) else f"{x:.2f}"


def format_cell(kind, value):
    """Text/markdown cell for a value of a column kind."""
    if kind == "str":
        return "-" if _nan(value) or value == "" else str(value)
    if kind == "int":
        return "-" if _nan(value) else f"{int(value)}"
    if kind == "count":
        return "-" if _nan(value) else f"{value:,.0f}"
    if kind == "rate":
        return "-" if _nan(value) else ("inf" if math.isinf(value) else f"{value:,.0f}")
    if kind == "num":
        return fmt_number(value)
    if kind == "ratio":
        return fmt_ratio(value)
    if kind == "range":
        lo, hi = value
        return "-" if _nan(lo) or _nan(hi) else f"{fmt_ratio(lo)}-{fmt_ratio(hi)}"
    if kind == "numrange":
        lo, hi = value
        return "-" if _nan(lo) or _nan(hi) else f"{fmt_number(lo)}-{fmt_number(hi)}"
    if kind == "pct":
        return "-" if _nan(value) or math.isinf(value) else f"{value:+.1f}%"
    if kind == "nn":
        a, b = value
        return f"{int(a)}/{int(b)}"
    if kind == "utest":
        p, note = value
        if _nan(p):
            return note or "-"
        return f"p={p:.2g}" + (" *" if p < ALPHA else "")
    raise ValueError(f"unknown column kind {kind!r}")


def _csv_value(value):
    if _nan(value):
        return ""
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.10g}"
    return str(value)


_NUMERIC_KINDS = ("int", "count", "rate", "num", "ratio", "range", "numrange", "pct", "nn", "utest")


@dataclass(frozen=True)
class Column:
    """A table column: ``keys`` are DataFrame columns (two for range/nn/utest)."""
    keys: tuple
    header: str
    kind: str = "str"
    drop_if_empty: bool = False
    hide: tuple = ()    # with drop_if_empty: values that count as empty too


@dataclass
class Table:
    title: str
    frame: object  # pandas.DataFrame
    columns: list
    explanation: str = ""
    notes: list = field(default_factory=list)
    empty: str = "(none)"


def col(key, header=None, kind="str", drop_if_empty=False, hide=()):
    keys = key if isinstance(key, tuple) else (key,)
    return Column(keys, header if header is not None else DIM_LABELS.get(keys[0], keys[0]),
                  kind, drop_if_empty, hide)


def _visible_columns(table):
    out = []
    for column in table.columns:
        if column.drop_if_empty and not table.frame.empty:
            values = table.frame[column.keys[0]]
            if all(_nan(v) or v == "" or v in column.hide for v in values):
                continue
        if column.drop_if_empty and table.frame.empty:
            continue
        out.append(column)
    return out


def _value(row, column):
    values = tuple(row[k] for k in column.keys)
    return values if len(values) > 1 else values[0]


def cells(table):
    """(headers, rows of text cells) of a table as text and markdown show it."""
    columns = _visible_columns(table)
    rows = [[format_cell(c.kind, _value(row, c)) for c in columns]
            for _, row in table.frame.iterrows()]
    return [c.header for c in columns], rows, columns


def _right(columns):
    """The indexes of the columns aligned right: the numbers, but for the U test's."""
    return {i for i, c in enumerate(columns) if c.kind in _NUMERIC_KINDS and c.kind != "utest"}


def render_text(table):
    headers, rows, columns = cells(table)
    lines = [f"== {table.title} =="]
    if table.explanation:
        lines += table.explanation.split("\n")
    lines += [f"note: {n}" for n in table.notes]
    lines.append(aligned(headers, rows, _right(columns), rule=True) if rows else table.empty)
    return "\n".join(lines) + "\n"


def render_markdown(table):
    headers, rows, columns = cells(table)
    lines = [f"### {table.title}", ""]
    if table.explanation:
        lines += [f"{line}  " for line in table.explanation.split("\n")] + [""]
    if table.notes:
        lines += [f"Note: {n}  " for n in table.notes] + [""]
    lines.append(markdown(headers, rows, _right(columns)) if rows else table.empty)
    return "\n".join(lines) + "\n"


def render_csv(table, with_title=True):
    """Raw values, machine column names; a "# title" line first unless with_title=False."""
    columns = _visible_columns(table)
    keys = [k for c in columns for k in c.keys]
    out = io.StringIO()
    if with_title:
        out.write(f"# {table.title}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(keys)
    for _, row in table.frame.iterrows():
        writer.writerow([_csv_value(row[k]) for k in keys])
    return out.getvalue()


def render(tables, fmt, header_lines=()):
    """All tables in one format; text/md start with header_lines (provenance, notes)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    if fmt == "csv":
        if len(tables) == 1:
            return render_csv(tables[0], with_title=False)
        return "\n".join(render_csv(t) for t in tables)
    one = render_text if fmt == "text" else render_markdown
    head = ""
    if header_lines:
        head = "\n".join(header_lines if fmt == "text" else [f"{h}  " for h in header_lines]) + "\n\n"
    return head + "\n".join(one(t) for t in tables)


# ---- the tables ---------------------------------------------------------

def reuse_name(table):
    """The reuse strategy's name when the table has one, else "reuse"."""
    names = list(dict.fromkeys(table["strategy"])) if len(table) and "strategy" in table else []
    return names[0] if len(names) == 1 else "reuse"


def ratio_explanation(metric, reuse="reuse"):
    direction = (f"{reuse} / fresh (higher is better)" if higher_is_better(metric)
                 else f"fresh / {reuse} (lower is better)")
    return (f"ratio = {direction} of the median {metric}: > 1 means reuse is better\n"
            f"range = min-max of the ratio over all (reuse, fresh) repetition pairs; n = repetitions\n"
            f"U test = two-sided Mann-Whitney p (* p<{ALPHA}), needs >= {MIN_U_REPETITIONS} "
            f"repetitions per side")


def _dim_columns(results, skip=("port",)):
    """One column per dimension; a dimension that is empty everywhere, or has
    only its default value (names.DEFAULT_DIMS, e.g. engine blocking; ring
    default), is not shown."""
    defaults = {**DEFAULT_DIMS, "ring": RING_DEFAULT}
    return [col(d, drop_if_empty=True, hide=(defaults[d],) if d in defaults else ())
            for d in results.dims if d not in skip]


def _reuse_column(table):
    """The reuse strategy's column, only when the table has more than one."""
    several = len(table) and "strategy" in table and table["strategy"].nunique() > 1
    return [col("strategy")] if several else []


def ratio_report(results, table, metric):
    unit = metric_label(metric)
    reuse = reuse_name(table)
    columns = ([col("group")] + _dim_columns(results) + _reuse_column(table)
               + [col("baseline"), col("port", drop_if_empty=True), col("threads", kind="int"),
                  col("reuse", f"reuse {unit}", "rate" if metric == "exchanges_per_s" else "num"),
                  col("fresh", f"fresh {unit}", "rate" if metric == "exchanges_per_s" else "num"),
                  col("ratio", "ratio", "ratio"), col(("lo", "hi"), "range", "range"),
                  col(("n_reuse", "n_fresh"), "n", "nn"), col(("p_value", "note"), "U test", "utest")])
    return Table(f"{reuse} vs fresh: {metric}", table, columns,
                 explanation=ratio_explanation(metric, reuse),
                 empty="(no reuse / fresh pairs in this file)")


def syscall_report(results, table):
    columns = ([col("op")] + _dim_columns(results, skip=())
               + [col("threads", kind="int"), col("n", kind="int"),
                  col("real_ns", "real ns/op", "num"),
                  col(("real_ns_min", "real_ns_max"), "min-max", "numrange"),
                  col("cpu_ns", "cpu ns/op", "num"),
                  col("socket_close_ratio", "socket_close ÷ op", "ratio"), col("note")])
    return Table("syscalls (ns per op, median over repetitions)", table, columns,
                 explanation="socket_close ÷ op = socket()+close() real ns / the op's real ns "
                             "(same proto): > 1 means the op is cheaper")


def errors_report(summary_errors, title="errored benchmarks (excluded from every ratio)"):
    """Errored runs, never as a rate: what the rows kept (errnos, exchanges
    done before the error) is shown where present."""
    columns = ([col("file")] if "file" in summary_errors.columns else []) + [
        col("run_name", "benchmark"), col(("n_errored", "n_total"), "errored reps", "nn"),
        col("exchanges", "exchanges before the error", "count", drop_if_empty=True),
        col("errnos", drop_if_empty=True), col("error_message", "error message")]
    return Table(title, summary_errors, columns, empty="(none)")


RUN_METRICS = EXCHANGE_METRICS + ("time_wait", "errors", "stale")


def runs_report(results, summary):
    """Every run: median exchanges/s, CPU, latency, TIME_WAIT, errors (sums).
    For sockchurn files the syscall/ runs are left to syscall_report."""
    frame = summary.copy()
    if results.is_sockchurn and len(frame):
        frame = frame[frame["group"] != "syscall"].copy()
    errno_columns = [c for c in results.counters if is_errno_count(c)]
    frame["errnos"] = [errnos(row, errno_columns) for _, row in frame.iterrows()]
    frame["status"] = [("ERROR" if r["errored"] else "aggregate median" if r["source"] == "aggregate" else "")
                       for _, r in frame.iterrows()]
    if results.is_sockchurn:
        metrics = [m for m in RUN_METRICS if m in frame.columns]
        title = "every run (median over repetitions; errors, stale: sum)"
    else:
        metrics = list(metrics_of(results))
        title = "every run (median over repetitions)"
    kinds = {"exchanges_per_s": "rate", "time_wait": "count", "errors": "count", "stale": "count"}
    columns = ([col("run_name", "benchmark"), col("n", kind="int")]
               + [col(m, metric_label(m), kinds.get(m, "num")) for m in metrics]
               + [col("errnos", drop_if_empty=True), col("status", drop_if_empty=True)])
    return Table(title, frame, columns)


def compare_ratio_report(results_a, table, metric, names=("A", "B")):
    a, b = names
    frame = table.copy()
    frame["note"] = ["; ".join(f"{s}: {n}" for s, n in ((a, na), (b, nb)) if n and "<" not in n)
                     for na, nb in zip(frame["note_a"], frame["note_b"])] if len(frame) else []
    reuse = reuse_name(table)
    columns = ([col("group")] + _dim_columns(results_a) + _reuse_column(table)
               + [col("baseline"), col("port", drop_if_empty=True), col("threads", kind="int"),
                  col("ratio_a", f"{a} ratio", "ratio"), col(("lo_a", "hi_a"), f"{a} range", "range"),
                  col("ratio_b", f"{b} ratio", "ratio"), col(("lo_b", "hi_b"), f"{b} range", "range"),
                  col("change_pct", "change", "pct"), col("note", drop_if_empty=True)])
    return Table(f"{reuse} vs fresh: {metric}, {a} vs {b}", frame, columns,
                 explanation=ratio_explanation(metric, reuse)
                 + f"\nchange = {b} ratio / {a} ratio - 1 (no test: whether the runs behind it "
                   f"changed is in the per-run table)",
                 empty="(no reuse / fresh pairs common to both files)")


def compare_runs_report(table, metric, names=("A", "B")):
    a, b = names
    unit = metric_label(metric)
    kind = "rate" if metric == "exchanges_per_s" else "num"
    columns = [col("run_name", "benchmark"), col("a", f"{a} {unit}", kind),
               col(("a_min", "a_max"), f"{a} min-max", "numrange"),
               col("b", f"{b} {unit}", kind), col(("b_min", "b_max"), f"{b} min-max", "numrange"),
               col("change_pct", "change", "pct"), col(("n_a", "n_b"), "n", "nn"),
               col("verdict")]
    better = "higher" if higher_is_better(metric) else "lower"
    return Table(f"every common run: {metric}, {a} vs {b}", table, columns,
                 explanation=f"median {metric} ({better} is better) with min-max over repetitions; "
                             f"change = {b} / {a} - 1\n"
                             f"verdict = two-sided Mann-Whitney U test of {a}'s vs {b}'s repetitions "
                             f"(* p<{ALPHA}), needs >= {MIN_U_REPETITIONS} per side")


def _engine_words(ident, flows_shown):
    """"asio engine, 16 flows, 10 requests/conn": the engine, flows and rpc of
    a headline line, each only where it is not its default (DEFAULT_DIMS);
    flows also for the engines in flows_shown (that run several, or 1 explicitly)."""
    words = []
    if ident.get("engine", "") not in ("", DEFAULT_DIMS["engine"]):
        words.append(f"{ident['engine']} engine")
    flows = ident.get("flows", "")
    if flows not in ("", DEFAULT_DIMS["flows"]) or (flows and ident.get("engine") in flows_shown):
        words.append(f"{flows} flow" + ("" if flows == "1" else "s"))
    if ident.get("rpc", "") not in ("", DEFAULT_DIMS["rpc"]):
        words.append(f"{ident['rpc']} requests/conn")
    return words


def _engines_with_flows(rows):
    """Engines whose rows run more than one flows value, or one that is not the default."""
    if "engine" not in rows or "flows" not in rows:
        return set()
    return {engine for engine, flows in rows.groupby("engine")["flows"]
            if flows.nunique() > 1 or (set(flows) - {"", DEFAULT_DIMS["flows"]})}


def headline(table, metric):
    """Short lines for the end of a suite run: per protocol, placement,
    engine, flows, requests per connection (the last three named only where
    not the default), reuse and fresh strategy, the range and median of the
    ratio over its runs (threads, closers, ports, payloads)."""
    if table.empty:
        return ["(no reuse / fresh pairs)"]
    rows = table[table["ratio"].map(lambda r: not _nan(r) and not math.isinf(r))]
    split = [d for d in ("placement", "engine", "flows", "rpc") if d in rows]
    keys = ["group"] + split + ["strategy", "baseline"]
    parts = []
    for values, part in rows.groupby(keys, sort=False):
        ident = dict(zip(keys, values))
        order = ((GROUP_ORDER.index(ident["group"]) if ident["group"] in GROUP_ORDER
                  else len(GROUP_ORDER), ident["group"]),
                 tuple(value_key(d, ident[d]) for d in split),
                 part["rank"].iloc[0], part["baseline_rank"].iloc[0])
        parts.append((order, ident, sorted(part["ratio"])))
    flows_shown = _engines_with_flows(rows)
    lines = []
    for _, ident, ratios in sorted(parts, key=lambda p: p[0]):
        where = ", ".join([ident["group"]]
                          + ([f"placement {ident['placement']}"] if ident.get("placement") else [])
                          + _engine_words(ident, flows_shown))
        middle = ratios[len(ratios) // 2] if len(ratios) % 2 else \
            (ratios[len(ratios) // 2 - 1] + ratios[len(ratios) // 2]) / 2
        lines.append(f"{where}: {ident['strategy']} vs {ident['baseline']}: "
                     f"{fmt_ratio(ratios[0])}-{fmt_ratio(ratios[-1])}x (median {fmt_ratio(middle)}, "
                     f"{len(ratios)} runs)")
    return [f"headline, {metric}: reuse's advantage over each fresh strategy (> 1: reuse is "
            f"better), min-max over threads, closers and ports:"] + ["  " + line for line in lines]
