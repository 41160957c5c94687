#!/usr/bin/python3
"""Charts from one sockchurn results file, as PNG and SVG.

Per CPU placement found in the file (same, split, free), five figures:
throughput (exchanges/s vs client threads, TCP and UDP panels, the
references without churn such as keepalive in a panel of their own),
speedup of each reuse strategy over each fresh strategy, client CPU per
exchange, latency p50 and p99, and the TIME_WAIT sockets each run left
(these at one request per connection, rpc:1); where the file has them, the
amortisation of reuse's speedup over requests per connection (one figure
per thread count with two or more rpc values) and client CPU per exchange
by engine (blocking, asio at each flows value, uring); plus one figure of
the syscall costs, and the charts of the suite's extra sections when the
file has them (tw_reuse; conntrack-cost and conntrack-entries;
sockchurn_results/section_charts.py). Colours follow the file's strategy
order (strategy_roles). Every chart's caption says what its points and error
bars are (medians over repetitions, min-max). Errored benchmarks are left
out and listed; a chart whose counters are missing is skipped with a note.
Prints the files it wrote.
"""

import argparse
import math
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import sockchurn_results as sr  # noqa: E402
from sockchurn_results.section_charts import conntrack_charts, tw_reuse_chart  # noqa: E402
from sockchurn_results import amortisation, engine_cpu  # noqa: E402
from sockchurn_results.chartstyle import (errorbar, has_spread, legend_below, legend_columns,  # noqa: E402
                                          maybe_log, median_of, repetitions_caption, style,
                                          thousands, thread_axis)

PROG = "plot.py"
FORMATS = ("png", "svg")
GROUP_TITLES = {"tcp": "TCP", "udp": "UDP"}
matplotlib.rcParams.update({"svg.hashsalt": "sockchurn", "font.size": 10,
                            "axes.grid": True, "grid.alpha": 0.3})


class NothingToPlot(Exception):
    """The file has nothing this script can chart."""


def parse_args(argv):
    p = argparse.ArgumentParser(prog=PROG, description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", help="Google Benchmark JSON file from a sockchurn run")
    p.add_argument("-o", "--output", metavar="DIR", default="plots",
                   help="directory for the charts (default: %(default)s/, created if needed)")
    p.add_argument("--prefix", help="file name prefix (default: the results file's name "
                                    "without .json)")
    return p.parse_args(argv)


def safe(text):
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text) or "_"


