"""Charts of the suite's extra sections, drawn by plot.py: the tw_reuse
section (one chart) and the conntrack section (cost, and table occupancy).

Each function takes the Results, a ``save(fig, stem_suffix)`` callback and
the provenance line, draws with matplotlib and returns the chart names it
drew ([] when the file has no such section).
"""

import math

import matplotlib.pyplot as plt

from .chartstyle import median_of, thousands
from .sections import (CONNTRACK, TW_REUSE, conntrack_states, conntrack_table, has_section, section_strategies,
                       tw_reuse_table)

OFF_ON_COLORS = {"off": "#1f77b4", "on": "#d62728"}
STATE_COLORS = {"TIME_WAIT": "#ff7f0e", "CLOSE": "#2ca02c", "ESTABLISHED": "#1f77b4", "SYN_SENT": "#9467bd",
                "CLOSE_WAIT": "#8c564b", "FIN_WAIT": "#e377c2", "LAST_ACK": "#7f7f7f"}


def _bars(ax, xs, values, lows, highs, **kw):
    """Bars with min-max error bars where every bar has a finite range."""
    yerr = None
    if all(math.isfinite(a) and math.isfinite(b) for a, b in zip(lows, highs)):
        yerr = [[max(v - a, 0) for v, a in zip(values, lows)], [max(b - v, 0) for v, b in zip(values, highs)]]
    return ax.bar(xs, values, yerr=yerr, capsize=3, **kw)


def _title(fig, what, provenance, caption):
    fig.suptitle(f"{what}\n{provenance}", fontsize=11)
    fig.supxlabel(caption, fontsize=8.5, color="#333333")


def tw_reuse_chart(results, save, provenance):
    if not has_section(results, TW_REUSE):
        return []
    table = tw_reuse_table(results)
    labels = [v.replace(", ", "\n") for v in table["variant"]]
    xs = list(range(len(table)))
    fig, axes = plt.subplots(1, 3, figsize=(13.5, 4.9), layout="constrained")
    panels = (("exchanges_per_s", "exchanges/s", "#1f77b4"), ("time_wait", "TIME_WAIT sockets the repetition left", "#ff7f0e"),
              ("eaddrnotavail_per_s", "failed connect()s with EADDRNOTAVAIL per s", "#d62728"))
    for ax, (metric, ylabel, color) in zip(axes, panels):
        values = list(table[metric])
        bars = _bars(ax, xs, values, list(table[metric + "_min"]), list(table[metric + "_max"]), color=color)
        ax.bar_label(bars, labels=[f"{v:,.0f}" if math.isfinite(v) else "-" for v in values], fontsize=8, padding=2)
        ax.set_xticks(xs)
        ax.set_xticklabels(labels, fontsize=8)
        top = max([v for v in list(table[metric + "_max"]) + values if math.isfinite(v)] or [1])
        ax.set_ylim(0, max(top * 1.2, 1))
        thousands(ax)
        ax.set_ylabel(ylabel)
        ax.grid(axis="x", visible=False)
    errored = int((table["n_errored"] > 0).sum())
    caption = (f"Bars: {median_of(list(table['n']))} of each variant ({section_strategies(results, TW_REUSE)}, client closes, 1 thread, "
               f"veth pair, 1,000 ephemeral ports); error bars: min-max over the repetitions."
               + "\nTIME_WAIT: the sockets that the repetition's own connections left (0 when none completed, "
               "though the ports stay taken by earlier runs')"
               + (f"; {errored} variant(s) completed no exchange in some repetitions: counted as 0 exchanges/s."
                  if errored else "."))
    _title(fig, "net.ipv4.tcp_tw_reuse: a client that closes first, once its ports are all in TIME_WAIT",
           provenance, caption)
    save(fig, "tw_reuse")
    return ["tw_reuse"]


def _row_labels(table):
    out = []
    for _, row in table.iterrows():
        extra = [f"{row['closer']} closes" if row["closer"] else "", f"{row['port']} port" if row["port"] else ""]
        out.append("\n".join([row["strategy"]] + [e for e in extra if e]))
    return out


