"""crmsim compare: paired runs of whole scenario files, their verdicts, and a page a person can read.

The scenarios are small (500 citizens, a 40-week warm-up, half a year
recorded) so that the runs of every test here take seconds.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmsim.experiments.analysis import load_results
from crmsim.experiments.compare import OVERALL, analyse, comparison_experiment, comparison_name
from crmsim.texts.i18n import _, language, percent
from crmsim.model.metrics import INFO
from tests.browser import RequestLog, open_browser, open_folds, text_problems
from tests.experiments_util import crmsim_in_process

ROOT = Path(__file__).resolve().parents[1]
SMALL = 'warmup = 40\nsteps = 26\nseed = 11\n[population]\nn_citizens = 500\nprescribers_per_1000 = 16\n'


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("scenarios")
    paths = {}
    for name, policy in (("base", "supply_front_office"), ("redress", "redress_procedure")):
        paths[name] = folder / f"{name}.toml"
        paths[name].write_text(f'name = "{name}"\npolicy = "{policy}"\n{SMALL}')
    return paths


@pytest.fixture(scope="module")
def compared(files, tmp_path_factory) -> Path:
    """base against redress, 10 paired runs each, through the command (English), then its results folder."""
    out = tmp_path_factory.mktemp("compare")
    proc = crmsim_in_process("--lang", "en", "compare", str(files["base"]), str(files["redress"]), "--reps", "10",
                             "--sequential", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    (folder,) = out.iterdir()
    (folder / "stdout.txt").write_text(proc.stdout)
    return folder


def test_a_scenario_compared_with_itself_differs_by_exactly_nothing(files, tmp_path):
    out = tmp_path / "out"
    proc = crmsim_in_process("compare", str(files["base"]), str(files["base"]), "--reps", "4", "--sequential",
                             "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    comparison = analyse(load_results(next(out.iterdir())))
    assert comparison.labels == ["base", "base-2"]
    diffs = comparison.diffs
    assert set(diffs["metric"]) >= set(OVERALL)
    assert (diffs["difference"].fillna(0) == 0).all()
    assert ((diffs["ci_low"].fillna(0) <= 0) & (diffs["ci_high"].fillna(0) >= 0)).all()  # every interval covers 0
    assert "better" not in proc.stdout.split("(better")[0] and "worse" not in proc.stdout.split("(better")[0]
    table = comparison.table()
    judged = table[(table["scenario"] == "base-2") & table["difference"].notna()]
    assert len(judged) >= len(OVERALL) - 3 and (judged["judgement"] == "negligible").all()
    assert "negligible" in proc.stdout


def _pair(difference: float, low: float, high: float) -> pd.Series:
    return pd.Series({"difference": difference, "ci_low": low, "ci_high": high, "n_pairs": 30})


@pytest.mark.parametrize("metric, pair, expected", [
    # faq's old "better": real, but a tenth of a survey scale point is too small to matter
    ("trust_mean", (0.003, 0.002, 0.004), "negligible"),
    ("trust_mean", (0.015, 0.006, 0.024), "better"),  # surely above half the 0.01 that matters
    ("trust_mean", (0.015, 0.005, 0.025), "unclear"),  # may be no more than half of what matters, or beyond it
    ("trust_mean", (0.008, 0.004, 0.012), "unclear"),  # clear, but smaller than what matters, and may not be
    ("trust_mean", (0.008, 0.006, 0.0099), "negligible"),  # surely below what matters (half to the whole: either)
    ("trust_mean", (-0.02, -0.05, 0.01), "unclear"),  # could be anything from a large loss to a small gain
    ("trust_mean", (-0.009, -0.0095, 0.0095), "negligible"),
    ("lost_users", (-0.03, -0.04, -0.02), "better"),  # lower is better
    ("public_cost_per_citizen", (4.0, 3.0, 5.0), "worse"),
    ("public_cost_per_citizen", (0.57, -0.4, 0.9), "negligible"),  # single_front_office's 57 cents
    ("online_share", (0.05, 0.04, 0.06), "changed"),  # a metric with no better side
    ("trust_mean", (0.02, float("nan"), float("nan")), "unclear"),
])
def test_a_verdict_is_sized_against_the_smallest_difference_that_matters(metric, pair, expected):
    from crmsim.experiments.compare import judgement

    assert judgement(metric, _pair(*pair)) == expected


def test_every_metric_has_a_smallest_difference_that_matters_with_its_reason():
    for name, info in INFO.items():
        assert np.isfinite(info.mid) and info.mid > 0 and len(info.mid_reason) > 10, name


def test_every_scenario_runs_with_the_same_replicate_seeds(compared):
    final = load_results(compared).final
    seeds = final.groupby(["scenario", "replicate"])["seed"].first().unstack("scenario")
    assert seeds.shape == (10, 2) and (seeds["base"] == seeds["redress"]).all()
    assert seeds["base"].nunique() == 10  # and replicates differ from each other


def test_a_redress_procedure_raises_redress_success_and_the_verdict_says_so(compared):
    comparison = analyse(load_results(compared))
    d = comparison.diff("redress", "redress_success")
    assert d["n_pairs"] >= 8 and d["ci_low"] > 0, d.to_dict()
    table = pd.read_csv(compared / "compare.csv")
    row = table[(table["scenario"] == "redress") & (table["metric"] == "redress_success")].iloc[0]
    assert row["verdict"].startswith("redress raises redress success by") and row["verdict"].endswith("better")
    assert row["label"] == "Redress success" and row["direction"] == "higher is better"
    stdout = (compared / "stdout.txt").read_text()
    line = next(line for line in stdout.splitlines() if line.startswith("Redress success"))
    assert line.rstrip().endswith("better")
    assert "wrote" in stdout and "compare.html" in stdout


def test_the_comparison_says_what_each_scenario_costs_in_the_terminal_and_the_csv(compared):
    """The redress procedure decides more cases, each priced: it costs more, and every output says so."""
    comparison = analyse(load_results(compared))
    cost = comparison.diff("redress", "public_cost_per_citizen")
    assert cost["ci_low"] > 0, cost.to_dict()
    table = pd.read_csv(compared / "compare.csv")
    priced = table[(table["scenario"] == "redress") & (table["metric"] == "lost_users")].iloc[0]
    assert priced["unit_gained"] == "lost user reconnected" and isinstance(priced["cost_effectiveness"], str)
    stdout = (compared / "stdout.txt").read_text()
    header = next(line for line in stdout.splitlines() if line.startswith("extra cost to base"))
    assert "euros per lost user reconnected" in header
    assert next(line for line in stdout.splitlines() if line.startswith("redress ")).split()[1].startswith("+")
    page = (compared / "compare.html").read_text()
    assert "What it costs" in page and "cost-effectiveness plane" in page


def test_running_again_reuses_the_saved_runs_and_an_edited_file_needs_fresh(files, tmp_path):
    out = tmp_path / "out"
    args = ("compare", str(files["base"]), str(files["redress"]), "--reps", "2", "--steps", "4", "--sequential",
            "--out", str(out))
    assert crmsim_in_process(*args).returncode == 0
    again = crmsim_in_process(*args)
    assert again.returncode == 0 and "already saved" in again.stdout
    edited = tmp_path / "redress.toml"
    edited.write_text(files["redress"].read_text().replace("seed = 11", "seed = 11\n[levers]\nfaq_quality = 0.5"))
    args = ("compare", str(files["base"]), str(edited), "--reps", "2", "--steps", "4", "--sequential",
            "--out", str(out))
    refused = crmsim_in_process(*args)
    assert refused.returncode == 2 and "--fresh" in refused.stderr and "Traceback" not in refused.stderr
    assert crmsim_in_process(*args, "--fresh").returncode == 0


def test_a_comparison_stopped_by_sigterm_and_run_again_equals_one_never_stopped(files, tmp_path):
    from crmsim.experiments.store import ResultStore

    def args(out: Path) -> list[str]:
        return [sys.executable, "-m", "crmsim", "compare", str(files["base"]), str(files["redress"]), "--reps", "8",
                "--steps", "8", "--sequential", "--chunk-size", "1", "--quiet", "--out", str(out)]

    whole = subprocess.run(args(tmp_path / "whole"), cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert whole.returncode == 0, whole.stderr
    (whole_folder,) = (tmp_path / "whole").iterdir()
    stopped = subprocess.Popen(args(tmp_path / "stopped"), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        store = ResultStore(tmp_path / "stopped" / whole_folder.name)
        deadline = time.monotonic() + 120
        while len(store.part_files()) < 3:
            assert stopped.poll() is None, f"ended ({stopped.returncode}) too early: {stopped.stderr.read()}"
            assert time.monotonic() < deadline, "timed out waiting for 3 runs"
            time.sleep(0.05)
        stopped.send_signal(signal.SIGTERM)
        _, stderr = stopped.communicate(timeout=60)
    finally:
        if stopped.poll() is None:
            stopped.kill()
    assert stopped.returncode == 143, stderr
    assert "run the same command again to continue" in stderr and "--resume" not in stderr
    assert 3 <= len(store.done_run_ids()) < 16
    with store.lock():  # released: the next run can take it at once
        pass

    again = subprocess.run(args(tmp_path / "stopped"), cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    resumed, uninterrupted = load_results(store.root), load_results(whole_folder)
    for table in ("final", "series"):
        order = ["run_id", "step", "metric"]
        pd.testing.assert_frame_equal(
            getattr(resumed, table).sort_values(order, kind="stable").reset_index(drop=True),
            getattr(uninterrupted, table).sort_values(order, kind="stable").reset_index(drop=True))
    assert (store.root / "compare.csv").read_text() == (whole_folder / "compare.csv").read_text()


@pytest.mark.parametrize(("args", "needle"), [
    (["scenarios/faq.toml"], "two or more"),
    (["scenarios/faq.toml", "nowhere.toml"], "nowhere.toml"),
    (["scenarios/faq.toml", "scenarios/faq.toml", "--reps", "1"], "--reps"),
])
def test_bad_comparisons_are_refused_in_one_line(args, needle):
    proc = crmsim_in_process("compare", *args, "--out", "/tmp/crmsim-never-written")
    assert proc.returncode == 2 and needle in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    assert not Path("/tmp/crmsim-never-written").exists()


def test_an_experiment_may_vary_whole_scenario_files(files, tmp_path):
    experiment = tmp_path / "exp.toml"
    experiment.write_text(f'name = "files"\nreplications = 2\nsteps = 4\n[vary]\n'
                          f'scenario = ["{files["base"]}", "{files["redress"]}"]\n')
    assert crmsim_in_process("validate", str(experiment)).returncode == 0
    proc = crmsim_in_process("sweep", str(experiment), "--out", str(tmp_path / "out"), "--sequential")
    assert proc.returncode == 0, proc.stderr
    results = load_results(tmp_path / "out" / "files")
    assert sorted(results.final["scenario"].unique()) == ["base", "redress"]
    rerun = crmsim_in_process("rerun", str(tmp_path / "out" / "files"), "3")
    assert rerun.returncode == 0 and "identical" in rerun.stdout


def test_compare_html_renders_offline_with_no_overlapping_labels(compared, tmp_path):
    page_file = compared / "compare.html"
    for width in (1280, 1920):
        with open_browser() as browser:
            context = browser.new_context(viewport={"width": width, "height": 1000})
            log = RequestLog().attach(context)
            page = context.new_page()
            page.goto(page_file.as_uri())
            assert page.locator(".js-plotly-plot").count() == 0  # every chart is folded, drawn when opened
            open_folds(page)
            assert page.locator(".js-plotly-plot").count() == 4  # cost plane, differences, over time, quartiles
            assert page.locator(".js-plotly-plot .point, .js-plotly-plot .scatterlayer path").count() > 0
            assert text_problems(page) == []
            page.screenshot(path=str(tmp_path / f"compare-{width}.png"), full_page=True)
            context.close()
        assert log.outside() == []


def test_a_french_comparison_has_no_english_label_left(compared, tmp_path):
    proc = crmsim_in_process("--lang", "fr", "compare", *load_results(compared).manifest["spec"]["vary"]["scenario"],
                             "--reps", "10", "--sequential", "--out", str(compared.parent))
    assert proc.returncode == 0, proc.stderr
    page = (compared / "compare.html").read_text()
    assert '<html lang="fr">' in page and "Verdicts" in page and "Qui gagne et qui perd" in page
    with language("fr"):
        french = {name: _(info.label) for name, info in INFO.items()}
    for name, info in INFO.items():
        if french[name] != info.label:
            assert f">{info.label}<" not in page and f"{info.label}<br>" not in page, info.label
    assert proc.stdout.startswith("calibrated") is False and "indicateur" in proc.stdout and "mieux" in proc.stdout
    assert "higher is better" not in page and "Who gains" not in page


def test_the_comparison_experiment_pairs_seeds_by_replicate(files):
    experiment = comparison_experiment([str(files["base"]), str(files["redress"])], 3, None, None)
    assert experiment.spec.seed == 11  # the first file's seed
    assert [f.name for f in experiment.factors] == ["scenario"] and experiment.n_runs == 6
    assert np.array_equal(sorted(experiment.scenarios), ["base", "redress"])


def _fifteen(compared) -> "Comparison":
    """The small comparison's reference against 15 scenarios: its one difference per metric, scaled
    differently for each, so that the page has a workshop's size (and sorting has something to order)."""
    comparison = analyse(load_results(compared))
    other = comparison.labels[1]
    names = [f"policy_{k:02d}" for k in range(15)]
    diffs = []
    for k, name in enumerate(names):
        d = comparison.diffs[comparison.diffs["scenario"] == other].copy()
        scale = (k - 7) / 7  # from -1 to 1: better and worse
        d[["difference", "ci_low", "ci_high"]] = d[["difference", "ci_low", "ci_high"]] * scale
        d["scenario"] = name
        diffs.append(d)
    comparison.diffs = pd.concat(diffs, ignore_index=True)
    comparison.labels = [comparison.reference, *names]
    comparison.bands = pd.concat([comparison.bands[comparison.bands["scenario"] == comparison.reference]]
                                 + [comparison.bands[comparison.bands["scenario"] == other].assign(scenario=n)
                                    for n in names])
    comparison.means = comparison.means[comparison.means["scenario"] == comparison.reference]
    comparison.cost_effect = pd.DataFrame()
    return comparison


