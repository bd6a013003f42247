"""Paired comparisons for the model's statistical tests: common random numbers, one warm-up per seed.

Two scenarios that differ only in their policy or levers share their warm-up
exactly for a given seed (the warm-up runs under the baseline levers), so each
seed is warmed up once and branched into every variant (``CrmModel.branch``,
identical to a fresh run). The paired differences over seeds then carry only
the noise the policy itself adds, and a 95% t interval on them (scipy) says
whether an effect is there.

Statistical conventions of the tests that use this:

- a directional claim passes when the 95% interval of the mean paired
  difference lies on the expected side of zero; the effects tested are
  several standard errors from zero (each test's docstring gives the margin
  measured), so a false failure has a chance well under 1 in 1000;
- a "does not" claim (no cut, no pass-through) bounds the whole interval by a
  stated tolerance, so it cannot pass merely for lack of seeds.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from crmsim.model import CrmModel
from crmsim.model.scenario import Scenario
from tests.shared_runs import per_seed

__all__ = ["SEEDS", "Interval", "finals", "paired", "warmed"]

SEEDS = range(16)
_WARMED: dict[tuple[int, str], CrmModel] = {}
_FINALS: dict[tuple[str, tuple[int, ...]], pd.DataFrame] = {}


def warmed(scenario: Scenario, seed: int) -> CrmModel:
    """The model of ``scenario``'s world and ``seed`` right after its warm-up (cached for the session)."""
    key = (seed, json.dumps(scenario.world(), sort_keys=True))
    if key not in _WARMED:
        _WARMED[key] = CrmModel(scenario, rng=seed)
    return _WARMED[key]


def finals(scenario: Scenario, seeds=SEEDS, steps: int = 52) -> pd.DataFrame:
    """Every metric after ``steps`` policy weeks, one row per seed (index: the seed).

    Cached for the session by what the runs depend on (every parameter, the
    world, the seeds and the steps), so tests comparing against the same
    baseline run it once, on whichever xdist worker needs it first
    (tests/shared_runs.py).
    """
    inputs = json.dumps({"values": scenario.flat(), "world": scenario.world(), "steps": steps}, sort_keys=True)
    key = (inputs, tuple(seeds))
    if key not in _FINALS:

        def final(seed: int) -> dict[str, float]:
            model = warmed(scenario, seed).branch(scenario)
            model.run(steps, record=False)
            return model.final_metrics()

        name = "finals_" + hashlib.sha256(inputs.encode()).hexdigest()[:16]
        _FINALS[key] = pd.DataFrame(per_seed(name, seeds, final), index=list(seeds))
    return _FINALS[key].copy()


@dataclass(frozen=True)
class Interval:
    """The mean of paired differences and its t interval."""

    mean: float
    low: float
    high: float
    n: int

    def __str__(self) -> str:
        return f"{self.mean:+.4f} [{self.low:+.4f}, {self.high:+.4f}] over {self.n} seeds"


def paired(before: pd.DataFrame, after: pd.DataFrame, metric: str, level: float = 0.95) -> Interval:
    """``after - before`` on ``metric``, seed by seed, with its ``level`` t interval (NaN pairs dropped)."""
    diff = (after[metric] - before[metric]).dropna().to_numpy()
    if diff.size < 2:
        raise AssertionError(f"{metric}: fewer than two seeds with a value")
    if np.all(diff == diff[0]):
        return Interval(float(diff[0]), float(diff[0]), float(diff[0]), diff.size)
    low, high = stats.t.interval(level, diff.size - 1, loc=diff.mean(), scale=stats.sem(diff))
    return Interval(float(diff.mean()), float(low), float(high), diff.size)
