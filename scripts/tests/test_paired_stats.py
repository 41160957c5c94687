"""The statistics of paired measurement on synthetic data whose truth is known:
interval coverage, the exact rank distributions, mode detection."""

import math

import numpy as np
import pytest
from scipy.stats import mannwhitneyu, wilcoxon

from sockchurn_results.paired import rounds_in_all
from sockchurn_results.paired_stats import (MIN_PAIRS, modes, rank_sum_null, shift_interval,
                                            signed_rank_interval, signed_rank_null)

TRUE_RATIO = 1.14


def log_rates(rng, rounds):
    """(reuse, fresh) log rates of one simulated paired run: both variants see
    the machine's drift (a random walk, shared within a round) and their own
    lognormal noise; reuse is TRUE_RATIO times faster."""
    drift = np.cumsum(rng.normal(0, 0.08, rounds))
    reuse = math.log(20000 * TRUE_RATIO) + drift + rng.normal(0, 0.04, rounds)
    fresh = math.log(20000) + drift + rng.normal(0, 0.04, rounds)
    return reuse, fresh


def paired_experiment(rng, rounds):
    """Per-round log-ratios of one simulated paired run."""
    reuse, fresh = log_rates(rng, rounds)
    return reuse - fresh


def test_signed_rank_interval_covers_the_true_ratio_95_percent_of_the_time():
    rng = np.random.default_rng(2026)
    runs = 1000
    hits = 0
    for _ in range(runs):
        interval = signed_rank_interval(paired_experiment(rng, 20)).exp()
        hits += interval.lo <= TRUE_RATIO <= interval.hi
    assert 0.93 <= hits / runs <= 0.97


def test_coverage_holds_when_the_rounds_depend_on_the_width():
    # scripts/paired runs 40 rounds, then 20 more at a time while the
    # interval is wider than +-2.5%, up to 120 (rounds_in_all). Runs of
    # differing noise (white slice noise of sigma 3-12%, as a quiet and a
    # noisy group on this VM) stop at different counts; the interval must
    # still hold the true ratio in 93-97% of 1000 of them.
    rng = np.random.default_rng(11)
    hits, stopped = 0, set()
    for _ in range(1000):
        sigma = rng.uniform(0.03, 0.12)
        logs = list(np.log(TRUE_RATIO) + rng.normal(0, sigma, 120) - rng.normal(0, sigma, 120))
        done = 40
        while True:
            interval = signed_rank_interval(logs[:done]).exp()
            width = (interval.hi - interval.lo) / 2 / interval.estimate
            total = rounds_in_all(done, width, 0.025, 120)
            if total == done:
                break
            done = total
        stopped.add(done)
        hits += interval.lo <= TRUE_RATIO <= interval.hi
    assert stopped >= {40, 60, 120}
    assert 0.93 <= hits / 1000 <= 0.97


def test_rounds_in_all_adds_twenty_up_to_the_most():
    assert rounds_in_all(40, 0.03, 0.025, 120) == 60
    assert rounds_in_all(40, 0.02, 0.025, 120) == 40
    assert rounds_in_all(110, 0.03, 0.025, 120) == 120
    assert rounds_in_all(120, 0.03, 0.025, 120) == 120
    assert rounds_in_all(40, 0.5, 0.0, 0) == 40


def test_shift_interval_covers_the_true_change_95_percent_of_the_time():
    # Two runs of the same ratio, the second 5% higher: the interval of the
    # change holds +5% in about 95% of 1000 pairs of runs.
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(1000):
        a = paired_experiment(rng, 12)
        b = paired_experiment(rng, 10) + math.log(1.05)
        change = shift_interval(a, b).exp()
        hits += change.lo <= 1.05 <= change.hi
    assert 0.93 <= hits / 1000 <= 0.97


def test_pairing_cancels_the_shared_drift():
    # Why pairing: the same run's rates compared unpaired (two samples, the
    # drift not cancelled) give an interval several times wider.
    reuse, fresh = log_rates(np.random.default_rng(3), 20)
    paired = signed_rank_interval(reuse - fresh)
    unpaired = shift_interval(fresh, reuse)
    assert paired.hi - paired.lo < 0.06
    assert unpaired.hi - unpaired.lo > 3 * (paired.hi - paired.lo)


