"""The workshop's overview as a new user reads it, in headless Chromium at 1,280 px (issue 37, point 1).

The page is built from a synthetic comparison of 20 scenarios (the
calibrated baseline, the 15 policies of ``make run`` and four more shipped
scenarios), made of made-up runs summarised by the same functions
``crmsim compare`` uses (paired differences, bands, cost-effectiveness), so
no model runs and the page builds in a second. It checks what the user
missed: units and the reference's level in every header, a cost with no
verdict mark, readable names, a colour of its own for every scenario, a
page whose folded charts are drawn only when opened, and French with none
of our English left.
"""

from __future__ import annotations

import doctest
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from babel.messages.pofile import read_po

from crmsim.experiments.analysis import differences, point_means, series_bands
from crmsim.experiments.compare import HEADLINE_TABLE, SERIES, Comparison, judgement, lever_differences
from crmsim.experiments.cost_effectiveness import COST, cost_effectiveness
from crmsim.texts.i18n import LOCALE_DIR, language
from crmsim.texts.labels import POLICY_LABELS, scenario_label
from crmsim.model.metrics import INFO, METRICS
from crmsim.model.scenario import load_scenario
from crmsim.model.policies import POLICIES
from crmsim.viz import metric_text
from crmsim.viz.compare_report import render_comparison
from crmsim.viz.folds import PLOTLY_FILE, write_plotly
from crmsim.viz.metric_text import level_text, unit_line
from crmsim.viz.overview import FILL, INK, SYMBOLS
from tests.browser import RequestLog, open_browser, open_folds, text_problems

ROOT = Path(__file__).resolve().parents[1]
PO = LOCALE_DIR / "fr" / "LC_MESSAGES" / "crmsim.po"
SCENARIOS = ["calibrated_baseline", *(p for p in POLICY_LABELS if p != "supply_front_office"), "supply_front_office",
             "city_poll_no_transparency", "employment_portal_archive", "national_template"]
REPS, STEPS = 4, 52


def _base(metric: str) -> float:
    unit = INFO[metric].unit
    if metric == COST:
        return 25.0
    return 0.3 if unit.startswith("share") else 0.55 if unit.startswith("score 0") else 5.0 \
        if unit.startswith("euros") else 0.2 if unit.startswith("Gini") else 1.0


def _effect(metric: str, k: int) -> float:
    """Scenario k's true effect: from three times the smallest that matters down to minus that, so that the page
    has better, worse and negligible; costs mostly rise (the old page called each rise 'worse')."""
    if metric == COST:
        return 4.0 * k - 10.0
    if metric == "lost_users":
        return -0.004 * k
    if metric == "bottom_needs_acted_on":
        return 0.01 * k
    return INFO[metric].mid * 1.5 * ((k % 5) - 2)


def synthetic_comparison(labels: list[str]) -> Comparison:
    """A comparison of ``labels`` (the first the reference) from made-up paired runs: each replicate shares a
    noise all scenarios see (as common random numbers do), plus a little of its own."""
    rng = np.random.default_rng(37)
    final, series = [], []
    for metric in METRICS:
        shared = rng.normal(0, INFO[metric].mid * 0.5, REPS)
        for k, label in enumerate(labels):
            own = rng.normal(0, INFO[metric].mid * 0.2, REPS)
            for r in range(REPS):
                value = _base(metric) + (_effect(metric, k) if k else 0.0) + shared[r] + own[r]
                final.append((k, label, r, metric, value, STEPS))
                if metric in SERIES:
                    series += [(k, label, r, metric, (_base(metric) + (_effect(metric, k) if k else 0.0) * w / STEPS
                                                      + shared[r] + own[r]), w) for w in range(0, STEPS + 1, 4)]
    columns = ["point", "scenario", "replicate", "metric", "value", "step"]
    final, series = pd.DataFrame(final, columns=columns), pd.DataFrame(series, columns=columns)
    means = point_means(final, ["scenario"]).drop(columns=["point", "std"])
    diffs = differences(final, "scenario", labels[0], ["scenario"]).drop(columns="point")
    bands = series_bands(series, by=["scenario"]).drop(columns="std")
    levers = lever_differences({label: load_scenario(ROOT / "scenarios" / f"{label}.toml") for label in labels})
    return Comparison(labels, REPS, STEPS, list(range(REPS)), means, diffs, bands, levers,
                      cost_effectiveness(final, diffs, labels, STEPS))


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    """The 20-scenario page in English and in French, each in its folder with plotly.min.js, and its comparison
    (analysed in the page's language, as ``crmsim --lang fr compare`` does)."""
    out = {}
    for lang in ("en", "fr"):
        folder = tmp_path_factory.mktemp(f"overview_{lang}")
        with language(lang):
            comparison = synthetic_comparison(SCENARIOS)
            (folder / "compare.html").write_text(render_comparison(comparison, [f"scenarios/{s}.toml" for s in
                                                                                SCENARIOS]), encoding="utf-8")
        write_plotly(folder / PLOTLY_FILE)
        out[lang] = folder / "compare.html"
        if lang == "en":
            out["comparison"] = comparison
    return out


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the module's pages (each test opens its own page in it)."""
    with open_browser() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def catalogue() -> dict[str, str]:
    with PO.open("rb") as source:
        return {m.id[0] if isinstance(m.id, tuple) else m.id: m.string for m in read_po(source, locale="fr") if m.id}


