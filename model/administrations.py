"""The administrations a citizen deals with, one per mission (paper, section 1).

The paper insists on the diversity of missions and publics: the job seeker and
the employment agency, the council tenant and the housing office, the taxpayer
and the tax office, and everyone and the local authority. Each mission has its
own public (``role_share``: the share of citizens bound to it), its own rhythm of
needs, its own procedure complexity, quality and staff. These are the defaults
for each mission, written once here; a scenario may override any of them in an
``[administrations.<mission>]`` table.

Examples
--------
>>> MISSIONS["tax_office"].role_share
0.6
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

__all__ = ["Mission", "MISSIONS", "MISSION_FIELDS", "resolve_missions"]


@dataclass(frozen=True)
class Mission:
    """Defaults of one administration. Numbers are per week unless stated."""

    label: str
    role_share: float  # share of citizens with this role (0..1)
    need_rate: float  # needs per role holder per week (Poisson rate)
    complexity: float  # procedure complexity (0..1)
    quality: float  # share of requests the administration gets right whatever the citizen does (0..1)
    staff: float  # counter and phone contacts per 1000 citizens per week


MISSIONS: dict[str, Mission] = {
    "employment_agency": Mission("employment agency", 0.08, 0.25, 0.6, 0.5, 10.0),
    "housing_office": Mission("housing office", 0.15, 0.05, 0.55, 0.5, 3.0),
    "tax_office": Mission("tax office", 0.6, 0.03, 0.5, 0.6, 5.0),
    "local_authority": Mission("local authority", 1.0, 0.05, 0.3, 0.6, 8.0),
}

# Field name -> (meaning, allowed low, allowed high); the scenario validation
# and the ODD table read this.
MISSION_FIELDS: dict[str, tuple[str, float, float]] = {
    "role_share": ("share of citizens bound to this administration (local authority: 1, everyone)", 0.0, 1.0),
    "need_rate": ("needs per role holder per week", 0.0, 5.0),
    "complexity": ("procedure complexity", 0.0, 1.0),
    "quality": ("share of requests handled right whatever the citizen does", 0.0, 1.0),
    "staff": ("counter and phone contacts per 1000 citizens per week", 0.0, 1000.0),
}
assert set(MISSION_FIELDS) == {f.name for f in fields(Mission)} - {"label"}


def resolve_missions(overrides: dict[str, dict[str, Any]] | None = None) -> dict[str, Mission]:
    """The missions with a scenario's overrides applied (validated upstream)."""
    overrides = overrides or {}
    return {name: replace(m, **overrides.get(name, {})) for name, m in MISSIONS.items()}
