"""Each scenario's answer from one results file.

The recommendation comes from the file's paired ratios (the top-level
"paired" key, /work/wt/PAIRED_SPEC.md and docs/results-format.md): for each
rotation group of a scenario, reuse ÷ each fresh strategy in exchanges per
second with its 95% interval. A strategy is recommended only when every
interval it depends on excludes 1 and does not lie wholly within ±3% of 1
(SMALL_WIN: two runs of the same binary move a ratio by about that much,
docs/paired.md "Run to run"); otherwise the answer says "no difference
beyond noise" and between which strategies. What each strategy leaves
behind (TIME_WAIT and on which side, connection-tracking entries and their
lifetime, local ports) comes from the per-strategy rows. A file without
"paired" gets no recommendation, one line saying so, and the unpaired medians
as evidence without a verdict.

Pure: a decoded results document and its Results in, Answer objects out.
"""

import math
from dataclasses import dataclass, field

from .chartdata import rows_where
from .names import default_ring, parse_name
from .scenarios import SCENARIOS, variant_name
from .sections import CONNTRACK, SECTION, main_sweep
from .stats import ratio_table, summarize

RATE = "exchanges_per_s"
CPU = "cpu_us_per_exchange"
# The kernel's defaults (Linux 6.x): a TCP socket stays in TIME_WAIT 60 s
# (TCP_TIMEWAIT_LEN); conntrack keeps a TIME_WAIT entry 120 s
# (nf_conntrack_tcp_timeout_time_wait) and a CLOSE entry 10 s
# (nf_conntrack_tcp_timeout_close).
TIME_WAIT_S = 60
CONNTRACK_LIFETIME_S = {"TIME_WAIT": 120, "CLOSE": 10}
# A win by less than this (the estimate) is beyond noise but small: the
# answer says so, so that a reader does not take 1.01x for a reason to
# change code; what the strategies leave behind then decides.
SMALL_WIN = 1.03
NO_PAIRED = ("this results file has no paired measurement (no \"paired\" key): no recommendation; "
             "run scripts/bench --scenario NAME, or see the unpaired medians below (no interval, "
             "not a verdict)")


@dataclass
class Ratio:
    numerator: str
    denominator: str
    metric: str
    estimate: float
    lo: float
    hi: float
    pairs: int = 0
    excluded: int = 0

    @property
    def verdict(self):
        """win (the interval is above 1), loss (below 1) or tie; an interval
        that lies within ±3% of 1 (SMALL_WIN) is a tie too, for two runs of
        the same binary move a ratio by a median of 1-2% (docs/paired.md,
        "Run to run"; compare.py's wider bound for a change between two
        files is paired_stats.RUN_TO_RUN)."""
        if self.within_spread:
            return "tie"
        if self.lo > 1:
            return "win"
        if self.hi < 1:
            return "loss"
        return "tie"

    @property
    def within_spread(self):
        """Beyond noise, but the whole interval within ±3% of 1."""
        return (self.lo > 1 or self.hi < 1) and 1 / SMALL_WIN <= self.lo and self.hi <= SMALL_WIN

    def text(self):
        return f"{self.estimate:.2f}× [{self.lo:.2f}, {self.hi:.2f}]"


@dataclass
class GroupAnswer:
    group: object                 # scenarios.Group
    recommendation: str           # one line
    winner: str = ""              # the recommended variant, "" when none beyond noise
    rates: list = field(default_factory=list)   # Ratio of exchanges_per_s
    cpus: list = field(default_factory=list)    # Ratio of cpu_us_per_exchange (fresh ÷ reuse)
    flags: dict = field(default_factory=dict)
    rounds: int = 0

    def cpu_of(self, rate):
        """The CPU ratio of the same pair as a rate ratio (reuse ÷ fresh): the
        CPU ratio is stored the other way up, fresh ÷ reuse, so that > 1 means
        reuse is better in both. None when the group has none."""
        return next((c for c in self.cpus
                     if (c.numerator, c.denominator) == (rate.denominator, rate.numerator)), None)


