"""How a person reads a metric, a lever or a varied factor, in the current language.

The texts themselves are defined once: a metric's label, unit, direction and
reading in :data:`crmsim.model.metrics.INFO`, a lever's meaning in
:data:`crmsim.model.params.PARAMS`. This module adds what those tables lack for
a reader, the levers' short labels and the groups that organise a report or a
scenario file, and passes every text through :func:`crmsim.texts.i18n._` when it is
called (never at import), so the sweep report, ``crmsim explain`` and
``crmsim new-scenario`` follow ``--lang``.

>>> from crmsim.texts.i18n import language
>>> lever_label("levers.faq_quality"), metric_label("trust_mean")
('FAQ quality', 'Mean trust')
>>> with language("fr"):
...     metric_label("trust_mean"), value_text(0.5)
('Confiance moyenne', '0,5')
"""

from __future__ import annotations

import numbers
from pathlib import Path
from typing import Any, Iterable

from babel.numbers import format_decimal

from crmsim.texts.i18n import _, current
from crmsim.model import costs
from crmsim.model.administrations import MISSIONS
from crmsim.model.metrics import INFO, QUARTILE_METRICS
from crmsim.model.params import PARAMS, params_in
from crmsim.model.policies import POLICIES

__all__ = ["LEVER_GROUPS", "METRIC_GROUPS", "POLICY_LABELS", "SCENARIO_LABELS", "lever_label", "param_help",
           "factor_label", "metric_label", "metric_unit", "metric_better", "metric_reading", "metric_groups",
           "policy_label", "scenario_label", "scenario_labels", "value_text", "listing", "colon", "country_name"]

# Each lever once, under the question a workshop asks of it, with a short label for charts and tables.
LEVER_GROUPS: dict[str, dict[str, str]] = {
    "Counters and online": {"counter_staff": "Counter staff", "online_push": "Push to online",
                            "online_fit": "Online fit"},
    "Information": {"faq_quality": "FAQ quality", "public_qa": "Public Q&A", "forum": "Community forum"},
    "Personal records and files": {"personalisation": "Personal space", "single_front_office": "Single front office",
                                   "interconnection": "Interconnected files",
                                   "data_protection_redress": "Data-protection recourse"},
    "Prescribers": {"funded_prescribers": "Funded prescribers", "prescriber_bundling": "Collective complaints"},
    "Redress": {"redress_visibility": "Redress visibility", "redress_capacity": "Redress capacity",
                "redress_deadline": "Redress deadline", "review_independence": "Review independence"},
    "Voice and transparency": {"voice_collection": "Voice collection", "improvement_weeks": "Improvement staff time",
                               "responsiveness": "Responsiveness",
                               "transparency": "Transparency", "adaptation_step": "Size of a fix",
                               "ratings": "Ratings and reviews"},
}
_LEVER_LABELS = {name: label for group in LEVER_GROUPS.values() for name, label in group.items()}
if set(_LEVER_LABELS) != {p.name for p in params_in("levers")}:  # pragma: no cover - guards the table itself
    raise RuntimeError("LEVER_GROUPS must list every lever of model/params.py once")

# The paper's questions (trust, information equality, redress), then take-up, cost, and who gains.
METRIC_GROUPS: dict[str, tuple[str, ...]] = {
    "Trust": ("trust_mean", "trust_share", "trust_p10", "trust_p90", "trust_skill_gap"),
    "Knowledge and equality": ("knowledge_mean", "knowledge_gini", "knowledge_skill_gap"),
    "Take-up": ("take_up", "non_take_up", "non_take_up_bottom", "non_take_up_offline", "event_take_up"),
    "Redress": ("redress_success", "redress_on_time", "lost_users", "redress_attempt_rate", "complainants"),
    "Cost and use": ("staff_per_need_met", "online_share", "online_users", "adaptations"),
    "Ratings and reviews": ("published_score", "rated_success"),
    "Public cost": ("public_cost_per_citizen", "public_cost_per_need_met", *(f"cost_{i}" for i in costs.ITEMS),
                    *(f"cost_admin_{m}" for m in MISSIONS)),
    "Citizens' time": ("hours_per_need_met", *(f"hours_per_need_met_q{q}" for q in range(1, 5)),
                       "bottom_needs_acted_on"),
    "By digital skill quartile: who gains, who loses": tuple(QUARTILE_METRICS),
}
OTHER = "Other metrics"  # a metric no group names yet still gets charted


def metric_groups(metrics: Iterable[str]) -> list[tuple[str, list[str]]]:
    """``metrics`` sorted into the groups above (translated titles), empty groups left out, in group order."""
    metrics = list(dict.fromkeys(metrics))
    placed = {m for names in METRIC_GROUPS.values() for m in names}
    groups = [(title, [m for m in names if m in metrics]) for title, names in METRIC_GROUPS.items()]
    groups.append((OTHER, [m for m in metrics if m not in placed]))
    return [(_(title), names) for title, names in groups if names]


def metric_label(name: str) -> str:
    """'Mean trust' for ``trust_mean``; a metric INFO does not know keeps its name."""
    return _(INFO[name].label) if name in INFO else name


