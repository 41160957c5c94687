#!/usr/bin/python3
"""Chart of one ephemeral-port exhaustion experiment (scripts/exhaustion).

Three panels over the seconds of each run, one line per strategy: exchanges
completed per second (log scale; a second with none is drawn on the bottom
edge), TIME_WAIT sockets toward the server, and failed connect()s with
EADDRNOTAVAIL per second (the client found no free ephemeral port). For runs
with EADDRNOTAVAIL the steady-state rate (the mean over the last 60 s of the
run, or all of it after the first failure if shorter) is marked and printed.
Writes OUTPUT.png and OUTPUT.svg and prints their names.
"""

import argparse
import json
import sys
from pathlib import Path


import matplotlib.pyplot as plt

from sockchurn_results import chartfiles
from sockchurn_results.jsonfile import read_text
from sockchurn_results.roles import RolesError, strategy_roles

PROG = "plot_exhaustion.py"
# Its PNG is drawn finer than the others' (chartfiles.DPI): the committed
# charts were drawn so, and redrawn they stay the same.
DPI = 120
chartfiles.setup()


def parse_args(argv):
    p = argparse.ArgumentParser(prog=PROG, description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", help="results/exhaustion-*.json written by scripts/exhaustion")
    p.add_argument("-o", "--output", metavar="PATH", default="plots/exhaustion",
                   help="output path without extension (default: %(default)s)")
    return p.parse_args(argv)


def load(path):
    try:
        doc = json.loads(read_text(path))
    except (OSError, ValueError, EOFError) as e:
        sys.exit(f"{PROG}: {path}: {e}")
    runs = doc.get("runs") if isinstance(doc, dict) else None
    if not isinstance(runs, list) or not runs or not all(
            isinstance(r, dict) and isinstance(r.get("series"), list) for r in runs):
        sys.exit(f"{PROG}: {path}: not an exhaustion results file (no 'runs' with a 'series')")
    return doc


def steady_state(series):
    """(first second with EADDRNOTAVAIL, mean exchanges/s over the window
    after it: the last 60 s, or from the first failure on if shorter) or None."""
    first = next((s["second"] for s in series if s["errors"].get("EADDRNOTAVAIL")), None)
    if first is None:
        return None
    window = [s for s in series if s["second"] > first][-60:]
    if not window:
        return first, None
    return first, sum(s["exchanges"] for s in window) / len(window)


def title(ctx):
    delay = ctx.get("delay_ms_each_way", "0")
    path = f"veth between two network namespaces, {ctx.get('address_family', '?')}"
    path += f", netem delay {delay} ms each way" if delay not in ("", "0") else ", no added delay"
    return (f"Ephemeral port exhaustion: TCP echo, client closes first, 1 thread\n"
            f"{path}; local ports {ctx.get('local_port_range', '?').replace(' ', '-')}\n"
            f"{ctx.get('host', '?')}, {ctx.get('cpu_model', '?')}, Linux {ctx.get('kernel', '?')}, "
            f"commit {ctx.get('git_commit', '?')}, {ctx.get('date', '?')[:10]}, "
            f"load at start {ctx.get('loadavg_at_start', '?').split(' ')[0]}")


def strategy_colors(doc):
    """Colours by the order of the runs' strategies (roles from the context's
    strategy_roles, else from the names), as plot.py assigns them."""
    names = [run.get("context", {}).get("strategy", "?") for run in doc["runs"]]
    try:
        return strategy_roles(doc.get("context", {}), names).colors()
    except RolesError as e:
        sys.exit(f"{PROG}: context {e}")


def label(strategy, series):
    """The strategy and what its runs left: TIME_WAIT sockets or none."""
    left = max((s["time_wait"] for s in series if isinstance(s.get("time_wait"), (int, float))),
               default=0)
    return f"{strategy} ({'up to ' + format(int(left), ',') + ' TIME_WAIT' if left > 0 else 'no TIME_WAIT'})"


def plot(doc, out):
    ctx = doc.get("context", {})
    colors = strategy_colors(doc)
    fig, (ax_rate, ax_tw, ax_err) = plt.subplots(
        3, 1, figsize=(10, 9.5), sharex=True, gridspec_kw={"height_ratios": [3, 1.6, 1.6]})
    floor = 0.5  # where a second without exchanges is drawn on the log axis
    notes = []
    for run in doc["runs"]:
        rc = run.get("context", {})
        strategy = rc.get("strategy", "?")
        color = colors.get(strategy, "#7f7f7f")
        series = run["series"]
        # Second n of the run is the interval (n-1, n].
        edges = [0] + [s["second"] for s in series]
        t = edges[1:]
        rate = [max(s["exchanges"], floor) for s in series]
        ax_rate.stairs(rate, edges, color=color, lw=1.6, baseline=None, label=label(strategy, series))
        tw = [s["time_wait"] if s["time_wait"] >= 0 else float("nan") for s in series]
        ax_tw.stairs(tw, edges, color=color, lw=1.6, baseline=None)
        err = [s["errors"].get("EADDRNOTAVAIL", 0) for s in series]
        ax_err.stairs(err, edges, color=color, lw=1.6, baseline=None)
        other = sorted({k for s in series for k in s["errors"] if k != "EADDRNOTAVAIL"})
        total = run.get("totals", {}).get("exchanges", sum(s["exchanges"] for s in series))
        line = f"{strategy}: {total} exchanges in {len(series)} s"
        st = steady_state(series)
        if st:
            first, mean = st
            line += f"; first EADDRNOTAVAIL in second {first}"
            if t[-1] >= first + 59:
                # The ports taken in the second the range filled come free
                # when their TIME_WAIT (60 s) ends.
                for ax in (ax_rate, ax_tw, ax_err):
                    ax.axvspan(first - 1 + 60, first + 60, color=color, alpha=0.12, lw=0)
                ax_rate.annotate("60 s (TIME_WAIT) after\nthe port range filled", xy=(first + 59, 2e3),
                                 ha="right", va="center", color=color, fontsize=9)
            if mean is not None:
                line += f"; then {mean:.1f} exchanges/s on average"
                ax_rate.axhline(mean, color=color, ls=":", lw=1.2)
                ax_rate.annotate(f"mean over the last {len([x for x in series if x['second'] > first][-60:])} s:"
                                 f" {mean:.1f}/s", xy=(t[-1], mean), xytext=(-4, 4),
                                 textcoords="offset points", ha="right", color=color, fontsize=9)
        else:
            line += f"; no EADDRNOTAVAIL, {total / max(len(series), 1):.0f} exchanges/s on average"
        if other:
            line += "; other errors: " + ", ".join(
                f"{k} {sum(s['errors'].get(k, 0) for s in series)}" for k in other)
        notes.append(line)
    ax_rate.set_yscale("log")
    ax_rate.set_ylim(bottom=floor * 0.8)
    ax_rate.set_ylabel("exchanges completed\nper second (log)")
    ax_rate.legend(loc="center", fontsize=9, framealpha=0.9)
    ax_tw.set_ylabel("TIME_WAIT sockets\ntoward the server")
    ax_err.set_ylabel("connect() EADDRNOTAVAIL\nper second")
    for ax in (ax_tw, ax_err):  # a line at 0 stays visible above the axis
        top = ax.get_ylim()[1]
        ax.set_ylim(-0.04 * top, top)
    ax_err.set_xlabel("second of the run (each strategy in its own fresh pair of namespaces)")
    ax_err.set_xlim(left=0)
    fig.suptitle(title(ctx), fontsize=10)
    notes.append("After a failed exchange the client sleeps 1 ms; a connect() that finds no free port "
                 "fails at once.")
    fig.text(0.01, 0.005, "\n".join(notes), fontsize=8, va="bottom", family="monospace")
    fig.tight_layout(rect=(0, 0.012 * (len(notes) + 1), 1, 1))
    return chartfiles.save(fig, Path(out), dpi=DPI), notes


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    doc = load(args.results)
    written, notes = plot(doc, args.output)
    for line in notes:
        print(line)
    for path in written:
        print(path)


if __name__ == "__main__":
    main()
