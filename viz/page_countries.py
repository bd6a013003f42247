"""The countries the teacher's page offers: the chosen scenario run in another country's population and online offer.

A country profile (``scenarios/countries/<code>.toml``, :mod:`crmsim.model.countries`)
holds a country's published indicators, which one mapping turns into the
population's digital skills, who never goes online, and how much of the
administration can be done online. The page runs the chosen scenario in the
chosen country (``Scenario.with_values({"country": code})``), both sides of a
comparison alike; the EU average, the calibrated baseline's own world, is the
default. Country names are the profiles' English names, translated through
the catalogue like every text of the page.

>>> list(country_names())[:2]
['eu', 'dk']
"""

from __future__ import annotations

from crmsim.texts.i18n import _, percent
from crmsim.model.countries import CountryError, available, load_country
from crmsim.model.scenario import Scenario

__all__ = ["EU", "country_names", "home", "in_country", "country_note"]

EU = "eu"  # the EU-27 average: the model's defaults, what a scenario naming no country runs in


def _capital(name: str) -> str:
    """'the Netherlands' as a list shows it: 'The Netherlands' (French: 'Les Pays-Bas')."""
    return name[:1].upper() + name[1:]


def country_names() -> dict[str, str]:
    """Code -> name in the current language: the EU average first, then every country by its name.

    A profile that cannot be read is left out (``crmsim validate`` names its problem).
    """
    names = {}
    for code in available():
        if code == EU:
            continue
        try:
            names[code] = _capital(_(load_country(code).name))
        except CountryError:
            continue
    return {EU: _("EU average (27 countries)"), **dict(sorted(names.items(), key=lambda item: item[1].casefold()))}


def home(spec: Scenario) -> str:
    """The country a scenario runs in by itself: the one it names, else the EU average."""
    return spec.country or EU


def in_country(spec: Scenario, country: str | None) -> Scenario:
    """``spec`` run in ``country`` (None, or the scenario's own country: unchanged; its own values still win)."""
    if country is None or country == home(spec):
        return spec
    return spec.with_values({"country": country})


def country_note(spec: Scenario) -> str:
    """What the model runs for this country, from the scenario itself: skills, people offline, the online offer."""
    population = spec.population
    text = _("{skills} of adults with basic digital skills, {offline} never online; {offer} of procedures can be "
             "done online").format(skills=percent(population.basic_skills_share),
                                   offline=percent(population.never_online_share, 1),
                                   offer=percent(population.online_offer))
    if population.online_default:
        text += _("; online is the default")
    return text + "."
