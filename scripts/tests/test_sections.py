"""The suite's extra sections: merge_results.py --dims-for, their tables
(compare.py --table tw_reuse|conntrack), their charts, and that the main
sweep's tables and charts leave their rows out. On golden/sections.json: a
main sweep of two runs, a tw_reuse section of three variants (one errored in
every repetition, one in one) and a conntrack section of two strategies."""

import json
import math

import sockchurn_results as sr
from conftest import golden

from merge_results import add_dims, with_dims


def load():
    return sr.load(golden("sections.json"))


def test_dims_go_before_the_time_flags_and_threads():
    assert with_dims("tcp/x/payload:64/placement:same/real_time/threads:1", "section:s/v:0") == \
        "tcp/x/payload:64/placement:same/section:s/v:0/real_time/threads:1"
    assert with_dims("BM_Foo", "section:s") == "BM_Foo/section:s"
    doc = {"benchmarks": [{"name": "tcp/x/threads:1_median", "run_name": "tcp/x/threads:1"}]}
    add_dims(doc, "conntrack:on")
    assert doc["benchmarks"][0] == {"name": "tcp/x/conntrack:on/threads:1_median",
                                    "run_name": "tcp/x/conntrack:on/threads:1"}


def test_merge_adds_the_dims_of_one_part(run_script, tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for path in (a, b):
        path.write_text(json.dumps({"context": {}, "benchmarks": [
            {"name": "tcp/fresh_close/payload:64/real_time/threads:1", "run_name":
             "tcp/fresh_close/payload:64/real_time/threads:1", "run_type": "iteration"}]}))
    out = tmp_path / "m.json"
    result = run_script("merge_results.py", a, b, "-o", out, "--dims-for",
                        f"{b}=section:tw_reuse/tw_reuse:1/tw_reuse_delay_ms:100")
    assert (result.returncode, result.stderr) == (0, "")
    names = [r["name"] for r in json.loads(out.read_text())["benchmarks"]]
    assert names == ["tcp/fresh_close/payload:64/real_time/threads:1",
                     "tcp/fresh_close/payload:64/section:tw_reuse/tw_reuse:1/tw_reuse_delay_ms:100/real_time/threads:1"]


def test_merge_refuses_bad_dims_in_one_line(run_script, tmp_path):
    a = tmp_path / "a.json"
    a.write_text(json.dumps({"context": {}, "benchmarks": []}))
    for item, why in ((f"{a}=no dims here", "is not PART=key:value[/key:value...]"),
                      (f"{tmp_path}/other.json=section:x", f"{tmp_path}/other.json is not one of the inputs")):
        result = run_script("merge_results.py", a, "-o", tmp_path / "m.json", "--dims-for", item)
        assert result.returncode == 2
        assert result.stderr == f"merge_results.py: --dims-for '{item}'{':' if 'inputs' in why else ''} {why}\n"
        assert not (tmp_path / "m.json").exists()


def test_tw_reuse_table():
    table = sr.tw_reuse_table(load())
    assert list(table["variant"]) == ["tw_reuse=0", "tw_reuse=1", "tw_reuse=1, tw_reuse_delay_ms=100"]
    assert list(table["n_errored"]) == [2, 0, 1]
    # No exchange at all: 0/s. The errored repetition of the last: 500
    # exchanges in 2000 / 1000 = 2 s, so 250/s, beside 8000/s.
    assert list(table["exchanges_per_s"]) == [0.0, 900.0, 4125.0]
    assert (table["exchanges_per_s_min"][2], table["exchanges_per_s_max"][2]) == (250.0, 8000.0)
    assert list(table["eaddrnotavail_per_s"]) == [4500.0, 2500.0, 550.0]
    assert list(table["time_wait"]) == [0.0, 1000.0, 1000.0]


def test_conntrack_table():
    table = sr.conntrack_table(load())
    assert list(table["strategy"]) == ["fresh_close", "reuse_unspec"]
    assert list(table["port"]) == ["", "ephemeral"]
    assert list(table["exchanges_per_s_off"]) == [14500.0, 17500.0]
    assert list(table["exchanges_per_s_on"]) == [12500.0, 16250.0]
    assert math.isclose(table["rate_change"][0], 12500 / 14500 - 1)
    assert list(table["cpu_added_us"]) == [3.0, 3.0]
    # The last repetition's table: it holds both repetitions' entries.
    assert list(table["entries"]) == [10001.0, 12001.0]
    assert list(table["entries_TIME_WAIT"]) == [10000.0, 0.0]
    assert list(table["entries_CLOSE"]) == [0.0, 12000.0]


def test_main_sweep_leaves_the_sections_out():
    results = load()
    main = sr.main_sweep(results)
    assert set(main.rows["section"]) == {""}
    assert len(sr.summarize(main)) == 2
    assert sr.main_sweep(sr.load(golden("normal.json"))).rows.equals(sr.load(golden("normal.json")).rows)


def test_compare_tables_and_headline(run_script):
    result = run_script("compare.py", golden("sections.json"), "--table", "tw_reuse", "--format", "csv")
    assert result.returncode == 0
    assert result.stdout.splitlines()[1:] == [
        "tw_reuse=0,2,2,0,0,0,0,4500,4000,5000",
        "tw_reuse=1,2,0,900,800,1000,1000,2500,2000,3000",
        '"tw_reuse=1, tw_reuse_delay_ms=100",2,1,4125,250,8000,1000,550,100,1000']
    result = run_script("compare.py", golden("sections.json"), "--table", "conntrack")
    lines = result.stdout.splitlines()
    assert any(line.split()[:5] == ["fresh_close", "client", "-", "14,500", "12,500"] for line in lines)
    # The headline is the main sweep's: one run, not the sections' pairs too.
    result = run_script("compare.py", golden("sections.json"), "--headline")
    assert "reuse_unspec vs fresh_close: 1.21-1.21x (median 1.21, 1 runs)" in result.stdout


def test_plot_draws_the_section_charts(run_script, tmp_path):
    result = run_script("plot.py", golden("sections.json"), "-o", tmp_path / "p", "--prefix", "x")
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in (tmp_path / "p").iterdir() if p.suffix == ".png")
    for chart in ("x-tw_reuse.png", "x-conntrack-cost.png", "x-conntrack-entries.png", "x-same-throughput.png"):
        assert chart in written


def test_chart_provenance_names_each_kind_of_isolation_once():
    from sockchurn_results.report import short_isolation
    assert short_isolation("private network namespace (lo,scv25440c) | private network namespace (lo,scv7c)"
                           " | private network namespace (loopback only)") == \
        "private network namespace (lo,scv…; loopback only)"
