"""Paired ratios in results files: loading, merge_results.py --paired, and
compare.py's one- and two-file verdicts (committed files golden/paired_a.json,
golden/paired_b.json: the fake worker's runs, B with fresh_close 30% faster
and every fresh_close slice busy)."""

import json
import math

import pytest

import sockchurn_results as sr
from conftest import SCRIPTS, golden, run_compare
from sockchurn_results.paired_report import change_verdict
from sockchurn_results.paired_stats import RUN_TO_RUN, Interval

RATE_LINGER = "tcp reuse_unspec ÷ fresh_linger0, client closes, 1 thread"
RATE_CLOSE = "tcp reuse_unspec ÷ fresh_close, client closes, 1 thread"


def test_a_paired_file_loads_without_benchmarks():
    results = sr.load(golden("paired_a.json"))
    assert not results.has_benchmarks and not results.is_sockchurn
    assert len(results.paired) == 1 and len(results.paired[0]["ratios"]) == 4


def test_older_files_load_with_no_paired_groups():
    results = sr.load(golden("normal.json"))
    assert results.paired == () and results.has_benchmarks


@pytest.mark.parametrize("doc, message", [
    ({"paired": {}}, "\"paired\" is a dict, expected a list"),
    ({"paired": [{"group": ["a", "b"]}]}, "paired group #0 has no \"group\" and \"ratios\" lists"),
    ({"paired": [{"group": ["a"], "ratios": [{"numerator": "a"}]}]}, "has a ratio without"),
])
def test_a_malformed_paired_list_is_one_line(doc, message):
    with pytest.raises(sr.ResultsError, match=message):
        sr.parse_results(doc, "x.json")


def test_compare_one_file_lists_every_ratio_with_its_interval(capsys):
    code, out, err = run_compare(capsys, golden("paired_a.json"))
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == ("4 paired ratios (95% intervals): 4 reuse better beyond noise, "
                        "0 reuse worse, 0 within noise")
    rows = [line for line in lines if line.startswith("tcp ")]
    assert len(rows) == 4
    assert rows[0].startswith(RATE_LINGER) and "rate" in rows[0]
    assert rows[0].split()[-10:] == ["rate", "same", "1.13", "1.10-1.16", "9", "1", "excluded:",
                                     "stall", "reuse", "better"]
    assert rows[2].startswith(RATE_CLOSE) and rows[2].split()[-8:-6] == ["2.01", "1.95-2.06"]


def test_compare_two_files_says_what_changed_beyond_noise(capsys):
    code, out, err = run_compare(capsys, golden("paired_a.json"), golden("paired_b.json"))
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == ("1 of 4 paired ratios changed beyond noise and the run-to-run spread (±5%); 3 within; "
                        "1 of the changes measured on a busy machine (may be its load)")
    assert any(line.startswith("warning: B: the machine was busy in 10 of 30 slices") for line in lines)
    rows = {(line[:57].strip(), line[59:75].strip()): line for line in lines if line.startswith("tcp ")}
    assert rows[(RATE_CLOSE, "rate")].endswith("-23.5% [-25.6, -21.4]  changed (busy machine)")
    assert rows[(RATE_LINGER, "rate")].endswith("no change beyond noise")
    assert rows[(RATE_CLOSE, "CPU per exchange")].endswith("no change beyond noise")


def test_a_change_on_a_quiet_machine_is_plain_changed(capsys, tmp_path):
    # A's run again with reuse 10% faster against fresh_linger0 in every round.
    doc = json.loads(open(golden("paired_a.json")).read())
    ratio = doc["paired"][0]["ratios"][0]
    ratio["log_ratios"] = [v + 0.0953 for v in ratio["log_ratios"]]
    (tmp_path / "faster.json").write_text(json.dumps(doc))
    code, out, _ = run_compare(capsys, golden("paired_a.json"), tmp_path / "faster.json")
    assert code == 0
    assert out.splitlines()[0] == "1 of 4 paired ratios changed beyond noise and the run-to-run spread (±5%); 3 within"
    row = next(line for line in out.splitlines() if line.startswith(RATE_LINGER))
    assert row.endswith("  changed") and "+10.0% [" in row


