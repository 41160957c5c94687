"""compare.py: exact table rows, formats, two files, errors, malformed input."""

import csv
import io
import re

import pytest
from conftest import golden, run_compare, section_lines

import compare
import sockchurn_results as sr

ROW = "tcp/reuse_unspec/closer:client/port:bound/payload:64/placement:same/real_time/threads:1"


run = run_compare
section = section_lines


def cells(line):
    return re.split(r"\s{2,}", line.strip())


def table(text, title, first=0):
    """The cells of each line of one section, from its line `first` on."""
    return [cells(line) for line in section(text, title)[first:]]


def test_one_file_ratio_table_rows(capsys):
    code, out, err = run(capsys, golden("normal.json"))
    assert code == 0 and err == ""
    summary, out = out.split("\n", 1)
    assert summary == ("16 reuse / fresh ratios from medians of separate runs (not paired: "
                       "min-max ranges, no intervals); 16 untested (the U test needs 9 "
                       "repetitions per side; scripts/paired gives intervals from any run)")
    assert out.startswith(golden("normal.json") + ": kernel 6.18.0-sockchurn, CPU Intel(R) Xeon(R) "
                          "Platinum 8375C CPU @ 2.90GHz (2 cores), 2025-11-25 14:21, "
                          "commit 3f2a9c1d4e5b, host bench-vm, isolation netns, tcp_tw_reuse=2, "
                          "ip_local_port_range=32768 60999, tcp_fin_timeout=60, somaxconn=4096, "
                          "echo_threads=1, benchmark library debug\n")
    lines = section(out, "reuse_unspec vs fresh: exchanges_per_s")
    assert lines[0].startswith("ratio = reuse_unspec / fresh (higher is better)")
    assert cells(lines[3]) == ["proto", "closer", "payload", "placement", "vs", "port", "threads",
                               "reuse exch/s", "fresh exch/s", "ratio", "range", "n", "U test"]
    body = [cells(line) for line in lines[5:]]
    assert len(body) == 16
    assert body[0] == ["tcp", "client", "64", "same", "fresh_close", "ephemeral", "1",
                       "30,000", "20,000", "1.50", "-", "1/1", "n<9"]
    assert body[3] == ["tcp", "client", "64", "same", "fresh_close", "bound", "2",
                       "60,000", "36,000", "1.67", "-", "1/1", "n<9"]
    assert body[7] == ["tcp", "client", "64", "same", "fresh_linger0", "bound", "2",
                       "60,000", "45,000", "1.33", "-", "1/1", "n<9"]
    assert body[8][3] == "split" and body[10][1] == "server"
    assert body[-1] == ["udp", "-", "64", "same", "fresh_close", "bound", "2",
                        "400,000", "180,000", "2.22", "-", "1/1", "n<9"]
    assert not any(r[4] == "fresh_linger0" for r in body if r[0] == "udp")


def test_one_file_syscall_and_errors_sections(capsys):
    _, out, _ = run(capsys, golden("normal.json"))
    calls = table(out, "syscalls (ns per op, median over repetitions)")
    assert calls[1] == ["op", "proto", "threads", "n", "real ns/op", "min-max", "cpu ns/op",
                        "socket_close ÷ op", "note"]
    assert calls[3:] == [
        ["socket_close", "tcp", "1", "1", "2,000", "-", "1,960", "1.00", "-"],
        ["disconnect_unconnected", "tcp", "1", "1", "250", "-", "245", "8.00", "-"],
        ["socket_close", "udp", "1", "1", "1,500", "-", "1,470", "1.00", "-"],
        ["connect_disconnect", "udp", "1", "1", "300", "-", "294", "5.00", "-"],
        ["getppid", "-", "1", "1", "50.0", "-", "49.0", "-", "-"]]
    assert section(out, "errored benchmarks (excluded from every ratio)") == ["(none)"]
    assert "every run" not in out


def test_repetitions_u_test_and_spread(capsys):
    _, out, _ = run(capsys, golden("repetitions.json"))
    body = table(out, "reuse_unspec vs fresh: exchanges_per_s", 5)
    assert body == [
        ["tcp", "client", "64", "same", "fresh_close", "ephemeral", "1", "30,000", "20,000",
         "1.50", "1.38-1.63", "9/9", "p=0.00041 *"],
        ["udp", "-", "64", "same", "fresh_close", "bound", "1", "218,000", "100,000",
         "2.18", "2.14-2.22", "3/3", "n<9"]]


