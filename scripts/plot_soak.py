#!/usr/bin/python3
"""The soak's results (scripts/soak): its JSON file, its chart, its verdict.

Draws the echo server's resident memory (VmRSS), open descriptors and CPU use
(percent of one CPU between samples) over the run into PREFIX.png and
PREFIX.svg, and judges whether memory or descriptors grow without bound:

  a quantity grows when the median of the samples in the last third of the
  run exceeds the median of the first third by more than 25 % AND by more
  than 8192 KiB (RSS) or 64 descriptors.

Medians of thirds, not the first and last sample: a sample taken while 16
client threads hold connections open sits above one taken between two
benchmark binaries, and the medians smooth that out. The absolute floors are
above what a bounded server swings by here (16 connections' 64 KiB buffers
come to 1 MiB; 16 clients and the echo-once sockets to about 32 descriptors),
and far below what a leak of even one byte or one descriptor per thousand
exchanges reaches in ten minutes of about 10,000 exchanges per second. The
percentage keeps the rule from firing on a large server's normal jitter.
Runs with fewer than 9 samples are too short to judge (verdict "too short",
exit 0).

With --record, first builds the JSON file from the raw samples and runs that
scripts/soak collected (never overwriting a file). Exit status: 0 bounded or
too short to judge, 1 growth (one line on stderr), 2 bad input.
"""

import argparse
import json
import sys
from pathlib import Path

import matplotlib.pyplot as plt

from sockchurn_results import chartfiles
from sockchurn_results.soak import (SoakError, cpu_percent, judge_growth, load_record, make_record,
                                    parse_runs, parse_samples, thirds, verdict_line)

PROG = "plot_soak.py"
chartfiles.setup()


def plot(record, prefix):
    """Three panels over minutes: RSS, descriptors, CPU. Returns the files written."""
    samples = record["samples"]
    ctx = record.get("context", {})
    verdict = judge_growth(samples)
    minutes = [s["t_s"] / 60 for s in samples]
    fig, axes = plt.subplots(3, 1, figsize=(9, 8), sharex=True)
    panels = ((axes[0], [s["rss_kib"] / 1024 for s in samples], "RSS (MiB)", "rss_kib", 1024),
              (axes[1], [s["fds"] for s in samples], "open descriptors", "fds", 1))
    for ax, values, label, key, scale in panels:
        ax.plot(minutes, values, marker=".", markersize=3, linewidth=1, color="#1f77b4")
        ax.set_ylabel(label)
        ax.set_ylim(bottom=0, top=max(values, default=1) * 1.2 or 1)
        if key in verdict:
            first, last = thirds(samples)
            for part, name in ((first, "first"), (last, "last")):
                m = verdict[key][f"{name}_third_median"] / scale
                ax.hlines(m, part[0]["t_s"] / 60, part[-1]["t_s"] / 60, colors="#d62728", linewidth=2,
                          label="median of the first / last third" if name == "first" else None)
            ax.legend(loc="lower right", fontsize=8)
    cpu = cpu_percent(samples)
    axes[2].plot([c[0] for c in cpu], [c[1] for c in cpu], linewidth=1, color="#2ca02c")
    axes[2].set_ylabel("CPU (% of one CPU)")
    axes[2].set_ylim(bottom=0)
    axes[2].set_xlabel("minutes since the echo server started")
    title = "sockchurn-echo under the soak: " + verdict_line(verdict).split(":")[0]
    sub = (f"{ctx.get('host', '?')} · kernel {ctx.get('kernel', '?')} · commit {ctx.get('git_commit', '?')} · "
           f"{ctx.get('date', '?')} · {ctx.get('client_threads', '?')} client threads · "
           f"{len(record.get('runs', []))} benchmark runs")
    fig.suptitle(title + "\n" + sub, fontsize=10)
    fig.tight_layout()
    return chartfiles.save(fig, prefix)


def parse_args(argv):
    p = argparse.ArgumentParser(prog=PROG, description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", help="the soak's JSON file (written first with --record)")
    p.add_argument("-o", "--output", metavar="PREFIX", default=None,
                   help="chart path without extension (default: plots/<the results file's name>)")
    p.add_argument("--no-plots", action="store_true", help="judge only, draw nothing")
    rec = p.add_argument_group("building the JSON file (scripts/soak)")
    rec.add_argument("--record", action="store_true", help="write RESULTS from --samples, --runs and --context")
    rec.add_argument("--samples", metavar="FILE", help="lines 'SECONDS RSS_KIB FDS CPU_TICKS'")
    rec.add_argument("--runs", metavar="FILE", help="lines 'START_S END_S EXIT NAME'")
    rec.add_argument("--clock-ticks", type=int, default=100, help="clock ticks per second (getconf CLK_TCK)")
    rec.add_argument("--context", metavar="KEY=VALUE", action="append", default=[],
                     help="provenance, repeatable")
    return p.parse_args(argv)


def read_text(path):
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise SoakError(f"cannot read {path}: {e.strerror}") from None


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.record:
            if not args.samples or not args.runs:
                raise SoakError("--record needs --samples and --runs")
            context = {}
            for item in args.context:
                if "=" not in item:
                    raise SoakError(f"--context: {item!r} is not KEY=VALUE")
                key, value = item.split("=", 1)
                context[key] = value
            record = make_record(context, parse_samples(read_text(args.samples), args.clock_ticks, args.samples),
                                 parse_runs(read_text(args.runs), args.runs))
            try:
                with open(args.results, "x", encoding="utf-8") as f:
                    json.dump(record, f, indent=1)
                    f.write("\n")
            except FileExistsError:
                raise SoakError(f"{args.results} exists already; results are never overwritten") from None
            print(f"wrote {args.results}")
        else:
            record = load_record(args.results)
    except SoakError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    if not args.no_plots:
        prefix = args.output or str(Path("plots") / Path(args.results).stem)
        print("wrote: " + " ".join(plot(record, prefix)))
    verdict = judge_growth(record["samples"])
    line = verdict_line(verdict)
    if verdict["verdict"] == "grows":
        print(f"{PROG}: {line}", file=sys.stderr)
        return 1
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
