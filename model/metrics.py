"""The metrics of DESIGN section 5, as plain functions of the model.

The data collector, the command line, the browser charts and the sweeps all
use these same functions (``METRICS``). Rates are cumulative since the start of
the run; a rate whose denominator is zero is NaN, never 0.

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

from typing import TYPE_CHECKING, Callable

import numpy as np

if TYPE_CHECKING:
    from model.model import CrmModel

__all__ = ["gini", "rate", "METRICS", "HEADLINE"]


def rate(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, NaN when the denominator is zero."""
    return float(numerator) / denominator if denominator else float("nan")


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
    return float(2.0 * np.dot(ranks, x) / (n * total) - (n + 1.0) / n)


def citizen_trust(model: "CrmModel") -> np.ndarray:
    """Each citizen's mean trust over the administrations they deal with.

    Four metrics read it, so it is computed once per step and kept until the
    model's step count changes.
    """
    cached = getattr(model, "_citizen_trust", None)
    if cached is not None and cached[0] == model.steps:
        return cached[1]
    trust = np.einsum("ij,ij->i", model.citizens.trust, model.role_weights)
    model._citizen_trust = (model.steps, trust)
    return trust


def trust_mean(model: "CrmModel") -> float:
    return float(citizen_trust(model).mean())


def _trust_deciles(model: "CrmModel") -> np.ndarray:
    """10th and 90th percentiles of citizen trust, computed together once per step."""
    cached = getattr(model, "_trust_deciles", None)
    if cached is None or cached[0] != model.steps:
        cached = (model.steps, np.percentile(citizen_trust(model), [10, 90]))
        model._trust_deciles = cached
    return cached[1]


def trust_p10(model: "CrmModel") -> float:
    return float(_trust_deciles(model)[0])


def trust_p90(model: "CrmModel") -> float:
    return float(_trust_deciles(model)[1])


def trust_skill_gap(model: "CrmModel") -> float:
    """Mean trust of the top skill quartile minus that of the bottom quartile."""
    t = citizen_trust(model)
    return float(t[model.top_quartile].mean() - t[model.bottom_quartile].mean())


def knowledge_mean(model: "CrmModel") -> float:
    return float(model.citizens.knowledge.mean())


def knowledge_gini(model: "CrmModel") -> float:
    return gini(model.citizens.knowledge)


def knowledge_skill_gap(model: "CrmModel") -> float:
    """Mean knowledge of the top skill quartile minus that of the bottom quartile."""
    k = model.citizens.knowledge
    return float(k[model.top_quartile].mean() - k[model.bottom_quartile].mean())


def take_up(model: "CrmModel") -> float:
    """Needs met / needs arisen."""
    return rate(model.tally.met, model.tally.needs)


def non_take_up(model: "CrmModel") -> float:
    """Needs given up / needs arisen."""
    return rate(model.tally.gave_up, model.tally.needs)


def redress_attempt_rate(model: "CrmModel") -> float:
    """Redress tries / failed requests."""
    return rate(model.tally.redress_tries, model.tally.failures)


def redress_success(model: "CrmModel") -> float:
    """Redress cases upheld / redress tries."""
    return rate(model.tally.redress_wins, model.tally.redress_tries)


def lost_users(model: "CrmModel") -> float:
    """Share of citizens left at least once with a failed request and no redress try."""
    return float(model.lost_ever.mean())


def redress_on_time(model: "CrmModel") -> float:
    """Redress cases decided within the deadline / cases decided."""
    return rate(model.tally.redress_on_time, model.tally.redress_decided)


def staff_per_need_met(model: "CrmModel") -> float:
    """Counter and phone contacts per need met (a cost)."""
    return rate(model.tally.staff_contacts, model.tally.met)


def online_share(model: "CrmModel") -> float:
    """Requests handled through online channels / requests handled."""
    return rate(model.tally.online_contacts, model.tally.contacts)


def adaptations(model: "CrmModel") -> float:
    """Fixes made by administrations since the start."""
    return float(sum(a.adaptations for a in model.administrations))


METRICS: dict[str, Callable[["CrmModel"], float]] = {
    "trust_mean": trust_mean,
    "trust_p10": trust_p10,
    "trust_p90": trust_p90,
    "trust_skill_gap": trust_skill_gap,
    "knowledge_mean": knowledge_mean,
    "knowledge_gini": knowledge_gini,
    "knowledge_skill_gap": knowledge_skill_gap,
    "take_up": take_up,
    "non_take_up": non_take_up,
    "redress_attempt_rate": redress_attempt_rate,
    "redress_success": redress_success,
    "lost_users": lost_users,
    "redress_on_time": redress_on_time,
    "staff_per_need_met": staff_per_need_met,
    "online_share": online_share,
    "adaptations": adaptations,
}

# The three headline metrics of the paper's question: trust, information equality, redress.
HEADLINE = ("trust_mean", "knowledge_gini", "redress_success")
