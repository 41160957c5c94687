"""scripts/neper_side_by_side refuses bad input in one line before it runs
anything (the measurement itself needs neper, built outside the repository)."""

import os
import sys

import pytest


def test_a_missing_neper_is_one_line_and_exit_2(run_script, tmp_path):
    result = run_script("neper_side_by_side", "--neper", tmp_path / "nope",
                        "--variant", "tcp/x/closer:client")
    assert result.returncode == 2
    assert result.stderr == f"neper_side_by_side: --neper {tmp_path / 'nope'}: not an executable file\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="SKIP: the variant is checked after the root check")
def test_a_variant_that_is_not_a_client_closing_tcp_group_is_refused(run_script):
    for variant in ("udp/x", "tcp/x/closer:server", "tcp/x y/closer:client"):
        result = run_script("neper_side_by_side", "--neper", sys.executable, "--binary", sys.executable,
                            "--variant", variant)
        assert result.returncode == 2
        assert result.stderr == f"neper_side_by_side: --variant {variant}: not a TCP group name with closer:client\n"
