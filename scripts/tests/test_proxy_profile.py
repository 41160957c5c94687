"""The proxy's profile (scripts/proxy_profile, sockchurn_results.proxy_profile,
scripts/proxy_section --perf-dir): samples to µs per request, buckets by
strategy, reuse − fresh by bucket, the sum check, and the error paths (no
root, no perf: one line).

The golden files perf_proxy_fresh_close.txt and perf_proxy_reuse_unspec.txt
are real captures of sockchurn-proxy in the proxy section (scripts/proxy_section
--perf-dir, perf record -e cpu-clock -F 4000 -g -p <proxy>, a 4 s run, nginx
closing after each response), cut to their first 30 samples.
"""

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import PYTHON, SCRIPTS, golden

from sockchurn_results import perf_attach
from sockchurn_results import profile as pr
from sockchurn_results import proxy_profile as pp

FRESH = Path(golden("perf_proxy_fresh_close.txt"))
REUSE = Path(golden("perf_proxy_reuse_unspec.txt"))
CATALOG = {"fresh_close": {"role": "fresh", "ends_with": "fin", "keep_alive": False, "proxy": True},
           "fresh_linger0": {"role": "fresh", "ends_with": "rst", "keep_alive": False, "proxy": True},
           "reuse_unspec": {"role": "reuse", "ends_with": "rst", "keep_alive": False, "proxy": True},
           "keepalive": {"role": "reference", "ends_with": "fin", "keep_alive": True, "proxy": True}}
ROOT = os.geteuid() == 0
# Counted in the golden files (their first sample, _copy_from_user under
# __x64_sys_epoll_ctl, is epoll's).
GOLDEN_SAMPLES = (30, 30)
FRESH_BUCKETS = {"data path": 7, "epoll": 3, "other": 2, "port search": 3, "scheduler": 6,
                 "socket create/destroy": 1, "syscall entry/exit": 2, "user space": 6}
REUSE_BUCKETS = {"data path": 5, "epoll": 1, "handshake": 1, "other": 3, "scheduler": 12,
                 "syscall entry/exit": 2, "user space": 6}


def name(strategy):
    return (f"tcp/{strategy}/engine:sockchurn_proxy/payload:64/placement:split/section:proxy/"
            "backend_requests:1/real_time/threads:16")


def row(strategy, rnd, requests, cpu_us, data):
    return {"name": name(strategy), "repetition_index": rnd, "exchanges": requests,
            "exchanges_per_s": requests / 2, "cpu_us_per_exchange": cpu_us, "perf_samples": 0, "perf_data": data}


def results(rows, frequency=4000):
    return {"context": {"proxy_strategies": json.dumps(CATALOG), "proxy_perf_frequency": str(frequency),
                        "date": "2026-12-05T17:40:00+0000", "kernel": "6.18-test"},
            "benchmarks": rows}


def test_a_sample_is_one_period_of_cpu_over_the_requests():
    # 40 samples at 4000 Hz = 10 ms of CPU; over 10 requests, 1000 µs each.
    assert pp.us_per_request(40, 4000, 10) == 1000.0
    assert pp.us_per_request(1, 1000, 4) == 250.0


def test_golden_runs_are_classified_sample_by_sample():
    for path in (FRESH, REUSE):
        text = path.read_text()
        counts = pp.run_counts(text, path.name)
        samples = pr.parse_perf_script(text)
        assert counts["samples"] == len(samples)
        # The same buckets as profile.classify gives each sample, and the
        # folded stacks and system calls count every sample once.
        assert counts["buckets"] == Counter(pr.classify(s.frames) for s in samples)
        assert sum(counts["folded"].values()) == sum(counts["syscalls"].values()) == len(samples)
        assert all(s.comm == "sockchurn-proxy" for s in samples)


def test_golden_buckets():
    fresh = pp.run_counts(FRESH.read_text(), FRESH.name)
    reuse = pp.run_counts(REUSE.read_text(), REUSE.name)
    assert (fresh["samples"], reuse["samples"]) == GOLDEN_SAMPLES
    assert dict(fresh["buckets"]) == FRESH_BUCKETS
    assert dict(reuse["buckets"]) == REUSE_BUCKETS


def golden_dir(tmp_path, frequency=4000):
    shutil.copy(FRESH, tmp_path / "fresh-r0.txt")
    shutil.copy(REUSE, tmp_path / "reuse-r0.txt")
    shutil.copy(FRESH, tmp_path / "fresh-r1.txt")
    doc = results([row("fresh_close", 0, 10, 200.0, "fresh-r0.data"),
                   row("reuse_unspec", 0, 8, 150.0, "reuse-r0.data"),
                   row("fresh_close", 1, 30, 100.0, "fresh-r1.data"),
                   {"name": name("reuse_unspec"), "repetition_index": 1, "error_occurred": True,
                    "error_message": "wrk failed", "exchanges": 0}], frequency)
    (tmp_path / "rows.json").write_text(json.dumps(doc))
    return doc


