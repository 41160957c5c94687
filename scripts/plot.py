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
import re
import sys
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D

import sockchurn_results as sr
from sockchurn_results import amortisation, answers, chartfiles, engine_cpu, facets, forest, jsonfile
from sockchurn_results.chartstyle import (clipped_errorbar, engine_style, has_spread, log_axis,
                                          median_of, repetitions_caption, robust_top, thousands,
                                          thread_axis)
from sockchurn_results.section_charts import conntrack_charts, tw_reuse_chart

PROG = "plot.py"
chartfiles.setup()


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
    def __init__(self, results, outdir, prefix, doc=None):
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
        if results.context.get("synthetic"):
            self.provenance = "SYNTHETIC TEST FIXTURE, made-up numbers · " + self.provenance
        self.colors = results.roles.colors()
        self.doc = doc if doc is not None else {}

    # ---- helpers
    def color(self, strategy):
        if strategy not in self.colors:
            palette = sr.roles.CHURN_PALETTE
            self.colors[strategy] = palette[len(self.colors) % len(palette)]
        return self.colors[strategy]

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
        self.written += chartfiles.save(fig, self.outdir / safe(stem), tight=True)

    def groups(self, placement):
        rows = self.summary[self.summary["group"].isin(sr.CHURN_GROUPS)]
        if "placement" in rows.columns:
            rows = rows[rows["placement"] == placement]
        return [g for g in sr.CHURN_GROUPS if g in set(rows["group"])]

    def stem(self, placement, chart):
        return f"{self.prefix}-{self.placement_label(placement)}-{chart}"

    def skip(self, chart, placement, why):
        self.notes.append(f"skipped {chart} chart (placement {self.placement_label(placement)}): {why}")

    def lines_of(self, placement, make):
        """Every group's lines (make(group)), each marked with its group."""
        out = []
        for g in self.groups(placement):
            for line in make(g):
                out.append(dict(line, group=g))
        return out

    def facet_chart(self, placement, chart, lines, what, ylabel, value="median", color_by="strategy",
                    label_of=None, ratio=False, caption=""):
        """Small multiples of `lines`: a row per protocol and closer, a column per
        engine (and connections per thread); at most facets.MAX_SERIES lines a
        panel; a y axis per row that shows every median, the error bars that
        reach past it cut and marked; one legend for the figure."""
        g = facets.grid(lines)
        fig, axes = plt.subplots(len(g.rows), len(g.columns), squeeze=False, layout="constrained",
                                 figsize=(max(4.2 * len(g.columns), 9.5), 3.3 * len(g.rows) + 2.2))
        cut = 0
        for i, row in enumerate(g.rows):
            handles = {}  # this row's legend: one entry per colour
            row_lines = [l for (r, _), p in g.panels.items() if r == row for l in p.lines]
            values = [v for l in row_lines for v in l[value]]
            logged = not ratio and max(values) / max(min(v for v in values if v > 0), 1e-12) > 20
            top = robust_top(values, 1.25 if ratio else 1.15)
            for j, column in enumerate(g.columns):
                ax = axes[i][j]
                panel = g.panels.get((row, column))
                if panel is None:
                    ax.set_axis_off()
                    continue
                for line in panel.lines:
                    text = label_of(line) if label_of else line["strategy"] + facets.port_words(line.get("port", ""))
                    st = engine_style(self.color(line[color_by]), line.get("engine", ""), line.get("port", ""))
                    cut += clipped_errorbar(ax, line["threads"], line[value], line["lo"], line["hi"], text, st, top)
                    # The legend names colours only: the marker (engine) and a
                    # dotted line (bound port) are said once in its title.
                    words = facets.port_words(line.get("port", ""))
                    key = text.replace(words, "") if words else text
                    handles.setdefault(key, Line2D([], [], **dict(engine_style(self.color(line[color_by]), "", ""),
                                                                   marker="")))
                thread_axis(ax, [t for l in panel.lines for t in l["threads"]])
                if logged:
                    log_axis(ax, values + [top])
                else:
                    ax.set_ylim(0, top)
                    if not ratio:
                        thousands(ax)
                if ratio:
                    ax.axhline(1.0, color="black", linewidth=0.8)
                ax.set_title(textwrap.fill(facets.Grid.column_title(column), 36), fontsize=9)
                if j == 0:
                    ax.set_ylabel(f"{g.row_title(row)}\n{ylabel}" + (" (log)" if logged else ""), fontsize=8.5)
            # A legend per row, right of its last panel: a row holds one
            # protocol's strategies, so no legend lists more than a panel can.
            title = ("colour: the fresh strategy compared" if color_by == "baseline" else "colour: strategy")
            if i == 0:
                title += "\nmarker: engine (● blocking,\n■ Boost.Asio, ▲ io_uring)\ndotted: reuse with a bound port"
            axes[i][-1].legend(list(handles.values()), list(handles), loc="upper left", bbox_to_anchor=(1.02, 1.0),
                               fontsize="small", frameon=False, title=title, title_fontsize="small",
                               alignment="left")
        note = (f" {cut} error bar{'s' if cut != 1 else ''} reached past the axis: cut, marked ▲ with the true end."
                if cut else "")
        self.title(fig, what, placement, (caption or self.line_caption(lines)) + note)
        self.save(fig, self.stem(placement, chart))

    # ---- charts
    def metric_chart(self, placement, metric, chart, what, ylabel):
        lines = self.lines_of(placement, lambda g: sr.series(self.one_request, metric, g, placement))
        if not lines:
            self.skip(chart, placement, f"no {metric} values")
            return
        self.facet_chart(placement, chart, lines, what, ylabel)

    def speedup_chart(self, placement, table):
        lines = self.lines_of(placement, lambda g: sr.speedup_series(table, g, placement))
        if not lines:
            self.skip("speedup", placement, "no reuse / fresh pairs with exchanges_per_s")
            return
        several = table["strategy"].nunique() > 1
        label = lambda l: (f"{l['strategy']}{facets.port_words(l.get('port', ''))} ÷ " if several  # noqa: E731
                           else f"reuse{facets.port_words(l.get('port', ''))} ÷ ") + l["baseline"]
        caption = repetitions_caption("Points: reuse ÷ fresh of the medians (unpaired: measured minutes apart; "
                                      "the forest chart has the paired ratios)",
                                      [n for l in lines for n in l["n"]], has_spread(lines),
                                      "min-max of the ratio over all (reuse, fresh) repetition pairs") + self.rpc_note
        self.facet_chart(placement, "speedup", lines, "Speedup of reuse over fresh sockets (> 1: reuse is faster)",
                         "reuse ÷ fresh, exchanges/s", value="ratio", color_by="baseline", label_of=label,
                         ratio=True, caption=caption)

    def latency_chart(self, placement):
        drawn = False
        for which in ("p50", "p99"):
            lines = self.lines_of(placement, lambda g: sr.series(self.one_request, f"{which}_us", g, placement))
            if lines:
                drawn = True
                self.facet_chart(placement, f"latency-{which}", lines,
                                 f"Latency of one exchange, {which} (the {which[1:]}th percentile)",
                                 f"{which} latency (µs)",
                                 caption=self.line_caption(lines) + f" {which}: percentile of the cycles of one repetition.")
        if not drawn:
            self.skip("latency", placement, "no p50_us / p99_us values")

    def forest_chart(self):
        """The headline: every paired reuse ÷ fresh ratio, by scenario."""
        items = forest.rows(answers.answers(self.doc, self.all_results)) if answers.paired_entries(self.doc) else []
        if not items:
            self.notes.append(f"skipped the forest chart (headline): {forest.NO_PAIRED}")
            return
        fig = forest.draw(items, self.colors, "Which strategy for my case? Reuse ÷ each fresh strategy, "
                                              f"measured paired\n{self.provenance}")
        self.save(fig, f"{self.prefix}-forest")

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
        self.forest_chart()
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
    prefix = args.prefix or jsonfile.stem(args.results)
    try:
        doc, results = sr.load_document(args.results)
        plotter = Plotter(results, args.output, prefix, doc)
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
