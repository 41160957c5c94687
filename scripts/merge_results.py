#!/usr/bin/python3
"""Merge the Google Benchmark JSON files of one suite run into one results file.

The benchmarks are concatenated in order (family_index renumbered so that it
stays unique); the context is the first file's, with every key whose value
differs between files joined as "a | b" (except strategy_roles: the union of
the parts' NAME=ROLE lists, in order), plus the keys given with --context.
The schema stays Google Benchmark's, so its compare.py reads the result.

--dims-for PART=DIMS adds name dimensions to every row of one part, e.g.
section:tw_reuse/tw_reuse:0: they go before the time flags and threads:N
(tcp/fresh_close/.../placement:same/section:tw_reuse/tw_reuse:0/real_time/threads:1),
so that the rows of a suite section differ from the main sweep's and from
each other (docs/results-format.md).

--paired FILE... adds the rotation groups of scripts/paired's results files
(their "paired" lists, and their context's paired_* keys) to the merged
file's "paired" list, after those the inputs carry; Google Benchmark's own
tools ignore the key.

The output is compact, one benchmark row a line; an output named NAME.json.gz
is gzip-compressed (every tool reads both). Parts may be .json.gz too.
"""
import argparse
import json
import os
import re
import sys


from sockchurn_results.loading import ResultsError, parse_paired
from sockchurn_results import jsonfile
from sockchurn_results.roles import CONTEXT_KEY, RolesError, merge_roles

PROG = "merge_results.py"


def fail(message):
    """One line on stderr, exit status 2."""
    print(f"{PROG}: {message}", file=sys.stderr)
    sys.exit(2)


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
    except (json.JSONDecodeError, RecursionError):
        return None
    return doc if isinstance(doc, dict) else None


def load(path):
    """(document, truncated) of one part; one line and exit 2 if unusable."""
    try:
        text = jsonfile.read_text(path)
    except OSError as e:
        fail(f"{path}: cannot read ({e.strerror})")
    except UnicodeDecodeError:
        fail(f"{path}: not JSON (not UTF-8 text)")
    except (EOFError, ValueError):
        fail(f"{path}: a damaged or cut gzip file")
    truncated = False
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        doc = close_truncated(text)
        if doc is None:
            fail(f"{path}: not JSON ({getattr(e, 'msg', e)})")
        truncated = True
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list):
        fail(f"{path}: not a Google Benchmark JSON file (no 'benchmarks' list)")
    return doc, truncated


_TAIL = ("real_time", "process_time", "manual_time")
_DIMS = re.compile(r"[a-z_][a-z0-9_]*:[A-Za-z0-9_.=-]+(/[a-z_][a-z0-9_]*:[A-Za-z0-9_.=-]+)*")


def with_dims(run_name, dims):
    """run_name with the name dimensions `dims` ("key:value/...") inserted
    before its time flags and threads:N (appended when it has neither)."""
    segments = run_name.split("/")
    at = len(segments)
    while at > 1 and (segments[at - 1] in _TAIL or segments[at - 1].startswith("threads:")):
        at -= 1
    return "/".join(segments[:at] + dims.split("/") + segments[at:])


def add_dims(document, dims):
    """Every row of `document` renamed with `dims` (name and run_name; an
    aggregate's name keeps its suffix)."""
    for row in document["benchmarks"]:
        if not isinstance(row, dict) or not isinstance(row.get("name"), str):
            continue
        run_name = row.get("run_name") if isinstance(row.get("run_name"), str) else row["name"]
        new_run = with_dims(run_name, dims)
        suffix = row["name"][len(run_name):] if row["name"].startswith(run_name) else ""
        row["name"] = new_run + suffix
        if "run_name" in row:
            row["run_name"] = new_run


def merge(documents, extra_context, paired=()):
    """Return one Google Benchmark document made of `documents` (dicts),
    with their "paired" lists and then `paired`'s groups under "paired" (the
    key only when there is a group). Raises RolesError when the parts give
    one strategy two roles."""
    context = {}
    roles = [doc["context"].get(CONTEXT_KEY) for doc in documents
             if isinstance(doc.get("context"), dict)]
    for doc in documents:
        part = doc.get("context")
        for key, value in (part.items() if isinstance(part, dict) else ()):
            if key not in context:
                context[key] = value
            elif value != context[key] and str(value) not in str(context[key]).split(" | "):
                context[key] = f"{context[key]} | {value}"
    if any(r is not None for r in roles):
        context[CONTEXT_KEY] = merge_roles(roles)
    context.update(extra_context)
    benchmarks = []
    offset = 0
    for doc in documents:
        rows = doc.get("benchmarks", [])
        for row in rows:
            row = dict(row)
            if isinstance(row.get("family_index"), int):
                row["family_index"] += offset
            benchmarks.append(row)
        offset = 1 + max((r["family_index"] for r in benchmarks
                          if isinstance(r.get("family_index"), int)), default=-1)
    merged = {"context": context, "benchmarks": benchmarks}
    groups = [g for doc in documents for g in doc.get("paired", [])] + list(paired)
    if groups:
        merged["paired"] = groups
    return merged


