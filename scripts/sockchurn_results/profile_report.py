"""A kernel profile in words and tables: report.md, the bucket tables
plot_profile.py prints, each group's sum check in one line.

Pure: a profile.json document (profile.py) in, text out.
"""

from . import profile as pr
from .tables import aligned, markdown


def provenance_line(doc):
    p = doc.get("provenance", {})
    return (f"kernel {p.get('kernel', p.get('uname_r', '?'))} · perf {p.get('perf_version', '?')} · "
            f"commit {str(p.get('git_commit', '?'))[:12]} · tcp_tw_reuse="
            f"{p.get('sysctl.net.ipv4.tcp_tw_reuse', '?')} · {p.get('date', '')[:16]}")


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


def report_md(doc):
    """report.md: the bucket tables, the sum check, the runs, the system calls and each comparison."""
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


def bucket_rows(profile, role="client"):
    """[(group, {bucket: µs}, total, measured, check)] for a loaded profile.json."""
    rows = []
    for g in profile["groups"]:
        r = g[role]
        rows.append((g["name"], r["bucket_us"], sum(r["bucket_us"].values()),
                     r["measured_us"], r["check"]))
    return rows


def _short(bucket):
    return {"socket create/destroy": "sock c/d", "port search": "port",
            "handshake": "handshake", "data path": "data", "teardown": "teardown",
            "epoll": "epoll", "scheduler": "sched", pr.SYSCALL_ENTRY: "entry",
            pr.OTHER: "other", pr.USER: "user"}.get(bucket, bucket)


def bucket_table_text(profile, role="client"):
    """Aligned text table: µs per exchange per bucket, one row per group."""
    head = ["group"] + [_short(b) for b in pr.BUCKETS] + ["sum", "measured", "diff", "other%"]
    rows = []
    for name, buckets, total, measured, check in bucket_rows(profile, role):
        diff = check.get("difference")
        rows.append([name] + [f"{buckets.get(b, 0):.2f}" for b in pr.BUCKETS] +
                    [f"{total:.2f}", "-" if measured is None else f"{measured:.2f}",
                     "-" if diff is None else f"{diff * 100:+.1f}%",
                     f"{check['other_share'] * 100:.0f}%"])
    return aligned(head, rows, right=range(1, len(head))) + "\n"
