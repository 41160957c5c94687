"""Axes, line styles and captions shared by the charts of plot.py.

Matplotlib helpers without I/O: they format axes and say in words what a
chart's points and error bars are.
"""

import math

from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullLocator

from .facets import ENGINE_MARKERS, PORT_STYLES



def thread_axis(ax, threads):
    """Log2 x axis with one labelled tick per thread count (1, 2, 4, 8, 16)."""
    ticks = sorted(set(threads))
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
    if len(ticks) == 1:
        ax.set_xlim(ticks[0] / 1.5, ticks[0] * 1.5)
    else:
        ax.set_xlim(ticks[0] / 1.25, ticks[-1] * 1.25)
    ax.set_xlabel("client threads")


def thousands(ax):
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:,.0f}" if y >= 1 else f"{y:g}"))


def log_axis(ax, values):
    """Log y with labelled ticks at 1, 2, 5 x 10^k (all of 1..9 x 10^k when
    the values span too little for two of them), limits around the values."""
    finite = [v for v in values if v > 0 and math.isfinite(v)]
    low, high = min(finite) / 1.3, max(finite) * 1.3
    ax.set_yscale("log")
    ax.set_ylim(low, high)
    subs = (1.0, 2.0, 5.0)
    ticks = [m * 10 ** e for e in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
             for m in subs if low <= m * 10 ** e <= high]
    if len(ticks) < 2:
        subs = tuple(float(m) for m in range(1, 10))
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=subs))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:,.0f}" if y >= 1 else f"{y:g}"))


def median_of(ns):
    """"median of 5 repetitions" / "median of 3-5 repetitions" / "one repetition"."""
    ns = sorted({n for n in ns if n > 0})
    if not ns or ns == [1]:
        return "one repetition"
    return f"median of {ns[0] if len(ns) == 1 else f'{ns[0]}-{ns[-1]}'} repetitions"


def repetitions_caption(what, ns, spread, bars="min-max over the repetitions"):
    """"Points: median of 5 repetitions of each run; error bars: min-max ..."."""
    ns = sorted({n for n in ns if n > 0})
    if not ns or ns == [1]:
        return f"{what}: one repetition of each run (no error bars)."
    count = str(ns[0]) if len(ns) == 1 else f"{ns[0]}-{ns[-1]}"
    if not spread:
        return f"{what}: median aggregate of {count} repetitions of each run (no per-repetition data, no error bars)."
    return f"{what}: median of {count} repetitions of each run; error bars: {bars}."


def errorbar(ax, x, y, lo, hi, label, st):
    has_spread = all(math.isfinite(a) and math.isfinite(b) for a, b in zip(lo, hi))
    if has_spread and any(a != b for a, b in zip(lo, hi)):
        yerr = [[max(m - a, 0) for m, a in zip(y, lo)], [max(b - m, 0) for m, b in zip(y, hi)]]
        ax.errorbar(x, y, yerr=yerr, label=label, capsize=3, **st)
    else:
        ax.plot(x, y, label=label, **st)


def has_spread(lines):
    return any(math.isfinite(a) and math.isfinite(b) and n >= 2 for line in lines
               for a, b, n in zip(line["lo"], line["hi"], line["n"]))


def engine_style(color, engine, port=""):
    """Colour by strategy, marker by engine, line style by the reuse port:
    the same strategy looks the same in every chart."""
    return {"color": color, "marker": ENGINE_MARKERS.get(engine or "blocking", "D"),
            "linestyle": PORT_STYLES.get(port or "", "-."), "markersize": 5, "linewidth": 1.6}


def robust_top(values, margin=1.15):
    """The top of a y axis that shows every median (values) with a margin;
    error bars above it are clipped and marked (clipped_errorbar)."""
    finite = [v for v in values if v == v and v not in (float("inf"), float("-inf"))]
    return max(finite) * margin if finite else 1.0


def clipped_errorbar(ax, x, y, lo, hi, label, st, top):
    """errorbar() with the bars cut at `top`: a cut bar ends in a black
    triangle with its true end written beside it. Returns how many were cut."""
    cut = [(a, b) for a, b in zip(x, hi) if b == b and b > top]
    errorbar(ax, x, y, lo, [min(b, top) if b == b else b for b in hi], label, st)
    for a, b in cut:
        ax.plot([a], [top], marker="^", color="black", markersize=6, clip_on=False, label="_clipped")
        ax.annotate(f"{b:,.3g}", (a, top), textcoords="offset points", xytext=(4, -9), fontsize=7)
    return len(cut)