def test_all_lists_every_run(capsys):
    _, out, _ = run(capsys, "--all", golden("normal.json"))
    lines = section(out, "every run (median over repetitions; errors, stale: sum)")
    assert cells(lines[0]) == ["benchmark", "n", "exch/s", "cpu µs/exch", "server cpu µs/exch",
                               "p50 µs", "p99 µs", "TIME_WAIT", "errors", "stale", "errnos"]
    rows = {cells(line)[0]: cells(line) for line in lines[2:]}
    assert len(rows) == 28                      # syscall runs are in their own table
    assert rows["tcp/fresh_close/closer:client/payload:64/placement:same/real_time/threads:2"] == [
        "tcp/fresh_close/closer:client/payload:64/placement:same/real_time/threads:2", "1",
        "36,000", "40.0", "30.0", "50.0", "122", "28,000", "3", "-", "EADDRNOTAVAIL=3"]
    assert rows["udp/sendto/payload:64/placement:same/real_time/threads:1"][2:10] == [
        "250,000", "4.00", "3.00", "3.60", "8.80", "-", "0", "0"]


def test_cost_metric(capsys):
    _, out, _ = run(capsys, "--metric", "cpu_us_per_exchange", "--table", "ratios",
                    golden("repetitions.json"))
    lines = section(out, "reuse_unspec vs fresh: cpu_us_per_exchange")
    assert lines[0].startswith("ratio = fresh / reuse_unspec (lower is better)")
    assert cells(lines[5])[7:12] == ["29.0", "44.0", "1.52", "1.21-1.92", "9/9"]


def test_errored_benchmarks_are_listed_never_shown_as_numbers(capsys):
    for fmt in ("text", "md", "csv"):
        code, out, _ = run(capsys, "--all", "--format", fmt, golden("errored.json"))
        assert code == 0
        assert "12345" not in out and "12,345" not in out
        assert "54321" not in out and "54,321" not in out
        assert "echo mismatch at byte 3: sent 0x61, got 0x00" in out
        assert "connect: Address not available (EADDRNOTAVAIL)" in out
    _, out, _ = run(capsys, golden("errored.json"))
    body = table(out, "reuse_unspec vs fresh: exchanges_per_s", 5)
    assert body[1] == ["tcp", "client", "64", "same", "fresh_close", "bound", "1", "-", "20,000",
                       "-", "-", "0/1", "reuse errored"]
    errors = table(out, "errored benchmarks (excluded from every ratio)")
    assert errors[2:] == [
        [ROW, "1/1", "echo mismatch at byte 3: sent 0x61, got 0x00"],
        ["udp/reuse_unspec/port:ephemeral/payload:64/placement:same/real_time/threads:1", "3/3",
         "connect: Address not available (EADDRNOTAVAIL)"]]


def test_markdown(capsys):
    _, out, _ = run(capsys, "--format", "md", golden("repetitions.json"))
    assert "### reuse_unspec vs fresh: exchanges_per_s" in out
    assert ("| proto | closer | payload | placement | vs | port | threads | reuse exch/s | "
            "fresh exch/s | ratio | range | n | U test |") in out
    assert "|---|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---|" in out
    assert ("| tcp | client | 64 | same | fresh_close | ephemeral | 1 | 30,000 | 20,000 | 1.50 | "
            "1.38-1.63 | 9/9 | p=0.00041 * |") in out


def test_csv_single_table_is_plain_csv(capsys):
    _, out, _ = run(capsys, "--format", "csv", "--table", "ratios", golden("repetitions.json"))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["group"] for r in rows] == ["tcp", "udp"]
    assert rows[0]["ratio"] == "1.5" and rows[0]["lo"] == "1.380952381"
    assert rows[0]["hi"] == "1.631578947" and rows[0]["n_reuse"] == "9"
    assert float(rows[0]["p_value"]) == pytest.approx(4.1229e-4, rel=1e-3)
    assert rows[1]["p_value"] == "" and rows[1]["note"] == "n<9"
    assert rows[1]["closer"] == ""


