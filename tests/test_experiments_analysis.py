"""Analysis against known answers, rerun of a saved run, the report, and the progress bar."""

from __future__ import annotations

import fcntl
import math
import os
import pty
import struct
import subprocess
import termios

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from SALib.test_functions import Ishigami

from experiments import analysis
from experiments.design import Factor, morris, sobol
from experiments.evaluators import SequentialEvaluator
from experiments.runner import run_sweep
from experiments.seeds import sampler_seed
from experiments.spec import load_experiment
from experiments.store import ResultStore
from model.metrics import METRICS
from tests.experiments_util import PYTHON, ROOT, TEST_GRID, cli, env, write_experiment


# --- known answers ---------------------------------------------------------------------------

def ishigami_indices(a: float = 7.0, b: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Exact S1 and ST of the Ishigami function on [-pi, pi]^3 (Ishigami & Homma 1990)."""
    pi4, pi8 = math.pi ** 4, math.pi ** 8
    v = 0.5 + a ** 2 / 8 + b * pi4 / 5 + b ** 2 * pi8 / 18
    v1 = 0.5 * (1 + b * pi4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = 8 * b ** 2 * pi8 / 225
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def test_ishigami_sobol_indices_through_our_design_and_analysis():
    """Our Sobol design (N = 2048, Saltelli, scrambled) and our analysis recover the known indices.

    Tolerance 0.03: over 20 sampler seeds at N = 2048 the largest error seen was
    0.009 for S1 and 0.017 for ST, and the bootstrap 95% half-widths are 0.02-0.06;
    a real mistake (a factor swapped, S1 for ST, the wrong point order) moves an
    index by 0.1 or more.
    """
    s1_true, st_true = ishigami_indices()
    assert np.allclose(s1_true, [0.3139, 0.4424, 0.0], atol=5e-4)
    assert np.allclose(st_true, [0.5576, 0.4424, 0.2437], atol=5e-4)

    factors = [Factor(f"x{i}", low=-math.pi, high=math.pi) for i in (1, 2, 3)]
    design = sobol(factors, samples=2048, seed=sampler_seed(1234))
    assert len(design) == 2048 * 5
    X = np.array([[p[f.name] for f in factors] for p in design.points])  # the values the runs would get
    y = Ishigami.evaluate(X)
    # Two replicates per point, as a sweep would save them: the analysis averages them.
    final = pd.DataFrame({"point": np.repeat(np.arange(len(y)), 2), "metric": "ishigami",
                          "value": np.repeat(y, 2)})
    table, skipped = analysis.sobol_indices(final, factors, ["ishigami"], n_points=len(design))
    assert skipped == {}
    assert list(table["factor"]) == ["x1", "x2", "x3"]
    s1, st = table["S1"].to_numpy(), table["ST"].to_numpy()
    assert np.all(np.abs(s1 - s1_true) < 0.03), s1
    assert np.all(np.abs(st - st_true) < 0.03), st
    assert np.all(np.abs(s1 - s1_true) <= table["S1_conf"].to_numpy()), "the true S1 is outside the 95% CI"
    assert np.all(np.abs(st - st_true) <= table["ST_conf"].to_numpy()), "the true ST is outside the 95% CI"


def test_morris_of_a_linear_function_is_exact():
    """y = 3a - 2b (+ 0 c): every elementary effect is the slope times the range, so sigma = 0."""
    factors = [Factor("a", low=0.0, high=2.0), Factor("b", low=-1.0, high=1.0), Factor("c", low=5.0, high=6.0)]
    design = morris(factors, trajectories=20, seed=5, levels=4)
    y = np.array([3 * p["a"] - 2 * p["b"] for p in design.points])
    final = pd.DataFrame({"point": np.arange(len(y)), "metric": "y", "value": y})
    table, skipped = analysis.morris_indices(final, factors, design.X, ["y"], levels=4)
    assert skipped == {}
    assert np.allclose(table["mu_star"], [6.0, 4.0, 0.0]) and np.allclose(table["mu"], [6.0, -4.0, 0.0])
    assert np.allclose(table["sigma"], 0.0, atol=1e-9)


def test_point_means_and_differences_use_t_and_welch_intervals():
    final = pd.DataFrame({"point": [0, 0, 0, 1, 1, 1], "f": ["base"] * 3 + ["new"] * 3, "metric": "m",
                          "value": [1.0, 2.0, 3.0, 3.0, 5.0, np.nan]})
    means = analysis.point_means(final, ["f"])
    assert means["n"].tolist() == [3, 2]  # NaN is left out, and counted out
    half = 2.0 * 0.0 + 4.302652729911275 * 1.0 / math.sqrt(3)  # t(0.975, 2) * sd / sqrt(n)
    assert means.loc[0, "ci_high"] - means.loc[0, "mean"] == pytest.approx(half)
    diff = analysis.differences(final, "f", "base", ["f"])
    assert diff["difference"].tolist() == [2.0]
    assert diff.loc[0, "ci_low"] < 2.0 < diff.loc[0, "ci_high"]


def test_sensitivity_skips_a_metric_with_missing_values_and_says_why():
    factors = [Factor("x", low=0.0, high=1.0)]
    final = pd.DataFrame({"point": [0, 1, 2], "metric": "m", "value": [1.0, np.nan, 2.0]})
    table, skipped = analysis.sobol_indices(final, factors, ["m"], n_points=3)
    assert table.empty and "NaN" in skipped["m"]


# --- rerun and report on a saved sweep -------------------------------------------------------

@pytest.fixture(scope="module")
def grid_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("grid")
    with SequentialEvaluator() as ev:
        result = run_sweep(load_experiment(TEST_GRID), out, ev, chunk_size=3)
    return result.root


def test_rerun_reproduces_the_saved_rows_exactly(grid_results):
    for run_id in (0, 5):
        proc = cli("rerun", grid_results, run_id)
        assert proc.returncode == 0, proc.stderr
        assert f"run {run_id} " in proc.stdout and "identical" in proc.stdout


def test_rerun_finds_a_changed_row(grid_results, tmp_path):
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(grid_results), str(copy)], check=True)
    store = ResultStore(copy)
    part = next(p for p in store.part_files() if 4 in set(pq.read_table(p).column("run_id").to_pylist()))
    rows = pq.read_table(part).to_pandas()
    hit = (rows["run_id"] == 4) & (rows["metric"] == "trust_mean") & (rows["step"] == 3)
    rows.loc[hit, "value"] += 1e-12
    rows.to_parquet(part, index=False)
    proc = cli("rerun", copy, 4)
    assert proc.returncode == 1
    assert "run 4" in proc.stderr and "trust_mean" in proc.stderr and "step 3" in proc.stderr
    assert proc.stderr.count("\n") == 1


@pytest.mark.parametrize("run_id, words", [("8", "no run 8"), ("-1", "RUN_ID"), ("x", "RUN_ID")])
def test_rerun_of_a_run_that_does_not_exist_is_bad_input(grid_results, run_id, words):
    from experiments.__main__ import main

    assert main(["rerun", str(grid_results), run_id]) == 2


def test_report_writes_offline_html_and_summary_csv(grid_results):
    proc = cli("report", grid_results)
    assert proc.returncode == 0, proc.stderr
    page = (grid_results / "report.html").read_text()
    assert '<script src="http' not in page and "<script src='http" not in page
    assert "Plotly.newPlot" in page and len(page) > 1_000_000  # plotly.js itself is inline (~4.6 MB)
    assert page.count("Plotly.newPlot") >= 3  # means, baseline differences, time series (+ heatmap)
    summary = pd.read_csv(grid_results / "summary.csv")
    assert list(summary.columns) == ["point", "levers.faq_quality", "levers.forum", "metric", "n", "mean", "std",
                                     "ci_low", "ci_high"]
    assert len(summary) == 4 * len(METRICS) and summary["n"].le(2).all()  # n counts values that are not NaN
    assert summary.loc[summary["metric"] == "trust_mean", "n"].eq(2).all()
    ok = summary["n"] > 1
    assert (summary.loc[ok, "ci_low"] <= summary.loc[ok, "mean"]).all()
    assert (grid_results / "differences.csv").is_file()


@pytest.mark.parametrize("design", ['kind = "sobol"\nsamples = 8', 'kind = "morris"\ntrajectories = 4'])
def test_sensitivity_designs_end_to_end(design, tmp_path):
    path = write_experiment(tmp_path, f"""
scenario = "{{baseline}}"
steps = 5
seed = 3
[set]
population.n_citizens = 100
population.n_prescribers = 2
[design]
{design}
[vary]
levers.faq_quality = {{ low = 0.0, high = 1.0 }}
levers.counter_staff = {{ low = 0.2, high = 2.0 }}
[outputs]
every_step = ["trust_mean"]
at_end = ["trust_mean", "knowledge_mean", "take_up"]
""")
    with SequentialEvaluator() as ev:
        result = run_sweep(load_experiment(path), tmp_path / "out", ev)
    from viz.report import write_report

    written = {p.name for p in write_report(result.root)}
    assert {"report.html", "summary.csv", "sensitivity.csv"} <= written
    table = pd.read_csv(result.root / "sensitivity.csv")
    index = "ST" if "sobol" in design else "mu_star"
    assert set(table["factor"]) == {"levers.faq_quality", "levers.counter_staff"} and table[index].notna().all()


def test_report_of_a_folder_that_is_not_a_sweep_is_bad_input(tmp_path):
    proc = cli("report", tmp_path)
    assert proc.returncode == 2 and "manifest.json" in proc.stderr and proc.stderr.count("\n") == 1


# --- progress --------------------------------------------------------------------------------

def test_progress_bar_on_a_terminal_and_quiet_otherwise(tmp_path):
    main_fd, child_fd = pty.openpty()
    fcntl.ioctl(child_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # a 120-column terminal
    proc = subprocess.Popen([PYTHON, "-m", "experiments", "sweep", str(TEST_GRID), "--sequential", "--out",
                             str(tmp_path / "tty")], cwd=ROOT, env=env(), stdin=child_fd,
                            stdout=child_fd, stderr=child_fd)
    os.close(child_fd)
    chunks = []
    while True:
        try:
            data = os.read(main_fd, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(60)
    os.close(main_fd)
    shown = b"".join(chunks).decode(errors="replace")
    assert proc.returncode == 0, shown
    assert "8/8" in shown and "run/s" in shown  # runs done, runs per second (and time left: "<")

    piped = cli("sweep", TEST_GRID, "--sequential", "--out", tmp_path / "piped")
    assert piped.returncode == 0 and "run/s" not in piped.stdout + piped.stderr and piped.stderr == ""
    assert "8 runs" in piped.stdout  # one summary line instead
