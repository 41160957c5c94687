"""Loading, per-run summaries, ratios, spread, significance, two-file matching."""

import json
import math

import pytest
from conftest import golden

import sockchurn_results as sr
from sockchurn_results.stats import syscall_table

REUSE9 = [30000, 30500, 29500, 31000, 29000, 30200, 29800, 30100, 29900]
FRESH9 = [20000, 20400, 19600, 20200, 19800, 21000, 19000, 20100, 19900]


def row_of(table, **match):
    rows = table
    for key, value in match.items():
        rows = rows[rows[key] == value]
    assert len(rows) == 1, f"{len(rows)} rows match {match}"
    return rows.iloc[0]


# ---- loading

def test_load_normal_file():
    results = sr.load(golden("normal.json"))
    assert results.is_sockchurn
    # ring (the io_uring engine's features) is canonical too: empty where no
    # row ran the io_uring engine.
    assert results.dims == ("closer", "port", "engine", "flows", "ring", "rpc", "payload",
                            "placement", "proto")
    assert set(results.rows["ring"]) == {""}
    assert results.counters == ("exchanges_per_s", "cpu_us_per_exchange",
                                "server_cpu_us_per_exchange", "p50_us", "p99_us", "time_wait",
                                "errors", "errors_EADDRNOTAVAIL", "stale")
    assert len(results.rows) == 33
    assert results.context["kernel"] == "6.18.0-sockchurn"


def test_times_are_converted_to_ns():
    rows = sr.load(golden("normal.json")).rows
    tcp = rows[rows["run_name"] == "tcp/fresh_close/closer:client/payload:64/placement:same/real_time/threads:1"]
    assert tcp["real_time_ns"].tolist() == [50.0 * 1000]        # "us" in the file
    call = rows[rows["run_name"] == "syscall/getppid/real_time"]
    assert call["real_time_ns"].tolist() == [50.0]              # "ns" in the file


def test_missing_counters_are_nan():
    rows = sr.load(golden("normal.json")).rows
    udp = rows[rows["group"] == "udp"]
    assert udp["time_wait"].isna().all()
    assert rows[rows["group"] == "syscall"]["exchanges_per_s"].isna().all()


def test_minimal_rows_and_missing_context():
    doc = {"benchmarks": [{"name": "tcp/fresh_close/threads:1", "exchanges_per_s": 5}]}
    results = sr.parse_results(doc, "mem")
    assert results.context == {}
    assert results.rows.iloc[0]["threads"] == 1
    assert math.isnan(results.rows.iloc[0]["real_time_ns"])
    assert "kernel ?" in sr.provenance(results.context)


def test_rows_without_run_name_use_the_aggregate_suffix():
    doc = {"benchmarks": [
        {"name": "BM_X/1", "run_type": "iteration", "real_time": 3, "cpu_time": 3, "time_unit": "ns"},
        {"name": "BM_X/1_median", "run_type": "aggregate", "real_time": 3, "cpu_time": 3,
         "time_unit": "ns"}]}
    rows = sr.parse_results(doc).rows
    assert rows["run_name"].tolist() == ["BM_X/1", "BM_X/1"]
    assert rows["aggregate_name"].tolist() == ["", "median"]


@pytest.mark.parametrize("doc, message", [
    ([1, 2], "not Google Benchmark JSON (top level is a list, expected an object)"),
    ({"context": {}}, "not Google Benchmark JSON (no \"benchmarks\" key)"),
    ({"benchmarks": {}}, "\"benchmarks\" is a dict, expected a list"),
    ({"benchmarks": []}, "no benchmarks (\"benchmarks\" is empty)"),
    ({"benchmarks": [{"real_time": 1}]}, "benchmark #0 has no \"name\""),
    ({"benchmarks": [{"name": "x", "time_unit": "fs"}]}, "benchmark 'x' has unknown time_unit 'fs'"),
])
def test_wrong_schema(doc, message):
    with pytest.raises(sr.ResultsError) as info:
        sr.parse_results(doc, "f.json")
    assert str(info.value) == f"f.json: {message}"


def test_load_problems(tmp_path):
    cases = {"missing.json": None, "notjson.json": "hello", "empty.json": "",
             "cut.json": '{"benchmarks": [{"name": "a"'}
    expected = {"missing.json": "no such file",
                "notjson.json": "not JSON (Expecting value at line 1 column 1)",
                "empty.json": "empty file, expected Google Benchmark JSON",
                "cut.json": "not JSON (Expecting ',' delimiter at line 1 column 29; "
                            "truncated by a crashed run?)"}
    for name, text in cases.items():
        path = tmp_path / name
        if text is not None:
            path.write_text(text)
        with pytest.raises(sr.ResultsError) as info:
            sr.load(path)
        assert str(info.value) == f"{path}: {expected[name]}"
    with pytest.raises(sr.ResultsError, match="is a directory"):
        sr.load(tmp_path)


# ---- summaries

