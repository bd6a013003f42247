"""The metrics of DESIGN section 5, as plain functions of the model.

The model's per-step record, the command line, the browser charts and the
sweeps all use these same functions (``METRICS``). Each takes the model and,
optionally, a ``memo`` dict that lets the metrics of one collection share work
(the trust metrics read one per-citizen trust vector): :func:`measure`
passes a fresh one each time, so nothing is ever stale.

Rates, counts and costs are yearly: they read the last 52 weeks
(``model.year``), and shares of citizens count those something happened to in
the last 52 weeks, as surveys ask "in the last 12 months". The window runs on
from the model's first week, through the warm-up and across a policy switch,
so an unchanged policy gives a flat series and nothing restarts at the
switch. A rate whose denominator is zero is NaN, never 0.

Citizen-level trust is the mean of a citizen's trust in the administrations
they deal with (their roles). Skill quartiles are fixed at the start (skill is
static).

Examples
--------
>>> import numpy as np
>>> gini(np.ones(4))
0.0
>>> gini(np.array([0.0, 0.0, 0.0, 1.0]))
0.75
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from crmsim.model import costs
from crmsim.model.administrations import MISSIONS
from crmsim.model.phases.state import WINDOW

if TYPE_CHECKING:
    from crmsim.model.model import CrmModel

__all__ = ["gini", "rate", "measure", "METRICS", "HEADLINE", "TRUSTING", "QUANTITIES", "INFO", "MetricInfo",
           "QUARTILE_METRICS", "COST_METRICS"]


def rate(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, NaN when the denominator is zero."""
    return float(numerator) / float(denominator) if denominator else float("nan")


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values: 0 when equal, (n-1)/n for one holder among n.

    NaN when the values sum to zero (no one holds anything: the share is undefined).
    """
    # Sorting in single precision halves the cost of the step's most expensive
    # metric; sums stay in double precision (relative error below 1e-7).
    x = np.sort(np.asarray(values, dtype=np.float32).ravel()).astype(np.float64)
    n = x.size
    total = x.sum()
    if n == 0 or total == 0:
        return float("nan")
    ranks = np.arange(1, n + 1, dtype=np.float64)
    # einsum, not np.dot: BLAS's dot is far slower than a plain loop on this machine's OpenBLAS settings.
    return float(2.0 * np.einsum("i,i->", ranks, x) / (n * total) - (n + 1.0) / n)


def _memo(memo: dict | None, key: str, compute: Callable[[], Any]) -> Any:
    """A value shared by several metrics within one collection (``memo``), else computed afresh."""
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def citizen_trust(model: "CrmModel", memo: dict | None = None) -> np.ndarray:
    """Each citizen's mean trust over the administrations they deal with."""
    return _memo(memo, "citizen_trust", lambda: np.einsum("ij,ij->i", model.citizens.trust, model.role_weights))


def _trust_deciles(model: "CrmModel", memo: dict | None) -> np.ndarray:
    return _memo(memo, "trust_deciles", lambda: np.percentile(citizen_trust(model, memo), [10, 90]))


def _skill_gap(model: "CrmModel", values: np.ndarray) -> float:
    """Mean of the top skill quartile minus mean of the bottom quartile (one weighted sum)."""
    return float(np.einsum("i,i->", values, model.skill_gap_weights))


def trust_mean(model: "CrmModel", memo: dict | None = None) -> float:
    return float(citizen_trust(model, memo).mean())


def trust_p10(model: "CrmModel", memo: dict | None = None) -> float:
    return float(_trust_deciles(model, memo)[0])


def trust_p90(model: "CrmModel", memo: dict | None = None) -> float:
    return float(_trust_deciles(model, memo)[1])


# OECD Trust Survey 2023 asks for trust on a 0-10 scale and counts 6 to 10 as "high or moderately high".
TRUSTING = 0.6


