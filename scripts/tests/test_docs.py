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


def test_section_names_counters_and_context_are_documented():
    names = written_names(json.load(open(golden("sections.json"))))
    assert {"section:", "tw_reuse:", "tw_reuse_delay_ms:", "conntrack:"} <= names["name dimension"]
    assert {"conntrack_entries", "conntrack_entries_TIME_WAIT", "errors_EADDRNOTAVAIL_per_s"} <= names["counter"]
    names["context key"] |= {"suite_sysctls", "suite_conntrack", "suite_section.tw_reuse"}
    assert missing(doc_text(), names) == []
    assert missing("`errors_<ERRNO>`", {"counter": {"errors_EPIPE_per_s"}}) == ["counter errors_EPIPE_per_s"]
