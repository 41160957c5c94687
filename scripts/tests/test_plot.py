"""plot.py: the files it writes, notes for missing data, malformed input."""

import json

import pytest
from conftest import golden

import plot
from sockchurn_results.chartstyle import log_axis
import sockchurn_results as sr
from sockchurn_results import forest

CHARTS = ("throughput", "speedup", "cpu", "latency-p50", "latency-p99", "timewait")


def expected_files(prefix, placements, syscall=True):
    stems = [f"{prefix}-{p}-{c}" for p in placements for c in CHARTS]
    if syscall:
        stems.append(f"{prefix}-syscall")
    return sorted(f"{s}.{ext}" for s in stems for ext in ("png", "svg"))


def check_images(directory, names):
    assert sorted(p.name for p in directory.iterdir()) == names
    for name in names:
        data = (directory / name).read_bytes()
        assert len(data) > 1000, name
        if name.endswith(".png"):
            assert data[:8] == b"\x89PNG\r\n\x1a\n"
        else:
            assert data.lstrip().startswith(b"<?xml") and b"<svg" in data[:2000]


def test_normal_file_subprocess(run_script, tmp_path):
    out = tmp_path / "charts"
    result = run_script("plot.py", golden("normal.json"), "-o", out, "--prefix", "t", cwd="/")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    names = expected_files("t", ["same", "split"])
    check_images(out, names)
    listed = result.stdout.split("\n")
    assert listed[0] == "wrote:"
    assert sorted(line.strip() for line in listed[1:] if line.strip()) == \
        sorted(str(out / n) for n in names)


def test_placement_and_provenance_in_every_title(tmp_path, monkeypatch):
    titles = {}

    def record(self, fig, stem):
        titles[stem] = fig._suptitle.get_text()
        self.written.append(stem)
        plot.plt.close(fig)

    monkeypatch.setattr(plot.Plotter, "save", record)
    plotter = plot.Plotter(sr.load(golden("normal.json")), tmp_path, "p")
    plotter.run()
    provenance = ("kernel 6.18.0-sockchurn · Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz · "
                  "2 cores · 2025-11-25 14:21 · commit 3f2a9c1d4e5b · netns")
    assert len(titles) == 13
    for stem, title in titles.items():
        placement = stem.split("-")[1]
        expected = "n/a (no peer)" if placement == "syscall" else placement
        assert f"placement: {expected}\n{provenance}" in title, (stem, title)
    assert titles["p-split-throughput"].startswith("Exchanges per second vs client threads")
    # normal.json has one engine and one request per connection: only the
    # engine and rpc charts are skipped, each with its note.
    assert [n.split(" chart (placement ")[0].split(" (headline)")[0] for n in plotter.notes] == \
        ["skipped the forest chart"] + ["skipped amortisation", "skipped cpu-engines"] * 2


def thin(source, target):
    """A copy of a golden file with only the exchanges_per_s counter and no kernel."""
    doc = json.load(open(golden(source)))
    for row in doc["benchmarks"]:
        for key in ("cpu_us_per_exchange", "server_cpu_us_per_exchange", "p50_us", "p99_us",
                    "time_wait"):
            row.pop(key, None)
    del doc["context"]["kernel"]
    target.write_text(json.dumps(doc))


