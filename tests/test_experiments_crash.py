"""Crashes lose nothing: a sweep killed with SIGKILL resumes, a Dask worker killed midway is replaced.

Both tests use real processes: the sweep is ``python -m crmsim sweep``
started as a subprocess, and the Dask cluster is ``dask scheduler`` and two
``dask worker`` processes on 127.0.0.1. Each is compared with the same
sweep run without interruption: the same run ids, none twice, identical rows.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from crmsim.experiments.evaluators import SequentialEvaluator
from crmsim.experiments.evaluators.processes import available_cores
from crmsim.experiments.runner import run_sweep
from crmsim.experiments.spec import load_experiment
from crmsim.experiments.store import ResultStore
from tests.experiments_util import PYTHON, ROOT, SLOW_SWEEP, env, free_port, sorted_rows, write_experiment

DASK = Path(sys.executable).with_name("dask")


@pytest.fixture(scope="module")
def slow(tmp_path_factory):
    """The slow experiment file and its uninterrupted sweep (sequential, in this process)."""
    folder = tmp_path_factory.mktemp("slow")
    path = write_experiment(folder, SLOW_SWEEP, "slow.toml")
    with SequentialEvaluator() as ev:
        result = run_sweep(load_experiment(path), folder / "reference", ev)
    assert result.complete
    return path, sorted_rows(ResultStore(result.root).read())


def _wait_for(predicate, timeout: float, what: str, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the sweep ended ({proc.returncode}) before {what}: {proc.stderr.read()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _sweep_process(path: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([PYTHON, "-m", "crmsim", "sweep", str(path), "--out", str(out), "--chunk-size", "1",
                             *extra], cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _assert_same_runs(store: ResultStore, reference: pd.DataFrame) -> None:
    rows = store.read()
    per_part = [set(pd.read_parquet(p, columns=["run_id"])["run_id"]) for p in store.part_files()]
    all_ids = [i for ids in per_part for i in ids]
    assert len(all_ids) == len(set(all_ids)), "a run is saved in two parts"
    assert set(all_ids) == set(reference["run_id"]), "runs lost or extra"
    assert not rows.duplicated(["run_id", "kind", "step", "metric"]).any(), "duplicated rows"
    pd.testing.assert_frame_equal(sorted_rows(rows), reference, check_exact=True)


def test_sigkill_midway_then_resume_gives_the_uninterrupted_rows(slow, tmp_path):
    path, reference = slow
    store = ResultStore(tmp_path / "slow")
    proc = _sweep_process(path, tmp_path, "--sequential", "--quiet")
    try:
        _wait_for(lambda: len(store.part_files()) >= 5, 60, "5 parts", proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    done = store.done_run_ids()
    assert 5 <= len(done) < 40, f"the kill was not midway: {len(done)} runs saved"
    assert store.read_manifest()["finished"] is None
    # A temporary file a killed writer could leave behind is not a part, and is cleaned on resume.
    (store.parts_dir / ".part-999999999-dead.parquet.1.tmp").write_bytes(b"half a file")

    workers = str(min(2, available_cores()))  # more would be lowered, with a warning on stderr
    proc = _sweep_process(path, tmp_path, "--resume", "--workers", workers, "--quiet")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert out == "" and err == ""  # --quiet
    _assert_same_runs(store, reference)
    assert not list(store.parts_dir.glob("*.tmp"))
    manifest = store.read_manifest()
    assert manifest["finished"] is not None and len(manifest["sessions"]) == 2
    assert manifest["sessions"][0]["finished"] is None  # the killed session never closed
    assert sum(s.get("runs_done", 0) for s in manifest["sessions"]) == 40 - len(done)


def _kill_group(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:  # pragma: no cover
        pass


def test_killing_a_dask_worker_midway_loses_nothing(slow, tmp_path):
    from distributed import Client

    assert DASK.exists(), f"{DASK}: the dask command comes with dask[distributed], a dependency"

    path, reference = slow
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path / "logs"
    logs.mkdir()

    def start(name: str, *args: str) -> subprocess.Popen:
        log = open(logs / f"{name}.log", "w")
        # Its own process group, so a worker's nanny and worker process die together.
        return subprocess.Popen([str(DASK), *args], cwd=ROOT, env=env(), stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)

    processes: list[subprocess.Popen] = []
    try:
        processes.append(start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"))
        for i in range(2):
            processes.append(start(f"worker{i}", "worker", address, "--nthreads", "1", "--no-dashboard",
                                   "--host", "127.0.0.1", "--local-directory", str(tmp_path / f"worker{i}")))
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=90)

        store = ResultStore(tmp_path / "slow")
        sweep = _sweep_process(path, tmp_path, "--dask", address, "--quiet")
        try:
            _wait_for(lambda: len(store.part_files()) >= 6, 120, "6 parts", sweep)
            victim = processes[1]
            os.killpg(victim.pid, signal.SIGKILL)
            victim.wait(10)
            saved_at_kill = len(store.done_run_ids())
            out, err = sweep.communicate(timeout=300)
        finally:
            if sweep.poll() is None:
                sweep.kill()
                sweep.wait()
        assert sweep.returncode == 0, err
        assert saved_at_kill < 40, "the worker was killed after the end"
        _assert_same_runs(store, reference)
        assert store.read_manifest()["finished"] is not None
        with Client(address, timeout=30) as client:
            assert len(client.scheduler_info()["workers"]) == 1  # the killed worker did not come back
    finally:
        for proc in reversed(processes):
            _kill_group(proc)