def load_paired(paths):
    """(groups, context) of scripts/paired's files: every "paired" group, and
    their context's paired_* keys (differing values joined by " | ")."""
    groups, context = [], {}
    for path in paths:
        try:
            doc = json.loads(jsonfile.read_text(path))
        except (OSError, EOFError, UnicodeDecodeError, ValueError) as e:
            fail(f"--paired {path}: cannot read it as JSON ({getattr(e, 'strerror', None) or e})")
        try:
            found = parse_paired(doc if isinstance(doc, dict) else {"paired": None}, path)
        except ResultsError as e:
            fail(f"--paired {e}")
        if not found:
            fail(f"--paired {path}: no \"paired\" groups in it")
        groups += found
        part = doc.get("context") if isinstance(doc.get("context"), dict) else {}
        for key, value in part.items():
            if key.startswith("paired_") and str(value) not in context.get(key, "").split(" | "):
                context[key] = f"{context[key]} | {value}" if key in context else str(value)
    return groups, context


def main():
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", help="Google Benchmark JSON files")
    parser.add_argument("-o", "--output", required=True, help="merged results file to write (must not exist)")
    parser.add_argument("--context", action="append", default=[], metavar="KEY=VALUE",
                        help="extra context entry (repeatable)")
    parser.add_argument("--dims-for", action="append", default=[], metavar="PART=DIMS",
                        help="add name dimensions DIMS (key:value/...) to every row of the input PART "
                             "(repeatable)")
    parser.add_argument("--paired", nargs="+", action="extend", default=[], metavar="FILE",
                        help="scripts/paired results files whose rotation groups go into the "
                             "merged file's \"paired\" list")
    args = parser.parse_args()
    check_output(args.output)
    dims_for = {}
    for item in args.dims_for:
        path, sep, dims = _split_dims_for(item)
        if not sep or not path or not _DIMS.fullmatch(dims):
            fail(f"--dims-for '{item}' is not PART=key:value[/key:value...]")
        if path not in args.inputs:
            fail(f"--dims-for '{item}': {path} is not one of the inputs")
        dims_for[path] = dims
    paired, paired_context = load_paired(args.paired)
    documents = []
    for path in args.inputs:
        doc, truncated = load(path)
        if truncated:
            print(f"{PROG}: {path}: cut short after {len(doc['benchmarks'])} finished rows; "
                  "keeping them", file=sys.stderr)
        if path in dims_for:
            add_dims(doc, dims_for[path])
        documents.append(doc)
    extra = dict(paired_context)
    for item in args.context:
        key, sep, value = item.partition("=")
        if not sep or not key:
            fail(f"--context '{item}' is not KEY=VALUE")
        extra[key] = value
    try:
        merged = merge(documents, extra, paired)
    except RolesError as e:
        fail(str(e))
    try:
        jsonfile.write(args.output, merged)
    except FileExistsError:
        fail(f"{args.output} exists already; results are never overwritten")
    except OSError as e:
        fail(f"cannot write {args.output}: {e.strerror}")


def _split_dims_for(item):
    """"PART=DIMS" -> (PART, "=", DIMS) at the first "=" followed by a
    dimension (a DIMS value may hold "=" itself, a PART too)."""
    for match in re.finditer("=", item):
        dims = item[match.end():]
        if _DIMS.fullmatch(dims):
            return item[:match.start()], "=", dims
    return item, "", ""


def check_output(path):
    """Refuse an output that cannot be written, before reading anything."""
    directory = os.path.dirname(path) or "."
    if os.path.lexists(path):
        fail(f"{path} exists already; results are never overwritten")
    if os.path.exists(directory) and not os.path.isdir(directory):
        fail(f"cannot write {path}: {directory} is not a directory")
    if not os.path.isdir(directory):
        fail(f"cannot write {path}: directory {directory} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        fail(f"cannot write {path}: directory {directory} is not writable")


if __name__ == "__main__":
    main()