def test_compare_a_file_with_itself_changes_nothing(capsys):
    code, out, _ = run_compare(capsys, golden("paired_b.json"), golden("paired_b.json"))
    assert code == 0
    assert out.splitlines()[0] == "0 of 4 paired ratios changed beyond noise and the run-to-run spread (±5%); 4 within"


def test_headline_quotes_paired_ratios(capsys):
    code, out, _ = run_compare(capsys, golden("paired_a.json"), "--headline")
    assert code == 0
    assert out.splitlines()[1] == (f"  {RATE_LINGER}, placement same: 1.13× [1.10, 1.16] "
                                   f"(9 pairs, 1 excluded: stall); CPU per exchange 1.22× "
                                   f"[1.19, 1.26]")


def test_quick_runs_without_paired_ratios_get_a_summary_first(capsys, tmp_path):
    # Three repetitions a side: the U test cannot run, and the summary says so.
    code, out, _ = run_compare(capsys, golden("kernel_a.json"), golden("kernel_b.json"))
    assert code == 0
    assert out.splitlines()[0].startswith("0 of 4 common runs changed (U test, p<0.05); 4 untested")


def test_merge_puts_paired_groups_into_the_results(run_script, tmp_path):
    out = tmp_path / "merged.json"
    done = run_script("merge_results.py", golden("normal.json"), "-o", out,
                      "--paired", golden("paired_a.json"), golden("paired_b.json"))
    assert done.returncode == 0, done.stderr
    doc = json.loads(out.read_text())
    assert len(doc["paired"]) == 2 and doc["paired"][0]["group"][0].startswith("tcp/reuse_unspec")
    assert doc["context"]["paired_command"].startswith("scripts/paired --binary")
    merged = sr.load(str(out))
    assert merged.has_benchmarks and len(merged.paired) == 2
    # A merged file merges again and keeps its groups.
    again = tmp_path / "again.json"
    assert run_script("merge_results.py", out, "-o", again).returncode == 0
    assert len(json.loads(again.read_text())["paired"]) == 2


def test_merge_refuses_a_paired_file_without_groups(run_script, tmp_path):
    done = run_script("merge_results.py", golden("normal.json"), "-o", tmp_path / "m.json",
                      "--paired", golden("normal.json"))
    assert done.returncode == 2
    assert done.stderr.strip().endswith("normal.json: no \"paired\" groups in it")


def test_every_key_of_a_paired_file_is_documented():
    text = (SCRIPTS.parent / "docs" / "results-format.md").read_text(encoding="utf-8")
    doc = json.loads(open(golden("paired_a.json")).read())
    group = doc["paired"][0]
    keys = set(doc["context"]) | set(group) | set(group["ratios"][0]) | set(group["slices"][0]) \
        | set(group["flags"]) | set(next(iter(group["warmup"].values()))) \
        | set(next(iter(group["modes"].values()))[0])
    assert sorted(k for k in keys if f"`{k}`" not in text) == []


@pytest.mark.parametrize("lo, hi, verdict", [
    (1.06, 1.12, "changed"),                       # beyond the spread: a rerun does not move it so far
    (0.80, 0.90, "changed"),
    (0.99, 1.03, "no change beyond noise"),        # holds no change
    (1.01, 1.04, "no change beyond noise"),        # beyond noise, but what a rerun does
    (1.02, 1.09, "unclear: beyond noise, within the run-to-run spread (±5%)"),
    (math.nan, math.nan, "no interval (too few pairs)"),
])
def test_a_change_counts_beyond_the_run_to_run_spread(lo, hi, verdict):
    assert RUN_TO_RUN == 0.05
    change = Interval((lo + hi) / 2, lo, hi, 0.95, 20)
    assert change_verdict(change) == verdict
    if verdict == "changed":
        assert change_verdict(change, busy=True) == "changed (busy machine)"