def test_units_read_as_people_read_them():
    failed, tried = doctest.testmod(metric_text)
    assert tried > 0 and failed == 0


def test_every_policy_and_shipped_scenario_has_a_name_in_english_and_french(catalogue):
    names = set(POLICIES) | {path.stem for path in (ROOT / "scenarios").glob("*.toml")}
    for name in sorted(names):
        english = scenario_label(name)
        assert "_" not in english and english != name, name  # a name, not a file's stem
        assert catalogue.get(english, english) != english, f"{english!r} has no French"
    assert scenario_label("my_own_file") == "my own file" and scenario_label("faq-2") == "FAQ / helpdesk (2)"


def test_the_overview_headers_show_units_and_the_reference_level_and_fit_the_first_screen(pages, browser):
    comparison = pages["comparison"]
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(pages["en"].as_uri())
    headers = page.locator("table.overview th[data-column]").all_inner_texts()[1:]
    cells = page.eval_on_selector_all("table.overview tbody tr", "rows => rows.map(r => "
                                      "Array.from(r.cells).map(c => c.innerText))")
    box = page.locator("table.overview").bounding_box()
    page.close()
    assert box["y"] + box["height"] <= 800 and box["x"] + box["width"] <= 1280, box  # cost per outcome included
    assert len(cells) == len(SCENARIOS) - 1 and cells[0][0] == "FAQ / helpdesk"
    for k, metric in enumerate((*HEADLINE_TABLE, COST)):
        level = level_text(metric, comparison.mean(comparison.reference, metric)["mean"])
        assert unit_line(metric) in headers[k] and f"Calibrated baseline: {level}" in headers[k], headers[k]
        if metric_text.is_share(metric):
            assert "in points" in headers[k] and "%" in level
            assert all(re.search(r"[+−]\d+\.\d+ pts$", row[k + 1]) for row in cells), [row[k + 1] for row in cells]
    assert "euros per citizen per year" in headers[len(HEADLINE_TABLE)]
    priced = headers[len(HEADLINE_TABLE) + 1:]
    assert priced and all(h.startswith("Euros per ") for h in priced)
    assert any(re.fullmatch(r"€[\d,]+(\.\d\d)?", row[-2]) for row in cells)  # a cost per user reconnected


def test_cost_cells_carry_no_verdict_mark_nor_verdict_colour(pages, browser):
    comparison = pages["comparison"]
    judged = {judgement(COST, comparison.diff(s, COST)) for s in SCENARIOS[1:]}
    assert {"worse", "better"} <= judged  # the verdicts the old page marked ✘ and ✔ are there to hide
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(pages["en"].as_uri())
    costs = page.eval_on_selector_all("table.overview td.cost", "cells => cells.map(c => [c.innerText, "
                                      "getComputedStyle(c).backgroundColor, getComputedStyle(c).color])")
    outcomes = page.locator("table.overview td.better, table.overview td.worse").count()
    # Folded, as a reader first gets them: the classes and texts are there, drawn or not.
    coloured = page.locator("details.fold table.data td.better, details.fold table.data td.worse").all()
    table_costs = page.locator("details.fold").first.locator("td.better, td.worse").count()
    cost_sentences = page.locator("details.scenario p.note", has_text="What it costs").all_text_contents()
    page.close()
    assert len(costs) == 3 * (len(SCENARIOS) - 1) and outcomes > 0  # outcomes keep their verdicts
    assert [text for text, _bg, _ink in costs if set(text) & set(SYMBOLS.values())] == []
    neutral = {(_rgb(FILL["cost"]), _rgb(INK["cost"]))}
    assert {(bg, ink) for _text, bg, ink in costs} == neutral
    assert table_costs == 0 and len(coloured) > 0  # the cost table is neutral; the metric table is not
    assert len(cost_sentences) >= len(SCENARIOS) - 2 and all("€" in s for s in cost_sentences)


def _rgb(colour: str) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


