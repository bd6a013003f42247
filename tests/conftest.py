"""Shared helpers for the tests."""

from __future__ import annotations

import pytest

from crmsim.model.administrations import MISSIONS
from crmsim.model.life_events import LIFE_EVENTS
from crmsim.model.scenario import parse_scenario

NO_NEEDS = {m: {"need_rate": 0.0} for m in MISSIONS}
NO_EVENTS = {e: {"rate": 0.0} for e in LIFE_EVENTS}


def scenario(**sections):
    """A validated scenario from section tables, e.g. scenario(levers={"faq_quality": 0.5}, warmup=0).

    Its population is 1000 citizens unless the test sets another: the model's world does not depend on the
    population (everything that grows with it is set per 1000 citizens), and the tests' seeds and tolerances
    were sized at 1000.
    """
    sections = dict(sections)
    sections["population"] = {"n_citizens": 1000, **sections.get("population", {})}
    return parse_scenario(sections, "<test>")


@pytest.fixture(scope="session", autouse=True)
def shared_runs_folder(tmp_path_factory, worker_id):
    """On pytest-xdist workers, the folder where tests/shared_runs.py keeps runs for every worker: the parent
    of the workers' own temporary folders, new for each suite."""
    from tests import shared_runs

    shared_runs.FOLDER = None if worker_id == "master" else tmp_path_factory.getbasetemp().parent


@pytest.fixture(scope="session")
def calibrated_runs():
    """``calibrated_runs(n_citizens, seeds)``: the calibrated baseline's runs (tests/calibrated_runs.py), made
    once for the whole suite, its xdist workers included."""
    from tests.calibrated_runs import shared

    return shared


@pytest.fixture
def small():
    """A small default scenario (300 citizens, 6 prescribers)."""
    return scenario(population={"n_citizens": 300, "prescribers_per_1000": 20})
