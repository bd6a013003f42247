"""What a worker does: run a chunk of runs and return their rows.

This module is what travels to worker processes and Dask workers, so it is
small and its arguments are plain data: the base scenario as a dict (the
scenario's pydantic classes are generated at import time and are rebuilt on
the worker by ``parse_scenario``), the metrics to keep, and the run tasks.

Each run gives rows in tidy (long) form::

    kind    run_id point replicate seed  <factor columns...>  step metric     value
    series  12     6     0         ...   ...                  0    trust_mean 0.45
    ...
    final   12     6     0         ...   ...                  52   take_up    0.74

``series`` rows hold the ``every_step`` metrics at every step (row 0 is the
initial state); ``final`` rows hold the ``at_end`` (and ``every_step``)
metrics at the last step: the per-run summary.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
import pandas as pd

__all__ = ["RunTask", "Chunk", "RunError", "scenario_of", "rows_of", "run_one", "run_chunk", "COLUMNS",
           "SCENARIO_FACTOR"]

SCENARIO_FACTOR = "scenario"  # a factor whose values are whole scenario files (experiments.spec)

# Key columns of every results row, before the factor columns.
KEY_COLUMNS = ("kind", "run_id", "point", "replicate", "seed")
COLUMNS = (*KEY_COLUMNS, "step", "metric", "value")


@dataclass(frozen=True)
class RunTask:
    """One run: its id, design point, replicate, seed and the values of the varied parameters.

    ``values`` pairs each factor name (a results column) with its value; the
    chunk's ``paths`` say which scenario field each factor sets.
    """

    run_id: int
    point: int
    replicate: int
    seed: int
    values: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Chunk:
    """Runs sent to a worker together, with what they share."""

    base: dict[str, Any]
    paths: tuple[tuple[str, str], ...]
    every_step: tuple[str, ...]
    final: tuple[str, ...]
    tasks: tuple[RunTask, ...]
    scenarios: tuple[tuple[str, dict[str, Any]], ...] = ()  # vary.scenario: each file's scenario by label
    share_warmups: bool = True  # consecutive runs of one world and seed branch one warm-up


def scenario_of(task: RunTask, base: dict[str, Any], paths: dict[str, str],
                scenarios: dict[str, dict[str, Any]] | None = None) -> Any:
    """The validated scenario of one task.

    A task whose values name a ``scenario`` (``vary.scenario``) starts from
    that file's scenario in ``scenarios`` instead of ``base``.
    """
    from crmsim.model.scenario import parse_scenario

    values = dict(task.values)
    if SCENARIO_FACTOR in values:
        base = (scenarios or {})[values[SCENARIO_FACTOR]]
    return parse_scenario(base, "<base scenario>").with_values(
        {paths[name]: value for name, value in values.items() if name != SCENARIO_FACTOR},
        source=f"<run {task.run_id}>")


def rows_of(task: RunTask, table: pd.DataFrame, end: dict[str, float], every_step: tuple[str, ...],
            final: tuple[str, ...]) -> pd.DataFrame:
    """A run's per-step table (the ``every_step`` metrics) and its metrics at the end (``end``) as tidy rows
    (series, then final), keyed by the task."""
    steps = table["step"].to_numpy(np.int64)
    n_steps, n_series, n_final = len(steps), len(every_step), len(final)
    frame = pd.DataFrame({
        "kind": ["series"] * (n_steps * n_series) + ["final"] * n_final,
        "step": np.concatenate([np.tile(steps, n_series), np.full(n_final, steps[-1], dtype=np.int64)]),
        "metric": [m for m in every_step for _ in range(n_steps)] + list(final),
        "value": np.concatenate([table[list(every_step)].to_numpy(np.float64).T.ravel(),
                                 np.array([end[m] for m in final], dtype=np.float64)]),
    })
    frame.insert(1, "run_id", np.int64(task.run_id))
    frame.insert(2, "point", np.int64(task.point))
    frame.insert(3, "replicate", np.int64(task.replicate))
    frame.insert(4, "seed", np.int64(task.seed))
    for i, (name, value) in enumerate(task.values):
        frame.insert(5 + i, name, value)
    return frame


def run_one(task: RunTask, base: dict[str, Any], paths: dict[str, str], every_step: tuple[str, ...],
            final: tuple[str, ...], scenarios: dict[str, dict[str, Any]] | None = None) -> pd.DataFrame:
    """Run one task from scratch (build, warm up, run) and return its tidy rows (series, then final)."""
    from crmsim.model.model import CrmModel

    model = CrmModel(scenario_of(task, base, paths, scenarios), rng=task.seed)
    return rows_of(task, model.run(record=every_step), model.final_metrics(), every_step, final)


class RunError(RuntimeError):
    """A run raised; the message names the run (id, point, replicate, seed) and the error, on one line."""


@contextlib.contextmanager
def _named(task: RunTask) -> Iterator[None]:
    """Turn any error into a RunError naming the run, on one line."""
    try:
        yield
    except Exception as err:
        text = " ".join(str(err).split())
        raise RunError(f"run {task.run_id} (point {task.point}, replicate {task.replicate}, seed {task.seed}): "
                       f"{type(err).__name__}: {text}") from err


def run_chunk(chunk: Chunk) -> pd.DataFrame:
    """Run every task of a chunk, in order, and return their rows together.

    Consecutive tasks with the same world and seed share one warm-up: the
    first builds and warms up a model, each of them runs a branch of it
    (``CrmModel.branch``: bit for bit what a fresh run gives), and the last
    one runs the warmed model itself. So a worker holds at most the warmed
    model and one branch at a time.
    """
    from crmsim.model.model import CrmModel

    paths, scenarios = dict(chunk.paths), dict(chunk.scenarios)
    specs, keys = [], []
    for task in chunk.tasks:
        with _named(task):
            specs.append(scenario_of(task, chunk.base, paths, scenarios))
            keys.append((specs[-1].world_key(), task.seed))  # what two runs must share to share a warm-up
    frames, warm = [], None
    for i, (task, scenario) in enumerate(zip(chunk.tasks, specs)):
        shared_next = chunk.share_warmups and i + 1 < len(keys) and keys[i + 1] == keys[i]
        with _named(task):
            if warm is None:
                warm = CrmModel(scenario, rng=task.seed)
                model = warm.branch(scenario) if shared_next else warm
            else:
                model = warm.branch(scenario, copy_model=shared_next)
            table = model.run(record=chunk.every_step)
            frames.append(rows_of(task, table, model.final_metrics(), chunk.every_step, chunk.final))
            del model
            if not shared_next:
                warm = None
    return pd.concat(frames, ignore_index=True)
