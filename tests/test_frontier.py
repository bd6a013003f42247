"""The efficiency frontier: it recovers known fronts, replays to the same front, and meets bad input with one line.

Known answers:
- DTLZ2 (Deb et al. 2005), two objectives: the Pareto front is the quarter circle f1^2 + f2^2 = 1 (reached when
  every variable but the first is 0.5). The search must put every point of its archive within 0.05 of it and
  spread them over the arc.
- A two-lever toy version of the model (300 citizens, 8 weeks): with common random numbers each setting's
  objectives are a fixed function of its levers, so the front of a fine grid of settings is a front the search
  can be held to. Its front must cover at least 90% of the grid front's hypervolume (on bounds spanning both):
  the search sees the whole continuous square, the grid only 81 points, so it may do better, never much worse.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from crmsim.commands import main
from crmsim.experiments.described import read_metrics
from crmsim.experiments.evaluators import ProcessEvaluator, SequentialEvaluator
from crmsim.experiments.frontier import (CandidateChunk, EvaluationLog, FrontierError, FrontierSearch, Objective,
                                         _ema, epsilon_gap, evaluate_chunk, hypervolumes, nondominated, optimise,
                                         parse_frontier, placements)
from crmsim.experiments.seeds import replicate_seed
from crmsim.model.metrics import INFO
from crmsim.model.model import CrmModel
from crmsim.model.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASE = str(ROOT / "scenarios" / "calibrated_baseline.toml")


def toy(evaluations: int = 60, **search: object) -> dict:
    """A frontier file as a dict: two levers, two objectives, a small fast world."""
    return {"name": "toy", "scenario": BASE, "steps": 8, "replications": 2, "seed": 7,
            "set": {"population.n_citizens": 300, "population.prescribers_per_1000": 20, "warmup": 8},
            "vary": {"levers.counter_staff": {"low": 0.2, "high": 2.0},
                     "levers.funded_prescribers": {"low": 0.0, "high": 1.0}},
            "search": {"evaluations": evaluations, "population": 16, "snapshot_every": 32,
                       "objectives": {"public_cost_per_citizen": {"epsilon": 0.2},
                                      "non_take_up_bottom": {"epsilon": 0.002}}, **search}}


# --- known fronts ------------------------------------------------------------------------------------

def test_dtlz2_front_is_recovered():
    ema = _ema()

    def dtlz2(**x: float) -> dict[str, float]:
        xs = [x[f"x{i}"] for i in range(6)]
        g = sum((v - 0.5) ** 2 for v in xs[1:])
        return {"f1": (1 + g) * math.cos(xs[0] * math.pi / 2), "f2": (1 + g) * math.sin(xs[0] * math.pi / 2)}

    class Direct(ema.em_framework.evaluators.BaseEvaluator):
        def initialize(self) -> None: ...
        def finalize(self) -> None: ...
        def evaluate_experiments(self, experiments, callback, **_):
            for e in experiments:
                callback(e, dtlz2(**{k: e.policy[k] for k in e.policy.keys()}))

    model = ema.Model("dtlz2", function=dtlz2)
    model.levers = [ema.RealParameter(f"x{i}", 0, 1) for i in range(6)]
    model.outcomes = [ema.ScalarOutcome(f, kind=ema.ScalarOutcome.MINIMIZE) for f in ("f1", "f2")]
    archive, convergence, snapshots = optimise(model, Direct(model), epsilons=[0.05, 0.05], population=40,
                                               evaluations=4000, seed=1, snapshot_every=1000)
    radius = np.hypot(archive["f1"], archive["f2"])
    assert np.abs(radius - 1).max() < 0.05
    angles = np.arctan2(archive["f2"], archive["f1"])
    assert angles.min() < 0.15 and angles.max() > math.pi / 2 - 0.15  # spread to both ends of the arc
    assert len(archive) >= 10
    assert convergence["nfe"].is_monotonic_increasing and convergence["epsilon_progress"].iloc[-1] > 0
    objectives = (Objective("f1", "lower", 0.05), Objective("f2", "lower", 0.05))
    volumes = hypervolumes(snapshots, objectives)
    assert volumes[-1] >= volumes[0] - 1e-9  # the front only grows outwards


def test_two_lever_toy_front_matches_a_fine_grid():
    frontier = parse_frontier(toy(evaluations=160), "<toy>")
    objectives = frontier.objectives
    with ProcessEvaluator(2) as engine:
        search = FrontierSearch(frontier, engine)
        found = search.run().front
        grid = [[float(a), float(b)] for a, b in itertools.product(np.linspace(0.2, 2.0, 9), np.linspace(0, 1, 9))]
        means = search.run_settings(grid).mean(axis=1)
    grid_front = means[nondominated(means, objectives)]
    found_points = found[[o.metric for o in objectives]].to_numpy()
    both = pd.DataFrame(np.vstack([grid_front, found_points]), columns=[o.metric for o in objectives])
    volumes = hypervolumes([(0, both), (1, both.iloc[:len(grid_front)]), (2, both.iloc[len(grid_front):])],
                           objectives)
    assert len(grid_front) >= 3, "the toy must have a real trade-off for this test to mean something"
    assert volumes[2] >= 0.9 * volumes[1], (volumes, grid_front, found_points)


# --- the evaluations ---------------------------------------------------------------------------------

def test_an_evaluation_is_bit_for_bit_a_fresh_run():
    frontier = parse_frontier(toy(), "<toy>")
    base = frontier.experiment.base
    seed = replicate_seed(7, 1)
    values = (("levers.counter_staff", 1.3), ("levers.funded_prescribers", 0.4))
    chunk = CandidateChunk(base.model_dump(mode="json", exclude_none=True), ((values, seed), (values, seed)),
                           ("public_cost_per_citizen", "non_take_up_bottom", "trust_mean"))
    first, again = evaluate_chunk(chunk)  # the second branches the warmed model the first built
    fresh = CrmModel(base.with_values(dict(values)), rng=seed).run().iloc[-1]
    assert first == again == [float(fresh[m]) for m in chunk.metrics]


def test_a_resumed_search_replays_to_the_same_front_running_only_what_was_not_saved():
    frontier = parse_frontier(toy(evaluations=48), "<toy>")
    with SequentialEvaluator() as engine:
        whole = FrontierSearch(frontier, engine).run()
        saved = whole.evaluations.iloc[:20]
        log = EvaluationLog(list(frontier.levers), [o.metric for o in frontier.objectives], saved)
        resumed = FrontierSearch(frontier, engine, log).run()
    pd.testing.assert_frame_equal(resumed.front, whole.front)
    pd.testing.assert_frame_equal(resumed.evaluations, whole.evaluations)
    assert resumed.ran == (len(whole.evaluations) - 20) * frontier.replications


def test_epsilon_gap_counts_the_worst_margin_of_the_best_beating_point():
    objectives = (Objective("cost", "lower", 1.0), Objective("trust", "higher", 0.01))
    front = pd.DataFrame({"point": [1, 2], "cost": [10.0, 20.0], "trust": [0.50, 0.60]})
    gap, point = epsilon_gap({"cost": 25.0, "trust": 0.52}, front, objectives)
    # Point 1 is cheaper by 15 epsilons but trusts less (-2); point 2 is cheaper by 5 and trusts more by 8.
    assert (gap, point) == (pytest.approx(5.0), 2)
    gap, _ = epsilon_gap({"cost": 5.0, "trust": 0.55}, front, objectives)
    assert gap < 0  # cheaper than the whole front: nothing beats it on both
    table = placements({"a": {"cost": 25.0, "trust": 0.52}}, front, objectives)
    assert table.loc[0, "status"] == "behind the front" and table.loc[0, "nearest_point"] == 2


# --- the command -------------------------------------------------------------------------------------

def write(path: Path, data: dict) -> Path:
    """``data`` as a TOML file: top-level values, then one table per section, nested tables inline."""
    from crmsim.experiments.discovery import toml_text

    def value(v: object) -> str:
        if isinstance(v, dict):
            return "{ " + ", ".join(f'"{k}" = {value(x)}' for k, x in v.items()) + " }"
        return toml_text(v)

    lines = [f"{k} = {value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for section, table in data.items():
        if isinstance(table, dict):
            lines += ["", f"[{section}]", *(f'"{k}" = {value(v)}' for k, v in table.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def assert_page_draws_offline(page_file: Path) -> None:
    """The page opens in Chromium with no request leaving the machine, and plotly draws both figures."""
    from tests.browser import RequestLog, open_browser

    with open_browser() as browser:
        context = browser.new_context()
        log = RequestLog().attach(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto(page_file.as_uri())
        page.wait_for_selector(".plotly-graph-div .main-svg")
        assert page.locator(".plotly-graph-div").count() == 2  # the front pairwise, the convergence
        context.close()
    assert errors == [] and log.outside() == []


def test_the_command_writes_the_front_its_scenarios_and_page_and_resumes(tmp_path, capsys):
    spec = write(tmp_path / "toy.toml", toy(evaluations=32, policies=["faq"]))
    assert main(["frontier", str(spec), "--out", str(tmp_path / "r"), "--sequential", "--quiet"]) == 0
    out = capsys.readouterr().out
    root = tmp_path / "r" / "toy"
    front = pd.read_csv(root / "front.csv")
    assert len(front) >= 1 and "The policies, same seeds" in out
    pd.testing.assert_frame_equal(pd.read_parquet(root / "front.parquet"), front, check_dtype=False)
    objectives = [name for name in front.columns if name in INFO]  # the front's Parquet says what they measure
    assert objectives and {name: info["unit"] for name, info in read_metrics(pq.read_schema(root / "front.parquet"))
                           .items()} == {name: INFO[name].unit for name in objectives}
    convergence = pd.read_csv(root / "convergence.csv")
    assert {"nfe", "epsilon_progress", "hypervolume", "front_size"} <= set(convergence.columns)
    points = sorted((root / "front").glob("point_*.toml"))
    assert len(points) == len(front)
    first = load_scenario(points[0])
    assert first.levers.counter_staff == pytest.approx(front.loc[0, "counter_staff"])
    page = (root / "frontier.html").read_text(encoding="utf-8")
    assert '<script src="http' not in page and "Every point&#x27;s levers" in page
    assert_page_draws_offline(root / "frontier.html")
    assert pd.read_csv(root / "policies.csv")["policy"].tolist() == ["faq"]
    # Again without --resume: refused; with it: nothing to run, the same front.
    assert main(["frontier", str(spec), "--out", str(tmp_path / "r"), "--sequential", "--quiet"]) == 2
    assert "--resume" in capsys.readouterr().err
    assert main(["frontier", str(spec), "--out", str(tmp_path / "r"), "--sequential", "--quiet", "--resume"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(root / "front.csv"), front)
    # An edited file may not carry on that search.
    write(spec, toy(evaluations=40, policies=["faq"]))
    assert main(["frontier", str(spec), "--out", str(tmp_path / "r"), "--sequential", "--resume"]) == 2
    assert "another file" in capsys.readouterr().err


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d.pop("search"), "search: missing"),
    (lambda d: d["search"]["objectives"].update(speed={"epsilon": 1.0}), "search.objectives.speed: not a metric"),
    (lambda d: d["search"]["objectives"]["non_take_up_bottom"].update(epsilon=0.0), "search.objectives."),
    (lambda d: d["search"]["objectives"].pop("non_take_up_bottom"), "at least 2"),
    (lambda d: d["search"].update(population=100), "search.population: 100 is above evaluations"),
    (lambda d: d["search"].update(policies=["nope"]), "search.policies[0]: unknown policy 'nope'"),
    (lambda d: d["search"].update(budget=3), "search.budget: unknown field"),
    (lambda d: d["vary"].update({"population.informal_share": [0.3, 0.6]}), "changes the world"),
    (lambda d: d.update(design={"kind": "full_factorial"}), "design: not used by a frontier"),
    (lambda d: d["vary"].update({"levers.counter_staff": {"low": 0.2, "high": 19.0}}), "vary.levers.counter_staff"),
])
def test_bad_frontier_files_get_one_line_naming_the_field(tmp_path, capsys, change, expected):
    data = toy()
    change(data)
    with pytest.raises(FrontierError) as err:
        parse_frontier(data, "toy.toml")
    assert expected in str(err.value) and "\n" not in str(err.value)
    spec = write(tmp_path / "toy.toml", data)
    assert main(["frontier", str(spec), "--out", str(tmp_path / "r"), "--sequential"]) == 2
    err_text = capsys.readouterr().err
    assert err_text.count("\n") == 1 and "Traceback" not in err_text


def test_a_missing_file_and_a_file_as_out_are_one_line(tmp_path, capsys):
    assert main(["frontier", str(tmp_path / "nope.toml")]) == 2
    assert "nope.toml" in capsys.readouterr().err
    spec = write(tmp_path / "toy.toml", toy())
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "toy").write_text("x")
    assert main(["frontier", str(spec), "--out", str(tmp_path / "r"), "--sequential"]) == 2
    assert "is a file" in capsys.readouterr().err


def test_the_same_front_on_every_backend_and_chunk_size():
    from crmsim.experiments.evaluators.dask import DaskEvaluator

    frontier = parse_frontier(toy(evaluations=48), "<toy>")
    fronts = []
    for engine in (SequentialEvaluator(), ProcessEvaluator(2), DaskEvaluator("local", workers=2)):
        with engine:
            fronts.append(FrontierSearch(frontier, engine).run().front)
    with SequentialEvaluator() as engine:  # and however the runs are cut into chunks
        fronts.append(FrontierSearch(frontier, engine, chunk_size=3).run().front)
    assert len(fronts[0]) >= 2
    for other in fronts[1:]:
        pd.testing.assert_frame_equal(other, fronts[0])


@pytest.mark.parametrize(("options", "expected"), [
    (["--dask", "nowhere:99999"], "--dask"),
    (["--sequential", "--workers", "2"], "--workers: not with --sequential"),
])
def test_bad_engine_options_are_one_line_and_write_nothing(tmp_path, capsys, options, expected):
    spec = write(tmp_path / "toy.toml", toy())
    assert main(["frontier", str(spec), "--out", str(tmp_path / "r"), *options]) == 2
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1
    assert not (tmp_path / "r").exists()
