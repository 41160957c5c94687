"""From a rotation group's slices to its flags, ratios and modes.

Pure: the slices (the workers' slice lines with the driver's variant, round
and position) in, plain dicts out, in the form of docs/results-format.md's
"paired" key. The thresholds below are documented in docs/paired.md.
"""

import math

from .names import parse_name
from .paired_stats import CONFIDENCE, modes, signed_rank_interval

METHOD = ("Hodges-Lehmann estimate with the Wilcoxon signed-rank 95% interval "
          "over per-round log-ratios")
METRICS = ("exchanges_per_s", "cpu_us_per_exchange")

# A slice below this floor means too little to be a measurement.
FLOOR_WALL_NS = 50_000_000
FLOOR_EXCHANGES = 200
# A stall: one exchange this slow (a SIGSTOP, a SYN retransmitted after 1 s;
# the scheduler of a loaded 2-CPU VM delays by tens of ms at most), or a slice
# rate below this fraction of its variant's median (modes of a bimodal port
# search lie within a factor of 3 of each other).
STALL_MAX_US = 200_000.0
STALL_RATE_FRACTION = 0.25
# A busy machine: CPUs' worth of time used by others during the slice, or
# taken by the hypervisor.
BUSY_FOREIGN_CPUS = 0.5
BUSY_STEAL_CPUS = 0.1
# Flags whose slices' rounds leave every ratio; "busy" is counted and warned
# about, not excluded (pairing is what keeps a busy machine's ratios honest).
EXCLUDING = ("insufficient", "stall")
# Ratios within each mode only when at most this share of slices was busy.
BY_MODE_MAX_BUSY = 0.25


