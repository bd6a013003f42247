"""Experiment files, seeds and designs; bad experiment files give one line and exit code 2."""

from __future__ import annotations

import numpy as np
import pytest

from crmsim.commands import main
from crmsim.experiments.design import Factor, full_factorial, latin_hypercube, morris, sobol
from crmsim.experiments.runner import tasks_for
from crmsim.experiments.seeds import replicate_seed, sampler_seed
from crmsim.experiments.spec import SpecError, load_experiment, parse_experiment
from tests.experiments_util import ROOT, TEST_GRID, cli, fail_models_of_size, write_experiment

SHIPPED = ["test_grid", "paper_question", "sobol_headline"]


# --- the shipped experiment files ---------------------------------------------------------------

@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_experiments_are_valid(name):
    exp = load_experiment(ROOT / "experiments" / f"{name}.toml")
    assert exp.name == name and exp.n_runs == exp.n_points * exp.spec.replications


def test_test_grid_is_small_and_paper_question_covers_every_policy():
    from crmsim.model.policies import POLICIES

    grid = load_experiment(TEST_GRID)
    assert (grid.n_points, grid.spec.replications, grid.base.population.n_citizens, grid.base.steps) == (4, 2, 200, 10)
    paper = load_experiment(ROOT / "experiments" / "paper_question.toml")
    assert paper.spec.replications == 30
    (policy,) = paper.factors
    assert policy.name == "policy" and set(policy.values) == set(POLICIES)
    assert policy.values[0] == "supply_front_office"  # the baseline the report compares with
    sobol_exp = load_experiment(ROOT / "experiments" / "sobol_headline.toml")
    assert sobol_exp.spec.design.kind == "sobol"
    assert set(sobol_exp.spec.outputs.final) >= {"trust_mean", "knowledge_gini", "redress_success"}


# --- spec details ------------------------------------------------------------------------------

def test_nested_and_quoted_keys_and_bare_names_mean_the_same_field():
    nested = parse_experiment({"scenario": {}, "vary": {"levers": {"faq_quality": [0, 1]}}})
    quoted = parse_experiment({"scenario": {}, "vary": {"levers.faq_quality": [0, 1]}})
    bare = parse_experiment({"scenario": {}, "vary": {"faq_quality": [0, 1]}})
    assert nested.paths == quoted.paths == {"levers.faq_quality": "levers.faq_quality"}
    assert bare.paths == {"faq_quality": "levers.faq_quality"}
    # TOML integers given to a number parameter become floats, so every column has one type.
    assert nested.factors[0].values == (0.0, 1.0) and all(type(v) is float for v in nested.factors[0].values)


def test_set_and_steps_change_the_base_scenario():
    exp = parse_experiment({"scenario": {}, "steps": 7, "set": {"population": {"n_citizens": 123},
                                                                "administrations.tax_office.complexity": 0.9}})
    assert exp.base.steps == 7 and exp.base.population.n_citizens == 123
    assert exp.base.missions()["tax_office"].complexity == 0.9
    assert exp.n_runs == 1  # nothing varied: one point


def test_integer_ranges_are_rounded_in_sampled_designs():
    exp = parse_experiment({"scenario": {}, "design": {"kind": "latin_hypercube", "samples": 20},
                            "vary": {"redress_deadline": {"low": 2, "high": 12}}})
    values = [p["redress_deadline"] for p in exp.design.points]
    assert all(type(v) is int and 2 <= v <= 12 for v in values)


# --- seeds -------------------------------------------------------------------------------------

