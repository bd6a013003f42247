"""Analysis against known answers, rerun of a saved run, the report, and the progress bar."""

from __future__ import annotations

import fcntl
import math
import os
import pty
import re
import struct
import subprocess
import termios
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from SALib.test_functions import Ishigami
from scipy import stats

from crmsim.experiments import analysis
from crmsim.experiments.design import Factor, morris, sobol
from crmsim.experiments.evaluators import SequentialEvaluator
from crmsim.experiments.runner import run_sweep
from crmsim.experiments.seeds import replicate_seed, sampler_seed
from crmsim.experiments.spec import load_experiment
from crmsim.experiments.store import ResultStore, StoreError
from crmsim.model.metrics import METRICS
from tests.experiments_util import PAIRED_SWEEP, PYTHON, ROOT, TEST_GRID, cli, env, write_experiment


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


def test_point_means_use_t_intervals_and_leave_nan_out():
    final = pd.DataFrame({"point": [0, 0, 0, 1, 1, 1], "f": ["base"] * 3 + ["new"] * 3, "metric": "m",
                          "value": [1.0, 2.0, 3.0, 3.0, 5.0, np.nan]})
    means = analysis.point_means(final, ["f"])
    assert means["n"].tolist() == [3, 2]  # NaN is left out, and counted out
    half = 4.302652729911275 * 1.0 / math.sqrt(3)  # t(0.975, 2) * sd / sqrt(n)
    assert means.loc[0, "ci_high"] - means.loc[0, "mean"] == pytest.approx(half)


def test_point_means_intervals_are_scipy_t_intervals_nan_with_one_run_and_flat_without_spread():
    final = pd.DataFrame({"point": [0, 0, 0, 0, 1, 2, 2], "metric": "m",
                          "value": [0.2, 0.9, 0.4, 0.6, 5.0, 3.0, 3.0]})
    means = analysis.point_means(final).set_index("point")
    x = final.loc[final["point"] == 0, "value"]
    expected = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert (means.loc[0, "ci_low"], means.loc[0, "ci_high"]) == pytest.approx(expected, abs=1e-12)
    assert np.isnan(means.loc[1, "ci_low"]) and np.isnan(means.loc[1, "ci_high"])  # one run: no interval
    assert means.loc[2, "ci_low"] == means.loc[2, "ci_high"] == 3.0  # no spread: the value itself
    bands = analysis.series_bands(final.assign(step=0))
    assert bands["ci_low"].isna().tolist() == [False, True, False]


def test_differences_pair_runs_by_replicate_as_scipy_ttest_rel_does():
    """Replicates share a big offset (the same population): Welch sees it as noise, pairing removes it.

    Two policies against a baseline, at two sizes whose offsets differ, rows shuffled: pairing by
    position, across sizes or across replicates would give other numbers. NaN drops its pair.
    """
    rng = np.random.default_rng(3)
    reps = 8
    offset = {"small": rng.normal(0.0, 5.0, reps), "large": rng.normal(20.0, 5.0, reps)}
    effect = {"base": 0.0, "faq": 0.3, "forum": -0.2}
    rows, point = [], 0
    for size in ("small", "large"):
        for policy in ("base", "faq", "forum"):
            values = offset[size] + effect[policy] + rng.normal(0.0, 0.1, reps)
            rows += [{"point": point, "policy": policy, "size": size, "replicate": r, "metric": "m",
                      "value": v} for r, v in enumerate(values)]
            point += 1
    final = pd.DataFrame(rows)
    final.loc[(final["policy"] == "faq") & (final["size"] == "small") & (final["replicate"] == 2), "value"] = np.nan
    final.loc[(final["policy"] == "base") & (final["size"] == "small") & (final["replicate"] == 5), "value"] = np.nan
    final = final.sample(frac=1.0, random_state=1).reset_index(drop=True)

    diff = analysis.differences(final, "policy", "base", ["policy", "size"])
    assert list(diff.columns) == ["point", "policy", "size", "metric", "n_pairs", "difference", "ci_low", "ci_high"]
    assert sorted(diff["point"]) == [1, 2, 4, 5]  # the baseline points are left out
    for _, row in diff.iterrows():
        def values(policy):
            runs = final[(final["policy"] == policy) & (final["size"] == row["size"])]
            return runs.set_index("replicate")["value"].sort_index()

        new, base = values(row["policy"]), values("base")
        keep = new.notna() & base.notna()
        test = stats.ttest_rel(new[keep], base[keep])
        ci = test.confidence_interval(0.95)
        assert row["n_pairs"] == keep.sum() == (6 if (row["policy"], row["size"]) == ("faq", "small") else
                                                7 if row["size"] == "small" else 8)
        assert row["difference"] == pytest.approx((new[keep] - base[keep]).mean(), abs=1e-12)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high), abs=1e-12)
        assert row["ci_low"] < effect[row["policy"]] < row["ci_high"]
        assert not row["ci_low"] < 0.0 < row["ci_high"]  # paired, the effect is clear...
        welch = stats.ttest_ind(new.dropna(), base.dropna(), equal_var=False).confidence_interval(0.95)
        assert welch.low < 0.0 < welch.high  # ...unpaired, the offsets drown it


