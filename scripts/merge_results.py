#!/usr/bin/python3
"""Merge the Google Benchmark JSON files of one suite run into one results file.

The benchmarks are concatenated in order (family_index renumbered so that it
stays unique); the context is the first file's, with every key whose value
differs between files joined as "a | b", plus the keys given with --context.
The schema stays Google Benchmark's, so its compare.py reads the result.
"""
import argparse
import json
import sys


def close_truncated(text):
    """A results file whose writer was stopped mid-run (watchdog exit 3, a
    signal, a crash) ends after its last finished row: the benchmark binaries
    flush after every row. Close its list and object; None if that does not
    make it JSON (the file was cut somewhere else)."""
    body = text.rstrip()
    if body.endswith(","):
        body = body[:-1]
    try:
        doc = json.loads(body + "\n  ]\n}\n")
    except json.JSONDecodeError:
        return None
    return doc if isinstance(doc, dict) else None


def load(path):
    """(document, truncated) of one part; exits with one line if unreadable."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        sys.exit(f"merge_results.py: {path}: {e}")
    truncated = False
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        doc = close_truncated(text)
        if doc is None:
            sys.exit(f"merge_results.py: {path}: not JSON: {e}")
        truncated = True
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list):
        sys.exit(f"merge_results.py: {path}: not a Google Benchmark JSON file (no 'benchmarks' list)")
    return doc, truncated


def merge(documents, extra_context):
    """Return one Google Benchmark document made of `documents` (dicts)."""
    context = {}
    for doc in documents:
        for key, value in doc.get("context", {}).items():
            if key not in context:
                context[key] = value
            elif value != context[key] and str(value) not in str(context[key]).split(" | "):
                context[key] = f"{context[key]} | {value}"
    context.update(extra_context)
    benchmarks = []
    offset = 0
    for doc in documents:
        rows = doc.get("benchmarks", [])
        for row in rows:
            row = dict(row)
            if "family_index" in row:
                row["family_index"] += offset
            benchmarks.append(row)
        offset = 1 + max((r.get("family_index", -1) for r in benchmarks), default=-1)
    return {"context": context, "benchmarks": benchmarks}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", help="Google Benchmark JSON files")
    parser.add_argument("-o", "--output", required=True, help="merged results file to write (must not exist)")
    parser.add_argument("--context", action="append", default=[], metavar="KEY=VALUE",
                        help="extra context entry (repeatable)")
    args = parser.parse_args()
    documents = []
    for path in args.inputs:
        doc, truncated = load(path)
        if truncated:
            print(f"merge_results.py: {path}: cut short after {len(doc['benchmarks'])} finished rows; "
                  "keeping them", file=sys.stderr)
        documents.append(doc)
    extra = {}
    for item in args.context:
        key, sep, value = item.partition("=")
        if not sep or not key:
            sys.exit(f"merge_results.py: --context '{item}' is not KEY=VALUE")
        extra[key] = value
    try:
        with open(args.output, "x", encoding="utf-8") as f:
            json.dump(merge(documents, extra), f, indent=2)
            f.write("\n")
    except FileExistsError:
        sys.exit(f"merge_results.py: {args.output} exists already; results are never overwritten")


if __name__ == "__main__":
    main()
