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


def compute(n_citizens: int, seeds: Iterable[int]) -> dict[str, np.ndarray]:
    """One value per seed of each target's quantity (a year after the warm-up, its lever variant branched from
    that seed's warm-up) and of each headline metric (the variant with no levers)."""
    base = load_scenario(CALIBRATED).with_values({"n_citizens": n_citizens})
    values: dict[str, list[float]] = {}
    for seed in seeds:
        warm = CrmModel(base, rng=seed)
        variants = {}
        for target in TARGETS.targets:
            key = tuple(sorted(target.levers.items()))
            if key not in variants:
                variants[key] = warm.branch(warm.spec.with_values(target.levers))
                variants[key].run(TARGETS.steps, record=False)
            values.setdefault(target.name, []).append(QUANTITIES[target.quantity](variants[key]))
        plain = variants[()].final_metrics()
        for metric in HEADLINE:
            values.setdefault(metric, []).append(plain[metric])
    return {k: np.array(v) for k, v in values.items()}


def shared(n_citizens: int, seeds: Iterable[int]) -> dict[str, np.ndarray]:
    """``compute``, seed by seed, made once for the suite (tests/shared_runs.py)."""
    runs = per_seed(f"calibrated_{n_citizens}", seeds, lambda seed: compute(n_citizens, [seed]))
    return {name: np.concatenate([run[name] for run in runs]) for name in runs[0]}