def test_differences_edge_cases():
    final = pd.DataFrame({"point": [0, 0, 0, 1, 1, 1, 2, 2, 2], "f": ["a"] * 3 + ["b"] * 3 + ["c"] * 3,
                          "replicate": [0, 1, 2] * 3, "metric": "m",
                          "value": [1.0, 5.0, 9.0, 3.0, 7.0, 11.0, np.nan, np.nan, 4.0]})
    diff = analysis.differences(final, "f", "a", ["f"]).set_index("f")
    assert diff.loc["b", ["n_pairs", "difference", "ci_low", "ci_high"]].tolist() == [3, 2.0, 2.0, 2.0]  # no spread
    assert diff.loc["c", "n_pairs"] == 1 and diff.loc["c", "difference"] == -5.0
    assert np.isnan(diff.loc["c", "ci_low"]) and np.isnan(diff.loc["c", "ci_high"])  # one pair: no interval
    with pytest.raises(ValueError, match="replicate"):
        analysis.differences(final.drop(columns="replicate"), "f", "a", ["f"])
    with pytest.raises(pd.errors.MergeError):  # two baseline runs of one replicate: no pairing
        analysis.differences(pd.concat([final, final[final["point"] == 0]]), "f", "a", ["f"])


def test_sensitivity_skips_a_metric_with_missing_values_and_says_why():
    factors = [Factor("x", low=0.0, high=1.0)]
    final = pd.DataFrame({"point": [0, 1, 2], "metric": "m", "value": [1.0, np.nan, 2.0]})
    table, skipped = analysis.sobol_indices(final, factors, ["m"], n_points=3)
    assert table.empty and "NaN" in skipped["m"]


# --- rerun and report on a saved sweep -------------------------------------------------------

@pytest.fixture(scope="module")
def paired_results(tmp_path_factory):
    """A small sweep of a lever at 2 values x 3 replicates (short warm-up, few citizens)."""
    folder = tmp_path_factory.mktemp("paired")
    path = write_experiment(folder, PAIRED_SWEEP, "paired.toml")
    with SequentialEvaluator() as ev:
        result = run_sweep(load_experiment(path), folder / "out", ev)
    assert result.complete and result.total == 6
    return result.root


def test_a_replicate_starts_from_the_same_state_at_every_point(paired_results):
    """Common random numbers: same seed per replicate, so the same population at the end of the warm-up."""
    rows = ResultStore(paired_results).read()
    manifest = ResultStore(paired_results).read_manifest()
    seeds = rows.groupby(["point", "replicate"])["seed"].unique().map(lambda s: int(s.item())).unstack("point")
    assert seeds[0].tolist() == seeds[1].tolist()  # replicate r: one seed at both points
    assert seeds[0].tolist() == [replicate_seed(manifest["master_seed"], r) for r in range(3)]
    assert seeds[0].nunique() == 3  # replicates: each its own

    series = rows[rows["kind"] == "series"]

    def at(step: int, point: int) -> pd.DataFrame:
        here = series[(series["step"] == step) & (series["point"] == point)]
        return here.sort_values(["replicate", "metric"])[["replicate", "metric", "value"]].reset_index(drop=True)

    assert len(at(0, 0)) == 3 * len(METRICS)
    # Step 0 is the end of the warm-up, before the lever acts: every metric identical (NaN where both are NaN).
    pd.testing.assert_frame_equal(at(0, 0), at(0, 1), check_exact=True)
    start = at(0, 0).pivot(index="metric", columns="replicate", values="value")
    assert (start.loc["knowledge_mean"].nunique(), start.loc["trust_mean"].nunique()) == (3, 3)  # 3 populations
    last = series["step"].max()
    assert not at(last, 0)["value"].equals(at(last, 1)["value"])  # and then the points do differ


