"""Name parsing: every form the suite generates, and foreign Google Benchmark names."""

import pytest

from sockchurn_results import parse_name, split_aggregate


@pytest.mark.parametrize("name, expected", [
    ("tcp/fresh_close/closer:client/payload:64/placement:same/real_time/threads:8",
     ("tcp", "fresh_close", 8, {"closer": "client", "payload": "64", "placement": "same"})),
    ("tcp/fresh_linger0/closer:server/payload:1024/placement:split/real_time/threads:1",
     ("tcp", "fresh_linger0", 1, {"closer": "server", "payload": "1024", "placement": "split"})),
    ("tcp/reuse_unspec/closer:client/port:bound/payload:64/placement:same/real_time/threads:16",
     ("tcp", "reuse_unspec", 16,
      {"closer": "client", "port": "bound", "payload": "64", "placement": "same"})),
    ("tcp/keepalive/payload:64/placement:free/real_time/threads:2",
     ("tcp", "keepalive", 2, {"payload": "64", "placement": "free"})),
    ("udp/fresh_close/payload:64/placement:same/real_time/threads:4",
     ("udp", "fresh_close", 4, {"payload": "64", "placement": "same"})),
    ("udp/reuse_unspec/port:ephemeral/payload:64/placement:split/real_time/threads:1",
     ("udp", "reuse_unspec", 1, {"port": "ephemeral", "payload": "64", "placement": "split"})),
    ("udp/reconnect/payload:512/placement:same/real_time/threads:8",
     ("udp", "reconnect", 8, {"payload": "512", "placement": "same"})),
    ("udp/sendto/payload:64/placement:same/real_time/threads:1",
     ("udp", "sendto", 1, {"payload": "64", "placement": "same"})),
    ("syscall/socket_close/proto:udp", ("syscall", "socket_close", None, {"proto": "udp"})),
    ("syscall/connect_disconnect/proto:udp/real_time",
     ("syscall", "connect_disconnect", None, {"proto": "udp"})),
    ("syscall/disconnect_unconnected/proto:tcp/threads:1",
     ("syscall", "disconnect_unconnected", 1, {"proto": "tcp"})),
    ("syscall/getppid", ("syscall", "getppid", None, {})),
    ("syscall/getppid/real_time", ("syscall", "getppid", None, {})),
])
def test_sockchurn_names(name, expected):
    group, strategy, threads, dims = expected
    parsed = parse_name(name)
    assert (parsed["group"], parsed["strategy"], parsed["threads"], parsed["dims"]) == \
        (group, strategy, threads, dims)
    assert parsed["args"] == ()


def test_time_flags():
    assert parse_name("tcp/keepalive/payload:64/placement:same/real_time/threads:2")["time_flags"] \
        == ("real_time",)
    assert parse_name("syscall/getppid")["time_flags"] == ()


@pytest.mark.parametrize("name, group, args, threads, dims", [
    ("BM_Foo/8", "BM_Foo", ("8",), None, {}),
    ("BM_Foo/8/64", "BM_Foo", ("8", "64"), None, {}),
    ("BM_Foo", "BM_Foo", (), None, {}),
    ("BM_Bar/threads:2", "BM_Bar", (), 2, {}),
    ("BM_Baz/size:8/real_time/repeats:3", "BM_Baz", (), None, {"size": "8", "repeats": "3"}),
])
def test_foreign_names_have_no_strategy(name, group, args, threads, dims):
    parsed = parse_name(name)
    assert parsed["group"] == group
    assert parsed["strategy"] == ""
    assert parsed["args"] == args
    assert parsed["threads"] == threads
    assert parsed["dims"] == dims


def test_value_with_colon_keeps_the_rest():
    assert parse_name("tcp/fresh_close/server:10.0.0.1:7/threads:1")["dims"] == \
        {"server": "10.0.0.1:7"}


@pytest.mark.parametrize("name, expected", [
    ("tcp/fresh_close/payload:64/real_time/threads:1_median",
     ("tcp/fresh_close/payload:64/real_time/threads:1", "median")),
    ("BM_Foo/8_cv", ("BM_Foo/8", "cv")),
    ("BM_Foo/8_stddev", ("BM_Foo/8", "stddev")),
    ("BM_Foo/8_mean", ("BM_Foo/8", "mean")),
    ("BM_Foo/8", ("BM_Foo/8", "")),
    ("_mean", ("_mean", "")),
])
def test_split_aggregate(name, expected):
    assert split_aggregate(name) == expected


@pytest.mark.parametrize("bad", ["", None, 3])
def test_bad_names(bad):
    with pytest.raises(ValueError):
        parse_name(bad)


# ---- ring: the io_uring engine's ring features

RING_NAME = ("tcp/reuse_unspec/engine:uring/flows:16/ring:defer+fixedbuf/closer:client/"
             "port:ephemeral/payload:64/placement:same/real_time/threads:1")


def test_a_ring_dimension_is_parsed_and_kept_whole():
    from sockchurn_results.names import default_ring, run_key, with_defaults
    parsed = parse_name(RING_NAME)
    assert parsed["strategy"] == "reuse_unspec"
    assert parsed["dims"]["ring"] == "defer+fixedbuf"
    assert list(parsed["dims"]) == ["engine", "flows", "ring", "closer", "port", "payload",
                                    "placement"]
    assert not default_ring(with_defaults(parsed))
    assert "/ring:defer+fixedbuf/" in run_key(parsed) + "/"


def test_an_io_uring_name_without_ring_ran_the_default_and_other_engines_take_none():
    from sockchurn_results.names import default_ring, run_key, with_defaults
    uring = parse_name(RING_NAME.replace("/ring:defer+fixedbuf", ""))
    assert with_defaults(uring)["ring"] == "default" and default_ring(with_defaults(uring))
    # The default's rows keep their names: the same run as an explicit ring:default.
    assert run_key(uring) == run_key(parse_name(RING_NAME.replace("defer+fixedbuf", "default")))
    assert run_key(uring) != run_key(parse_name(RING_NAME))
    blocking = parse_name("tcp/reuse_unspec/closer:client/port:ephemeral/payload:64/threads:1")
    assert "ring" not in with_defaults(blocking) and default_ring(with_defaults(blocking))