def _num(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return math.nan
    return float(value) if math.isfinite(value) else math.nan


def slice_rate(s):
    """Exchanges per second of one slice (NaN without a wall time)."""
    wall, exchanges = _num(s.get("wall_ns")), _num(s.get("exchanges"))
    return exchanges / wall * 1e9 if wall > 0 else math.nan


def slice_cpu_us(s):
    """Client CPU µs per exchange of one slice (NaN when not recorded)."""
    cpu, exchanges = _num(s.get("client_cpu_ns")), _num(s.get("exchanges"))
    return cpu / exchanges / 1e3 if exchanges > 0 and cpu > 0 else math.nan


def strategy_of(name):
    return parse_name(name)["strategy"] or name


def _median(values):
    values = sorted(v for v in values if not math.isnan(v))
    if not values:
        return math.nan
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def below_floor(s):
    """Why a slice is below the floor (insufficient), or None."""
    wall, exchanges = _num(s.get("wall_ns")), _num(s.get("exchanges"))
    if s.get("short") is True:
        return "short: the floor not reached in 20 x the slice"
    if not wall >= FLOOR_WALL_NS or not exchanges >= FLOOR_EXCHANGES:
        return f"{_fmt(exchanges)} exchanges in {_fmt(wall / 1e6)} ms"
    return None


def slice_flags(s, variant_median_rate, stall_max_us=STALL_MAX_US):
    """[(flag, why)] of one slice: insufficient, stall, busy."""
    floor = below_floor(s)
    out = [("insufficient", floor)] if floor else []
    wall = _num(s.get("wall_ns"))
    max_us, rate = _num(s.get("max_us")), slice_rate(s)
    if max_us >= stall_max_us:
        out.append(("stall", f"max {max_us / 1e3:.0f} ms"))
    elif rate < STALL_RATE_FRACTION * variant_median_rate:
        out.append(("stall", f"{_fmt(rate)}/s, median {_fmt(variant_median_rate)}/s"))
    foreign, steal = _num(s.get("foreign_cpu_load")), _num(s.get("steal_ns")) / wall
    if foreign > BUSY_FOREIGN_CPUS:
        out.append(("busy", f"foreign load {foreign:.2f} CPUs"))
    elif steal > BUSY_STEAL_CPUS:
        out.append(("busy", f"steal {steal:.2f} CPUs"))
    return out


def _fmt(x):
    return "?" if math.isnan(x) else f"{x:,.0f}"


def flag_slices(slices, stall_max_us=STALL_MAX_US):
    """The slices with "flags" (flag names) and "flag_why" set, in place;
    a variant's median rate is over its slices above the floor."""
    medians = {}
    for name in dict.fromkeys(s["variant"] for s in slices):
        rates = [slice_rate(s) for s in slices if s["variant"] == name and not below_floor(s)]
        medians[name] = _median(rates)
    for s in slices:
        found = slice_flags(s, medians[s["variant"]], stall_max_us)
        s["flags"] = [f for f, _ in found]
        s["flag_why"] = [f"{f}: {why}" for f, why in found]
    return slices


def excluded_rounds(slices, names):
    """{round: why} for every round left out of the ratios: a slice of it
    flagged insufficient or stall, or the round not finished (some variant
    has no slice in it)."""
    rounds = {}
    for s in slices:
        rounds.setdefault(s["round"], []).append(s)
    out = {}
    for number in sorted(rounds):
        members = rounds[number]
        reasons = [f"{f} ({strategy_of(s['variant'])}, {why.split(': ', 1)[1]})"
                   for s in members for f, why in zip(s.get("flags", []), s.get("flag_why", []))
                   if f in EXCLUDING]
        if reasons:
            out[number] = "; ".join(reasons)
        elif {s["variant"] for s in members} != set(names):
            out[number] = "unfinished (the run stopped during it)"
    return out


def _pairs(slices, reuse, fresh, metric, excluded):
    """[(log-ratio, fresh's slice)] per round (round order), the ratio read
    as reuse's advantage."""
    by = {(s["variant"], s["round"]): s for s in slices}
    value = slice_rate if metric == "exchanges_per_s" else slice_cpu_us
    out = []
    for number in sorted({s["round"] for s in slices}):
        if number in excluded:
            continue
        a, b = by.get((reuse, number)), by.get((fresh, number))
        if a is None or b is None:
            continue
        va, vb = value(a), value(b)
        if va > 0 and vb > 0:
            log = math.log(va / vb)
            out.append((log if metric == "exchanges_per_s" else -log, b))
    return out


def _interval_keys(logs):
    interval = signed_rank_interval(logs)
    estimate = interval.exp() if interval.n else interval
    return {"estimate": _json_float(estimate.estimate), "lo": _json_float(estimate.lo),
            "hi": _json_float(estimate.hi), "achieved_confidence": round(interval.confidence, 4),
            "pairs": len(logs)}


def _by_mode(pairs, fresh_modes):
    """The ratio within each mode of the fresh variant (its slices go to the
    mode whose rate is nearest on a log scale), when it has two."""
    if len(fresh_modes) < 2:
        return []
    out = []
    for index, mode in enumerate(fresh_modes):
        logs = [log for log, s in pairs if _nearest(slice_rate(s), fresh_modes) == index]
        out.append({"fresh_rate": round(mode["rate"], 1), **_interval_keys(logs)})
    return out


def _nearest(rate, found):
    if not rate > 0:
        return -1
    return min(range(len(found)), key=lambda i: abs(math.log(rate / found[i]["rate"])))


def ratio(slices, reuse, fresh, metric, excluded, fresh_modes=()):
    """One ratio of the group, read as reuse's advantage (> 1: reuse is
    better): reuse's rate over fresh's, or fresh's CPU per exchange over
    reuse's. "log_ratios" are the per-round values it is computed from;
    "by_mode" the ratio within each of the fresh variant's two modes."""
    numerator, denominator = (reuse, fresh) if metric == "exchanges_per_s" else (fresh, reuse)
    pairs = _pairs(slices, reuse, fresh, metric, excluded)
    logs = [log for log, _ in pairs]
    out = {"numerator": numerator, "denominator": denominator, "metric": metric,
           **_interval_keys(logs), "confidence": CONFIDENCE, "method": METHOD,
           "excluded": len(excluded),
           "excluded_why": [f"round {r}: {why}" for r, why in sorted(excluded.items())],
           "log_ratios": [round(v, 6) for v in logs]}
    by_mode = _by_mode(pairs, fresh_modes)
    if by_mode:
        out["by_mode"] = by_mode
    return out


def _json_float(x):
    return None if x is None or math.isnan(x) else round(float(x), 5)


def widest_half_width(ratios, metric="exchanges_per_s"):
    """The widest relative half-width, (hi - lo) / 2 / estimate, of the
    group's ratios of `metric`: how precise its least precise ratio is. Infinite
    while a ratio has no interval yet (too few pairs)."""
    widths = [(r["hi"] - r["lo"]) / 2 / r["estimate"]
              if r.get("lo") is not None and r.get("hi") is not None and r.get("estimate")
              else math.inf
              for r in ratios if r["metric"] == metric]
    return max(widths, default=math.inf)


def analyse(slices, names, roles, stall_max_us=STALL_MAX_US):
    """Flags (set on the slices), ratios, modes and flag counts of a group.

    `roles` maps each variant name to its role (reuse, fresh, reference):
    every reuse variant gets ratios against every fresh one."""
    flag_slices(slices, stall_max_us)
    excluded = excluded_rounds(slices, names)
    reuse = [n for n in names if roles.get(n) == "reuse"]
    fresh = [n for n in names if roles.get(n) == "fresh"]
    kept = [s for s in slices if not set(s["flags"]) & set(EXCLUDING)]
    found = {n: modes([slice_rate(s) for s in kept if s["variant"] == n]) for n in names}
    # A ratio within a mode picks rounds by the fresh slice's rate: sound when
    # the modes are the strategy's own, biased (regression to the mean) when
    # they are the load of a busy machine, which moves the slices apart.
    quiet = sum("busy" in s["flags"] for s in slices) <= BY_MODE_MAX_BUSY * len(slices)
    ratios = [ratio(slices, r, f, metric, excluded, found[f] if quiet else ())
              for r in reuse for f in fresh for metric in METRICS]
    return {
        "ratios": ratios,
        "modes": found,
        "flags": {"busy_slices": sum("busy" in s["flags"] for s in slices),
                  "insufficient_slices": sum("insufficient" in s["flags"] for s in slices),
                  "stalled_slices": sum("stall" in s["flags"] for s in slices),
                  "excluded_rounds": len(excluded)},
    }
