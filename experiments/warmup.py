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

Only state metrics are read (trust, knowledge and their gaps): in a run with
no warm-up, a yearly rate's first year covers weeks that never were.

**A policy's effect settles too** (:func:`effect_settling`): knowledge,
fixes and trust take time to build, so an effect read one year after the
switch is not the effect read when it has settled. The same procedure runs
on the *paired difference*: the baseline warmed up, then the baseline and
each policy branched from it for ``years`` years, the difference of each
headline metric averaged over the replicates week by week, and read as
above with half the metric's smallest difference that matters as the
tolerance. ``crmsim warmup BASE.toml --effects POLICY.toml ...`` prints it;
the slowest effect sets the year a verdict reads (``Scenario.steps``).

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

__all__ = ["STEADY_METRICS", "EFFECT_METRICS", "WEEKS_PER_YEAR", "Settling", "EffectSettling", "settling",
           "effect_settling", "settled_week", "reading_year"]

STEADY_METRICS = ("trust_mean", "trust_share", "knowledge_mean", "knowledge_gini", "knowledge_skill_gap",
                  "trust_skill_gap")
WEEKS_PER_YEAR = 52  # weeks in a year, the unit of --years
# The effects a verdict reads: the overview's headline metrics and the public cost.
EFFECT_METRICS = ("trust_mean", "knowledge_gini", "redress_success", "lost_users", "non_take_up_bottom",
                  "public_cost_per_citizen")


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


@dataclass(frozen=True)
class EffectSettling:
    """A policy's paired effect on one metric: after one year, in the long run, the band, and the week it settled by."""

    policy: str
    metric: str
    after_one_year: float
    steady: float
    band: float
    settled_week: int


def _effect_replicate(job: tuple[dict, tuple[tuple[str, dict], ...], int, int, tuple[str, ...]]) -> np.ndarray:
    """One replicate: the baseline warmed up once, then it and each policy for ``weeks``; the differences
    (policies x weeks + 1 x metrics). Plain data in and out, so it runs on any evaluator."""
    from crmsim.model.model import CrmModel
    from crmsim.model.scenario import parse_scenario

    base_data, policies, seed, weeks, metrics = job
    base = parse_scenario(base_data, "<base>").with_values({"steps": weeks})
    warm = CrmModel(base, rng=seed)
    reference = warm.branch(base).run(weeks, record=metrics).to_numpy()[:, 1:]
    out = []
    for i, (_, data) in enumerate(policies):
        spec = parse_scenario(data, "<policy>").with_values({"steps": weeks})
        model = warm.branch(spec, copy_model=i + 1 < len(policies))
        out.append(model.run(weeks, record=metrics).to_numpy()[:, 1:] - reference)
    return np.stack(out)


def effect_settling(base: Scenario, policies: dict[str, Scenario], *, years: int = 6, replications: int = 8,
                    window: int = 13, tail_years: int = 2, seed: int = 0, metrics: tuple[str, ...] = EFFECT_METRICS,
                    evaluator=None, on_run: Callable[[int], None] | None = None) -> list[EffectSettling]:
    """How long each policy's paired effect on each metric takes to settle after the switch (see the module).

    ``policies`` must share ``base``'s world (they branch its warm-up). Each
    replicate is one chunk of work on ``evaluator`` (default: this process).
    """
    from crmsim.experiments.evaluators import SequentialEvaluator
    from crmsim.model.metrics import INFO

    if tail_years >= years:
        raise ValueError(f"the tail ({tail_years} years) must be shorter than the run ({years} years)")
    weeks = years * WEEKS_PER_YEAR
    dump = lambda s: s.model_dump(mode="json", exclude_none=True)  # noqa: E731
    labels = list(policies)
    jobs = [(dump(base), tuple((k, dump(v)) for k, v in policies.items()), replicate_seed(seed, r), weeks, metrics)
            for r in range(replications)]
    runs: list[np.ndarray] = [None] * replications  # type: ignore[list-item]
    with evaluator or SequentialEvaluator() as engine:
        for r, result in engine.map_chunks(_effect_replicate, jobs):
            runs[r] = result
            if on_run is not None:
                on_run(r)
    mean = np.nanmean(np.stack(runs), axis=0)  # policies x weeks + 1 x metrics
    rows = []
    for i, label in enumerate(labels):
        for j, metric in enumerate(metrics):
            steady, band, week = settled_week(mean[i, :, j], tolerance=INFO[metric].mid / 2, window=window,
                                              tail=tail_years * WEEKS_PER_YEAR)
            rows.append(EffectSettling(label, metric, float(mean[i, WEEKS_PER_YEAR, j]), steady, band, week))
    return rows


def reading_year(rows: list[EffectSettling]) -> int:
    """The first whole year after the switch by which every effect has settled (at least 1: a yearly rate's
    window holds only the policy's weeks from then on).

    >>> reading_year([EffectSettling("p", "m", 0.0, 0.0, 0.01, 120)])
    3
    """
    return max(1, -(-max(r.settled_week for r in rows) // WEEKS_PER_YEAR))
