"""Kernel profiles: perf script parsing, client/server split, the reported run's
window, bucket rules, folded stacks, syscall counts, the sum check, the
comparison pairs, the charts and the CLIs' handling of bad input.

The golden files are trimmed real captures from this project's benchmarks:
perf_tcp_fresh_close.txt (perf record -e cpu-clock/period=250000/ -e
syscalls:sys_enter_sched_setaffinity -g) and perf_udp_syscalls.txt (perf
record -e raw_syscalls:sys_enter -e raw_syscalls:sys_exit -e
syscalls:sys_enter_sched_setaffinity).
"""

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import golden

from sockchurn_results import flamegraph as fg
from sockchurn_results import profile as pr

CPU = Path(golden("perf_tcp_fresh_close.txt"))
SYSCALLS = Path(golden("perf_udp_syscalls.txt"))
CLIENT, SERVER = 32266, 32268
MARKER = 1032.139403  # the last sched_setaffinity of the client: the reported run starts
NAME = "tcp/fresh_close/closer:client"
UNISTD = "\n".join(f"#define __NR_{n} {i}" for n, i in (
    ("read", 0), ("write", 1), ("close", 3), ("rt_sigreturn", 15), ("getpid", 39),
    ("socket", 41), ("connect", 42), ("sendto", 44), ("recvfrom", 45),
    ("sched_setaffinity", 203), ("clock_gettime", 228), ("clock_getres", 229),
    ("epoll_wait", 232), ("openat", 257)))

# time of each sample in the reported run -> bucket (client and server)
EXPECTED = {
    1032.153294: "scheduler",            # schedule <- exit_to_user_mode_loop
    1032.165778: "other",                # a retpoline thunk, no rule, no syscall handler
    1032.170557: "user space",           # server, no kernel frame
    1032.205040: "socket create/destroy",  # server: __sys_accept4
    1032.213781: "port search",          # __inet_hash_connect <- tcp_v4_connect
    1032.221335: "data path",            # server: __sys_recvfrom
    1032.222590: "epoll",                # server: do_epoll_ctl
    1032.311104: "user space",
    1032.349147: "handshake",            # tcp_v4_connect itself
    1032.450517: "socket create/destroy",  # locks_remove_file <- __fput
    1032.502381: "syscall entry/exit",   # leaf do_syscall_64
    1032.550183: "data path",            # __sys_sendto
    1032.578544: "teardown",             # tcp_send_fin wins over tcp_close above it
}


def bench(iterations=10, rate=20.0, cpu=220.0, server=100.0, name=NAME):
    return {"context": {"kernel": "6.1.0-test", "git_commit": "abc123",
                        "sysctl.net.ipv4.tcp_tw_reuse": "2",
                        "sysctl.net.ipv4.ip_local_port_range": "32768 60999"},
            "benchmarks": [{"name": f"{name}/payload:64/placement:same/real_time/threads:1",
                            "run_type": "iteration", "iterations": iterations,
                            "exchanges_per_s": rate, "cpu_us_per_exchange": cpu,
                            "server_cpu_us_per_exchange": server, "steal_cpu": 0.0,
                            "foreign_cpu_load": 0.1}]}


@pytest.fixture(scope="module")
def samples():
    return pr.parse_perf_script(CPU.read_text(), CPU.name)


# ---- parsing -----------------------------------------------------------------

def test_parse_headers_and_frames(samples):
    assert len(samples) == 18
    first = samples[0]
    assert (first.comm, first.pid, first.tid, first.time, first.period) == \
        ("tcp_churn", CLIENT, CLIENT, 1031.888892, 250000)
    assert first.event == "cpu-clock/period=250000/"
    assert first.frames == (pr.Frame("malloc", "/usr/lib/x86_64-linux-gnu/libc.so.6", False),)
    port = next(s for s in samples if s.time == 1032.213781)
    assert [f.sym for f in port.frames][:2] == ["__inet_hash_connect", "tcp_v4_connect"]
    assert [f.kernel for f in port.frames] == [True] * 8 + [False]
    markers = [s for s in samples if s.event == pr.RUN_START_EVENT]
    assert [s.time for s in markers] == [1031.944737, MARKER]
    assert markers[0].period == 1


