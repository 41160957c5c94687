"""From slices to flags, excluded rounds, ratios and modes (paired_analysis)."""

import math

import pytest

from sockchurn_results.paired_analysis import (BUSY_FOREIGN_CPUS, METHOD, analyse,
                                               flag_slices)

REUSE, FRESH = "tcp/reuse_unspec/closer:client/port:ephemeral", "tcp/fresh_close/closer:client"
ROLES = {REUSE: "reuse", FRESH: "fresh"}


def piece(variant, number, rate, cpu_us=20.0, wall_s=0.1, **extra):
    exchanges = int(rate * wall_s)
    s = {"variant": variant, "round": number, "position": 0, "slice": number + 1,
         "exchanges": exchanges, "wall_ns": int(wall_s * 1e9),
         "client_cpu_ns": int(cpu_us * exchanges * 1e3), "foreign_cpu_load": 0.02,
         "steal_ns": 0, "max_us": 300.0, "short": False}
    s.update(extra)
    return s


def rounds(n, reuse_rate=22000.0, fresh_rate=10000.0, special=None):
    """n rounds of both variants; special[(variant, round)] overrides a slice's keys."""
    special = special or {}
    out = []
    for number in range(n):
        for variant, rate, cpu in ((REUSE, reuse_rate, 15.0), (FRESH, fresh_rate, 30.0)):
            # A little noise, the same every run.
            wobble = 1 + 0.01 * math.sin(number * 1.7 + (variant == FRESH))
            out.append(piece(variant, number, rate * wobble, cpu, **special.get((variant, number), {})))
    return out


def test_ratios_read_as_reuse_advantage_with_interval():
    group = analyse(rounds(12), [REUSE, FRESH], ROLES)
    rate, cpu = group["ratios"]
    assert (rate["numerator"], rate["denominator"], rate["metric"]) == (REUSE, FRESH, "exchanges_per_s")
    # CPU per exchange: fresh's over reuse's, so > 1 still means reuse is better.
    assert (cpu["numerator"], cpu["denominator"], cpu["metric"]) == (FRESH, REUSE, "cpu_us_per_exchange")
    assert rate["estimate"] == pytest.approx(2.2, rel=0.02)
    assert rate["lo"] <= rate["estimate"] <= rate["hi"] and rate["hi"] - rate["lo"] < 0.1
    assert cpu["estimate"] == pytest.approx(2.0, rel=0.01)
    assert rate["pairs"] == 12 and rate["excluded"] == 0 and rate["excluded_why"] == []
    assert rate["confidence"] == 0.95 and rate["method"] == METHOD
    assert len(rate["log_ratios"]) == 12


def test_stall_is_flagged_and_its_round_excluded():
    # A SIGSTOP of the echo server for 0.7 s inside one slice of round 4.
    stalled = {(FRESH, 4): {"wall_ns": 800_000_000, "exchanges": 1200, "max_us": 700_000.0}}
    slices = rounds(12, special=stalled)
    group = analyse(slices, [REUSE, FRESH], ROLES)
    flagged = [(s["variant"], s["round"], s["flags"]) for s in slices if s["flags"]]
    assert flagged == [(FRESH, 4, ["stall"])]
    rate = group["ratios"][0]
    assert rate["pairs"] == 11 and rate["excluded"] == 1
    assert rate["excluded_why"] == ["round 4: stall (fresh_close, max 700 ms)"]
    assert group["flags"] == {"busy_slices": 0, "insufficient_slices": 0, "stalled_slices": 1,
                              "excluded_rounds": 1}
    assert rate["estimate"] == pytest.approx(2.2, rel=0.02)


def test_a_rate_far_below_the_variants_median_is_a_stall():
    slow = {(REUSE, 2): {"exchanges": 400}}  # 4,000/s against 22,000/s, no slow exchange seen
    slices = rounds(8, special=slow)
    flag_slices(slices)
    flagged = [s for s in slices if s["flags"]]
    assert [(s["variant"], s["round"], s["flags"]) for s in flagged] == [(REUSE, 2, ["stall"])]
    assert flagged[0]["flag_why"][0].startswith("stall: 4,000/s, median 21,")


