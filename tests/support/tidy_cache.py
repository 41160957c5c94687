"""clang-tidy over a list of files, remembering the files it found clean.

A file's key is what clang-tidy's verdict depends on: its preprocessed text
(every header it includes, without line markers, so that the checkout's path
does not matter), its compile flags with the checkout's path taken out, the
.clang-tidy configuration, the extra arguments and clang-tidy's version. A
file whose key was found clean before is not checked again; any other file is
(in parallel, one process per CPU). Findings are never remembered: a file with
findings is checked again the next time. The cache lives in
$XDG_CACHE_HOME/sockchurn/clang-tidy (~/.cache when unset); SOCKCHURN_TIDY_CACHE=off
turns it off.

usage: tidy_cache.py CLANG_TIDY BUILD_DIR SOURCE_DIR EXTRA_ARGS_JOINED_BY_NEWLINE FILE...
Prints clang-tidy's output for the files with findings; exit 1 when any has
findings, 0 otherwise. The last line says how many files were checked and how
many came from the cache.
"""

import concurrent.futures
import hashlib
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path


def preprocess_command(entry):
    """The compile command of one entry turned into a preprocessing one (stdout)."""
    args = shlex.split(entry["command"])
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a in ("-o", "-c"):
            skip = a == "-o"
            continue
        out.append(a)
    return out[:-1] + ["-E", "-P", out[-1]] if out and out[-1].endswith(".cpp") else out + ["-E", "-P"]


def key_of(entry, source_dir, salt):
    text = subprocess.run(preprocess_command(entry), cwd=entry["directory"],
                          capture_output=True, check=True).stdout
    h = hashlib.sha256(salt)
    h.update(entry["command"].replace(str(source_dir), ".").encode())
    h.update(text)
    return h.hexdigest()


def main(argv):
    if len(argv) < 5:
        print(__doc__.split("usage: ")[1].split("\n")[0], file=sys.stderr)
        return 2
    tidy, build, source = argv[0], Path(argv[1]), Path(argv[2]).resolve()
    extra = [a for a in argv[3].split("\n") if a]
    files = argv[4:]
    entries = {Path(e["file"]).resolve(): e for e in json.loads((build / "compile_commands.json").read_text())}
    version = subprocess.run([tidy, "--version"], capture_output=True, text=True).stdout
    salt = "\0".join([version, (source / ".clang-tidy").read_text(), *extra]).encode()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    cache = None if os.environ.get("SOCKCHURN_TIDY_CACHE") == "off" else Path(base) / "sockchurn" / "clang-tidy"

    def check(f):
        entry = entries[(source / f).resolve()]
        key = key_of(entry, source, salt) if cache else None
        if key and (cache / key).exists():
            return f, True, 0, ""
        run = subprocess.run([tidy, "-p", str(build), "--quiet", "--warnings-as-errors=*", *extra, f],
                             cwd=source, capture_output=True, text=True)
        if run.returncode == 0 and key:
            cache.mkdir(parents=True, exist_ok=True)
            (cache / key).write_text(f + "\n")
        return f, False, run.returncode, run.stdout + run.stderr

    failed, cached = 0, 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for f, hit, rc, output in pool.map(check, files):
            cached += hit
            if rc != 0:
                failed += 1
                lines = [l for l in output.splitlines()
                         if not l.endswith(" generated.") and not l.startswith("Suppressed ")]
                print("\n".join(lines))
    print(f"clang-tidy: {len(files)} files, {cached} found clean before with the same preprocessed text "
          f"and configuration, {failed} with findings")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