def test_parse_raw_syscalls_keeps_the_detail():
    s = pr.parse_perf_script(SYSCALLS.read_text(), SYSCALLS.name)
    assert len(s) == 44
    assert s[0].event == "raw_syscalls:sys_exit" and s[0].detail == "NR 3 = 0"
    assert s[0].comm == "udp_churn" and s[0].pid == 29102 and s[0].frames == ()
    marker = next(x for x in s if x.event == pr.RUN_START_EVENT)
    assert marker.detail.startswith("pid: 0x00000000")


@pytest.mark.parametrize("text, message", [
    ("", "no samples"),
    ("hello world\n", "line 1: not a perf script sample header or stack frame: 'hello world'"),
    ("\tffffffff81000000 foo ([kernel.kallsyms])\n", "line 1: not a perf script sample"),
    ("x 1/1 2.5: 1 cpu-clock: \n\tzzz not a frame\n", "line 2: not a perf script sample"),
    ("x 1/1 2.5: 1 cpu-clock: \n\tffff no dso here\n", "line 2"),
])
def test_malformed_perf_script_is_one_line_error(text, message):
    with pytest.raises(pr.ProfileError) as e:
        pr.parse_perf_script(text, "in.txt")
    assert str(e.value).startswith("in.txt")
    assert message in str(e.value)
    assert "\n" not in str(e.value)


# ---- who and when ------------------------------------------------------------------

def test_roles_split_by_pid_server_before_exec_included(samples):
    client, server = pr.process_roles(samples, "tcp_churn")
    assert client == {CLIENT} and server == {SERVER}
    pre_exec = next(s for s in samples if s.pid == SERVER and s.comm == "tcp_churn")
    assert pre_exec.frames[-1].sym == "__GI___execve"
    with pytest.raises(pr.ProfileError, match="no samples of the benchmark process 'udp_churn'"):
        pr.process_roles(samples, "udp_churn")


def test_window_starts_at_last_marker(samples):
    assert pr.final_run_window(samples, {CLIENT}, 1, 0.5, guard=0) == \
        (MARKER, MARKER + 0.5, "run start marker (sched_setaffinity)")
    # By default the first 5% of the run (its setup) is left out.
    assert pr.final_run_window(samples, {CLIENT}, 1, 0.5) == \
        (MARKER + 0.025, MARKER + 0.5, "run start marker (sched_setaffinity)")
    # Two threads: the run started with the first of the last two markers.
    assert pr.final_run_window(samples, {CLIENT}, 2, 0.5, guard=0)[0] == 1031.944737
    start, end, method = pr.final_run_window(samples, {CLIENT}, 3, 0.5)
    assert method.startswith("end of recording")
    assert end == 1032.578544 and start == pytest.approx(1032.078544)
    with pytest.raises(pr.ProfileError, match="not positive"):
        pr.final_run_window(samples, {CLIENT}, 1, 0)


# ---- buckets and stacks -----------------------------------------------------------

def test_classification_of_the_golden_samples(samples):
    got = {s.time: pr.classify(s.frames) for s in samples
           if s.time >= MARKER and s.event != pr.RUN_START_EVENT}
    assert got == EXPECTED


def frames(*names):
    return tuple(pr.Frame(n, "[kernel.kallsyms]", True) for n in names) + \
        (pr.Frame("__libc_connect", "libc.so.6", False),)


def test_rules_leaf_upward_and_the_syscall_handler_boundary():
    # The leaf-most matching frame decides, not the rule's place in the table.
    assert pr.classify(frames("_raw_spin_lock", "inet_twsk_kill", "__inet_check_established",
                              "__inet_hash_connect", "tcp_v4_connect")) == "teardown"
    assert pr.classify(frames("_raw_spin_lock", "__inet_check_established",
                              "__inet_hash_connect", "tcp_v4_connect")) == "port search"
    # Nothing matches below the handler: "other", not the entry code above it.
    assert pr.classify(frames("fdget", "__sys_connect", "__x64_sys_connect",
                              "do_syscall_64", "entry_SYSCALL_64_after_hwframe")) == "other"
    assert pr.classify(frames("syscall_exit_work", "do_syscall_64")) == "syscall entry/exit"
    # Clone suffixes and offsets are ignored; prefixes end in "*".
    assert pr.classify(frames("finish_task_switch.isra.0")) == "scheduler"
    assert pr.classify(frames("ep_poll_callback+0x1f")) == "epoll"
    assert pr.classify(frames("__netif_receive_skb_one_core")) == "data path"
    assert pr.classify((pr.Frame("main", "a.out", False),)) == "user space"
    assert pr.classify(()) == "user space"


