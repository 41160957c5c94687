#!/usr/bin/python3
"""The soak's results (scripts/soak): its JSON file, its chart, its verdict.

Draws the echo server's resident memory (VmRSS), open descriptors and CPU use
(percent of one CPU between samples) over the run into PREFIX.png and
PREFIX.svg, and judges whether memory or descriptors grow without bound:

  a quantity grows when the median of the samples in the last third of the
  run exceeds the median of the first third by more than 25 % AND by more
  than 8192 KiB (RSS) or 64 descriptors.

Medians of thirds, not the first and last sample: a sample taken while 16
client threads hold connections open sits above one taken between two
benchmark binaries, and the medians smooth that out. The absolute floors are
above what a bounded server swings by here (16 connections' 64 KiB buffers
come to 1 MiB; 16 clients and the echo-once sockets to about 32 descriptors),
and far below what a leak of even one byte or one descriptor per thousand
exchanges reaches in ten minutes of about 10,000 exchanges per second. The
percentage keeps the rule from firing on a large server's normal jitter.
Runs with fewer than 9 samples are too short to judge (verdict "too short",
exit 0).

With --record, first builds the JSON file from the raw samples and runs that
scripts/soak collected (never overwriting a file). Exit status: 0 bounded or
too short to judge, 1 growth (one line on stderr), 2 bad input.
"""

import argparse
import json
import statistics
import sys
from pathlib import Path

import matplotlib.pyplot as plt

from sockchurn_results import chartfiles

PROG = "plot_soak.py"
RSS_PCT, RSS_KIB = 25.0, 8192
FD_PCT, FD_COUNT = 25.0, 64
MIN_SAMPLES = 9
chartfiles.setup()


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


def plot(record, prefix):
    """Three panels over minutes: RSS, descriptors, CPU. Returns the files written."""
    samples = record["samples"]
    ctx = record.get("context", {})
    verdict = judge_growth(samples)
    minutes = [s["t_s"] / 60 for s in samples]
    fig, axes = plt.subplots(3, 1, figsize=(9, 8), sharex=True)
    panels = ((axes[0], [s["rss_kib"] / 1024 for s in samples], "RSS (MiB)", "rss_kib", 1024),
              (axes[1], [s["fds"] for s in samples], "open descriptors", "fds", 1))
    for ax, values, label, key, scale in panels:
        ax.plot(minutes, values, marker=".", markersize=3, linewidth=1, color="#1f77b4")
        ax.set_ylabel(label)
        ax.set_ylim(bottom=0, top=max(values, default=1) * 1.2 or 1)
        if key in verdict:
            first, last = thirds(samples)
            for part, name in ((first, "first"), (last, "last")):
                m = verdict[key][f"{name}_third_median"] / scale
                ax.hlines(m, part[0]["t_s"] / 60, part[-1]["t_s"] / 60, colors="#d62728", linewidth=2,
                          label="median of the first / last third" if name == "first" else None)
            ax.legend(loc="lower right", fontsize=8)
    cpu = cpu_percent(samples)
    axes[2].plot([c[0] for c in cpu], [c[1] for c in cpu], linewidth=1, color="#2ca02c")
    axes[2].set_ylabel("CPU (% of one CPU)")
    axes[2].set_ylim(bottom=0)
    axes[2].set_xlabel("minutes since the echo server started")
    title = "sockchurn-echo under the soak: " + verdict_line(verdict).split(":")[0]
    sub = (f"{ctx.get('host', '?')} · kernel {ctx.get('kernel', '?')} · commit {ctx.get('git_commit', '?')} · "
           f"{ctx.get('date', '?')} · {ctx.get('client_threads', '?')} client threads · "
           f"{len(record.get('runs', []))} benchmark runs")
    fig.suptitle(title + "\n" + sub, fontsize=10)
    fig.tight_layout()
    return chartfiles.save(fig, prefix)


def parse_args(argv):
    p = argparse.ArgumentParser(prog=PROG, description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", help="the soak's JSON file (written first with --record)")
    p.add_argument("-o", "--output", metavar="PREFIX", default=None,
                   help="chart path without extension (default: plots/<the results file's name>)")
    p.add_argument("--no-plots", action="store_true", help="judge only, draw nothing")
    rec = p.add_argument_group("building the JSON file (scripts/soak)")
    rec.add_argument("--record", action="store_true", help="write RESULTS from --samples, --runs and --context")
    rec.add_argument("--samples", metavar="FILE", help="lines 'SECONDS RSS_KIB FDS CPU_TICKS'")
    rec.add_argument("--runs", metavar="FILE", help="lines 'START_S END_S EXIT NAME'")
    rec.add_argument("--clock-ticks", type=int, default=100, help="clock ticks per second (getconf CLK_TCK)")
    rec.add_argument("--context", metavar="KEY=VALUE", action="append", default=[],
                     help="provenance, repeatable")
    return p.parse_args(argv)


def read_text(path):
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise SoakError(f"cannot read {path}: {e.strerror}") from None


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.record:
            if not args.samples or not args.runs:
                raise SoakError("--record needs --samples and --runs")
            context = {}
            for item in args.context:
                if "=" not in item:
                    raise SoakError(f"--context: {item!r} is not KEY=VALUE")
                key, value = item.split("=", 1)
                context[key] = value
            record = make_record(context, parse_samples(read_text(args.samples), args.clock_ticks, args.samples),
                                 parse_runs(read_text(args.runs), args.runs))
            try:
                with open(args.results, "x", encoding="utf-8") as f:
                    json.dump(record, f, indent=1)
                    f.write("\n")
            except FileExistsError:
                raise SoakError(f"{args.results} exists already; results are never overwritten") from None
            print(f"wrote {args.results}")
        else:
            record = load_record(args.results)
    except SoakError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    if not args.no_plots:
        prefix = args.output or str(Path("plots") / Path(args.results).stem)
        print("wrote: " + " ".join(plot(record, prefix)))
    verdict = judge_growth(record["samples"])
    line = verdict_line(verdict)
    if verdict["verdict"] == "grows":
        print(f"{PROG}: {line}", file=sys.stderr)
        return 1
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