def test_csv_all_tables_have_titles(capsys):
    _, out, _ = run(capsys, "--format", "csv", golden("normal.json"))
    titles = [line for line in out.split("\n") if line.startswith("# ")]
    assert titles == ["# reuse_unspec vs fresh: exchanges_per_s",
                      "# syscalls (ns per op, median over repetitions)",
                      "# errored benchmarks (excluded from every ratio)"]


def test_output_file(capsys, tmp_path):
    target = tmp_path / "out.md"
    code, out, _ = run(capsys, "--format", "md", "-o", target, golden("normal.json"))
    assert code == 0 and out == ""
    assert target.read_text().count("### ") == 3


def test_plain_google_benchmark_file(capsys):
    code, out, err = run(capsys, golden("plain_gb.json"))
    assert code == 0
    assert ("note: no sockchurn benchmarks (tcp/, udp/, syscall/) in "
            f"{golden('plain_gb.json')}; showing the generic per-run table") in out
    assert table(out, "every run (median over repetitions)", 2) == [
        ["BM_Bar/threads:2", "1", "150", "148", "-"],
        ["BM_Baz/real_time", "1", "3,500", "3,465", "-"],
        ["BM_Foo/8", "1", "12.5", "12.4", "80,000,000"],
        ["BM_Foo/64", "1", "80.0", "79.2", "12,500,000"]]


def test_two_files_side_by_side(capsys):
    code, out, err = run(capsys, golden("kernel_a.json"), golden("kernel_b.json"))
    assert code == 0 and err == ""
    assert out.split("\n")[0] == ("0 of 4 common runs changed (U test, p<0.05); 4 untested "
                                  "(too few repetitions or an error), 0 within noise")
    assert out.split("\n")[1].startswith(f"A = {golden('kernel_a.json')}: kernel 6.1.0-18-amd64,")
    assert out.split("\n")[2].startswith(f"B = {golden('kernel_b.json')}: kernel 6.18.0-sockchurn,")
    assert ("note: partial overlap: 4 runs in common, 2 only in A, 2 only in B; "
            "only common runs are compared") in out
    lines = section(out, "reuse_unspec vs fresh: exchanges_per_s, A vs B")
    assert cells(lines[4]) == ["proto", "closer", "payload", "placement", "vs", "port", "threads",
                               "A ratio", "A range", "B ratio", "B range", "change"]
    assert [cells(line) for line in lines[6:]] == [
        ["tcp", "client", "64", "same", "fresh_close", "ephemeral", "1", "1.50", "-", "1.65", "-",
         "+10.0%"],
        ["tcp", "client", "64", "same", "fresh_close", "ephemeral", "2", "1.50", "-", "1.80", "-",
         "+20.0%"]]


def test_two_files_list_every_common_run_without_all(capsys):
    """Absolute values, spreads, change and a verdict, without --all."""
    _, out, _ = run(capsys, golden("kernel_a.json"), golden("kernel_b.json"))
    lines = section(out, "every common run: exchanges_per_s, A vs B")
    assert cells(lines[2]) == ["benchmark", "A exch/s", "A min-max", "B exch/s", "B min-max",
                               "change", "n", "verdict"]
    no_test = "no test (needs 9 repetitions per side; A has 1, B has 1)"
    assert [row[1:] for row in table(out, "every common run: exchanges_per_s, A vs B", 4)] == [
        ["20,000", "-", "20,000", "-", "+0.0%", "1/1", no_test],
        ["30,000", "-", "33,000", "-", "+10.0%", "1/1", no_test],
        ["36,000", "-", "30,000", "-", "-16.7%", "1/1", no_test],
        ["54,000", "-", "54,000", "-", "+0.0%", "1/1", no_test]]


def test_two_files_with_errors(capsys):
    _, out, _ = run(capsys, golden("errored.json"), golden("normal.json"))
    body = table(out, "reuse_unspec vs fresh: exchanges_per_s, A vs B", 6)
    assert body[1] == ["tcp", "client", "64", "same", "fresh_close", "bound", "1", "-", "-",
                       "1.60", "-", "-", "A: reuse errored"]
    errors = table(out, "errored benchmarks (excluded from every comparison)")
    assert errors[2][:2] == ["A", ROW]


