"""Calibration: targets files, the ABC-SMC fit on a known answer, resuming, Dask, and the calibrated baseline."""

from __future__ import annotations

import math
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crmsim.calibration.fit import ScaledDistance, Simulator, seed_of, simulator_for, weighted_quantile
from crmsim.calibration.targets import TargetsError, load_targets, parse_targets
from tests.experiments_util import crmsim_in_process as _in_process
from crmsim.model.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ROOT / "calibration" / "targets.toml"
CALIBRATED = ROOT / "scenarios" / "calibrated_baseline.toml"

# A small world for the fits run here: 300 citizens, a short warm-up and half a year read.
SMALL = {"warmup": 40, "population": {"n_citizens": 300, "prescribers_per_1000": 20}}


def _crmsim(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """``crmsim ARGS`` in its own process: for what only a process shows (signals, a fresh interpreter)."""
    return subprocess.run([sys.executable, "-m", "crmsim", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="session")
def tiny_calibrated(tmp_path_factory) -> Path:
    """One generation of the tiny calibration, run once: tests that only resume or refuse start from a copy."""
    folder = tmp_path_factory.mktemp("tiny_calibrated")
    proc = _in_process("calibrate", str(_tiny(folder, 1)), "--workers", "1", "--out", str(folder / "out"))
    assert proc.returncode == 0, proc.stderr
    return folder


def _copy_of(calibrated: Path, tmp_path: Path) -> Path:
    """A copy of the tiny calibration (its files and its folder of results) in ``tmp_path``; its output folder."""
    shutil.copytree(calibrated, tmp_path, dirs_exist_ok=True)
    inputs = tmp_path / "out" / "tiny" / "inputs.json"  # the base scenario's path moved with the copy
    inputs.write_text(inputs.read_text().replace(str(calibrated), str(tmp_path)))
    return tmp_path / "out"


# --- the targets file ------------------------------------------------------------------------------------------
def test_the_shipped_targets_file_compares_shares_with_shares_and_names_its_sources():
    spec = load_targets(TARGETS)
    assert {t.quantity for t in spec.targets} >= {"trust_share", "online_users", "complainants",
                                                  "means_tested_non_take_up", "redress_success"}
    for target in spec.targets:
        assert target.source and target.comparable and target.tolerance > 0
    assert "trust_mean" not in {t.quantity for t in spec.targets}  # never a mean against a share


@pytest.mark.parametrize(("change", "needle"), [
    ({"parameter": [{"name": "happiness", "low": 0.0, "high": 1.0}]}, "parameter[0].name"),
    ({"parameter": [{"name": "online_intercept", "low": -4.0, "high": 12.0}]}, "parameter[0].high"),
    ({"parameter": [{"name": "online_intercept", "low": 1.0, "high": 1.0}]}, "parameter[0]"),
    ({"parameter": [{"name": "n_citizens", "low": 100.0, "high": 200.0}]}, "parameter[0].name"),
    ({"parameter": [{"name": "trust_gain", "low": 0.1, "high": 0.2}] * 2}, "fitted twice"),
    ({"parameter": []}, "parameter"),
    ({"target": [{"name": "t", "quantity": "happiness", "value": 0.5, "tolerance": 0.1, "source": "s",
                  "comparable": "c"}]}, "target[0].quantity"),
    ({"target": [{"name": "t", "quantity": "trust_share", "value": 0.5, "tolerance": 0.0, "source": "s",
                  "comparable": "c"}]}, "target[0].tolerance"),
    ({"target": [{"name": "t", "quantity": "trust_share", "value": math.nan, "tolerance": 0.1, "source": "s",
                  "comparable": "c"}]}, "target[0].value"),
    ({"target": [{"name": "t", "quantity": "trust_share", "value": 0.5, "tolerance": 0.1, "comparable": "c"}]},
     "target[0].source"),
    ({"target": [{"name": "t", "quantity": "trust_share", "value": 0.5, "tolerance": 0.1, "source": "s",
                  "comparable": "c", "levers": {"skill_mean": 0.5}}]}, "target[0].levers.skill_mean"),
    ({"target": [{"name": "t", "quantity": "trust_share", "value": 0.5, "tolerance": 0.1, "source": "s",
                  "comparable": "c", "levers": {"faq_quality": 3.0}}]}, "levers.faq_quality"),
    ({"abc": {"population_size": 3}}, "abc.population_size"),
    ({"colour": "blue"}, "colour"),
])
def test_a_bad_targets_file_gives_one_line_naming_the_field(change, needle):
    data = {"scenario": dict(SMALL), "parameter": [{"name": "trust_disposition", "low": 0.3, "high": 0.8}],
            "target": [{"name": "t", "quantity": "trust_share", "value": 0.45, "tolerance": 0.05, "source": "OECD",
                        "comparable": "shares"}]}
    data.update(change)
    with pytest.raises(TargetsError) as err:
        parse_targets(data, "x.toml")
    message = str(err.value)
    assert message.startswith("x.toml: ") and needle in message and "\n" not in message


def test_calibrate_refuses_a_bad_file_and_bad_options_in_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('scenario = "nowhere.toml"\n[[parameter]]\nname = "trust_disposition"\nlow = 0.3\nhigh = 0.8\n'
                   '[[target]]\nname = "t"\nquantity = "trust_share"\nvalue = 0.45\ntolerance = 0.05\n'
                   'source = "OECD"\ncomparable = "shares"\n')
    for args, needle in [([str(bad)], "nowhere.toml"), ([str(TARGETS), "--dask", "http://x:1"], "--dask"),
                         ([str(TARGETS), "--workers", "0"], "--workers"),
                         ([str(TARGETS), "--resume", "--out", str(tmp_path)], "--resume")]:
        proc = _in_process("calibrate", *args)
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and needle in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr


# --- the simulator and the distance ---------------------------------------------------------------------------
def test_a_simulation_is_a_function_of_its_parameters_and_targets_may_set_other_levers():
    spec = parse_targets({
        "scenario": SMALL, "steps": 8,
        "parameter": [{"name": "review_intercept", "low": -3.0, "high": 3.0}],
        "target": [{"name": "internal", "quantity": "redress_success", "value": 0.3, "tolerance": 0.1,
                    "source": "s", "comparable": "c"},
                   {"name": "independent", "quantity": "redress_success", "value": 0.5, "tolerance": 0.1,
                    "source": "s", "comparable": "c", "levers": {"review_independence": 1.0,
                                                                 "redress_capacity": 5.0}}]})
    simulator = simulator_for(spec)
    assert len(simulator.variants) == 2
    first = simulator({"review_intercept": 1.5})
    again = simulator({"review_intercept": 1.5})  # the seed is a hash of the values
    assert set(first) == set(again) == {"internal", "independent"}
    assert np.array_equal([first[k] for k in sorted(first)], [again[k] for k in sorted(first)], equal_nan=True)


def test_the_distance_is_in_tolerances_and_nothing_to_count_is_infinitely_far():
    distance = ScaledDistance((("a", 0.1), ("b", 0.5)))
    assert distance({"a": 0.6, "b": 1.0}, {"a": 0.5, "b": 2.0}) == pytest.approx(math.sqrt((1 + 4) / 2))
    assert distance({"a": math.nan, "b": 2.0}, {"a": 0.5, "b": 2.0}) == math.inf


def test_weighted_quantiles():
    values, weights = np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.1, 0.2, 0.3, 0.4])
    assert weighted_quantile(values, weights, 0.5) == 3.0
    assert weighted_quantile(values, weights, 0.05) == 1.0 and weighted_quantile(values, weights, 0.95) == 4.0


