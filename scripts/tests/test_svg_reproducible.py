"""Every SVG the chart tools write is reproducible: the same input drawn
twice, by two processes, gives the same bytes (matplotlib's svg.hashsalt
for its ids, metadata Date=None for the date). plot_profile.py's charts are
checked in test_profile.py (test_collect_draw_and_redraw), the HTML report's
inline SVG in test_report_html.py."""

from pathlib import Path

import pytest

from conftest import golden

ROOT = Path(__file__).resolve().parents[2]


def svgs(directory):
    return {p.relative_to(directory): p.read_bytes() for p in sorted(Path(directory).rglob("*.svg"))}


@pytest.mark.parametrize("tool, source, out_flag", [
    ("plot.py", golden("normal.json"), "dir"),
    ("plot.py", golden("sections.json"), "dir"),
    ("plot_soak.py", golden("soak_bounded.json"), "prefix"),
    ("plot_exhaustion.py", str(ROOT / "results" / "exhaustion-2026-11-25-vm.json"), "prefix"),
])
def test_drawn_twice_same_bytes(run_script, tmp_path, tool, source, out_flag):
    drawn = []
    for n in (1, 2):
        out = tmp_path / str(n)
        out.mkdir()
        target = out if out_flag == "dir" else out / "chart"
        result = run_script(tool, source, "-o", target)
        assert result.returncode in (0, 1), result.stderr  # plot_soak: 1 = grows (a verdict, not a failure)
        drawn.append(svgs(out))
    assert drawn[0], f"{tool} wrote no SVG"
    assert drawn[0].keys() == drawn[1].keys()
    changed = [str(name) for name in drawn[0] if drawn[0][name] != drawn[1][name]]
    assert not changed, f"{tool}: not the same bytes when drawn again: {changed}"
    for content in drawn[0].values():
        assert b"<dc:date>" not in content
