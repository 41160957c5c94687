"""One self-contained HTML page per results file: the verdict first, then the
evidence, then the provenance (as Criterion.rs's report and a kernel
performance report order them).

Sections, in order: the scenarios and their answers; the charts (inline
SVG, drawn by plot.py's Plotter) and the tables generated from the results;
the warnings (busy machine, insufficient rows, skipped or unfinished groups,
errored rows, namespaces off); the provenance. Nothing is loaded from the
network: no script, no font, no link to fetch.

Pure: answers, chart SVG strings and Results in, one HTML string out.
"""

import html
import math
import re

from .answers import CONNTRACK_LIFETIME_S, TIME_WAIT_S, label
from .report import provenance

# Slices or rows whose foreign CPU load (CPUs busy outside client and server)
# passes this are "busy" (as the paired driver flags slices).
BUSY_LOAD = 0.25
# A row with fewer exchanges than this means little (issue 21's floor).
MIN_EXCHANGES = 200

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; max-width: 1180px; margin: 1.5em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
.answer { border-left: 4px solid #1f77b4; padding: .3em .9em; margin: 1em 0; background: #f6f8fa; }
.answer h3 { margin: .2em 0; } .verdict { font-weight: 600; }
.none { border-left-color: #999; } .question { color: #555; font-style: italic; margin: .2em 0; }
table { border-collapse: collapse; margin: .5em 0 1em; font-size: .9em; }
th, td { border: 1px solid #ddd; padding: .2em .5em; text-align: right; } th { background: #f0f0f0; }
td:first-child, th:first-child { text-align: left; }
figure { margin: 1.5em 0; } figure svg { max-width: 100%; height: auto; }
figcaption { font-size: .9em; color: #444; }
.warnings li { color: #8a4b00; } .provenance { font-size: .85em; color: #444; word-break: break-word; }
"""


def esc(text):
    return html.escape(str(text), quote=True)


def _svg_body(svg):
    """The <svg> element of a matplotlib SVG file (without the XML prolog)."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def _fmt(value, digits=0):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{digits}f}"


def answer_section(ans):
    s = ans.scenario
    verdict = ans.summary
    cls = "answer" if any(g.winner for g in ans.groups) else "answer none"
    out = [f'<section class="{cls}" id="scenario-{esc(s.name)}">',
           f"<h3>{esc(s.title)}</h3>", f'<p class="question">{esc(s.question)}</p>',
           f'<p class="verdict" data-scenario="{esc(s.name)}">Answer: {esc(verdict)}</p>']
    for note in ans.notes:
        out.append(f"<p>{esc(note)}</p>")
    if ans.groups:
        out.append("<table><tr><th>paired ratio (95% interval)</th><th>exchanges/s, reuse ÷ fresh</th>"
                   "<th>client CPU per exchange, fresh ÷ reuse</th><th>verdict</th><th>pairs (left out)</th></tr>")
        for g in ans.groups:
            for r in g.rates:
                c = g.cpu_of(r)
                verdict = {"win": "reuse faster", "loss": "reuse slower",
                           "tie": "no difference beyond noise"}[r.verdict]
                out.append(f"<tr><td>{esc(g.group.words())}: {esc(label(r.numerator))} ÷ "
                           f"{esc(label(r.denominator))}</td><td>{esc(r.text())}</td>"
                           f"<td>{esc(c.text()) if c else '—'}</td><td>{verdict}</td>"
                           f"<td>{r.pairs} ({r.excluded})</td></tr>")
        out.append("</table>")
    elif ans.unpaired:
        out.append("<p>Unpaired medians (measured minutes apart; no interval, not a verdict):</p><ul>")
        out += [f"<li>{esc(t)}: {r:.2f}× (min-max over repetition pairs {lo:.2f}–{hi:.2f})</li>"
                for t, r, lo, hi in ans.unpaired]
        out.append("</ul>")
    if ans.leftovers:
        out.append("<table><tr><th>what each strategy leaves behind</th><th>exchanges/s</th>"
                   f"<th>TIME_WAIT, client ({TIME_WAIT_S} s)</th><th>TIME_WAIT, server</th>"
                   f"<th>conntrack entries (TIME_WAIT {CONNTRACK_LIFETIME_S['TIME_WAIT']} s, "
                   f"CLOSE {CONNTRACK_LIFETIME_S['CLOSE']} s)</th><th>local ports held</th></tr>")
        for item in ans.leftovers:
            states = item.get("conntrack") or {}
            conn = ", ".join(f"{v:,.0f} {k}" for k, v in states.items() if k != "all") or "—"
            out.append(f"<tr><td>{esc(item['label'])} ({esc(item['role'])})</td>"
                       f"<td>{_fmt(item['exchanges_per_s'])}</td>"
                       f"<td>{_fmt(item.get('time_wait_client'))}</td><td>{_fmt(item.get('time_wait_server'))}</td>"
                       f"<td>{esc(conn)}</td><td>{_fmt(item.get('ports_held'))}</td></tr>")
        out.append("</table><p><small>From the per-strategy rows at placement same, "
                   f"{esc(s.groups[0].words())}; conntrack from the conntrack section (1 thread), the "
                   "namespace's table when the run ended.</small></p>")
    out.append("</section>")
    return "\n".join(out)


def warnings(doc, results):
    """Lines: what a reader must know before trusting the numbers."""
    out = []
    c = results.context
    rows = results.rows[results.rows["run_type"] != "aggregate"]
    if "foreign_cpu_load" in rows.columns:
        busy = rows[rows["foreign_cpu_load"] > BUSY_LOAD]
        if len(busy):
            out.append(f"busy machine: {len(busy)} of {len(rows)} repetitions ran while other programs used more "
                       f"than {BUSY_LOAD} CPU (foreign_cpu_load; median {rows['foreign_cpu_load'].median():.2f})")
    if "iterations" in rows.columns:
        few = rows[(rows["iterations"] * rows["threads"] < MIN_EXCHANGES) & ~rows["error_occurred"]]
        if len(few):
            out.append(f"insufficient rows: {len(few)} repetitions hold fewer than {MIN_EXCHANGES} exchanges "
                       f"(e.g. {few.iloc[0]['run_name']})")
    errored = rows[rows["error_occurred"]]
    if len(errored):
        out.append(f"{errored['run_name'].nunique()} benchmarks ended in an error (left out of every chart "
                   f"and ratio), e.g. {errored.iloc[0]['run_name']}: {errored.iloc[0]['error_message']}")
    for entry in doc.get("paired", []) if isinstance(doc.get("paired"), list) else []:
        flags = entry.get("flags") if isinstance(entry, dict) else None
        if isinstance(flags, dict) and any(flags.values()):
            names = ", ".join(str(n) for n in entry.get("group", []))
            out.append(f"paired group {names}: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in flags.items() if v)
                       + " (their rounds left out of the ratios)")
    for key, what in (("suite_skipped_groups", "skipped groups"), ("suite_unfinished_groups", "unfinished groups")):
        if c.get(key):
            out.append(f"{what}: {c[key]}")
    if "external" in str(c.get("suite_path", "")) or "per-group namespaces off" in str(c.get("suite_isolation", "")):
        out.append(f"per-group network namespaces were off (an external server: {c.get('suite_path')}); "
                   "TIME_WAIT left by one strategy may slow the next one's port search")
    if c.get("synthetic"):
        out.insert(0, str(c["synthetic"]))
    return out


def page(title, answers, charts, results, doc, source):
    """The whole page. charts: [(title, caption, svg text)]."""
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>",
             f"<h1>{esc(title)}</h1>",
             f"<p>From <code>{esc(source)}</code>. The answers come first, then the charts and tables they "
             "rest on, the warnings, and where and how the numbers were made.</p>",
             '<h2 id="answers">Which strategy for my case?</h2>']
    parts += [answer_section(a) for a in answers]
    parts.append('<h2 id="charts">Charts</h2>')
    for name, caption, svg in charts:
        parts.append(f'<figure id="chart-{esc(name)}">{_svg_body(svg)}'
                     f"<figcaption>{esc(caption)}</figcaption></figure>")
    lines = warnings(doc, results)
    parts.append('<h2 id="warnings">Warnings</h2>')
    parts.append('<ul class="warnings">' + "".join(f"<li>{esc(w)}</li>" for w in lines) + "</ul>"
                 if lines else "<p>None: no busy machine, no insufficient or errored rows, no skipped groups.</p>")
    c = results.context
    parts.append('<h2 id="provenance">Provenance</h2>')
    parts.append(f'<p class="provenance">{esc(provenance(c))}</p>')
    parts.append(f'<p class="provenance">command: <code>{esc(c.get("suite_command", "?"))}</code>; '
                 f'repetitions {esc(c.get("suite_repetitions", "?"))} of {esc(c.get("suite_min_time", "?"))} s; '
                 f'isolation: {esc(c.get("suite_isolation", "?"))}</p>')
    parts.append("</body></html>\n")
    text = "\n".join(parts)
    if re.search(r"""(src|href)=["']?(https?:)?//""", text):
        raise ValueError("the report would load something from the network")
    return text
