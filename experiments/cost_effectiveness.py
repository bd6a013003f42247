"""What a scenario's gains cost: extra public money beside its effects, and a cost per unit of gain.

A workshop's first question after "does it work?" is "what does it cost, and
for the same money, what works best?". Health economists answer it with the
incremental cost-effectiveness ratio (ICER): the extra cost of a programme
over its comparator, divided by its extra effect. Here, for each scenario
against the reference, paired by replicate (common random numbers):

- the extra public cost, in euros per citizen per year
  (``public_cost_per_citizen``), with its 95% t interval (the comparison's
  own paired differences);
- for each priced effect (:data:`PRICED`), the gain and, where it means
  something, the cost per unit of gain: euros per lost user reconnected, and
  euros per need of the least skilled quarter taken up (not given up). Its
  interval is a paired percentile bootstrap over replicates
  (``scipy.stats.bootstrap``, ``paired=True``), resampling the cost and effect
  of a replicate together, as Briggs, Wonderling and Mooney (1997) do for
  ratios, whose sampling distribution is not normal.

What is shown follows the conventions of cost-effectiveness analysis:

- the effect's interval includes 0: no ratio (a cost per unit of an effect
  that may be nil or negative has no meaning): "effect unclear";
- better and clearly cheaper: "dominant" (no trade-off to price);
- worse and clearly dearer: "dominated";
- better and clearly dearer: the cost per unit gained, with its interval;
- worse and clearly cheaper: the saving per unit lost, with its interval;
- a clear effect with no clear cost difference: said so, no ratio.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from scipy import stats

from crmsim.experiments.compare import SCENARIO_FACTOR, clear_sign
from crmsim.texts.i18n import _, number
from crmsim.model.costs import WEEKS_PER_YEAR

__all__ = ["COST", "PRICED", "PLANE", "Priced", "cost_effectiveness", "STATUSES", "euros", "ratio_text",
           "extra_cost_text", "unit_header", "LEGEND"]

COST = "public_cost_per_citizen"
# The headline effects drawn on the cost-effectiveness plane (extra cost against extra effect).
PLANE = ("trust_mean", "knowledge_gini", "redress_success", "lost_users", "non_take_up_bottom")
STATUSES = ("effect unclear", "dominant", "dominated", "cost per unit gained", "saving per unit lost",
            "better, no clear cost difference", "worse, no clear cost difference")
RESAMPLES = 4999
BOOTSTRAP_SEED = 20240917  # the bootstrap's own generator: the same page every time for the same runs


@dataclass(frozen=True)
class Priced:
    """An effect a cost is divided by: its metric, the unit a ratio counts, and how a difference becomes gains.

    ``gain(difference, years)`` turns the paired difference of the metric into
    units gained per citizen per year (positive: better), the cost's own scale.
    """

    metric: str
    unit: str  # what one unit of gain is, for people: "lost user reconnected"
    gain: Callable[[np.ndarray, float], np.ndarray]


PRICED: dict[str, Priced] = {
    # lost_users is a share of citizens over the recorded period: fewer lost, per citizen per year.
    "lost_users": Priced("lost_users", "lost user reconnected", lambda d, years: -d / years),
    "bottom_needs_acted_on": Priced("bottom_needs_acted_on", "need of the least skilled quarter taken up",
                                    lambda d, years: d),
}


def _pairs(final: pd.DataFrame, scenario: str, reference: str, metric: str) -> pd.DataFrame:
    """Per replicate: the scenario's and the reference's value of ``metric`` (pairs with a NaN dropped)."""
    rows = final[final["metric"] == metric].set_index([SCENARIO_FACTOR, "replicate"])["value"]
    both = pd.DataFrame({"after": rows.loc[scenario], "before": rows.loc[reference]}).dropna()
    return both.sort_index()


def _ratio_interval(cost: np.ndarray, gain: np.ndarray) -> tuple[float, float]:
    """95% paired percentile bootstrap interval of mean(cost) / mean(gain)."""
    if cost.size < 2 or np.ptp(cost) == 0 and np.ptp(gain) == 0:
        value = float(cost.mean() / gain.mean())
        return value, value
    with np.errstate(divide="ignore", invalid="ignore"):  # a resample whose gains sum to 0 is an infinite ratio
        result = stats.bootstrap((cost, gain), lambda c, g, axis: c.mean(axis=axis) / g.mean(axis=axis),
                                 paired=True, vectorized=True, n_resamples=RESAMPLES, method="percentile",
                                 rng=np.random.default_rng(BOOTSTRAP_SEED))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def _status(cost_sign: int, gain_sign: int) -> str:
    if gain_sign == 0:
        return "effect unclear"
    if gain_sign > 0:
        return {-1: "dominant", 0: "better, no clear cost difference", 1: "cost per unit gained"}[cost_sign]
    return {-1: "saving per unit lost", 0: "worse, no clear cost difference", 1: "dominated"}[cost_sign]


def cost_effectiveness(final: pd.DataFrame, diffs: pd.DataFrame, labels: list[str], steps: int) -> pd.DataFrame:
    """One row per scenario (not the reference) and priced effect.

    Columns: ``scenario``, ``effect`` (the metric), ``unit``, ``n_pairs``,
    ``cost_difference`` and its ``cost_ci_low``/``cost_ci_high`` (euros per
    citizen per year), ``effect_difference`` and its interval (the metric's
    units), ``gain`` (units per citizen per year), ``status`` (one of
    :data:`STATUSES`) and ``ratio`` with ``ratio_ci_low``/``ratio_ci_high``
    (euros per unit; NaN where the status shows no ratio; for a saving, the
    euros saved per unit lost).
    """
    columns = ["scenario", "effect", "unit", "n_pairs", "cost_difference", "cost_ci_low", "cost_ci_high",
               "effect_difference", "effect_ci_low", "effect_ci_high", "gain", "status", "ratio", "ratio_ci_low",
               "ratio_ci_high"]
    years = steps / WEEKS_PER_YEAR if steps else float("nan")
    reference, rows = labels[0], []
    indexed = diffs.set_index([SCENARIO_FACTOR, "metric"])
    for scenario in labels[1:]:
        if (scenario, COST) not in indexed.index:
            continue
        cost_diff = indexed.loc[(scenario, COST)]
        for name, priced in PRICED.items():
            if (scenario, priced.metric) not in indexed.index:
                continue
            effect_diff = indexed.loc[(scenario, priced.metric)]
            costs = _pairs(final, scenario, reference, COST)
            effects = _pairs(final, scenario, reference, priced.metric)
            both = costs.merge(effects, left_index=True, right_index=True, suffixes=("_cost", "_effect"))
            cost = (both["after_cost"] - both["before_cost"]).to_numpy()
            gain = priced.gain((both["after_effect"] - both["before_effect"]).to_numpy(), years)
            gain_sign = clear_sign(effect_diff) * int(np.sign(priced.gain(np.array([1.0]), 1.0)[0]))
            status = _status(clear_sign(cost_diff), gain_sign)
            ratio = low = high = float("nan")
            if status in ("cost per unit gained", "saving per unit lost") and cost.size:
                ratio = float(cost.mean() / gain.mean())
                low, high = _ratio_interval(cost, gain)
            rows.append({
                "scenario": scenario, "effect": name, "unit": priced.unit, "n_pairs": int(cost.size),
                "cost_difference": cost_diff["difference"], "cost_ci_low": cost_diff["ci_low"],
                "cost_ci_high": cost_diff["ci_high"], "effect_difference": effect_diff["difference"],
                "effect_ci_low": effect_diff["ci_low"], "effect_ci_high": effect_diff["ci_high"],
                "gain": float(gain.mean()) if gain.size else float("nan"), "status": status,
                "ratio": ratio, "ratio_ci_low": low, "ratio_ci_high": high,
            })
    return pd.DataFrame(rows, columns=columns)


def euros(value: float) -> str:
    """Euros for people: whole euros from 10 up, cents below (EUR 808, EUR 4.05)."""
    return number(value, 0 if abs(value) >= 10 else 2)


def extra_cost_text(row: pd.Series) -> str:
    """The extra public cost with its interval: '+65.22 (63.30 to 67.13)'."""
    sign = "+" if row["cost_difference"] >= 0 else "-"
    if not (np.isfinite(row["cost_ci_low"]) and np.isfinite(row["cost_ci_high"])):
        return f"{sign}{euros(abs(row['cost_difference']))}"
    return _("{value} ({low} to {high})").format(value=f"{sign}{euros(abs(row['cost_difference']))}",
                                                 low=euros(row["cost_ci_low"]), high=euros(row["cost_ci_high"]))


def ratio_text(row: pd.Series) -> str:
    """What one row shows for its effect: euros per unit with its interval, or why there is none.

    The unit is not repeated (tables name it in the header: :func:`unit_header`).
    """
    status = row["status"]
    if status == "cost per unit gained":
        return _("{value} ({low} to {high})").format(value=euros(row["ratio"]), low=euros(row["ratio_ci_low"]),
                                                     high=euros(row["ratio_ci_high"]))
    if status == "saving per unit lost":
        return _("saves {value} per unit forgone ({low} to {high})").format(
            value=euros(row["ratio"]), low=euros(row["ratio_ci_low"]), high=euros(row["ratio_ci_high"]))
    return _(status)


def unit_header(name: str) -> str:
    """A column header for a priced effect: 'euros per lost user reconnected'."""
    return _("euros per {unit}").format(unit=_(PRICED[name].unit))


LEGEND = ("Euros per citizen per year, paired with the reference, 95% intervals. Per unit: extra cost over extra "
          "effect (bootstrap interval). Dominant: better and cheaper; dominated: worse and dearer; effect unclear: "
          "its interval includes 0, so no cost per unit is shown.")
