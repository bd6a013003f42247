"""Nothing of a sweep outlives it: SIGKILL or SIGTERM to the sweep ends its worker processes too.

Each test starts ``python -m crmsim sweep`` as a real process
with 2 workers (local processes, or a Dask LocalCluster), waits until it has
saved a few chunks, notes every process under it (psutil), signals it, and
checks that all of them are gone within a few seconds. Before, a SIGKILL left
the fork server, the resource tracker and both workers (about 190 MB each)
running for ever. SIGTERM is handled like Ctrl-C: exit code 143, the session
closed in the manifest as "interrupted (SIGTERM)", the saved parts whole.
"""

from __future__ import annotations

import signal
import subprocess
import time

import psutil
import pytest

from crmsim.experiments.evaluators.processes import available_cores
from crmsim.experiments.store import ResultStore
from tests.experiments_util import PYTHON, ROOT, SLOW_SWEEP, env, write_experiment

# 40 runs of 4000 citizens (about 0.3 s each): long enough to be stopped midway.
SLOWER = SLOW_SWEEP.replace("warmup = 52", "warmup = 208").replace("population.n_citizens = 500",
                                                                  "population.n_citizens = 4000")
WORKERS = str(min(2, available_cores()))  # more would be lowered, with a warning on stderr
BACKENDS = {"processes": ["--workers", WORKERS], "dask": ["--dask", "local", "--workers", WORKERS]}


def _alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    alive = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except psutil.NoSuchProcess:
            pass
    return alive


@pytest.fixture
def reaper():
    """A list to put processes in; any still running after the test (it failed) is killed, not leaked."""
    processes: list[psutil.Process] = []
    yield processes
    for process in _alive(processes):
        process.kill()


def _start_and_stop(tmp_path, backend: str, signum: int,
                    reaper: list[psutil.Process]) -> tuple[subprocess.Popen, ResultStore, list]:
    path = write_experiment(tmp_path, SLOWER, "slower.toml")
    store = ResultStore(tmp_path / "out" / "slow")
    proc = subprocess.Popen([PYTHON, "-m", "crmsim", "sweep", str(path), "--out", str(tmp_path / "out"),
                             "--chunk-size", "1", "--quiet", *BACKENDS[backend]], cwd=ROOT, env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    descendants: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 120
        while len(store.part_files()) < 3:
            assert proc.poll() is None, f"the sweep ended ({proc.returncode}) too early: {proc.stderr.read()}"
            assert time.monotonic() < deadline, "timed out waiting for 3 parts"
            time.sleep(0.05)
        descendants = psutil.Process(proc.pid).children(recursive=True)
        reaper.extend(descendants)
        proc.send_signal(signum)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc, store, descendants


def _gone_within(descendants: list[psutil.Process], seconds: float) -> list[psutil.Process]:
    deadline = time.monotonic() + seconds
    while _alive(descendants) and time.monotonic() < deadline:
        time.sleep(0.05)
    return _alive(descendants)


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_sigkill_to_the_sweep_ends_its_workers(backend, tmp_path, reaper):
    proc, store, descendants = _start_and_stop(tmp_path, backend, signal.SIGKILL, reaper)
    assert proc.returncode == -signal.SIGKILL
    assert len(descendants) >= 3, [p.cmdline()[-1][:60] for p in descendants]  # 2 workers and their helpers
    left = _gone_within(descendants, 5)
    assert not left, [(p.pid, " ".join(p.cmdline())[:100]) for p in left]
    assert store.read_manifest()["finished"] is None  # killed: nobody could write the end


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_sigterm_to_the_sweep_stops_it_like_ctrl_c(backend, tmp_path, reaper):
    proc, store, descendants = _start_and_stop(tmp_path, backend, signal.SIGTERM, reaper)
    stderr = proc.stderr.read()
    assert proc.returncode == 143, stderr
    assert stderr.splitlines()[-1] == "stopped by SIGTERM: finished chunks are saved; continue with --resume"
    # No traceback of ours (Dask's workers may log their cancelled tasks, with Dask's own tracebacks).
    assert str(ROOT / "experiments") not in stderr and "KeyboardInterrupt" not in stderr, stderr
    if backend == "processes":
        assert stderr == "\nstopped by SIGTERM: finished chunks are saved; continue with --resume\n"
    left = _gone_within(descendants, 5)
    assert not left, [(p.pid, " ".join(p.cmdline())[:100]) for p in left]
    manifest = store.read_manifest()
    (session,) = manifest["sessions"]
    assert session["outcome"] == "interrupted (SIGTERM)" and session["finished"] is not None
    assert manifest["finished"] is None
    done = store.done_run_ids()  # the parts are whole and belong to the sweep
    assert 3 <= len(done) < 40 and session["runs_done"] == len(done)


def test_an_interrupt_inside_a_held_block_waits_for_its_end_then_stops():
    import os

    from crmsim.experiments.interrupt import Terminated, interrupts_held, sigterm_as_interrupt

    before = signal.getsignal(signal.SIGINT)
    for signum, stopped in ((signal.SIGTERM, Terminated), (signal.SIGINT, KeyboardInterrupt)):
        finished = []
        with pytest.raises(stopped), sigterm_as_interrupt():
            with interrupts_held():
                os.kill(os.getpid(), signum)
                time.sleep(0.05)  # the handler has run by now: it must have held the interrupt back
                with interrupts_held():  # nested: still held
                    finished.append("inner")
                finished.append("outer")
        assert finished == ["inner", "outer"], signum
    assert signal.getsignal(signal.SIGINT) == before  # restored