def test_rule_table_is_ordered_and_complete():
    assert [b for b, _ in pr.RULES] == ["port search", "socket create/destroy", "handshake",
                                        "teardown", "epoll", "scheduler", "data path",
                                        "syscall entry/exit"]
    assert pr.BUCKETS[-2:] == ("other", "user space")
    # A name listed under two rules would take the first; none is.
    names = [p for _, patterns in pr.RULES for p in patterns]
    assert len(names) == len(set(names))


def test_fold_root_first_user_caller_cut(samples):
    by_time = {s.time: s for s in samples}
    assert pr.fold(by_time[1032.213781].frames) == (
        "__libc_connect;entry_SYSCALL_64_after_hwframe;do_syscall_64;__x64_sys_connect;"
        "__sys_connect;inet_stream_connect;__inet_stream_connect;tcp_v4_connect;__inet_hash_connect")
    # perf's unreliable user callers beyond the syscall wrapper are cut.
    assert pr.fold(by_time[1032.222590].frames) == \
        "epoll_ctl;entry_SYSCALL_64_after_hwframe;do_syscall_64;__x64_sys_epoll_ctl;do_epoll_ctl"
    assert pr.fold(by_time[1031.897323].frames).split(";")[:5] == \
        ["__GI___execve", "entry_SYSCALL_64_after_hwframe", "do_syscall_64", "__x64_sys_execve",
         "do_execveat_common"]
    assert pr.fold((pr.Frame("[unknown]", "/x/bin/tcp_churn", False),)) == "[tcp_churn]"


def test_syscall_of_a_sample(samples):
    by_time = {s.time: s for s in samples}
    assert pr.syscall_of(by_time[1032.578544].frames) == "close"
    assert pr.syscall_of(by_time[1032.153294].frames) is None


# ---- one group ------------------------------------------------------------------

def test_profile_samples_counts_only_the_reported_run(samples):
    p = pr.profile_samples(samples, client_comm="tcp_churn", threads=1, rate=20.0, duration_s=0.5,
                           guard=0)
    assert p["window"]["exchanges"] == 10.0
    assert p["window"]["samples_outside"] == 3  # two warm-up samples, the server before exec
    assert p["client"]["samples"] == 9 and p["server"]["samples"] == 4
    assert p["client"]["period_ns"] == 9 * 250000
    client = pr.bucket_us(p["client"], 10)
    assert client == {"port search": 25.0, "socket create/destroy": 25.0, "handshake": 25.0,
                      "teardown": 25.0, "epoll": 0.0, "scheduler": 25.0, "data path": 25.0,
                      "syscall entry/exit": 25.0, "other": 25.0, "user space": 25.0}
    assert pr.bucket_us(p["server"], 10)["epoll"] == 25.0
    assert p["client"]["syscall_cpu"] == {"connect": 500000, "close": 500000, "sendto": 250000,
                                          "kernel outside a syscall handler": 750000,
                                          "user space": 250000}
    assert sum(p["client"]["folded"].values()) == 9 * 250000


def test_sum_check():
    ok = pr.sum_check({"data path": 1.0, "other": 0.5}, 1.5)
    assert ok["passed"] is True and ok["difference"] == 0.0
    assert ok["other_us"] == 0.5 and ok["other_share"] == pytest.approx(1 / 3)
    over = pr.sum_check({"data path": 1.0, "other": 0.5}, 1.0)
    assert over["passed"] is False and over["difference"] == pytest.approx(0.5)
    edge = pr.sum_check({"data path": 1.1}, 1.0)
    assert edge["passed"] is True
    assert pr.sum_check({"data path": 1.0}, None)["passed"] is None


