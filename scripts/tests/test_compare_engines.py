"""compare.py with the engine, flows and rpc dimensions: runs of files made
before them match by their defaults, and the tables and --headline name them
only where they are not the default.

engines_rpc.json is a hand-written file shaped like a run of the blocking
engine at rpc 1/10/100, the asio engine at flows 1 and 16 and the io_uring
engine, at placement same (threads 1; asio flows 16 also at threads 2)."""

import json
import re

from conftest import golden, run_compare, section_lines

import sockchurn_results as sr

NEW = golden("engines_rpc.json")
OLD = golden("normal.json")


run = run_compare


def section(text, title):
    return [re.split(r"\s{2,}", line.strip()) for line in section_lines(text, title)]


def test_new_names_parse_into_their_dimensions():
    name = ("tcp/reuse_unspec/engine:asio/flows:16/rpc:100/closer:server/port:ephemeral/"
            "payload:64/placement:same/real_time/threads:2")
    parsed = sr.parse_name(name)
    assert (parsed["strategy"], parsed["threads"]) == ("reuse_unspec", 2)
    assert parsed["dims"] == {"engine": "asio", "flows": "16", "rpc": "100", "closer": "server",
                              "port": "ephemeral", "payload": "64", "placement": "same"}
    blocking = "tcp/fresh_close/rpc:10/closer:client/payload:64/placement:same/real_time/threads:1"
    assert sr.parse_name(blocking)["dims"] == {"rpc": "10", "closer": "client", "payload": "64",
                                               "placement": "same"}
    rows = sr.load(NEW).rows.set_index("run_name")
    assert tuple(rows.loc[blocking, ["engine", "flows", "rpc"]]) == ("blocking", "1", "10")
    keepalive = rows.loc["tcp/keepalive/engine:asio/flows:16/payload:64/placement:same/real_time/threads:1"]
    assert (keepalive["engine"], keepalive["flows"], keepalive["rpc"], keepalive["closer"]) == \
        ("asio", "16", "1", "")


def test_old_file_matches_new_file_by_defaults(capsys):
    code, out, err = run(capsys, OLD, NEW)
    assert (code, err) == (0, "")
    assert "note: partial overlap: 6 runs in common, 27 only in A, 95 only in B" in out
    runs = section(out, "every common run: exchanges_per_s, A vs B")[4:]
    assert [r[0] for r in runs] == [
        "tcp/fresh_close/closer:client/payload:64/placement:same/real_time/threads:1",
        "tcp/fresh_linger0/closer:client/payload:64/placement:same/real_time/threads:1",
        "tcp/reuse_unspec/closer:client/port:ephemeral/payload:64/placement:same/real_time/threads:1",
        "tcp/fresh_close/closer:server/payload:64/placement:same/real_time/threads:1",
        "tcp/reuse_unspec/closer:server/port:ephemeral/payload:64/placement:same/real_time/threads:1",
        "tcp/keepalive/payload:64/placement:same/real_time/threads:1"]
    assert runs[0][1:5] == ["20,000", "-", "12,500", "-"] and runs[0][5] == "-37.5%"
    ratios = section(out, "reuse_unspec vs fresh: exchanges_per_s, A vs B")
    assert ratios[4] == ["proto", "closer", "payload", "placement", "vs", "port", "threads",
                         "A ratio", "A range", "B ratio", "B range", "change"]
    assert ratios[6:] == [
        ["tcp", "client", "64", "same", "fresh_close", "ephemeral", "1", "1.50", "-", "2.00", "-", "+33.3%"],
        ["tcp", "client", "64", "same", "fresh_linger0", "ephemeral", "1", "1.20", "-", "1.25", "-", "+4.2%"],
        ["tcp", "server", "64", "same", "fresh_close", "ephemeral", "1", "1.50", "-", "1.56", "-", "+3.7%"]]