def test_the_overview_of_fifteen_scenarios_is_on_the_first_screen_sorts_and_opens_details(compared, tmp_path):
    from crmsim.viz.compare_report import render_comparison

    comparison = _fifteen(compared)
    page_file = tmp_path / "compare.html"
    with language("en"):
        page_file.write_text(render_comparison(comparison, ["base.toml", "…"]))
    with open_browser() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(page_file.as_uri())
        matrix = page.locator("table.overview")
        box = matrix.bounding_box()
        assert box["y"] + box["height"] <= 1000, box  # the whole matrix, not just its top, on the first screen
        assert page.locator("table.overview tbody tr").count() == 15
        # Every cell of the details is folded until its row is clicked.
        assert page.locator("details.scenario[open]").count() == 0
        trust = page.locator("table.overview th", has_text="Mean trust")
        column = int(trust.get_attribute("data-column"))

        def trust_values() -> list[float]:
            return [float(v) for v in page.eval_on_selector_all(
                "table.overview tbody tr", f"rows => rows.map(r => r.cells[{column}].dataset.v)")]
        trust.click()
        ascending = trust_values()
        assert ascending == sorted(ascending) and len(set(ascending)) > 1
        trust.click()
        assert trust_values() == sorted(ascending, reverse=True)
        first = page.locator("table.overview tbody tr").first
        name = first.locator("td").first.inner_text()
        first.click()
        opened = page.locator("details.scenario[open]")
        assert opened.count() == 1 and opened.locator("summary").inner_text().startswith(name)
        assert opened.locator("li").count() >= 1  # the sentences, now shown
        page.screenshot(path=str(tmp_path / "overview.png"))