def conntrack_charts(results, save, provenance):
    if not has_section(results, CONNTRACK):
        return []
    table = conntrack_table(results)
    if table.empty:
        return []
    labels = _row_labels(table)
    ys = list(range(len(table)))[::-1]
    ns = [n for n in list(table["n_off"]) + list(table["n_on"]) if n > 0]
    drawn = []

    fig, axes = plt.subplots(1, 2, figsize=(13.5, 0.5 * len(table) + 2.6), layout="constrained", sharey=True)
    height = 0.38
    for ax, metric, xlabel in ((axes[0], "exchanges_per_s", "exchanges/s"),
                               (axes[1], "cpu_us_per_exchange", "client CPU per exchange (µs)")):
        for k, side in enumerate(("off", "on")):
            values = list(table[f"{metric}_{side}"])
            lo, hi = list(table[f"{metric}_{side}_min"]), list(table[f"{metric}_{side}_max"])
            pos = [y + (height / 2 if side == "off" else -height / 2) for y in ys]
            xerr = None
            if all(math.isfinite(a) and math.isfinite(b) for a, b in zip(lo, hi)):
                xerr = [[max(v - a, 0) for v, a in zip(values, lo)], [max(b - v, 0) for v, b in zip(values, hi)]]
            bars = ax.barh(pos, values, height=height, xerr=xerr, capsize=2, color=OFF_ON_COLORS[side],
                           label=f"conntrack {side}")
            ax.bar_label(bars, labels=[f"{v:,.1f}" if metric.startswith("cpu") else f"{v:,.0f}" for v in values],
                         fontsize=7, padding=3)
        finite = [v for side in ("off", "on") for v in table[f"{metric}_{side}_max"] if math.isfinite(v)]
        ax.set_xlim(0, max(finite or [1]) * 1.2)
        ax.set_xlabel(xlabel)
        ax.grid(axis="y", visible=False)
    axes[0].set_yticks(ys)
    axes[0].set_yticklabels(labels, fontsize=8)
    axes[1].legend(loc="lower right", fontsize="small")
    _title(fig, "The cost of connection tracking per TCP strategy (1 thread, loopback, placement same)", provenance,
           f"Bars: {median_of(ns)} without and with a stateful nftables rule (conntrack) in the namespace; "
           f"error bars: min-max over the repetitions.")
    save(fig, "conntrack-cost")
    drawn.append("conntrack-cost")

    states = conntrack_states(results)
    if table["entries"].notna().any():
        fig, ax = plt.subplots(figsize=(11.5, 0.45 * len(table) + 2.4), layout="constrained")
        left = [0.0] * len(table)
        for state in states:
            values = [v if math.isfinite(v) else 0.0 for v in table[f"entries_{state}"]]
            ax.barh(ys, values, left=left, color=STATE_COLORS.get(state, None), label=f"TCP {state}")
            left = [a + b for a, b in zip(left, values)]
        entries = [v if math.isfinite(v) else 0.0 for v in table["entries"]]
        other = [max(e - l, 0) for e, l in zip(entries, left)]
        if any(o > 0 for o in other):
            ax.barh(ys, other, left=left, color="#bbbbbb", label="other")
        for y, e in zip(ys, entries):
            ax.text(e, y, f" {e:,.0f}", va="center", fontsize=8)
        ax.set_yticks(ys)
        ax.set_yticklabels(labels, fontsize=8)
        ax.set_xlim(0, max(entries or [1]) * 1.15 or 1)
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: f"{x:,.0f}"))
        ax.set_xlabel("connection-tracking entries in the namespace")
        ax.grid(axis="y", visible=False)
        ax.legend(loc="lower right", fontsize="small")
        _title(fig, "Connection-tracking table occupancy per TCP strategy", provenance,
               "Bars: conntrack_entries when the benchmark's last repetition ended, by TCP state. The table keeps "
               "every entry of the benchmark's runs until it expires\n(TIME_WAIT after 120 s, CLOSE after 10 s), so "
               "a long run holds about rate x lifetime entries.")
        save(fig, "conntrack-entries")
        drawn.append("conntrack-entries")
    return drawn
