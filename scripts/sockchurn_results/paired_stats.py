"""Statistics of paired measurement: intervals of ratios, modes of rates.

Pure functions over plain lists of numbers (docs/paired.md says why each
method was chosen):

- ``signed_rank_interval``: the Hodges-Lehmann estimate of a location (the
  median of the Walsh averages) with its distribution-free confidence
  interval from the Wilcoxon signed-rank distribution, for one sample of
  per-round log-ratios;
- ``shift_interval``: the two-sample Hodges-Lehmann shift with its
  Mann-Whitney interval, for two runs' log-ratios (did a ratio change?);
- ``modes``: whether a variant's slice rates fall into two clusters, and
  where and how large they are.
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

CONFIDENCE = 0.95
# Below these sample sizes no 95% interval exists at all (the most extreme
# outcome is more likely than 2.5% on each side).
MIN_PAIRS = 6
# How far one ratio moves between two runs of the same binary on the same
# machine: every run starts new workers, namespaces and echo servers, and
# that shifts a ratio by more than its within-run interval shows. Two pairs
# of back-to-back quick runs on the 2-vCPU VM (2026-12-05, quiet): the
# ratios' estimates differed by a median 0.9-2.1% and a 95th percentile of
# 4.3-5.9% (docs/paired.md, "Run to run"). A change between two files counts
# only beyond this; within it, it is what a rerun does.
RUN_TO_RUN = 0.05
MIN_PER_SIDE = 4
# Exact null distributions up to these sizes, the normal approximation above.
EXACT_SIGNED_RANK_MAX_N = 200
EXACT_RANK_SUM_MAX_MN = 10000

# Mode detection (on log rates; calibrated in docs/paired.md): the best split
# of the sorted log rates into two runs must explain this share of their
# variance, each side must hold this share and count of the slices, and the
# two centres must be this far apart.
MODE_MIN_EXPLAINED = 0.8
MODE_MIN_SHARE = 0.1
MODE_MIN_SLICES = 2
MODE_MIN_GAP = 1.15
MODE_MIN_SAMPLE = 12
MODE_MIN_EMPTY = 1.5


@dataclass(frozen=True)
class Interval:
    """An estimate with its interval, on the scale of the input values.

    ``lo``/``hi`` are NaN when the sample is too small for the confidence;
    ``confidence`` is the interval's achieved coverage (>= the one asked for:
    the rank distributions are discrete)."""
    estimate: float
    lo: float
    hi: float
    confidence: float
    n: int

    def exp(self):
        """The same interval of exp(values): a log-ratio's as a ratio."""
        return Interval(math.exp(self.estimate), math.exp(self.lo), math.exp(self.hi),
                        self.confidence, self.n)

    def excludes(self, value):
        return not (math.isnan(self.lo) or self.lo <= value <= self.hi)


def _finite(values):
    out = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    return np.sort(out)


def signed_rank_null(n):
    """P(T = t) for t = 0 .. n(n+1)/2: the null distribution of the Wilcoxon
    signed-rank statistic of n untied values (each rank's sign a coin)."""
    dist = np.zeros(n * (n + 1) // 2 + 1)
    dist[0] = 1.0
    top = 0
    for rank in range(1, n + 1):
        shifted = np.zeros_like(dist)
        shifted[rank:top + rank + 1] = dist[:top + 1]
        dist = (dist + shifted) / 2
        top += rank
    return dist


def rank_sum_null(m, n):
    """P(U = u) for u = 0 .. m*n: the null distribution of the Mann-Whitney U
    of samples of m and n untied values (every choice of ranks alike)."""
    # ways[j][u]: subsets of j of the items seen so far whose U-count is u.
    ways = np.zeros((m + 1, m * n + 1))
    ways[0, 0] = 1.0
    for item in range(m + n):
        # Taking this item into the subset adds (items before it not taken).
        for j in range(min(item + 1, m), 0, -1):
            step = item - (j - 1)
            if step > n:
                continue
            ways[j, step:] += ways[j - 1, :m * n + 1 - step]
    return ways[m] / ways[m].sum()


def _order_index(cdf, total, alpha, normal_sd=None):
    """The number c of order statistics to cut from each end: the largest c
    with P(stat <= c - 1) <= alpha / 2 (0: no interval), and the achieved
    two-sided confidence."""
    if cdf is not None:
        c = int(np.searchsorted(cdf, alpha / 2, side="right"))
        achieved = 1 - 2 * (cdf[c - 1] if c > 0 else 0.0)
        return c, achieved
    mean = total / 2
    c = int(math.floor(mean - norm.ppf(1 - alpha / 2) * normal_sd))
    return max(c, 0), 1 - alpha


def signed_rank_interval(values, confidence=CONFIDENCE):
    """Hodges-Lehmann estimate of the centre of `values` (their pseudo-median:
    the median of all Walsh averages (x_i + x_j) / 2, i <= j) with the
    Wilcoxon signed-rank confidence interval (the c-th smallest and c-th
    largest Walsh averages). Distribution-free for any continuous distribution
    symmetric about its centre. Non-finite values are dropped."""
    x = _finite(values)
    n = len(x)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, confidence, 0)
    i, j = np.triu_indices(n)
    walsh = np.sort((x[i] + x[j]) / 2)
    total = len(walsh)
    estimate = float(np.median(walsh))
    alpha = 1 - confidence
    if n <= EXACT_SIGNED_RANK_MAX_N:
        c, achieved = _order_index(np.cumsum(signed_rank_null(n)), total, alpha)
    else:
        c, achieved = _order_index(None, total, alpha, math.sqrt(n * (n + 1) * (2 * n + 1) / 24))
    if n < MIN_PAIRS or c == 0:
        return Interval(estimate, math.nan, math.nan, confidence, n)
    return Interval(estimate, float(walsh[c - 1]), float(walsh[total - c]), float(achieved), n)


