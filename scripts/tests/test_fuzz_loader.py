"""Property-based tests (hypothesis): no input makes the results loader,
compare.py's tables or plot.py's chart data crash. Any document either loads
or is refused with a one-line ResultsError naming the file."""

import copy
import json
import math

import pytest
from conftest import golden
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import compare
import plot
import sockchurn_results as sr

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow],
                derandomize=True, database=None)

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=10 ** 300),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)

BASE = json.load(open(golden("repetitions.json")))
ROW_KEYS = sorted({k for row in BASE["benchmarks"] for k in row})
NAMES = st.sampled_from(sorted({row["name"] for row in BASE["benchmarks"]}) + [
    "tcp", "tcp/", "/", "udp//threads:x", "syscall/x/proto:", "tcp/x/threads:0",
    "tcp/reuse_unspec/port:a:b/engine:/flows:0/rpc:-1", "tcp/a/n:1/errored:1"])


def exercise(results):
    """Everything compare.py and plot.py compute from a loaded file."""
    summary = sr.summarize(results)
    for metric in ("exchanges_per_s", "cpu_us_per_exchange", "real_time_ns"):
        table = sr.ratio_table(results, metric, summary)
        sr.render([sr.ratio_report(results, table, metric)], "text")
        sr.unpaired_reuse(summary, table)
    calls = sr.syscall_table(results, summary)
    sr.render([sr.syscall_report(results, calls), sr.errors_report(sr.errored_runs(summary)),
               sr.runs_report(results, sr.run_order(results, summary))], "csv")
    sr.render([sr.compare_runs_report(sr.compare_runs(summary, summary, "real_time_ns"),
                                      "real_time_ns")], "md")
    sr.context_differences(results.context, {})
    for placement in sr.placements(summary):
        for group in sr.CHURN_GROUPS:
            sr.series(summary, "exchanges_per_s", group, placement)
            sr.speedup_series(sr.ratio_table(results, "exchanges_per_s", summary), group, placement)
    sr.provenance(results.context, results.source)
    results.roles.colors()


def parse_or_refuse(doc):
    try:
        results = sr.parse_results(doc, "fuzz.json")
    except sr.ResultsError as e:
        message = str(e)
        assert message.startswith("fuzz.json: ") and "\n" not in message
        return None
    exercise(results)
    return results


@settings(max_examples=150, **SETTINGS)
@given(json_values)
def test_any_json_value_loads_or_is_refused(doc):
    parse_or_refuse(doc)


@st.composite
def mutated(draw):
    """The golden file with some rows' keys replaced, deleted or renamed."""
    doc = copy.deepcopy(BASE)
    rows = doc["benchmarks"]
    for _ in range(draw(st.integers(1, 6))):
        row = rows[draw(st.integers(0, len(rows) - 1))]
        if not isinstance(row, dict):
            continue
        action = draw(st.sampled_from(("set", "delete", "name", "counter", "row", "context")))
        key = draw(st.sampled_from(ROW_KEYS))
        if action == "set":
            row[key] = draw(json_values)
        elif action == "delete":
            row.pop(key, None)
        elif action == "name":
            row[draw(st.sampled_from(("name", "run_name")))] = draw(NAMES)
        elif action == "counter":
            row[draw(st.text(min_size=1, max_size=12))] = draw(scalars)
        elif action == "row":
            rows[draw(st.integers(0, len(rows) - 1))] = draw(json_values)
        else:
            doc["context"][draw(st.sampled_from(("strategy_roles", "kernel", "git_commit",
                                                  "placement")))] = draw(json_values)
    return doc


@settings(max_examples=150, **SETTINGS)
@given(mutated())
def test_mutated_results_load_or_are_refused(doc):
    parse_or_refuse(doc)


@settings(max_examples=15, **SETTINGS)
@given(mutated())
def test_plot_draws_mutated_results_or_refuses(doc):
    results = parse_or_refuse(doc)
    if results is None:
        return
    plotter = plot.Plotter(results, "unused", "fuzz")
    plotter.save = lambda fig, stem: plot.plt.close(fig)
    try:
        plotter.run()
    except plot.NothingToPlot:
        pass
    finally:
        plot.plt.close("all")


