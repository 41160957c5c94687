"""scripts/syscall_table: strategy × flows of syscalls_per_exchange from one
run's Google Benchmark JSON; a file without the counter is one line."""

import json


def write(path, benchmarks):
    path.write_text(json.dumps({"context": {}, "benchmarks": benchmarks}))
    return path


def test_rows_are_strategies_and_columns_flows(run_script, tmp_path):
    f = write(tmp_path / "r.json", [
        {"name": "tcp/reuse_unspec/engine:uring/closer:client/port:ephemeral/payload:64/placement:same/real_time/threads:1",
         "run_type": "iteration", "syscalls_per_exchange": 1.0004},
        {"name": "tcp/reuse_unspec/engine:uring/flows:16/closer:client/port:ephemeral/payload:64/placement:same/real_time/threads:1",
         "run_type": "iteration", "syscalls_per_exchange": 0.0634},
        {"name": "udp/sendto/engine:uring/flows:16/payload:64/placement:same/real_time/threads:1",
         "run_type": "iteration", "syscalls_per_exchange": 0.0626},
        {"name": "udp/sendto/engine:uring/flows:16/payload:64/placement:same/real_time/threads:1_mean",
         "run_type": "aggregate", "syscalls_per_exchange": 9.0},
    ])
    result = run_script("syscall_table", f)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "| strategy | flows 1 | flows 16 |",
        "|---|---:|---:|",
        "| `tcp/reuse_unspec/closer:client/port:ephemeral/placement:same/threads:1` | 1.0004 | 0.0634 |",
        "| `udp/sendto/placement:same/threads:1` | — | 0.0626 |",
    ]


def test_a_run_without_the_counter_is_one_line_and_exit_1(run_script, tmp_path):
    f = write(tmp_path / "r.json", [{"name": "tcp/x/payload:64", "run_type": "iteration"}])
    result = run_script("syscall_table", f)
    assert result.returncode == 1
    assert result.stderr == f"syscall_table: {f}: no benchmark with syscalls_per_exchange (run with --count-syscalls)\n"


def test_a_missing_file_is_one_line_and_exit_1(run_script, tmp_path):
    result = run_script("syscall_table", tmp_path / "nope.json")
    assert result.returncode == 1
    assert result.stderr == f"syscall_table: {tmp_path / 'nope.json'}: No such file or directory\n"