def trust_share(model: "CrmModel", memo: dict | None = None) -> float:
    """Share of citizens whose mean trust is at least 0.6 (OECD's "high or moderately high": 6-10 of 10)."""
    return float((citizen_trust(model, memo) >= TRUSTING).mean())


def trust_skill_gap(model: "CrmModel", memo: dict | None = None) -> float:
    """Mean trust of the top skill quartile minus that of the bottom quartile."""
    return _skill_gap(model, citizen_trust(model, memo))


def knowledge_mean(model: "CrmModel", memo: dict | None = None) -> float:
    return float(model.citizens.knowledge.mean())


def knowledge_gini(model: "CrmModel", memo: dict | None = None) -> float:
    return gini(model.citizens.knowledge)


def knowledge_skill_gap(model: "CrmModel", memo: dict | None = None) -> float:
    """Mean knowledge of the top skill quartile minus that of the bottom quartile."""
    return _skill_gap(model, model.citizens.knowledge)


def within_year(model: "CrmModel", last: np.ndarray) -> np.ndarray:
    """Whether each citizen's ``last_*`` week falls within the last 52 weeks (this one included)."""
    return last > model.steps - WINDOW


def take_up(model: "CrmModel", memo: dict | None = None) -> float:
    """Needs met / needs arisen, over the last 52 weeks."""
    return rate(model.year.met, model.year.needs)


def non_take_up(model: "CrmModel", memo: dict | None = None) -> float:
    """Needs given up / needs arisen, over the last 52 weeks."""
    return rate(model.year.gave_up, model.year.needs)


def non_take_up_bottom(model: "CrmModel", memo: dict | None = None) -> float:
    """Needs given up / needs arisen among the bottom quartile of digital skill, over the last 52 weeks."""
    return rate(model.year.bottom_gave_up, model.year.bottom_needs)


def non_take_up_offline(model: "CrmModel", memo: dict | None = None) -> float:
    """Needs given up / needs arisen among citizens who never go online, over the last 52 weeks."""
    return rate(model.year.offline_gave_up, model.year.offline_needs)


def event_take_up(model: "CrmModel", memo: dict | None = None) -> float:
    """Needs met / needs arisen among needs a life event created (moving house, a birth ...), over the last 52 weeks."""
    return rate(model.year.event_met, model.year.event_needs)


def redress_attempt_rate(model: "CrmModel", memo: dict | None = None) -> float:
    """Redress tries / failed needs, over the last 52 weeks."""
    return rate(model.year.redress_tries, model.year.failures)


def redress_success(model: "CrmModel", memo: dict | None = None) -> float:
    """Redress cases won / cases closed (heard, or lapsed at the deadline) over the last 52 weeks; cases still
    waiting are left out."""
    t = model.year
    return rate(t.redress_wins, t.redress_decided + t.redress_lapsed)


def lost_users(model: "CrmModel", memo: dict | None = None) -> float:
    """Share of citizens left, in the last 52 weeks, with a failed need and no redress try."""
    return float(within_year(model, model.citizens.last_lost).mean())


def redress_on_time(model: "CrmModel", memo: dict | None = None) -> float:
    """Redress cases heard within the deadline / cases closed (the others lapsed unheard), over the last 52 weeks."""
    t = model.year
    return rate(t.redress_decided, t.redress_decided + t.redress_lapsed)


def complainants(model: "CrmModel", memo: dict | None = None) -> float:
    """Share of citizens aged 16 to 74 who filed a redress case in the last 52 weeks (Eurostat's ages)."""
    return float(within_year(model, model.citizens.last_filed)[model.survey_ages].mean())


def staff_per_need_met(model: "CrmModel", memo: dict | None = None) -> float:
    """Counter and phone contacts per need met (a cost), over the last 52 weeks."""
    return rate(model.year.staff_contacts, model.year.met)


def online_share(model: "CrmModel", memo: dict | None = None) -> float:
    """Requests handled through online channels / requests handled, over the last 52 weeks."""
    return rate(model.year.online_contacts, model.year.contacts)


