"""Axes, line styles and captions shared by the charts of plot.py.

Matplotlib helpers without I/O: they format axes and say in words what a
chart's points and error bars are.
"""

import math

from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullLocator

LINESTYLES = {"client": "-", "server": "--"}
MARKERS = {"ephemeral": "o", "bound": "s"}


def style(color, closer, port, engine=""):
    """Colour by strategy, line style by closer, marker by port; engines
    other than the default blocking one get hollow markers and a lighter line."""
    out = {"color": color, "linestyle": LINESTYLES.get(closer, "-"),
           "marker": MARKERS.get(port, "D" if port else "o"), "markersize": 5, "linewidth": 1.6}
    if engine not in ("", "blocking"):
        out.update(markerfacecolor="white", alpha=0.75, linewidth=1.2)
    return out


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


def maybe_log(ax, values):
    """Log y when the values span more than 20x; True if it did."""
    finite = [v for v in values if v > 0 and math.isfinite(v)]
    if finite and max(finite) / min(finite) > 20:
        log_axis(ax, finite)
        return True
    return False


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


def legend_columns(n_items):
    return 1 if n_items <= 3 else 2 if n_items <= 12 else 3


def legend_below(ax, n_items):
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=legend_columns(n_items),
              fontsize="small", frameon=False)
