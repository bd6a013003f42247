"""Agents as array views, the step phases, metrics, and determinism."""

import math

import numpy as np
import pandas as pd
import pytest

from crmsim.model import CrmModel
from crmsim.model.agents import Administration, Channel, Citizen, Prescriber, beta_draws
from crmsim.model.metrics import METRICS, gini, rate
from tests.conftest import scenario


def test_citizen_agents_read_and_write_the_model_arrays(small):
    m = CrmModel(small, rng=1)
    citizen = m.citizen_agents[7]
    assert isinstance(citizen, Citizen)
    assert citizen.knowledge == m.citizens.knowledge[7]
    citizen.knowledge = 0.123
    assert m.citizens.knowledge[7] == 0.123
    citizen.trust[0] = 0.9  # a writable view of the row
    assert m.citizens.trust[7, 0] == 0.9
    assert 0 <= citizen.mean_trust <= 1
    assert len(m.agents_by_type[Citizen]) == 300


def test_citizen_agents_are_made_on_first_use_as_they_were_at_build_time(small):
    """Made lazily (a million take seconds), they get the ids, order and types they had, and draw nothing."""
    m = CrmModel(small, rng=1)
    untouched = CrmModel(small, rng=1)
    numpy_state, python_state = m.rng.bit_generator.state, m.random.getstate()
    everyone = list(m.agents)
    assert m.rng.bit_generator.state == numpy_state and m.random.getstate() == python_state
    assert len(everyone) == 4 + 6 + 300
    assert [a.unique_id for a in everyone] == list(range(1, 311))  # administrations, prescribers, then citizens
    assert [type(a) for a in everyone[:10]] == [Administration] * 4 + [Prescriber] * 6
    assert [a.index for a in everyone[10:]] == list(range(300))
    assert m.citizen_agents == everyone[10:] and m.agent_types == [Administration, Prescriber, Citizen]
    pd.testing.assert_frame_equal(m.run(5), untouched.run(5))  # making them changed nothing


@pytest.mark.parametrize("ask", [lambda m: m.agents_by_type[Citizen], lambda m: m.citizen_agents,
                                 lambda m: m.agents.select(agent_type=Citizen)])
def test_every_way_of_asking_gives_the_same_citizen_agents(small, ask):
    m = CrmModel(small, rng=1)
    assert len(ask(m)) == 300
    assert list(m.agents_by_type[Citizen]) == m.citizen_agents  # made once
    with pytest.raises(AttributeError, match="model.agents"):
        m.agents = []  # Mesa's own refusal


def test_removing_every_agent_removes_the_citizens_too(small):
    m = CrmModel(small, rng=1)
    m.remove_all_agents()
    assert len(m.agents) == 0


def test_a_branch_copies_citizen_agents_that_view_its_own_arrays(small):
    m = CrmModel(small, rng=1)
    m.citizen_agents[3].knowledge = 0.5
    twin = m.branch(small.with_values({"faq_quality": 0.5}))
    twin.citizen_agents[3].knowledge = 0.25
    assert m.citizens.knowledge[3] == 0.5 and twin.citizens.knowledge[3] == 0.25


@pytest.mark.parametrize("steps", [1, 7])
def test_mesa_run_model_stops_after_the_scenarios_policy_weeks(small, steps):
    """``running`` turns false once ``steps`` weeks are recorded (the warm-up does not count)."""
    m = CrmModel(small.with_values({"steps": steps, "warmup": 5}), rng=1)
    assert m.running
    m.run_model()
    assert len(m.series()) == steps + 1 and not m.running
    assert m.steps == 5 + steps  # Mesa's own count: the warm-up, then the policy weeks


def test_prescribers_and_administrations_are_mesa_agents(small):
    m = CrmModel(small, rng=1)
    assert len(m.prescribers) == 6 and all(p.node >= 300 for p in m.prescribers)
    assert [a.name for a in m.administrations] == ["employment_agency", "housing_office", "tax_office",
                                                   "local_authority"]
    assert m.citizens.roles[:, 3].all()  # everyone deals with the local authority


def test_beta_draws_have_the_asked_mean_and_spread():
    x = beta_draws(np.random.default_rng(0), 0.65, 0.2, 100_000)
    assert x.mean() == pytest.approx(0.65, abs=0.005)
    assert x.std() == pytest.approx(0.2, abs=0.005)
    assert ((x >= 0) & (x <= 1)).all()
    assert (beta_draws(np.random.default_rng(0), 0.3, 0.0, 5) == 0.3).all()


