"""Reading and writing results files, plain or gzip-compressed.

Every tool reads results through ``read_text``: a file that starts with
gzip's magic bytes (``NAME.json.gz``, as the committed references are kept
so that no tracked file passes 2 MiB) is decompressed, anything else is read
as UTF-8 text; ``read_json`` decodes it, with the one-line messages of
usage.UsageProblem. ``dumps`` writes a document compactly, one benchmark row a
line, so a file stays small and a diff stays readable.
"""

import gzip
import json
from pathlib import Path

from .usage import UsageProblem

GZIP_MAGIC = b"\x1f\x8b"


def read_text(path):
    """The text of PATH, decompressed when it is gzip. Raises OSError,
    UnicodeDecodeError (not UTF-8) or EOFError/gzip.BadGzipFile (a cut or
    damaged .gz), which callers turn into their one-line messages."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == GZIP_MAGIC:
        data = gzip.decompress(data)
    return data.decode("utf-8")


def read_json(path):
    """The JSON document in PATH, plain or gzip-compressed; a file that cannot
    be read or is not JSON raises UsageProblem saying so."""
    try:
        return json.loads(read_text(path))
    except OSError as e:
        raise UsageProblem(f"cannot read {path}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise UsageProblem(f"{path}: not JSON ({e.msg} at line {e.lineno})") from None
    except (UnicodeDecodeError, EOFError, ValueError):
        raise UsageProblem(f"{path}: not a JSON or gzip-compressed JSON file") from None


def dumps(doc):
    """A JSON document as text, compact: top-level keys one a line, and each
    item of a top-level list (the benchmark rows, the paired groups) on a line
    of its own."""
    if not isinstance(doc, dict):
        return json.dumps(doc, separators=(",", ":")) + "\n"
    parts = []
    for key, value in doc.items():
        if isinstance(value, list):
            items = ",\n".join(json.dumps(v, separators=(",", ":")) for v in value)
            text = f"[\n{items}\n]" if value else "[]"
        else:
            text = json.dumps(value, separators=(",", ":"))
        parts.append(f"{json.dumps(key)}:{text}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def write(path, doc, mode="x"):
    """Write DOC to PATH (gzip-compressed when PATH ends in .gz, reproducibly:
    no name or time in the header). mode "x" never overwrites."""
    text = dumps(doc).encode("utf-8")
    if str(path).endswith(".gz"):
        text = gzip.compress(text, compresslevel=9, mtime=0)
    with open(path, mode + "b") as f:
        f.write(text)


def stem(path):
    """A results file's name without .json or .json.gz (the prefix of its charts and report)."""
    name = Path(path).name
    for suffix in (".gz", ".json"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name
