#!/usr/bin/python3
"""Compare sockchurn results: reuse vs fresh sockets, or two result files.

With one file: a table of ratios of every reuse strategy (e.g. reuse_unspec)
over every fresh strategy (e.g. fresh_close, fresh_linger0) of the same
protocol, closer, client engine, flows, requests per connection, payload,
placement, threads and reuse port (the roles come from the file's
strategy_roles, or from the names: reuse_*, fresh_*), the syscall costs, and
the errored benchmarks. Ratios read as "reuse's advantage": > 1 means reuse
is better, for rates and for costs alike. A name without engine:, flows: or
rpc: reads as engine:blocking, flows:1, rpc:1; the tables and --headline
name them where a run differs from those defaults.

With two files (e.g. two kernels): a "warning:" line for each context field
that differs (kernel, commit, sysctls, repetitions, min-time, placement,
path, isolation), every common run with A and B (median, min-max), the
change and whether it is significant (Mann-Whitney U, >= 9 repetitions per
side), and the ratios side by side. Runs are matched on their dimensions with
those defaults filled in, so files made before a dimension existed compare
with newer ones. See docs/results-format.md.

A file with paired measurement (a "paired" list: scripts/paired, or merged
with merge_results.py --paired) opens with its paired ratios: one file,
each ratio with its 95% interval; two files, each ratio of both with the
change B / A and its interval, "changed" or "no change beyond noise".
Either way the output's first line is a one-line summary, also for files
without paired ratios (and a warning when slices or runs shared the machine).

A file from a full scripts/bench run also has the extra sections' rows
(names with section:NAME): one file gets a table per section (--table
tw_reuse, --table conntrack); their rows are in the ratio table, told apart
by their dimensions, and left out of --headline.
"""

import argparse
import os
import sys


import pandas as pd

import sockchurn_results as sr
from sockchurn_results import paired_report
from sockchurn_results.section_report import conntrack_report, tw_reuse_report
from sockchurn_results.usage import UsageProblem

METRICS = sr.stats.EXCHANGE_METRICS + sr.stats.TIME_METRICS
TABLES = ("paired", "ratios", "syscall", "errors", "runs", "tw_reuse", "conntrack")
PROG = "compare.py"


