"""The calibrated baseline's calibration quantities and headline metrics, per seed, computed once per suite.

Two tests read the same runs: the calibrated baseline meets every target over 20 seeds at its file's
population (tests/test_calibration.py), and at every population (tests/test_model_scale_free.py): made once
for the suite, its xdist workers included (tests/shared_runs.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from crmsim.calibration.targets import load_targets
from crmsim.model import CrmModel
from crmsim.model.metrics import QUANTITIES
from crmsim.model.scenario import load_scenario
from tests.shared_runs import per_seed

ROOT = Path(__file__).resolve().parents[1]
TARGETS = load_targets(ROOT / "calibration" / "targets.toml")
CALIBRATED = ROOT / "scenarios" / "calibrated_baseline.toml"
HEADLINE = ("trust_mean", "knowledge_gini", "redress_success", "lost_users", "non_take_up_bottom")


def compute(n_citizens: int, seed: int) -> dict[str, float]:
    """Each target's quantity (a year after the warm-up, its lever variant branched from the seed's warm-up) and
    each headline metric (the variant with no levers)."""
    warm = CrmModel(load_scenario(CALIBRATED).with_values({"n_citizens": n_citizens}), rng=seed)
    variants, values = {}, {}
    for target in TARGETS.targets:
        key = tuple(sorted(target.levers.items()))
        if key not in variants:
            variants[key] = warm.branch(warm.spec.with_values(target.levers))
            variants[key].run(TARGETS.steps, record=False)
        values[target.name] = QUANTITIES[target.quantity](variants[key])
    plain = variants[()].final_metrics()
    return values | {metric: plain[metric] for metric in HEADLINE}


def shared(n_citizens: int, seeds: Iterable[int]) -> dict[str, np.ndarray]:
    """``compute`` for each seed, made once for the suite (tests/shared_runs.py): one array per name."""
    runs = per_seed(f"calibrated_{n_citizens}", seeds, lambda seed: compute(n_citizens, seed))
    return {name: np.array([run[name] for run in runs]) for name in runs[0]}