def shift_interval(before, after, confidence=CONFIDENCE):
    """Hodges-Lehmann shift of `after` against `before` (the median of all
    differences after_j - before_i) with the Mann-Whitney confidence interval
    (the c-th smallest and largest differences). Distribution-free when both
    samples have the same shape, one shifted."""
    a, b = _finite(before), _finite(after)
    m, n = len(a), len(b)
    if m == 0 or n == 0:
        return Interval(math.nan, math.nan, math.nan, confidence, 0)
    diffs = np.sort((b[None, :] - a[:, None]).ravel())
    total = len(diffs)
    estimate = float(np.median(diffs))
    alpha = 1 - confidence
    if m * n <= EXACT_RANK_SUM_MAX_MN:
        c, achieved = _order_index(np.cumsum(rank_sum_null(m, n)), total, alpha)
    else:
        c, achieved = _order_index(None, total, alpha, math.sqrt(m * n * (m + n + 1) / 12))
    if min(m, n) < MIN_PER_SIDE or c == 0:
        return Interval(estimate, math.nan, math.nan, confidence, min(m, n))
    return Interval(estimate, float(diffs[c - 1]), float(diffs[total - c]), float(achieved),
                    min(m, n))


def modes(rates):
    """The modes of a variant's slice rates: [{"rate", "share", "slices"}],
    one when they form one cluster, two when the best split of their log
    values into a low and a high run is clean (MODE_* above). "rate" is the
    cluster's median, "share" its fraction of the slices."""
    x = np.log(_finite([r for r in rates if r is not None and r > 0]))
    if len(x) == 0:
        return []
    whole = [_mode(x, len(x))]
    if len(x) < MODE_MIN_SAMPLE:
        return whole
    total = float(((x - x.mean()) ** 2).sum())
    if total == 0:
        return whole
    # Best split point k (low = x[:k]) by the within-cluster sum of squares.
    prefix, prefix_sq = np.cumsum(x), np.cumsum(x * x)
    best_k, best_within = 0, math.inf
    smallest = max(MODE_MIN_SLICES, math.ceil(MODE_MIN_SHARE * len(x)))
    for k in range(smallest, len(x) - smallest + 1):
        lo_sum, lo_sq = prefix[k - 1], prefix_sq[k - 1]
        hi_sum, hi_sq = prefix[-1] - lo_sum, prefix_sq[-1] - lo_sq
        within = (lo_sq - lo_sum ** 2 / k) + (hi_sq - hi_sum ** 2 / (len(x) - k))
        if within < best_within:
            best_k, best_within = k, within
    if best_k == 0:
        return whole
    low, high = x[:best_k], x[best_k:]
    explained = 1 - best_within / total
    gap = math.exp(np.median(high) - np.median(low))
    # The clusters must be apart: no slice between them for a stretch wider
    # than their own spread (a drift or a long tail fills that stretch).
    spread = math.sqrt(best_within / (len(x) - 2)) if len(x) > 2 else 0.0
    empty = high[0] - low[-1]
    if explained < MODE_MIN_EXPLAINED or gap < MODE_MIN_GAP or empty < MODE_MIN_EMPTY * spread:
        return whole
    return [_mode(low, len(x)), _mode(high, len(x))]


def _mode(log_rates, total):
    return {"rate": float(math.exp(np.median(log_rates))), "share": len(log_rates) / total,
            "slices": int(len(log_rates))}
