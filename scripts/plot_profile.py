#!/usr/bin/python3
"""Charts and tables of a sockchurn kernel profile (profile.json from scripts/profile).

  plot_profile.py PROFILE.json -o DIR     redraw the charts and report.md into DIR
  plot_profile.py --collect RAW -o DIR    build DIR/profile.json from the raw files
                                          scripts/profile recorded in RAW, then draw

Writes: buckets.png/.svg (µs of CPU per exchange by bucket, one bar per
strategy, TCP and UDP panels, client and server rows), flame-GROUP-client.svg
and -server.svg per strategy, diff-REUSE-vs-FRESH.svg per comparison pair
(client), and report.md (bucket tables, sum check, syscall tables, what
disappears and what is added). Prints the client bucket table. Exit status:
0 written and every sum check passed, 1 a sum check failed, 2 bad input.
See docs/profile.md.
"""

import argparse
import platform
import re
import sys
from pathlib import Path

import matplotlib.pyplot as plt

from sockchurn_results import chartfiles, jsonfile
from sockchurn_results.jsonfile import read_json
from sockchurn_results.tables import markdown
from sockchurn_results.usage import UsageProblem, key_values
from sockchurn_results import flamegraph as fg
from sockchurn_results import profile as pr

PROG = "plot_profile.py"
BUCKET_COLORS = {"socket create/destroy": "#1f77b4", "port search": "#d62728",
                 "handshake": "#ff7f0e", "data path": "#2ca02c", "teardown": "#9467bd",
                 "epoll": "#8c564b", "scheduler": "#e377c2", pr.SYSCALL_ENTRY: "#bcbd22",
                 pr.OTHER: "#c7c7c7", pr.USER: "#17becf"}
FLAME_COLORS = {"socket create/destroy": "rgb(120,170,230)", "port search": "rgb(240,110,110)",
                "handshake": "rgb(250,175,90)", "data path": "rgb(130,205,120)",
                "teardown": "rgb(190,160,220)", "epoll": "rgb(200,160,130)",
                "scheduler": "rgb(240,170,215)", pr.SYSCALL_ENTRY: "rgb(215,215,120)"}
PROTOCOL_TITLES = {"tcp": "TCP", "udp": "UDP"}
chartfiles.setup(font_size=9, grid=False)


