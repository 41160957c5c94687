"""The paired driver against the fake slice worker (fake_slice_worker.py):
interleaving, command lines, namespaces, errors, SIGINT, time bound, options."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sockchurn_results.paired import NETNS_PREFIX, Plan, round_orders, worker_command

from conftest import PYTHON, SCRIPTS

FAKE = str(Path(__file__).resolve().parent / "fake_slice_worker.py")
REUSE = "tcp/reuse_unspec/closer:client/port:ephemeral"
LINGER = "tcp/fresh_linger0/closer:client"
CLOSE = "tcp/fresh_close/closer:client"
GROUP = f"{REUSE},{LINGER},{CLOSE}"
ROLES = "fresh_close=fresh,fresh_linger0=fresh,reuse_unspec=reuse"


def have_netns():
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


NETNS = have_netns()


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """Write the fake's config ({"variants": ...}, with a log dir) and point
    FAKE_SLICE_WORKER at it; returns the log dir."""
    logs = tmp_path / "workers"
    logs.mkdir()

    def configure(variants=None, **extra):
        config = {"seed": 1, "log_dir": str(logs), "roles": ROLES,
                  "variants": variants or {REUSE: {"rate": 20000, "cpu_us": 15},
                                           LINGER: {"rate": 17000, "cpu_us": 18},
                                           CLOSE: {"rate": 9000, "cpu_us": 30}}}
        config.update(extra)
        path = tmp_path / "fake.json"
        path.write_text(json.dumps(config))
        monkeypatch.setenv("FAKE_SLICE_WORKER", str(path))
        return logs
    return configure


def paired(tmp_path, *args, timeout=120):
    command = [PYTHON, str(SCRIPTS / "paired"), "--binary", FAKE, *args]
    if not NETNS:
        command.append("--no-netns")
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=tmp_path)


def worker_logs(logs):
    return [json.loads(p.read_text()) for p in sorted(logs.glob("*.json"))]


def dead(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_abba_order_alternates_forward_and_backward():
    assert round_orders(2, 4) == [[0, 1], [1, 0], [0, 1], [1, 0]]
    assert round_orders(3, 2) == [[0, 1, 2], [2, 1, 0]]


def test_random_order_is_a_seeded_permutation_per_round():
    orders = round_orders(3, 30, "random", seed=4)
    assert all(sorted(o) == [0, 1, 2] for o in orders)
    assert len({tuple(o) for o in orders}) > 1
    assert orders == round_orders(3, 30, "random", seed=4)
    assert orders != round_orders(3, 30, "random", seed=5)


@pytest.mark.parametrize("noise, rounds_done", [(0.001, 8), (0.2, 48)])
def test_a_group_runs_more_rounds_while_its_widest_interval_is_too_wide(tmp_path, fake, noise,
                                                                        rounds_done):
    # 8 rounds first; a quiet group stops there, a noisy one (slices scattered
    # by 20%) gets 20 more at a time up to --max-rounds 48, in abba order.
    fake({REUSE: {"rate": 20000, "noise": noise}, CLOSE: {"rate": 15000, "noise": noise}})
    done = paired(tmp_path, "--group", f"{REUSE},{CLOSE}", "--rounds", "8",
                  "--target-half-width", "2.5", "--max-rounds", "48", "-o", "out.json")
    assert done.returncode == 0, done.stderr
    group = json.loads((tmp_path / "out.json").read_text())["paired"][0]
    assert group["rounds"] == 8 and group["rounds_done"] == rounds_done
    assert (group["target_half_width"], group["max_rounds"]) == (0.025, 48)
    assert len(group["slices"]) == 2 * rounds_done
    orders = [[s["variant"] for s in group["slices"] if s["round"] == r] for r in range(rounds_done)]
    assert all(o == ([REUSE, CLOSE] if r % 2 == 0 else [CLOSE, REUSE]) for r, o in enumerate(orders))
    if rounds_done == 8:
        assert group["extended"].startswith("stopped after 8 rounds: widest rate interval ±")
    else:
        assert group["extended"].startswith("48 rounds: after 28 the widest rate interval was ±")
        assert "widest rate interval" in done.stderr and "20 more" in done.stderr


def test_each_variant_gets_its_own_namespace_and_worker_command():
    plan = Plan(names=(REUSE, CLOSE), binary="bin/tcp_churn", threads=4, placement="split",
                payload=128, warmup_max_s=5, worker_args=("--max-errors=10",))
    assert [worker_command(plan, n) for n in plan.names] == [
        ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" "$@"', "bin/tcp_churn",
         "--slice-worker", f"--variant={name}", "--threads=4", "--placement=split",
         "--payload=128", "--warmup-max-s=5", "--max-errors=10"] for name in (REUSE, CLOSE)]
    shared = Plan(names=(REUSE, CLOSE), binary="bin/tcp_churn", netns=False)
    assert worker_command(shared, REUSE)[:2] == ["bin/tcp_churn", "--slice-worker"]


def test_interleaved_run_against_the_fake_worker(tmp_path, fake):
    variants = {REUSE: {"rate": 20000, "cpu_us": 15}, LINGER: {"rate": 17000, "cpu_us": 18},
                CLOSE: {"rate": 9000, "cpu_us": 30, "stall_slice": 5}}
    logs = fake(variants)
    done = paired(tmp_path, "--group", GROUP, "--rounds", "8", "--slice-s", "0.1",
                  "--target-half-width", "0", "-o", "out.json")
    assert done.returncode == 0, done.stderr
    group = json.loads((tmp_path / "out.json").read_text())["paired"][0]
    # Every round runs each variant once, in the abba order, recorded.
    names = [REUSE, LINGER, CLOSE]
    for number in range(8):
        members = [s for s in group["slices"] if s["round"] == number]
        expected = names if number % 2 == 0 else names[::-1]
        assert [s["variant"] for s in members] == expected
        assert [s["position"] for s in members] == [0, 1, 2]
    assert group["order"] == "abba" and group["rounds_done"] == 8
    # Slice lengths: asked for and recorded.
    assert (group["slice_s"], group["min_exchanges"]) == (0.1, 200)
    assert all(s["wall_ns"] >= 100_000_000 and s["exchanges"] >= 200 for s in group["slices"])
    # One worker per variant, with the command the driver built.
    started = worker_logs(logs)
    assert sorted(w["argv"][2] for w in started) == sorted(f"--variant={n}" for n in names)
    for worker in started:
        name = worker["argv"][2].split("=", 1)[1]
        assert group["commands"][name][-len(worker["argv"]) + 1:] == worker["argv"][1:]
        assert dead(worker["pid"]) and dead(worker["child"])
    if NETNS:
        assert all(group["commands"][n][:5] == list(NETNS_PREFIX) for n in names)
        spaces = {w["netns"] for w in started}
        assert len(spaces) == 3 and os.readlink("/proc/self/ns/net") not in spaces
    # The stall (fresh_close's 5th slice, round 4) is flagged and its round left out.
    assert [(s["variant"], s["round"]) for s in group["slices"] if "stall" in s["flags"]] == [(CLOSE, 4)]
    rate = group["ratios"][0]
    assert rate["pairs"] == 7 and rate["excluded_why"] == ["round 4: stall (fresh_close, max 700 ms)"]
    lines = done.stdout.splitlines()
    assert re.fullmatch(r"tcp reuse_unspec ÷ fresh_linger0, client closes, 1 thread, placement "
                        r"same: 1\.1\d× \[1\.\d\d, 1\.\d\d\] \(7 pairs, 1 excluded: stall\); "
                        r"CPU per exchange 1\.\d\d× \[1\.\d\d, 1\.\d\d\]", lines[0])
    assert lines[1].startswith("tcp reuse_unspec ÷ fresh_close, client closes, 1 thread, "
                               "placement same: 2.2")
    assert "round 8/8" in done.stderr


def test_a_bimodal_fresh_variant_gets_a_ratio_per_mode(tmp_path, fake):
    fake({REUSE: {"rate": 20000}, CLOSE: {"modes": [[8000, 0.6], [16000, 0.4]], "noise": 0.02}})
    done = paired(tmp_path, "--group", f"{REUSE},{CLOSE}", "--rounds", "20", "-o", "out.json")
    assert done.returncode == 0, done.stderr
    line = done.stdout.splitlines()[1]
    assert re.fullmatch(rf"  {CLOSE} has 2 modes; the ratio in each: 8,\d\d\d/s \(\d\d%\): "
                        r"2\.\d\d× \[2\.\d\d, 2\.\d\d\] \(\d+ pairs\); 16,\d\d\d/s \(\d\d%\): "
                        r"1\.2\d× \[1\.\d\d, 1\.\d\d\] \(\d+ pairs\)", line)


def test_a_worker_error_ends_its_group_with_one_line_and_keeps_the_rest(tmp_path, fake):
    logs = fake({REUSE: {"rate": 20000}, CLOSE: {"rate": 9000, "error_at_slice": 3}})
    done = paired(tmp_path, "--group", f"{REUSE},{CLOSE}", "--group", f"{REUSE},{CLOSE}",
                  "--rounds", "6", "-o", "out.json")
    assert done.returncode == 1
    message = (f"paired: {CLOSE}: connect: Cannot assign requested address (EADDRNOTAVAIL) "
               f"in slice 3")
    assert done.stderr.splitlines().count(message) == 2
    groups = json.loads((tmp_path / "out.json").read_text())["paired"]
    assert len(groups) == 2
    assert groups[0]["error"] == message.split(": ", 1)[1]
    assert groups[0]["rounds_done"] == 2 and len(groups[0]["slices"]) == 5
    assert all(dead(w["pid"]) and dead(w["child"]) for w in worker_logs(logs))


def test_a_worker_that_cannot_start_is_one_line(tmp_path, fake):
    fake({REUSE: {"rate": 20000}, CLOSE: {"error_at_start": "cannot reach the echo server"}})
    done = paired(tmp_path, "--group", f"{REUSE},{CLOSE}", "--rounds", "6", "-o", "out.json")
    assert done.returncode == 1
    assert f"paired: {CLOSE}: cannot reach the echo server" in done.stderr.splitlines()
    fake({REUSE: {"rate": 20000}, CLOSE: {"unknown": True}})
    done = paired(tmp_path, "--group", f"{REUSE},{CLOSE}", "--rounds", "6", "-o", "out2.json")
    assert done.returncode == 1
    assert (f"paired: {CLOSE}: the worker exited (status 2) before answering the start (ready "
            f"line): fake_slice_worker: unknown variant '{CLOSE}'") in done.stderr.splitlines()


def test_sigint_stops_every_worker_and_writes_what_was_measured(tmp_path, fake):
    logs = fake(time_scale=1.0)
    command = [PYTHON, str(SCRIPTS / "paired"), "--binary", FAKE, "--group", GROUP,
               "--rounds", "500", "-o", "out.json"] + ([] if NETNS else ["--no-netns"])
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(worker_logs(logs)) < 3:
            time.sleep(0.1)
        time.sleep(1.0)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        # A failure above must not leave the driver running its 500 rounds
        # (CI once found its workers still alive in a later test).
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, err
    assert "paired: interrupted: every worker stopped; writing what was measured" in err
    group = json.loads((tmp_path / "out.json").read_text())["paired"][0]
    assert group["error"] == "interrupted" and 0 < group["rounds_done"] < 500
    started = worker_logs(logs)
    assert len(started) == 3
    assert all(dead(w["pid"]) and dead(w["child"]) for w in started)


def test_the_run_is_bounded_in_time(tmp_path, fake):
    fake(time_scale=1.0)
    begun = time.monotonic()
    done = paired(tmp_path, "--group", f"{REUSE},{CLOSE}", "--rounds", "1000",
                  "--max-seconds", "2", "-o", "out.json")
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - begun < 15
    group = json.loads((tmp_path / "out.json").read_text())["paired"][0]
    assert group["stopped"] == f"time budget: {group['rounds_done']} of 1000 rounds done"
    assert 0 < group["rounds_done"] < 1000


def test_groups_file_with_threads_per_line(tmp_path, fake):
    fake()
    (tmp_path / "groups").write_text(f"# two groups\n{REUSE},{CLOSE} threads=1,2\n\n"
                                     f"{REUSE},{LINGER}  # placement of the options\n")
    done = paired(tmp_path, "--groups", "groups", "--rounds", "6", "-o", "out.json")
    assert done.returncode == 0, done.stderr
    groups = json.loads((tmp_path / "out.json").read_text())["paired"]
    assert [(g["group"], g["threads"]) for g in groups] == [
        ([REUSE, CLOSE], 1), ([REUSE, CLOSE], 2), ([REUSE, LINGER], 1)]
    assert "--threads=2" in groups[1]["commands"][REUSE]
    assert "1 thread, placement same:" in done.stdout
    assert "2 threads, placement same:" in done.stdout


def test_roles_come_from_the_binary_or_the_naming_rule(tmp_path, fake):
    fake()
    done = paired(tmp_path, "--group", f"{REUSE},{CLOSE}", "--rounds", "6", "-o", "a.json")
    assert done.returncode == 0 and "naming rule" not in done.stderr
    fake(roles=None)
    config = json.loads(Path(os.environ["FAKE_SLICE_WORKER"]).read_text())
    del config["roles"]
    Path(os.environ["FAKE_SLICE_WORKER"]).write_text(json.dumps(config))
    done = paired(tmp_path, "--group", f"{REUSE},{CLOSE}", "--rounds", "6", "-o", "b.json")
    assert done.returncode == 0
    assert ("paired: note: the binaries do not list their roles (--list-groups --json); using "
            "the naming rule (reuse_* reuse, fresh_* fresh); --roles sets them") in done.stderr
    group = json.loads((tmp_path / "b.json").read_text())["paired"][0]
    assert group["roles"] == {REUSE: "reuse", CLOSE: "fresh"}


def test_a_baseline_is_compared_with_every_other_variant_of_its_group(tmp_path, fake):
    # Two settings of one strategy (roles by strategy cannot tell them apart).
    plain = "tcp/reuse_unspec/engine:uring/ring:none/closer:client/port:ephemeral"
    defer = "tcp/reuse_unspec/engine:uring/ring:defer/closer:client/port:ephemeral"
    fake({plain: {"rate": 20000, "cpu_us": 20}, defer: {"rate": 22000, "cpu_us": 18}})
    done = paired(tmp_path, "--group", f"{defer},{plain}", "--baseline", plain, "--rounds", "6",
                  "-o", "out.json")
    assert done.returncode == 0, done.stderr
    group = json.loads((tmp_path / "out.json").read_text())["paired"][0]
    assert group["baseline"] == plain and group["roles"] == {defer: "reuse", plain: "fresh"}
    rate, cpu = group["ratios"]
    assert (rate["numerator"], rate["denominator"]) == (defer, plain)
    assert (cpu["numerator"], cpu["denominator"]) == (plain, defer)
    assert 1.05 < rate["estimate"] < 1.15 and 1.05 < cpu["estimate"] < 1.17
    assert done.stdout.startswith("tcp reuse_unspec ring:defer ÷ ring:none, client closes, uring "
                                  "engine, 1 thread, placement same: 1.1")
    # A baseline must be in a group, and one a group.
    done = paired(tmp_path, "--group", f"{defer},{plain}", "--baseline", REUSE, "-o", "b.json")
    assert done.returncode == 2 and done.stderr.strip() == f"paired: --baseline {REUSE}: in no group"
    done = paired(tmp_path, "--group", f"{defer},{plain}", "--baseline", plain, "--baseline", defer,
                  "-o", "b.json")
    assert done.returncode == 2 and "two baselines" in done.stderr


def test_a_payload_above_1024_bytes_is_taken(tmp_path, fake):
    fake()
    done = paired(tmp_path, "--group", f"{REUSE},{CLOSE}", "--payload", "65000", "--rounds", "6",
                  "-o", "out.json")
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "out.json").read_text())["paired"][0]["payload"] == 65000


@pytest.mark.parametrize("args, message", [
    (["--group", GROUP, "--rounds", "3"], "--rounds 3: a 95% interval needs at least 6 pairs"),
    (["--group", GROUP, "--rounds", "40", "--max-rounds", "30"], "--max-rounds 30: from --rounds (40) to 100000"),
    (["--group", GROUP, "--target-half-width", "-1"], "--target-half-width -1: from 0 (off) to 50 percent"),
    (["--group", GROUP, "--slice-s", "0.01"], "--slice-s 0.01: from 0.05 (the floor) to 60"),
    (["--group", GROUP, "--min-exchanges", "50"], "--min-exchanges 50: from 200 (the floor)"),
    (["--group", REUSE], "--group '" + REUSE + "': a rotation group needs two or more"),
    (["--group", f"{REUSE},udp/fresh_close"], "the variants must be names of one protocol"),
    (["--group", f"{REUSE},{REUSE}"], "a variant is named twice"),
    (["--group", f"udp/reuse_unspec,udp/fresh_close"], "no --binary lists udp groups"),
    (["--group", GROUP, "--roles", "fresh_close=reference,reuse_unspec=reference,"
      "fresh_linger0=reference"], "needs a reuse and a fresh variant"),
    (["--groups", "nowhere"], "--groups nowhere: cannot read"),
    ([], "no rotation group"),
])
def test_bad_options_are_one_line_and_exit_2(tmp_path, fake, args, message):
    fake()
    done = paired(tmp_path, *args, "-o", "out.json")
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("paired: ")
    assert message in done.stderr
    assert not (tmp_path / "out.json").exists()


def test_an_existing_output_is_never_overwritten(tmp_path, fake):
    fake()
    (tmp_path / "out.json").write_text("{}")
    done = paired(tmp_path, "--group", GROUP, "-o", "out.json")
    assert done.returncode == 2 and "out.json exists already" in done.stderr
    assert (tmp_path / "out.json").read_text() == "{}"


def test_help_describes_the_command():
    done = subprocess.run([PYTHON, str(SCRIPTS / "paired"), "--help"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and "rotation group" in done.stdout and "--slice-s" in done.stdout
