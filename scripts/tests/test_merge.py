"""merge_results.py: strategy_roles union, output paths refused in one line."""

import json
import os

import pytest

from conftest import golden


def part(tmp_path, name, roles=None, **context):
    doc = json.load(open(golden("kernel_a.json")))
    if roles is not None:
        doc["context"]["strategy_roles"] = roles
    doc["context"].update(context)
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_strategy_roles_are_merged_into_one_union_in_order(run_script, tmp_path):
    a = part(tmp_path, "a.json", "fresh_close=fresh,reuse_unspec=reuse,keepalive=reference",
             kernel="x")
    b = part(tmp_path, "b.json", "fresh_close=fresh,reuse_unspec=reuse,sendto=reference",
             kernel="y")
    c = part(tmp_path, "c.json")                      # an old part without roles
    out = tmp_path / "merged.json"
    result = run_script("merge_results.py", a, b, c, "-o", out)
    assert (result.returncode, result.stderr) == (0, "")
    context = json.loads(out.read_text())["context"]
    assert context["strategy_roles"] == \
        "fresh_close=fresh,reuse_unspec=reuse,keepalive=reference,sendto=reference"
    assert context["kernel"] == "x | y | 6.1.0-18-amd64"


def test_conflicting_roles_are_refused(run_script, tmp_path):
    a = part(tmp_path, "a.json", "x=fresh")
    b = part(tmp_path, "b.json", "x=reuse")
    out = tmp_path / "merged.json"
    result = run_script("merge_results.py", a, b, "-o", out)
    assert result.returncode == 2 and not out.exists()
    assert result.stderr == ("merge_results.py: strategy_roles: x is fresh in one part "
                             "and reuse in another\n")


def test_missing_directory_is_one_line(run_script, tmp_path):
    target = tmp_path / "nonexistent" / "x.json"
    result = run_script("merge_results.py", golden("kernel_a.json"), "-o", target)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (f"merge_results.py: cannot write {target}: directory "
                             f"{target.parent} does not exist\n")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a mode 0500 directory")
def test_unwritable_directory_is_one_line(run_script, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = run_script("merge_results.py", golden("kernel_a.json"), "-o", locked / "x.json")
    finally:
        locked.chmod(0o700)
    assert result.returncode == 2
    assert result.stderr == (f"merge_results.py: cannot write {locked / 'x.json'}: "
                             f"directory {locked} is not writable\n")


def test_file_as_directory_is_one_line(run_script, tmp_path):
    plain = tmp_path / "plain"
    plain.write_text("")
    result = run_script("merge_results.py", golden("kernel_a.json"), "-o", plain / "x.json")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (f"merge_results.py: cannot write {plain / 'x.json'}: "
                             f"{plain} is not a directory\n")


def test_existing_output_and_bad_input_are_one_line(run_script, tmp_path):
    existing = tmp_path / "x.json"
    existing.write_text("{}")
    result = run_script("merge_results.py", golden("kernel_a.json"), "-o", existing)
    assert (result.returncode, result.stderr) == (
        2, f"merge_results.py: {existing} exists already; results are never overwritten\n")
    bad = tmp_path / "bad.json"
    bad.write_text("[1]")
    result = run_script("merge_results.py", bad, "-o", tmp_path / "y.json")
    assert (result.returncode, result.stderr) == (
        2, f"merge_results.py: {bad}: not a Google Benchmark JSON file (no 'benchmarks' list)\n")
