"""Quantities the held-out patterns compare with published figures (calibration/patterns.toml).

Beside the calibration quantities (``metrics.QUANTITIES``), these read who
does what, not national averages (pattern-oriented modelling, Grimm et al.
2005): online use by skill, trust among those who had a say, who an
institutional prescriber helps, who cannot manage online alone. None is a
metric of every run, and none is fitted: they are what the model predicts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from crmsim.model.agents import Channel
from crmsim.model.metrics import QUANTITIES, TRUSTING, citizen_trust, rate, within_year

if TYPE_CHECKING:
    from crmsim.model.model import CrmModel

__all__ = ["PATTERN_QUANTITIES", "WEEKS_PER_YEAR"]

WEEKS_PER_YEAR = 52


def _share_in(flags: np.ndarray, members: np.ndarray) -> float:
    return float(flags[members].mean()) if members.any() else float("nan")


def online_users_least_over_most_skilled(model: "CrmModel", memo: dict | None = None) -> float:
    """Share of the least skilled quarter with a request handled online / the same share in the most skilled."""
    used, quartile = within_year(model, model.citizens.last_online), model.skill_quartile
    return rate(_share_in(used, quartile == 0), _share_in(used, quartile == 3))


# A citizen "feels they have a say" while their sense of it (efficacy, 0 to 1) is at least one half: from the week
# they saw what they raised acted on, for one half-life of ``efficacy_decay``.
HAVING_A_SAY = 0.5


def _having_a_say(model: "CrmModel") -> np.ndarray:
    return model.citizens.efficacy >= HAVING_A_SAY


def trust_share_heard_over_unheard(model: "CrmModel", memo: dict | None = None) -> float:
    """Share trusting among citizens who feel they have a say / among the others.

    The model's counterpart of the OECD Trust Survey's comparison; NaN when no
    one, or everyone, feels they have a say.
    """
    trusting, heard = citizen_trust(model, memo) >= TRUSTING, _having_a_say(model)
    return rate(_share_in(trusting, heard), _share_in(trusting, ~heard))


def heard_share(model: "CrmModel", memo: dict | None = None) -> float:
    """Share of citizens who feel they have a say: they saw what they raised acted on, lately (``HAVING_A_SAY``)."""
    return float(_having_a_say(model).mean())


def institutional_help_per_citizen_year(model: "CrmModel", memo: dict | None = None) -> float:
    """Requests an institutional prescriber (social worker, help desk, public writer) helped with, per citizen a year."""
    years = model.ledger.weeks / WEEKS_PER_YEAR
    return rate(model.year.institutional_help_by_quartile.sum(), model.n_citizens * years)


def institutional_help_least_skilled_half(model: "CrmModel", memo: dict | None = None) -> float:
    """Share of the requests institutional prescribers helped with that came from the less skilled half."""
    by_quartile = model.year.institutional_help_by_quartile
    return rate(by_quartile[:2].sum(), by_quartile.sum())


def unable_online_alone(model: "CrmModel", memo: dict | None = None) -> float:
    """Share of citizens who never go online, or who alone online would get even the simplest procedure wrong more
    often than right: the model's counterpart of illectronisme (INSEE: no use of the internet, or no basic skills).

    The chance of a right file online with their skill and current knowledge
    and no help device, at the least complex administration.
    """
    from crmsim.model.phases.resolution import file_log_odds

    n = model.n_citizens
    simplest = int(np.argmin(model.complexity))  # the plain online channel carries no help device's gain
    odds = file_log_odds(model, np.arange(n), np.full(n, simplest), np.full(n, Channel.ONLINE))
    return float(((odds < 0) | model.citizens.offline).mean())


PATTERN_QUANTITIES: dict[str, Callable[..., Any]] = {
    **QUANTITIES,
    "online_users_least_over_most_skilled": online_users_least_over_most_skilled,
    "trust_share_heard_over_unheard": trust_share_heard_over_unheard,
    "heard_share": heard_share,
    "institutional_help_per_citizen_year": institutional_help_per_citizen_year,
    "institutional_help_least_skilled_half": institutional_help_least_skilled_half,
    "unable_online_alone": unable_online_alone,
}
