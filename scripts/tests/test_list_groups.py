"""tcp_churn / udp_churn --list-groups --json: it parses, and it says what the
binaries register (their --benchmark_list_tests and --list-groups) and the
roles their results record. Skipped when the Release binaries are not built
(SOCKCHURN_BIN_DIR, default build/release/bin)."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from sockchurn_results.names import parse_name
from sockchurn_results.roles import parse_roles

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("SOCKCHURN_BIN_DIR", ROOT / "build" / "release" / "bin"))
FLAGS = ["--threads=1,2", "--placement=same,split", "--payload=64,1024", "--rpc=1,10", "--flows=1,4"]
ROLES = {"reuse", "fresh", "reference"}


def binary(name):
    path = BIN / name
    if not os.access(path, os.X_OK):
        pytest.skip(f"{path} is not built (cmake --build --preset release, or set SOCKCHURN_BIN_DIR)")
    return str(path)


def run(*argv):
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module", params=["tcp_churn", "udp_churn"])
def listing(request):
    exe = binary(request.param)
    doc = json.loads(run(exe, "--list-groups", "--json", *FLAGS))
    return request.param, exe, doc


def test_protocol_and_roles(listing):
    name, _, doc = listing
    protocol = name.split("_")[0]
    assert doc["protocol"] == protocol
    strategies = doc["strategies"]
    assert strategies, "no strategy listed"
    roles = parse_roles(doc["strategy_roles"])
    for s in strategies:
        assert s["protocol"] == protocol
        assert s["role"] in ROLES
        assert roles[s["name"]] == s["role"], s["name"]
        caps = s["capabilities"]
        assert [r for r in ROLES if caps[r]] == [s["role"]], s["name"]
    # Every role the results tools compare exists for each protocol.
    assert {s["role"] for s in strategies} == ROLES


def test_groups_are_the_text_listing(listing):
    _, exe, doc = listing
    text = run(exe, "--list-groups", *FLAGS).split()
    assert [g["regex"] for g in doc["groups"]] == text


def test_groups_cover_every_benchmark_once(listing):
    _, exe, doc = listing
    listed = [re.sub(r"/real_time/threads:[0-9]+$", "", n) for n in run(exe, "--benchmark_list_tests", *FLAGS).split()]
    listed = list(dict.fromkeys(listed))
    grouped = [b for g in doc["groups"] for b in g["benchmarks"]]
    assert sorted(grouped) == sorted(listed)
    assert len(grouped) == len(set(grouped))
    for g in doc["groups"]:
        for b in g["benchmarks"]:
            assert re.search(g["regex"], b), (g["regex"], b)


def test_group_dimensions_match_names(listing):
    _, _, doc = listing
    by_name = {s["name"]: s for s in doc["strategies"]}
    allowed = {d["name"]: d["values"] for d in doc["dimensions"]}
    engines = {e["name"]: e for e in doc["engines"]}
    for g in doc["groups"]:
        s = by_name[g["strategy"]]
        assert g["role"] == s["role"] and g["protocol"] == doc["protocol"]
        dims = g["dimensions"]
        assert dims["engine"] in engines and engines[dims["engine"]]["available"]
        assert doc["protocol"] in engines[dims["engine"]]["protocols"]
        runs_on = {e["engine"]: e for e in s["capabilities"]["engines"]}
        assert dims["engine"] in runs_on, g["group"]
        for key, value in dims.items():
            values = value if isinstance(value, list) else [value]
            assert set(values) <= set(allowed[key]), (g["group"], key, value)
        assert ("closer" in dims) == bool(s["capabilities"]["closers"])
        assert ("rpc" in dims) == s["capabilities"]["rpc"]
        if "port" in dims:
            assert dims["port"] == runs_on[dims["engine"]]["ports"]
        for b in g["benchmarks"]:
            parsed = parse_name(b)
            assert parsed["strategy"] == g["strategy"]
            for key in ("closer", "rpc", "flows", "engine"):
                if key in parsed["dims"]:
                    assert parsed["dims"][key] == str(dims[key]), (b, key)
            if "port" in parsed["dims"]:
                assert parsed["dims"]["port"] in dims["port"]
            assert int(parsed["dims"]["payload"]) in dims["payload"]
            assert parsed["dims"]["placement"] in dims["placement"]


def test_gaps_say_why(listing):
    _, _, doc = listing
    for s in doc["strategies"]:
        runs_on = {e["engine"]: e for e in s["capabilities"]["engines"]}
        for gap in s["gaps"]:
            assert gap["why"], gap
            assert gap["port"] not in runs_on.get(gap["engine"], {}).get("ports", [])


def test_filter_narrows_the_groups():
    exe = binary("tcp_churn")
    doc = json.loads(run(exe, "--list-groups", "--json", "--benchmark_filter=^tcp/[^/]+/closer:server/"))
    assert doc["groups"] and all(g["dimensions"]["closer"] == "server" for g in doc["groups"])
    # The strategies and engines are the registry's, whatever the filter.
    full = json.loads(run(exe, "--list-groups", "--json"))
    assert doc["strategies"] == full["strategies"] and doc["engines"] == full["engines"]


def test_json_alone_is_a_usage_error():
    exe = binary("tcp_churn")
    done = subprocess.run([exe, "--json"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == "tcp_churn: --json: only with --list-groups\n"