@dataclass
class Answer:
    scenario: object
    paired: bool
    groups: list = field(default_factory=list)      # GroupAnswer
    leftovers: list = field(default_factory=list)   # dicts, one per strategy
    unpaired: list = field(default_factory=list)    # (label, ratio, lo, hi) without verdict
    notes: list = field(default_factory=list)

    @property
    def summary(self):
        """The answer in one line per rotation group."""
        if not self.paired:
            return "no paired measurement in this file: no recommendation"
        return " | ".join(g.recommendation for g in self.groups) or "no paired group of this scenario"


def label(variant):
    """A variant's name in words: the strategy, and the port when it is bound."""
    parsed = parse_name(variant)
    port = parsed["dims"].get("port")
    return parsed["strategy"] + (" (bound port)" if port == "bound" else "")


def _ratios(entry, metric):
    out = []
    for r in entry.get("ratios", []):
        if r.get("metric") != metric:
            continue
        try:
            values = [float(r[k]) for k in ("estimate", "lo", "hi")]
        except (KeyError, TypeError, ValueError):
            continue
        if all(math.isfinite(v) for v in values):
            out.append(Ratio(r["numerator"], r["denominator"], metric, *values,
                             pairs=int(r.get("pairs", 0) or 0), excluded=int(r.get("excluded", 0) or 0)))
    return out


def recommend(rates):
    """(winner, one line) from the reuse ÷ fresh rate ratios of one group."""
    if not rates:
        return "", "no reuse ÷ fresh ratio in this group"
    by_reuse = {}
    for r in rates:
        by_reuse.setdefault(r.numerator, []).append(r)
    # The reuse variant with the best worst case.
    reuse, ratios = max(by_reuse.items(), key=lambda kv: min(r.lo for r in kv[1]))
    wins = [r for r in ratios if r.verdict == "win"]
    losses = [r for r in ratios if r.verdict == "loss"]
    ties = [r for r in ratios if r.verdict == "tie"]
    if len(wins) == len(ratios):
        low = min(ratios, key=lambda r: r.estimate)
        small = (f" — by under {round((SMALL_WIN - 1) * 100)}%: for speed the choice hardly matters here, "
                 f"what each strategy leaves behind decides") if low.estimate < SMALL_WIN else ""
        return reuse, (f"{label(reuse)}: faster than every fresh strategy beyond noise "
                       f"(the closest, {label(low.denominator)}: {low.text()}){small}")
    spread = (f" (a ratio within ±{round((SMALL_WIN - 1) * 100)}% counts as none: two runs of the same "
              f"binary differ that much)") if any(r.within_spread for r in ties) else ""
    if losses:
        best = min(losses, key=lambda r: r.estimate)
        if not ties:   # faster than reuse, which is faster than the rest
            return best.denominator, (f"{label(best.denominator)}: faster than {label(reuse)} beyond "
                                      f"noise (reuse ÷ it {best.text()})")
        return "", (f"no difference beyond noise between {label(reuse)} and "
                    f"{', '.join(label(r.denominator) for r in ties)}; "
                    f"{', '.join(label(r.denominator) for r in losses)} faster than reuse beyond noise{spread}")
    tied = ", ".join(f"{label(r.denominator)} {r.text()}" for r in ties)
    beaten = f"; {label(reuse)} beats {', '.join(label(r.denominator) for r in wins)} beyond noise" \
        if wins else ""
    return "", f"no difference beyond noise between {label(reuse)} and {tied}{beaten}{spread}"


def paired_entries(doc):
    value = doc.get("paired") if isinstance(doc, dict) else None
    return [e for e in value if isinstance(e, dict) and isinstance(e.get("group"), list)] \
        if isinstance(value, list) else []


def _entry_for(scenario, group, entries):
    """The paired entry of this rotation group (placement same preferred)."""
    found = [e for e in entries
             if e.get("threads") == group.threads and e["group"]
             and all(isinstance(n, str) and scenario.matches(n, group) for n in e["group"])]
    found.sort(key=lambda e: e.get("placement") != "same")
    return found[0] if found else None


def _value(row, column):
    value = row[column] if column in row.index else math.nan
    return float(value) if value == value else math.nan


