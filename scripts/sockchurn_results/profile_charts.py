"""The charts of a kernel profile (plot_profile.py): the bucket chart (CPU µs
per exchange by bucket, drawn with matplotlib, PNG and SVG) and the flame
graphs (flamegraph.py's plain SVG), written into a directory.
"""

import re

import matplotlib.pyplot as plt

from . import chartfiles
from . import flamegraph as fg
from . import profile as pr
from .profile_report import provenance_line

BUCKET_COLORS = {"socket create/destroy": "#1f77b4", "port search": "#d62728",
                 "handshake": "#ff7f0e", "data path": "#2ca02c", "teardown": "#9467bd",
                 "epoll": "#8c564b", "scheduler": "#e377c2", pr.SYSCALL_ENTRY: "#bcbd22",
                 pr.OTHER: "#c7c7c7", pr.USER: "#17becf"}
FLAME_COLORS = {"socket create/destroy": "rgb(120,170,230)", "port search": "rgb(240,110,110)",
                "handshake": "rgb(250,175,90)", "data path": "rgb(130,205,120)",
                "teardown": "rgb(190,160,220)", "epoll": "rgb(200,160,130)",
                "scheduler": "rgb(240,170,215)", pr.SYSCALL_ENTRY: "rgb(215,215,120)"}
PROTOCOL_TITLES = {"tcp": "TCP", "udp": "UDP"}


def safe(text):
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "_"


def label(group):
    protocol, strategy, params = pr.parse_group(group["name"])
    extra = "\n".join(f"{k}:{v}" for k, v in params.items())  # one a line: the ticks do not overlap
    return f"{strategy}\n{extra}" if extra else strategy


# Buckets with a colour of their own in the bucket chart; the smaller ones
# stack as one bar, so that its legend (with the measured CPU) has at most 8
# entries. report.md's table keeps every bucket.
CHART_BUCKETS = 6
REST_COLOR = "#7f7f7f"


def chart_buckets(doc):
    """(the buckets drawn on their own, the rest): the CHART_BUCKETS with the
    most CPU over every group and role, in the profile's order, and the other
    buckets with any CPU at all (a bucket with none is left out)."""
    total = {b: sum(g[role]["bucket_us"].get(b, 0.0) for g in doc["groups"] for role in ("client", "server"))
             for b in doc["buckets"]}
    largest = set(sorted((b for b in doc["buckets"] if total[b] > 0), key=lambda b: -total[b])[:CHART_BUCKETS])
    return ([b for b in doc["buckets"] if b in largest],
            [b for b in doc["buckets"] if b not in largest and total[b] > 0])


def bucket_chart(doc, out, written):
    groups = doc["groups"]
    protocols = [p for p in ("tcp", "udp") if any(g["protocol"] == p for g in groups)]
    protocols += sorted({g["protocol"] for g in groups} - set(protocols))
    fig, axes = plt.subplots(2, len(protocols), figsize=(max(7.0, 5.5 * len(protocols)), 9.5),
                             squeeze=False)
    for col, proto in enumerate(protocols):
        mine = [g for g in groups if g["protocol"] == proto]
        for row, role in enumerate(("client", "server")):
            ax = axes[row][col]
            bottoms = [0.0] * len(mine)
            shown, rest = chart_buckets(doc)
            stacks = [([b], b, BUCKET_COLORS.get(b)) for b in shown]
            if rest:
                stacks.append((rest, "the rest: " + ", ".join(rest), REST_COLOR))
            for parts, name, color in stacks:
                values = [sum(g[role]["bucket_us"].get(b, 0.0) for b in parts) for g in mine]
                ax.bar(range(len(mine)), values, bottom=bottoms, color=color, label=name, width=0.7)
                bottoms = [b + v for b, v in zip(bottoms, values)]
            measured = [g[role].get("measured_us") for g in mine]
            xs = [i for i, m in enumerate(measured) if m]
            if xs:
                ax.scatter(xs, [measured[i] for i in xs], marker="_", s=900, color="black",
                           zorder=3, label="measured CPU (clock)")
            ax.set_xticks(range(len(mine)), [label(g) for g in mine], fontsize=7)
            ax.set_ylabel(f"{role} CPU µs per exchange")
            ax.set_title(f"{PROTOCOL_TITLES.get(proto, proto)}: {role}")
            ax.grid(axis="y", alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8)
    fig.suptitle("Where the time goes: kernel profile, CPU µs per exchange by bucket\n"
                 + provenance_line(doc) + "\n(profiled runs; rates are not the suite's figures)",
                 fontsize=9)
    fig.tight_layout(rect=(0, 0.08, 1, 0.93))
    written += chartfiles.save(fig, out / "buckets")


def flame_color(name):
    bucket = pr.frame_bucket(name)
    return FLAME_COLORS.get(bucket) if bucket else None


def flame_charts(doc, out, written):
    for g in doc["groups"]:
        exchanges = g["run"]["profiled_exchanges"]
        for role in ("client", "server"):
            folded = g[role]["folded_ns"]
            if not folded:
                continue
            svg = fg.flame_svg(folded, 1 / 1000 / exchanges, f"{g['name']}: {role}",
                               f"CPU µs per exchange over {exchanges:.0f} exchanges; coloured by bucket where "
                               f"a frame matches a rule\n{provenance_line(doc)}",
                               color=flame_color)
            path = out / f"flame-{safe(g['name'])}-{role}.svg"
            path.write_text(svg, encoding="utf-8")
            written.append(path)
    by_name = {g["name"]: g for g in doc["groups"]}
    for comp in doc["comparisons"]:
        f, r = by_name[comp["fresh"]], by_name[comp["reuse"]]
        svg = fg.diff_svg(f["client"]["folded_ns"], 1 / 1000 / f["run"]["profiled_exchanges"],
                          r["client"]["folded_ns"], 1 / 1000 / r["run"]["profiled_exchanges"],
                          f"client: {comp['fresh']} -> {comp['reuse']}",
                          f"CPU µs per exchange\n{provenance_line(doc)}",
                          label_a=f["strategy"], label_b=r["strategy"])
        path = out / f"diff-{safe(comp['reuse'])}-vs-{safe(comp['fresh'])}.svg"
        path.write_text(svg, encoding="utf-8")
        written.append(path)


def draw(doc, out):
    """Every chart of the profile into the directory out; the paths written."""
    written = []
    bucket_chart(doc, out, written)
    flame_charts(doc, out, written)
    return written
