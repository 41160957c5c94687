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
import sys
from pathlib import Path

from sockchurn_results import chartfiles, jsonfile, profile_charts, profile_report
from sockchurn_results import profile as pr
from sockchurn_results.jsonfile import read_json
from sockchurn_results.usage import UsageProblem, key_values

PROG = "plot_profile.py"
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


def read_text(path):
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        raise UsageProblem(f"cannot read {path}: {e.strerror}") from None


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


def draw(doc, out):
    out.mkdir(parents=True, exist_ok=True)
    written = profile_charts.draw(doc, out)
    path = out / "report.md"
    path.write_text(profile_report.report_md(doc), encoding="utf-8")
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
    print(profile_report.bucket_table_text(doc, "client"))
    print("Server CPU µs per exchange by bucket:")
    print(profile_report.bucket_table_text(doc, "server"))
    for g in doc["groups"]:
        print(profile_report.check_line(g))
    print("wrote:\n" + "\n".join(f"  {p}" for p in ([out / "profile.json"] if args.collect else [])
                                   + written))
    return 0 if not doc["sum_check"]["failed"] else 1


if __name__ == "__main__":
    sys.exit(main())
