"""How long a scenario takes to settle: the measurement behind the default warm-up.

Results are read at a steady state (DESIGN 5a), so each run first spends
``warmup`` weeks under the baseline levers. How many weeks is enough is
measured, not guessed, with Welch's procedure (Welch 1983; Law, *Simulation
Modeling and Analysis*, 5th ed., section 9.5.1):

1. run ``replications`` runs from the initial state with no warm-up, for
   ``years`` years, and average each state metric across them week by week;
2. smooth the average with a centred moving average of ``window`` weeks;
3. take the mean of the last ``tail_years`` years as the long-run level;
4. a metric has *settled* at the first week after which its smoothed average
   stays within ``tolerance`` of that level, or within twice its own
   fluctuation over the tail (the standard deviation of the smoothed average
   there) when that is wider: a share of citizens averaged over ten runs of a
   thousand wobbles by about 0.005 week to week even at a steady state.

The slowest metric sets the warm-up. ``crmsim warmup SCENARIO.toml`` prints
the table; docs/ODD.md ("Warm-up") records the measurement of the default.

Only state metrics are read (trust, knowledge and their gaps): rates such as
take-up count since the policy started, so in a run without warm-up they
average over the transient itself.

Examples
--------
>>> from crmsim.model.scenario import parse_scenario
>>> s = parse_scenario({"population": {"n_citizens": 100, "prescribers_per_1000": 20}})
>>> rows = settling(s, years=2, replications=2, tail_years=1)
>>> [r.metric for r in rows] == list(STEADY_METRICS)
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from crmsim.experiments.seeds import replicate_seed
from crmsim.model.scenario import Scenario

__all__ = ["STEADY_METRICS", "WEEKS_PER_YEAR", "Settling", "settling", "settled_week"]

STEADY_METRICS = ("trust_mean", "trust_share", "knowledge_mean", "knowledge_gini", "knowledge_skill_gap",
                  "trust_skill_gap")
WEEKS_PER_YEAR = 52  # weeks in a year, the unit of --years


@dataclass(frozen=True)
class Settling:
    """One metric's settling: its level at week 0, its long-run level, the band used, and the week it settled by."""

    metric: str
    start: float
    steady: float
    band: float
    settled_week: int


def _moving_average(x: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average; near the ends the window shrinks to what exists (Welch's procedure)."""
    kernel = np.ones(window)
    total = np.convolve(x, kernel, mode="same")
    count = np.convolve(np.ones_like(x), kernel, mode="same")
    return total / count


def settling(scenario: Scenario, *, years: int = 10, replications: int = 10, tolerance: float = 0.005,
             window: int = 13, tail_years: int = 3, seed: int = 0,
             on_run: Callable[[int], None] | None = None) -> list[Settling]:
    """Measure how many weeks each state metric of ``scenario`` takes to settle from the initial state.

    The scenario's own ``warmup`` is ignored (the point is to measure it); its
    policy and levers apply from week 0. Replication ``r`` uses
    ``replicate_seed(seed, r)``, as a sweep's replicate would. ``on_run(r)`` is
    called after each run.
    """
    from crmsim.model.model import CrmModel

    if tail_years >= years:
        raise ValueError(f"the tail ({tail_years} years) must be shorter than the run ({years} years)")
    weeks = years * WEEKS_PER_YEAR
    base = scenario.with_values({"warmup": 0, "steps": weeks})
    runs = []
    for r in range(replications):
        runs.append(CrmModel(base, rng=replicate_seed(seed, r)).run()[list(STEADY_METRICS)].to_numpy())
        if on_run is not None:
            on_run(r)
    mean = np.mean(runs, axis=0)
    rows = []
    for j, metric in enumerate(STEADY_METRICS):
        steady, band, week = settled_week(mean[:, j], tolerance=tolerance, window=window,
                                          tail=tail_years * WEEKS_PER_YEAR)
        rows.append(Settling(metric, float(mean[0, j]), steady, band, week))
    return rows


def settled_week(series: np.ndarray, *, tolerance: float, window: int, tail: int) -> tuple[float, float, int]:
    """Welch's reading of one averaged weekly series: its long-run level, the band, and the week it settled by.

    The long-run level is the mean of the last ``tail`` weeks; the band is
    ``tolerance``, or twice the standard deviation of the smoothed series over
    the tail when wider; the series has settled at the first week after which
    its ``window``-week moving average stays inside the band (``len(series) -
    tail`` if it never does before the tail).

    >>> weeks = np.arange(600)
    >>> settled_week(1 - np.exp(-weeks / 50), tolerance=0.01, window=1, tail=100)[2]  # 50 ln(100) = 230
    231
    """
    smooth = _moving_average(series, window)
    steady = float(series[-tail:].mean())
    band = max(tolerance, 2 * float(smooth[-tail:].std()))
    outside = np.flatnonzero(np.abs(smooth[:-tail] - steady) >= band)
    return steady, band, int(outside[-1] + 1) if outside.size else 0
