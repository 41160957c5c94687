"""The README's generated blocks and docs/which-strategy.md, from one committed results file.

A block sits between ``<!-- generated:NAME -->`` and ``<!-- /generated -->``
in README.md; ``regenerate`` replaces every block's body with what
``blocks`` makes from the reference results file, which the README names on
its line ``<!-- reference: PATH -->``. Nothing else in the README is
touched, so a test can regenerate the blocks and fail when the file differs
(scripts/readme --check). docs/which-strategy.md is generated whole.

Pure: text and answers in, text out.
"""

import re

from .answers import evidence_lines, leftover_lines
from .report import chart_provenance
from .scenarios import describe

BLOCK = re.compile(r"(<!-- generated:(?P<name>[a-z-]+) -->\n)(?P<body>.*?)(<!-- /generated -->)", re.S)
REFERENCE = re.compile(r"<!-- reference: (?P<path>\S+) -->")
PROXY_REFERENCE = re.compile(r"<!-- proxy-reference: (?P<path>\S+) -->")


class ReadmeError(ValueError):
    """A README without the reference line or with a block no generator knows."""


def reference_of(text):
    match = REFERENCE.search(text)
    if not match:
        raise ReadmeError("README.md has no '<!-- reference: PATH -->' line naming the results file")
    return match.group("path")


def proxy_reference_of(text):
    """The proxy section's results file the README names, or None."""
    match = PROXY_REFERENCE.search(text)
    return match.group("path") if match else None


def _answer_lines(ans):
    s = ans.scenario
    anchor = f"docs/which-strategy.md#{s.name}"
    if ans.paired:
        lines = [f"- **[{s.title}]({anchor})** — {ans.summary}."]
    else:
        lines = [f"- **[{s.title}]({anchor})** — no paired measurement in the reference yet; its unpaired "
                 f"medians (no interval, not a verdict): " + _unpaired_words(ans) + "."]
    left = _leftover_words(ans)
    if left:
        lines.append(f"  Leaves behind: {left}.")
    return lines


def _unpaired_words(ans):
    # The reuse variant with the default (ephemeral) port against each fresh strategy.
    items = [(t, r) for t, r, _, _ in ans.unpaired if "(bound port)" not in t]
    return ", ".join(f"{t} {r:.2f}×" for t, r in items) or "none in this file"


def _leftover_words(ans):
    out, seen = [], set()
    for item in ans.leftovers:
        if "(bound port)" in item["label"] or item["label"] in seen:
            continue
        seen.add(item["label"])
        client, server = item.get("time_wait_client", 0), item.get("time_wait_server", 0)
        parts = []
        if client == client and client and client >= 1:
            parts.append(f"{client:,.0f} TIME_WAIT on the client")
        if server == server and server and server >= 1:
            parts.append(f"{server:,.0f} TIME_WAIT on the server")
        steady = item.get("time_wait_steady", 0)
        if parts and steady == steady and steady and steady >= 1:
            # The paired warm-up's count: the steady state, both sides together.
            parts[-1] += f" ({steady:,.0f} at steady state)"
        if parts:
            out.append(f"{item['label']} {' and '.join(parts)}")
    return "; ".join(out) + "; the others none" if out else ""


def blocks(reference, answers, context, charts):
    """{block name: body text} for the README. charts: {"forest": path or None,
    "fallback": path} (relative to the README)."""
    out = {}
    lines = []
    for ans in answers:
        lines += _answer_lines(ans)
    out["answers"] = "\n".join(lines) + "\n"
    if charts.get("forest"):
        out["headline-chart"] = (f"![Reuse ÷ each fresh strategy, paired, with 95% intervals, by scenario]"
                                 f"({charts['forest']})\n")
    else:
        out["headline-chart"] = (
            "The headline chart is a forest plot of the paired ratios by scenario; the reference below "
            "predates paired measurement, so it is not drawn yet (`scripts/readme --reference FILE` draws it "
            "from a paired run). Meanwhile, reuse ÷ fresh of its unpaired medians, by engine and closer:\n\n"
            f"![Reuse ÷ fresh of the medians, unpaired, by engine and who closes]({charts['fallback']})\n")
    stem = re.sub(r"\.json(\.gz)?$", "", reference)
    out["reference"] = (f"Reference run: [{reference}]({reference}) — {chart_provenance(context)}. "
                        f"Its report: [{stem}.html]({stem}.html) (answers, charts, tables, warnings, "
                        f"provenance); every chart: `plots/{stem.split('/')[-1]}-*`.\n")
    return out


def regenerate(text, made):
    """README text with every block's body replaced. Raises ReadmeError for a
    block that `made` lacks."""
    def body(match):
        name = match.group("name")
        if name not in made:
            raise ReadmeError(f"README.md block '{name}' has no generator (one of: {', '.join(made)})")
        return match.group(1) + made[name] + match.group(4)
    return BLOCK.sub(body, text)


def which_strategy(reference, answers):
    """docs/which-strategy.md, whole."""
    out = ["# Which strategy when", "",
           f"<!-- generated by scripts/readme from {reference}; do not edit by hand -->", "",
           "One section per case a user brings (the table `SCENARIOS` in "
           "`scripts/sockchurn_results/scenarios.py`). Each names its question, the rotation groups "
           "measured paired to answer it (`scripts/bench --scenario NAME`), the answer and its evidence "
           f"from [{reference}](../{reference}), and what each strategy leaves behind.", ""]
    for ans in answers:
        s = ans.scenario
        out += [f"## {s.name}", "", f"**{s.title}.** {s.question}", "", "```"]
        out += describe(s)[2:]
        out += ["```", "", f"How the answer is derived: {s.derived}.", ""]
        out += [f"**Answer:** {ans.summary}.", ""]
        out += [f"- {n}" for n in list(s.notes) + ans.notes]
        evidence = evidence_lines(ans)
        if evidence:
            out += ["", "Evidence:", "", "```"] + evidence + ["```"]
        left = leftover_lines(ans)
        if left:
            out += ["", "What each strategy leaves behind (placement same, "
                    f"{s.groups[0].words()}; conntrack from the conntrack section, 1 thread):", "", "```"]
            out += left + ["```"]
        out.append("")
    return "\n".join(out)

