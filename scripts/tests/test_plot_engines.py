"""plot.py's amortisation and cpu-engines charts: their data, the figures
they make from a file with the engine, flows and rpc dimensions, the notes
when a file lacks them, and malformed input.

engines_rpc.json: blocking at rpc 1/10/100, asio at flows 1 and 16 at rpc
1/10/100, uring at rpc 1, keepalive per engine (threads 1); asio flows 16 at
rpc 1/10 also at threads 2. One repetition per run."""

import json
import re
from pathlib import Path

import pytest
from conftest import golden

import plot
import sockchurn_results as sr
from sockchurn_results import forest
from sockchurn_results import amortisation, engine_cpu

SOURCE = golden("engines_rpc.json")
REFERENCE_RUN = Path(__file__).resolve().parents[2] / "results" / "2026-11-29-vm.json.gz"


def rate(doc, name):
    return next(r["exchanges_per_s"] for r in doc["benchmarks"] if r["name"] == name)


def loaded(path=SOURCE):
    results = sr.load(path)
    summary = sr.summarize(results)
    return results, summary, sr.ratio_table(results, "exchanges_per_s", summary)


def test_amortisation_lines_per_engine_against_requests_per_connection():
    doc = json.load(open(SOURCE))
    _, summary, table = loaded()
    assert amortisation.thread_counts(table, "same") == [1, 2]
    info, lines = amortisation.lines(table, summary, "same", 1)
    assert info == {"port": "ephemeral", "payload": "64", "payloads": 1, "reference": "keepalive"}
    # a panel per closer and fresh strategy, a line per engine variant
    assert [(line["closer"], line["baseline"]) for line in lines[::4]] == [
        ("client", "fresh_close"), ("client", "fresh_linger0"), ("client", "conditional_linger"),
        ("server", "fresh_close"), ("server", "fresh_linger0"), ("server", "conditional_linger")]
    assert [line["label"] for line in lines[:4]] == ["blocking", "asio, 1 flow", "asio, 16 flows",
                                                    "uring"]
    blocking = lines[0]
    assert blocking["rpc"] == [1, 10, 100]
    reuse = [rate(doc, f"tcp/reuse_unspec/{rpc}closer:client/port:ephemeral/payload:64/"
                       f"placement:same/real_time/threads:1") for rpc in ("", "rpc:10/", "rpc:100/")]
    fresh = [rate(doc, f"tcp/fresh_close/{rpc}closer:client/payload:64/placement:same/real_time/"
                       f"threads:1") for rpc in ("", "rpc:10/", "rpc:100/")]
    keepalive = rate(doc, "tcp/keepalive/payload:64/placement:same/real_time/threads:1")
    assert blocking["ratio"] == pytest.approx([r / f for r, f in zip(reuse, fresh)])
    assert blocking["ratio"][0] == 2.0 and blocking["ratio"][0] > blocking["ratio"][1] > blocking["ratio"][2]
    assert blocking["ceiling"] == pytest.approx([keepalive / f for f in fresh])
    assert lines[3]["rpc"] == [1] and lines[3]["variant"] == ("uring", "1")


def test_amortisation_at_two_threads_has_the_runs_made_there():
    doc = json.load(open(SOURCE))
    _, summary, table = loaded()
    info, lines = amortisation.lines(table, summary, "same", 2)
    assert [line["label"] for line in lines] == ["asio, 16 flows"] * 6
    assert all(line["rpc"] == [1, 10] for line in lines)
    fresh = rate(doc, "tcp/fresh_close/engine:asio/flows:16/closer:client/payload:64/"
                      "placement:same/real_time/threads:2")
    keepalive = rate(doc, "tcp/keepalive/engine:asio/flows:16/payload:64/placement:same/"
                          "real_time/threads:2")
    assert lines[0]["ceiling"][0] == pytest.approx(keepalive / fresh)


