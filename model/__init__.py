"""crmsim's model: citizens, prescribers and administrations under mediation policies.

The names below load on first use, so that ``import model.scenario`` (the
command line's validation, say) does not pay for importing Mesa.
"""

from importlib import import_module

__all__ = ["CrmModel", "POLICIES", "Scenario", "ScenarioError", "load_scenario", "parse_scenario"]

_HOME = {
    "CrmModel": "crmsim.model.model",
    "POLICIES": "crmsim.model.policies",
    "Scenario": "crmsim.model.scenario",
    "ScenarioError": "crmsim.model.scenario",
    "load_scenario": "crmsim.model.scenario",
    "parse_scenario": "crmsim.model.scenario",
}


def __getattr__(name: str):
    if name in _HOME:
        return getattr(import_module(_HOME[name]), name)
    raise AttributeError(f"module 'model' has no attribute {name!r}")
