"""Strategy roles, new name dimensions, baselines left out by a filter."""

import json

import pytest
from conftest import golden

import compare
import sockchurn_results as sr
from sockchurn_results.roles import RolesError, StrategyRoles, parse_roles

OLD_ORDER = ("fresh_close", "fresh_linger0", "reuse_unspec", "keepalive", "reconnect", "sendto")


def run(capsys, *args):
    code = compare.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_parse_roles_keeps_order_and_reads_merged_parts():
    assert list(parse_roles("b=fresh, a=reuse | c=reference,a=reuse").items()) == [
        ("b", "fresh"), ("a", "reuse"), ("c", "reference")]


@pytest.mark.parametrize("text, problem", [
    ("a=fresh,b", "strategy_roles item 'b' is not NAME=ROLE"),
    ("=fresh", "strategy_roles item '=fresh' is not NAME=ROLE"),
    ("a=baseline", "strategy_roles item 'a=baseline': role 'baseline' is not one of "
                   "reuse, fresh, reference"),
    ("a=fresh,a=reuse", "strategy_roles gives a two roles: fresh and reuse"),
])
def test_parse_roles_refuses_malformed(text, problem):
    with pytest.raises(RolesError) as info:
        parse_roles(text)
    assert str(info.value) == problem


def test_malformed_roles_in_a_file_is_one_line(tmp_path, capsys):
    doc = json.load(open(golden("roles.json")))
    doc["context"]["strategy_roles"] = "hold_fd=reused"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    code, out, err = run(capsys, path)
    assert (code, out) == (2, "")
    assert err == (f"compare.py: {path}: context strategy_roles item 'hold_fd=reused': "
                   f"role 'reused' is not one of reuse, fresh, reference\n")


def test_old_file_roles_by_naming_rule_and_order_by_first_appearance():
    results = sr.load(golden("normal.json"))
    roles = results.roles
    assert not roles.from_context
    assert roles.roles == {"fresh_close": "fresh", "fresh_linger0": "fresh",
                           "reuse_unspec": "reuse", "keepalive": "reference",
                           "reconnect": "reference", "sendto": "reference"}
    assert roles.order == OLD_ORDER
    # Today's colours for the strategies of the committed charts.
    assert roles.colors() == {"fresh_close": "#1f77b4", "fresh_linger0": "#ff7f0e",
                              "reuse_unspec": "#2ca02c", "keepalive": "#7f7f7f",
                              "reconnect": "#9467bd", "sendto": "#8c564b"}


def test_roles_from_context_give_a_new_reuse_strategy_ratios_and_a_colour():
    """hold_fd is no reuse_* name: only the context makes it a reuse strategy."""
    results = sr.load(golden("roles.json"))
    assert results.roles.from_context and results.roles.role("hold_fd") == "reuse"
    table = sr.ratio_table(results)
    rows = table[table["strategy"] == "hold_fd"]
    assert rows[["baseline", "threads"]].values.tolist() == [
        ["fresh_close", 1], ["fresh_close", 2], ["fresh_linger0", 1], ["fresh_linger0", 2]]
    assert rows["ratio"].tolist() == pytest.approx([1.65, 1.65, 1.32, 1.32])
    assert table["strategy"].tolist()[:4] == ["reuse_unspec"] * 4      # registry order
    colors = results.roles.colors()
    assert colors["hold_fd"] not in {colors[s] for s in colors if s != "hold_fd"}


def test_several_reuse_strategies_get_a_reuse_column(capsys):
    _, out, _ = run(capsys, golden("roles.json"))
    assert "== reuse vs fresh: exchanges_per_s ==" in out
    assert ("proto  closer  payload  placement  reuse         vs             port       threads"
            in out)
    assert ("tcp    client  64       same       hold_fd       fresh_linger0  -                2"
            "        59,400        45,000   1.32      -  1/1  n<9") in out


def test_unknown_strategy_missing_from_roles_uses_the_naming_rule():
    roles = StrategyRoles(roles={"a": "fresh"}, from_context=True)
    assert roles.role("reuse_x") == "reuse" and roles.role("other") == "reference"
    assert roles.rank("other") == (1, "other")


