"""The parameter table, policies and scenario validation."""

import math

import pytest

from crmsim.model.params import PARAMS, SECTIONS, Param, params_in
from crmsim.model.policies import POLICIES, apply_policies, lever_defaults
from crmsim.model.scenario import FIELD_PATHS, ScenarioError, parse_scenario


def test_every_parameter_has_meaning_unit_and_a_default_in_range():
    for p in PARAMS.values():
        assert p.section in SECTIONS and p.meaning and p.unit
        if p.kind in (int, float):
            assert p.low is not None and p.high is not None, p.name
            assert p.low <= p.default <= p.high


def test_a_parameter_with_low_above_high_is_refused():
    with pytest.raises(ValueError, match="above"):
        Param("x", "behaviour", "m", "u", 0.5, 1.0, 0.0)


def test_every_policy_sets_only_levers_and_composites_combine_their_parts():
    lever_names = {p.name for p in params_in("levers")}
    for policy in POLICIES.values():
        assert set(policy.levers) <= lever_names
    full = apply_policies(["full_mediation"])
    for part in POLICIES["full_mediation"].includes:
        for lever, value in POLICIES[part].levers.items():
            # each lever at its strongest setting among the parts: never weaker than a part alone
            base = PARAMS[lever].default
            assert abs(float(full[lever]) - float(base)) >= abs(float(value) - float(base))
    governance = apply_policies(["democratic_governance"])
    assert governance["transparency"] == POLICIES["transparent_feedback"].levers["transparency"]
    assert governance["responsiveness"] == POLICIES["co_design"].levers["responsiveness"]
    assert apply_policies(["supply_front_office"]) == lever_defaults()


def test_unknown_policy_names_the_known_ones():
    with pytest.raises(KeyError, match="faq"):
        apply_policies(["nope"])


def test_explicit_lever_wins_over_policy():
    s = parse_scenario({"policy": "faq", "levers": {"faq_quality": 0.2}})
    assert s.flat()["faq_quality"] == 0.2
    assert parse_scenario({"policy": ["digital_first", "faq"]}).flat()["counter_staff"] == 0.2


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"levers": {"faq_quality": 1.5}}, "levers.faq_quality"),
        ({"levers": {"faq_quallity": 0.5}}, "levers.faq_quallity"),
        ({"policy": "nope"}, "policy"),
        ({"population": {"n_citizens": 1.5}}, "population.n_citizens"),
        ({"levers": {"single_front_office": 1}}, "levers.single_front_office"),
        ({"administrations": {"tax_office": {"complexity": -1}}}, "administrations.tax_office.complexity"),
        ({"administrations": {"mars": {}}}, "administrations.mars"),
        ({"steps": 0}, "steps"),
    ],
)
def test_bad_values_give_one_line_naming_file_and_field(data, field):
    with pytest.raises(ScenarioError) as err:
        parse_scenario(data, "my.toml")
    message = str(err.value)
    assert message.startswith(f"my.toml: {field}: ")
    assert "\n" not in message and "allowed" in message


def test_with_values_revalidates_and_accepts_names_and_paths():
    s = parse_scenario({})
    assert s.with_values({"faq_quality": 0.3}).flat()["faq_quality"] == 0.3
    assert s.with_values({"administrations.tax_office.complexity": 0.9}).missions()["tax_office"].complexity == 0.9
    with pytest.raises(ScenarioError, match="levers.faq_quality"):
        s.with_values({"levers.faq_quality": 7})
    with pytest.raises(ScenarioError, match="unknown field"):
        s.with_values({"levers.nothing": 1})
    assert "levers.faq_quality" in FIELD_PATHS


def test_allowed_text_reads_like_a_person_wrote_it():
    assert PARAMS["n_citizens"].allowed() == "a whole number from 10 to 30000000"
    assert PARAMS["single_front_office"].allowed() == "true or false"
    assert not math.isnan(PARAMS["trust_loss"].default)
