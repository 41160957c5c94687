"""The headline chart: a forest plot of the paired ratios, grouped by scenario.

One row per reuse ÷ fresh ratio of exchanges per second (the file's
"paired" key), its 95% interval as a horizontal bar, grouped under the
scenario it answers; x is logarithmic around 1 (an interval that crosses 1
is "no difference beyond noise"); colour is the fresh strategy compared
(the same colour as that strategy in every chart), the marker the engine.
Intervals that reach past the axis are cut and marked.

``rows`` is pure (answers in, dicts out); ``draw`` makes the figure.
"""

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from .answers import label
from .facets import ENGINE_MARKERS
from .names import parse_name, with_defaults

NO_PAIRED = ("no paired ratios in this file (no \"paired\" key): the forest chart needs a run measured "
             "paired (scripts/bench --scenario NAME, or a paired reference run)")
X_LIMITS = (0.5, 4.0)


def rows(answers):
    """[{"scenario", "group", "numerator", "denominator", "estimate", "lo", "hi",
    "verdict", "engine"}] in scenario order; [] when no answer is paired."""
    out = []
    for ans in answers:
        for g in ans.groups:
            for r in g.rates:
                engine = with_defaults(parse_name(r.denominator)).get("engine", "blocking")
                out.append({"scenario": ans.scenario.title, "group": g.group.words(),
                            "numerator": label(r.numerator), "denominator": label(r.denominator),
                            "fresh": parse_name(r.denominator)["strategy"],
                            "estimate": r.estimate, "lo": r.lo, "hi": r.hi, "verdict": r.verdict,
                            "engine": engine})
    return out


VERDICT_WORDS = {"win": "reuse faster", "loss": "reuse slower", "tie": "no difference beyond noise"}


def draw(items, colors, title):
    """The figure of `items` (rows()); colors: {strategy: colour}."""
    lines = []   # (kind, payload): "head" scenario title, "group" words, "ratio" row
    for item in items:
        if not lines or lines_last(lines, "head") != item["scenario"]:
            lines.append(("head", item["scenario"]))
        if lines_last(lines, "group") != item["group"] or lines[-1][0] == "head":
            lines.append(("group", item["group"]))
        lines.append(("ratio", item))
    height = 0.27 * len(lines) + 1.6
    fig, ax = plt.subplots(figsize=(11.5, height), layout="constrained")
    n = len(lines)
    labels, seen, cut = [], {}, 0
    for i, (kind, payload) in enumerate(lines):
        y = n - i
        if kind in ("head", "group"):
            labels.append((y, payload))
            continue
        r = payload
        lo, hi = max(r["lo"], X_LIMITS[0]), min(r["hi"], X_LIMITS[1])
        color = colors.get(r["fresh"], "#333333")
        name = f"÷ {r['fresh']}"
        ax.plot([lo, hi], [y, y], color=color, linewidth=2.2, solid_capstyle="butt",
                label=name if name not in seen else "_" + name)
        seen[name] = color
        est = min(max(r["estimate"], X_LIMITS[0]), X_LIMITS[1])
        ax.plot([est], [y], marker=ENGINE_MARKERS.get(r["engine"], "D"), color=color, markersize=6,
                markeredgecolor="black", markeredgewidth=0.6, label="_point")
        for end, real in ((X_LIMITS[0], r["lo"]), (X_LIMITS[1], r["hi"])):
            if (real < end if end == X_LIMITS[0] else real > end):
                cut += 1
                ax.plot([end], [y], marker="<" if end == X_LIMITS[0] else ">", color="black", label="_clipped")
        text = f"{r['numerator']} ÷ {r['denominator']}: {r['estimate']:.2f}× [{r['lo']:.2f}, {r['hi']:.2f}] " \
               f"— {VERDICT_WORDS[r['verdict']]}"
        labels.append((y, text))
    ax.axvline(1.0, color="black", linewidth=0.9)
    ax.set_xscale("log")
    ax.set_xlim(*X_LIMITS)
    ticks = [0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}×"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_yticks([y for y, _ in labels])
    ax.set_yticklabels([t for _, t in labels], fontsize=8)
    for tick, (kind, _) in zip(ax.get_yticklabels(), [p for p in lines]):
        if kind == "head":
            tick.set_fontweight("bold")
            tick.set_fontsize(9.5)
        elif kind == "group":
            tick.set_fontstyle("italic")
    ax.set_ylim(0.3, n + 0.8)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("reuse ÷ fresh, exchanges per second, paired (95% interval); > 1: reuse is faster")
    handles = [Line2D([], [], color=c, linewidth=2.2, label=k) for k, c in seen.items()]
    handles += [Line2D([], [], color="white", marker=m, markeredgecolor="black", label=f"{e} client")
                for e, m in ENGINE_MARKERS.items() if any(r["engine"] == e for _, r in
                                                          [p for p in lines if p[0] == "ratio"])]
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize="small", frameon=False,
              title="colour: fresh strategy\nmarker: engine", title_fontsize="small", alignment="left")
    fig.suptitle(title, fontsize=11)
    caption = ("Each bar: the 95% interval of reuse ÷ fresh from interleaved slices (the paired run); "
               "a bar that crosses 1 is no difference beyond noise.")
    if cut:
        caption += f" {cut} interval end{'s' if cut != 1 else ''} past the axis: cut, marked ◀ / ▶."
    fig.supxlabel(caption, fontsize=8.5, color="#333333")
    return fig


def lines_last(lines, kind):
    """The payload of the last entry of `kind` (its scenario title or group words)."""
    for k, payload in reversed(lines):
        if k == kind:
            return payload
        if kind == "group" and k == "head":
            return None
    return None