# --- a known answer ----------------------------------------------------------------------------------------------
KNOWN = {"giveup_intercept": -0.5, "trust_disposition": 0.62}


def test_the_fit_recovers_known_parameters_inside_their_90_percent_posterior_interval(tmp_path):
    """Targets made by the model itself at known values (the mean of 8 seeds); the fit must find them again.

    Two parameters, each with its own quantity (giving up sets non-take-up,
    the disposition sets mean trust). Tolerances are twice each quantity's
    spread between seeds, and the fit stops once the runs kept are within one
    tolerance on average, so the posterior is wider than the noise and a true
    value falls outside its 90% interval only by a failure of the fit.
    The truth and the fit run the same short world (20 weeks of warm-up, 13 measured): a recovery needs the
    quantities to depend on the parameters, not to have settled, and the noise of the short run only widens
    the tolerances; 40 particles a generation rather than 60. Measured: both inside, the truth near the
    posterior's median and the posterior at most 0.21 of the prior's width, for each of the fit's seeds 1 to 5
    (16 s here; 47 s with the 40 + 26 weeks of SMALL and 60 particles).
    """
    import pyabc

    from crmsim.calibration.fit import calibrate

    short = {**SMALL, "warmup": 20}
    base = {**short, "behaviour": {k: v for k, v in KNOWN.items() if k != "trust_disposition"},
            "population": {**short["population"], "trust_disposition": KNOWN["trust_disposition"]}}
    truth = Simulator(load_scenario_from(base), 13, ((),), (("non_take_up", "non_take_up", 0),
                                                            ("trust_mean", "trust_mean", 0)))
    runs = pd.DataFrame([truth.run({}, seed) for seed in range(8)])
    spec = parse_targets({
        "name": "known", "scenario": short, "steps": 13, "seed": 1,
        "abc": {"population_size": 40, "max_generations": 5, "min_epsilon": 1.0, "predictive_draws": 4},
        "parameter": [{"name": "giveup_intercept", "low": -3.0, "high": 2.0},
                      {"name": "trust_disposition", "low": 0.2, "high": 0.9}],
        "target": [{"name": name, "quantity": name, "value": float(runs[name].mean()),
                    "tolerance": 2 * float(runs[name].std()), "source": "the model", "comparable": "itself"}
                   for name in ("non_take_up", "trust_mean")]})
    folder = calibrate(spec, tmp_path, pyabc.sampler.MulticoreEvalParallelSampler(n_procs=2))
    table = pd.read_csv(folder / "parameters.csv").set_index("parameter")
    for name, value in KNOWN.items():
        assert table.loc[name, "low"] <= value <= table.loc[name, "high"], (name, value, table.loc[name].to_dict())
        assert table.loc[name, "width_over_prior"] < 0.5  # the data did narrow it


