"""Country profiles: a scenario may name a country, and the country's published indicators set its world.

``scenarios/countries/<code>.toml`` holds one country's indicators, each with
its source, and nothing else: no parameter is fitted per country. One
mapping, defined once here (:func:`country_values`), turns indicators into
model inputs:

- the share of people aged 16-74 with at least basic digital skills
  (Eurostat isoc_sk_dskl_i21) is ``population.basic_skills_share``;
- the share aged 16-74 who never used the internet (Eurostat isoc_ci_ifp_iu)
  is ``population.never_online_share``;
- the eGovernment Benchmark's maturity score (0-100, European Commission,
  2023 edition) sets the share of procedures that can be completed online,
  ``population.online_offer = min(1, 0.84 x score / 70)``: the EU's 84% of
  services fully online at its average score of 70;
- whether online is the default or mandatory (Denmark's Digital Post) is
  ``population.online_default``;
- the population by age (CIA World Factbook, shares of the whole population
  aged 15-24, 25-54, 55-64 and 65 and over) gives the adults' pyramid
  (``[ages.<group>] share``), the 65 and over split into 65-74 and 75 and over
  as in the EU (:data:`OLD_SPLIT`).

The EU-27 profile maps to the model's defaults: the calibrated baseline is the
EU-average country. A scenario's own values win over its country's.

Examples
--------
>>> values = country_values("eu")
>>> values["population"]["online_offer"], round(sum(a["share"] for a in values["ages"].values()), 6)
(0.84, 1.0)
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crmsim.model.text import explain_invalid, read_toml

__all__ = ["COUNTRIES_DIR", "CountryError", "Country", "available", "load_country", "country_values",
           "EU_OFFER", "EU_MATURITY", "OLD_SPLIT"]

COUNTRIES_DIR = Path(__file__).resolve().parents[1] / "scenarios" / "countries"
EU_OFFER = 0.84  # eGovernment Benchmark 2023: 84% of services for national users can be completed fully online ...
EU_MATURITY = 70.0  # ... at the EU-27's average maturity score of about 70
# Of people aged 65 and over in the EU, the share aged 75 and over: the Factbook gives 65 and over as one band, so
# every country's is split the EU's way. Eurostat (1 January 2024): 65 and over 21.6% of the population, 80 and over
# 6.1%; with 75-79 about 4.5% (not read: estimated from the 5-year groups' decline) that is 10.6 / 21.6.
OLD_SPLIT = 0.49

_STRICT = ConfigDict(extra="forbid", strict=True)
_SHARE = Annotated[float, Field(ge=0.0, le=1.0)]
_PERCENT = Annotated[float, Field(ge=0.0, le=100.0)]


class CountryError(ValueError):
    """A country name or profile that cannot be used; one line naming the file and the field."""


class _AgeStructure(BaseModel):
    """Percent of the whole population in each band (CIA World Factbook)."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)
    under_15: _PERCENT = Field(alias="0_14")
    from_15_to_24: _PERCENT = Field(alias="15_24")
    from_25_to_54: _PERCENT = Field(alias="25_54")
    from_55_to_64: _PERCENT = Field(alias="55_64")
    from_65: _PERCENT = Field(alias="65_plus")


class _Indicators(BaseModel):
    model_config = _STRICT
    basic_skills_share: _SHARE
    never_online_share: _SHARE
    egov_maturity: _PERCENT
    online_default: bool = False
    age_structure: _AgeStructure


class Country(BaseModel):
    """One country profile: its name, its published indicators and where each comes from."""

    model_config = _STRICT
    name: Annotated[str, Field(min_length=1)]
    indicators: _Indicators
    sources: dict[str, Annotated[str, Field(min_length=10)]]


def available() -> list[str]:
    """The country codes with a profile, e.g. ['bg', 'de', 'dk', ...]."""
    return sorted(p.stem for p in COUNTRIES_DIR.glob("*.toml"))


@functools.lru_cache(maxsize=64)
def load_country(code: str) -> Country:
    """The profile of country ``code`` (CountryError: one line naming the file and field, or the codes known)."""
    path = COUNTRIES_DIR / f"{code}.toml"
    if not path.is_file():
        raise CountryError(f"unknown country {code!r}; allowed: one of {', '.join(available())} "
                           f"(profiles in {COUNTRIES_DIR})")
    data = read_toml(path, "country profile", CountryError)
    try:
        country = Country.model_validate(data)
    except ValidationError as err:
        raise CountryError(explain_invalid(str(path), err, "scenarios/countries/eu.toml")) from None
    missing = [name for name in ("basic_skills_share", "never_online_share", "egov_maturity", "age_structure")
               if name not in country.sources]
    if missing:
        raise CountryError(f"{path}: sources.{missing[0]}: missing; allowed: every indicator with its source")
    return country


def country_values(code: str) -> dict[str, dict[str, Any]]:
    """The scenario values a country's indicators map to (see the module): ``population`` and ``ages`` tables."""
    ind = load_country(code).indicators
    ages = ind.age_structure
    adults = ages.from_15_to_24 + ages.from_25_to_54 + ages.from_55_to_64 + ages.from_65
    bands = {"15_24": ages.from_15_to_24, "25_54": ages.from_25_to_54, "55_64": ages.from_55_to_64,
             "65_74": ages.from_65 * (1 - OLD_SPLIT), "75_plus": ages.from_65 * OLD_SPLIT}
    shares = {name: round(value / adults, 6) for name, value in bands.items()}
    shares["25_54"] = round(1.0 - sum(v for k, v in shares.items() if k != "25_54"), 6)  # add up to 1 exactly
    offer = min(1.0, EU_OFFER * ind.egov_maturity / EU_MATURITY)
    return {"population": {"basic_skills_share": ind.basic_skills_share,
                           "never_online_share": ind.never_online_share,
                           "online_offer": round(offer, 6) if not math.isclose(offer, 1.0) else 1.0,
                           "online_default": ind.online_default},
            "ages": {name: {"share": share} for name, share in shares.items()}}