def texts_of(tmp_path, doc):
    return {r["perf_data"]: (tmp_path / r["perf_data"].replace(".data", ".txt")).read_text()
            for r in doc["benchmarks"] if r.get("perf_data")}


def test_strategies_pool_their_runs_and_reuse_minus_fresh_is_by_bucket(tmp_path):
    doc = golden_dir(tmp_path)
    out = pp.build(doc, texts_of(tmp_path, doc))
    (block,) = out["blocks"]
    fresh, reuse = block["strategies"]
    assert (fresh["strategy"], reuse["strategy"]) == ("fresh_close", "reuse_unspec")
    n_fresh, n_reuse = GOLDEN_SAMPLES
    # fresh_close: two runs of the same text, 10 + 30 requests.
    assert fresh["requests"] == 40 and fresh["samples"] == 2 * n_fresh
    for b in pr.BUCKETS:
        assert fresh["bucket_us"][b] == pytest.approx(2 * FRESH_BUCKETS.get(b, 0) * 1e6 / 4000 / 40)
        assert reuse["bucket_us"][b] == pytest.approx(REUSE_BUCKETS.get(b, 0) * 1e6 / 4000 / 8)
    # Measured: pooled by requests, (200 x 10 + 100 x 30) / 40.
    assert fresh["check"]["measured_us"] == pytest.approx(125.0)
    assert fresh["check"]["profiled_us"] == pytest.approx(2 * n_fresh * 250 / 40)
    assert [r["round"] for r in fresh["runs"]] == [0, 1]
    assert fresh["runs"][0]["check"]["profiled_us"] == pytest.approx(n_fresh * 250 / 10)
    (d,) = block["differences"]
    assert (d["reuse"], d["fresh"]) == ("reuse_unspec", "fresh_close")
    for b in pr.BUCKETS:
        assert d["bucket_us"][b] == pytest.approx(reuse["bucket_us"][b] - fresh["bucket_us"][b])
    assert d["sum_us"] == pytest.approx(n_reuse * 250 / 8 - 2 * n_fresh * 250 / 40)
    assert d["measured_us"] == pytest.approx(150.0 - 125.0)
    # The errored run is left out, said so.
    assert [x["round"] for x in out["left_out"]] == [1]
    assert out["left_out"][0]["why"] == "wrk failed"


def test_pairs_are_by_role_every_reuse_against_every_fresh(tmp_path):
    shutil.copy(FRESH, tmp_path / "a.txt")
    rows = [row(s, 0, 10, 100.0, "a.data") for s in ("fresh_close", "fresh_linger0", "reuse_unspec", "keepalive")]
    out = pp.build(results(rows), {"a.data": FRESH.read_text()})
    assert [(d["reuse"], d["fresh"]) for d in out["blocks"][0]["differences"]] == \
        [("reuse_unspec", "fresh_close"), ("reuse_unspec", "fresh_linger0")]


def test_frequency_scales_the_figures(tmp_path):
    doc = golden_dir(tmp_path, frequency=1000)
    out = pp.build(doc, texts_of(tmp_path, doc))
    assert out["blocks"][0]["strategies"][1]["check"]["profiled_us"] == pytest.approx(GOLDEN_SAMPLES[1] * 1000 / 8)


@pytest.mark.parametrize("doc, message", [
    ({"context": {}, "benchmarks": []}, "the results have no 'proxy_perf_frequency'"),
    ({"context": {"proxy_perf_frequency": "4000"}, "benchmarks": []}, "the context has no 'proxy_strategies'"),
    (results([]), "no profiled run without errors in the results"),
    (results([row("fresh_close", 0, 10, 1.0, "x.data")]), "no perf script text for x.data"),
])
def test_bad_results_are_one_line(doc, message):
    with pytest.raises(pp.ProxyProfileError) as e:
        pp.build(doc, {})
    assert str(e.value).startswith(message) and "\n" not in str(e.value)


def test_a_text_without_cpu_clock_samples_is_refused():
    text = "sockchurn-proxy 7/7  1.000000:  1 syscalls:sys_enter_close: \n\tffffffff81000000 x ([kernel.kallsyms])\n"
    with pytest.raises(pp.ProxyProfileError, match="^t.txt: no cpu-clock sample$"):
        pp.run_counts(text, "t.txt")


def run(args, tmp_path, env=None, prefix=()):
    return subprocess.run([*prefix, PYTHON, *map(str, args)], cwd=tmp_path, capture_output=True, text=True,
                          env=env, timeout=120)


