"""The digital divide as it is: people who never go online, age, and a country's online offer (issue 36).

Measured at 1,000 citizens on 10 paired seeds (scripts of the closing note):
``digital_first`` raises non-take-up among the offline by about 0.23 and among
the least skilled quarter of those who go online by about 0.05; the seed-to-seed
standard deviation of the difference of the two is about 0.04, so its 95%
interval (about +-0.03) sits far from zero.
"""

import numpy as np
import pytest

from crmsim.model import CrmModel
from crmsim.model.agents import NEVER
from crmsim.model.countries import available, country_values
from crmsim.model.scenario import parse_scenario
from tests.conftest import scenario
from tests.paired import warmed

SEEDS = range(10)
PUSHED_ONLINE = {"online_push": 2.0, "faq_quality": 0.8, "public_qa": 0.8, "forum": 0.8, "counter_staff": 0.3}


def test_a_citizen_who_never_goes_online_never_completes_a_request_online_alone():
    # Everything pulls online (a strong push, every help device, few counters), a third of people are offline.
    s = scenario(population={"never_online_share": 0.3}, levers=PUSHED_ONLINE)
    for seed in range(3):
        model = CrmModel(s, rng=seed)
        c = model.citizens
        before = c.needs - c.gave_up
        model.run(52, record=False)
        assert c.offline.sum() > 200
        assert (c.last_online[c.offline] == NEVER).all()
        # ... while they are still served (by prescribers and the counter), and the others do go online
        assert ((c.needs - c.gave_up) - before)[c.offline].sum() > 0
        assert (c.last_online[~c.offline] != NEVER).mean() > 0.5


def _non_take_up_by_group(base, policy, seed):
    """Non-take-up over a policy year among the offline, and among the least skilled quarter of the online."""
    model = warmed(base, seed).branch(policy)
    c = model.citizens
    needs, gave_up = c.needs.copy(), c.gave_up.copy()
    model.run(52, record=False)
    needs, gave_up = c.needs - needs, c.gave_up - gave_up
    online = ~c.offline
    least = online & (c.skill <= np.quantile(c.skill[online], 0.25))
    return np.array([gave_up[group].sum() / needs[group].sum() for group in (c.offline, least)])


def test_digital_first_raises_non_take_up_among_the_offline_more_than_among_the_least_skilled_online():
    base, digital_first = scenario(), scenario(policy="digital_first")
    change = np.array([_non_take_up_by_group(base, digital_first, seed) - _non_take_up_by_group(base, base, seed)
                       for seed in SEEDS])
    offline, least_online = change[:, 0], change[:, 1]
    assert least_online.mean() > 0  # it harms the least skilled online too ...
    gap = offline - least_online  # ... but those who cannot go online far more
    half_width = 2.262 * gap.std(ddof=1) / np.sqrt(len(SEEDS))  # Student's t, 9 degrees of freedom, 95%
    assert gap.mean() - half_width > 0, (gap.mean(), half_width)


INDICATOR_INPUTS = {"basic_skills_share", "never_online_share", "online_offer", "online_default"}


@pytest.mark.parametrize("code", [c for c in available() if c != "eu"])
def test_a_country_profile_changes_nothing_but_its_indicators_inputs(code):
    base = scenario()
    country = base.with_values({"country": code})
    changed = {k for k, v in country.flat().items() if base.flat()[k] != v}
    assert changed <= INDICATOR_INPUTS and changed, changed
    values = country_values(code)
    assert {k: country.flat()[k] for k in changed} == {k: v for k, v in values["population"].items() if k in changed}
    assert {g: a.share for g, a in country.age_groups().items()} == pytest.approx(
        {g: a["share"] for g, a in values["ages"].items()})
    assert country.missions() == base.missions() and country.events() == base.events()
    assert country.policies == base.policies


def test_the_eu_profile_is_the_model_s_defaults():
    base = scenario()
    eu = parse_scenario({"country": "eu", "population": {"n_citizens": 1000}}, "<test>")
    assert eu.flat() == base.flat()
    assert {g: a.share for g, a in eu.age_groups().items()} == pytest.approx(
        {g: a.share for g, a in base.age_groups().items()})


def test_a_scenario_s_own_value_wins_over_its_country_s():
    own = parse_scenario({"country": "pt", "population": {"n_citizens": 1000, "never_online_share": 0.01}}, "<test>")
    assert own.population.never_online_share == 0.01
    assert own.population.basic_skills_share == country_values("pt")["population"]["basic_skills_share"]
