"""docs/results-format.md names every counter, context key, strategy, op and
name dimension of the committed results (the binaries' own run is checked by
check_documented_names.py under CTest)."""

import json
from pathlib import Path

from conftest import golden

from check_documented_names import DOC, missing, written_names

ROOT = Path(__file__).resolve().parents[2]


def doc_text():
    return DOC.read_text(encoding="utf-8")


def test_committed_results_are_documented():
    names = written_names(json.load(open(ROOT / "results" / "2026-11-25-vm.json")))
    assert {"max_us", "time_wait_server", "foreign_cpu_load"} <= names["counter"]
    assert {"suite_repetitions", "suite_min_time", "suite_path"} <= names["context key"]
    assert "connect" in names["syscall op"] and "port:" in names["name dimension"]
    assert missing(doc_text(), names) == []


def test_roles_and_new_counters_are_documented():
    names = written_names(json.load(open(golden("roles.json"))))
    names["counter"] |= {"steal_cpu", "exchanges", "errors_ECONNRESET"}
    names["name dimension"] |= {"engine:", "flows:", "rpc:"}
    assert "strategy_roles" in names["context key"]
    names["strategy"].discard("hold_fd")            # made up for the golden file
    assert missing(doc_text(), names) == []


def test_missing_names_are_reported():
    names = {"counter": {"max_us", "brand_new_counter", "errors_EPIPE"},
             "context key": {"suite_newkey"}, "syscall op": {"connect"}}
    assert missing(doc_text(), names) == ["counter brand_new_counter", "context key suite_newkey"]
    assert missing("only `errors` here", {"counter": {"errors_EPIPE"}}) == ["counter errors_EPIPE"]