def test_two_files_partial_overlap_csv_notes_go_to_stderr(capsys):
    code, out, err = run(capsys, "--format", "csv", golden("kernel_a.json"), golden("kernel_b.json"))
    assert code == 0
    assert err == ("compare.py: 0 of 4 common runs changed (U test, p<0.05); 4 untested (too few "
                   "repetitions or an error), 0 within noise\n"
                   "compare.py: warning: kernel differs: A 6.1.0-18-amd64, B 6.18.0-sockchurn\n"
                   "compare.py: note: partial overlap: 4 runs in common, 2 only in A, 2 only in B; "
                   "only common runs are compared\n")
    assert "note" not in out.split("\n")[0]


def test_two_files_without_overlap_refuse(capsys):
    code, out, err = run(capsys, golden("kernel_a.json"), golden("disjoint.json"))
    assert code == 2 and out == ""
    assert err == (f"compare.py: {golden('kernel_a.json')} and {golden('disjoint.json')} have no "
                   f"benchmarks in common (6 and 2 runs): nothing to compare\n")


# ---- as a program: malformed input, exit 2, one line, no traceback

MALFORMED = {
    "notjson.json": ("this is not json\n", "not JSON (Expecting value at line 1 column 1)"),
    "list.json": ("[1, 2, 3]", "not Google Benchmark JSON (top level is a list, expected an object)"),
    "schema.json": ('{"context": {}, "runs": []}', 'not Google Benchmark JSON (no "benchmarks" key)'),
    "empty_benchmarks.json": ('{"context": {}, "benchmarks": []}', 'no benchmarks ("benchmarks" is empty)'),
    "empty.json": ("", "empty file, expected Google Benchmark JSON"),
    "missing.json": (None, "no such file"),
}


def write_case(tmp_path, name):
    text, problem = MALFORMED[name]
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    return path, problem


@pytest.mark.parametrize("name", ["notjson.json", "schema.json", "empty_benchmarks.json",
                                  "missing.json"])
def test_malformed_input_subprocess(run_script, tmp_path, name):
    path, problem = write_case(tmp_path, name)
    result = run_script("compare.py", path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f"compare.py: {path}: {problem}\n"
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", ["list.json", "empty.json"])
def test_malformed_input_in_process(capsys, tmp_path, name):
    path, problem = write_case(tmp_path, name)
    code, out, err = run(capsys, path)
    assert (code, out, err) == (2, "", f"compare.py: {path}: {problem}\n")


def test_malformed_second_file_subprocess(run_script, tmp_path):
    result = run_script("compare.py", golden("kernel_a.json"), tmp_path / "nope.json")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"compare.py: {tmp_path / 'nope.json'}: no such file\n"


def test_runs_from_any_cwd_and_help(run_script, tmp_path):
    result = run_script("compare.py", golden("repetitions.json"), cwd="/")
    assert result.returncode == 0 and "p=0.00041 *" in result.stdout
    help_text = run_script("compare.py", "--help").stdout
    assert "reuse_unspec" in help_text and "--format" in help_text and "-o FILE" in help_text


def test_run_directly_as_executable(tmp_path):
    import subprocess
    result = subprocess.run([compare.__file__, golden("normal.json"), "--table", "errors"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0 and "(none)" in result.stdout


def test_render_rejects_unknown_format():
    with pytest.raises(ValueError):
        sr.render([], "html")


def test_headline(capsys):
    code, out, err = run(capsys, "--headline", golden("normal.json"))
    assert (code, err) == (0, "")
    assert out.split("\n")[1:] == [
        "  tcp, placement same: reuse_unspec vs fresh_close: 1.50-1.67x (median 1.50, 6 runs)",
        "  tcp, placement same: reuse_unspec vs fresh_linger0: 1.20-1.33x (median 1.24, 4 runs)",
        "  tcp, placement split: reuse_unspec vs fresh_close: 1.20-1.20x (median 1.20, 2 runs)",
        "  udp, placement same: reuse_unspec vs fresh_close: 1.97-2.22x (median 2.09, 4 runs)", ""]
    code, _, err = run(capsys, "--headline", golden("normal.json"), golden("kernel_a.json"))
    assert (code, err) == (2, "compare.py: --headline takes one results file\n")