def test_the_overview_says_the_verdict_in_symbol_colour_and_worlds_share(compared):
    from crmsim.viz.overview import SYMBOLS, cells

    comparison = analyse(load_results(compared))
    cell = cells(comparison)["redress"]["redress_success"]
    assert cell.judged == "better" and cell.text("redress_success").startswith(SYMBOLS["better"] + " +")
    assert cell.worlds_share is None and cell.share_text() == ""
    comparison.worlds = pd.DataFrame([{"scenario": "redress", "metric": "redress_success", "worlds": 20,
                                       **{f"share_{j}": s for j, s in (("better", 0.85), ("worse", 0.0),
                                                                       ("negligible", 0.05), ("unclear", 0.1),
                                                                       ("changed", 0.0))}}])
    with language("fr"):
        assert cells(comparison)["redress"]["redress_success"].share_text() == f"{percent(0.85)} des mondes"


def test_the_overview_is_written_as_a_png_for_slides(compared):
    assert (compared / "overview.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_long_comparison_names_the_same_folder_from_any_clone_and_any_spelling_of_its_paths(tmp_path, monkeypatch):
    """`make run` in two clones of the project resumes into the same-named folder: the name's hash reads the
    paths from the working directory, not where the clone lives."""
    files = [f"scenarios/policy_number_{i}.toml" for i in range(8)]
    names = []
    for clone in ("one", "two"):
        (tmp_path / clone).mkdir()
        monkeypatch.chdir(tmp_path / clone)
        names += [comparison_name(files), comparison_name([f"./{f}" for f in files])]
    assert len(names[0]) <= 80 and "_more_" in names[0]
    assert len(set(names)) == 1, names
    assert comparison_name(files[::-1]) != names[0]  # another order is another comparison
