"""One warm-up per world: runs of one world and replicate share it, and give the rows fresh runs give.

A sweep sends a worker one chunk per (world, replicate) (``runner.plan_chunks``);
the worker warms up once and branches into each run (``execute.run_chunk``).
Each test compares a grouped sweep with the same sweep run ungrouped
(``share_warmups=False``: every run builds and warms up its own model), row
for row, to the last bit.
"""

from __future__ import annotations

import signal
import subprocess
import time

import pandas as pd
import pytest

from crmsim.experiments.evaluators import ProcessEvaluator, SequentialEvaluator
from crmsim.experiments.evaluators.dask import DaskEvaluator
from crmsim.experiments.execute import scenario_of
from crmsim.experiments.progress import ProgressLines, duration
from crmsim.experiments.runner import plan_chunks, run_sweep, task_for, work_shares, world_of_points
from crmsim.experiments.spec import load_experiment, parse_experiment
from crmsim.experiments.store import ResultStore
from crmsim.model import model as model_module
from tests.experiments_util import BASELINE, PYTHON, ROOT, env, sorted_rows, write_experiment

# Two worlds (population sizes) x three policies x three replicates, with a short warm-up: 18 runs.
WORLDS = {
    "name": "worlds", "scenario": str(BASELINE), "steps": 6, "replications": 3, "seed": 5,
    "set": {"warmup": 20, "population": {"prescribers_per_1000": 20}},
    "vary": {"policy": ["supply_front_office", "faq", "full_mediation"], "population": {"n_citizens": [120, 160]}},
    "outputs": {"every_step": ["trust_mean", "take_up"], "at_end": "all"},
}


@pytest.fixture(scope="module")
def worlds():
    return parse_experiment(WORLDS, "worlds", ".")


@pytest.fixture(scope="module")
def ungrouped(worlds, tmp_path_factory):
    with SequentialEvaluator() as ev:
        result = run_sweep(worlds, tmp_path_factory.mktemp("ungrouped"), ev, share_warmups=False)
    assert result.complete
    return sorted_rows(ResultStore(result.root).read())


@pytest.mark.parametrize("backend", ["processes", "dask"])
def test_a_grouped_sweep_gives_the_ungrouped_rows(worlds, ungrouped, backend, tmp_path):
    make = {"processes": lambda: ProcessEvaluator(2), "dask": lambda: DaskEvaluator("local", workers=2)}[backend]
    with make() as ev:
        result = run_sweep(worlds, tmp_path, ev)
    assert result.complete and result.ran == 18
    store = ResultStore(result.root)
    assert len(store.part_files()) < 18  # runs did share chunks (so warm-ups): one part per chunk
    pd.testing.assert_frame_equal(sorted_rows(store.read()), ungrouped, check_exact=True)


def test_a_chunk_warms_up_once_per_world_and_replicate(worlds, ungrouped, tmp_path, monkeypatch):
    """Counted in this process: one model built per (population size, replicate), never one for two sizes."""
    built: list[tuple[int, int]] = []
    real_init = model_module.CrmModel.__init__

    def counting_init(self, spec=None, *, rng=None, **kwargs):
        real_init(self, spec, rng=rng, **kwargs)
        built.append((self.spec.population.n_citizens, self.spec.seed if rng is None else rng))

    monkeypatch.setattr(model_module.CrmModel, "__init__", counting_init)
    with SequentialEvaluator() as ev:
        result = run_sweep(worlds, tmp_path, ev)
    assert sorted(built) == sorted(set(built)) and len(built) == 2 * 3  # 2 worlds x 3 replicates, each once
    pd.testing.assert_frame_equal(sorted_rows(ResultStore(result.root).read()), ungrouped, check_exact=True)


