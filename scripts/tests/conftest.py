"""Shared fixtures: the scripts directory on sys.path, golden files, a runner."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

# hypothesis keeps a cache (unicode tables) in its storage directory, by
# default .hypothesis/ in the working directory: keep the tree clean.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY",
                      os.path.join(tempfile.gettempdir(), "sockchurn-hypothesis"))

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
PYTHON = "/usr/bin/python3"

if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))


def golden(name):
    return str(GOLDEN / name)


@pytest.fixture
def run_script(tmp_path):
    """Run scripts/<name> with /usr/bin/python3 from an unrelated cwd."""
    def run(name, *args, cwd=None):
        env = dict(os.environ, MPLBACKEND="Agg", LC_ALL="C.UTF-8")
        return subprocess.run([PYTHON, str(SCRIPTS / name), *map(str, args)],
                              cwd=cwd or tmp_path, capture_output=True, text=True,
                              env=env, timeout=120)
    return run


def run_compare(capsys, *args):
    """compare.py's main on `args`: (exit code, stdout, stderr)."""
    import compare
    code = compare.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def section_lines(text, title):
    """The non-empty lines of one '== title ==' section of text output."""
    lines = text.split("\n")
    start = lines.index(f"== {title} ==")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("== ")), len(lines))
    return [line for line in lines[start + 1:end] if line]


def script_module(name):
    """A script of scripts/ without a .py name (report, readme) loaded as a module."""
    import importlib.machinery
    import importlib.util
    path = Path(__file__).resolve().parents[1] / name
    loader = importlib.machinery.SourceFileLoader(f"{name}_script", str(path))
    spec = importlib.util.spec_from_loader(f"{name}_script", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module
