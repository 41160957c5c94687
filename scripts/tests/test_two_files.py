"""Two-file compare: context warnings, verdicts; errored rows keep their counters."""

import json

from conftest import golden

import compare
import sockchurn_results as sr


def run(capsys, *args):
    code = compare.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def variant(tmp_path, name, source="repetitions.json", **context):
    doc = json.load(open(golden(source)))
    for key, value in context.items():
        if value is None:
            doc["context"].pop(key.replace("__", "."), None)
        else:
            doc["context"][key.replace("__", ".")] = value
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_warning_per_differing_context_field(tmp_path, capsys):
    a = variant(tmp_path, "a.json", suite_repetitions="9", suite_min_time="0.3",
                suite_path="loopback", suite_isolation="a fresh network namespace per strategy group")
    b = variant(tmp_path, "b.json", kernel="6.19.0", git_commit="0123456789ab",
                sysctl__net__ipv4__tcp_tw_reuse="0", suite_repetitions="5", suite_min_time=None,
                placement="split", suite_path="netns-veth", isolation="shared network namespace",
                suite_isolation="a fresh network namespace per strategy group")
    code, out, _ = run(capsys, a, b)
    assert code == 0
    assert [line for line in out.split("\n") if line.startswith("warning:")] == [
        "warning: kernel differs: A 6.18.0-sockchurn, B 6.19.0",
        "warning: git_commit differs: A 3f2a9c1d4e5b6a7980c1d2e3f4a5b6c7d8e9f012, B 0123456789ab",
        "warning: sysctl.net.ipv4.tcp_tw_reuse differs: A 2, B 0",
        "warning: suite_repetitions differs: A 9, B 5",
        "warning: suite_min_time differs: A 0.3, B (not recorded)",
        "warning: placement differs: A same, B split",
        "warning: suite_path differs: A loopback, B netns-veth",
        "warning: isolation differs: A netns, B shared network namespace"]


def test_same_context_no_warning_and_short_commit_is_the_same(tmp_path, capsys):
    b = variant(tmp_path, "b.json", git_commit="3f2a9c1d4e5b")
    _, out, _ = run(capsys, golden("repetitions.json"), b)
    assert "\nwarning:" not in out


def test_verdict_with_nine_repetitions(tmp_path, capsys):
    doc = json.load(open(golden("repetitions.json")))
    for row in doc["benchmarks"]:
        if row["run_name"].startswith("tcp/reuse_unspec/"):
            row["exchanges_per_s"] *= 1.2
    faster = tmp_path / "faster.json"
    faster.write_text(json.dumps(doc))
    _, out, _ = run(capsys, golden("repetitions.json"), faster)
    lines = [line for line in out.split("\n") if line.startswith("tcp/")]
    assert lines[0].split("  ")[0] == "tcp/fresh_close/closer:client/payload:64/placement:same/real_time/threads:1"
    assert lines[0].endswith("+0.0%  9/9  no significant change (p=1)")
    assert "30,000    29,000-31,000    36,000    34,800-37,200  +20.0%  9/9  changed (p=0.00041 *)" \
        in lines[1]
    udp = [line for line in out.split("\n") if line.startswith("udp/")]
    assert udp[0].endswith("3/3  no test (needs 9 repetitions per side; A has 3, B has 3)")


def test_errored_rows_keep_counters_and_never_show_a_rate(tmp_path, capsys):
    doc = json.load(open(golden("errored.json")))
    for row in doc["benchmarks"]:
        if row.get("error_occurred"):
            row.update(exchanges=120, errors=2, errors_ECONNRESET=2)
    path = tmp_path / "errored_counters.json"
    path.write_text(json.dumps(doc))
    summary = sr.summarize(sr.load(path))
    errored = sr.errored_runs(summary)
    assert errored[["exchanges", "errnos"]].values.tolist() == [[120.0, "ECONNRESET=2"],
                                                                [360.0, "ECONNRESET=6"]]
    assert summary[summary["errored"]]["exchanges_per_s"].isna().all()
    _, out, _ = run(capsys, "--all", path)
    section = out[out.index("== errored benchmarks"):]
    assert "exchanges before the error" in section and "ECONNRESET=6" in section
    assert "12,345" not in out and "54,321" not in out