def test_build_group_checks_against_the_runs_own_cpu(samples):
    g = pr.build_group(NAME, "tcp_churn", 1, bench(), samples, guard=0)
    assert g["run"]["exchanges"] == 10 and g["run"]["duration_s"] == 0.5
    assert g["run"]["profiled_exchanges"] == 10.0
    assert g["run"]["note"] == pr.RATE_NOTE
    assert g["client"]["cpu_us"] == 225.0 and g["client"]["measured_us"] == 220.0
    assert g["client"]["check"]["passed"] is True
    assert g["client"]["check"]["difference"] == pytest.approx(5 / 220)
    assert g["server"]["check"]["profiled_us"] == 100.0 and g["server"]["check"]["passed"] is True
    assert g["combined_check"]["profiled_us"] == 325.0 and g["combined_check"]["measured_us"] == 320.0
    # The default window skips the scheduler sample 14 ms after the marker:
    # 8 samples over 20/s x 0.475 s = 9.5 exchanges.
    guarded = pr.build_group(NAME, "tcp_churn", 1, bench(), samples)
    assert guarded["run"]["profiled_exchanges"] == pytest.approx(9.5)
    assert guarded["client"]["samples"] == 8
    assert guarded["client"]["bucket_us"]["scheduler"] == 0.0
    assert guarded["client"]["cpu_us"] == pytest.approx(8 * 250 / 9.5)
    bad = pr.build_group(NAME, "tcp_churn", 1, bench(cpu=150.0), samples, guard=0)
    assert bad["client"]["check"]["passed"] is False
    with pytest.raises(pr.ProfileError, match="expected one run of tcp/fresh_close/closer:client, found 0"):
        pr.build_group(NAME, "tcp_churn", 1, bench(name="tcp/keepalive"), samples)
    with pytest.raises(pr.ProfileError, match="no positive exchanges_per_s"):
        pr.build_group(NAME, "tcp_churn", 1, bench(rate=0), samples)


def test_syscall_counts_in_the_window():
    s = pr.parse_perf_script(SYSCALLS.read_text(), SYSCALLS.name)
    names = pr.syscall_names(UNISTD)
    assert names[41] == "socket" and names[232] == "epoll_wait"
    c = pr.syscall_counts(s, client_comm="udp_churn", threads=1, rate=1.0, duration_s=1.0,
                          names=names, guard=0)
    client = {k: v["calls"] for k, v in c["client"].items()}
    # sched_setaffinity itself began before its marker; recvfrom has no exit in the sample.
    assert client == {"socket": 1, "openat": 1, "read": 1, "close": 1, "getpid": 1,
                      "clock_getres": 2, "clock_gettime": 4, "connect": 1, "sendto": 1}
    assert c["client"]["connect"]["wall_us"] == pytest.approx(3.0, abs=0.01)
    server = {k: v["calls"] for k, v in c["server"].items()}
    # rt_sigreturn's exit reports NR -1: it ends the call the thread was in.
    assert server == {"epoll_wait": 2, "recvfrom": 1, "write": 1, "rt_sigreturn": 1}
    halved = pr.syscall_counts(s, client_comm="udp_churn", threads=1, rate=2.0, duration_s=1.0,
                               guard=0)
    assert halved["client"]["NR41"]["calls"] == 0.5


# ---- names, pairs, diffs ----------------------------------------------------------

LISTED = ["tcp/fresh_close/closer:client", "tcp/fresh_close/closer:server",
          "tcp/fresh_linger0/closer:client", "tcp/fresh_linger0/closer:server",
          "tcp/reuse_unspec/closer:client/port:ephemeral", "tcp/reuse_unspec/closer:client/port:bound",
          "tcp/reuse_unspec/closer:server/port:ephemeral", "tcp/keepalive",
          "udp/fresh_close", "udp/reuse_unspec/port:ephemeral", "udp/reconnect", "udp/sendto"]


def test_group_prefix_and_parse():
    assert pr.group_prefix("tcp/reuse_unspec/closer:client/port:bound/payload:64/placement:same/"
                           "real_time/threads:1") == "tcp/reuse_unspec/closer:client/port:bound"
    assert pr.parse_group("tcp/reuse_unspec/closer:client/port:bound") == \
        ("tcp", "reuse_unspec", {"closer": "client", "port": "bound"})
    with pytest.raises(pr.ProfileError, match="not a strategy group name"):
        pr.parse_group("tcp")


def test_comparison_pairs_by_rule_not_by_list():
    assert pr.comparison_pairs(LISTED) == [
        ("tcp/reuse_unspec/closer:client/port:ephemeral", "tcp/fresh_close/closer:client"),
        ("tcp/reuse_unspec/closer:client/port:ephemeral", "tcp/fresh_linger0/closer:client"),
        ("tcp/reuse_unspec/closer:client/port:bound", "tcp/fresh_close/closer:client"),
        ("tcp/reuse_unspec/closer:client/port:bound", "tcp/fresh_linger0/closer:client"),
        ("tcp/reuse_unspec/closer:server/port:ephemeral", "tcp/fresh_close/closer:server"),
        ("tcp/reuse_unspec/closer:server/port:ephemeral", "tcp/fresh_linger0/closer:server"),
        ("udp/reuse_unspec/port:ephemeral", "udp/fresh_close")]
    # A new strategy is picked up by its name alone.
    assert pr.comparison_pairs(["udp/fresh_new", "udp/reuse_other", "tcp/fresh_new"]) == \
        [("udp/reuse_other", "udp/fresh_new")]