def test_differences_of_a_sweep_pair_each_replicate_with_its_baseline_run(paired_results):
    results = analysis.load_results(paired_results)
    diff = analysis.differences(results.final, "levers.faq_quality", 0.0, results.factor_names)
    assert set(diff["metric"]) == set(METRICS) and diff["point"].eq(1).all()
    final = results.final.set_index(["metric", "point", "replicate"])["value"].sort_index()
    for _, row in diff.iterrows():
        new, base = final[row["metric"], 1].sort_index(), final[row["metric"], 0].sort_index()
        assert row["n_pairs"] == (new.notna() & base.notna()).sum()  # a rate with no denominator drops its pair
    for metric in ("trust_mean", "knowledge_mean", "knowledge_gini", "take_up"):
        row = diff.set_index("metric").loc[metric]
        new, base = final[metric, 1].sort_index(), final[metric, 0].sort_index()
        assert row["n_pairs"] == 3
        ci = stats.ttest_rel(new, base).confidence_interval(0.95)
        assert row["difference"] == pytest.approx((new - base).mean(), abs=1e-12)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high), abs=1e-12)


def test_rerun_of_a_paired_sweep_is_exact_at_both_points(paired_results):
    for run_id in (1, 4):  # replicate 1 at point 0 and at point 1: one seed
        proc = cli("rerun", paired_results, run_id)
        assert proc.returncode == 0, proc.stderr
        assert f"replicate 1, seed {replicate_seed(5, 1)})" in proc.stdout and "identical" in proc.stdout


def test_a_sweep_whose_seeds_were_drawn_another_way_is_neither_resumed_nor_rerun(paired_results, tmp_path):
    from crmsim.commands import main

    copy = tmp_path / "paired"
    subprocess.run(["cp", "-r", str(paired_results), str(copy)], check=True)
    store = ResultStore(copy)
    old = "run i uses numpy SeedSequence(master_seed, spawn_key=(i,)); see experiments/seeds.py"  # before pairing
    store.update_manifest(lambda m: m.update(seeds=old))
    experiment = load_experiment(write_experiment(tmp_path, PAIRED_SWEEP, "paired.toml"))
    with SequentialEvaluator() as ev, pytest.raises(StoreError, match="seeds another way"):
        run_sweep(experiment, tmp_path, ev, resume=True)
    assert main(["rerun", str(copy), "1"]) == 2


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
    table = pq.read_table(part)
    rows = table.to_pandas()
    hit = (rows["run_id"] == 4) & (rows["metric"] == "trust_mean") & (rows["step"] == 3)
    rows.loc[hit, "value"] += 1e-12
    # Keep the part's metadata (the sweep's identity): only the value changes.
    pq.write_table(pa.Table.from_pandas(rows, preserve_index=False).replace_schema_metadata(table.schema.metadata),
                   part)
    proc = cli("rerun", copy, 4)
    assert proc.returncode == 4  # crmsim.texts.exits.NO_ANSWER: it ran, and did not reproduce
    assert "run 4" in proc.stderr and "trust_mean" in proc.stderr and "step 3" in proc.stderr
    assert proc.stderr.count("\n") == 1


@pytest.mark.parametrize("run_id, words", [("8", "no run 8"), ("-1", "RUN_ID"), ("x", "RUN_ID")])
def test_rerun_of_a_run_that_does_not_exist_is_bad_input(grid_results, run_id, words):
    from crmsim.commands import main

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
    diffs = pd.read_csv(grid_results / "differences.csv")  # faq_quality 0.6 minus 0.0, at each forum value
    assert list(diffs.columns) == ["point", "levers.faq_quality", "levers.forum", "metric", "n_pairs", "difference",
                                   "ci_low", "ci_high"]
    assert sorted(diffs["point"].unique()) == [2, 3] and diffs["n_pairs"].le(2).all()
    assert "paired by replicate" in page and "Welch" not in page


