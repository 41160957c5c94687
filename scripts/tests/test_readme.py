"""The README's generated blocks and docs/which-strategy.md cannot drift from
the committed reference results file."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import script_module

import sockchurn_results as sr
from sockchurn_results import answers, jsonfile, readme

ROOT = Path(__file__).resolve().parents[2]
SYNTHETIC = Path(__file__).resolve().parent / "data" / "synthetic-paired.json"


def readme_script():
    return script_module("readme")


def test_readme_and_which_strategy_are_current():
    script = readme_script()
    text = script.README.read_text(encoding="utf-8")
    out = script.generated(text, readme.reference_of(text))
    for path, new in out.items():
        assert path.read_text(encoding="utf-8") == new, f"{path} is not current: run scripts/readme"
    # Every block is there, and the first image is the headline chart.
    assert [m.group("name") for m in readme.BLOCK.finditer(text)] == ["answers", "headline-chart", "reference",
                                                                  "proxy-answer"]
    first_image = text.index("![")
    assert text.index("<!-- generated:headline-chart -->") < first_image


def test_blocks_from_a_paired_file_name_the_forest_chart_and_the_answers():
    doc = json.loads(jsonfile.read_text(SYNTHETIC))
    results = sr.parse_results(doc, str(SYNTHETIC))
    found = answers.answers(doc, results)
    made = readme.blocks("results/x.json.gz", found, results.context,
                         {"forest": "plots/x-forest.png", "fallback": "plots/x-same-speedup.png"})
    assert made["headline-chart"].startswith("![Reuse ÷ each fresh strategy, paired")
    assert "reuse_unspec: faster than every fresh strategy beyond noise" in made["answers"]
    assert made["answers"].count("\n- **[") == 4
    page = readme.which_strategy("results/x.json.gz", found)
    assert page.count("\n## ") == 5 and "**Answer:** reuse_unspec: faster" in page


def test_a_block_without_a_generator_and_a_missing_reference_are_one_line():
    with pytest.raises(readme.ReadmeError, match="block 'nope' has no generator"):
        readme.regenerate("<!-- generated:nope -->\nx\n<!-- /generated -->", {"answers": ""})
    with pytest.raises(readme.ReadmeError, match="no '<!-- reference: PATH -->' line"):
        readme.reference_of("# nothing")
    assert readme.regenerate("a\n<!-- generated:answers -->\nold\n<!-- /generated -->\nb",
                             {"answers": "new\n"}) == "a\n<!-- generated:answers -->\nnew\n<!-- /generated -->\nb"


def test_the_reference_report_is_current(tmp_path):
    # The reference's HTML report is written by scripts/report from the
    # committed file, never by hand: drawn again, it is the same bytes.
    text = readme_script().README.read_text(encoding="utf-8")
    reference = ROOT / readme.reference_of(text)
    committed = reference.parent / (reference.name.removesuffix(".gz").removesuffix(".json") + ".html")
    out = tmp_path / "report.html"
    # The report names the file as it was given: relative to the checkout.
    subprocess.run([sys.executable, "scripts/report", readme.reference_of(text), "-o", str(out)],
                   check=True, capture_output=True, cwd=ROOT)
    assert out.read_bytes() == committed.read_bytes(), f"{committed} is not current: run scripts/readme"


def test_a_win_under_three_percent_says_the_choice_hardly_matters():
    # (An interval wholly within ±3% of 1 is no win at all: test_scenarios.)
    small = [answers.Ratio("tcp/reuse_unspec/x", "tcp/fresh_linger0/x", answers.RATE, 1.02, 1.01, 1.04),
             answers.Ratio("tcp/reuse_unspec/x", "tcp/fresh_close/x", answers.RATE, 1.10, 1.08, 1.12)]
    winner, line = answers.recommend(small)
    assert winner == "tcp/reuse_unspec/x"
    assert line.endswith("(the closest, fresh_linger0: 1.02× [1.01, 1.04]) — by under 3%: for speed the "
                         "choice hardly matters here, what each strategy leaves behind decides")
    winner, line = answers.recommend(small[1:])
    assert line == "reuse_unspec: faster than every fresh strategy beyond noise (the closest, fresh_close: 1.10× [1.08, 1.12])"
