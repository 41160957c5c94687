"""Scenarios as data, and their answers from paired ratios (synthetic fixture)."""

import json
from pathlib import Path

import pytest

import sockchurn_results as sr
from sockchurn_results import answers, jsonfile, scenarios
from sockchurn_results.roles import StrategyRoles

DATA = Path(__file__).resolve().parent / "data"
SYNTHETIC = DATA / "synthetic-paired.json"


def load(path):
    doc = json.loads(jsonfile.read_text(path))
    return doc, sr.parse_results(doc, str(path))


def by_name(found):
    return {a.scenario.name: a for a in found}


def test_the_five_cases_are_there():
    assert scenarios.names() == ["proxy-backend", "pool", "short-lived", "udp-client", "port-pressure"]
    for s in scenarios.SCENARIOS:
        assert s.question.endswith("?") and s.groups and s.derived


def test_find_takes_a_parameter_only_where_there_is_one():
    assert scenarios.find("pool:10").rpc == 10
    assert scenarios.find("pool").rpc == 100
    with pytest.raises(scenarios.ScenarioError, match="takes no parameter"):
        scenarios.find("udp-client:3")
    with pytest.raises(scenarios.ScenarioError, match="'x' is not a number"):
        scenarios.find("pool:x")
    with pytest.raises(scenarios.ScenarioError, match="'nope' is not a scenario"):
        scenarios.find("nope")


def test_selection_is_by_role_not_by_name():
    names = ["tcp/a/closer:server", "tcp/b/closer:server/port:ephemeral", "tcp/c/closer:server",
             "tcp/b/closer:client/port:ephemeral", "tcp/k", "tcp/b/engine:asio/flows:16/closer:server/port:ephemeral"]
    roles = StrategyRoles({"a": "fresh", "b": "reuse", "c": "reference", "k": "reference"}, True)
    s = scenarios.find("proxy-backend")
    assert scenarios.select(s, s.groups[0], names, roles) == ["tcp/a/closer:server",
                                                              "tcp/b/closer:server/port:ephemeral"]
    assert scenarios.select(s, s.groups[1], names, roles) == [
        "tcp/b/engine:asio/flows:16/closer:server/port:ephemeral"]
    # Run names become variant names.
    run = "tcp/a/closer:server/payload:64/placement:same/real_time/threads:1"
    assert scenarios.select(s, s.groups[0], [run], roles) == ["tcp/a/closer:server"]


def ratio(den, est, lo, hi):
    return answers.Ratio("tcp/r", den, "exchanges_per_s", est, lo, hi)


def test_a_winner_only_when_its_intervals_exclude_1():
    winner, line = answers.recommend([ratio("tcp/f", 1.5, 1.4, 1.6), ratio("tcp/g", 1.1, 1.05, 1.15)])
    assert winner == "tcp/r" and "faster than every fresh strategy beyond noise" in line
    winner, line = answers.recommend([ratio("tcp/f", 1.5, 1.4, 1.6), ratio("tcp/g", 1.01, 0.98, 1.04)])
    assert winner == "" and line.startswith("no difference beyond noise between r and g")
    winner, line = answers.recommend([ratio("tcp/f", 1.5, 1.4, 1.6), ratio("tcp/g", 0.9, 0.85, 0.95)])
    assert winner == "tcp/g" and "g: faster than r beyond noise" in line


def test_a_ratio_within_3_percent_of_1_is_no_difference():
    # Beyond noise but within the spread two runs of one binary show: a tie, said so.
    small = ratio("tcp/g", 0.99, 0.985, 0.995)
    assert small.within_spread and small.verdict == "tie"
    winner, line = answers.recommend([ratio("tcp/f", 1.01, 1.005, 1.02), small])
    assert winner == ""
    assert line == ("no difference beyond noise between r and f 1.01× [1.00, 1.02], g 0.99× [0.98, 0.99] "
                    "(a ratio within ±3% counts as none: two runs of the same binary differ that much)")
    # An interval that reaches past 3% is judged on noise alone.
    assert ratio("tcp/f", 1.03, 1.01, 1.05).verdict == "win"
    assert not ratio("tcp/f", 1.0, 0.98, 1.02).within_spread


def test_answers_from_the_synthetic_paired_file():
    doc, results = load(SYNTHETIC)
    found = by_name(answers.answers(doc, results))
    assert found["short-lived"].groups[0].winner == "tcp/reuse_unspec/closer:client/port:ephemeral"
    assert found["udp-client"].groups[0].winner == "udp/reuse_unspec/port:ephemeral"
    assert found["pool"].groups[0].winner == ""
    assert "no difference beyond noise" in found["pool"].summary
    proxy = found["proxy-backend"]
    assert len(proxy.groups) == 2 and proxy.groups[1].flags["stalled_slices"] == 1
    assert found["port-pressure"].groups[0].group.threads == 8
    # What each strategy leaves behind, from the rows.
    left = {i["label"]: i for i in found["short-lived"].leftovers}
    assert left["fresh_close"]["time_wait_client"] == 12000 and left["fresh_close"]["time_wait_server"] == 0
    assert left["fresh_close"]["conntrack"] == {"all": 11000.0, "TIME_WAIT": 11000.0}
    assert left["reuse_unspec"]["ports_held"] == 1
    server = {i["label"]: i for i in proxy.leftovers}
    assert server["fresh_close"]["time_wait_server"] == 12000


def test_every_rate_ratio_has_its_cpu_ratio_in_the_evidence():
    # The CPU ratio is stored fresh ÷ reuse, the rate ratio reuse ÷ fresh: the
    # evidence and the report pair them the right way up (they once showed "—").
    doc, results = load(SYNTHETIC)
    short = by_name(answers.answers(doc, results))["short-lived"]
    group = short.groups[0]
    assert group.rates and group.cpus
    for rate in group.rates:
        cpu = group.cpu_of(rate)
        assert (cpu.numerator, cpu.denominator, cpu.metric) == \
            (rate.denominator, rate.numerator, "cpu_us_per_exchange")
    lines = answers.evidence_lines(short)
    assert sum("client CPU per exchange, fresh ÷ reuse, " in line for line in lines) == len(group.rates)


def test_a_pool_at_another_n_is_not_measured_in_the_file():
    doc, results = load(SYNTHETIC)
    a = answers.answer(scenarios.find("pool:10"), doc, results)
    assert a.groups == [] and a.notes == ["blocking client, 1 thread: not measured paired in this file"]


def test_without_paired_a_clear_line_and_no_verdict(tmp_path):
    doc, _ = load(SYNTHETIC)
    del doc["paired"]
    results = sr.parse_results(doc, "x")
    for a in answers.answers(doc, results):
        assert not a.paired and a.notes == [answers.NO_PAIRED]
        assert a.summary == "no paired measurement in this file: no recommendation"
    short = by_name(answers.answers(doc, results))["short-lived"]
    assert any(text == "reuse_unspec ÷ fresh_close" for text, *_ in short.unpaired)


def test_a_scenario_whose_rows_are_missing_leaves_nothing_listed():
    doc, _ = load(SYNTHETIC)
    doc["benchmarks"] = [r for r in doc["benchmarks"] if r["threads"] != 8]
    results = sr.parse_results(doc, "x")
    assert by_name(answers.answers(doc, results))["port-pressure"].leftovers == []
