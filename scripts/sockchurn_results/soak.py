"""The soak's samples and its verdict (scripts/soak, plot_soak.py).

Samples of the echo server (seconds, VmRSS KiB, open descriptors, CPU) and
the benchmark runs beside them become one JSON record; the growth rule
(plot_soak.py's help says it in full) judges whether memory or descriptors
grow without bound: the median of the last third of the run against the
first third's, by more than a percentage AND an absolute floor.

Pure but for ``load_record``, which reads the record.
"""

import json
import statistics

RSS_PCT, RSS_KIB = 25.0, 8192
FD_PCT, FD_COUNT = 25.0, 64
MIN_SAMPLES = 9


class SoakError(ValueError):
    """Input that cannot be a soak's samples or results; the message says why."""


def parse_samples(text, clock_ticks, source="samples"):
    """Lines "T RSS_KIB FDS CPU_TICKS" (seconds since start, VmRSS in KiB,
    open descriptors, utime+stime in clock ticks) -> sample dicts."""
    if clock_ticks <= 0:
        raise SoakError(f"clock ticks per second must be positive, not {clock_ticks}")
    samples = []
    for no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split()
        try:
            if len(fields) != 4:
                raise ValueError
            t, rss, fds, ticks = float(fields[0]), int(fields[1]), int(fields[2]), int(fields[3])
        except ValueError:
            raise SoakError(f"{source} line {no}: expected 'SECONDS RSS_KIB FDS CPU_TICKS', got {line!r}") from None
        if t < 0 or rss < 0 or fds < 0 or ticks < 0:
            raise SoakError(f"{source} line {no}: negative value in {line!r}")
        if samples and t < samples[-1]["t_s"]:
            raise SoakError(f"{source} line {no}: time {t} goes backwards")
        samples.append({"t_s": t, "rss_kib": rss, "fds": fds, "cpu_s": ticks / clock_ticks})
    return samples


def parse_runs(text, source="runs"):
    """Lines "START_S END_S EXIT NAME" -> run dicts (one per benchmark binary run)."""
    runs = []
    for no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split(maxsplit=3)
        try:
            if len(fields) != 4:
                raise ValueError
            runs.append({"start_s": float(fields[0]), "end_s": float(fields[1]),
                         "exit": int(fields[2]), "name": fields[3]})
        except ValueError:
            raise SoakError(f"{source} line {no}: expected 'START_S END_S EXIT NAME', got {line!r}") from None
    return runs


def thirds(samples):
    """The samples of the first and of the last third of the run's time span."""
    if not samples:
        return [], []
    t0, t1 = samples[0]["t_s"], samples[-1]["t_s"]
    span = t1 - t0
    first = [s for s in samples if s["t_s"] <= t0 + span / 3]
    last = [s for s in samples if s["t_s"] >= t1 - span / 3]
    return first, last


def judge_one(first, last, key, pct, floor):
    """Growth of one quantity: medians of the thirds and whether both limits are passed."""
    a = statistics.median(s[key] for s in first)
    b = statistics.median(s[key] for s in last)
    growth = b - a
    growth_pct = 100.0 * growth / a if a > 0 else (0.0 if growth == 0 else float("inf"))
    return {"first_third_median": a, "last_third_median": b, "growth": growth,
            "growth_pct": round(growth_pct, 2) if growth_pct != float("inf") else None,
            "grows": growth > floor and growth_pct > pct}


def judge_growth(samples):
    """The verdict: "grows", "bounded" or "too short", with the figures behind it."""
    result = {"rule": (f"grows if the last third's median exceeds the first third's by more than "
                       f"{RSS_PCT:g}% and {RSS_KIB} KiB (RSS) or {FD_PCT:g}% and {FD_COUNT} descriptors"),
              "samples": len(samples)}
    if len(samples) < MIN_SAMPLES:
        result["verdict"] = "too short"
        return result
    first, last = thirds(samples)
    result["rss_kib"] = judge_one(first, last, "rss_kib", RSS_PCT, RSS_KIB)
    result["fds"] = judge_one(first, last, "fds", FD_PCT, FD_COUNT)
    result["verdict"] = "grows" if result["rss_kib"]["grows"] or result["fds"]["grows"] else "bounded"
    return result


def verdict_line(verdict):
    """One line for the terminal."""
    if verdict["verdict"] == "too short":
        return f"too short to judge growth: {verdict['samples']} samples (at least {MIN_SAMPLES} needed)"
    parts = []
    for key, unit in (("rss_kib", "KiB RSS"), ("fds", "descriptors")):
        v = verdict[key]
        pct = "" if v["growth_pct"] is None else f", {v['growth_pct']:+.1f}%"
        parts.append(f"{v['first_third_median']:g} -> {v['last_third_median']:g} {unit} "
                     f"({v['growth']:+g}{pct}){' GROWS' if v['grows'] else ''}")
    head = "the echo server grows without bound" if verdict["verdict"] == "grows" else "bounded"
    return f"{head}: {'; '.join(parts)} (medians of the first and last third)"


def make_record(context, samples, runs):
    """The JSON document scripts/soak keeps."""
    return {"context": context, "samples": samples, "runs": runs, "verdict": judge_growth(samples)}


def load_record(path):
    """A soak JSON file, checked enough that plotting and judging cannot fail on it."""
    try:
        with open(path, encoding="utf-8") as f:
            record = json.load(f)
    except OSError as e:
        raise SoakError(f"cannot read {path}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise SoakError(f"{path} is not JSON: {e.msg} at line {e.lineno}") from None
    if not isinstance(record, dict) or not isinstance(record.get("samples"), list):
        raise SoakError(f"{path} is not a soak result (no list 'samples')")
    prev = None
    for i, s in enumerate(record["samples"]):
        if not isinstance(s, dict) or any(not isinstance(s.get(k), (int, float)) or isinstance(s.get(k), bool)
                                          for k in ("t_s", "rss_kib", "fds", "cpu_s")):
            raise SoakError(f"{path}: sample {i} lacks a number t_s, rss_kib, fds or cpu_s")
        if prev is not None and s["t_s"] < prev:
            raise SoakError(f"{path}: sample {i} goes back in time")
        prev = s["t_s"]
    if not isinstance(record.get("context", {}), dict) or not isinstance(record.get("runs", []), list):
        raise SoakError(f"{path}: 'context' must be an object and 'runs' a list")
    return record


def cpu_percent(samples):
    """(minutes, percent of one CPU) between consecutive samples."""
    out = []
    for a, b in zip(samples, samples[1:]):
        dt = b["t_s"] - a["t_s"]
        if dt > 0:
            out.append(((a["t_s"] + b["t_s"]) / 2 / 60, 100.0 * (b["cpu_s"] - a["cpu_s"]) / dt))
    return out
