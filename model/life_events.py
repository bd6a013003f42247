"""Life events: moving house, a birth, losing a job ... each creates needs at several administrations at once.

The paper's single front office (section 2.3) considers "the citizen as a
whole, encompassing all his or her relations with the various public
institutions". Its gain only shows when one situation concerns several
administrations together, which is what life events do: a move means telling
the local authority and the tax office, and, for a tenant or a job seeker, the
housing office and the employment agency too.

Each event has a yearly rate per citizen and the administrations it concerns:
``always`` for everyone it happens to, ``if_role`` only for citizens who hold
that role (a tenant with housing benefit, a registered job seeker). These are
the defaults, written once here; a scenario may change an event's rate in a
``[life_events.<event>]`` table. Rates are orders of magnitude for France,
each with its source; they are not calibrated.

Examples
--------
>>> LIFE_EVENTS["moving"].rate
0.1
>>> LIFE_EVENTS["job_loss"].always
('employment_agency',)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from crmsim.model.administrations import MISSIONS

__all__ = ["LifeEvent", "LIFE_EVENTS", "EVENT_FIELDS", "resolve_life_events"]


@dataclass(frozen=True)
class LifeEvent:
    """One kind of life event: how often it happens and which administrations it concerns."""

    label: str
    rate: float  # events per citizen per year
    always: tuple[str, ...]  # administrations concerned for everyone it happens to
    if_role: tuple[str, ...]  # administrations concerned only for their role holders
    source: str


LIFE_EVENTS: dict[str, LifeEvent] = {
    "moving": LifeEvent(
        "moving house", 0.10, ("local_authority", "tax_office"), ("housing_office", "employment_agency"),
        "INSEE census: about one person in ten changes dwelling in a year"),
    "birth": LifeEvent(
        "birth of a child", 0.010, ("local_authority", "tax_office"), ("housing_office", "employment_agency"),
        "INSEE 2023 demographic report: 678,000 births for 68 million people"),
    "job_loss": LifeEvent(
        "losing a job", 0.03, ("employment_agency",), ("housing_office", "tax_office"),
        "order of magnitude of yearly flows from employment into unemployment (Eurostat labour-market flows)"),
    "retirement": LifeEvent(
        "retiring", 0.011, ("tax_office",), ("housing_office", "employment_agency"),
        "DREES: about 750,000 new retirees a year in France"),
    "bereavement": LifeEvent(
        "a death in the family", 0.009, ("local_authority", "tax_office"), ("housing_office",),
        "INSEE 2023 demographic report: 639,000 deaths for 68 million people"),
}

# Field name -> (meaning, allowed low, allowed high); the scenario validation and the ODD table read this.
EVENT_FIELDS: dict[str, tuple[str, float, float]] = {
    "rate": ("events per citizen per year", 0.0, 5.0),
}

for _name, _event in LIFE_EVENTS.items():  # the table must only name real administrations
    for _admin in _event.always + _event.if_role:
        if _admin not in MISSIONS:
            raise RuntimeError(f"life event {_name}: unknown administration {_admin}")


def resolve_life_events(overrides: dict[str, dict[str, Any]] | None = None) -> dict[str, LifeEvent]:
    """The life events with a scenario's overrides applied (validated upstream)."""
    overrides = overrides or {}
    return {name: replace(event, **overrides.get(name, {})) for name, event in LIFE_EVENTS.items()}