def load_scenario_from(data: dict) -> dict:
    """A scenario dict as a Simulator holds it (validated, dumped)."""
    from crmsim.model.scenario import parse_scenario

    return parse_scenario(data).model_dump(mode="json", exclude_none=True)


# --- the command: progress, outputs, resume, Dask ----------------------------------------------------------------
TINY = textwrap.dedent("""
    name = "tiny"
    scenario = "{scenario}"
    steps = 8
    seed = 3
    [abc]
    population_size = 12
    max_generations = {generations}
    min_epsilon = 0.0
    predictive_draws = 3
    [[parameter]]
    name = "giveup_intercept"
    low = -3.0
    high = 1.0
    [[target]]
    name = "non_take_up"
    quantity = "non_take_up"
    value = 0.2
    tolerance = 0.05
    source = "a test"
    comparable = "itself"
""")


def _tiny(folder: Path, generations: int) -> Path:
    scenario = folder / "small.toml"
    scenario.write_text('warmup = 10\n[population]\nn_citizens = 120\nprescribers_per_1000 = 16.7\n')
    path = folder / "tiny.toml"
    path.write_text(TINY.format(scenario=scenario, generations=generations))
    return path


def _generations(folder: Path) -> int:
    with sqlite3.connect(folder / "history.db") as db:
        return db.execute("select count(*) from populations where t >= 0").fetchone()[0]


