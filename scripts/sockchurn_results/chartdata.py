"""Chart data: lines of a metric or a ratio against client threads.

Pure: summaries and ratio tables in, lists of dicts out (plot.py draws them).
"""

import math

from .names import CHURN_GROUPS, RING_DEFAULT, natural_key
from .stats import value_key

# Dimensions that tell the lines of one group and placement apart.
LINE_DIMS = ("closer", "port", "engine", "flows", "ring", "rpc", "payload")


def placements(summary):
    """Placement values of the tcp/udp runs, sorted ("" when names have none)."""
    if summary.empty or "placement" not in summary.columns:
        return [""] if len(summary) else []
    churn = summary[summary["group"].isin(CHURN_GROUPS)]
    return sorted(set(churn["placement"]), key=natural_key)


def rows_where(frame, column, predicate):
    """The rows of frame whose value in column satisfies predicate (an
    empty frame stays a frame with its columns, unlike frame[empty mask])."""
    return frame.loc[frame[column].map(predicate).astype(bool)]


def _dim_label(dim, value):
    return {"closer": f"{value} closes", "port": f"{value} port", "engine": f"{value} engine",
            "flows": f"{value} flows", "ring": f"ring {value}", "rpc": f"{value} requests/conn",
            "payload": f"{value} B"}[dim]


def _dims_label(dims, shown):
    """", "-joined labels of the dims in `shown` that have a value."""
    return ", ".join(_dim_label(d, dims[d]) for d in LINE_DIMS if d in shown and dims[d])


def _shown_dims(rows):
    """Dimensions worth a word in a line's label: closer and port always,
    the others only where the lines differ in them."""
    shown = {"closer", "port"}
    for dim in LINE_DIMS[2:]:
        if dim in rows.columns and rows[dim].nunique() > 1:
            shown.add(dim)
    # The io_uring rows' default ring features (beside other engines' "")
    # are no difference worth a word.
    if "ring" in shown and set(rows["ring"]) <= {"", RING_DEFAULT}:
        shown.discard("ring")
    return shown


def _lines(rows, placement, ident_columns, value):
    """The rows of one placement as lines, in display order: (shown dims,
    [(ident, dims, points)]) where ident is the values of ident_columns and
    dims {dim: value} ("" for a missing column); points sorted by threads,
    those whose `value` is not finite left out; lines left with none dropped.
    """
    if "placement" in rows.columns:
        rows = rows[rows["placement"] == placement]
    get = lambda row, key: row[key] if key in row else ""  # noqa: E731
    lines = {}
    for _, row in rows.iterrows():
        ident = tuple(get(row, c) for c in ident_columns) + tuple(get(row, d) for d in LINE_DIMS)
        lines.setdefault(ident, []).append(row)

    def order(ident):
        first = lines[ident][0]
        ranks = tuple(first[c] for c in ident_columns if c.endswith("rank"))
        names = tuple(v for c, v in zip(ident_columns, ident) if not c.endswith("rank"))
        dims = ident[len(ident_columns):]
        return ranks + names + tuple(value_key(d, v) for d, v in zip(LINE_DIMS, dims))

    out = []
    for ident in sorted(lines, key=order):
        points = sorted(lines[ident], key=lambda r: r["threads"])
        points = [p for p in points if math.isfinite(p[value])]
        if points:
            dims = dict(zip(LINE_DIMS, ident[len(ident_columns):]))
            out.append((ident[:len(ident_columns)], dims, points))
    return _shown_dims(rows), out


def _floats(points, column):
    return [float(p[column]) for p in points]


def series(summary, metric, group, placement):
    """Lines of metric vs threads for one group and placement, errored runs
    left out: list of dicts with label, strategy, role, the LINE_DIMS,
    threads, median, lo, hi (lo/hi = min/max over repetitions, NaN if none)
    and n (repetitions per point). Lines with no value at all are dropped.
    """
    if summary.empty or metric not in summary.columns:
        return []
    rows = summary[(summary["group"] == group) & ~summary["errored"]]
    shown, lines = _lines(rows, placement, ("rank", "strategy"), metric)
    out = []
    for (_, strategy), dims, points in lines:
        label = ", ".join(p for p in (strategy, _dims_label(dims, shown)) if p)
        out.append(dict(dims, label=label, strategy=strategy, role=points[0]["role"],
                        threads=[int(p["threads"]) for p in points],
                        median=_floats(points, metric), lo=_floats(points, metric + "_min"),
                        hi=_floats(points, metric + "_max"), n=[int(p["n"]) for p in points]))
    return out


def speedup_series(table, group, placement):
    """Lines of a ratio table vs threads for one group and placement: dicts
    with label ("reuse <port> / <baseline>, <closer> closes"; the reuse
    strategy's name instead of "reuse" when the table has several), strategy,
    baseline, the LINE_DIMS, threads, ratio, lo, hi. Errored pairs are left out.
    """
    if table.empty:
        return []
    rows = table[(table["group"] == group) & ~table["note"].str.endswith("errored")]
    several = rows["strategy"].nunique() > 1
    shown, lines = _lines(rows, placement, ("rank", "baseline_rank", "strategy", "baseline"),
                          "ratio")
    out = []
    for (_, _, strategy, baseline), dims, points in lines:
        label = f"{strategy if several else 'reuse'}{' ' + dims['port'] if dims['port'] else ''}"
        label += f" / {baseline}"
        rest = _dims_label(dims, shown - {"port"})
        out.append(dict(dims, label=label + (", " + rest if rest else ""), strategy=strategy,
                        baseline=baseline, threads=[int(p["threads"]) for p in points],
                        ratio=_floats(points, "ratio"), lo=_floats(points, "lo"),
                        hi=_floats(points, "hi"), n=[min(p["n_reuse"], p["n_fresh"]) for p in points]))
    return out