def parse_args(argv):
    p = argparse.ArgumentParser(prog=PROG, description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("profile", nargs="?", help="profile.json to draw")
    p.add_argument("--collect", metavar="RAW",
                   help="directory of raw files from scripts/profile (groups.tsv, N.cpu.txt, ...)")
    p.add_argument("-o", "--output", metavar="DIR", required=True, help="directory for the output")
    p.add_argument("--context", action="append", default=[], metavar="KEY=VALUE",
                   help="with --collect: provenance to record (repeatable)")
    p.add_argument("--setting", action="append", default=[], metavar="KEY=VALUE",
                   help="with --collect: a setting of the profiling run to record (repeatable)")
    p.add_argument("--threads", type=int, default=1, help="with --collect: client threads (default 1)")
    args = p.parse_args(argv)
    if (args.profile is None) == (args.collect is None):
        p.error("give either PROFILE.json or --collect RAW")
    return args


def safe(text):
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "_"


def read_text(path):
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        raise UsageProblem(f"cannot read {path}: {e.strerror}") from None


# ---- collect ------------------------------------------------------------------

def find_syscall_table():
    """Syscall numbers of this machine from its kernel headers, or {}."""
    machine = platform.machine()
    for path in sorted(Path("/usr/include").glob(f"{machine}-*/asm/unistd_64.h")) + \
            [Path("/usr/include/asm/unistd_64.h")]:
        if path.exists():
            return pr.syscall_names(read_text(path))
    return {}


def collect(raw, threads, context, settings, notes):
    raw = Path(raw)
    table = find_syscall_table()
    if not table:
        notes.append("no asm/unistd_64.h: system calls are named by number")
    manifest = raw / "groups.tsv"
    lines = [ln for ln in read_text(manifest).splitlines() if ln.strip()]
    groups, provenance = [], dict(context)
    for number, line in enumerate(lines, 1):
        fields = line.split("\t")
        if len(fields) != 3:
            raise UsageProblem(f"{manifest} line {number}: expected INDEX<TAB>BINARY<TAB>GROUP")
        index, binary, name = fields
        cpu_json, cpu_txt = raw / f"{index}.cpu.json", raw / f"{index}.cpu.txt"
        if not cpu_json.exists() or not cpu_txt.exists():
            notes.append(f"{name}: no profiled run (the benchmark or perf failed); left out")
            continue
        bench = read_json(cpu_json)
        sys_json, sys_txt = raw / f"{index}.sys.json", raw / f"{index}.sys.txt"
        sys_bench = sys_samples = None
        try:
            samples = pr.parse_perf_script(read_text(cpu_txt), str(cpu_txt.name))
            if sys_json.exists() and sys_txt.exists():
                sys_bench = read_json(sys_json)
                sys_samples = pr.parse_perf_script(read_text(sys_txt), str(sys_txt.name))
            else:
                notes.append(f"{name}: no syscall-counting run; no syscall counts")
            groups.append(pr.build_group(name, binary, threads, bench, samples, sys_bench, sys_samples,
                                         table))
        except pr.ProfileError as e:
            notes.append(f"{name}: {e}; left out")
            continue
        for key, value in bench.get("context", {}).items():
            if key in ("kernel", "git_commit", "host_name", "cpu_model", "cores", "num_cpus",
                       "date", "isolation", "library_build_type") or key.startswith("sysctl."):
                provenance.setdefault(key, value)
    if not groups:
        raise UsageProblem(f"{raw}: no strategy group could be profiled ({'; '.join(notes) or 'none listed'})")
    return pr.build_profile(groups, provenance, settings)


# ---- charts ---------------------------------------------------------------------

def label(group):
    protocol, strategy, params = pr.parse_group(group["name"])
    extra = "\n".join(f"{k}:{v}" for k, v in params.items())  # one a line: the ticks do not overlap
    return f"{strategy}\n{extra}" if extra else strategy


def provenance_line(doc):
    p = doc.get("provenance", {})
    return (f"kernel {p.get('kernel', p.get('uname_r', '?'))} · perf {p.get('perf_version', '?')} · "
            f"commit {str(p.get('git_commit', '?'))[:12]} · tcp_tw_reuse="
            f"{p.get('sysctl.net.ipv4.tcp_tw_reuse', '?')} · {p.get('date', '')[:16]}")


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


# ---- report.md --------------------------------------------------------------------

def md_table(head, rows):
    return markdown(head, rows) + "\n"


def check_line(g):
    """The enforced sum check of a group (client + server), with the split."""
    c = pr.enforced_check(g)
    if c["passed"] is None:
        return f"{g['name']}: no measured CPU to check the buckets against"
    what = "client + server" if c is g.get("combined_check") else "client"
    verdict = "passed" if c["passed"] else "FAILED"
    load = ""
    if g["run"].get("steal_cpu") is not None:
        load = (f"; during the run other programs used {g['run']['foreign_cpu_load']:.2f} CPUs "
                f"and the hypervisor took {g['run']['steal_cpu']:.2f}")
    split = ", ".join(f"{role} {g[role]['check']['profiled_us']:.2f} vs {g[role]['check']['measured_us']:.2f} "
                      f"({g[role]['check']['difference'] * 100:+.1f}%)"
                      for role in ("client", "server") if g[role]["check"]["passed"] is not None)
    return (f"{g['name']}: {what}: profiled {c['profiled_us']:.2f} µs vs measured "
            f"{c['measured_us']:.2f} µs per exchange ({c['difference'] * 100:+.1f}%, "
            f"tolerance {c['tolerance'] * 100:.0f}%: {verdict}); unattributed (other) "
            f"{c['other_us']:.2f} µs = {c['other_share'] * 100:.0f}%; "
            f"{g['client']['samples'] + g['server']['samples']} samples{load}\n"
            f"  split (not enforced; samples at a switch between the two land unevenly): {split}")


def report(doc):
    buckets = doc["buckets"]
    parts = ["# Where the time goes: kernel profile\n", provenance_line(doc) + "\n",
             "\n".join(f"- {n}" for n in doc["notes"]) + "\n"]
    for role in ("client", "server"):
        rows = [[g["name"]] + [f"{g[role]['bucket_us'][b]:.2f}" for b in buckets] +
                [f"{sum(g[role]['bucket_us'].values()):.2f}",
                 "-" if g[role]["measured_us"] is None else f"{g[role]['measured_us']:.2f}"]
                for g in doc["groups"]]
        parts.append(f"\n## {role.capitalize()}: CPU µs per exchange by bucket\n\n")
        parts.append(md_table(["group"] + buckets + ["sum", "measured"], rows))
    parts.append("\n## Sum check\n\n" + "\n".join(f"- {check_line(g)}" for g in doc["groups"]) + "\n")
    parts.append("\n## Profiled runs (slowed by perf: not the suite's rates)\n\n")
    parts.append(md_table(["group", "exchanges", "in the window", "exchanges/s", "window from",
                           "samples outside"],
                          [[g["name"], g["run"]["exchanges"], f"{g['run']['profiled_exchanges']:.0f}",
                            f"{g['run']['exchanges_per_s']:.0f}",
                            g["run"]["window"]["method"], g["run"]["window"]["samples_outside"]]
                           for g in doc["groups"]]))
    parts.append("\n## System calls per exchange\n\ncalls: from a separate short run recorded "
                 "with the syscall tracepoints; wall µs: time inside the call, blocking included; "
                 "CPU µs: from the CPU profile.\n")
    for g in doc["groups"]:
        calls = g.get("syscalls", {})
        for role in ("client", "server"):
            cpu = g[role]["syscall_cpu_us"]
            counted = calls.get(role, {})
            names = sorted(set(cpu) | set(counted),
                           key=lambda n: (-counted.get(n, {}).get("calls", 0), -cpu.get(n, 0), n))
            rows = [[n, f"{counted[n]['calls']:.2f}" if n in counted else "-",
                     f"{counted[n]['wall_us']:.2f}" if n in counted else "-",
                     f"{cpu.get(n, 0.0):.2f}"]
                    for n in names if counted.get(n, {}).get("calls", 0) >= 0.01 or cpu.get(n, 0) >= 0.01]
            parts.append(f"\n### {g['name']}: {role}\n\n")
            parts.append(md_table(["syscall", "calls", "wall µs", "CPU µs"], rows))
    for comp in doc["comparisons"]:
        parts.append(f"\n## {comp['fresh']} -> {comp['reuse']} (client)\n\n")
        parts.append(md_table(["bucket", comp["fresh"].split("/")[1], comp["reuse"].split("/")[1],
                               "change"],
                              [[b, f"{a:.2f}", f"{r:.2f}", f"{r - a:+.2f}"]
                               for b, (a, r) in comp["client"]["bucket_us"].items()]))
        fn = comp["client"]["functions"]
        for title, key in (("Gone (in fresh, not in reuse)", "gone"),
                           ("Added (in reuse, not in fresh)", "added"),
                           ("Largest other changes", "changed")):
            parts.append(f"\n{title}, inclusive µs per exchange: " +
                         (", ".join(f"`{n}` {a:.2f} -> {b:.2f}" for n, a, b in fn[key]) or "none") + "\n")
    return "".join(parts)


def draw(doc, out):
    out.mkdir(parents=True, exist_ok=True)
    written = []
    bucket_chart(doc, out, written)
    flame_charts(doc, out, written)
    path = out / "report.md"
    path.write_text(report(doc), encoding="utf-8")
    written.append(path)
    return written


def main(argv=None):
    args = parse_args(argv)
    notes = []
    out = Path(args.output)
    try:
        if args.collect:
            doc = collect(args.collect, args.threads, key_values(args.context, "context"),
                          key_values(args.setting, "setting"), notes)
            out.mkdir(parents=True, exist_ok=True)
            (out / "profile.json").write_text(jsonfile.dumps(doc), encoding="utf-8")
        else:
            doc = pr.check_profile(read_json(args.profile), args.profile)
        written = draw(doc, out)
    except (pr.ProfileError, UsageProblem) as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"{PROG}: cannot write into {out}: {e.strerror}", file=sys.stderr)
        return 2
    for note in notes:
        print(f"{PROG}: note: {note}", file=sys.stderr)
    print("Client CPU µs per exchange by bucket (profiled runs; rates not the suite's figures):")
    print(pr.bucket_table_text(doc, "client"))
    print("Server CPU µs per exchange by bucket:")
    print(pr.bucket_table_text(doc, "server"))
    for g in doc["groups"]:
        print(check_line(g))
    print("wrote:\n" + "\n".join(f"  {p}" for p in ([out / "profile.json"] if args.collect else [])
                                   + written))
    return 0 if not doc["sum_check"]["failed"] else 1


if __name__ == "__main__":
    sys.exit(main())
