"""Mediation policies (DESIGN section 4) as named sets of lever values.

A policy only sets levers (see the ``levers`` section of ``model.params``); a
lever it does not name keeps the ``supply_front_office`` baseline. A policy
sets only the levers its case names and never lowers one below the baseline
unless its case removes something and says so (``removes``: digital-first
closes counters), so a verdict measures what the policy adds, not what it
silently takes away. Composites
are unions of single policies, each lever at its strongest setting among the
parts. A scenario may list several policies: they apply in order, the later
winning. Each lever can still be set on
its own in a scenario's ``[levers]`` table, which wins over the policy.

The two families of the paper (section 2.3): *new public management*
(efficiency: self-service, fewer counters, personalisation) and *democratic
governance* (participation: forums, co-design, transparency, funded mediation).

Examples
--------
>>> apply_policies(["faq"])["faq_quality"]
0.6
>>> apply_policies(["supply_front_office"])["faq_quality"]
0.0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crmsim.model.params import PARAMS, params_in

__all__ = ["Policy", "POLICIES", "apply_policies", "lever_defaults"]


@dataclass(frozen=True)
class Policy:
    """A named set of lever values, with the paper section it comes from."""

    name: str
    summary: str
    paper: str
    levers: dict[str, Any] = field(default_factory=dict)
    includes: tuple[str, ...] = ()
    # Levers the policy lowers below the baseline because its case removes something (digital-first closes
    # counters); its summary says so. Any other lever a policy sets only adds to the baseline.
    removes: tuple[str, ...] = ()


_SINGLE = [
    Policy("supply_front_office", "pages and a counter, nothing else: the baseline the paper suspects", "1, 2.1"),
    Policy("faq", "an FAQ/helpdesk answers the asker's question", "2.2", {"faq_quality": 0.6}),
    Policy("public_qa", "answers are published: everyone with the same need can read them", "2.2",
           {"public_qa": 0.8, "faq_quality": 0.5}),
    Policy("community_forum", "citizens help citizens beyond their own ties", "2.2", {"forum": 0.7}),
    Policy("personal_space", "a personal space keeps records that cut repeat failures", "2.3",
           {"personalisation": 0.8, "interconnection": 0.3}),
    Policy("single_front_office", "one contact handles every need waiting, at every administration; files are "
           "interconnected", "2.3",
           {"single_front_office": True, "interconnection": 1.0}),
    Policy("funded_prescribers", "institutional prescribers are funded: they reach more people, help more, are "
           "trained and carry collective complaints", "3",
           {"funded_prescribers": 1.0, "prescriber_bundling": True}),
    Policy("redress_procedure", "a known, staffed, independent redress procedure with a deadline", "2.4, 3",
           {"redress_visibility": 0.6, "redress_capacity": 1.0, "redress_deadline": 8, "review_independence": 0.8,
            "data_protection_redress": True}),
    Policy("transparent_feedback", "outcomes and fixes are published; voice is acted upon", "2.2, 2.4",
           {"transparency": 0.9, "responsiveness": 0.5, "voice_collection": 0.4}),
    Policy("co_design", "users co-design the service: voice collected and acted on, more staff time to improve, "
           "bigger fixes", "2.3",
           {"voice_collection": 0.6, "responsiveness": 0.9, "transparency": 0.5, "adaptation_step": 0.1,
            "improvement_weeks": 10.0}),
    # The City of Paris case adds a poll; it takes nothing away, so responsiveness and publication stay at the
    # baseline (a poll nobody acts on and nothing published is scenarios/city_poll_no_transparency.toml).
    Policy("opinion_poll", "voice collected by poll, acted on no more than before (City of Paris case)", "2.2",
           {"voice_collection": 0.9}),
    # E-commerce's defining device, on services a citizen cannot leave: ratings steer, set expectations and
    # count as voice (model.phases.ratings).
    Policy("ratings_reviews", "citizens rate each administration and channel; scores and prescribers' opinions "
           "are published", "3", {"ratings": 0.8}),
    Policy("digital_first", "counters mostly closed to cut cost; citizens are redirected online", "2.1, 2.3",
           {"counter_staff": 0.2, "online_push": 0.5}, removes=("counter_staff",)),
]

_COMPOSITE = [
    Policy("new_public_management", "efficiency: self-service, fewer counters, personalisation, one front office",
           "2.3", includes=("digital_first", "faq", "personal_space", "single_front_office")),
    Policy("democratic_governance", "participation: forums, co-design, transparency, funded mediation", "2.3",
           includes=("community_forum", "transparent_feedback", "co_design", "funded_prescribers")),
    Policy("full_mediation", "every mediation device at once, with redress and data protection", "2.2-3",
           includes=("faq", "public_qa", "community_forum", "personal_space", "funded_prescribers",
                     "redress_procedure", "transparent_feedback", "co_design")),
]

POLICIES: dict[str, Policy] = {p.name: p for p in _SINGLE + _COMPOSITE}

for _policy in POLICIES.values():  # the table must only name real levers and policies
    for _lever in _policy.levers:
        if PARAMS.get(_lever) is None or PARAMS[_lever].section != "levers":
            raise RuntimeError(f"policy {_policy.name}: {_lever} is not a lever")
    for _inc in _policy.includes:
        if _inc not in POLICIES:
            raise RuntimeError(f"policy {_policy.name}: includes unknown policy {_inc}")


def lever_defaults() -> dict[str, Any]:
    """The baseline value of every lever."""
    return {p.name: p.default for p in params_in("levers")}


def _strongest(lever: str, values: list[Any]) -> Any:
    """The setting furthest from the baseline (for a flag: on if any part turns it on)."""
    base = PARAMS[lever].default
    return max(values, key=lambda v: abs(float(v) - float(base)))


def _lever_values(name: str) -> dict[str, Any]:
    """A policy's levers; a composite takes, for each lever, the strongest setting among its parts.

    So ``democratic_governance`` is as transparent as ``transparent_feedback``
    and as responsive as ``co_design``, whatever order the parts are listed in.
    """
    policy = POLICIES[name]
    settings: dict[str, list[Any]] = {}
    for part in policy.includes:
        for lever, value in _lever_values(part).items():
            settings.setdefault(lever, []).append(value)
    values = {lever: _strongest(lever, options) for lever, options in settings.items()}
    values.update(policy.levers)
    return values


def apply_policies(names: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """Every lever's value once the named policies are applied in order.

    Raises KeyError naming the unknown policy and the known ones.
    """
    levers = lever_defaults()
    for name in names:
        if name not in POLICIES:
            raise KeyError(f"unknown policy {name!r}; known: {', '.join(POLICIES)}")
        levers.update(_lever_values(name))
    return levers