def test_calibrate_prints_a_line_per_generation_writes_its_outputs_and_resumes(tmp_path):
    out = tmp_path / "out"
    proc = _crmsim("calibrate", str(_tiny(tmp_path, 2)), "--workers", "2", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert [line.split(":")[0] for line in lines if line.startswith("generation")] == ["generation 0", "generation 1"]
    assert all("epsilon" in line and "acceptance" in line and "simulations so far" in line
               for line in lines if line.startswith("generation"))
    folder = out / "tiny"
    for name in ("history.db", "posterior.parquet", "predictive.parquet", "fit.csv", "parameters.csv",
                 "generations.csv", "calibrated_baseline.toml", "report.html"):
        assert (folder / name).is_file(), name
    assert _generations(folder) == 2
    assert load_scenario(folder / "calibrated_baseline.toml").behaviour.giveup_intercept is not None
    page = (folder / "report.html").read_text()
    assert "Plotly.newPlot" in page and '<script src="http' not in page  # offline

    again = _in_process("calibrate", str(_tiny(tmp_path, 2)), "--out", str(out))
    assert again.returncode == 2 and "--resume" in again.stderr  # not silently overwritten

    resumed = _crmsim("calibrate", str(_tiny(tmp_path, 4)), "--resume", "--workers", "2", "--out", str(out))
    assert resumed.returncode == 0, resumed.stderr
    assert [line.split(":")[0] for line in resumed.stdout.splitlines() if line.startswith("generation")] == [
        "generation 2", "generation 3"]
    assert _generations(folder) == 4
    with sqlite3.connect(folder / "history.db") as db:
        (stored,) = db.execute("select git_hash from abc_smc").fetchone()
    assert stored.startswith(("git ", "crmsim ")) and str(tmp_path) not in stored  # crmsim's version, no path


def test_calibrate_runs_on_a_local_dask_cluster(tmp_path):
    proc = _crmsim("calibrate", str(_tiny(tmp_path, 1)), "--dask", "local", "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert "LocalCluster" in proc.stdout and "generation 0" in proc.stdout
    assert (tmp_path / "out" / "tiny" / "posterior.parquet").is_file()


# --- the calibrated baseline ---------------------------------------------------------------------------------------
def test_the_calibrated_baseline_meets_every_target_over_20_seeds(calibrated_runs):
    """Its steady-state quantities, averaged over 20 seeds, lie within each target's tolerance.

    The 95% t interval of the mean over seeds must lie inside figure +- tolerance. At the file's population;
    tests/test_model_scale_free.py reads the same runs (tests/calibrated_runs.py makes them once).
    """
    spec = load_targets(TARGETS)
    values = calibrated_runs(load_scenario(CALIBRATED).population.n_citizens, range(20))
    for target in spec.targets:
        x = values[target.name]
        low, high = stats.t.interval(0.95, x.size - 1, loc=x.mean(), scale=stats.sem(x))
        assert target.value - target.tolerance <= low and high <= target.value + target.tolerance, (
            target.name, round(x.mean(), 4), (round(low, 4), round(high, 4)), target.value, target.tolerance)


def test_the_shipped_posterior_was_fitted_by_todays_model_to_todays_targets():
    """calibration/posterior.parquet (the plausible worlds draw from it) must be re-fitted when the model changes."""
    from crmsim.calibration.fit import inputs_digest
    from crmsim.calibration.posterior_file import read_posterior
    from crmsim.experiments.provenance import model_stamp, stamp_change

    posterior = read_posterior(ROOT / "calibration" / "posterior.parquet")
    stamp = posterior.provenance["model"]
    assert stamp == model_stamp(), (
        f"calibration/posterior.parquet was fitted by another model ({stamp_change(stamp, model_stamp())}); "
        f"re-fit it: crmsim calibrate calibration/targets.toml, then copy its posterior.parquet here")
    assert posterior.provenance["inputs"] == inputs_digest(load_targets(TARGETS)), "fitted to other targets"


def test_the_parameter_defaults_are_the_calibrated_values():
    """One source of truth: every scenario starts from the calibrated baseline's fitted values."""
    from crmsim.model.params import PARAMS

    spec = load_targets(TARGETS)
    scenario = load_scenario(CALIBRATED).flat()
    for name in spec.parameter_names:
        assert PARAMS[name].default == scenario[name], name


def test_leave_one_out_refits_without_each_target_and_a_target_nothing_else_constrains_is_predicted_loosely(tmp_path):
    # Two parameters, two targets, each set by its own parameter: with online_users left out, nothing
    # constrains online_intercept, so its prediction spreads over the prior (-4 to 2) while the fit meets it.
    text = TINY.format(scenario=tmp_path / "small.toml", generations=2).replace(
        '[[target]]', '[[parameter]]\nname = "online_intercept"\nlow = -4.0\nhigh = 2.0\n[[target]]', 1)
    text += ('[[target]]\nname = "online_users"\nquantity = "online_users"\nvalue = 0.5\ntolerance = 0.05\n'
             'source = "a test"\ncomparable = "itself"\n')
    (tmp_path / "small.toml").write_text('warmup = 10\n[population]\nn_citizens = 120\nprescribers_per_1000 = 16.7\n')
    targets = tmp_path / "two.toml"
    targets.write_text(text.replace("predictive_draws = 3", "predictive_draws = 12"))
    out = tmp_path / "out"
    proc = _in_process("calibrate", str(targets), "--leave-one-out", "--workers", "1", "--particles", "16",
                       "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "refit without non_take_up" in proc.stdout and "refit without online_users" in proc.stdout
    table = pd.read_csv(out / "tiny_leave_one_out" / "leave_one_out.csv").set_index("left_out")
    assert list(table.index) == ["non_take_up", "online_users"]
    assert (out / "tiny_without_online_users" / "posterior.parquet").is_file()
    online = table.loc["online_users"]
    assert online.predicted_high - online.predicted_low > 2 * online.tolerance  # the prior's spread, not a fit
    assert online.miss_in_tolerances == pytest.approx((online.predicted_median - 0.5) / 0.05)
    again = _in_process("calibrate", str(targets), "--leave-one-out", "--workers", "1", "--particles", "16",
                        "--out", str(out))
    assert again.returncode == 0 and "refit without" not in again.stdout  # finished refits are read, not rerun


# --- refusals: edited inputs on resume, nothing fitted, figures out of range, unusable --out -----------------------
@pytest.mark.parametrize("edit, field", [
    (lambda text: text.replace("low = -3.0", "low = -2.5"), "parameter"),
    (lambda text: text.replace("value = 0.2", "value = 0.25"), "target"),
    (lambda text: text.replace("steps = 8", "steps = 9"), "steps"),
])
def test_a_resume_with_edited_inputs_is_refused_in_one_line_and_leaves_no_lock(tmp_path, tiny_calibrated, edit,
                                                                               field):
    out = _copy_of(tiny_calibrated, tmp_path)
    path = _tiny(tmp_path, 2)
    path.write_text(edit(path.read_text()))
    proc = _in_process("calibrate", str(path), "--resume", "--workers", "1", "--out", str(out))
    assert proc.returncode == 2 and field in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert _generations(out / "tiny") == 1 and not list((out / "tiny").glob("*.lock"))


def test_a_resume_onto_an_edited_base_scenario_is_refused(tmp_path, tiny_calibrated):
    out = _copy_of(tiny_calibrated, tmp_path)
    path = _tiny(tmp_path, 2)
    (tmp_path / "small.toml").write_text('warmup = 12\n[population]\nn_citizens = 120\nprescribers_per_1000 = 16.7\n')
    proc = _in_process("calibrate", str(path), "--resume", "--workers", "1", "--out", str(out))
    assert proc.returncode == 2 and "scenario" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_a_calibration_where_no_run_defines_a_target_says_so_exits_4_and_writes_no_baseline(tmp_path):
    path = _tiny(tmp_path, 2)
    # Ratings are off in the base scenario, so no run ever has a published score.
    path.write_text(path.read_text().replace('name = "non_take_up"', 'name = "mean_rating"')
                    .replace('quantity = "non_take_up"', 'quantity = "published_score"')
                    .replace("value = 0.2", "value = 0.6"))
    proc = _in_process("calibrate", str(path), "--workers", "1", "--out", str(tmp_path / "out"))
    assert proc.returncode == 4 and "mean_rating has no value" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert not (tmp_path / "out" / "tiny" / "calibrated_baseline.toml").exists()


@pytest.mark.parametrize("value", ["1.7", "-0.2"])
def test_a_target_figure_outside_its_quantitys_range_is_refused(tmp_path, value):
    path = _tiny(tmp_path, 1)
    path.write_text(path.read_text().replace("value = 0.2", f"value = {value}"))
    proc = _in_process("calibrate", str(path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and "target[0].value" in proc.stderr and "0 to 1" in proc.stderr, proc.stderr
    assert not (tmp_path / "out").exists()


def test_an_out_folder_that_is_a_file_or_cannot_be_made_is_one_line(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    for out in (blocker, blocker / "below"):
        proc = _in_process("calibrate", str(_tiny(tmp_path, 1)), "--out", str(out))
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and str(blocker) in proc.stderr


def test_a_calibration_stopped_by_sigterm_and_resumed_equals_one_never_stopped(tmp_path):
    # On one core the proposals come from the calibration's own Generator, one per generation (calibration.draws).
    path = _tiny(tmp_path, 3)
    whole = _in_process("calibrate", str(path), "--workers", "1", "--out", str(tmp_path / "whole"))
    assert whole.returncode == 0, whole.stderr
    cut = tmp_path / "cut"
    proc = subprocess.Popen([sys.executable, "-m", "crmsim", "calibrate", str(path), "--workers", "1", "--out",
                             str(cut)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if line.startswith("generation 0"):
            proc.send_signal(signal.SIGTERM)
            break
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 143 and "--resume" in err and "Traceback" not in err, err
    assert 1 <= _generations(cut / "tiny") < 3 and not (cut / "tiny" / ".lock").exists()
    resumed = _in_process("calibrate", str(path), "--workers", "1", "--resume", "--out", str(cut))
    assert resumed.returncode == 0, resumed.stderr
    for name in ("posterior.parquet", "fit.csv", "generations.csv", "predictive.parquet"):
        assert (cut / "tiny" / name).read_bytes() == (tmp_path / "whole" / "tiny" / name).read_bytes(), name


def test_a_refit_that_moves_the_fitted_defaults_keeps_the_calibration_s_inputs():
    # The fit samples its parameters and never reads their defaults (model/calibrated.toml), so moving a default
    # must not make the shipped posterior "fitted to other inputs"; any other value of the base scenario must.
    import dataclasses

    from crmsim.calibration.fit import inputs_digest

    spec = load_targets(TARGETS)
    moved = dataclasses.replace(spec, base=spec.base.with_values({"trust_disposition": 0.31, "online_intercept": 1.0}))
    assert inputs_digest(moved) == inputs_digest(spec)
    other = dataclasses.replace(spec, base=spec.base.with_values({"trust_gain": 0.2}))
    assert inputs_digest(other) != inputs_digest(spec)
