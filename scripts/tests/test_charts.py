"""Every chart drawn from the committed reference run has at most 8 series a
panel; the headline forest chart from paired ratios, or a clear note without."""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import plot  # noqa: E402
import sockchurn_results as sr  # noqa: E402
from chart_series import legend_sizes, series_per_panel  # noqa: E402
from sockchurn_results import facets  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "results" / "2026-11-29-vm-2.json.gz"
# The README's reference (a quick run with paired ratios).
README_REFERENCE = ROOT / "results" / "2026-12-04-vm-quick.json.gz"
SYNTHETIC = Path(__file__).resolve().parent / "data" / "synthetic-paired.json"


def drawn(path, monkeypatch):
    """{chart stem: {panel: series}} of every chart plot.py draws from path."""
    seen = {}

    def save(self, fig, stem):
        seen[stem] = series_per_panel(fig)
        seen[stem]["legends"] = max(legend_sizes(fig), default=0)
        self.written.append(stem)
        plt.close(fig)

    monkeypatch.setattr(plot.Plotter, "save", save)
    doc, results = sr.load_document(path)
    plotter = plot.Plotter(results, "/nonexistent", "r", doc)
    plotter.run()
    return seen, plotter.notes


def test_every_chart_of_the_reference_run_has_at_most_8_series_a_panel(monkeypatch):
    seen, notes = drawn(REFERENCE, monkeypatch)
    assert {"r-same-throughput", "r-same-speedup", "r-same-cpu", "r-same-latency-p99", "r-same-timewait",
            "r-same-amortisation-threads1", "r-same-cpu-engines", "r-tw_reuse", "r-conntrack-cost"} <= set(seen)
    assert crowded(seen) == {}
    # Line charts have series in their panels (the count is not vacuous).
    assert max(seen["r-same-throughput"].values()) >= 5
    # No paired key in this file: the forest chart is left out with one clear note.
    assert "r-forest" not in seen
    assert any("forest chart" in n and "no \"paired\" key" in n for n in notes)


def crowded(seen):
    """{chart: {panel or "legends": count}} of what lists more than facets.MAX_SERIES."""
    over = {stem: {p: n for p, n in panels.items() if n > facets.MAX_SERIES} for stem, panels in seen.items()}
    return {stem: p for stem, p in over.items() if p}


def test_every_chart_of_the_readme_reference_has_at_most_8_series_a_panel_and_a_legend(monkeypatch):
    seen, _ = drawn(README_REFERENCE, monkeypatch)
    assert {"r-forest", "r-same-throughput", "r-same-speedup", "r-same-cpu"} <= set(seen)
    assert crowded(seen) == {}
    assert max(seen["r-same-throughput"]["legends"], seen["r-same-speedup"]["legends"]) >= 4


def test_the_forest_chart_from_paired_ratios(monkeypatch):
    seen, _ = drawn(SYNTHETIC, monkeypatch)
    panels = {p: n for p, n in seen["r-forest"].items() if p != "legends"}
    assert len(panels) == 1 and 1 <= list(panels.values())[0] <= facets.MAX_SERIES


def test_small_multiples_split_a_crowded_panel_by_port():
    lines = [dict(strategy=f"s{i}", closer="client", engine="blocking", flows="1", port=port, group="tcp")
             for i in range(5) for port in ("ephemeral", "bound")]
    g = facets.grid(lines)
    assert [len(p.lines) for p in g.panels.values()] == [5, 5]
    assert {c[2] for c in g.columns} == {"ephemeral", "bound"}
    assert g.row_title(g.rows[0]) == "TCP, the client ends each connection"
    assert facets.Grid.column_title(("asio", "16", "")) == "Boost.Asio client, 16 connections per thread"


def test_a_cut_error_bar_is_marked(tmp_path):
    from sockchurn_results.chartstyle import clipped_errorbar, engine_style
    fig, ax = plt.subplots()
    cut = clipped_errorbar(ax, [1, 2], [1.0, 1.1], [0.9, 1.0], [1.2, 730.0], "x", engine_style("red", "asio"), 2.0)
    assert cut == 1
    assert any(t.get_text() == "730" for t in ax.texts)
    plt.close(fig)
