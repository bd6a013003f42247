"""The sweep report as a person reads it, measured in headless Chromium at 1280 and 1920 px.

Two tiny sweeps run through the command line (a full factorial with a baseline,
and a Sobol design at N = 4 that is too small for its indices); ``crmsim
report`` writes their pages; Chromium opens each offline and this checks that:

- every plotly figure renders (``.js-plotly-plot`` with its ``.main-svg``);
- no request leaves the machine;
- within each figure, no two pieces of text overlap: tick labels, axis
  titles, colour-bar labels, panel titles (annotations) and legend entries,
  compared by their bounding boxes (1 px of tolerance), and none spills out
  of its figure;
- metrics appear by their labels, and the Sobol page warns, on the page and
  on the command line, that N = 4 is too small.

Screenshots of each page go to a folder the test prints.
"""

from __future__ import annotations

import pandas as pd
import pytest

from crmsim.experiments import analysis
from crmsim.model.metrics import INFO
from tests.browser import RequestLog, figure_texts, open_browser, overlaps
from tests.report_sweeps import GRID, SOBOL, crmsim, sweep

WIDTHS = (1280, 1920)

def test_the_rule_flags_impossible_indices_and_a_top_index_known_only_to_50_percent():
    sobol = pd.DataFrame({"metric": ["a", "a", "b", "b", "c", "c"], "factor": ["x", "y"] * 3,
                          "S1": [-0.30, 0.50, -0.02, 0.60, 0.40, 0.30], "S1_conf": [0.10, 0.10, 0.05, 0.10, 0.1, 0.1],
                          "ST": [0.10, 1.20, 0.01, 0.70, 0.50, 0.45], "ST_conf": [0.05, 0.90, 0.02, 0.30, 0.20, 0.3]})
    found = analysis.unreliable_indices(sobol)
    # a: S1 of x below 0 beyond its interval, ST of y above 1 and its interval over half of it; b: a slightly
    # negative S1 within its interval, and ST 0.7 +- 0.3, are fine; c: the largest ST is 0.5 +- 0.2: fine.
    assert found[["metric", "factor", "index", "problem"]].values.tolist() == [
        ["a", "x", "S1", "outside"], ["a", "y", "ST", "outside"], ["a", "y", "ST", "wide"]]
    morris = pd.DataFrame({"metric": ["a", "a", "b", "b"], "factor": ["x", "y"] * 2, "mu": 0.0,
                           "mu_star": [0.2, 0.05, 0.2, 0.05], "mu_star_conf": [0.11, 0.5, 0.09, 0.5], "sigma": 0.1})
    assert analysis.unreliable_indices(morris)[["metric", "factor"]].values.tolist() == [["a", "x"]]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """The two sweeps' results folders with their English reports, and what ``crmsim report`` wrote on stderr."""
    folder = tmp_path_factory.mktemp("readable")
    out = {}
    for name, text in (("grid", GRID), ("sobol", SOBOL)):
        results = sweep(folder, name, text)
        code, _out, err = crmsim("report", results)
        assert code == 0, err
        out[name] = (results, err)
    return out


def test_report_command_warns_when_n_is_too_small_for_the_indices(reports):
    warnings = [line for line in reports["sobol"][1].splitlines() if line.startswith("crmsim: warning:")]
    assert len(warnings) == 1 and "At N = 4" in warnings[0] and "double N" in warnings[0]
    assert reports["grid"][1] == ""  # no sensitivity indices, nothing to warn about
    page = (reports["sobol"][0] / "report.html").read_text(encoding="utf-8")
    assert "class='warning'" in page and "⚠" in page and "S1_conf" not in page  # intervals drawn, not named


def test_reports_label_every_metric_and_never_print_a_list(reports):
    for name, (results, _done) in reports.items():
        page = (results / "report.html").read_text(encoding="utf-8")
        for metric in ("trust_mean", "knowledge_gini", "redress_success", "trust_q1"):
            assert INFO[metric].label in page and INFO[metric].better in page
        assert "['" not in page.split("<script")[0]  # the "varied" row: no raw Python list
    grid = (reports["grid"][0] / "report.html").read_text(encoding="utf-8")
    assert "policy: supply_front_office, redress_procedure" in grid and "FAQ quality: 0, 0.6" in grid


@pytest.mark.parametrize("width", WIDTHS)
def test_report_renders_offline_with_no_overlapping_text(reports, width, tmp_path):
    shots = tmp_path / "screenshots"
    shots.mkdir()
    print(f"screenshots: {shots}")
    with open_browser() as browser:
        for name, (results, _done) in reports.items():
            context = browser.new_context(viewport={"width": width, "height": 1000})
            log = RequestLog().attach(context)
            page = context.new_page()
            page.goto((results / "report.html").as_uri())
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length > 0")
            figures = figure_texts(page)
            page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
            context.close()
            expected = (results / "report.html").read_text(encoding="utf-8").count("Plotly.newPlot")
            assert len(figures) == expected >= 10  # every figure rendered, and every group has its own
            assert log.outside() == []
            for i, figure in enumerate(figures):
                assert figure["svg"] >= 1 and len(figure["boxes"]) >= 4, f"{name} figure {i} drew no text"
                assert overlaps(figure["boxes"]) == [], f"{name} figure {i} at {width} px"
                spilled = [b["text"] for b in figure["boxes"]
                           if b["x0"] < figure["frame"]["x0"] - 1 or b["x1"] > figure["frame"]["x1"] + 1]
                assert spilled == [], f"{name} figure {i} at {width} px: text outside the figure"