def test_default_prefix_errored_rows_and_missing_counters(tmp_path, run_script):
    thin("errored.json", tmp_path / "2025-11-25-bench-vm.json")
    result = run_script("plot.py", "2025-11-25-bench-vm.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    prefix = "2025-11-25-bench-vm-same"
    check_images(tmp_path / "plots", [f"{prefix}-speedup.png", f"{prefix}-speedup.svg",
                                      f"{prefix}-throughput.png", f"{prefix}-throughput.svg"])
    assert result.stderr.split("\n")[:-1] == [
        "plot.py: note: left out errored benchmark tcp/reuse_unspec/closer:client/port:bound/"
        "payload:64/placement:same/real_time/threads:1: echo mismatch at byte 3: sent 0x61, got 0x00",
        "plot.py: note: left out errored benchmark udp/reuse_unspec/port:ephemeral/payload:64/"
        "placement:same/real_time/threads:1: connect: Address not available (EADDRNOTAVAIL)",
        f"plot.py: note: skipped the forest chart (headline): {forest.NO_PAIRED}",
        "plot.py: note: skipped cpu chart (placement same): no cpu_us_per_exchange values",
        "plot.py: note: skipped latency chart (placement same): no p50_us / p99_us values",
        "plot.py: note: skipped timewait chart (placement same): no time_wait values on tcp runs",
        "plot.py: note: skipped amortisation chart (placement same): needs TCP reuse / fresh pairs "
        "at two or more requests per connection (rpc:N)",
        "plot.py: note: skipped cpu-engines chart (placement same): no cpu_us_per_exchange values "
        "on TCP runs at one request per connection"]
    assert result.stdout.split("\n")[1:-1] == [
        f"  plots/{prefix}-{chart}.{ext}" for chart in ("throughput", "speedup")
        for ext in ("png", "svg")]


def test_repetitions_have_error_bars():
    summary = sr.summarize(sr.load(golden("repetitions.json")))
    lines = sr.series(summary, "exchanges_per_s", "tcp", "same")
    assert [(line["label"], line["median"], line["lo"], line["hi"]) for line in lines] == [
        ("fresh_close, client closes", [20000.0], [19000.0], [21000.0]),
        ("reuse_unspec, client closes, ephemeral port", [30000.0], [29000.0], [31000.0])]


def test_speedup_series_labels():
    results = sr.load(golden("normal.json"))
    lines = sr.speedup_series(sr.ratio_table(results), "tcp", "same")
    assert [line["label"] for line in lines] == [
        "reuse ephemeral / fresh_close, client closes", "reuse bound / fresh_close, client closes",
        "reuse ephemeral / fresh_close, server closes",
        "reuse ephemeral / fresh_linger0, client closes", "reuse bound / fresh_linger0, client closes"]
    assert lines[1]["ratio"] == pytest.approx([1.6, 60000 / 36000])


def test_plain_google_benchmark_file_is_refused_clearly(tmp_path, capsys):
    assert plot.main([golden("plain_gb.json"), "-o", str(tmp_path / "x")]) == 2
    out, err = capsys.readouterr()
    assert err == (f"plot.py: no sockchurn benchmarks (tcp/, udp/, syscall/) in "
                   f"{golden('plain_gb.json')}: nothing to plot\n")
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("text, problem", [
    ("{not json", "not JSON (Expecting property name enclosed in double quotes at line 1 column 2)"),
    (None, "no such file"),
])
def test_malformed_input_subprocess(run_script, tmp_path, text, problem):
    path = tmp_path / "bad.json"
    if text is not None:
        path.write_text(text)
    result = run_script("plot.py", path, "-o", tmp_path / "out")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"plot.py: {path}: {problem}\n"
    assert "Traceback" not in result.stderr


def test_wrong_schema_in_process(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text('{"benchmarks": []}')
    assert plot.main([str(path), "-o", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == f'plot.py: {path}: no benchmarks ("benchmarks" is empty)\n'


# ---- charts that explain themselves

def figures(monkeypatch, source):
    """{stem: figure} of every chart plot.py draws for a golden file (not saved)."""
    kept = {}

    def keep(self, fig, stem):
        kept[stem] = fig
        self.written.append(stem)

    monkeypatch.setattr(plot.Plotter, "save", keep)
    plot.Plotter(sr.load(golden(source)), "unused", "p").run()
    return kept


def test_every_chart_has_a_caption_saying_what_points_and_bars_are(monkeypatch):
    for stem, fig in figures(monkeypatch, "repetitions.json").items():
        caption = fig._supxlabel.get_text()
        assert "median of" in caption or "one repetition" in caption, (stem, caption)
        if not stem.endswith("timewait"):
            assert "error bars" in caption or "no error bars" in caption, (stem, caption)
    captions = {s: f._supxlabel.get_text() for s, f in figures(monkeypatch, "repetitions.json").items()}
    assert captions["p-same-throughput"] == ("Points: median of 3-9 repetitions of each run; "
                                             "error bars: min-max over the repetitions.")
    assert captions["p-same-speedup"].endswith(
        "error bars: min-max of the ratio over all (reuse, fresh) repetition pairs.")
    assert "TIME_WAIT sockets (client and server side) that this run's connections left and " \
           "that remain when it ends" in captions["p-same-timewait"]
    plot.plt.close("all")


def test_references_get_their_own_row(monkeypatch):
    fig = figures(monkeypatch, "normal.json")["p-same-throughput"]
    rows = {}
    row = None
    for ax in fig.axes:
        if not ax.axison:
            continue
        row = ax.get_ylabel().split("\n")[0] or row
        rows.setdefault(row, set()).update(ax.get_legend_handles_labels()[1])
    assert rows["TCP, no connection churn (references)"] == {"keepalive"}
    assert "keepalive" not in rows["TCP, the client ends each connection"]
    assert {"reconnect", "sendto"} <= rows["UDP"]
    plot.plt.close("all")


def test_syscall_bars_have_distinct_labels(monkeypatch):
    doc = json.load(open(golden("normal.json")))
    for row in doc["benchmarks"]:
        if row["run_name"] == "syscall/connect_disconnect/proto:udp/real_time":
            bound = dict(row)
            for key in ("name", "run_name"):
                bound[key] = row[key].replace("proto:udp", "proto:udp/port:bound")
                row[key] = row[key].replace("proto:udp", "proto:udp/port:ephemeral")
    doc["benchmarks"].append(bound)
    results = sr.parse_results(doc, "mem")
    table = sr.syscall_table(results)
    labels = [plot.syscall_label(row, results.dims) for _, row in table.iterrows()]
    assert len(set(labels)) == len(labels)
    assert "connect_disconnect (ephemeral port, udp)" in labels
    assert "connect_disconnect (bound port, udp)" in labels


def test_log_axes_have_several_labelled_ticks():
    fig, ax = plot.plt.subplots()
    ax.plot([1, 2], [60, 1500])
    log_axis(ax, [60, 1500])
    fig.canvas.draw()
    low, high = ax.get_ylim()
    labels = [t.get_text() for t in ax.get_yticklabels()
              if t.get_text() and low <= t.get_position()[1] <= high]
    assert labels == ["50", "100", "200", "500", "1,000"]      # limits 60 / 1.3 .. 1500 * 1.3
    log_axis(ax, [30, 45])            # less than one 1-2-5 step: every digit
    fig.canvas.draw()
    low, high = ax.get_ylim()
    labels = [t.get_text() for t in ax.get_yticklabels()
              if t.get_text() and low <= t.get_position()[1] <= high]
    assert len(labels) >= 2
    plot.plt.close(fig)


def test_engines_are_told_apart_by_marker_ports_by_line():
    from sockchurn_results.chartstyle import engine_style
    assert {engine_style("#000", e)["marker"] for e in ("blocking", "asio", "uring")} == {"o", "s", "^"}
    assert engine_style("#000", "uring", "bound")["linestyle"] == ":"
    assert engine_style("#123", "asio", "ephemeral")["color"] == "#123"