def test_a_step_keeps_every_state_in_range_and_counts_add_up(small):
    """No warm-up and 30 weeks: the year's tallies hold the whole run, as the citizens' own counters do."""
    m = CrmModel(small.with_values({"warmup": 0}), rng=2)
    m.run(30)
    c = m.citizens
    assert ((c.knowledge >= 0) & (c.knowledge <= 1)).all()
    assert ((c.trust >= 0) & (c.trust <= 1)).all()
    t = m.year
    assert t.needs == c.needs.sum()
    assert t.redress_tries == c.redress_tries.sum() and t.lost == c.lost.sum()
    assert t.redress_tries + t.lost == t.failures  # every failure is contested or lost
    assert t.met + t.gave_up <= t.needs
    assert t.redress_decided <= t.redress_tries


def test_without_counter_staff_nobody_is_served_at_a_counter(small):
    m = CrmModel(small.with_values({"counter_staff": 0.0}), rng=3)
    for _ in range(10):  # each week's own tally (the year's still holds the warm-up's counter contacts)
        m.step()
        assert m.tally.staff_contacts == 0
    assert not (m.citizens.request_channel == Channel.COUNTER).any()


def test_a_small_counter_makes_people_wait_then_give_up():
    base = scenario(population={"n_citizens": 500}, levers={"online_push": 0.0})
    tight = CrmModel(base.with_values({"counter_staff": 0.05}), rng=4)
    roomy = CrmModel(base.with_values({"counter_staff": 5.0}), rng=4)
    tight.run(20), roomy.run(20)
    assert tight.year.gave_up > roomy.year.gave_up


def test_responsive_administrations_adapt_and_opinion_polls_adapt_less():
    def fixes(levers, seed):
        m = CrmModel(scenario(levers=levers), rng=seed)
        m.run(52)
        return m.final_metrics()["adaptations"]  # fixes in the last 52 weeks: the policy's year

    responsive = sum(fixes({"responsiveness": 1.0, "voice_collection": 1.0}, s) for s in range(5))
    deaf = sum(fixes({"responsiveness": 0.0, "voice_collection": 1.0}, s) for s in range(5))
    assert deaf == 0 and responsive > 5


def test_gini_known_values():
    assert gini(np.full(10, 0.4)) == 0.0
    for n in (2, 10, 1000):
        one_holder = np.zeros(n)
        one_holder[n // 2] = 1.0
        assert gini(one_holder) == pytest.approx((n - 1) / n)
    assert math.isnan(gini(np.zeros(5)))
    assert gini(np.array([1.0, 2.0, 3.0])) == pytest.approx(2 / 9)


def test_a_rate_with_no_denominator_is_nan_not_zero():
    assert math.isnan(rate(0, 0))
    assert rate(1, 4) == 0.25


def test_every_metric_is_collected_every_step(small):
    table = CrmModel(small, rng=5).run(4)
    assert list(table.columns) == ["step", *METRICS]
    assert len(table) == 5
    cold = CrmModel(small.with_values({"warmup": 0}), rng=5).run(1)
    assert math.isnan(cold.loc[0, "take_up"])  # no warm-up: no need has arisen yet


def test_same_seed_same_table_other_seed_other_table(small):
    a = CrmModel(small, rng=11).run(15)
    b = CrmModel(small, rng=11).run(15)
    c = CrmModel(small, rng=12).run(15)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_the_seed_defaults_to_the_scenario_seed(small):
    a = CrmModel(small.with_values({"seed": 5})).run(5)
    b = CrmModel(small, rng=5).run(5)
    pd.testing.assert_frame_equal(a, b)


def test_overrides_by_keyword_are_validated():
    assert CrmModel(n_citizens=50, faq_quality=0.4, rng=0).p.faq_quality == 0.4
    with pytest.raises(ValueError, match="faq_quality"):
        CrmModel(faq_quality=4.0, rng=0)


def test_graph_is_a_networkx_view_of_the_network(small):
    m = CrmModel(small, rng=6)
    g = m.graph
    assert g.number_of_nodes() == 306
    assert g.nodes[300]["kind"] == "prescriber"
    assert g.number_of_edges() == m.edges[0].size


def test_metrics_measured_together_equal_metrics_measured_alone_and_are_never_stale(small):
    m = CrmModel(small, rng=7)
    m.run(5)
    together = m.final_metrics()
    for name, fn in METRICS.items():
        alone = fn(m)
        assert alone == together[name] or (math.isnan(alone) and math.isnan(together[name]))
    m.citizens.trust[:] = 1.0  # e.g. a user editing state between steps
    assert m.final_metrics()["trust_mean"] == 1.0


def test_a_role_share_below_one_is_respected_and_citizens_without_role_still_count():
    s = scenario(population={"n_citizens": 2000},
                 administrations={"local_authority": {"role_share": 0.5}})
    m = CrmModel(s, rng=8)
    assert m.citizens.roles[:, 3].mean() == pytest.approx(0.5, abs=0.05)
    assert (~m.citizens.roles.any(axis=1)).any()
    assert not np.isnan(m.run(3)["trust_mean"]).any()
