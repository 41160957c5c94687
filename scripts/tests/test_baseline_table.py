"""scripts/baseline_table on committed --baseline runs: variant ÷ baseline
for the rate and (inverted from paired's advantage) the CPU per exchange."""

import json
import subprocess

from conftest import PYTHON, SCRIPTS

from sockchurn_results.jsonfile import read_text

ROOT = SCRIPTS.parent
AA = ROOT / "results" / "2026-12-05-vm-uring-default-aa.json.gz"


def test_each_variant_against_its_baseline_with_the_cpu_ratio_inverted():
    done = subprocess.run([PYTHON, str(SCRIPTS / "baseline_table"), str(AA)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("| protocol, strategy | flows | payload | variant |")
    body = [line.split(" | ") for line in lines[2:]]
    assert len(body) == 2 and all(row[3] == "ring:default ÷ ring:none" for row in body)
    doc = json.loads(read_text(AA))
    for row, group in zip(body, doc["paired"]):
        rate, cpu = group["ratios"]
        assert row[4] == f"{rate['estimate']:.2f} [{rate['lo']:.2f}, {rate['hi']:.2f}]"
        assert row[5] == f"{1 / cpu['estimate']:.2f} [{1 / cpu['hi']:.2f}, {1 / cpu['lo']:.2f}]"


def test_a_file_without_baseline_groups_is_one_line():
    done = subprocess.run([PYTHON, str(SCRIPTS / "baseline_table"), str(ROOT / "results" / "2026-11-25-vm.json")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip().endswith("no group run with --baseline") and len(done.stderr.splitlines()) == 1