def leftovers(scenario, results, summary):
    """What each strategy of the scenario leaves behind, from its rows: one
    dict per variant (first group's dimensions and threads, placement same)."""
    group = scenario.groups[0]
    rows = summary[(summary["group"] == scenario.protocol) & ~summary["errored"]]
    if "placement" in rows.columns and (rows["placement"] == "same").any():
        rows = rows[rows["placement"] == "same"]
    rows = rows[rows["threads"] == group.threads]
    rows = rows_where(rows, "run_name", lambda n: scenario.matches(n, group))
    rows = rows[rows["role"].isin(("reuse", "fresh"))]
    conn = _conntrack_rows(results)
    out = []
    for _, row in rows.sort_values("rank").iterrows():
        variant = variant_name(row["run_name"])
        tw, tw_server = _value(row, "time_wait"), _value(row, "time_wait_server")
        item = {"variant": variant, "label": label(variant), "role": row["role"],
                "exchanges_per_s": _value(row, RATE), "cpu_us_per_exchange": _value(row, CPU)}
        if "time_wait" in scenario.leaves and scenario.protocol == "tcp":
            server = tw_server if tw_server == tw_server else 0.0
            item["time_wait_client"] = tw - server if tw == tw else math.nan
            item["time_wait_server"] = server if tw == tw else math.nan
        if "conntrack" in scenario.leaves:
            item["conntrack"] = conn.get((row["strategy"], row.get("closer", ""), row.get("port", "")))
        if "ports" in scenario.leaves:
            live = group.threads * group.flows
            held = item.get("time_wait_client", 0.0)
            item["ports_held"] = live + (held if held == held else 0.0)
        out.append(item)
    return out


def _conntrack_rows(results):
    """{(strategy, closer, port): {state: entries}} from the conntrack section (on)."""
    rows = results.rows
    if SECTION not in rows.columns or CONNTRACK not in rows.columns:
        return {}
    rows = rows[(rows[SECTION] == CONNTRACK) & (rows[CONNTRACK] == "on") & (rows["run_type"] != "aggregate")]
    out = {}
    for key, part in rows.groupby(["strategy", "closer", "port"]):
        states = {}
        for column in [c for c in part.columns if c.startswith("conntrack_entries")]:
            values = part[column].dropna()
            if len(values):
                state = column[len("conntrack_entries_"):] if column != "conntrack_entries" else "all"
                states[state] = float(values.median())
        if states:
            out[key] = states
    return out


def _unpaired(scenario, table):
    group = scenario.groups[0]
    rows = table[(table["group"] == scenario.protocol) & (table["threads"] == group.threads)]
    if "placement" in rows.columns and (rows["placement"] == "same").any():
        rows = rows[rows["placement"] == "same"]
    out = []
    for _, row in rows.iterrows():
        dims = {k: row[k] for k in ("closer", "engine", "flows", "ring", "rpc") if k in row and row[k]}
        if scenario.closer and dims.get("closer") != scenario.closer:
            continue
        if dims.get("engine", "blocking") != group.engine or dims.get("flows", "1") != str(group.flows) \
                or dims.get("rpc", "1") != str(scenario.rpc) or not default_ring(dims) \
                or str(row.get("note", "")).endswith("errored"):
            continue
        reuse = row["strategy"] + (" (bound port)" if row.get("port") == "bound" else "")
        out.append((f"{reuse} ÷ {row['baseline']}", float(row["ratio"]), float(row["lo"]), float(row["hi"])))
    return out


def paired_answer(scenario, doc, out):
    """Fill `out` (an Answer) from the document's paired groups."""
    entries = paired_entries(doc)
    for group in scenario.groups:
        entry = _entry_for(scenario, group, entries)
        if entry is None:
            out.notes.append(f"{group.words()}: not measured paired in this file")
            continue
        rates, cpus = _ratios(entry, RATE), _ratios(entry, CPU)
        winner, line = recommend(rates)
        prefix = f"{group.words()}: " if len(scenario.groups) > 1 else ""
        if scenario.rpc > 1:
            prefix = f"{scenario.rpc} requests per connection, " + prefix
        flags = entry.get("flags") if isinstance(entry.get("flags"), dict) else {}
        out.groups.append(GroupAnswer(group, prefix + line, winner, rates, cpus, flags,
                                      int(entry.get("rounds", 0) or 0)))
    return out


