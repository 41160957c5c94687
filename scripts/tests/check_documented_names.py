#!/usr/bin/python3
"""Check that docs/results-format.md names everything a real run writes.

Runs tcp_churn, udp_churn and syscall_cost from BINDIR briefly (every
benchmark once, one client thread, --benchmark_min_time=0.01), each in a
network namespace of its own, and fails naming every counter, context key,
strategy, syscall op and name dimension of their JSON that the doc does not
mention in `backticks`. Exit status: 0 all documented, 1 something is
missing or a binary failed, 2 a usage error, 77 (CTest's skip) when no
private network namespace can be made (not root).

The same check runs in pytest against the committed results file
(scripts/tests/test_docs.py).
"""

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from sockchurn_results.loading import _GB_KEYS  # noqa: E402
from sockchurn_results.names import parse_name  # noqa: E402

DOC = ROOT / "docs" / "results-format.md"
PROG = "check_documented_names.py"
RUNS = (("tcp_churn", ["--threads=1"]), ("udp_churn", ["--threads=1"]), ("syscall_cost", []))
SKIP = 77


def documented(text):
    """Every `backticked` span of the doc, and each identifier-like word in them."""
    spans = re.findall(r"`([^`\n]+)`", text)
    words = {w for span in spans for w in re.findall(r"[A-Za-z0-9_.<>]+", span)}
    return set(spans) | words


def written_names(doc):
    """{kind: set of names} of one Google Benchmark JSON document."""
    out = {"counter": set(), "context key": set(), "strategy": set(), "syscall op": set(),
           "name dimension": set()}
    out["context key"].update(doc.get("context", {}))
    for row in doc.get("benchmarks", []):
        out["counter"].update(k for k, v in row.items() if k not in _GB_KEYS
                              and isinstance(v, (int, float)) and not isinstance(v, bool))
        parsed = parse_name(row.get("run_name") or row["name"])
        if parsed["group"] in ("tcp", "udp"):
            out["strategy"].add(parsed["strategy"])
        elif parsed["group"] == "syscall":
            out["syscall op"].add(parsed["strategy"])
        out["name dimension"].update(f"{key}:" for key in parsed["dims"])
    return out


def missing(doc_text, names):
    """["counter max_us", ...]: what `names` has that the doc does not mention."""
    known = documented(doc_text)
    out = []
    for kind, values in names.items():
        for name in sorted(values):
            if kind == "counter" and re.fullmatch(r"errors_[A-Z0-9]+", name):
                if "errors_<ERRNO>" in known:
                    continue
            if kind == "counter" and re.fullmatch(r"errors_[A-Z0-9]+_per_s", name):
                if "errors_<ERRNO>_per_s" in known:
                    continue
            if kind == "counter" and re.fullmatch(r"conntrack_entries_[A-Z_]+", name):
                if "conntrack_entries_<STATE>" in known:
                    continue
            if kind == "name dimension" and (name in doc_text or f"/{name}" in doc_text):
                continue
            if name not in known:
                out.append(f"{kind} {name}")
    return out


def run_isolated(binary, flags):
    """The JSON document of one brief run in a network namespace of its own."""
    command = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", binary,
               "--benchmark_min_time=0.01", "--benchmark_format=json", *flags]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        last = (result.stderr.strip().split("\n") or [""])[-1]
        raise RuntimeError(f"{os.path.basename(binary)} exited with status {result.returncode}: {last}")
    return json.loads(result.stdout)


def main(argv=None):
    p = argparse.ArgumentParser(prog=PROG, description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bindir", help="directory with tcp_churn, udp_churn, syscall_cost")
    p.add_argument("--doc", default=str(DOC), help="the doc to check (default: %(default)s)")
    args = p.parse_args(argv)
    binaries = [os.path.join(args.bindir, name) for name, _ in RUNS]
    absent = [b for b in binaries if not os.access(b, os.X_OK)]
    if absent:
        print(f"{PROG}: {absent[0]}: not an executable file", file=sys.stderr)
        return 2
    if os.geteuid() != 0 or subprocess.run(["unshare", "-n", "true"]).returncode != 0:
        print(f"SKIPPED: {PROG} needs root for a network namespace of its own")
        return SKIP
    names = {}
    for binary, (_, flags) in zip(binaries, RUNS):
        try:
            doc = run_isolated(binary, flags)
        except (RuntimeError, ValueError, subprocess.TimeoutExpired) as e:
            print(f"{PROG}: {e}", file=sys.stderr)
            return 1
        for kind, values in written_names(doc).items():
            names.setdefault(kind, set()).update(values)
    try:
        text = Path(args.doc).read_text(encoding="utf-8")
    except OSError as e:
        print(f"{PROG}: {args.doc}: cannot read ({e.strerror})", file=sys.stderr)
        return 2
    gaps = missing(text, names)
    for gap in gaps:
        print(f"{PROG}: {args.doc} does not document the {gap}", file=sys.stderr)
    if not gaps:
        print(f"{PROG}: {sum(len(v) for v in names.values())} names written by the binaries, "
              f"all in {args.doc}")
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main())