def metric_unit(name: str) -> str:
    return _(INFO[name].unit) if name in INFO else ""


def metric_better(name: str) -> str:
    """'higher is better', 'lower is better' or 'neither better nor worse'."""
    return _(INFO[name].better) if name in INFO else ""


def metric_reading(name: str) -> str:
    return _(INFO[name].reading) if name in INFO else ""


def lever_label(name: str) -> str:
    """A lever's short label ('levers.faq_quality' or 'faq_quality' -> 'FAQ quality')."""
    name = name.rsplit(".", 1)[-1]
    return _(_LEVER_LABELS[name]) if name in _LEVER_LABELS else name.replace("_", " ")


def param_help(name: str) -> str:
    """A parameter's meaning from model/params.py, translated."""
    return _(PARAMS[name.rsplit(".", 1)[-1]].meaning)


def factor_label(name: str) -> str:
    """A varied factor as people read it: a lever's label, 'policy', or a field path in words."""
    if name in ("policy", "scenario"):
        return _(name)
    parts = name.split(".")
    if parts[-1] in _LEVER_LABELS:
        return lever_label(parts[-1])
    return " ".join(part.replace("_", " ") for part in parts[1:] or parts)


# Each policy of model/policies.py by the name a workshop says aloud (a chart's legend, a table's row).
POLICY_LABELS: dict[str, str] = {
    "supply_front_office": "Supply front office", "faq": "FAQ / helpdesk", "public_qa": "Public Q&A",
    "community_forum": "Community forum", "personal_space": "Personal space",
    "single_front_office": "Single front office", "funded_prescribers": "Funded prescribers",
    "redress_procedure": "Redress procedure", "transparent_feedback": "Transparent feedback",
    "co_design": "Co-design", "opinion_poll": "Opinion poll", "ratings_reviews": "Ratings and reviews",
    "digital_first": "Digital first", "new_public_management": "New public management",
    "democratic_governance": "Democratic governance", "full_mediation": "Full mediation",
}
if set(POLICY_LABELS) != set(POLICIES):  # pragma: no cover - guards the table itself
    raise RuntimeError("POLICY_LABELS must name every policy of model/policies.py once")
# The shipped scenario files (by stem) that are not named after their policy.
SCENARIO_LABELS: dict[str, str] = {
    **POLICY_LABELS, "calibrated_baseline": "Calibrated baseline",
    "city_poll_no_transparency": "City poll, no transparency",
    "employment_portal_archive": "Employment portal, archive only", "national_template": "National template",
    "small_town_network": "Small town with its network",
}


def policy_label(name: str) -> str:
    """'Funded prescribers' for ``funded_prescribers``; a name no policy has keeps it."""
    return _(POLICY_LABELS[name]) if name in POLICY_LABELS else name


def scenario_label(name: str) -> str:
    """A compared scenario (a file's stem) as people read it: 'Calibrated baseline' for ``calibrated_baseline``;
    a file of one's own keeps its name with spaces ('my faq'), and a file compared twice its number ('faq (2)')."""
    stem, dash, copy = name.rpartition("-")
    if dash and copy.isdigit() and stem:
        return f"{scenario_label(stem)} ({copy})"
    return _(SCENARIO_LABELS[name]) if name in SCENARIO_LABELS else name.replace("_", " ")


def scenario_labels(names: Iterable[str]) -> dict[str, str]:
    """Each name's :func:`scenario_label`, the name itself added where two would read alike."""
    labels = {name: scenario_label(name) for name in names}
    seen = list(labels.values())
    return {name: label if seen.count(label) == 1 else f"{label} ({name})" for name, label in labels.items()}


def value_text(value: Any) -> str:
    """A value as the current language writes it: 0.5 / 0,5 (3 decimals at most); yes/no; a file by its name."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, numbers.Real):
        return format_decimal(value, format="#,##0.###", locale=current())
    if isinstance(value, str) and value.endswith(".toml"):
        return Path(value).stem
    if isinstance(value, (list, tuple)):  # several policies, applied in order
        return " + ".join(value_text(v) for v in value)
    return str(value)


def country_name(code: str) -> str:
    """A country profile's name as the current language writes it: 'Denmark', in French 'Danemark'.

    English is the profile's own name (``scenarios/countries/<code>.toml``);
    another language takes Babel's name for the territory, and the profile's
    when Babel has none.

    >>> from crmsim.texts.i18n import language
    >>> with language("fr"):
    ...     country_name("nl")
    'Pays-Bas'
    """
    from babel import Locale

    from crmsim.model.countries import load_country

    own = load_country(code).name
    if current() == "en":
        return own
    return Locale.parse(current()).territories.get(code.upper(), own)


def colon(label: str, value: str) -> str:
    """'FAQ quality: 0.6', or in French 'Qualité de la FAQ : 0,6' (a space before the colon)."""
    return _("{label}: {value}").format(label=label, value=value)


def listing(values: Iterable[Any]) -> str:
    """Values one after another, separated so that decimal commas stay readable ('0; 0,5' in French)."""
    return _(", ").join(value_text(v) for v in values)