def test_explicit_defaults_match_omitted_ones(tmp_path, capsys):
    """A file that writes engine:blocking/flows:1/rpc:1 (in another position)
    compares run for run with one that leaves them out."""
    doc = json.load(open(NEW))
    for row in doc["benchmarks"]:
        if "/engine:" not in row["name"]:
            name = re.sub(r"/rpc:[0-9]+", "", row["name"])
            rpc = re.search(r"/rpc:([0-9]+)", row["name"])
            explicit = name.replace("/payload:", f"/engine:blocking/flows:1/rpc:{rpc.group(1) if rpc else 1}"
                                                 f"/payload:")
            row["name"] = row["run_name"] = explicit
    path = tmp_path / "explicit.json"
    path.write_text(json.dumps(doc))
    code, out, _ = run(capsys, NEW, path)
    assert code == 0 and "partial overlap" not in out
    runs = section(out, "every common run: exchanges_per_s, A vs B")[4:]
    assert len(runs) == len({r["run_name"] for r in doc["benchmarks"]}) == 101
    assert all(r[5] == "+0.0%" for r in runs)


def test_ratio_table_shows_engine_flows_rpc(capsys):
    code, out, _ = run(capsys, NEW)
    assert code == 0
    rows = section(out, "reuse_unspec vs fresh: exchanges_per_s")
    assert rows[3] == ["proto", "closer", "engine", "flows", "rpc", "payload", "placement", "vs",
                       "port", "threads", "reuse exch/s", "fresh exch/s", "ratio", "range", "n",
                       "U test"]
    body = rows[5:]
    assert body[0] == ["tcp", "client", "blocking", "1", "1", "64", "same", "fresh_close", "ephemeral",
                       "1", "25,000", "12,500", "2.00", "-", "1/1", "n<9"]
    assert ["tcp", "client", "blocking", "1", "10", "64", "same", "fresh_close", "ephemeral", "1",
            "45,455", "38,462", "1.18", "-", "1/1", "n<9"] in body
    assert ["tcp", "server", "asio", "16", "10", "64", "same", "conditional_linger", "ephemeral", "2",
            "96,000", "85,714", "1.12", "-", "1/1", "n<9"] in body
    # 3 engine variants x 3 rpc + uring at rpc 1, 2 closers, 3 baselines, + asio 16 at threads 2
    assert len(body) == (3 * 3 + 1) * 2 * 3 + 2 * 2 * 3


def test_headline_names_engine_flows_rpc_where_not_default(capsys):
    code, out, err = run(capsys, "--headline", NEW)
    assert (code, err) == (0, "")
    lines = out.split("\n")
    assert lines[0].endswith("min-max over threads, closers and ports:")
    assert lines[1:4] == [
        "  tcp, placement same: reuse_unspec vs fresh_close: 1.56-2.00x (median 1.78, 2 runs)",
        "  tcp, placement same: reuse_unspec vs fresh_linger0: 1.25-1.44x (median 1.35, 2 runs)",
        "  tcp, placement same: reuse_unspec vs conditional_linger: 1.25-1.56x (median 1.40, 2 runs)"]
    assert "  tcp, placement same, 10 requests/conn: reuse_unspec vs fresh_close: 1.11-1.18x " \
           "(median 1.15, 2 runs)" in lines
    assert "  tcp, placement same, asio engine, 1 flow, 100 requests/conn: reuse_unspec vs " \
           "fresh_linger0: 1.01-1.01x (median 1.01, 2 runs)" in lines
    # flows 16 at threads 1 and 2, both closers: 4 runs
    assert "  tcp, placement same, asio engine, 16 flows, 10 requests/conn: reuse_unspec vs " \
           "fresh_close: 1.12-1.20x (median 1.16, 4 runs)" in lines
    assert lines[-2] == ("  tcp, placement same, uring engine: reuse_unspec vs conditional_linger: "
                         "1.25-1.56x (median 1.40, 2 runs)")
    assert len(lines) == 1 + (3 * 3 + 1) * 3 + 1
    assert not any("blocking" in line for line in lines)
