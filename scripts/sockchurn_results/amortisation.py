"""The amortisation chart: how much of reuse's advantage is left when a
connection carries several requests.

x: requests per connection (the ``rpc:N`` dimension, log scale); y: the
speedup of the reuse strategy over each fresh strategy (ratio of the
exchanges_per_s medians; one exchange is one request); one line per client
engine variant measured at two or more rpc values (blocking, asio at each
flows value, uring); a panel per closer and fresh strategy that has such a line; one figure per placement and client thread count
that has at least two rpc values. Where the file has the reference without
churn (keepalive) for an engine, a dotted line shows reference ÷ fresh: the
most that any reuse could gain (no connection is set up or torn down at all).

``lines`` is pure (ratio table and summary in, dicts out); ``draw`` makes
the figures through plot.py's Plotter (title, skip, save).
"""

import math

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from .chartdata import rows_where
from .chartstyle import errorbar, has_spread, repetitions_caption
from .engines import file_variants, flows_shown, variant, variant_colors, variant_key, variant_label
from .names import RING_DEFAULT, natural_key
from .stats import value_key

CHART = "amortisation"
METRIC = "exchanges_per_s"


def _rpc(value):
    """The rpc value as a positive int, or None (not a number of requests)."""
    text = str(value)
    return int(text) if text.isdigit() and int(text) > 0 else None


def _usable(table, placement):
    """TCP ratio rows of one placement with a finite ratio, no errored side
    and a numeric rpc."""
    if table.empty or "rpc" not in table.columns:
        return table.iloc[0:0]
    rows = table[(table["group"] == "tcp") & ~table["note"].str.endswith("errored")]
    if "placement" in rows.columns:
        rows = rows[rows["placement"] == placement]
    if "ring" in rows.columns:  # the io_uring engine at its default ring features
        rows = rows[rows["ring"].isin(["", RING_DEFAULT])]
    rows = rows_where(rows, "ratio", math.isfinite)
    return rows_where(rows, "rpc", lambda r: _rpc(r) is not None)


def thread_counts(table, placement):
    """Client thread counts whose ratio rows have at least two rpc values."""
    rows = _usable(table, placement)
    return sorted(t for t, part in rows.groupby("threads") if part["rpc"].nunique() >= 2)


def _first(values, dim):
    return sorted(set(values), key=lambda v: value_key(dim, v))[0]


def lines(table, summary, placement, threads):
    """The chart's lines at one placement and thread count: (info, lines).

    info: {"port": the reuse port drawn ("ephemeral" when there is one),
    "payload": the payload drawn (the smallest), "payloads": how many the
    rows had, "reference": the reference strategy of the ceilings or ""}.
    Each line: closer, baseline, strategy, variant, label (the variant's),
    rpc (ints, ascending), ratio, lo, hi, n (min of the two sides'
    repetitions) and ceiling (reference ÷ fresh at each rpc, NaN where the
    file has no reference run for that variant).
    """
    rows = _usable(table, placement)
    rows = rows[rows["threads"] == threads]
    info = {"port": "", "payload": "", "payloads": 0, "reference": ""}
    if rows.empty:
        return info, []
    if "port" in rows.columns and set(rows["port"]) - {""}:
        info["port"] = "ephemeral" if "ephemeral" in set(rows["port"]) else _first(rows["port"], "port")
        rows = rows[rows["port"] == info["port"]]
    if "payload" in rows.columns:
        info["payloads"] = rows["payload"].nunique()
        info["payload"] = sorted(set(rows["payload"]), key=natural_key)[0]
        rows = rows[rows["payload"] == info["payload"]]
    references = _references(summary, placement, threads, info["payload"])
    if references:
        info["reference"] = next(iter(references.values()))[0]
    shown = flows_shown(file_variants(summary) or [variant(r) for _, r in rows.iterrows()])
    grouped = {}
    for _, row in rows.iterrows():
        ident = (row["closer"] if "closer" in row else "", row["baseline"], row["strategy"], variant(row))
        grouped.setdefault(ident, []).append(row)

    def order(ident):
        first = grouped[ident][0]
        return (value_key("closer", ident[0]), first["baseline_rank"], first["rank"],
                variant_key(ident[3]))

    out = []
    for ident in sorted(grouped, key=order):
        closer, baseline, strategy, v = ident
        points = sorted(grouped[ident], key=lambda r: _rpc(r["rpc"]))
        reference = references.get(v)
        out.append(dict(closer=closer, baseline=baseline, strategy=strategy, variant=v,
                        label=variant_label(v, shown),
                        rpc=[_rpc(p["rpc"]) for p in points],
                        ratio=[float(p["ratio"]) for p in points],
                        lo=[float(p["lo"]) for p in points], hi=[float(p["hi"]) for p in points],
                        n=[int(min(p["n_reuse"], p["n_fresh"])) for p in points],
                        ceiling=[reference[1] / p["fresh"] if reference and p["fresh"] > 0 else math.nan
                                 for p in points]))
    return info, out