def test_analyse_only_writes_the_json_and_the_report(tmp_path):
    golden_dir(tmp_path)
    done = run([SCRIPTS / "proxy_profile", tmp_path, "--analyse-only"], tmp_path)
    # The errored run makes the exit status 1; the report is written anyway.
    assert done.returncode == 1, done.stderr
    doc = json.loads((tmp_path / "proxy-profile.json").read_text())
    assert doc["format"] == pp.FORMAT and doc["frequency_hz"] == 4000
    report = (tmp_path / "report.md").read_text()
    assert report == done.stdout.rstrip("\n") + "\n" or report == done.stdout[:-1]
    assert "| bucket | `fresh_close` | `reuse_unspec` | `reuse_unspec` − `fresh_close` |" in report
    for b in pr.BUCKETS:
        assert f"| {b} | " in report


def test_proxy_profile_usage_errors_are_one_line(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    for args, message in ((["full"], "proxy_profile: 'full' exists and is not an empty directory; results are "
                                     "never overwritten (see --help)"),
                          (["new", "--analyse-only"], "proxy_profile: --analyse-only: 'new' has no rows.json "
                                                      "(see --help)"),
                          (["new", "--frequency", "0"], "proxy_profile: argument --frequency: '0' is not at "
                                                        "least 1 (see --help)")):
        done = run([SCRIPTS / "proxy_profile", *args], tmp_path)
        assert (done.returncode, done.stderr, done.stdout) == (2, message + "\n", "")


NOT_ROOT = "needs root (perf attaches to the proxy with kernel call graphs)"
NO_PERF = "perf is not installed (scripts/setup installs linux-perf)"


def as_nobody():
    return ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups") if ROOT else ()


@contextlib.contextmanager
def scripts_for_nobody():
    """SCRIPTS, or a copy of it that nobody may read where it cannot read the
    checkout (a clone under /root, mode 700, on a fresh machine)."""
    if subprocess.run([*as_nobody(), "test", "-r", str(SCRIPTS / "proxy_profile")]).returncode == 0:
        yield SCRIPTS
        return
    with tempfile.TemporaryDirectory() as top:
        os.chmod(top, 0o755)
        copy = Path(top) / "scripts"
        shutil.copytree(SCRIPTS, copy, ignore=shutil.ignore_patterns("tests", "__pycache__"))
        for path in (copy, *copy.rglob("*")):
            path.chmod(path.stat().st_mode | 0o444 | (0o111 if path.is_dir() else 0))
        yield copy


@pytest.mark.parametrize("script, args, message", [
    ("proxy_section", ["--perf-dir", "perf"], f"proxy_section: --perf-dir: {NOT_ROOT}"),
    ("proxy_profile", ["perf"], f"proxy_profile: {NOT_ROOT}"),
])
def test_not_root_is_one_line(tmp_path, script, args, message):
    if ROOT and shutil.which("setpriv") is None:
        pytest.skip("setpriv is not installed")
    os.chmod(tmp_path, 0o777)
    with scripts_for_nobody() as scripts:
        done = run([scripts / script, *args], tmp_path, prefix=as_nobody())
    assert (done.returncode, done.stderr) == (1, message + "\n")
    assert not (tmp_path / "perf").exists()


@pytest.mark.skipif(not ROOT, reason="the perf check comes after the root check")
@pytest.mark.parametrize("script, args, message", [
    ("proxy_section", ["--perf-dir", "perf"], f"proxy_section: --perf-dir: {NO_PERF}"),
    ("proxy_profile", ["perf"], f"proxy_profile: {NO_PERF}"),
])
def test_no_perf_is_one_line(tmp_path, script, args, message):
    done = run([SCRIPTS / script, *args], tmp_path, env=dict(os.environ, PATH=str(tmp_path)))
    assert (done.returncode, done.stderr) == (1, message + "\n")
    assert not (tmp_path / "perf").exists()


def perf_works():
    try:
        perf_attach.check_perf()
    except (perf_attach.PerfError, OSError, subprocess.TimeoutExpired):
        return False
    return True


@pytest.mark.skipif(not perf_works(), reason="needs root and a working perf")
def test_recording_samples_only_the_process_and_only_while_enabled(tmp_path):
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        rec = perf_attach.Recording(busy.pid, str(tmp_path / "p.data"), 1000, str(tmp_path))
        time.sleep(0.3)              # disabled: nothing recorded
        start = time.monotonic()
        rec.enable()
        time.sleep(0.3)
        rec.disable()
        enabled = time.monotonic() - start
        time.sleep(0.3)              # disabled again
        rec.stop()
    finally:
        busy.kill()
        busy.wait()
    written = perf_attach.perf_script(str(tmp_path / "p.data"), str(tmp_path / "p.txt"))
    samples = pr.parse_perf_script((tmp_path / "p.txt").read_text())
    assert written == len(samples) > 0
    assert {s.pid for s in samples} == {busy.pid}
    # At most one sample per ms of the enabled window, and all of them inside
    # a span no longer than it: none from the 0.6 s disabled around it.
    assert len(samples) <= enabled * 1000 + 2
    assert max(s.time for s in samples) - min(s.time for s in samples) <= enabled + 0.002