def test_diff_functions_gone_added_changed():
    base = {"a;socket;sock_alloc": 4000, "a;connect;__inet_hash_connect": 2000, "a;send": 1000}
    other = {"a;connect;tcp_disconnect": 1000, "a;connect;__inet_hash_connect": 1000, "a;send": 1000}
    d = pr.diff_functions(base, 1, other, 1, min_us=0.5)
    assert d["gone"] == [("sock_alloc", 4.0, 0.0), ("socket", 4.0, 0.0)]
    assert d["added"] == [("tcp_disconnect", 0.0, 1.0)]
    # "connect" stays at 2.0 (tcp_disconnect replaces half of its port search): unchanged.
    assert d["changed"] == [("a", 7.0, 3.0), ("__inet_hash_connect", 2.0, 1.0)]
    assert all(r[0] != "send" for r in d["changed"])


# ---- flame graphs ---------------------------------------------------------------

def test_flame_tree_and_svg():
    folded = {"a;b;c": 3000, "a;b": 1000, "a;d": 2000}
    tree = fg.build_tree(folded, 1 / 1000)
    assert tree["value"] == 6.0 and tree["children"]["a"]["children"]["b"]["value"] == 4.0
    svg = fg.flame_svg(folded, 1 / 1000, "t <&>", "sub")
    root = ET.fromstring(svg.split("\n", 1)[1])
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert titles == ["all: 6.000 µs/exchange (100.0%)", "a: 6.000 µs/exchange (100.0%)",
                      "b: 4.000 µs/exchange (66.7%)", "c: 3.000 µs/exchange (50.0%)",
                      "d: 2.000 µs/exchange (33.3%)"]
    assert "<script" not in svg and "t &lt;&amp;&gt;" in svg


def test_diff_svg_children_fit_their_parent():
    a = {"r;x": 1000}
    b = {"r;y": 1000}
    svg = fg.diff_svg(a, 1 / 1000, b, 1 / 1000, "d", "s", "fresh", "reuse")
    root = ET.fromstring(svg.split("\n", 1)[1])
    rects = {g.find("{http://www.w3.org/2000/svg}title").text.split(":")[0]:
             float(g.find("{http://www.w3.org/2000/svg}rect").get("width"))
             for g in root.iter("{http://www.w3.org/2000/svg}g")}
    assert rects["x"] + rects["y"] == pytest.approx(rects["r"], abs=0.2)
    assert fg.diff_color(1, 0).startswith("rgb(35,35,255") and fg.diff_color(0, 1) == "rgb(255,35,35)"


# ---- the CLIs --------------------------------------------------------------------

def raw_dir(tmp, cpu_text=None):
    raw = tmp / "raw"
    raw.mkdir()
    (raw / "groups.tsv").write_text(f"1\ttcp_churn\t{NAME}\n")
    (raw / "1.cpu.txt").write_text(cpu_text if cpu_text is not None else CPU.read_text())
    (raw / "1.cpu.json").write_text(json.dumps(bench()))
    return raw


def test_collect_draw_and_redraw(run_script, tmp_path):
    raw = raw_dir(tmp_path)
    out = tmp_path / "out"
    r = run_script("plot_profile.py", "--collect", raw, "-o", out, "--context", "perf_version=6.1",
                   "--setting", "seconds=5")
    assert r.returncode == 0, r.stderr
    assert "no syscall-counting run" in r.stderr
    # 8 client and 4 server samples over 9.5 exchanges (see the guarded build above)
    assert (f"{NAME}: client + server: profiled 315.79 µs vs measured 320.00 µs per exchange "
            "(-1.3%, tolerance 10%: passed)") in r.stdout
    assert "client 210.53 vs 220.00 (-4.3%), server 105.26 vs 100.00 (+5.3%)" in r.stdout
    doc = json.loads((out / "profile.json").read_text())
    assert doc["format"] == "sockchurn-profile" and doc["sum_check"]["passed"] is True
    assert doc["provenance"]["perf_version"] == "6.1" and doc["provenance"]["kernel"] == "6.1.0-test"
    assert doc["provenance"]["sysctl.net.ipv4.tcp_tw_reuse"] == "2"
    assert doc["settings"] == {"seconds": "5"}
    assert doc["groups"][0]["client"]["bucket_us"]["port search"] == pytest.approx(250 / 9.5)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["buckets.png", "buckets.svg", "flame-tcp_fresh_close_closer_client-client.svg",
                     "flame-tcp_fresh_close_closer_client-server.svg", "profile.json", "report.md"]
    for svg in out.glob("flame-*.svg"):
        ET.parse(svg)
    again = tmp_path / "again"
    r = run_script("plot_profile.py", out / "profile.json", "-o", again)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in again.iterdir()) == [n for n in names if n != "profile.json"]
    assert (again / "report.md").read_text() == (out / "report.md").read_text()
    for svg in out.glob("*.svg"):  # reproducible: redrawn, the same bytes
        assert (again / svg.name).read_bytes() == svg.read_bytes(), svg.name
    r = run_script("compare_profile.py", out / "profile.json", out / "profile.json")
    assert r.returncode == 0, r.stderr
    assert "port search" in r.stdout and "+0.00" in r.stdout


