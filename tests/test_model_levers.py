"""A lever that moves nothing is a bug (DESIGN 5a): every lever moves at least one metric between its bounds.

The levers come from the parameter table (``model.params``), so a new lever is
covered the day it is added. Each is set to its lowest and its highest allowed
value (off and on for a switch), every other lever at the baseline, on the
same 16 warmed-up seeds, for a year. A metric *moves* when the 95% interval of
its paired difference excludes zero after a Bonferroni correction over the
metrics (each interval at 1 - 0.05 / number of metrics), so a dead lever
passes by chance less than 5% of the time, not once per metric.
"""

import pytest

from crmsim.model.metrics import METRICS
from crmsim.model.params import params_in
from tests.conftest import scenario
from tests.paired import finals, paired

SEEDS = range(16)
LEVEL = 1 - 0.05 / len(METRICS)


def _ends(param):
    if param.kind is bool:
        return False, True
    return param.kind(param.low), param.kind(param.high)


# A lever that only acts through another one is tried where that one is on.
CONTEXT = {"data_protection_redress": {"interconnection": 1.0},  # a recourse against file sharing needs sharing
           # staff time, not voice, bounds fixes: bundled complaints matter where nothing else collects voice
           "prescriber_bundling": {"voice_collection": 0.0}}


@pytest.mark.parametrize("lever", params_in("levers"), ids=lambda p: p.name)
def test_every_lever_moves_at_least_one_metric_between_its_bounds(lever):
    low, high = _ends(lever)
    context = CONTEXT.get(lever.name, {})
    at_low = finals(scenario(levers={**context, lever.name: low}), SEEDS)
    at_high = finals(scenario(levers={**context, lever.name: high}), SEEDS)
    moved = {}
    for metric in METRICS:
        if at_low[metric].isna().all() and at_high[metric].isna().all():
            continue
        try:
            change = paired(at_low, at_high, metric, level=LEVEL)
        except AssertionError:  # a rate with no value at one end (e.g. redress success with no procedure)
            continue
        if change.low > 0 or change.high < 0:
            moved[metric] = str(change)
    assert moved, f"{lever.name} from {low} to {high} moves no metric"