def test_a_world_changing_factor_is_never_shared(worlds):
    """The plan's worlds are the scenarios' own: points share one exactly when ``Scenario.world()`` agrees."""
    reps, points = worlds.spec.replications, worlds.design.points
    world = world_of_points(worlds)
    base = worlds.base.model_dump(mode="json", exclude_none=True)
    real = [scenario_of(task_for(p * reps, points[p], reps, 0), base, worlds.paths).world_key()
            for p in range(len(points))]
    assert len(set(world)) == 2
    assert all((world[a] == world[b]) == (real[a] == real[b]) for a in range(len(points)) for b in range(len(points)))
    for workers in (1, 2, 8):
        for chunk in plan_chunks(worlds, set(), workers):
            sizes = {points[i // reps]["population.n_citizens"] for i in chunk}
            assert len(sizes) == 1 and len({i % reps for i in chunk}) == 1, chunk


def test_few_groups_are_split_to_keep_every_worker_busy(worlds):
    """3 replicates x 2 worlds = 6 groups of 3 runs: enough for 1 worker, split for 2 and more."""
    assert [len(c) for c in plan_chunks(worlds, set(), 1)] == [3] * 6
    for workers in (2, 4):
        chunks = plan_chunks(worlds, set(), workers)
        assert len(chunks) >= min(18, 4 * workers) and sorted(i for c in chunks for i in c) == list(range(18))
    done = {0, 4, 9}
    assert sorted(i for c in plan_chunks(worlds, done, 2) for i in c) == sorted(set(range(18)) - done)


def test_time_left_is_honest_when_each_chunk_warms_up_first(worlds):
    """Chunks of 3 runs, then of 1: each pays a 20-week warm-up, so counting runs would promise too early an end."""
    sizes = [3, 3, 1, 1, 1, 1]
    shares = work_shares(worlds, sizes)
    seconds = [worlds.base.warmup + n * worlds.base.steps for n in sizes]  # a week costs one second here
    clock = [0.0]
    progress = ProgressLines("x", total=sum(sizes), done=0, write=lambda _: None, clock=lambda: clock[0],
                             every_seconds=None)
    for k, (n, share) in enumerate(zip(sizes, shares)):
        clock[0] += seconds[k]
        progress.update(n, share)
        assert progress.pace().endswith(f"about {duration(sum(seconds[k + 1:]))} left")


GROUPED_SWEEP = """
name = "grouped"
scenario = "{baseline}"
steps = 26
replications = 8
seed = 3
[set]
warmup = 52
population.n_citizens = 500
[vary]
levers.faq_quality = [0.0, 0.3, 0.6, 0.9]
[outputs]
every_step = ["trust_mean", "knowledge_gini"]
at_end = ["trust_mean", "knowledge_gini", "redress_success", "take_up"]
"""


def test_sigkill_in_the_middle_of_a_grouped_chunk_then_resume_loses_and_duplicates_nothing(tmp_path):
    path = write_experiment(tmp_path, GROUPED_SWEEP, "grouped.toml")
    experiment = load_experiment(path)
    with SequentialEvaluator() as ev:
        reference = sorted_rows(ResultStore(run_sweep(experiment, tmp_path / "reference", ev,
                                                      share_warmups=False).root).read())
    store = ResultStore(tmp_path / "out" / "grouped")
    proc = subprocess.Popen([PYTHON, "-m", "crmsim", "sweep", str(path), "--out", str(tmp_path / "out"),
                             "--sequential", "--quiet"], cwd=ROOT, env=env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while len(store.part_files()) < 2:  # 8 chunks of 4 runs; kill as the third one has begun
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "timed out waiting for 2 parts"
            time.sleep(0.01)
        time.sleep(0.02)  # into the third chunk, begun as the second was saved (a chunk takes 0.1 s or more)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    done = store.done_run_ids()
    assert len(done) == 8, f"expected 2 whole chunks of 4 runs saved, got {len(done)} runs"

    proc = subprocess.run([PYTHON, "-m", "crmsim", "sweep", str(path), "--out", str(tmp_path / "out"),
                           "--resume", "--workers", "2", "--quiet"], cwd=ROOT, env=env(), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    ids = [i for p in store.part_files() for i in pd.read_parquet(p, columns=["run_id"])["run_id"].unique()]
    assert len(ids) == len(set(ids)) == 32, "a run lost, or saved twice"
    pd.testing.assert_frame_equal(sorted_rows(store.read()), reference, check_exact=True)