def test_replicate_seed_is_the_spawned_child_and_can_be_made_alone():
    children = np.random.SeedSequence(2024).spawn(50)
    for r in (0, 1, 17, 49):
        expected = int(children[r].generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
        assert replicate_seed(2024, r) == expected
    seeds = [replicate_seed(2024, r) for r in range(1000)]
    assert len(set(seeds)) == 1000 and all(0 <= s < 2**63 for s in seeds)
    assert sampler_seed(2024) not in seeds
    with pytest.raises(ValueError, match="replicate"):
        replicate_seed(2024, -1)


def test_a_replicate_has_one_seed_at_every_point_and_replicates_have_their_own():
    exp = parse_experiment({"scenario": {}, "seed": 99, "replications": 4,
                            "vary": {"faq_quality": [0.0, 0.5, 1.0], "forum": [0.0, 0.7]}})
    tasks = list(tasks_for(exp))
    assert [t.run_id for t in tasks] == list(range(6 * 4))
    for task in tasks:
        assert (task.point, task.replicate) == divmod(task.run_id, 4)
        assert task.seed == replicate_seed(99, task.replicate)  # from (master seed, replicate) alone
    by_replicate = {r: {t.seed for t in tasks if t.replicate == r} for r in range(4)}
    assert all(len(seeds) == 1 for seeds in by_replicate.values())  # the same at all 6 points
    assert len(set.union(*by_replicate.values())) == 4  # and different between replicates


def test_docstring_examples_of_the_experiment_modules_hold():
    import doctest

    from crmsim.experiments import analysis, design, limits, progress, runner, seeds, spec, store
    from crmsim.experiments.evaluators import dask

    for module in (seeds, analysis, runner, design, limits, progress, spec, store, dask):
        failed, tried = doctest.testmod(module)
        assert tried > 0 and failed == 0, module.__name__


# --- designs -----------------------------------------------------------------------------------

def test_full_factorial_is_every_combination():
    d = full_factorial([Factor("a", values=("x", "y")), Factor("b", low=0, high=1, levels=3)])
    assert [tuple(p.values()) for p in d.points] == [("x", 0.0), ("x", 0.5), ("x", 1.0), ("y", 0.0), ("y", 0.5),
                                                     ("y", 1.0)]


def test_sampled_designs_have_salib_sizes_stay_in_range_and_are_seeded():
    factors = [Factor("a", low=0.0, high=2.0), Factor("b", low=-1.0, high=1.0), Factor("c", values=("p", "q"))]
    assert len(latin_hypercube(factors, samples=30, seed=1)) == 30
    assert len(sobol(factors, samples=16, seed=1)) == 16 * (3 + 2)
    assert len(sobol(factors, samples=16, seed=1, second_order=True)) == 16 * (2 * 3 + 2)
    assert len(morris(factors, trajectories=5, seed=1)) == 5 * (3 + 1)
    d = sobol(factors, samples=64, seed=3)
    assert all(0 <= p["a"] <= 2 and -1 <= p["b"] <= 1 and p["c"] in ("p", "q") for p in d.points)
    assert {p["c"] for p in d.points} == {"p", "q"}
    assert np.array_equal(d.X, sobol(factors, samples=64, seed=3).X)
    assert not np.array_equal(d.X, sobol(factors, samples=64, seed=4).X)


# --- bad input: one line naming the file and the field, exit code 2 --------------------------

GOOD = """
scenario = "{baseline}"
replications = 2
[vary]
levers.faq_quality = [0.0, 0.6]
"""

BAD = {
    "unknown field": ("replicatons = 3\n" + GOOD, ": replicatons: unknown field"),
    "unknown parameter path": (GOOD.replace("levers.faq_quality", "levers.faq_qualty"), "vary.levers.faq_qualty"),
    "range low above high": (GOOD + "levers.forum = { low = 0.9, high = 0.1, levels = 2 }\n", "vary.levers.forum"),
    "value outside the allowed range": (GOOD.replace("0.6]", "1.6]"), "vary.levers.faq_quality[1]"),
    "unknown design": (GOOD + '[design]\nkind = "grid"\n', "design.kind"),
    "sobol samples not a power of 2": (
        GOOD.replace("[0.0, 0.6]", "{ low = 0.0, high = 1.0 }") + '[design]\nkind = "sobol"\nsamples = 100\n',
        "design.samples"),
    "a range without levels in a factorial": (GOOD.replace("[0.0, 0.6]", "{ low = 0.0, high = 1.0 }"),
                                              "vary.levers.faq_quality"),
    "unknown metric": (GOOD + '[outputs]\nevery_step = ["trust"]\n', "outputs.every_step"),
    "unknown policy": (GOOD + 'policy = ["faq", "magic"]\n', "vary.policy[1]"),
    "missing base scenario": (GOOD.replace("{baseline}", "nowhere.toml"), "scenario"),
    "the seed varied": (GOOD + "seed = [1, 2]\n", "vary.seed"),
    "malformed TOML": (GOOD + "\nreplications = = 3\n", "line"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_experiment_file_gives_one_line_naming_file_and_field(case, tmp_path, capsys):
    text, field = BAD[case]
    path = write_experiment(tmp_path, text, "bad.toml")
    code = main(["sweep", str(path), "--sequential", "--out", str(tmp_path / "results")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1, err
    assert str(path) in err and field in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "results").exists()  # nothing started


def test_missing_file_as_a_real_process(tmp_path):
    missing = tmp_path / "nope.toml"
    proc = cli("sweep", missing, "--quiet")
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"crmsim: error: {missing}: no such file"
    assert proc.stdout == ""


def test_bad_field_as_a_real_process_has_no_traceback(tmp_path):
    path = write_experiment(tmp_path, BAD["unknown design"][0], "bad.toml")
    proc = cli("sweep", path, "--sequential")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "design.kind" in proc.stderr and str(path) in proc.stderr


def test_spec_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse_experiment({"scenario": {}, "vary": {"faq_quality": {"low": 1.0, "high": 0.0}}}, "x.toml")
    assert issubclass(SpecError, ValueError)


@pytest.mark.parametrize("argv, words", [
    (["--dask", "nowhere"], "--dask"),
    (["--sequential", "--workers", "2"], "--workers"),
    (["--dask", "tcp://127.0.0.1:1", "--workers", "2"], "--workers"),
])
def test_bad_backend_options_give_exit_code_2(argv, words, capsys):
    code = main(["sweep", str(TEST_GRID), *argv])
    err = capsys.readouterr().err
    assert code == 2 and words in err and err.count("\n") == 1


def test_a_run_that_raises_names_the_run_keeps_finished_chunks_and_exits_1(tmp_path, monkeypatch, capsys):
    from crmsim.experiments.store import ResultStore

    fail_models_of_size(monkeypatch, 150)  # every input is valid; the model fails inside the second point's run
    path = write_experiment(tmp_path, """
scenario = "{baseline}"
steps = 2
[vary]
population.n_citizens = [100, 150]
""", "fails.toml")
    code = main(["sweep", str(path), "--sequential", "--chunk-size", "1", "--quiet", "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert "run 1 (point 1, replicate 0, seed " in err and "a fault inside the model" in err and "--resume" in err
    assert ResultStore(tmp_path / "r" / "fails").done_run_ids() == {0}