def online_users(model: "CrmModel", memo: dict | None = None) -> float:
    """Share of citizens aged 16 to 74 with a request handled online in the last 52 weeks (as Eurostat counts them:
    people aged 16-74, "in the last 12 months")."""
    return float(within_year(model, model.citizens.last_online)[model.survey_ages].mean())


def adaptations(model: "CrmModel", memo: dict | None = None) -> float:
    """Fixes made by administrations over the last 52 weeks, scaled to a year while fewer weeks have passed."""
    weeks = model.ledger.weeks
    return float(model.year.fixes_by_admin.sum()) * WINDOW / weeks if weeks else float("nan")


def published_score(model: "CrmModel", memo: dict | None = None) -> float:
    """Mean published rating over every administration and channel (NaN while no one has rated)."""
    board = model.ratings_board
    return rate(board.total.sum(), board.count.sum())


def rated_success(model: "CrmModel", memo: dict | None = None) -> float:
    """Success rate of the needs the scores cover, rated or not, over the same window (NaN without ratings).

    Weighted like :func:`published_score` (by ratings per administration and
    channel), so the two differ only by who rates and how: selection bias.
    """
    board = model.ratings_board
    return rate((board.true_success() * board.count).sum(where=board.count > 0), board.count.sum())


def _quartile_sums(model: "CrmModel", values: np.ndarray) -> np.ndarray:
    return np.bincount(model.skill_quartile, weights=values, minlength=4)


