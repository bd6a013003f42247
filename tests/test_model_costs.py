"""What policies cost (model/costs.py): known answers, prices that change no behaviour, paired directions."""

import numpy as np
import pytest

from crmsim.model import CrmModel, costs, metrics
from crmsim.model.params import PARAMS
from tests.conftest import scenario
from tests.paired import finals, paired

ONLY_COUNTER = {"n_citizens": 5000, "prescribers_per_1000": 0}  # staff per week come out whole: 10, 3, 5, 8 contacts
COUNTER_BEHAVIOUR = {"online_intercept": -10.0, "queue_aversion": 0.0}
NO_FIXES = {"responsiveness": 0.0, "improvement_weeks": 0.0, "counter_staff": 0.2}  # saturated, never adapts
PRICE_NAMES = [name for name, p in PARAMS.items() if p.section == "costs"]


def _run(seed=1, steps=30, **sections) -> CrmModel:
    """No warm-up and fewer than 52 weeks: every week runs the policy and lies inside the year's window, so the
    yearly tallies hold the whole run."""
    model = CrmModel(scenario(warmup=0, steps=steps, **sections), rng=seed)
    model.run()
    return model


def _behaviour(model: CrmModel) -> dict:
    return {k: v for k, v in model.final_metrics().items() if k not in metrics.COST_METRICS}


def test_a_world_where_every_need_goes_to_a_saturated_counter_costs_contacts_times_price():
    model = _run(population=ONLY_COUNTER, behaviour=COUNTER_BEHAVIOUR, levers=NO_FIXES)
    p, t = model.p, model.year
    # At odds of e^-10 to e^-7 (by skill) a rare request still goes online; priced per contact, it stays out of staff.
    assert t.online_contacts <= 3 and t.contacts == t.staff_contacts + t.online_contacts > 0
    price = (1 - p.phone_share) * p.cost_counter_contact + p.phone_share * p.cost_phone_contact
    items = costs.spending(model)
    assert items["counters"] + items["phone"] == pytest.approx(t.staff_contacts * price, rel=1e-12)
    # Saturated: every slot of the staff employed was used, so capacity and contacts agree.
    assert t.staff_contacts == model.counter_capacity.sum() * model.ledger.weeks
    assert items["online"] == pytest.approx(t.online_contacts * p.cost_online_contact, rel=1e-12)
    assert items["prescribers"] == items["fixes"] == 0


def test_prices_change_no_behaviour_and_move_only_their_own_item():
    base = _run(population={"n_citizens": 800})
    priced = _run(population={"n_citizens": 800}, levers={"faq_quality": 0.4},
                  costs={"cost_faq": 9000.0, "cost_online_contact": 2.0})
    faq_free = _run(population={"n_citizens": 800}, levers={"faq_quality": 0.4})
    np.testing.assert_equal(_behaviour(priced), _behaviour(faq_free))  # NaN (no ratings) equals NaN
    before, after = costs.spending(faq_free), costs.spending(priced)
    years = faq_free.ledger.weeks / costs.WEEKS_PER_YEAR
    assert after["devices"] - before["devices"] == pytest.approx(
        (9000.0 - PARAMS["cost_faq"].default) * 0.4 * 0.8 * years)
    assert after["online"] == pytest.approx(before["online"] * 2.0 / PARAMS["cost_online_contact"].default)
    assert {k: v for k, v in after.items() if k not in ("devices", "online")} == \
        {k: v for k, v in before.items() if k not in ("devices", "online")}
    running = sum(PARAMS[price].default * PARAMS[lever].default for price, lever in costs.DEVICES.items())
    assert costs.spending(base)["devices"] == pytest.approx(running * 0.8 * years, rel=1e-12)