def parse_args(argv):
    p = argparse.ArgumentParser(prog=PROG, description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", help="Google Benchmark JSON file from a sockchurn run (A)")
    p.add_argument("results_b", nargs="?", metavar="results-b",
                   help="second file (B) to compare with the first")
    p.add_argument("--metric", choices=METRICS, default="exchanges_per_s",
                   help="metric of the ratios (default: %(default)s); for per-exchange costs "
                        "the ratio is fresh / reuse, so > 1 still means reuse is better")
    p.add_argument("--all", action="store_true",
                   help="with one file, also list every run (median exchanges/s, CPU, latency, "
                        "TIME_WAIT, errors); two files always list every common run")
    p.add_argument("--format", choices=sr.FORMATS, default="text",
                   help="text (aligned, default), md (Markdown) or csv (raw numbers)")
    p.add_argument("--table", choices=TABLES,
                   help="print only this table (with --format csv: plain CSV, no title line)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    p.add_argument("--headline", action="store_true",
                   help="one file: only a few lines, the range of each reuse / fresh ratio per "
                        "protocol, placement, engine, flows and requests per connection (what "
                        "scripts/bench prints at the end)")
    return p.parse_args(argv)


def one_file(args, notes):
    results = sr.load(args.results)
    tables, summaries = {}, []
    if results.paired:
        line, tables["paired"] = paired_report.one_file_table(results.paired)
        summaries.append(line)
    if not results.has_benchmarks:
        return summaries, [sr.provenance(results.context, results.source)], tables, \
            busy_warnings("", results)
    summary = sr.summarize(results)
    if results.is_sockchurn:
        if args.metric not in summary.columns:
            notes.append(f"{args.results} has no {args.metric} values")
        table = sr.ratio_table(results, args.metric, summary)
        tables["ratios"] = sr.ratio_report(results, table, args.metric)
        if not results.paired:
            summaries.append(sr.unpaired_summary(table))
        missing_baselines(results, summary, table, notes)
        calls = sr.syscall_table(results, summary)
        if len(calls) or args.table == "syscall":
            tables["syscall"] = sr.syscall_report(results, calls)
        # The suite's extra sections, when the file has them (their rows are
        # in the ratios too, told apart by their section: dimensions).
        for name, report in (("tw_reuse", tw_reuse_report), ("conntrack", conntrack_report)):
            if sr.has_section(results, name) or args.table == name:
                tables[name] = report(results)
    else:
        notes.append(f"no sockchurn benchmarks (tcp/, udp/, syscall/) in {args.results}; "
                     f"showing the generic per-run table")
    tables["errors"] = sr.errors_report(sr.errored_runs(summary))
    if args.all or not results.is_sockchurn or args.table == "runs":
        tables["runs"] = sr.runs_report(results, sr.run_order(results, summary))
    if not summaries:
        summaries.append(f"{len(summary)} runs, no reuse / fresh ratios")
    header = [sr.provenance(results.context, results.source)]
    return summaries, header, tables, busy_warnings("", results, summary)


def missing_baselines(results, summary, table, notes, label=None):
    """A note per reuse strategy that a filter left without its baselines."""
    for group, strategy in sr.unpaired_reuse(summary, table):
        where = f" in {label}" if label else ""
        notes.append(f"no ratios for {group}/{strategy}{where}: its baselines are not in the "
                     f"file; {results.roles.baseline_hint(group, strategy)}")


def two_files(args, notes):
    a, b = sr.load(args.results), sr.load(args.results_b)
    tables, summaries = {}, []
    if a.paired and b.paired:
        line, tables["paired"] = paired_report.two_file_table(a.paired, b.paired)
        summaries.append(line)
    elif a.paired or b.paired:
        notes.append(f"only {'A' if a.paired else 'B'} has paired ratios: they are not compared")
    header = [f"A = {sr.provenance(a.context, a.source)}", f"B = {sr.provenance(b.context, b.source)}"]
    warnings = [f"{key} differs: A {va}, B {vb}"
                for key, va, vb in sr.context_differences(a.context, b.context)]
    if not (a.has_benchmarks and b.has_benchmarks):
        warnings = busy_warnings("A", a) + busy_warnings("B", b) + warnings
        if not tables:
            raise UsageProblem(f"{args.results} and {args.results_b} have neither benchmarks nor "
                               f"paired ratios in common: nothing to compare")
        return summaries, header, tables, warnings
    sa, sb = sr.summarize(a), sr.summarize(b)
    warnings = busy_warnings("A", a, sa) + busy_warnings("B", b, sb) + warnings
    common, only_a, only_b = sr.overlap(sa, sb)
    if not common:
        raise UsageProblem(f"{args.results} and {args.results_b} have no benchmarks in common "
                           f"({len(sa)} and {len(sb)} runs): nothing to compare")
    if only_a or only_b:
        notes.append(f"partial overlap: {len(common)} runs in common, {len(only_a)} only in A, "
                     f"{len(only_b)} only in B; only common runs are compared")
    metric = args.metric
    if metric not in sa.columns or metric not in sb.columns:
        notes.append(f"{metric} is missing from one or both files; comparing real_time_ns per run instead")
        metric = "real_time_ns"
    runs = sr.compare_runs(sa, sb, metric)
    tables["runs"] = sr.compare_runs_report(runs, metric)
    summaries.append(sr.runs_summary(runs))
    if a.is_sockchurn and b.is_sockchurn:
        keys_b = sr.ratio_key_columns(b)
        keys = [k for k in sr.ratio_key_columns(a) if k in keys_b]
        table_a, table_b = sr.ratio_table(a, args.metric, sa), sr.ratio_table(b, args.metric, sb)
        tables["ratios"] = sr.compare_ratio_report(
            a, sr.compare_ratio_tables(table_a, table_b, keys), args.metric)
        missing_baselines(a, sa, table_a, notes, "A")
        missing_baselines(b, sb, table_b, notes, "B")
    errors = pd.concat([sr.errored_runs(sa).assign(file="A"), sr.errored_runs(sb).assign(file="B")],
                       ignore_index=True)
    tables["errors"] = sr.errors_report(errors, title="errored benchmarks (excluded from every comparison)")
    return summaries, header, tables, warnings


def busy_warnings(label, results, summary=None):
    """Warnings when a file's paired slices or its runs shared the machine."""
    prefix = f"{label}: " if label else ""
    found = [paired_report.busy_banner(results.paired)]
    if summary is not None:
        found.append(sr.busy_runs(summary))
    return [prefix + line for line in found if line]


def headline(args):
    """The few lines scripts/bench ends with: the paired ratios with their
    intervals when the file has them, then the unpaired medians' ranges."""
    results = sr.load(args.results)
    lines = []
    if results.paired:
        banner = paired_report.busy_banner(results.paired)
        lines += ([f"warning: {banner}"] if banner else []) + [
            "paired ratios (reuse's advantage, 95% intervals):"] + [
            "  " + line for group in results.paired for line in paired_report.verdict_lines(group)]
    if results.has_benchmarks:
        table = sr.ratio_table(sr.main_sweep(results), args.metric)
        lines += sr.report.headline(table, args.metric)
    return lines


def write(text, path):
    if path is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise UsageProblem(f"cannot write {path}: {e.strerror}") from None


def main(argv=None):
    args = parse_args(argv)
    notes = []
    try:
        if args.headline:
            if args.results_b is not None:
                raise UsageProblem("--headline takes one results file")
            write("\n".join(headline(args)) + "\n", args.output)
            return 0
        if args.results_b is None:
            summaries, header, tables, warnings = one_file(args, notes)
        else:
            summaries, header, tables, warnings = two_files(args, notes)
        if args.table:
            if args.table not in tables:
                raise UsageProblem(f"no {args.table} table for {args.results}"
                                   + (f" and {args.results_b}" if args.results_b else ""))
            tables = {args.table: tables[args.table]}
        if args.format == "csv":
            for line in summaries:
                print(f"{PROG}: {line}", file=sys.stderr)
            for warning in warnings:
                print(f"{PROG}: warning: {warning}", file=sys.stderr)
            for note in notes:
                print(f"{PROG}: note: {note}", file=sys.stderr)
            header = []
        else:
            header = (summaries + header + [f"warning: {w}" for w in warnings]
                      + [f"note: {n}" for n in notes])
        write(sr.render(list(tables.values()), args.format, header), args.output)
    except (sr.ResultsError, UsageProblem) as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # Output piped into e.g. head: not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
