"""Results files plain or gzip-compressed: every tool reads both, the writer is compact."""

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

import sockchurn_results as sr
from sockchurn_results import jsonfile

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"


def test_gz_and_plain_load_the_same(tmp_path):
    doc = json.loads((GOLDEN / "normal.json").read_text())
    jsonfile.write(tmp_path / "a.json.gz", doc)
    jsonfile.write(tmp_path / "a.json", doc)
    assert (tmp_path / "a.json.gz").read_bytes()[:2] == jsonfile.GZIP_MAGIC
    assert json.loads(jsonfile.read_text(tmp_path / "a.json")) == doc
    plain, packed = sr.load(tmp_path / "a.json"), sr.load(tmp_path / "a.json.gz")
    assert plain.rows.equals(packed.rows) and plain.context == packed.context


def test_compact_writer_puts_one_row_a_line(tmp_path):
    doc = {"context": {"a": 1}, "benchmarks": [{"name": "x"}, {"name": "y"}], "paired": []}
    text = jsonfile.dumps(doc)
    assert json.loads(text) == doc
    assert text.splitlines() == ['{', '"context":{"a":1},', '"benchmarks":[', '{"name":"x"},',
                                 '{"name":"y"}', '],', '"paired":[]', '}']


def test_gz_writer_is_reproducible(tmp_path):
    jsonfile.write(tmp_path / "1.json.gz", {"benchmarks": []})
    jsonfile.write(tmp_path / "2.json.gz", {"benchmarks": []})
    assert (tmp_path / "1.json.gz").read_bytes() == (tmp_path / "2.json.gz").read_bytes()


def test_cut_gz_is_one_line(tmp_path):
    data = gzip.compress((GOLDEN / "normal.json").read_bytes())
    (tmp_path / "cut.json.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(sr.ResultsError, match="damaged or cut gzip"):
        sr.load(tmp_path / "cut.json.gz")


def test_merge_reads_gz_parts_and_writes_gz(tmp_path):
    doc = json.loads((GOLDEN / "normal.json").read_text())
    jsonfile.write(tmp_path / "part.json.gz", doc)
    out = tmp_path / "merged.json.gz"
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "merge_results.py"),
                        str(tmp_path / "part.json.gz"), "-o", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert len(json.loads(jsonfile.read_text(out))["benchmarks"]) == len(doc["benchmarks"])


def test_every_tracked_file_is_under_2_mib():
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    big = [name for name in files.decode().split("\0")
           if name and (ROOT / name).is_file() and (ROOT / name).stat().st_size >= 2 << 20]
    assert big == []