def test_cpu_bars_grouped_by_engine_at_one_request_per_connection():
    results, summary, _ = loaded()
    info, panels = engine_cpu.bars(summary, "same", results.roles)
    assert info == {"threads": 1, "payload": "64",
                    "variants": [("blocking", "1"), ("asio", "1"), ("asio", "16"), ("uring", "1")]}
    assert [p["title"] for p in panels] == ["client closes", "server closes", "references (no churn)"]
    assert [g["label"] for g in panels[0]["groups"]] == [
        "fresh_close", "fresh_linger0", "reuse_unspec\n(ephemeral port)", "conditional_linger"]
    cpu = {r["run_name"]: r["cpu_us_per_exchange"] for _, r in summary.iterrows()}
    fresh_close = panels[0]["groups"][0]["values"]
    assert fresh_close[("blocking", "1")][0] == \
        cpu["tcp/fresh_close/closer:client/payload:64/placement:same/real_time/threads:1"]
    assert fresh_close[("asio", "16")][0] == \
        cpu["tcp/fresh_close/engine:asio/flows:16/closer:client/payload:64/placement:same/real_time/threads:1"]
    assert [g["label"] for g in panels[2]["groups"]] == ["keepalive"]


def test_cpu_bars_of_the_reference_run_keep_strategies_two_engines_ran():
    results = sr.load(REFERENCE_RUN)
    summary = sr.summarize(results)
    info, panels = engine_cpu.bars(summary, "same", results.roles)
    assert info["threads"] == 1 and info["variants"] == [("blocking", "1"), ("uring", "1")]
    # conditional_linger, shutdown_drain, ... ran only in the blocking engine
    assert [g["label"] for g in panels[0]["groups"]] == [
        "fresh_close", "fresh_linger0", "reuse_unspec\n(ephemeral port)"]
    value = panels[0]["groups"][1]["values"][("uring", "1")]
    row = summary[summary["run_name"] == "tcp/fresh_linger0/engine:uring/closer:client/payload:64/"
                                         "placement:same/real_time/threads:1"].iloc[0]
    assert value == (row["cpu_us_per_exchange"], row["cpu_us_per_exchange_min"],
                     row["cpu_us_per_exchange_max"], 5)


def figures(monkeypatch, path=SOURCE):
    """({stem: figure}, notes) of every chart plot.py draws for a file (not saved)."""
    kept = {}

    def keep(self, fig, stem):
        kept[stem] = fig
        self.written.append(stem)

    monkeypatch.setattr(plot.Plotter, "save", keep)
    plotter = plot.Plotter(sr.load(path), "unused", "p")
    plotter.run()
    # (files without a "paired" key: the forest chart's note, test_charts.py checks it)
    return kept, [n for n in plotter.notes if "forest chart" not in n]


def test_charts_with_captions_naming_placement_and_threads(monkeypatch):
    kept, notes = figures(monkeypatch)
    assert notes == []
    assert {"p-same-amortisation-threads1", "p-same-amortisation-threads2",
            "p-same-cpu-engines"} <= set(kept)
    one = kept["p-same-amortisation-threads1"]
    assert one._suptitle.get_text().startswith(
        "Speedup of reuse_unspec over each fresh strategy vs requests per connection, "
        "1 client thread — placement: same\n")
    caption = one._supxlabel.get_text()
    assert caption.startswith("Points: reuse_unspec ÷ fresh of the median exchanges/s (one exchange "
                              "is one request): one repetition of each run (no error bars).")
    assert "TCP, placement same, 1 client thread, reuse_unspec with the ephemeral port, " \
           "payload 64 B." in caption
    assert [ax.get_title() for ax in one.axes] == [
        "÷ fresh_close, client closes", "÷ fresh_linger0, client closes",
        "÷ conditional_linger, client closes", "÷ fresh_close, server closes",
        "÷ fresh_linger0, server closes", "÷ conditional_linger, server closes"]
    # (the io_uring engine ran at one request per connection only: one point, no line to draw)
    assert [t.get_text() for t in one.axes[2].get_legend().get_texts()] == [
        "blocking", "asio, 1 flow", "asio, 16 flows",
        "keepalive ÷ fresh (no churn: the ceiling)"]
    assert [tick.get_text() for tick in one.axes[3].get_xticklabels()] == ["1", "10", "100"]
    two = kept["p-same-amortisation-threads2"]
    assert "2 client threads" in two._supxlabel.get_text()

    def colours(fig, ax):
        legend = fig.axes[ax].get_legend()
        handles = getattr(legend, "legend_handles", None) or legend.legendHandles   # matplotlib < 3.7
        return {t.get_text(): h.get_color() for t, h in zip(legend.get_texts(), handles)}
    # a variant has one colour in every figure of the file, here asio 16 flows at 1 and 2 threads
    assert colours(two, 2)["asio, 16 flows"] == colours(one, 2)["asio, 16 flows"]
    assert colours(one, 2)["asio, 16 flows"] != colours(one, 2)["asio, 1 flow"]
    cpu = kept["p-same-cpu-engines"]
    assert cpu._suptitle.get_text().startswith("Client CPU per exchange by engine — placement: same\n")
    assert cpu._supxlabel.get_text() == (
        "Bars: one repetition of each run; no error bars.\nTCP, placement same, 1 client thread "
        "(the lowest in the file), one request per connection, payload 64 B; only the strategies "
        "that two or more engines ran.")
    assert [t.get_text() for t in cpu.axes[-1].get_legend().get_texts()] == [
        "blocking", "asio, 1 flow", "asio, 16 flows", "uring"]
    plot.plt.close("all")