class Plotter:
    def __init__(self, results, outdir, prefix):
        # The main sweep's charts; the sections' rows have charts of their own.
        self.all_results = results
        results = sr.main_sweep(results)
        self.results = results
        self.summary = sr.summarize(results)
        # The charts against client threads show the runs at one request per
        # connection; the others (rpc:N) have the amortisation chart.
        self.one_request = one_request(self.summary)
        self.rpc_note = ("\nOnly the runs at one request per connection (rpc:1); the amortisation "
                         "chart has the others." if len(self.one_request) < len(self.summary) else "")
        self.outdir = Path(outdir)
        self.prefix = prefix
        self.written = []
        self.notes = []
        self.provenance = sr.chart_provenance(results.context)
        self.colors = results.roles.colors()

    # ---- helpers
    def color(self, strategy):
        if strategy not in self.colors:
            palette = sr.roles.CHURN_PALETTE
            self.colors[strategy] = palette[len(self.colors) % len(palette)]
        return self.colors[strategy]

    def draw_lines(self, ax, lines, value="median", color_by="strategy"):
        """Each line of `lines` (from sr.series or sr.speedup_series) with its error bars."""
        for line in lines:
            errorbar(ax, line["threads"], line[value], line["lo"], line["hi"], line["label"],
                     style(self.color(line[color_by]), line["closer"], line["port"],
                           line.get("engine", "")))

    def placement_label(self, placement):
        if placement:
            return placement
        value = self.results.context.get("placement")
        return str(value) if value not in (None, "") else "?"

    def title(self, fig, what, placement, caption):
        fig.suptitle(f"{what} — placement: {self.placement_label(placement)}\n{self.provenance}",
                     fontsize=11)
        fig.supxlabel(caption, fontsize=8.5, color="#333333")

    def line_caption(self, lines, what="Points"):
        return repetitions_caption(what, [n for line in lines for n in line["n"]],
                                   has_spread(lines)) + self.rpc_note

    def save(self, fig, stem):
        self.outdir.mkdir(parents=True, exist_ok=True)
        for fmt in FORMATS:
            path = self.outdir / f"{safe(stem)}.{fmt}"
            metadata = {"Date": None} if fmt == "svg" else None
            fig.savefig(path, dpi=110, metadata=metadata)
            self.written.append(str(path))
        plt.close(fig)

    def groups(self, placement):
        rows = self.summary[self.summary["group"].isin(sr.CHURN_GROUPS)]
        if "placement" in rows.columns:
            rows = rows[rows["placement"] == placement]
        return [g for g in sr.CHURN_GROUPS if g in set(rows["group"])]

    def stem(self, placement, chart):
        return f"{self.prefix}-{self.placement_label(placement)}-{chart}"

    def skip(self, chart, placement, why):
        self.notes.append(f"skipped {chart} chart (placement {self.placement_label(placement)}): {why}")

    def group_panels(self, placement, chart, lines_of, why, split_references=False):
        """Panels side by side, one per group with lines (lines_of(group)); with
        split_references, a group's reference strategies (no churn) get a
        narrower panel of their own so that they do not flatten the others.
        (fig, [(ax, title, lines)]), or (None, []) and a note when no group has any."""
        panels = []
        for g in self.groups(placement):
            lines = lines_of(g)
            title = GROUP_TITLES.get(g, g)
            refs = [line for line in lines if line.get("role") == "reference"] if split_references else []
            churn = [line for line in lines if line not in refs]
            if churn:
                panels.append((title, churn, 3.0))
            if refs:
                panels.append((f"{title}: references (no churn)", refs, 1.6))
        if not panels:
            self.skip(chart, placement, why)
            return None, []
        # A panel is at least as wide as its legend's columns need.
        widths = [max(w * 2.1, legend_columns(len(lines)) * (0.6 + 0.062 * max(len(l["label"]) for l in lines)))
                  for _, lines, w in panels]
        # ... and tall enough for its legend's rows (many engine / rpc variants).
        rows = max(math.ceil(len(lines) / legend_columns(len(lines))) for _, lines, _ in panels)
        fig, axes = plt.subplots(1, len(panels), figsize=(max(sum(widths), 11.5), max(5.9, 4.4 + 0.2 * rows)),
                                 squeeze=False, layout="constrained", width_ratios=widths)
        return fig, [(ax, title, lines) for ax, (title, lines, _) in zip(axes[0], panels)]

    # ---- charts
    def metric_chart(self, placement, metric, chart, what, ylabel):
        fig, panels = self.group_panels(placement, chart,
                                        lambda g: sr.series(self.one_request, metric, g, placement),
                                        f"no {metric} values", split_references=True)
        if fig is None:
            return
        for ax, title, lines in panels:
            self.draw_lines(ax, lines)
            thread_axis(ax, [t for line in lines for t in line["threads"]])
            logged = maybe_log(ax, [v for line in lines for v in line["median"]])
            if not logged:
                ax.set_ylim(bottom=0)
                thousands(ax)
            ax.set_ylabel(ylabel + (" (log scale)" if logged else ""))
            ax.set_title(title)
            legend_below(ax, len(lines))
        self.title(fig, what, placement, self.line_caption([l for _, _, ls in panels for l in ls]))
        self.save(fig, self.stem(placement, chart))

    def speedup_chart(self, placement, table):
        fig, panels = self.group_panels(placement, "speedup",
                                        lambda g: sr.speedup_series(table, g, placement),
                                        "no reuse / fresh pairs with exchanges_per_s")
        if fig is None:
            return
        several = table["strategy"].nunique() > 1
        for ax, title, lines in panels:
            if several:   # one colour per (reuse, fresh) pair
                for line in lines:
                    line["pair"] = f"{line['strategy']} / {line['baseline']}"
            self.draw_lines(ax, lines, value="ratio", color_by="pair" if several else "baseline")
            thread_axis(ax, [t for line in lines for t in line["threads"]])
            ax.axhline(1.0, color="black", linewidth=0.8)
            top = max(max(h if math.isfinite(h) else r for h, r in zip(line["hi"], line["ratio"]))
                      for line in lines)
            ax.set_ylim(0, max(top * 1.1, 1.2))
            ax.set_ylabel("speedup: reuse exchanges/s ÷ fresh exchanges/s")
            ax.set_title(title + (" (colour = reuse / fresh pair)" if several
                                  else " (colour = fresh strategy compared)"))
            legend_below(ax, len(lines))
        lines = [line for _, _, ls in panels for line in ls]
        caption = repetitions_caption("Points: reuse ÷ fresh of the medians", [n for l in lines for n in l["n"]],
                                      has_spread(lines), "min-max of the ratio over all (reuse, fresh) "
                                      "repetition pairs") + self.rpc_note
        self.title(fig, "Speedup of reuse over fresh sockets (> 1: reuse is faster)", placement, caption)
        self.save(fig, self.stem(placement, "speedup"))

    def latency_chart(self, placement):
        rows = []
        for group in self.groups(placement):
            p50 = sr.series(self.one_request, "p50_us", group, placement)
            p99 = sr.series(self.one_request, "p99_us", group, placement)
            if p50 or p99:
                rows.append((group, p50, p99))
        if not rows:
            self.skip("latency", placement, "no p50_us / p99_us values")
            return
        # A row is tall enough for its legend (one entry per line, two columns past 20).
        entries = max(len(p50) for _, p50, _ in rows)
        height = max(4.0, 0.2 * math.ceil(entries / (1 if entries <= 20 else 2)) + 0.6)
        fig, axes = plt.subplots(len(rows), 2, figsize=(13.5, height * len(rows) + 1.1), squeeze=False,
                                 layout="constrained")
        for (group, p50, p99), pair in zip(rows, axes):
            values = [v for line in p50 + p99 for v in line["median"]]
            for ax, lines, which in ((pair[0], p50, "p50"), (pair[1], p99, "p99")):
                self.draw_lines(ax, lines)
                thread_axis(ax, [t for line in p50 + p99 for t in line["threads"]])
                logged = maybe_log(ax, values)
                if not logged:
                    ax.set_ylim(0, max(values) * 1.1)
                    thousands(ax)
                ax.set_ylabel(f"{which} latency of one exchange (µs)" + (" (log)" if logged else ""))
                ax.set_title(f"{GROUP_TITLES.get(group, group)} {which}")
            handles, labels = pair[0].get_legend_handles_labels()
            if not handles:
                handles, labels = pair[1].get_legend_handles_labels()
            pair[1].legend(handles, labels, loc="center left", bbox_to_anchor=(1.02, 0.5),
                           fontsize="small", frameon=False, ncol=1 if len(handles) <= 20 else 2)
        lines = [line for _, p50, p99 in rows for line in p50 + p99]
        self.title(fig, "Latency of one exchange (same y scale for p50 and p99)", placement,
                   self.line_caption(lines) + " p50/p99: percentiles of the cycles of one repetition.")
        self.save(fig, self.stem(placement, "latency"))

    def timewait_chart(self, placement):
        lines = sr.series(self.one_request, "time_wait", "tcp", placement) if "tcp" in self.groups(placement) else []
        if not lines:
            self.skip("timewait", placement, "no time_wait values on tcp runs")
            return
        threads = sorted({t for line in lines for t in line["threads"]})
        cmap = plt.get_cmap("viridis")
        width = min(0.8 / len(threads), 0.3)
        # Many runs (engines, flows): narrower bars, labels turned, the width capped.
        crowded = len(lines) > 16
        fig, ax = plt.subplots(figsize=(min(max(11.5, (0.7 if crowded else 1.5) * len(lines) + 2), 30),
                                        7.5 if crowded else 5.4), layout="constrained")
        top = max(v for line in lines for v in line["median"])
        for j, t in enumerate(threads):
            xs, ys = [], []
            for i, line in enumerate(lines):
                if t in line["threads"]:
                    xs.append(i + width * (j - (len(threads) - 1) / 2))
                    ys.append(line["median"][line["threads"].index(t)])
            bars = ax.bar(xs, ys, width=width * 0.95, label=f"{t} thread{'s' if t > 1 else ''}",
                          color=cmap(j / max(len(threads) - 1, 1) * 0.85))
            ax.bar_label(bars, labels=[f"{y:,.0f}" for y in ys], fontsize=7, padding=1,
                         rotation=90 if len(threads) > 2 else 0)
        ax.set_xticks(range(len(lines)))
        ax.set_xlim(-0.7, len(lines) - 0.3)
        ax.set_xticklabels([line["label"].replace(", ", "\n") for line in lines], fontsize=7 if crowded else 8,
                           rotation=90 if crowded else 0)
        ax.set_ylim(0, max(top * 1.25, 10))
        thousands(ax)
        ax.set_ylabel("TIME_WAIT sockets created by the run\nand still there at its end")
        ax.grid(axis="x", visible=False)
        ax.legend(title="client threads", loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  fontsize="small", frameon=False)
        ns = [n for line in lines for n in line["n"]]
        self.title(fig, "TCP TIME_WAIT sockets left by each run", placement,
                   f"Bars: {median_of(ns)} of each run; time_wait counts the TIME_WAIT "
                   f"sockets (client and server side) that this run's connections left and that "
                   f"remain when it ends,\nnot what earlier runs left in the namespace "
                   f"(see docs/results-format.md)." + self.rpc_note)
        self.save(fig, self.stem(placement, "timewait"))

    def syscall_chart(self):
        table = sr.syscall_table(self.results, self.summary)
        table = table[(table["note"] != "errored") & table["real_ns"].notna()] if len(table) else table
        if not len(table):
            return
        labels = [syscall_label(row, self.results.dims) for _, row in table.iterrows()]
        values = list(table["real_ns"])
        fig, ax = plt.subplots(figsize=(11.5, 0.55 * len(table) + 2.1), layout="constrained")
        y = list(range(len(table)))[::-1]
        colors = [{"socket_close": "#1f77b4", "getppid": "#7f7f7f"}.get(op, "#2ca02c")
                  for op in table["op"]]
        lo, hi = list(table["real_ns_min"]), list(table["real_ns_max"])
        xerr = None
        if all(math.isfinite(a) and math.isfinite(b) for a, b in zip(lo, hi)):
            xerr = [[max(v - a, 0) for v, a in zip(values, lo)], [max(b - v, 0) for v, b in zip(values, hi)]]
        bars = ax.barh(y, values, xerr=xerr, color=colors, capsize=3)
        ax.bar_label(bars, labels=[f"{v:,.0f} ns" for v in values], padding=4, fontsize=8)
        ax.set_yticks(y)
        ax.set_yticklabels(labels)
        ax.set_xlim(0, max(values) * 1.25)
        ax.set_xlabel("real time per operation (ns), one thread")
        ax.grid(axis="y", visible=False)
        caption = repetitions_caption("Bars", list(table["n"]), xerr is not None)
        fig.suptitle(f"Syscall cost: socket()+close() vs connect(AF_UNSPEC) — placement: n/a (no peer)"
                     f"\n{self.provenance}", fontsize=11)
        fig.supxlabel(caption, fontsize=8.5, color="#333333")
        self.save(fig, f"{self.prefix}-syscall")

    def run(self):
        summary = self.summary
        if not self.all_results.is_sockchurn:
            raise NothingToPlot(f"no sockchurn benchmarks (tcp/, udp/, syscall/) in "
                                f"{self.results.source}: nothing to plot")
        for _, row in sr.errored_runs(summary).iterrows():
            self.notes.append(f"left out errored benchmark {row['run_name']}: {row['error_message']}")
        table = sr.ratio_table(self.results, "exchanges_per_s", summary)
        for placement in sr.placements(summary):
            self.metric_chart(placement, "exchanges_per_s", "throughput",
                              "Exchanges per second vs client threads", "exchanges/s (all threads)")
            self.speedup_chart(placement, one_request(table))
            self.metric_chart(placement, "cpu_us_per_exchange", "cpu",
                              "Client CPU per exchange vs client threads",
                              "client process CPU per exchange (µs)")
            self.latency_chart(placement)
            self.timewait_chart(placement)
            amortisation.draw(self, placement, table)
            engine_cpu.draw(self, placement)
        self.syscall_chart()
        save = lambda fig, chart: self.save(fig, f"{self.prefix}-{chart}")  # noqa: E731
        tw_reuse_chart(self.all_results, save, self.provenance)
        conntrack_charts(self.all_results, save, self.provenance)
        if not self.written:
            raise NothingToPlot(f"nothing to plot in {self.results.source}: "
                                f"no values for any chart")


def one_request(frame):
    """The rows of a summary or ratio table at one request per connection (rpc:1)."""
    if frame.empty or "rpc" not in frame.columns:
        return frame
    return frame[frame["rpc"].isin(["", sr.names.DEFAULT_DIMS["rpc"]])]


def syscall_label(row, dims):
    """"connect_disconnect (udp, bound port)": the op and every dimension it has."""
    parts = [f"{row[d]} port" if d == "port" else str(row[d]) for d in dims
             if d in row and row[d] not in ("", None)]
    return f"{row['op']} ({', '.join(parts)})" if parts else row["op"]


def main(argv=None):
    args = parse_args(argv)
    prefix = args.prefix or Path(args.results).stem
    try:
        results = sr.load(args.results)
        plotter = Plotter(results, args.output, prefix)
        try:
            plotter.run()
        finally:
            for note in plotter.notes:
                print(f"{PROG}: note: {note}", file=sys.stderr)
    except (sr.ResultsError, NothingToPlot) as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"{PROG}: cannot write charts to {args.output}: {e.strerror}", file=sys.stderr)
        return 2
    print("wrote:")
    for path in plotter.written:
        print(f"  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
