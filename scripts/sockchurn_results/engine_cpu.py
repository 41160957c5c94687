"""The "CPU by engine" chart: client CPU per exchange of each TCP strategy,
bars grouped by client engine variant (blocking, asio at each flows value,
uring: whatever the file has).

One figure per placement, at one request per connection (rpc 1), the lowest
client thread count and the smallest payload of the file; a panel per
closer and one for the references without churn (keepalive). Only the
strategies that at least two engine variants ran are drawn: the chart
compares engines. ``bars`` is pure (summary in, dicts out); ``draw`` makes
the figure through plot.py's Plotter (title, skip, save).
"""

import math

import matplotlib.pyplot as plt

from .chartdata import rows_where
from .chartstyle import median_of
from .engines import file_variants, flows_shown, variant, variant_colors, variant_key, variant_label
from .names import DEFAULT_DIMS, RING_DEFAULT, natural_key
from .stats import value_key

CHART = "cpu-engines"
METRIC = "cpu_us_per_exchange"


def bars(summary, placement, roles):
    """(info, panels) for one placement.

    info: {"threads", "payload", "variants": sorted [(engine, flows)]}.
    panels: [{"title", "groups": [{"strategy", "port", "label", "values":
    {variant: (median, lo, hi, n)}}]}], client closer, server closer, then
    the references; a group only when two or more variants ran it.
    Empty panels are left out; ([] when fewer than two variants.)
    """
    info = {"threads": None, "payload": "", "variants": []}
    if summary.empty or METRIC not in summary.columns:
        return info, []
    rows = summary[(summary["group"] == "tcp") & ~summary["errored"]]
    if "placement" in rows.columns:
        rows = rows[rows["placement"] == placement]
    # One bar per engine and flows: at one request per connection, the
    # io_uring engine at its default ring features.
    if "rpc" in rows.columns:
        rows = rows[rows["rpc"].isin(["", DEFAULT_DIMS["rpc"]])]
    if "ring" in rows.columns:
        rows = rows[rows["ring"].isin(["", RING_DEFAULT])]
    rows = rows_where(rows, METRIC, math.isfinite)
    if rows.empty:
        return info, []
    info["threads"] = int(rows["threads"].min())
    rows = rows[rows["threads"] == info["threads"]]
    if "payload" in rows.columns:
        info["payload"] = sorted(set(rows["payload"]), key=natural_key)[0]
        rows = rows[rows["payload"] == info["payload"]]
    info["variants"] = sorted({variant(r) for _, r in rows.iterrows()}, key=variant_key)
    if len(info["variants"]) < 2:
        return info, []
    get = lambda row, key: row[key] if key in row else ""  # noqa: E731
    panels = {}
    for _, row in rows.iterrows():
        closer = "" if row["role"] == "reference" else get(row, "closer")
        group = panels.setdefault(closer, {}).setdefault((row["strategy"], get(row, "port")), {})
        spread = row["n"] >= 2
        group.setdefault(variant(row), (float(row[METRIC]),
                                        float(row[METRIC + "_min"]) if spread else math.nan,
                                        float(row[METRIC + "_max"]) if spread else math.nan,
                                        int(row["n"])))
    out = []
    for closer in sorted(panels, key=lambda c: (c == "", value_key("closer", c))):
        groups = [dict(strategy=s, port=p, label=s + (f"\n({p} port)" if p else ""), values=values)
                  for (s, p), values in panels[closer].items() if len(values) >= 2]
        groups.sort(key=lambda g: (roles.rank(g["strategy"]), value_key("port", g["port"])))
        if groups:
            title = f"{closer} closes" if closer else "references (no churn)"
            out.append({"title": title, "groups": groups})
    return info, out


def draw(plotter, placement):
    info, panels = bars(plotter.summary, placement, plotter.results.roles)
    if not panels:
        why = (f"no {METRIC} values on TCP runs at one request per connection"
               if not info["variants"] else
               "needs TCP runs of two or more client engines (engine:, flows:) at one request "
               "per connection" if len(info["variants"]) < 2 else
               "no strategy was run by two or more client engines")
        plotter.skip(CHART, placement, why)
        return
    variants = sorted({v for p in panels for g in p["groups"] for v in g["values"]}, key=variant_key)
    colors = variant_colors(file_variants(plotter.summary) + variants)
    shown = flows_shown(file_variants(plotter.summary))
    widths = [max(len(p["groups"]), 1) for p in panels]
    fig, axes = plt.subplots(1, len(panels), squeeze=False, sharey=True, width_ratios=widths,
                             figsize=(min(max(13.5, 0.3 * sum(widths) * len(variants) + 3), 20), 5.6),
                             layout="constrained")
    width = 0.8 / len(variants)
    top = max(max(v[2] if math.isfinite(v[2]) else v[0], v[0])
              for p in panels for g in p["groups"] for v in g["values"].values())
    for ax, panel in zip(axes[0], panels):
        for k, v in enumerate(variants):
            xs, ys, lo, hi = [], [], [], []
            for i, group in enumerate(panel["groups"]):
                if v in group["values"]:
                    median, low, high, _ = group["values"][v]
                    xs.append(i + width * (k - (len(variants) - 1) / 2))
                    ys.append(median)
                    lo.append(max(median - low, 0) if math.isfinite(low) else 0.0)
                    hi.append(max(high - median, 0) if math.isfinite(high) else 0.0)
            if not xs:
                continue
            yerr = [lo, hi] if any(lo) or any(hi) else None
            drawn = ax.bar(xs, ys, width=width * 0.95, yerr=yerr, capsize=2, color=colors[v],
                           label=variant_label(v, shown))
            ax.bar_label(drawn, labels=[f"{y:.1f}" for y in ys], fontsize=7, padding=1,
                         rotation=90 if len(variants) > 3 else 0)
        ax.set_xticks(range(len(panel["groups"])))
        ax.set_xticklabels([g["label"] for g in panel["groups"]], fontsize=8)
        ax.set_xlim(-0.6, len(panel["groups"]) - 0.4)
        ax.set_ylim(0, top * 1.25)
        ax.grid(axis="x", visible=False)
        ax.set_title(panel["title"])
    axes[0][0].set_ylabel("client process CPU per exchange (µs)")
    handles, labels = [], []
    for ax in axes[0]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    axes[0][-1].legend(handles, labels, title="client engine", loc="upper left",
                       bbox_to_anchor=(1.02, 1.0), fontsize="small", frameon=False)
    ns = [v[3] for p in panels for g in p["groups"] for v in g["values"].values()]
    spread = any(math.isfinite(v[1]) for p in panels for g in p["groups"] for v in g["values"].values())
    threads = info["threads"]
    caption = (f"Bars: {median_of(ns)} of each run; "
               + ("error bars: min-max over the repetitions." if spread else "no error bars.")
               + f"\nTCP, placement {plotter.placement_label(placement)}, {threads} client "
                 f"thread{'s' if threads > 1 else ''} (the lowest in the file), one request per "
                 f"connection" + (f", payload {info['payload']} B" if info["payload"] else "")
               + "; only the strategies that two or more engines ran.")
    plotter.title(fig, "Client CPU per exchange by engine", placement, caption)
    plotter.save(fig, plotter.stem(placement, CHART))