def test_summary_medians_and_counts():
    results = sr.load(golden("repetitions.json"))
    summary = sr.summarize(results)
    tcp_reuse = row_of(summary, strategy="reuse_unspec", group="tcp")
    assert tcp_reuse["n"] == 9 and tcp_reuse["source"] == "repetitions"
    assert tcp_reuse["exchanges_per_s"] == 30000.0
    assert tcp_reuse["exchanges_per_s_min"] == 29000.0
    assert tcp_reuse["exchanges_per_s_max"] == 31000.0
    assert list(tcp_reuse["exchanges_per_s_samples"]) == REUSE9
    udp_reuse = row_of(summary, strategy="reuse_unspec", group="udp")
    assert udp_reuse["stale"] == 3.0            # counts are summed: 1 + 0 + 2
    assert udp_reuse["exchanges_per_s"] == 218000.0


def test_summary_errors_are_summed_and_errnos_kept():
    summary = sr.summarize(sr.load(golden("normal.json")))
    row = row_of(summary, strategy="fresh_close", group="tcp", closer="client",
                 placement="same", threads=2)
    assert row["errors"] == 3.0 and row["errors_EADDRNOTAVAIL"] == 3.0


def test_aggregate_only_file_uses_the_median_aggregate():
    summary = sr.summarize(sr.load(golden("aggregates_only.json")))
    row = row_of(summary, strategy="reuse_unspec")
    assert row["source"] == "aggregate" and row["n"] == 3
    assert row["exchanges_per_s"] == 218000.0
    assert row["exchanges_per_s_samples"] == ()


def test_errored_runs_have_no_values():
    summary = sr.summarize(sr.load(golden("errored.json")))
    errored = sr.errored_runs(summary)
    assert errored[["run_name", "n_errored", "n_total", "error_message"]].values.tolist() == [
        ["tcp/reuse_unspec/closer:client/port:bound/payload:64/placement:same/real_time/threads:1",
         1, 1, "echo mismatch at byte 3: sent 0x61, got 0x00"],
        ["udp/reuse_unspec/port:ephemeral/payload:64/placement:same/real_time/threads:1",
         3, 3, "connect: Address not available (EADDRNOTAVAIL)"],
    ]
    assert errored.columns.tolist()[4:] == ["errnos", "exchanges"]
    bad = summary[summary["errored"]]
    assert bad["exchanges_per_s"].isna().all()


# ---- ratios

def test_ratios_normal_file():
    results = sr.load(golden("normal.json"))
    table = sr.ratio_table(results)
    assert len(table) == 16
    same = dict(group="tcp", closer="client", placement="same")
    expect = {("fresh_close", "ephemeral", 1): 1.5, ("fresh_close", "ephemeral", 2): 1.5,
              ("fresh_close", "bound", 1): 1.6, ("fresh_close", "bound", 2): 60000 / 36000,
              ("fresh_linger0", "ephemeral", 1): 1.2, ("fresh_linger0", "ephemeral", 2): 1.2,
              ("fresh_linger0", "bound", 1): 1.28, ("fresh_linger0", "bound", 2): 60000 / 45000}
    for (baseline, port, threads), ratio in expect.items():
        row = row_of(table, baseline=baseline, port=port, threads=threads, **same)
        assert row["ratio"] == pytest.approx(ratio, rel=1e-12)
        assert row["note"] == "n<9" and math.isnan(row["lo"]) and math.isnan(row["p_value"])
    assert row_of(table, group="tcp", closer="client", placement="split", threads=2)["ratio"] == \
        pytest.approx(1.2)
    assert row_of(table, group="tcp", closer="server", threads=1)["ratio"] == pytest.approx(1.5)
    udp = table[table["group"] == "udp"]
    assert set(udp["baseline"]) == {"fresh_close"}          # UDP has no fresh_linger0
    assert udp["ratio"].tolist() == pytest.approx([1.97, 2.0, 2.18, 400000 / 180000])
    # Sort order: ephemeral before bound, threads ascending.
    assert udp["port"].tolist() == ["ephemeral", "ephemeral", "bound", "bound"]
    assert udp["threads"].tolist() == [1, 2, 1, 2]


def test_ratio_spread_and_u_test_with_nine_repetitions():
    table = sr.ratio_table(sr.load(golden("repetitions.json")))
    tcp = row_of(table, group="tcp")
    assert tcp["ratio"] == 1.5
    assert tcp["lo"] == pytest.approx(29000 / 21000)
    assert tcp["hi"] == pytest.approx(31000 / 19000)
    assert (tcp["n_reuse"], tcp["n_fresh"]) == (9, 9)
    assert tcp["p_value"] == pytest.approx(4.1229e-4, rel=1e-3)   # fully separated samples
    assert tcp["note"] == ""
    assert sr.u_test(REUSE9, FRESH9) == tcp["p_value"]


def test_three_repetitions_have_a_range_but_no_test():
    table = sr.ratio_table(sr.load(golden("repetitions.json")))
    udp = row_of(table, group="udp")
    assert udp["port"] == "bound"
    assert udp["ratio"] == pytest.approx(2.18)
    assert udp["lo"] == pytest.approx(216000 / 101000)
    assert udp["hi"] == pytest.approx(220000 / 99000)
    assert math.isnan(udp["p_value"]) and udp["note"] == "n<9"


