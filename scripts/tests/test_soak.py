"""plot_soak.py and sockchurn_results/soak.py: the growth rule, the JSON it builds and reads, the chart."""

import json

import pytest
from conftest import golden

import plot_soak
from sockchurn_results import soak


def samples_of(name):
    return soak.load_record(golden(name))["samples"]


@pytest.mark.parametrize("name, verdict, rss_grows, fds_grow", [
    ("soak_bounded.json", "bounded", False, False),
    ("soak_rss_growth.json", "grows", True, False),
    ("soak_fd_growth.json", "grows", False, True),
    ("soak_small_growth.json", "bounded", False, False),
])
def test_growth_rule_on_golden_runs(name, verdict, rss_grows, fds_grow):
    v = soak.judge_growth(samples_of(name))
    assert v["verdict"] == verdict
    assert v["rss_kib"]["grows"] is rss_grows
    assert v["fds"]["grows"] is fds_grow


def test_growth_figures_are_the_medians_of_the_thirds():
    # 13 samples 5 s apart: 0..20 s is the first third (5 samples), 40..60 s the last.
    v = soak.judge_growth(samples_of("soak_rss_growth.json"))
    assert v["rss_kib"]["first_third_median"] == 4096 + 3072 * 2
    assert v["rss_kib"]["last_third_median"] == 4096 + 3072 * 10
    assert v["rss_kib"]["growth"] == 3072 * 8
    assert v["rss_kib"]["growth_pct"] == 240.0
    # The descriptors swing 13..45 in both thirds: same median, no growth.
    assert v["fds"]["first_third_median"] == v["fds"]["last_third_median"] == 16


def test_both_limits_must_be_passed():
    flat = {"t_s": 0, "rss_kib": 100_000, "fds": 1000, "cpu_s": 0}
    def run(first, last, key):
        return [dict(flat, t_s=float(i), **{key: first if i < 6 else last}) for i in range(12)]
    # RSS: +9000 KiB is over the 8192 KiB floor, but only +9 % of 100,000 KiB.
    assert soak.judge_growth(run(100_000, 109_000, "rss_kib"))["verdict"] == "bounded"
    assert soak.judge_growth(run(100_000, 126_000, "rss_kib"))["verdict"] == "grows"
    # Descriptors: +100 is over the floor of 64 but only +10 % of 1000; +60 % of 100 is under the floor.
    assert soak.judge_growth(run(1000, 1100, "fds"))["verdict"] == "bounded"
    assert soak.judge_growth(run(100, 160, "fds"))["verdict"] == "bounded"
    assert soak.judge_growth(run(100, 165, "fds"))["verdict"] == "grows"
    # Shrinking is never growth.
    assert soak.judge_growth(run(100, 10, "fds"))["verdict"] == "bounded"


def test_from_zero_counts_as_growth_past_the_floor():
    s = [{"t_s": float(i), "rss_kib": 0 if i < 6 else 9000, "fds": 0, "cpu_s": 0} for i in range(12)]
    v = soak.judge_growth(s)
    assert v["rss_kib"]["grows"] and v["rss_kib"]["growth_pct"] is None
    assert not v["fds"]["grows"]


def test_too_few_samples_are_not_judged():
    v = soak.judge_growth(samples_of("soak_short.json"))
    assert v == {"rule": v["rule"], "samples": 4, "verdict": "too short"}
    assert soak.verdict_line(v) == "too short to judge growth: 4 samples (at least 9 needed)"
    assert soak.judge_growth([])["verdict"] == "too short"


def test_parse_samples_and_runs():
    s = soak.parse_samples("0.03 3712 13 0\n2.06 3828 16 49\n\n", 100, "s.tsv")
    assert s == [{"t_s": 0.03, "rss_kib": 3712, "fds": 13, "cpu_s": 0.0},
                 {"t_s": 2.06, "rss_kib": 3828, "fds": 16, "cpu_s": 0.49}]
    r = soak.parse_runs("0.11 1.54 0 tcp/fresh_close/threads:16\n57.4 59.5 124 udp/sendto/threads:16\n")
    assert r == [{"start_s": 0.11, "end_s": 1.54, "exit": 0, "name": "tcp/fresh_close/threads:16"},
                 {"start_s": 57.4, "end_s": 59.5, "exit": 124, "name": "udp/sendto/threads:16"}]


@pytest.mark.parametrize("text, message", [
    ("0 3712 13\n", "s.tsv line 1: expected 'SECONDS RSS_KIB FDS CPU_TICKS', got '0 3712 13'"),
    ("0 3712 13 x\n", "s.tsv line 1: expected 'SECONDS RSS_KIB FDS CPU_TICKS', got '0 3712 13 x'"),
    ("0 1 1 1\n0 -1 1 1\n", "s.tsv line 2: negative value in '0 -1 1 1'"),
    ("5 1 1 1\n4 1 1 1\n", "s.tsv line 2: time 4.0 goes backwards"),
])
def test_parse_samples_errors_name_the_line(text, message):
    with pytest.raises(soak.SoakError) as e:
        soak.parse_samples(text, 100, "s.tsv")
    assert str(e.value) == message


