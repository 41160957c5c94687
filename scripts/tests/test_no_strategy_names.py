"""No strategy name in scripts/ code: the scripts select strategies by role
and capability (the binaries' --list-groups --json, the results' roles) or
from data files, never by name (docs/design.md). Comments, docstrings, data
files (JSON, nft) and the tests are not code here.

The names: the built binaries' registry (SOCKCHURN_BIN_DIR, default
build/release/bin) and, always, the rows of src/model/registry.cpp and the
proxy's backend table (proxy/backend.cpp), so the check runs without a build
too."""

import ast
import io
import json
import os
import re
import subprocess
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
BIN = Path(os.environ.get("SOCKCHURN_BIN_DIR", ROOT / "build" / "release" / "bin"))
# A registry row: StrategyInfo{P::tcp, "fresh_close", ...}; a proxy row:
# BackendStrategy{"fresh_close", ...}.
ROW = re.compile(r'(?:StrategyInfo\{P::[a-z]+,|BackendStrategy\{)\s*"([a-z0-9_]+)"')


def registry_names():
    names = set(ROW.findall((ROOT / "src/model/registry.cpp").read_text(encoding="utf-8")))
    assert len(names) >= 8, f"read only {sorted(names)} from src/model/registry.cpp: has its row format changed?"
    names |= set(ROW.findall((ROOT / "proxy/backend.cpp").read_text(encoding="utf-8")))
    for binary in ("tcp_churn", "udp_churn"):
        if os.access(BIN / binary, os.X_OK):
            done = subprocess.run([str(BIN / binary), "--list-groups", "--json"], capture_output=True,
                                  text=True, timeout=60)
            assert done.returncode == 0, done.stderr
            names |= {s["name"] for s in json.loads(done.stdout)["strategies"]}
    return names


def script_files():
    """scripts/ code: *.py and the programs without a suffix (by their #!)."""
    for path in sorted(SCRIPTS.rglob("*")):
        if not path.is_file() or "tests" in path.relative_to(SCRIPTS).parts or "__pycache__" in path.parts:
            continue
        if path.suffix == ".py":
            yield path, "python"
        elif not path.suffix:
            first = path.read_text(encoding="utf-8", errors="replace").split("\n", 1)[0]
            if first.startswith("#!") and "python" in first:
                yield path, "python"
            elif first.startswith("#!") and ("bash" in first or first.endswith("/sh")):
                yield path, "shell"


def docstring_lines(tree):
    """The line numbers of every docstring of a module, class or function."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                lines.update(range(first.lineno, first.end_lineno + 1))
    return lines


def python_code(text):
    """(line, text) of every token that is code: no comments, no docstrings."""
    skip = docstring_lines(ast.parse(text))
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            continue
        if tok.start[0] in skip:
            continue
        # A token may span lines (a triple-quoted string): report each line.
        for k, line in enumerate(tok.string.split("\n")):
            yield tok.start[0] + k, line


# A shell comment: '#' at the start of a line or after a blank (not $#, ${#a}).
SHELL_COMMENT = re.compile(r"(^|\s)#.*$")


def shell_code(text):
    for n, line in enumerate(text.split("\n"), 1):
        if n == 1 and line.startswith("#!"):
            continue
        yield n, SHELL_COMMENT.sub("", line)


def offences(names):
    word = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(sorted(map(re.escape, names))) + r")(?![A-Za-z0-9_])")
    for path, kind in script_files():
        text = path.read_text(encoding="utf-8")
        code = python_code(text) if kind == "python" else shell_code(text)
        for line, fragment in code:
            for m in word.finditer(fragment):
                yield f"{path.relative_to(ROOT)}:{line}: {m.group(1)}"


def test_scripts_name_no_strategy():
    found = sorted(set(offences(registry_names())))
    assert not found, "strategy names in scripts/ code (select by role or capability):\n" + "\n".join(found)


def test_the_scan_sees_code_and_skips_prose(tmp_path):
    """The scanner itself: a name in code is found, in a comment or a
    docstring it is not."""
    py = '"""Doc: fresh_close."""\nx = 1  # fresh_close\ny = "fresh_close"\n'
    assert [n for n, frag in python_code(py) if "fresh_close" in frag] == [3]
    sh = '#!/bin/sh\n# fresh_close\necho fresh_close # fresh_close\necho ${#a}\n'
    assert [n for n, frag in shell_code(sh) if "fresh_close" in frag] == [3]
