"""When a change on the teacher's page is news, and how it is written: the rule the monitors and the story colour by.

The page's numbers are yearly rates (the last 52 weeks, :mod:`crmsim.model.metrics`),
so a change compares like with like: the rate now against the rate at a
reference (the policy's switch, the stage's start), or one scenario's rate
against the other's at the same week. An unchanged policy still moves by
chance, a few points a year in a class-sized population, so a change is
called better or worse only when it is larger than both

- the metric's smallest difference that matters (its MID,
  ``metrics.INFO[...].mid``: 0.01 of trust, one point of a share, 1 € a
  citizen a year), the threshold ``experiments/compare.py`` judges by; and
- :data:`NOISE_TIMES` times the run's own noise: the standard deviation of
  the series' weekly moves, times the square root of the weeks it spans (at
  most 52). A yearly rate is a sum over 52 weeks, so each weekly move is one
  week in and one week out, and a change over k weeks adds up k such moves;
  past 52 weeks the two years no longer overlap.

Before :data:`MIN_WEEKS` weeks there are too few moves to tell noise from
change. Measured on the calibrated baseline (500 citizens, 40 seeds), this
noise is larger than the spread of the real changes (their ratio's standard
deviation is 0.5 to 0.85 at 52 weeks), and no metric of an unchanged
baseline was coloured at 52 weeks; funded prescribers' gains in trust and
costs are coloured from week 13, and digital first's rise in the least
skilled quarter's non-take-up by week 26 or 52 in most seeds.

Costs are never called better or worse: what they buy is in the other
numbers, so a change beyond noise is shown in a neutral colour.

>>> judge("lost_users", [0.30] * 10).verdict
'too soon'
>>> judge("lost_users", [0.30, 0.31] * 10).verdict
'within noise'
>>> judge("lost_users", [0.30 + 0.005 * week for week in range(20)]).verdict
'worse'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from crmsim.texts.i18n import _, difference, number, percent
from crmsim.model.metrics import INFO

__all__ = ["Change", "judge", "shown_value", "shown_change", "verdict_text", "NOISE_TIMES", "MIN_WEEKS", "YEAR"]

NOISE_TIMES = 3  # a change must pass three times the run's own noise
MIN_WEEKS = 13  # a quarter: fewer weekly moves say too little about the noise
YEAR = 52  # the weeks a yearly rate counts


@dataclass(frozen=True)
class Change:
    """A metric's change from its reference, its weeks, the noise it is read against, and the verdict.

    ``verdict`` is "better", "worse", "changed" (beyond noise, for a metric
    with no better side: a cost), "within noise", "too soon" or "not measured".
    """

    size: float
    weeks: int
    noise: float
    verdict: str

    @property
    def tone(self) -> str:
        """How the page colours it: better, worse, changed (neutral), or same (grey)."""
        return self.verdict if self.verdict in ("better", "worse", "changed") else "same"


def neutral(metric: str) -> bool:
    """A metric the page never calls better or worse: costs, and metrics without a better side."""
    info = INFO[metric]
    return info.direction == "none" or info.unit.startswith("euros")


def judge(metric: str, values: Sequence[float]) -> Change:
    """The change of ``values`` (the metric each week, from the reference to now) against MID and noise.

    Weeks where the metric is undefined (NaN) are left out; the first
    defined week is the reference. Never defined: "not measured".
    """
    series = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if series.size == 0:
        return Change(float("nan"), 0, float("nan"), "not measured")
    weeks = series.size - 1
    size = float(series[-1] - series[0])
    if weeks < MIN_WEEKS:
        return Change(size, weeks, float("nan"), "too soon")
    noise = float(np.diff(series).std(ddof=1) * math.sqrt(min(weeks, YEAR)))
    if abs(size) <= max(INFO[metric].mid, NOISE_TIMES * noise):
        return Change(size, weeks, noise, "within noise")
    if neutral(metric):
        return Change(size, weeks, noise, "changed")
    higher = INFO[metric].direction == "higher"
    return Change(size, weeks, noise, "better" if (size > 0) == higher else "worse")


def verdict_text(change: Change) -> str:
    """The verdict in words, after the change ('within noise'); none for a cost's change beyond noise (its sign says it)."""
    return {"better": _("better"), "worse": _("worse"), "within noise": _("within noise"),
            "too soon": _("too soon to tell")}.get(change.verdict, "")


def shown_value(metric: str, value: float) -> str:
    """A value as the page shows it: '31%', '0.585', '23.38 €' ('–' when undefined)."""
    unit = INFO[metric].unit
    if unit.startswith("share"):
        return percent(value)
    if unit.startswith("euros"):
        return _("{value} €").format(value=number(value, 2)) if math.isfinite(value) else "–"
    return number(value, 3)


def shown_change(metric: str, change: float) -> str:
    """'+3.2 points', '−0.004', '+1.20 €': a change, in the unit the value is read in ('no change' if it rounds to 0)."""
    unit = INFO[metric].unit
    if unit.startswith("share"):
        size = _("{value} points").format(value=number(100 * abs(change), 1))
    elif unit.startswith("euros"):
        size = _("{value} €").format(value=number(abs(change), 2))
    else:
        size = difference(abs(change))
    if not any(c in "123456789" for c in size):
        return _("no change")
    return ("+" if change > 0 else "−") + size
