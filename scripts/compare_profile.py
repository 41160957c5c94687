#!/usr/bin/python3
"""Set two sockchurn kernel profiles (profile.json from scripts/profile) side by side.

For every strategy group in both, the CPU µs per exchange of each bucket in A
and in B and the change (B - A, and in percent of A), e.g. two kernels, or
before and after a sysctl change. Groups found in only one file are listed.
See docs/profile.md.
"""

import argparse
import os
import sys

from sockchurn_results import profile as pr
from sockchurn_results.jsonfile import read_json
from sockchurn_results.tables import aligned, markdown
from sockchurn_results.usage import UsageProblem

PROG = "compare_profile.py"


def parse_args(argv):
    p = argparse.ArgumentParser(prog=PROG, description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("a", help="profile.json A")
    p.add_argument("b", help="profile.json B")
    p.add_argument("--role", choices=("client", "server"), default="client",
                   help="which process's CPU to compare (default: %(default)s)")
    p.add_argument("--format", choices=("text", "md"), default="text",
                   help="aligned text (default) or a Markdown table")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    return p.parse_args(argv)


def load(path):
    return pr.check_profile(read_json(path), path)


def compare_rows(a, b, role="client"):
    """[(group, bucket, a µs, b µs, change µs, change % or None)] for common
    groups, the buckets of both files in A's order then B's, plus a "sum" row."""
    ga = {g["name"]: g for g in a["groups"]}
    gb = {g["name"]: g for g in b["groups"]}
    buckets = list(a.get("buckets", [])) + [x for x in b.get("buckets", []) if x not in a.get("buckets", [])]
    rows = []
    for name in [n for n in ga if n in gb]:
        ua, ub = ga[name][role]["bucket_us"], gb[name][role]["bucket_us"]
        for bucket in buckets + ["sum"]:
            x = sum(ua.values()) if bucket == "sum" else ua.get(bucket, 0.0)
            y = sum(ub.values()) if bucket == "sum" else ub.get(bucket, 0.0)
            rows.append((name, bucket, x, y, y - x, (y - x) / x * 100 if x > 0 else None))
    only_a = [n for n in ga if n not in gb]
    only_b = [n for n in gb if n not in ga]
    return rows, only_a, only_b


def provenance(doc, path):
    p = doc.get("provenance", {})
    return (f"{path}: kernel {p.get('kernel', p.get('uname_r', '?'))}, perf {p.get('perf_version', '?')}, "
            f"commit {str(p.get('git_commit', '?'))[:12]}, tcp_tw_reuse="
            f"{p.get('sysctl.net.ipv4.tcp_tw_reuse', '?')}, ip_local_port_range="
            f"{p.get('sysctl.net.ipv4.ip_local_port_range', '?')}")


def render(rows, fmt, header):
    head = ["group", "bucket", "A µs", "B µs", "change µs", "change %"]
    cells = [[g, k, f"{x:.2f}", f"{y:.2f}", f"{d:+.2f}", "-" if p is None else f"{p:+.0f}%"]
             for g, k, x, y, d, p in rows]
    table = markdown(head, cells) if fmt == "md" else aligned(head, cells, right=range(2, len(head)))
    return "\n".join(header) + "\n\n" + table + "\n"


def main(argv=None):
    args = parse_args(argv)
    try:
        a, b = load(args.a), load(args.b)
        rows, only_a, only_b = compare_rows(a, b, args.role)
        if not rows:
            raise UsageProblem(f"{args.a} and {args.b} have no strategy group in common")
        header = [f"{args.role} CPU µs per exchange by bucket (profiled runs)",
                  "A = " + provenance(a, args.a), "B = " + provenance(b, args.b)]
        header += [f"only in A: {n}" for n in only_a] + [f"only in B: {n}" for n in only_b]
        text = render(rows, args.format, header)
        if args.output:
            try:
                with open(args.output, "w", encoding="utf-8") as f:
                    f.write(text)
            except OSError as e:
                raise UsageProblem(f"cannot write {args.output}: {e.strerror}") from None
        else:
            sys.stdout.write(text)
    except (pr.ProfileError, UsageProblem) as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
