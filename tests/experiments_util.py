"""Helpers shared by the tests of experiments/ (not a test module itself)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
BASELINE = ROOT / "scenarios" / "supply_front_office.toml"
TEST_GRID = ROOT / "experiments" / "test_grid.toml"


def env() -> dict[str, str]:
    """The environment for subprocesses: this repository importable."""
    return dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def cli(*args: str, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    """``python -m crmsim ARGS`` as a real process, output captured."""
    return subprocess.run([PYTHON, "-m", "crmsim", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env=env(), timeout=timeout, **kwargs)


def write_experiment(folder: Path, text: str, name: str = "exp.toml") -> Path:
    """An experiment file in ``folder``; ``{baseline}`` becomes the baseline scenario's path."""
    path = folder / name
    path.write_text(text.replace("{baseline}", BASELINE.as_posix()), encoding="utf-8")
    return path


def fail_models_of_size(monkeypatch, n_citizens: int) -> None:
    """Make every model of ``n_citizens`` citizens raise in its first step, in this process: a fault inside
    the model that no read-time check can see."""
    from crmsim.model.model import CrmModel

    original = CrmModel.step

    def failing_step(self):
        if self.n_citizens == n_citizens:
            raise RuntimeError("a fault inside the model")
        original(self)

    monkeypatch.setattr(CrmModel, "step", failing_step)


def sorted_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in a canonical order, for comparing two sweeps."""
    return frame.sort_values(["run_id", "kind", "step", "metric"], kind="stable").reset_index(drop=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# A sweep long enough to be interrupted: 4 points x 10 replicates = 40 runs of about 0.1 s (500 citizens, a year's
# warm-up, a year recorded), so a kill once 5 or 6 parts are saved lands midway whatever the engine.
SLOW_SWEEP = """
name = "slow"
scenario = "{baseline}"
steps = 52
replications = 10
seed = 11
[set]
warmup = 52
population.n_citizens = 500
[vary]
levers.faq_quality = [0.0, 0.3, 0.6, 0.9]
[outputs]
every_step = ["trust_mean", "knowledge_gini"]
at_end = ["trust_mean", "knowledge_gini", "redress_success", "take_up"]
"""


# Common random numbers: 2 FAQ qualities (a lever: the warm-up does not see it) x 3 replicates,
# a short warm-up and few citizens (well under a second in all).
PAIRED_SWEEP = """
name = "paired"
scenario = "{baseline}"
steps = 4
replications = 3
seed = 5
[set]
warmup = 5
population.n_citizens = 150
population.prescribers_per_1000 = 20
[vary]
levers.faq_quality = [0.0, 0.9]
[outputs]
every_step = "all"
at_end = ["trust_mean", "knowledge_mean", "knowledge_gini", "take_up"]
"""


def crmsim_in_process(*args: str) -> subprocess.CompletedProcess:
    """``crmsim ARGS`` in this process (``crmsim.commands.main``), its output captured as a process's would be.

    For tests of what a command does and says: the same code path without the seconds a fresh interpreter
    spends importing pandas, Dask or pyabc. Signals and exit-at-any-cost behaviour need a real process.
    """
    import contextlib
    import io

    from crmsim.commands import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())
