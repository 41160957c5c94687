"""The HTML report opens in headless Chromium without console errors, every
chart renders, and the scenario answers are on the page."""

import re
from pathlib import Path

import pytest
from conftest import script_module

import browser_check
from sockchurn_results import scenarios

ROOT = Path(__file__).resolve().parents[2]
SYNTHETIC = Path(__file__).resolve().parent / "data" / "synthetic-paired.json"
REFERENCE_PAGE = ROOT / "results" / "2026-11-29-vm-2.html"

needs_chromium = pytest.mark.skipif(
    not browser_check.available(),
    reason="SKIP: no 'chromium' on PATH (Debian package chromium; scripts/setup installs it)")


def report_module():
    return script_module("report")


def assert_page_is_sound(found, charts_at_least):
    assert found["errors"] == [] and found["console"] == []
    assert found["broken"] == []
    assert found["svgs"] >= charts_at_least
    assert [name for name, _ in found["verdicts"]] == scenarios.names()
    assert all(text.startswith("Answer: ") and len(text) > 20 for _, text in found["verdicts"])


@needs_chromium
def test_report_of_a_paired_file_in_chromium(tmp_path):
    page = tmp_path / "synthetic.html"
    assert report_module().main([str(SYNTHETIC), "-o", str(page)]) == 0
    text = page.read_text()
    # Order: answers, charts, warnings, provenance; nothing from the network.
    assert text.index('id="answers"') < text.index('id="charts"') < text.index('id="warnings"') \
        < text.index('id="provenance"')
    assert "SYNTHETIC TEST FIXTURE" in text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text) and "<script" not in text
    found = browser_check.check(page, tmp_path)
    assert_page_is_sound(found, 5)
    verdicts = dict(found["verdicts"])
    assert "reuse_unspec: faster than every fresh strategy beyond noise" in verdicts["short-lived"]
    assert "no difference beyond noise" in verdicts["pool"]


@needs_chromium
def test_committed_reference_report_in_chromium(tmp_path):
    found = browser_check.check(REFERENCE_PAGE, tmp_path)
    assert_page_is_sound(found, 6)
    # The reference run has no paired key: every answer says so.
    assert all("no paired measurement" in text for _, text in found["verdicts"])


def test_a_file_that_is_not_results_is_one_line(tmp_path, capsys):
    bad = tmp_path / "x.json"
    bad.write_text("{}")
    assert report_module().main([str(bad), "-o", str(tmp_path / "x.html")]) == 2
    assert capsys.readouterr().err == f"report: {bad}: not Google Benchmark JSON (no \"benchmarks\" key)\n"
    assert not (tmp_path / "x.html").exists()