def test_enforced_check_is_client_plus_server(samples):
    # The split is off by +24% and -30%, the sum by -1.3%: passes.
    g = pr.build_group(NAME, "tcp_churn", 1, bench(cpu=170.0, server=150.0), samples)
    assert g["client"]["check"]["passed"] is False and g["server"]["check"]["passed"] is False
    assert pr.enforced_check(g) is g["combined_check"] and g["combined_check"]["passed"] is True
    assert pr.build_profile([g], {}, {})["sum_check"]["passed"] is True
    # Without a server figure (external server) the client alone decides.
    alone = pr.build_group(NAME, "tcp_churn", 1, bench(cpu=170.0, server=None), samples)
    assert alone["combined_check"]["passed"] is None
    assert pr.enforced_check(alone) is alone["client"]["check"]
    assert pr.build_profile([alone], {}, {})["sum_check"]["failed"] == [NAME]


def test_failed_sum_check_exits_1(run_script, tmp_path):
    raw = raw_dir(tmp_path)
    (raw / "1.cpu.json").write_text(json.dumps(bench(cpu=150.0, server=50.0)))
    r = run_script("plot_profile.py", "--collect", raw, "-o", tmp_path / "out")
    assert r.returncode == 1
    assert "tolerance 10%: FAILED" in r.stdout
    doc = json.loads((tmp_path / "out" / "profile.json").read_text())
    assert doc["sum_check"]["failed"] == [NAME]


@pytest.mark.parametrize("script, make_args, message", [
    ("plot_profile.py", lambda t: [t / "none.json", "-o", t / "o"], "cannot read"),
    ("plot_profile.py", lambda t: [Path(golden("normal.json")), "-o", t / "o"],
     "not a sockchurn profile"),
    ("plot_profile.py", lambda t: ["--collect", raw_dir(t, "garbage\n"), "-o", t / "o"],
     "1.cpu.txt line 1: not a perf script sample header"),
    ("compare_profile.py", lambda t: [CPU, CPU], "not JSON"),
    ("compare_profile.py", lambda t: [Path(golden("normal.json")), CPU], "not a sockchurn profile"),
])
def test_bad_input_one_line_exit_2(run_script, tmp_path, script, make_args, message):
    r = run_script(script, *make_args(tmp_path))
    assert r.returncode == 2
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_the_bucket_chart_of_the_committed_profile_has_at_most_8_legend_entries(tmp_path, monkeypatch):
    import gzip

    from chart_series import legend_sizes
    from sockchurn_results import profile_charts
    doc = json.loads(gzip.open(Path(__file__).resolve().parents[2] / "results" / "profile-2026-11-29-vm"
                               / "profile.json.gz").read())
    figures = []
    monkeypatch.setattr(profile_charts.plt, "close", figures.append)
    profile_charts.bucket_chart(doc, tmp_path, [])
    figures = [f for f in figures if hasattr(f, "legends")]  # plt.close("all") passes a string
    shown, rest = profile_charts.chart_buckets(doc)
    assert len(shown) == profile_charts.CHART_BUCKETS and rest
    assert sorted(shown + rest) == sorted(doc["buckets"])  # every bucket has CPU here: none is lost
    assert legend_sizes(figures[0]) == [len(shown) + 2]  # + the rest, + the measured CPU
    assert max(legend_sizes(figures[0])) <= 8