@pytest.mark.parametrize("design", ['kind = "sobol"\nsamples = 8', 'kind = "morris"\ntrajectories = 4'])
def test_sensitivity_designs_end_to_end(design, tmp_path):
    path = write_experiment(tmp_path, f"""
scenario = "{{baseline}}"
steps = 5
seed = 3
[set]
population.n_citizens = 100
population.prescribers_per_1000 = 20
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
    from crmsim.viz.report import write_report

    written = {p.name for p in write_report(result.root)}
    assert {"report.html", "summary.csv", "sensitivity.csv"} <= written
    table = pd.read_csv(result.root / "sensitivity.csv")
    index = "ST" if "sobol" in design else "mu_star"
    assert set(table["factor"]) == {"levers.faq_quality", "levers.counter_staff"} and table[index].notna().all()


def test_report_of_a_folder_that_is_not_a_sweep_is_bad_input(tmp_path):
    proc = cli("report", tmp_path)
    assert proc.returncode == 2 and "manifest.json" in proc.stderr and proc.stderr.count("\n") == 1


# --- progress --------------------------------------------------------------------------------

def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks).decode(errors="replace")


def test_progress_bar_whenever_stderr_is_a_terminal_and_lines_in_a_log(tmp_path):
    """``sweep > log`` on a terminal: the bar on stderr, the log gets the start and end lines only;
    ``> log 2>&1`` (no terminal): a progress line every 10% of the runs; --quiet: nothing."""
    main_fd, child_fd = pty.openpty()
    fcntl.ioctl(child_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # a 120-column terminal
    proc = subprocess.Popen([PYTHON, "-m", "crmsim", "sweep", str(TEST_GRID), "--sequential", "--out",
                             str(tmp_path / "tty")], cwd=ROOT, env=env(), stdin=child_fd,
                            stdout=subprocess.PIPE, stderr=child_fd, text=True)
    os.close(child_fd)
    shown = _read_all(main_fd)
    log, _ = proc.communicate(timeout=60)
    os.close(main_fd)
    assert proc.returncode == 0, shown
    assert "8/8" in shown and "runs/s, about" in shown  # the bar: runs done, runs per second and time left
    lines = log.splitlines()
    assert len(lines) == 2 and lines[0].startswith("test_grid: 8 runs (") and "8 of 8 saved" in lines[1], log

    piped = cli("sweep", TEST_GRID, "--sequential", "--out", tmp_path / "piped")
    assert piped.returncode == 0 and piped.stderr == ""
    progress = [line for line in piped.stdout.splitlines() if re.match(r"test_grid: \d+ of 8 runs \(", line)]
    # 8 runs: 10% of them is less than one run, so a line after each saved chunk: 2 replicates of 4 points
    # share 2 warm-ups, split in 4 chunks of 2 runs so that no core would wait; the last one at 100%.
    assert len(progress) == 4, piped.stdout
    assert progress[0].startswith("test_grid: 2 of 8 runs (25%), ") and "runs/s, about " in progress[0]
    assert progress[-1].startswith("test_grid: 8 of 8 runs (100%), ") and progress[-1].endswith(" left")
    assert "8 runs in " in piped.stdout.splitlines()[-1]  # the summary line

    quiet = cli("sweep", TEST_GRID, "--sequential", "--quiet", "--out", tmp_path / "quiet")
    assert quiet.returncode == 0 and quiet.stdout == quiet.stderr == ""


def test_progress_lines_every_tenth_of_the_runs_and_every_30_seconds():
    from crmsim.experiments.progress import ProgressLines

    now = [0.0]
    lines: list[str] = []
    progress = ProgressLines("exp", total=1000, done=400, write=lines.append, clock=lambda: now[0])
    # 600 runs to do in this session: a line every 60 of them ...
    for i in range(60):
        assert lines == []
        now[0] += 0.1
        progress.update(1)
        progress.poll()
    assert lines == ["exp: 460 of 1,000 runs (46%), 10 runs/s, about 54 s left"]  # this session's rate: 60 in 6 s
    # ... and one when 30 s pass without a line, whatever happens.
    now[0] += 29.9
    progress.poll()
    assert len(lines) == 1
    now[0] += 0.2
    progress.poll()
    assert len(lines) == 2 and lines[1].startswith("exp: 460 of 1,000 runs (46%), 1.7 runs/s")
    progress.update(540)
    assert lines[-1] == "exp: 1,000 of 1,000 runs (100%), 17 runs/s, about 0 s left"  # 600 runs in 36.1 s

    # The thread that polls: with every_seconds=0.2 it writes without any update.
    ticking: list[str] = []
    progress = ProgressLines("exp", total=10, done=0, write=ticking.append, every_seconds=0.2).start()
    time.sleep(1.5)
    progress.close()
    assert len(ticking) >= 1 and ticking[0] == "exp: 0 of 10 runs (0%), no run finished yet in this session"