def test_turning_a_device_off_removes_its_running_cost_and_no_other_device_cost():
    levers = {"faq_quality": 0.6, "public_qa": 0.5, "forum": 0.4, "responsiveness": 0.0}  # no fixes
    on = _run(population={"n_citizens": 800}, levers=levers)
    off = _run(population={"n_citizens": 800}, levers={**levers, "public_qa": 0.0})
    years, thousands = on.ledger.weeks / costs.WEEKS_PER_YEAR, 0.8
    removed = costs.spending(on)["devices"] - costs.spending(off)["devices"]
    assert removed == pytest.approx(PARAMS["cost_public_qa"].default * 0.5 * thousands * years, rel=1e-12)
    # Staff are priced by what is employed, which the device does not change; no fixes either way.
    for item in ("counters", "phone", "fixes"):
        assert costs.spending(on)[item] == costs.spending(off)[item]
    assert _behaviour(on) != _behaviour(off)  # while the device did change what people do


def test_items_add_up_to_the_total_and_administrations_plus_devices_too():
    model = _run(population={"n_citizens": 1000}, policy="full_mediation")
    memo = {}
    by_item = costs.spending(model, memo)
    total = costs.total_public(model, memo)
    assert sum(by_item.values()) == pytest.approx(total, rel=1e-12)
    admins = sum(costs.administration_total(model, a, memo) for a in range(len(model.administrations)))
    assert admins + by_item["devices"] == pytest.approx(total, rel=1e-12)
    assert all(v > 0 for v in by_item.values()), by_item  # full mediation pays for every item
    p, years = model.p, model.ledger.weeks / costs.WEEKS_PER_YEAR
    assert by_item["redress"] == pytest.approx(model.year.redress_decided * p.cost_redress_case
                                               + p.cost_data_protection * model.n_citizens / costs.PER * years)
    assert by_item["prescribers"] == model.year.funded_by_admin.sum() * p.cost_assisted_request


def _hours(**prices) -> float:
    zero = {"hours_online": 0.0, "hours_prescriber": 0.0, "hours_counter": 0.0, "hours_waiting_week": 0.0}
    model = _run(population={"n_citizens": 1000}, levers={"counter_staff": 0.3}, costs={**zero, **prices})
    return model, float(model.year.hours_by_quartile.sum())


def test_citizens_hours_add_up_by_channel_and_waiting():
    """One hour per request on one channel counts that channel's requests; the four add up to all hours."""
    model, online = _hours(hours_online=1.0)
    _, prescriber = _hours(hours_prescriber=1.0)
    _, counter = _hours(hours_counter=1.0)
    _, waiting = _hours(hours_waiting_week=1.0)
    _, every = _hours(hours_online=1.0, hours_prescriber=1.0, hours_counter=1.0, hours_waiting_week=1.0)
    t = model.year
    assert online == t.online_contacts and counter == t.staff_contacts
    assert prescriber == t.contacts - t.online_contacts - t.staff_contacts > 0
    assert waiting > 0  # a thin counter (counter_staff 0.3) keeps people waiting
    assert every == pytest.approx(online + prescriber + counter + waiting, rel=1e-12)


@pytest.mark.parametrize("name", PRICE_NAMES)
def test_every_price_is_a_scenario_field_a_sweep_can_reach(name):
    assert name in scenario(costs={name: PARAMS[name].default}).flat()


def test_digital_first_costs_less_and_the_least_skilled_give_up_more():
    """Measured, 16 paired seeds, 1000 citizens: public cost -9.2 [-9.8, -8.5] euros per citizen per year;
    least skilled quarter's non-take-up +0.058 [+0.049, +0.068]."""
    base = finals(scenario(population={"n_citizens": 1000}))
    digital = finals(scenario(population={"n_citizens": 1000}, policy="digital_first"))
    assert paired(base, digital, "public_cost_per_citizen").high < -5
    assert paired(base, digital, "non_take_up_bottom").low > 0.02


def test_funded_prescribers_cost_more():
    """Measured, 16 paired seeds: +64.9 [+63.7, +66.1] euros per citizen per year (requests at EUR 39 each)."""
    base = finals(scenario(population={"n_citizens": 1000}))
    funded = finals(scenario(population={"n_citizens": 1000}, policy="funded_prescribers"))
    change = paired(base, funded, "public_cost_per_citizen")
    assert change.low > 30, change
    assert paired(base, funded, "cost_prescribers").low > 30