@settings(max_examples=40, **SETTINGS)
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_compare_on_arbitrary_bytes_is_one_line(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "in.json"
    path.write_bytes(data)
    try:
        code = compare.main([str(path), "--table", "errors", "-o", str(path) + ".out"])
    except SystemExit as e:       # argparse only
        pytest.fail(f"exit {e.code}")
    assert code in (0, 2)


# ---- regression tests: inputs that crashed the loader or the tables before

def row(**extra):
    base = {"name": "tcp/fresh_close/closer:client/payload:64/placement:same/real_time/threads:1",
            "run_type": "iteration", "repetitions": 1, "repetition_index": 0, "threads": 1,
            "iterations": 10, "real_time": 50.0, "cpu_time": 45.0, "time_unit": "us",
            "exchanges_per_s": 20000.0}
    base.update(extra)
    return base


def test_unhashable_time_unit_is_refused():          # was TypeError: unhashable type: 'list'
    with pytest.raises(sr.ResultsError, match=r"^f: benchmark .* has unknown time_unit \['us'\]$"):
        sr.parse_results({"benchmarks": [row(time_unit=["us"])]}, "f")


def test_numbers_beyond_a_float_are_missing_values():  # was OverflowError in float()
    results = sr.parse_results({"benchmarks": [row(real_time=10 ** 400, exchanges_per_s=10 ** 400)]})
    assert math.isnan(results.rows["real_time_ns"][0])
    assert math.isnan(results.rows["exchanges_per_s"][0])
    exercise(results)


def test_infinite_and_nan_values_are_missing_values():   # json.loads accepts them
    doc = json.loads('{"benchmarks": [%s]}' % json.dumps(row()).replace("20000.0", "Infinity")
                     .replace("45.0", "NaN"))
    results = sr.parse_results(doc)
    assert math.isnan(results.rows["exchanges_per_s"][0]) and math.isnan(results.rows["cpu_time_ns"][0])
    exercise(results)


def test_counter_and_dimension_of_one_name_do_not_clash():
    """A counter "port" on one row and a port: dimension on a later one made
    one column of numbers and words (ValueError in astype(float))."""
    doc = {"benchmarks": [row(port=3), row(name="tcp/reuse_unspec/closer:client/port:bound/"
                                                 "payload:64/placement:same/real_time/threads:1")]}
    results = sr.parse_results(doc)
    assert "port" in results.dims and "counter_port" in results.counters
    assert results.rows["counter_port"].tolist()[0] == 3.0
    exercise(results)


@pytest.mark.parametrize("key", ["n", "errored", "source", "key", "role", "exchanges_per_s_min"])
def test_counters_named_like_summary_columns_keep_their_own_column(key):
    results = sr.parse_results({"benchmarks": [row(**{key: 7})]})
    assert f"counter_{key}" in results.counters
    summary = sr.summarize(results)
    assert summary["n"].tolist() == [1] and summary["errored"].tolist() == [False]
    exercise(results)


def test_dimensions_named_like_columns_are_prefixed():
    results = sr.parse_results({"benchmarks": [row(name="tcp/fresh_close/n:2/errored:x/name:y/threads:1")]})
    assert {"dim_n", "dim_errored", "dim_name"} <= set(results.dims)
    exercise(results)


def test_absurd_repetitions_of_an_aggregate():       # was OverflowError: int(inf)
    doc = {"benchmarks": [row(run_type="aggregate", aggregate_name="median", repetitions=1e308,
                              name=row()["name"] + "_median")]}
    doc["benchmarks"][0].pop("repetition_index")
    exercise(sr.parse_results(doc))


@pytest.mark.parametrize("threads", [0, -3, 1 << 40])
def test_impossible_thread_counts_are_refused(threads):   # log2 axis of 0 threads
    with pytest.raises(sr.ResultsError, match=f"has {threads} threads, expected 1 to 1048576$"):
        sr.parse_results({"benchmarks": [row(threads=threads)]}, "f")


def test_two_names_of_one_run_compare_once():
    """An old and a new name of one run in one file share a key."""
    doc = {"benchmarks": [row(), row(name="tcp/fresh_close/closer:client/engine:blocking/flows:1/"
                                          "rpc:1/payload:64/placement:same/real_time/threads:1")]}
    summary = sr.summarize(sr.parse_results(doc))
    assert len(sr.compare_runs(summary, summary, "exchanges_per_s")) == 1


def test_error_message_of_any_type_stays_one_line():
    results = sr.parse_results({"benchmarks": [row(error_occurred=True, error_message="b\nc"),
                                               row(error_occurred=True, error_message=[1])]})
    assert results.rows["error_message"].tolist() == ["b c", "[1]"]