def test_files_written(run_script, tmp_path):
    result = run_script("plot.py", SOURCE, "-o", tmp_path / "out", "--prefix", "e")
    assert result.returncode == 0
    assert result.stderr == f"plot.py: note: skipped the forest chart (headline): {forest.NO_PAIRED}\n"
    for stem in ("e-same-amortisation-threads1", "e-same-amortisation-threads2", "e-same-cpu-engines"):
        for ext in ("png", "svg"):
            path = tmp_path / "out" / f"{stem}.{ext}"
            assert f"  {path}\n" in result.stdout
            assert path.stat().st_size > 1000


def rewritten(tmp_path, keep=lambda name: True, rename=lambda name: name):
    doc = json.load(open(SOURCE))
    doc["benchmarks"] = [dict(r, name=rename(r["name"]), run_name=rename(r["run_name"]))
                         for r in doc["benchmarks"] if keep(r["name"])]
    path = tmp_path / "variant.json"
    path.write_text(json.dumps(doc))
    return path


def test_one_rpc_value_skips_amortisation_only(monkeypatch, tmp_path):
    path = rewritten(tmp_path, keep=lambda name: "/rpc:" not in name)
    kept, notes = figures(monkeypatch, path)
    assert notes == ["skipped amortisation chart (placement same): needs TCP reuse / fresh pairs "
                     "at two or more requests per connection (rpc:N)"]
    assert "p-same-cpu-engines" in kept and not any("amortisation" in s for s in kept)
    plot.plt.close("all")


def test_one_engine_skips_cpu_engines(monkeypatch, tmp_path):
    path = rewritten(tmp_path, keep=lambda name: "/engine:" not in name)
    kept, notes = figures(monkeypatch, path)
    assert notes == ["skipped cpu-engines chart (placement same): needs TCP runs of two or more "
                     "client engines (engine:, flows:) at one request per connection"]
    assert "p-same-amortisation-threads1" in kept and "p-same-amortisation-threads2" not in kept
    plot.plt.close("all")


def test_rpc_that_is_not_a_count_is_left_out(monkeypatch, tmp_path):
    path = rewritten(tmp_path, rename=lambda name: name.replace("/rpc:10/", "/rpc:ten/"))
    _, summary, table = loaded(path)
    assert amortisation.thread_counts(table, "same") == [1]
    _, lines = amortisation.lines(table, summary, "same", 1)
    assert lines[0]["rpc"] == [1, 100]
    kept, _ = figures(monkeypatch, path)
    assert "p-same-amortisation-threads1" in kept
    plot.plt.close("all")


def test_truncated_file_is_one_line(run_script, tmp_path):
    path = tmp_path / "cut.json"
    text = Path(SOURCE).read_text()
    path.write_text(text[: len(text) // 2])
    result = run_script("plot.py", path, "-o", tmp_path / "out")
    assert result.returncode == 2 and result.stdout == ""
    assert re.fullmatch(re.escape(f"plot.py: {path}: not JSON (") + r"[^\n]*\)\n", result.stderr), \
        result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("source, drawn, skipped", [
    # UDP only, aggregates only: nothing for either chart
    ("aggregates_only.json", [], ["amortisation", "cpu-engines"]),
    # blocking and asio flows 16 at rpc 1: the engine chart only
    ("dims.json", ["p-same-cpu-engines"], ["amortisation"]),
])
def test_files_without_the_new_dimensions(monkeypatch, source, drawn, skipped):
    kept, notes = figures(monkeypatch, golden(source))
    assert [s for s in kept if "amortisation" in s or "engines" in s] == drawn
    assert [n.split(" chart (")[0] for n in notes if "amortisation" in n or "engines" in n] == \
        [f"skipped {chart}" for chart in skipped]
    plot.plt.close("all")
