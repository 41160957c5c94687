"""sockchurn_results.registry and suite_sections: strategies picked by role,
policy and capability from a --list-groups --json document; the sections'
filters filled in from it."""

import json
import os
import stat

import pytest

from sockchurn_results import registry, suite_sections

DOC = {
    "protocol": "tcp",
    "strategies": [
        {"name": "a", "role": "fresh", "policy": {"open": "plain", "linger0": False, "end": "close"},
         "capabilities": {"ends_with": "fin", "rpc": True, "closers": ["client", "server"], "ports": []}},
        {"name": "b", "role": "fresh", "policy": {"open": "plain", "linger0": True, "end": "close"},
         "capabilities": {"ends_with": "rst", "rpc": True, "closers": ["client", "server"], "ports": []}},
        {"name": "c", "role": "reuse", "policy": {"open": "plain", "linger0": False, "end": "unspec"},
         "capabilities": {"ends_with": "rst", "rpc": True, "closers": ["client", "server"],
                          "ports": ["ephemeral", "bound"]}},
        {"name": "d", "role": "reference", "policy": {"open": "plain", "linger0": False, "end": "keep"},
         "capabilities": {"ends_with": "none", "rpc": False, "closers": [], "ports": []}},
    ],
}


@pytest.mark.parametrize("selector, names", [
    ({"role": "fresh"}, ["a", "b"]),
    ({"role": ["reuse", "fresh"]}, ["a", "b", "c"]),
    ({"role": "fresh", "policy": {"linger0": False, "end": "close"}}, ["a"]),
    ({"capabilities": {"ends_with": "rst"}}, ["b", "c"]),
    ({"capabilities": {"rpc": True}, "policy": {"end": ["close", "unspec"]}}, ["a", "b", "c"]),
    ({"policy": {"no_such_field": 1}}, []),
    ({}, ["a", "b", "c", "d"]),
])
def test_select(selector, names):
    assert registry.select(DOC, selector) == names


def test_alternation_and_default_regex():
    assert registry.alternation(["a"]) == "a"
    assert registry.alternation(["a", "b"]) == "(a|b)"
    assert registry.default_regex(DOC, "c") == "^tcp/c/closer:client/port:ephemeral/"
    assert registry.default_regex(DOC, "d") == "^tcp/d/"
    with pytest.raises(registry.RegistryError, match="no strategy 'x'"):
        registry.default_regex(DOC, "x")


def fake_binary(tmp_path, doc, status=0):
    path = tmp_path / "tcp_churn"
    path.write_text("#!/bin/sh\n"
                    f"[ \"$1 $2\" = '--list-groups --json' ] || exit 9\n"
                    f"cat <<'EOF'\n{json.dumps(doc)}\nEOF\n"
                    f"echo 'tcp_churn: it broke' >&2\nexit {status}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_load_says_why_in_one_line(tmp_path):
    assert registry.load(fake_binary(tmp_path, DOC))["strategies"][0]["name"] == "a"
    with pytest.raises(registry.RegistryError, match=r"--list-groups --json failed: tcp_churn: it broke$"):
        registry.load(fake_binary(tmp_path, DOC, status=2))
    with pytest.raises(registry.RegistryError, match="No such file"):
        registry.load(str(tmp_path / "missing"))


def test_sections_fill_in_their_strategies(tmp_path):
    fake_binary(tmp_path, DOC)
    sections = [{"name": "s", "path": "loopback", "binary": "tcp_churn", "flags": "--threads=1",
                 "filter": "^tcp/{strategies}/rpc:", "strategies": {"policy": {"end": ["close", "unspec"]}},
                 "expected": "", "variants": [{"dims": "-", "conntrack": "off", "sysctls": ["a=1", "b=2"]}]},
                {"name": "t", "path": "netns", "binary": "tcp_churn", "flags": "",
                 "filter": "^tcp/{strategies}/", "strategies": {"role": "reference"}, "expected": "EADDRNOTAVAIL",
                 "variants": []}]
    assert suite_sections.sections_table(sections, str(tmp_path)) == [
        "s ; loopback ; tcp_churn ; --threads=1 ; ^tcp/(a|b|c)/rpc: ; ",
        "t ; netns ; tcp_churn ;  ; ^tcp/d/ ; EADDRNOTAVAIL"]
    assert suite_sections.variants_table(sections) == ["s ; - ; off ; a=1,b=2"]
    sections[1]["strategies"] = {"role": "none"}
    with pytest.raises(suite_sections.SectionsError, match="section t: its selector .* picks no strategy"):
        suite_sections.sections_table(sections, str(tmp_path))


def test_the_suite_sections_resolve():
    """The committed sections file: each selector picks at least one
    strategy of the built binary (skipped without a build)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    bin_dir = os.environ.get("SOCKCHURN_BIN_DIR", os.path.join(root, "build", "release", "bin"))
    sections = suite_sections.load()
    assert suite_sections.names(sections)
    if not all(os.access(os.path.join(bin_dir, s["binary"]), os.X_OK) for s in sections):
        pytest.skip(f"the binaries are not built in {bin_dir}")
    for line in suite_sections.sections_table(sections, bin_dir):
        assert "{strategies}" not in line