def _references(summary, placement, threads, payload):
    """{variant: (strategy, median exchanges_per_s)} of the first TCP
    reference strategy (no churn, e.g. keepalive) at this placement,
    thread count and payload."""
    if summary.empty or METRIC not in summary.columns or "role" not in summary.columns:
        return {}
    rows = summary[(summary["group"] == "tcp") & (summary["role"] == "reference")
                   & ~summary["errored"] & (summary["threads"] == threads)]
    if "placement" in rows.columns:
        rows = rows[rows["placement"] == placement]
    if payload and "payload" in rows.columns:
        rows = rows[rows["payload"] == payload]
    rows = rows_where(rows, METRIC, lambda v: math.isfinite(v) and v > 0)
    if rows.empty:
        return {}
    first = rows.sort_values("rank", kind="stable")["strategy"].iloc[0]
    out = {}
    for _, row in rows[rows["strategy"] == first].iterrows():
        out.setdefault(variant(row), (first, float(row[METRIC])))
    return out


def _rpc_axis(ax, values):
    ticks = sorted(set(values))
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlim(ticks[0] / 1.6, ticks[-1] * 1.6)


def draw(plotter, placement, table):
    """One figure per thread count with two or more rpc values; a note
    (plotter.skip) when there is none."""
    counts = thread_counts(table, placement)
    if not counts:
        plotter.skip(CHART, placement, "needs TCP reuse / fresh pairs at two or more requests "
                                       "per connection (rpc:N)")
        return
    for threads in counts:
        info, drawn = lines(table, plotter.summary, placement, threads)
        _figure(plotter, placement, threads, info, drawn)


def _figure(plotter, placement, threads, info, drawn):
    # Only the fresh strategies measured at two or more rpc values: a panel
    # with one point answers nothing about amortisation.
    drawn = [line for line in drawn if len(line["rpc"]) >= 2] or drawn
    closers = list(dict.fromkeys(line["closer"] for line in drawn))
    baselines = list(dict.fromkeys(line["baseline"] for line in sorted(
        drawn, key=lambda line: plotter.results.roles.rank(line["baseline"]))))
    strategies = list(dict.fromkeys(line["strategy"] for line in drawn))
    colors = variant_colors(file_variants(plotter.summary) + [line["variant"] for line in drawn])
    colors = {v: c for v, c in colors.items() if any(line["variant"] == v for line in drawn)}
    fig, axes = plt.subplots(len(closers), len(baselines), squeeze=False, sharex=True, sharey=True,
                             figsize=(max(13.5, 4.0 * len(baselines) + 2.5), 3.4 * len(closers) + 2.2),
                             layout="constrained")
    top = max([1.2] + [v for line in drawn for v in line["hi"] + line["ratio"] + line["ceiling"]
                       if math.isfinite(v)])
    reuse = strategies[0] if len(strategies) == 1 else "reuse"
    for i, closer in enumerate(closers):
        for j, baseline in enumerate(baselines):
            ax = axes[i][j]
            for line in drawn:
                if (line["closer"], line["baseline"]) != (closer, baseline):
                    continue
                color = colors[line["variant"]]
                errorbar(ax, line["rpc"], line["ratio"], line["lo"], line["hi"], line["label"],
                         {"color": color, "marker": "o", "markersize": 5, "linewidth": 1.6})
                if any(math.isfinite(c) for c in line["ceiling"]):
                    ax.plot(line["rpc"], line["ceiling"], color=color, linestyle=":", linewidth=1.2)
            ax.axhline(1.0, color="black", linewidth=0.8)
            _rpc_axis(ax, [r for line in drawn for r in line["rpc"]])
            ax.set_ylim(0, top * 1.1)
            ax.set_title(f"÷ {baseline}" + (f", {closer} closes" if closer else ""), fontsize=10)
            if i == len(closers) - 1:
                ax.set_xlabel("requests per connection (log scale)")
            if j == 0:
                ax.set_ylabel("speedup (exchanges/s ratio)")
    handles = [Line2D([], [], color=colors[v], marker="o", linewidth=1.6,
                      label=variant_label(v, flows_shown(file_variants(plotter.summary))))
               for v in sorted(colors, key=variant_key)]
    if info["reference"]:
        handles.append(Line2D([], [], color="#555555", linestyle=":", linewidth=1.2,
                              label=f"{info['reference']} ÷ fresh (no churn: the ceiling)"))
    axes[0][-1].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                       fontsize="small", frameon=False, title="client engine")
    ns = [n for line in drawn for n in line["n"]]
    caption = repetitions_caption(f"Points: {reuse} ÷ fresh of the median exchanges/s (one exchange "
                                  f"is one request)", ns, has_spread(drawn),
                                  "min-max of the ratio over all (reuse, fresh) repetition pairs")
    where = [f"placement {plotter.placement_label(placement)}",
             f"{threads} client thread{'s' if threads > 1 else ''}"]
    if info["port"]:
        where.append(f"{reuse} with the {info['port']} port")
    if info["payload"]:
        where.append(f"payload {info['payload']} B"
                     + (f" (the smallest of {info['payloads']})" if info["payloads"] > 1 else ""))
    caption += "\nTCP, " + ", ".join(where) + ".\nAbove 1 reuse is faster; towards 1 the " \
               "requests on a connection amortise its setup and teardown."
    plotter.title(fig, f"Speedup of {reuse} over each fresh strategy vs requests per connection, "
                       f"{threads} client thread{'s' if threads > 1 else ''}", placement, caption)
    plotter.save(fig, plotter.stem(placement, f"{CHART}-threads{threads}"))