def test_signed_rank_null_matches_scipy_exact_p_values():
    n = 10
    cdf = np.cumsum(signed_rank_null(n))
    signs = np.array([1, -1, 1, 1, -1, 1, 1, 1, -1, 1])
    x = np.arange(1, n + 1) * signs
    t = int(np.arange(1, n + 1)[signs < 0].sum())
    assert 2 * cdf[t] == pytest.approx(wilcoxon(x, mode="exact").pvalue)


def test_rank_sum_null_matches_scipy_exact_p_values():
    a = np.array([1, 2, 3.5, 8, 9.1])
    b = np.array([3, 4, 5, 6, 7, 10, 11])
    cdf = np.cumsum(rank_sum_null(len(a), len(b)))
    u = int(sum(bj < ai for ai in a for bj in b))
    assert 2 * cdf[u] == pytest.approx(mannwhitneyu(a, b, method="exact").pvalue)


def test_interval_of_known_values():
    # Walsh averages of 1..6 (21 of them); with 6 values the exact 95% interval
    # is the smallest and largest (achieved confidence 1 - 2/64).
    interval = signed_rank_interval([1, 2, 3, 4, 5, 6])
    assert (interval.estimate, interval.lo, interval.hi) == (3.5, 1.0, 6.0)
    assert interval.confidence == pytest.approx(1 - 2 / 64)


def test_too_few_pairs_give_no_interval():
    interval = signed_rank_interval([0.1, 0.12, 0.11, 0.13, 0.1])
    assert MIN_PAIRS == 6
    assert interval.n == 5 and math.isnan(interval.lo) and math.isnan(interval.hi)
    walsh = [(a + b) / 2 for i, a in enumerate([0.1, 0.12, 0.11, 0.13, 0.1])
             for b in [0.1, 0.12, 0.11, 0.13, 0.1][i:]]
    assert interval.estimate == pytest.approx(float(np.median(walsh)))
    assert math.isnan(shift_interval([1, 2, 3], [4, 5, 6]).lo)


def test_non_finite_values_are_dropped():
    interval = signed_rank_interval([0.1, math.nan, 0.2, math.inf, 0.3, 0.1, 0.2, 0.25])
    assert interval.n == 6


@pytest.mark.parametrize("seed", range(5))
def test_bimodal_rates_give_two_modes_with_their_shares(seed):
    # fresh_close's port search: 60% of slices near 13,000/s, 40% near 30,000/s.
    rng = np.random.default_rng(seed)
    high = np.arange(30) < 12
    rates = np.exp(np.where(high, math.log(30000), math.log(13000)) + rng.normal(0, 0.05, 30))
    found = modes(rng.permutation(rates))
    assert len(found) == 2
    low, top = found
    assert low["share"] == pytest.approx(0.6) and top["share"] == pytest.approx(0.4)
    assert low["rate"] == pytest.approx(13000, rel=0.05)
    assert top["rate"] == pytest.approx(30000, rel=0.05)
    assert low["slices"] + top["slices"] == 30


def test_unimodal_rates_give_one_mode_nearly_always():
    rng = np.random.default_rng(11)
    false_modes = 0
    for _ in range(200):
        drift = np.cumsum(rng.normal(0, 0.02, 20))
        rates = np.exp(math.log(20000) + drift + rng.normal(0, 0.05, 20))
        found = modes(rates)
        false_modes += len(found) == 2
        assert found[0]["share"] == 1.0 or len(found) == 2
    assert false_modes <= 6


def test_one_outlier_is_not_a_mode():
    rates = [20000, 20100, 19900, 20050, 19950, 20020, 19980, 20010, 19990, 20030, 19970, 60000]
    assert len(modes(rates)) == 1


def test_too_few_slices_give_one_mode():
    assert len(modes([10000, 10000, 30000, 30000, 10000, 30000])) == 1
    assert modes([]) == []
