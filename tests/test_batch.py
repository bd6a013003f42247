"""Mesa's batch_run counts max_steps from the start of the warm-up, which CrmModel's constructor runs: the trap
reproduced with Mesa's own function, refused by ours, and avoided by counting weeks of the policy."""

from __future__ import annotations

import doctest
import multiprocessing

import mesa
import numpy as np
import pytest

from crmsim.experiments import batch
from crmsim.experiments.batch import batch_run
from crmsim.model.metrics import METRICS
from crmsim.model.model import CrmModel

SMALL = {"n_citizens": 200, "warmup": 30, "faq_quality": [0.0, 1.0]}  # the two ends of the lever
OPTIONS = {"rng": 3, "display_progress": False}


def same_metrics(a: dict, b: dict) -> bool:
    """Every metric equal in both rows (a rate with nothing to count is NaN in both)."""
    return np.array_equal([a[m] for m in METRICS], [b[m] for m in METRICS], equal_nan=True)


@pytest.fixture
def start_method():
    """Mesa's batch_run sets the process's start method to "spawn": put it back for the tests after this one."""
    before = multiprocessing.get_start_method(allow_none=True)
    yield before
    multiprocessing.set_start_method(before, force=True)


def test_mesas_own_batch_run_with_max_steps_inside_the_warm_up_returns_the_warm_ups_state(start_method):
    """The trap, as a Mesa user meets it: ten steps asked, none of the policy run, both levers alike."""
    low, high = mesa.batch_run(CrmModel, SMALL, max_steps=10, **OPTIONS)
    assert (low["faq_quality"], high["faq_quality"]) == (0.0, 1.0)
    assert low["Step"] == high["Step"] == SMALL["warmup"]  # Mesa's clock had passed 10 before the first policy week
    assert same_metrics(low, high)


def test_ours_refuses_a_max_steps_inside_the_warm_up_in_one_line():
    with pytest.raises(ValueError) as refused:
        batch_run(CrmModel, SMALL, max_steps=10, **OPTIONS)
    message = str(refused.value)
    assert "\n" not in message and "max_steps=10 ends inside the warm-up (30 weeks" in message
    assert "policy_weeks=N" in message  # what to do instead


def test_counted_in_policy_weeks_two_faq_qualities_give_two_results():
    before = multiprocessing.get_start_method(allow_none=True)
    low, high = batch_run(CrmModel, SMALL, policy_weeks=8, **OPTIONS)
    assert multiprocessing.get_start_method(allow_none=True) == before  # Mesa's "spawn" did not stay behind
    assert (low["faq_quality"], high["faq_quality"]) == (0.0, 1.0)
    assert low["policy_week"] == high["policy_week"] == 8 and low["Step"] == SMALL["warmup"] + 8
    assert not same_metrics(low, high)


def test_every_run_gets_its_policy_weeks_whatever_its_warm_up_and_mesas_max_steps_counts_from_the_start():
    rows = batch_run(CrmModel, {"n_citizens": 200, "warmup": [2, 9]}, policy_weeks=4, data_collection_period=1,
                     **OPTIONS)
    for warmup in (2, 9):
        weeks = [(row["policy_week"], row["Step"]) for row in rows if row["warmup"] == warmup]
        assert weeks == [(week, warmup + week) for week in range(5)]  # row 0: the settled state before the policy
    [row] = batch_run(CrmModel, {"n_citizens": 200, "warmup": 9}, max_steps=12, **OPTIONS)
    assert row["policy_week"] == 3


@pytest.mark.parametrize("kwargs, words", [
    ({"policy_weeks": 4, "max_steps": 300}, "both given"),
    ({"policy_weeks": 0}, "policy_weeks=0; allowed: a whole number of at least 1"),
    ({"policy_weeks": 4, "parameters": {"steps": 10}}, "parameters name steps"),
])
def test_contradictory_counts_are_refused_in_one_line(kwargs, words):
    kwargs = {"parameters": {"n_citizens": 200, "warmup": 2}, **kwargs}
    with pytest.raises(ValueError, match=words) as refused:
        batch_run(CrmModel, **kwargs, **OPTIONS)
    assert "\n" not in str(refused.value)


def test_the_modules_example_runs():
    failed, tried = doctest.testmod(batch)
    assert tried > 0 and failed == 0