def _ratio(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """top / bottom, NaN where bottom is 0 (an empty quartile: all citizens equally skilled share one)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1), np.nan)


def _quartile_means(model: "CrmModel", memo: dict | None, key: str, values: Callable[[], np.ndarray]) -> np.ndarray:
    """Mean of ``values`` in each skill quartile (least skilled first), shared within one measurement."""
    return _memo(memo, key, lambda: _ratio(_quartile_sums(model, values()), model.quartile_sizes))


def _trust_by_quartile(model: "CrmModel", memo: dict | None) -> np.ndarray:
    return _quartile_means(model, memo, "trust_q", lambda: citizen_trust(model, memo))


def _knowledge_by_quartile(model: "CrmModel", memo: dict | None) -> np.ndarray:
    return _quartile_means(model, memo, "knowledge_q", lambda: model.citizens.knowledge)


def _take_up_by_quartile(model: "CrmModel", memo: dict | None) -> np.ndarray:
    year = model.year
    return _memo(memo, "take_up_q", lambda: _ratio(year.met_by_quartile, year.needs_by_quartile))


def _by_quartile(table: Callable[["CrmModel", dict | None], np.ndarray], q: int) -> Callable[..., float]:
    def metric(model: "CrmModel", memo: dict | None = None) -> float:
        return float(table(model, memo)[q])
    metric.__doc__ = f"{table.__name__.strip('_').replace('_', ' ')}: skill quartile {q + 1} (1 = least skilled)"
    return metric


# Who gains and who loses (the paper's equality question): trust, knowledge and take-up by
# quartile of digital skill, q1 the least skilled.
QUARTILE_METRICS: dict[str, Callable[..., float]] = {
    f"{name}_q{q + 1}": _by_quartile(table, q)
    for name, table in (("trust", _trust_by_quartile), ("knowledge", _knowledge_by_quartile),
                        ("take_up", _take_up_by_quartile))
    for q in range(4)
}

METRICS: dict[str, Callable[..., float]] = {
    "trust_mean": trust_mean,
    "trust_share": trust_share,
    "trust_p10": trust_p10,
    "trust_p90": trust_p90,
    "trust_skill_gap": trust_skill_gap,
    "knowledge_mean": knowledge_mean,
    "knowledge_gini": knowledge_gini,
    "knowledge_skill_gap": knowledge_skill_gap,
    "take_up": take_up,
    "non_take_up": non_take_up,
    "non_take_up_bottom": non_take_up_bottom,
    "non_take_up_offline": non_take_up_offline,
    "event_take_up": event_take_up,
    "redress_attempt_rate": redress_attempt_rate,
    "redress_success": redress_success,
    "lost_users": lost_users,
    "redress_on_time": redress_on_time,
    "complainants": complainants,
    "staff_per_need_met": staff_per_need_met,
    "online_share": online_share,
    "online_users": online_users,
    "adaptations": adaptations,
    "published_score": published_score,
    "rated_success": rated_success,
    **QUARTILE_METRICS,
}

def public_cost_per_citizen(model: "CrmModel", memo: dict | None = None) -> float:
    """Public euros per citizen per year, every item (``model.costs``)."""
    return costs.per_citizen_year(model, costs.total_public(model, memo))


def public_cost_per_need_met(model: "CrmModel", memo: dict | None = None) -> float:
    """Public euros spent for each need met, over the last 52 weeks."""
    return rate(costs.total_public(model, memo), model.year.met)


def _item_cost(item: str) -> Callable[..., float]:
    def metric(model: "CrmModel", memo: dict | None = None) -> float:
        return costs.per_citizen_year(model, costs.spending(model, memo)[item])
    metric.__doc__ = f"Public euros per citizen per year on {item}."
    return metric


def _admin_cost(mission: str) -> Callable[..., float]:
    def metric(model: "CrmModel", memo: dict | None = None) -> float:
        column = [a.name for a in model.administrations].index(mission)
        return costs.per_citizen_year(model, costs.administration_total(model, column, memo))
    metric.__doc__ = f"Public euros per citizen per year spent by the {mission} (shared devices apart)."
    return metric


def bottom_needs_acted_on(model: "CrmModel", memo: dict | None = None) -> float:
    """Needs of the least skilled quarter acted on (not given up), per citizen per year: what a cost buys."""
    t = model.year
    return costs.per_citizen_year(model, t.bottom_needs - t.bottom_gave_up)


def hours_per_need_met(model: "CrmModel", memo: dict | None = None) -> float:
    """Citizens' own hours on requests for each need met (counted apart from euros), over the last 52 weeks."""
    return rate(model.year.hours_by_quartile.sum(), model.year.met)


def _hours_by_quartile(model: "CrmModel", memo: dict | None) -> np.ndarray:
    year = model.year
    return _memo(memo, "hours_q", lambda: _ratio(year.hours_by_quartile, year.met_by_quartile))


COST_METRICS: dict[str, Callable[..., float]] = {
    "public_cost_per_citizen": public_cost_per_citizen,
    "public_cost_per_need_met": public_cost_per_need_met,
    **{f"cost_{item}": _item_cost(item) for item in costs.ITEMS},
    **{f"cost_admin_{mission}": _admin_cost(mission) for mission in MISSIONS},
    "bottom_needs_acted_on": bottom_needs_acted_on,
    "hours_per_need_met": hours_per_need_met,
    **{f"hours_per_need_met_q{q + 1}": _by_quartile(_hours_by_quartile, q) for q in range(4)},
}
METRICS.update(COST_METRICS)

MEANS_TESTED = "housing_office"  # the administration whose benefit is means-tested (housing benefit)


def means_tested_non_take_up(model: "CrmModel", memo: dict | None = None) -> float:
    """Needs given up / needs arisen at the housing office: the model's means-tested benefit (housing benefit).

    A calibration quantity (``QUANTITIES``), compared with surveys of the
    non-take-up of means-tested benefits; not a metric of every run.
    """
    column = [a.name for a in model.administrations].index(MEANS_TESTED)
    return rate(model.year.gave_up_by_admin[column], model.year.needs_by_admin[column])


@dataclass(frozen=True)
class MetricInfo:
    """How a person reads a metric: what it is, in what unit, and which way is better.

    The report, the compare page, the command line and the browser page all
    read these; ``direction`` is "higher" (higher is better), "lower" (lower
    is better) or "none" (a description, neither good nor bad: a cost or a
    count whose meaning depends on the question). Texts are English source
    strings; :mod:`crmsim.texts.i18n` translates them.
    """

    label: str
    unit: str
    direction: str
    reading: str  # one sentence: what a higher value means
    # The smallest difference worth reporting (a minimal important difference), in the metric's
    # unit, and why: inside plus or minus this, a verdict is "negligible" however tight its interval.
    mid: float = float("nan")
    mid_reason: str = ""

    @property
    def bounds(self) -> tuple[float, float]:
        """The values the metric can take, read from its unit: a score, share or Gini from 0 to 1, a gap
        between two scores from -1 to 1, anything else (euros, hours, counts) at least 0."""
        if self.unit == "score difference":
            return (-1.0, 1.0)
        if self.unit.startswith(("score 0-1", "share of", "Gini 0-1")):
            return (0.0, 1.0)
        return (0.0, math.inf)

    @property
    def better(self) -> str:
        """The direction as a person reads it, e.g. 'higher is better'."""
        return {"higher": "higher is better", "lower": "lower is better", "none": "neither better nor worse"}[
            self.direction]


INFO: dict[str, MetricInfo] = {
    "trust_mean": MetricInfo("Mean trust", "score 0-1", "higher",
                             "Citizens' average trust in the administrations they deal with."),
    "trust_share": MetricInfo("Citizens who trust", "share of citizens", "higher",
                              "Share of citizens whose trust is 0.6 or more (OECD: 6 to 10 out of 10)."),
    "trust_p10": MetricInfo("Trust of the least trusting tenth", "score 0-1", "higher",
                            "Trust below which the least trusting 10% of citizens lie."),
    "trust_p90": MetricInfo("Trust of the most trusting tenth", "score 0-1", "none",
                            "Trust above which the most trusting 10% of citizens lie."),
    "trust_skill_gap": MetricInfo("Trust gap by digital skill", "score difference", "lower",
                                  "Trust of the most skilled quarter minus the least skilled quarter."),
    "knowledge_mean": MetricInfo("Mean knowledge of procedures", "score 0-1", "higher",
                                 "How well citizens know their rights and the procedures, on average."),
    "knowledge_gini": MetricInfo("Knowledge inequality (Gini)", "Gini 0-1", "lower",
                                 "0 means everyone knows as much; a lower Gini means more equal."),
    "knowledge_skill_gap": MetricInfo("Knowledge gap by digital skill", "score difference", "lower",
                                      "Knowledge of the most skilled quarter minus the least skilled quarter."),
    "take_up": MetricInfo("Take-up", "share of needs", "higher", "Share of needs that were met."),
    "non_take_up": MetricInfo("Non-take-up", "share of needs", "lower",
                              "Share of needs the citizen gave up on."),
    "non_take_up_bottom": MetricInfo("Non-take-up, least skilled quarter", "share of needs", "lower",
                                     "Share of needs given up among the least digitally skilled quarter."),
    "non_take_up_offline": MetricInfo("Non-take-up, citizens offline", "share of needs", "lower",
                                      "Share of needs given up among citizens who never go online."),
    "event_take_up": MetricInfo("Take-up after life events", "share of needs", "higher",
                                "Share of needs from a life event (a move, a birth) that were met."),
    "redress_attempt_rate": MetricInfo("Redress attempts", "share of failures", "none",
                                       "Share of failed requests the citizen contested."),
    "redress_success": MetricInfo("Redress success", "share of cases", "higher",
                                  "Share of closed redress cases the citizen won."),
    "lost_users": MetricInfo("Lost users", "share of citizens", "lower",
                             "Share of citizens left, in the last 12 months, with a failed request and no redress."),
    "redress_on_time": MetricInfo("Redress heard on time", "share of cases", "higher",
                                  "Share of closed redress cases heard before the deadline."),
    "complainants": MetricInfo("Citizens who filed redress", "share of citizens", "none",
                               "Share of citizens aged 16 to 74 who filed a redress case in the last 12 months."),
    "staff_per_need_met": MetricInfo("Staff contacts per need met", "contacts", "lower",
                                     "Counter and phone contacts for each need met (a cost)."),
    "online_share": MetricInfo("Requests handled online", "share of requests", "none",
                               "Share of requests handled through online channels."),
    "online_users": MetricInfo("Online users", "share of citizens", "none",
                               "Share of citizens aged 16 to 74 with a request handled online in the last 12 months."),
    "adaptations": MetricInfo("Fixes by administrations", "fixes per year", "none",
                              "Fixes the administrations made to their services in the last year."),
    "published_score": MetricInfo("Published score", "score 0-1", "none",
                                  "Mean rating citizens gave the administrations (with ratings and reviews)."),
    "rated_success": MetricInfo("Success behind the score", "score 0-1", "none",
                                "Share of the rated services' needs that were met, rated or not: what the score "
                                "would be if every user rated honestly."),
    **{f"{name}_q{q}": MetricInfo(f"{label}, skill quartile {q}", unit, "higher",
                                  f"{reading} among the {which} quarter of citizens by digital skill.")
       for name, label, unit, reading in (
           ("trust", "Trust", "score 0-1", "Mean trust"),
           ("knowledge", "Knowledge", "score 0-1", "Mean knowledge of procedures"),
           ("take_up", "Take-up", "share of needs", "Share of needs met"))
       for q, which in ((1, "least skilled"), (2, "second least skilled"), (3, "second most skilled"),
                        (4, "most skilled"))},
    "means_tested_non_take_up": MetricInfo("Non-take-up of a means-tested benefit", "share of needs", "lower",
                                           "Share of needs given up at the housing office."),
    "public_cost_per_citizen": MetricInfo("Public cost per citizen", "euros per citizen per year", "lower",
                                          "Public money spent per citizen per year, every item counted."),
    "public_cost_per_need_met": MetricInfo("Public cost per need met", "euros per need", "lower",
                                           "Public money spent for each need that was met."),
    **{f"cost_{item}": MetricInfo(label, "euros per citizen per year", "none", reading)
       for item, label, reading in (
           ("counters", "Cost of counters", "Counter staff employed, whether busy or not."),
           ("phone", "Cost of telephone", "Telephone staff employed, whether busy or not."),
           ("online", "Cost of online requests", "Requests handled online, priced per request."),
           ("prescribers", "Cost of funded prescribers", "Requests handled by funded prescribers (one-stop desks)."),
           ("redress", "Cost of redress", "The redress procedure's capacity, and a data-protection recourse."),
           ("devices", "Cost of help and voice devices", "FAQ, public Q&A, forum, personal space, polls, publication."),
           ("fixes", "Cost of fixes", "Staff weeks and design work the administrations' fixes took."))},
    **{f"cost_admin_{mission}": MetricInfo(f"Cost of the {m.label}", "euros per citizen per year", "none",
                                           f"What the {m.label} spends on counters, phone, online requests, funded "
                                           f"prescribers, redress and fixes (shared devices apart).")
       for mission, m in MISSIONS.items()},
    "bottom_needs_acted_on": MetricInfo("Needs acted on, least skilled quarter", "needs per citizen per year",
                                        "higher", "Needs of the least skilled quarter that were not given up, "
                                        "counted over every citizen: what a cost per need taken up divides by."),
    "hours_per_need_met": MetricInfo("Citizens' hours per need met", "hours", "lower",
                                     "Citizens' own time on requests, including waiting, for each need met."),
    **{f"hours_per_need_met_q{q}": MetricInfo(f"Citizens' hours per need met, skill quartile {q}", "hours", "lower",
                                              f"Own time on requests for each need met, among the {which} quarter "
                                              f"of citizens by digital skill.")
       for q, which in ((1, "least skilled"), (2, "second least skilled"), (3, "second most skilled"),
                        (4, "most skilled"))},
}


# Minimal important differences (DESIGN section 5c): every metric's (value, reason), by name, else by unit.
_TRUST = (0.01, "0.1 on a 0-10 survey scale, below the OECD Trust Survey's sampling error (1 to 2 points)")
_KNOWLEDGE = (0.01, "one hundredth of the 0-1 scale, as for trust")
_MID_BY_NAME: dict[str, tuple[float, str]] = {
    "trust_share": (0.02, "two percentage points: the OECD Trust Survey's sampling error on a share trusting"),
    "trust_skill_gap": _TRUST,
    "knowledge_skill_gap": _KNOWLEDGE,
    "knowledge_gini": (0.01, "one Gini point: the smallest change inequality statistics report as a change"),
    "staff_per_need_met": (0.02, "one counter or phone contact in fifty needs met, about 5% of the baseline's 0.38"),
    "adaptations": (1.0, "one fix: a fraction of a fix is not an event"),
    "public_cost_per_need_met": (0.3, "30 cents per need met, about 5% of the baseline's EUR 6: the precision of "
                                      "published unit costs"),
    "bottom_needs_acted_on": (0.01, "one need in a hundred citizens a year, about one percentage point of the "
                                    "least skilled quarter's take-up"),
}
_MID_BY_UNIT: dict[str, tuple[float, str]] = {
    "share": (0.01, "one percentage point: the precision of published rates of take-up and use"),
    # Redress cases are few: a published success rate rests on a few hundred of them.
    "share of cases": (0.03, "three percentage points: the standard error of a published redress rate, which rests "
                             "on a few hundred cases (the European Ombudsman's 46.1% settled or solved in 2022 is "
                             "152 of 330 closed inquiries, a standard error of 2.7 points: European Commission, "
                             "'Relations with the European Ombudsman')"),
    "euros per citizen per year": (1.0, "EUR 1 per citizen a year (about EUR 68 million for France, a fifth of "
                                        "France Services' budget), within the 25% spread of published unit costs"),
    "hours": (10 / 60, "ten minutes, the slot of European time-use diaries (HETUS)"),
}


def _mid(name: str, info: MetricInfo) -> tuple[float, str]:
    if name in _MID_BY_NAME:
        return _MID_BY_NAME[name]
    if info.unit == "score 0-1":
        return _KNOWLEDGE if name.startswith("knowledge") else _TRUST
    unit = info.unit if info.unit in _MID_BY_UNIT else "share" if info.unit.startswith("share") else info.unit
    if unit not in _MID_BY_UNIT:
        raise RuntimeError(f"metric {name}: no minimal important difference for its unit {info.unit!r}")
    return _MID_BY_UNIT[unit]


for _name, _info in INFO.items():
    _value, _reason = _mid(_name, _info)
    INFO[_name] = dataclasses.replace(_info, mid=_value, mid_reason=_reason)


# What a calibration target may compare with a published figure: every metric, and the
# quantities defined only for calibration (calibration/targets.toml names them).
QUANTITIES: dict[str, Callable[..., float]] = {**METRICS, "means_tested_non_take_up": means_tested_non_take_up}

# The three headline metrics of the paper's question: trust, information equality, redress.
HEADLINE = ("trust_mean", "knowledge_gini", "redress_success")


def measure(model: "CrmModel", names: Sequence[str] | None = None) -> dict[str, float]:
    """Every metric now (or those ``names``), sharing intermediate results within this one call."""
    memo: dict[str, Any] = {}
    if names is None:
        return {name: fn(model, memo) for name, fn in METRICS.items()}
    return {name: METRICS[name](model, memo) for name in names}
