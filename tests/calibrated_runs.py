"""The calibrated baseline's calibration quantities and headline metrics, per seed, computed once per suite.

Two tests read the same runs: the calibrated baseline meets every target over 20 seeds at its file's
population (tests/test_calibration.py), and at every population (tests/test_model_scale_free.py). Each seed's
runs are kept in the session's shared temporary folder, so with pytest-xdist the workers share them out
instead of each running all of them.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

from crmsim.calibration.targets import load_targets
from crmsim.model import CrmModel
from crmsim.model.metrics import QUANTITIES
from crmsim.model.scenario import load_scenario

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


def shared(folder: Path | None, n_citizens: int, seeds: Iterable[int]) -> dict[str, np.ndarray]:
    """``compute``, seed by seed, kept in ``folder`` (shared by the suite's workers).

    A worker takes each seed no other worker is computing (a file lock tried without waiting), reads those
    another has finished, and waits only for the last ones still running elsewhere: two workers that need the
    runs at once share the work rather than one idling while the other computes. ``folder`` None (a run
    without xdist) computes in place: a folder kept across runs would serve runs of an older model.
    """
    seeds = list(seeds)
    if folder is None:
        return compute(n_citizens, seeds)
    paths = {seed: folder / f"calibrated_{n_citizens}_seed{seed}.pickle" for seed in seeds}
    while pending := [seed for seed in seeds if not paths[seed].exists()]:
        for seed in pending:
            try:
                with FileLock(f"{paths[seed]}.lock", timeout=0):
                    if not paths[seed].exists():
                        partial = paths[seed].with_suffix(".partial")
                        partial.write_bytes(pickle.dumps(compute(n_citizens, [seed])))
                        partial.replace(paths[seed])  # whole or absent: a reader never sees half a file
            except Timeout:
                continue  # another worker is computing it
        time.sleep(0.2)
    runs = [pickle.loads(paths[seed].read_bytes()) for seed in seeds]
    return {name: np.concatenate([run[name] for run in runs]) for name in runs[0]}