@pytest.mark.parametrize("change, why", [
    ({"wall_ns": 40_000_000, "exchanges": 880}, "insufficient: 880 exchanges in 40 ms"),
    ({"exchanges": 150}, "insufficient: 150 exchanges in 100 ms"),
    ({"short": True, "exchanges": 150}, "insufficient: short: the floor not reached in 20 x the slice"),
])
def test_slices_below_the_floor_are_insufficient(change, why):
    slices = rounds(8, special={(REUSE, 3): change})
    group = analyse(slices, [REUSE, FRESH], ROLES)
    flagged = [s for s in slices if "insufficient" in s["flags"]]
    assert [(s["round"], s["flag_why"][0]) for s in flagged] == [(3, why)]
    assert group["ratios"][0]["pairs"] == 7
    assert group["ratios"][0]["excluded_why"][0].startswith("round 3: insufficient (reuse_unspec, ")


def test_busy_slices_are_counted_not_excluded():
    busy = {(REUSE, 1): {"foreign_cpu_load": BUSY_FOREIGN_CPUS + 0.3},
            (FRESH, 2): {"steal_ns": 20_000_000}}
    slices = rounds(8, special=busy)
    group = analyse(slices, [REUSE, FRESH], ROLES)
    assert [s["flag_why"] for s in slices if s["flags"]] == [["busy: foreign load 0.80 CPUs"],
                                                            ["busy: steal 0.20 CPUs"]]
    assert group["flags"]["busy_slices"] == 2 and group["flags"]["excluded_rounds"] == 0
    assert group["ratios"][0]["pairs"] == 8


def test_an_unfinished_round_is_excluded_and_said():
    slices = rounds(8)[:-1]  # interrupted before fresh's slice of round 7
    rate = analyse(slices, [REUSE, FRESH], ROLES)["ratios"][0]
    assert rate["pairs"] == 7
    assert rate["excluded_why"] == ["round 7: unfinished (the run stopped during it)"]


def test_modes_of_every_variant():
    fresh_rates = {(FRESH, r): {"exchanges": 3000 if r % 3 == 0 else 1300} for r in range(15)}
    group = analyse(rounds(15, special=fresh_rates), [REUSE, FRESH], ROLES)
    assert len(group["modes"][REUSE]) == 1 and group["modes"][REUSE][0]["share"] == 1.0
    low, high = group["modes"][FRESH]
    assert (low["slices"], high["slices"]) == (10, 5)
    assert low["rate"] == pytest.approx(13000, rel=0.02) and high["rate"] == pytest.approx(30000, rel=0.02)
    # The ratio within each of fresh's modes: 22,000 / 13,000 and 22,000 / 30,000.
    rate, cpu = group["ratios"]
    assert [m["pairs"] for m in rate["by_mode"]] == [10, 5]
    assert rate["by_mode"][0]["estimate"] == pytest.approx(22 / 13, rel=0.02)
    assert rate["by_mode"][1]["estimate"] == pytest.approx(22 / 30, rel=0.02)
    assert rate["by_mode"][0]["lo"] <= rate["by_mode"][0]["estimate"] <= rate["by_mode"][0]["hi"]
    assert rate["by_mode"][1]["lo"] is None  # 5 pairs: no 95% interval
    assert [m["fresh_rate"] for m in cpu["by_mode"]] == [round(low["rate"], 1), round(high["rate"], 1)]
    assert "by_mode" not in analyse(rounds(15), [REUSE, FRESH], ROLES)["ratios"][0]


def test_no_ratio_per_mode_on_a_busy_machine():
    # Modes that the machine's load makes: picking rounds by fresh's rate
    # would bias the ratio, so there is none per mode (the modes are kept).
    special = {(FRESH, r): {"exchanges": 3000 if r % 3 == 0 else 1300,
                            "foreign_cpu_load": 1.5} for r in range(15)}
    special.update({(REUSE, r): {"foreign_cpu_load": 1.5} for r in range(15)})
    group = analyse(rounds(15, special=special), [REUSE, FRESH], ROLES)
    assert len(group["modes"][FRESH]) == 2 and group["flags"]["busy_slices"] == 30
    assert all("by_mode" not in r for r in group["ratios"])


def test_every_reuse_against_every_fresh_and_no_reference():
    linger = "tcp/fresh_linger0/closer:client"
    keep = "tcp/keepalive"
    slices = rounds(6) + [piece(v, r, 18000.0) for r in range(6) for v in (linger, keep)]
    roles = dict(ROLES, **{linger: "fresh", keep: "reference"})
    group = analyse(slices, [REUSE, FRESH, linger, keep], roles)
    assert [(r["numerator"], r["denominator"], r["metric"]) for r in group["ratios"]] == [
        (REUSE, FRESH, "exchanges_per_s"), (FRESH, REUSE, "cpu_us_per_exchange"),
        (REUSE, linger, "exchanges_per_s"), (linger, REUSE, "cpu_us_per_exchange")]