# Per drawn chart, the colours plotly drew each named line or marker in (after its defaults: _fullData); a band
# under a line (fill) is the line's, lighter.
TRACE_COLOURS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).flatMap((gd) =>
  gd._fullData.filter((t) => t.fill !== 'toself').flatMap((t) => [
    ...(t.mode.includes('markers') ? [[t.name, t.marker.color]] : []),
    ...(t.mode.includes('lines') ? [[t.name, t.line.color]] : [])]))"""


def test_no_two_scenarios_share_a_colour_and_each_keeps_its_own_everywhere(pages, browser):
    names = [scenario_label(s) for s in SCENARIOS]
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(pages["en"].as_uri())
    swatches = page.eval_on_selector_all("table.overview tbody td:first-child", "cells => cells.map(c => "
                                         "[c.innerText, getComputedStyle(c.querySelector('.swatch')).backgroundColor])")
    open_folds(page)
    traces = page.evaluate(TRACE_COLOURS)
    legend = page.locator(".js-plotly-plot").nth(1).locator(".legendtext").all_text_contents()
    problems = text_problems(page)
    page.close()
    colours: dict[str, set[str]] = {}
    for name, colour in traces:
        colours.setdefault(name, set()).add(_rgb(colour) if colour.startswith("#") else colour)
    for name, colour in swatches:
        colours.setdefault(name, set()).add(colour)
    assert set(colours) == set(names) and sorted(legend) == sorted(names[1:])  # every scenario, by its name
    assert {name: c for name, c in colours.items() if len(c) != 1} == {}  # one colour each, in every chart
    used = [next(iter(colours[name])) for name in names]
    assert len(set(used)) == len(names) == 20
    assert problems == []


def test_folded_charts_are_drawn_only_when_opened_with_plotly_loaded_then(pages, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    log = RequestLog().attach(context)
    page = context.new_page()
    page.goto(pages["en"].as_uri(), wait_until="load")
    assert page.locator(".lazy-plot").count() >= 10 and page.locator(".js-plotly-plot").count() == 0
    assert [url for url in log.urls if url.endswith(PLOTLY_FILE)] == []
    height = page.evaluate("document.documentElement.scrollHeight")
    page.locator("details.fold > summary", has_text="Who gains and who loses").click()
    page.wait_for_selector(".js-plotly-plot .main-svg")
    assert page.locator(".js-plotly-plot").count() == 1  # that fold's chart, and only it
    assert [url for url in log.urls if url.endswith(PLOTLY_FILE)] == [(pages["en"].parent / PLOTLY_FILE).as_uri()]
    assert log.outside() == []
    context.close()
    moved = tmp_path / "compare.html"  # the page alone, without plotly.min.js beside it
    moved.write_text(pages["en"].read_text(encoding="utf-8"), encoding="utf-8")
    page = browser.new_page()
    page.goto(moved.as_uri())
    page.locator("details.fold > summary", has_text="Who gains and who loses").click()
    message = page.locator("details.fold[open] .note", has_text=PLOTLY_FILE)
    message.wait_for()
    assert message.inner_text().startswith("This chart needs plotly.min.js")
    page.close()
    assert height < 3000  # 20 scenarios: the overview and the verdicts, everything else folded


def test_the_french_page_shows_none_of_our_english_texts(pages, browser, catalogue):
    english = {}
    for text, french in catalogue.items():
        if french == text:
            continue
        for piece in re.split(r"\{[^}]*\}", text):  # the words around each placeholder
            piece = piece.strip(" .,:;()'")
            if len(piece.split()) >= 2:
                english[piece] = text
    assert len(english) > 400
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(pages["fr"].as_uri())
    open_folds(page)
    charts = " ".join(page.eval_on_selector_all(".js-plotly-plot text", "texts => texts.map(t => t.textContent)"))
    shown = page.locator("body").inner_text() + " " + charts
    tips = " ".join(page.eval_on_selector_all("[title]", "els => els.map(e => e.title)"))
    page.close()
    assert "Référence calibrée" in shown and "Prescripteurs financés" in shown and "pts" in shown
    left = {piece: text for piece, text in english.items() if re.search(rf"(?<!\w){re.escape(piece)}(?!\w)",
                                                                       shown + " " + tips)}
    assert left == {}


def test_the_tools_picture_the_first_screen_and_measure_the_page(pages, tmp_path):
    """Run as a person runs them (python tools/...), in their own process: this module's Chromium stays open."""
    def tool(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, timeout=300)

    picture = tmp_path / "overview.png"
    done = tool("tools/screenshot_overview.py", str(pages["en"].parent), str(picture))
    assert done.returncode == 0, done.stderr
    header = picture.read_bytes()[:24]  # PNG signature, then the IHDR chunk: width and height, big-endian
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and (int.from_bytes(header[16:20]), int.from_bytes(header[20:24])) \
        == (1280, 800)
    done = tool("tools/measure_page.py", str(pages["en"].parent), "--runs", "1")
    assert done.returncode == 0, done.stderr
    assert re.search(r"height +[\d,]+ px at 1280 px wide", done.stdout)
    assert re.search(r"load +[\d.]+ s to the load event", done.stdout)
    assert re.search(r"charts +0 drawn at load, 1\d once every fold is opened", done.stdout)
    done = tool("tools/measure_page.py", str(tmp_path / "nowhere"))
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert re.fullmatch(r"measure_page: .*nowhere: no compare.html there; allowed: .*\n", done.stderr)