def test_make_record_keeps_context_samples_runs_and_verdict():
    samples = samples_of("soak_bounded.json")
    rec = soak.make_record({"host": "h"}, samples, [])
    assert rec["context"] == {"host": "h"}
    assert rec["samples"] is samples and rec["runs"] == []
    assert rec["verdict"]["verdict"] == "bounded"


def test_record_from_raw_files_then_never_overwritten(run_script, tmp_path):
    (tmp_path / "samples").write_text("".join(f"{5 * i} {3800 + i} {13 + i % 3} {40 * i}\n" for i in range(10)))
    (tmp_path / "runs").write_text("0.1 2.0 0 tcp/keepalive/threads:16\n")
    args = ["--record", "--samples", "samples", "--runs", "runs", "--clock-ticks", "100",
            "--context", "host=h", "--context", "command=a=b", "-o", "charts/soak", "out.json"]
    first = run_script("plot_soak.py", *args)
    assert first.returncode == 0, first.stderr
    rec = json.loads((tmp_path / "out.json").read_text())
    assert rec["context"] == {"host": "h", "command": "a=b"}
    assert rec["samples"][9] == {"t_s": 45.0, "rss_kib": 3809, "fds": 13, "cpu_s": 3.6}
    assert rec["runs"] == [{"start_s": 0.1, "end_s": 2.0, "exit": 0, "name": "tcp/keepalive/threads:16"}]
    assert rec["verdict"]["verdict"] == "bounded"
    assert sorted(p.name for p in (tmp_path / "charts").iterdir()) == ["soak.png", "soak.svg"]
    again = run_script("plot_soak.py", *args)
    assert again.returncode == 2
    assert again.stderr == "plot_soak.py: out.json exists already; results are never overwritten\n"


@pytest.mark.parametrize("name, code, stream, start", [
    ("soak_bounded.json", 0, "stdout", "bounded: 3828 -> 3828 KiB RSS"),
    ("soak_short.json", 0, "stdout", "too short to judge growth"),
    ("soak_rss_growth.json", 1, "stderr", "plot_soak.py: the echo server grows without bound: 10240 -> 34816 KiB RSS"),
    ("soak_fd_growth.json", 1, "stderr", "plot_soak.py: the echo server grows without bound:"),
    ("soak_malformed.json", 2, "stderr", "plot_soak.py: "),
])
def test_exit_status_and_one_line(run_script, name, code, stream, start):
    result = run_script("plot_soak.py", "--no-plots", golden(name))
    assert result.returncode == code, result.stderr
    out = getattr(result, stream)
    assert out.startswith(start) and out.count("\n") == 1, out
    assert "Traceback" not in result.stderr


def test_malformed_and_missing_files(run_script, tmp_path):
    assert run_script("plot_soak.py", golden("soak_malformed.json")).stderr == (
        f"plot_soak.py: {golden('soak_malformed.json')}: sample 1 lacks a number t_s, rss_kib, fds or cpu_s\n")
    (tmp_path / "bad.json").write_text("{")
    assert run_script("plot_soak.py", "bad.json").stderr.startswith("plot_soak.py: bad.json is not JSON: ")
    (tmp_path / "list.json").write_text("[]")
    assert run_script("plot_soak.py", "list.json").stderr == "plot_soak.py: list.json is not a soak result (no list 'samples')\n"
    missing = run_script("plot_soak.py", "nope.json")
    assert (missing.returncode, missing.stderr) == (2, "plot_soak.py: cannot read nope.json: No such file or directory\n")
    assert run_script("plot_soak.py", "--record", "x.json").stderr == "plot_soak.py: --record needs --samples and --runs\n"


@pytest.mark.parametrize("name", ["soak_bounded.json", "soak_rss_growth.json", "soak_short.json"])
def test_plot_writes_png_and_svg(tmp_path, name):
    written = plot_soak.plot(soak.load_record(golden(name)), str(tmp_path / "sub" / "chart"))
    assert written == [str(tmp_path / "sub" / "chart.png"), str(tmp_path / "sub" / "chart.svg")]
    png, svg = (open(p, "rb").read() for p in written)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert b"<svg" in svg[:2000]


def test_plot_of_no_samples_still_draws(tmp_path):
    written = plot_soak.plot({"context": {}, "samples": [], "runs": []}, str(tmp_path / "empty"))
    assert all((tmp_path / f"empty.{ext}").stat().st_size > 1000 for ext in ("png", "svg"))
    assert len(written) == 2


def test_cpu_percent_between_samples():
    s = [{"t_s": 0.0, "cpu_s": 0.0}, {"t_s": 5.0, "cpu_s": 1.0}, {"t_s": 5.0, "cpu_s": 1.0}, {"t_s": 10.0, "cpu_s": 6.0}]
    assert soak.cpu_percent(s) == [(2.5 / 60, 20.0), (7.5 / 60, 100.0)]
