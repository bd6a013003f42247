"""The same experiment gives the same rows on every backend, and the store keeps its promises."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

from crmsim.experiments.evaluators import ProcessEvaluator, SequentialEvaluator
from crmsim.experiments.evaluators.dask import DaskEvaluator
from crmsim.experiments.runner import run_sweep, tasks_for
from crmsim.experiments.spec import load_experiment
from crmsim.experiments.store import ResultStore, StoreError
from tests.experiments_util import TEST_GRID, sorted_rows

BACKENDS = {
    "sequential": lambda: SequentialEvaluator(),
    "processes": lambda: ProcessEvaluator(2),
    "dask": lambda: DaskEvaluator("local", workers=2),
}


@pytest.fixture(scope="module")
def grid():
    return load_experiment(TEST_GRID)


@pytest.fixture(scope="module")
def sweeps(grid, tmp_path_factory):
    """The test grid swept once on each backend, one run per chunk (so chunks finish out of order)."""
    roots = {}
    for name, make in BACKENDS.items():
        out = tmp_path_factory.mktemp(name)
        with make() as evaluator:
            result = run_sweep(grid, out, evaluator, chunk_size=1)
        assert result.complete and result.ran == grid.n_runs == 8
        roots[name] = result.root
    return roots


def test_identical_rows_on_sequential_processes_and_dask(sweeps):
    tables = {name: sorted_rows(ResultStore(root).read()) for name, root in sweeps.items()}
    reference = tables["sequential"]
    assert len(reference) > 0
    for name in ("processes", "dask"):
        pd.testing.assert_frame_equal(tables[name], reference, check_exact=True, obj=name)


def test_rows_are_tidy_and_keyed_by_run_point_replicate_and_varied_parameters(sweeps, grid):
    rows = ResultStore(sweeps["sequential"]).read()
    assert list(rows.columns) == ["kind", "run_id", "point", "replicate", "seed", "levers.faq_quality",
                                  "levers.forum", "step", "metric", "value"]
    assert sorted(rows["run_id"].unique()) == list(range(8))
    series = rows[rows["kind"] == "series"]
    final = rows[rows["kind"] == "final"]
    # series: every step 0..10 of the every_step metrics; final: one row per kept metric at step 10
    assert series.groupby(["run_id", "metric"]).size().eq(11).all()
    assert set(series["metric"]) == set(grid.spec.outputs.every_step)
    assert final.groupby("run_id").size().eq(len(grid.spec.outputs.final)).all()
    assert final["step"].eq(10).all()
    # keys agree with the design
    for task in tasks_for(grid):
        run = final[final["run_id"] == task.run_id]
        assert run["point"].unique().tolist() == [task.point]
        assert run["replicate"].unique().tolist() == [task.replicate]
        assert run["seed"].unique().tolist() == [task.seed]
        for name, value in task.values:
            assert run[name].unique().tolist() == [value]


def test_manifest_records_spec_seed_versions_counts_and_times(sweeps, grid):
    manifest = json.loads((sweeps["dask"] / "manifest.json").read_text())
    assert manifest["experiment"] == "test_grid"
    assert manifest["master_seed"] == grid.spec.seed == 20240601
    assert manifest["run_count"] == 8 and manifest["points"] == 4 and manifest["replications"] == 2
    assert manifest["spec"]["vary"] and manifest["base_scenario"]["population"]["n_citizens"] == 200
    assert manifest["code_version"] != "unknown"
    assert {"python", "mesa", "numpy", "pandas", "pyarrow", "SALib", "dask"} <= set(manifest["packages"])
    assert manifest["started"] and manifest["finished"] and manifest["finished"] >= manifest["started"]
    (session,) = manifest["sessions"]
    assert session["backend"].startswith("dask") and session["runs_done"] == 8 and session["outcome"] == "complete"


def test_parts_are_written_atomically_and_no_temporary_file_is_left(sweeps):
    for root in sweeps.values():
        store = ResultStore(root)
        assert len(store.part_files()) == 8  # one part per finished chunk
        assert not list(root.rglob("*.tmp"))


def test_a_second_sweep_into_the_same_folder_needs_resume(grid, sweeps):
    with SequentialEvaluator() as ev, pytest.raises(StoreError, match="--resume"):
        run_sweep(grid, sweeps["sequential"].parent, ev)
    with SequentialEvaluator() as ev:  # resuming a finished sweep runs nothing
        result = run_sweep(grid, sweeps["sequential"].parent, ev, resume=True)
    assert (result.done_before, result.ran) == (8, 0)
    assert len(ResultStore(sweeps["sequential"]).part_files()) == 8


def test_resume_refuses_a_changed_experiment(grid, sweeps, tmp_path):
    changed = TEST_GRID.read_text().replace("replications = 2", "replications = 3")
    path = tmp_path / "test_grid.toml"
    path.write_text(changed.replace("../scenarios", str(TEST_GRID.parent.parent / "scenarios")))
    with SequentialEvaluator() as ev, pytest.raises(StoreError, match="changed"):
        run_sweep(load_experiment(path), sweeps["sequential"].parent, ev, resume=True)


def test_a_folder_being_written_is_locked(grid, tmp_path):
    store = ResultStore(tmp_path / "test_grid")
    with store.lock(), SequentialEvaluator() as ev, pytest.raises(StoreError, match="another sweep"):
        run_sweep(grid, tmp_path, ev)


def _die_once(arg):
    """Kill the worker process the first time (any worker), then return the value."""
    marker, value = arg
    if not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return value


def test_process_pool_replaces_a_dead_worker_and_loses_no_chunk(tmp_path):
    marker = str(tmp_path / "died")
    with ProcessEvaluator(2) as ev:
        results = dict(ev.map_chunks(_die_once, [(marker, i) for i in range(6)]))
    assert os.path.exists(marker)
    assert results == {i: i for i in range(6)}