# ---- a filter that left out the baselines

def only(source, target, prefix):
    doc = json.load(open(golden(source)))
    doc["benchmarks"] = [r for r in doc["benchmarks"] if r["run_name"].startswith(prefix)]
    target.write_text(json.dumps(doc))
    return target


def test_old_file_without_baselines_says_include_fresh(tmp_path, capsys):
    path = only("normal.json", tmp_path / "f.json", "tcp/reuse_unspec/")
    code, out, _ = run(capsys, path)
    assert code == 0
    assert ("note: no ratios for tcp/reuse_unspec: its baselines are not in the file; "
            "include the fresh_* strategies") in out
    assert "(no reuse / fresh pairs in this file)" in out


def test_new_file_without_baselines_names_the_fresh_role_strategies(tmp_path, capsys):
    path = only("roles.json", tmp_path / "f.json", "tcp/hold_fd/")
    _, out, _ = run(capsys, path)
    assert ("note: no ratios for tcp/hold_fd: its baselines are not in the file; include the "
            "fresh strategies (fresh_close, fresh_linger0; those that exist for tcp), e.g. "
            "--filter 'tcp/(hold_fd|fresh_close|fresh_linger0)/'") in out


def test_complete_file_has_no_baseline_note(capsys):
    _, out, _ = run(capsys, golden("normal.json"))
    assert "no ratios for" not in out


# ---- engine, flows, rpc

def test_names_without_new_dimensions_read_as_their_defaults():
    old = sr.parse_name("tcp/fresh_close/closer:client/payload:64/placement:same/real_time/threads:2")
    new = sr.parse_name("tcp/fresh_close/closer:client/engine:blocking/flows:1/rpc:1/payload:64/"
                        "placement:same/real_time/threads:2")
    asio = sr.parse_name("tcp/fresh_close/closer:client/engine:asio/flows:1/rpc:1/payload:64/"
                         "placement:same/real_time/threads:2")
    assert sr.run_key(old) == sr.run_key(new) != sr.run_key(asio)
    rows = sr.load(golden("normal.json")).rows
    tcp = rows[rows["group"] == "tcp"]
    assert set(tcp["engine"]) == {"blocking"} and set(tcp["flows"]) == {"1"} \
        and set(tcp["rpc"]) == {"1"}
    assert set(rows[rows["group"] == "syscall"]["engine"]) == {""}


def test_new_dimensions_pair_like_with_like():
    table = sr.ratio_table(sr.load(golden("dims.json")))
    assert table[["engine", "flows", "threads", "ratio"]].values.tolist() == [
        ["blocking", "1", 1, 1.5], ["blocking", "1", 2, 1.5],
        ["asio", "16", 1, 1.5], ["asio", "16", 2, 1.5]]


def test_old_file_compares_with_new_names(capsys):
    code, out, _ = run(capsys, golden("kernel_a.json"), golden("dims.json"))
    assert code == 0
    assert "note: partial overlap: 4 runs in common, 2 only in A, 4 only in B" in out
    assert "tcp    client  64       same       fresh_close  ephemeral        2     1.50" in out


def test_new_dimensions_show_in_the_table_when_they_vary(capsys):
    _, out, _ = run(capsys, golden("dims.json"))
    assert "proto  closer  engine    flows  payload  placement  vs" in out
    assert "tcp    client  asio      16     64       same       fresh_close" in out


def test_series_labels_name_the_engine_when_it_varies():
    summary = sr.summarize(sr.load(golden("dims.json")))
    labels = [line["label"] for line in sr.series(summary, "exchanges_per_s", "tcp", "same")]
    assert labels == ["fresh_close, client closes, blocking engine, 1 flows",
                      "fresh_close, client closes, asio engine, 16 flows",
                      "reuse_unspec, client closes, ephemeral port, blocking engine, 1 flows",
                      "reuse_unspec, client closes, ephemeral port, asio engine, 16 flows"]
