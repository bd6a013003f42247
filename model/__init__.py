"""crmsim's model: citizens, prescribers and administrations under mediation policies."""

from model.model import CrmModel
from model.policies import POLICIES
from model.scenario import Scenario, ScenarioError, load_scenario, parse_scenario

__all__ = ["CrmModel", "POLICIES", "Scenario", "ScenarioError", "load_scenario", "parse_scenario"]
