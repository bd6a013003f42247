"""Age groups: who has the skills, who never goes online, and which administrations each age deals with.

The digital divide is first an age divide: in the EU in 2023 a quarter to a
third of people aged 65-74 had at least basic digital skills, against seven
in ten aged 25-34 (Eurostat); in France 62% of people aged 75 or more were in
*illectronisme* in 2021, against 2% of those aged 15-24 (INSEE Première
1953). Each citizen belongs to one age group. A group carries:

- ``share``: its share of adults (15 and over), the population pyramid
  (a country profile sets it: ``scenarios/countries/``);
- ``basic_skills``: the share of the group with at least basic digital skills
  in the EU, which sets how the group's skill is spread against the others';
- ``offline``: the group's share who never go online in the EU (no
  equipment, no connection), which a country's own share scales;
- ``roles``: how much more or less than an average adult the group holds each
  administration's role (a job seeker is of working age; the old pay less
  tax), each a multiple whose mean over the EU pyramid is 1, so that a
  mission's ``role_share`` keeps its meaning.

These are the EU values, written once here with their sources; a scenario may
change a group's share in an ``[ages.<group>]`` table.

Examples
--------
>>> round(sum(a.share for a in AGE_GROUPS.values()), 6)
1.0
>>> AGE_GROUPS["75_plus"].survey
False
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["AgeGroup", "AGE_GROUPS", "AGE_FIELDS", "resolve_ages", "SURVEY_AGES"]


@dataclass(frozen=True)
class AgeGroup:
    """One age group's EU defaults (see the module)."""

    label: str
    share: float  # share of adults (15 and over)
    basic_skills: float  # share with at least basic digital skills
    offline: float  # share who never go online
    survey: bool  # inside the 16-74 range of Eurostat's ICT surveys
    roles: dict[str, float] = field(default_factory=dict)  # mission -> multiple of its role share


# The pyramid is the EU-27 profile's (scenarios/countries/eu.toml: CIA World Factbook, 2020; 65 and over split as
# model.countries.OLD_SPLIT). The EU's skills by age (Eurostat isoc_sk_dskl_i21, 2023, by sex, relayed: aged 65-74,
# 34% of men and 25% of women; aged 25-34, 69% and 71%; EPRS 2022: 71% of 16-29 in 2021) give 15-24 and 65-74;
# 25-54 and 55-64 are interpolated so that the 16-74 share is the EU's 56.7%, and 75 and over follows INSEE's 62%
# of 75+ in illectronisme (assumptions, docs/ODD.md "Age"). Offline by age: Destatis for Germany 2023 (never used
# the internet: 2% of 16-44, 5% of 45-64, 15% of 65-74), INSEE for 75+ (France 2021; Ireland's CSO, 42% of 75+
# never online in 2023); the profile's shape only, scaled to each country's share. Roles: assumptions of shape
# (people register as job seekers of working age; the young and the very old pay less tax).
AGE_GROUPS: dict[str, AgeGroup] = {
    "15_24": AgeGroup("15 to 24", 0.122307, 0.70, 0.01, True,
                      {"employment_agency": 1.3, "tax_office": 0.55, "housing_office": 1.2}),
    "25_54": AgeGroup("25 to 54", 0.477223, 0.645, 0.02, True,
                      {"employment_agency": 1.3, "tax_office": 1.1, "housing_office": 1.05}),
    "55_64": AgeGroup("55 to 64", 0.159152, 0.45, 0.06, True,
                      {"employment_agency": 0.9, "tax_office": 1.1, "housing_office": 0.9}),
    "65_74": AgeGroup("65 to 74", 0.123072, 0.30, 0.15, True,
                      {"employment_agency": 0.05, "tax_office": 1.0, "housing_office": 0.85}),
    "75_plus": AgeGroup("75 and over", 0.118246, 0.12, 0.50, False,
                        {"employment_agency": 0.0, "tax_office": 0.8, "housing_office": 0.95}),
}
SURVEY_AGES = tuple(name for name, group in AGE_GROUPS.items() if group.survey)

# Field name -> (meaning, allowed low, allowed high): what a scenario may set in [ages.<group>].
AGE_FIELDS: dict[str, tuple[str, float, float]] = {
    "share": ("share of adults (15 and over) in this age group; the groups' shares must add up to 1", 0.0, 1.0),
}


def resolve_ages(overrides: dict[str, dict[str, Any]] | None = None) -> dict[str, AgeGroup]:
    """The age groups with a scenario's overrides applied (validated upstream, shares summing to 1)."""
    overrides = overrides or {}
    return {name: replace(group, **overrides.get(name, {})) for name, group in AGE_GROUPS.items()}


def skill_means(groups: dict[str, AgeGroup], basic_skills_share: float, level: float, spread: float) -> dict[str, float]:
    """Each group's mean digital skill (of a Beta law with standard deviation ``spread``), so that the share of
    the survey ages (16-74) whose skill reaches ``level`` (basic digital skills) is ``basic_skills_share``, and the
    groups keep the EU's gradient: each group's EU share with basic skills moves by one common shift of log-odds.

    With no spread there are no skill differences at all, within or between
    ages: everyone has the basic level (a limiting case, not a country).

    >>> means = skill_means(AGE_GROUPS, 0.567, 0.55, 0.22)
    >>> means["15_24"] > means["55_64"] > means["75_plus"]
    True
    >>> set(skill_means(AGE_GROUPS, 0.567, 0.55, 0.0).values())
    {0.55}
    """
    from scipy import optimize, special, stats

    from crmsim.model.agents import beta_shape

    if spread <= 0:
        return {name: level for name in groups}
    survey = {name: g for name, g in groups.items() if g.survey}
    total = sum(g.share for g in survey.values())

    def share_at(shift: float) -> float:
        return sum(g.share * special.expit(special.logit(g.basic_skills) + shift) for g in survey.values()) / total

    shift = optimize.brentq(lambda s: share_at(s) - basic_skills_share, -20.0, 20.0, xtol=1e-12)

    def mean_for(target: float) -> float:
        def above(m: float) -> float:
            return float(stats.beta.sf(level, *beta_shape(m, spread))) - target
        if above(0.001) >= 0:
            return 0.001
        if above(0.999) <= 0:
            return 0.999
        return optimize.brentq(above, 0.001, 0.999, xtol=1e-12)

    return {name: mean_for(float(special.expit(special.logit(g.basic_skills) + shift))) for name, g in groups.items()}


def offline_rates(groups: dict[str, AgeGroup], never_online_share: float) -> dict[str, float]:
    """Each group's chance of never going online: the EU profile scaled so that the survey ages' share offline is
    ``never_online_share`` (at most 1 in any group).

    >>> rates = offline_rates(AGE_GROUPS, 0.06)
    >>> rates["75_plus"] > rates["65_74"] > rates["15_24"]
    True
    """
    survey = {name: g for name, g in groups.items() if g.survey}
    profile = sum(g.share * g.offline for g in survey.values()) / sum(g.share for g in survey.values())
    scale = never_online_share / profile if profile > 0 else 0.0
    return {name: min(1.0, g.offline * scale) for name, g in groups.items()}


def role_multiples(groups: dict[str, AgeGroup], mission: str) -> dict[str, float]:
    """Each group's multiple of ``mission``'s role share, normalised to a mean of 1 over the EU pyramid (so an
    older country has fewer job seekers, not the same number spread over fewer people of working age)."""
    mean = sum(g.share * g.roles.get(mission, 1.0) for g in AGE_GROUPS.values())
    return {name: g.roles.get(mission, 1.0) / mean for name, g in groups.items()}