def test_cost_metric_ratio_is_fresh_over_reuse():
    table = sr.ratio_table(sr.load(golden("repetitions.json")), "cpu_us_per_exchange")
    tcp = row_of(table, group="tcp")
    assert (tcp["reuse"], tcp["fresh"]) == (29.0, 44.0)   # medians of 25..33 and 40..48
    assert tcp["ratio"] == pytest.approx(44 / 29)
    assert tcp["lo"] == pytest.approx(40 / 33) and tcp["hi"] == pytest.approx(48 / 25)


def test_aggregate_only_ratio_has_no_spread():
    row = row_of(sr.ratio_table(sr.load(golden("aggregates_only.json"))), group="udp")
    assert row["ratio"] == pytest.approx(2.18)
    assert math.isnan(row["lo"]) and row["note"] == "no per-repetition data"


def test_errored_pairs_carry_no_numbers():
    table = sr.ratio_table(sr.load(golden("errored.json")))
    bound = row_of(table, group="tcp", port="bound")
    assert math.isnan(bound["reuse"]) and math.isnan(bound["ratio"])
    assert bound["note"] == "reuse errored"
    assert row_of(table, group="udp")["note"] == "reuse errored"
    assert row_of(table, group="tcp", port="ephemeral")["ratio"] == 1.5


def test_missing_metric_gives_an_empty_table():
    assert sr.ratio_table(sr.load(golden("plain_gb.json"))).empty
    assert sr.ratio_table(sr.load(golden("normal.json")), "no_such_counter").empty


def test_syscall_table():
    table = syscall_table(sr.load(golden("normal.json")))
    assert table[["op", "proto", "real_ns", "socket_close_ratio"]].values.tolist()[:4] == [
        ["socket_close", "tcp", 2000.0, 1.0], ["disconnect_unconnected", "tcp", 250.0, 8.0],
        ["socket_close", "udp", 1500.0, 1.0], ["connect_disconnect", "udp", 300.0, 5.0]]
    getppid = row_of(table, op="getppid")
    assert getppid["real_ns"] == 50.0 and math.isnan(getppid["socket_close_ratio"])


# ---- two files

def test_partial_overlap():
    a = sr.summarize(sr.load(golden("kernel_a.json")))
    b = sr.summarize(sr.load(golden("kernel_b.json")))
    common, only_a, only_b = sr.overlap(a, b)
    assert len(common) == 4
    assert only_a == ["udp/fresh_close/payload:64/placement:same/real_time/threads:1",
                      "udp/reuse_unspec/port:ephemeral/payload:64/placement:same/real_time/threads:1"]
    assert [n.split("/")[1] for n in only_b] == ["fresh_close", "reuse_unspec"]
    assert all(n.endswith("threads:4") for n in only_b)


def test_no_overlap():
    a = sr.summarize(sr.load(golden("kernel_a.json")))
    d = sr.summarize(sr.load(golden("disjoint.json")))
    assert sr.overlap(a, d)[0] == []


def test_compare_ratio_tables():
    ra, rb = sr.load(golden("kernel_a.json")), sr.load(golden("kernel_b.json"))
    keys = sr.ratio_key_columns(ra)
    table = sr.compare_ratio_tables(sr.ratio_table(ra), sr.ratio_table(rb), keys)
    assert table["threads"].tolist() == [1, 2]
    assert table["ratio_a"].tolist() == pytest.approx([1.5, 1.5])
    assert table["ratio_b"].tolist() == pytest.approx([1.65, 1.8])
    assert table["change_pct"].tolist() == pytest.approx([10.0, 20.0])


def test_compare_runs():
    a = sr.summarize(sr.load(golden("kernel_a.json")))
    b = sr.summarize(sr.load(golden("kernel_b.json")))
    table = sr.compare_runs(a, b, "exchanges_per_s")
    assert table["change_pct"].tolist() == pytest.approx([0.0, 10.0, -100 / 6, 0.0])
    assert set(table["note"]) == {"n<9"}


def test_u_test_needs_nine():
    assert math.isnan(sr.u_test([1] * 8, [2] * 9))
    assert sr.u_test(list(range(9)), list(range(9))) == pytest.approx(1.0)


def test_goldens_are_google_benchmark_shaped():
    """The hand-made files keep Google Benchmark 1.7.1's keys on every row."""
    for name in ("normal.json", "repetitions.json", "errored.json", "kernel_a.json"):
        doc = json.load(open(golden(name)))
        for row in doc["benchmarks"]:
            assert {"name", "family_index", "per_family_instance_index", "run_name", "run_type",
                    "repetitions", "threads", "iterations", "real_time", "cpu_time",
                    "time_unit"} <= row.keys()
            if row["run_type"] == "aggregate":
                assert row["aggregate_name"] in ("mean", "median", "stddev", "cv")
                assert "repetition_index" not in row
            else:
                assert "repetition_index" in row