def warmup_leftovers(scenario, doc):
    """What each variant left behind at measurement time, from the paired
    warm-ups (a file with no per-strategy rows, as scripts/bench --scenario writes)."""
    out = []
    for entry in paired_entries(doc):
        ours = any(_entry_for(scenario, g, [entry]) for g in scenario.groups)
        if not ours or not isinstance(entry.get("warmup"), dict):
            continue
        for variant, warm in entry["warmup"].items():
            if isinstance(warm, dict) and isinstance(warm.get("time_wait"), (int, float)):
                out.append({"variant": variant, "label": label(variant), "role": "",
                            "exchanges_per_s": math.nan, "cpu_us_per_exchange": math.nan,
                            "time_wait_total": float(warm["time_wait"])})
    return out


def answer(scenario, doc, results, summary=None, table=None):
    """The Answer of one scenario from a results document and its Results."""
    main = main_sweep(results)
    summary = summarize(main) if summary is None else summary
    entries = paired_entries(doc)
    out = Answer(scenario=scenario, paired=bool(entries))
    out.leftovers = leftovers(scenario, results, summary)
    # A short per-strategy row may not reach the steady state that the paired
    # warm-ups reach: each row's TIME_WAIT gains the warm-up's count beside it.
    steady = {w["label"]: w["time_wait_total"] for w in warmup_leftovers(scenario, doc)} if entries else {}
    for item in out.leftovers:
        if item["label"] in steady:
            item["time_wait_steady"] = steady[item["label"]]
    if not entries:
        out.notes.append(NO_PAIRED)
        table = ratio_table(main, RATE, summary) if table is None else table
        out.unpaired = _unpaired(scenario, table)
        return out
    return paired_answer(scenario, doc, out)


def answers(doc, results, scenarios=SCENARIOS):
    """The Answer of every scenario (one summary and ratio table for all)."""
    main = main_sweep(results)
    summary = summarize(main)
    table = ratio_table(main, RATE, summary) if not paired_entries(doc) else None
    return [answer(s, doc, results, summary, table) for s in scenarios]


def evidence_lines(ans):
    """The evidence of an answer as plain lines (scripts/bench --scenario, the report)."""
    lines = []
    for g in ans.groups:
        lines.append(f"{g.group.words()} ({g.rounds} rounds):")
        for r in g.rates:
            c = g.cpu_of(r)
            cpu_text = f"; client CPU per exchange, fresh ÷ reuse, {c.text()}" if c else ""
            lines.append(f"  {label(r.numerator)} ÷ {label(r.denominator)}: rate {r.text()} "
                         f"({r.verdict if r.verdict != 'tie' else 'no difference beyond noise'}){cpu_text}")
        bad = {k: v for k, v in g.flags.items() if v}
        if bad:
            lines.append("  flagged slices (their rounds left out): "
                         + ", ".join(f"{v} {k.replace('_slices', '')}" for k, v in bad.items()))
    for text, ratio, lo, hi in ans.unpaired:
        lines.append(f"  unpaired medians {text}: {ratio:.2f}× (min-max {lo:.2f}-{hi:.2f}; not a verdict)")
    return lines


def leftover_lines(ans):
    """What each strategy leaves behind, one line each."""
    lines = []
    for item in ans.leftovers:
        parts = []
        if "time_wait_client" in item and item["time_wait_client"] == item["time_wait_client"]:
            parts.append(f"TIME_WAIT {item['time_wait_client']:,.0f} on the client, "
                         f"{item['time_wait_server']:,.0f} on the server ({TIME_WAIT_S} s each)")
        if item.get("conntrack"):
            states = item["conntrack"]
            detail = ", ".join(f"{v:,.0f} {k}" + (f" ({CONNTRACK_LIFETIME_S[k]} s)" if k in CONNTRACK_LIFETIME_S else "")
                               for k, v in states.items() if k != "all")
            parts.append(f"conntrack {states.get('all', 0):,.0f} entries" + (f": {detail}" if detail else ""))
        if "ports_held" in item:
            parts.append(f"local ports held {item['ports_held']:,.0f}")
        if "time_wait_total" in item:
            parts.append(f"TIME_WAIT at measurement {item['time_wait_total']:,.0f} (client and server; {TIME_WAIT_S} s each)")
        lines.append(f"  {item['label']}: " + ("; ".join(parts) if parts else "nothing measured"))
    return lines
