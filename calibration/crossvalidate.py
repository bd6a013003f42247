"""Leave-one-out cross-validation of the fit: how much each target constrains the others.

Five free parameters fitted to five figures can meet them whatever the
mechanisms. Refitting with one target left out, then predicting it from the
posterior of the other four, says whether the model's structure carries
information from the other figures to that one (a prediction inside the
tolerance) or whether the left-out figure is met only because it was fitted
(a prediction far off, or an interval wide enough to hold anything).

Each refit is a normal calibration (``calibrate``) of the targets file minus
one target, into ``<out>/<name>_without_<target>/``, so it resumes like one;
its posterior is then re-run with the full set of targets' quantities
(``predictive``) to read the left-out one.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from crmsim.calibration.fit import PREDICTIVE_HIGH, PREDICTIVE_LOW, calibrate
from crmsim.calibration.outputs import predictive
from crmsim.calibration.targets import CalibrationSpec
from crmsim.experiments.store import atomic_write

__all__ = ["leave_one_out", "without"]


def without(spec: CalibrationSpec, target: str) -> CalibrationSpec:
    """The targets file with one target removed, under its own name (so its folder is its own)."""
    return dataclasses.replace(spec, name=f"{spec.name}_without_{target}",
                               targets=tuple(t for t in spec.targets if t.name != target))


def leave_one_out(spec: CalibrationSpec, out: str | Path, sampler_for: Callable[[], Any], *,
                  say: Callable[[str], None] = lambda text: None) -> pd.DataFrame:
    """Refit without each target in turn and predict it; write and return ``leave_one_out.csv``'s table.

    ``sampler_for()`` makes a fresh pyabc sampler for each refit. A refit
    already finished in ``out`` is read, not rerun (so a stopped
    cross-validation goes on where it stopped).
    """
    rows = []
    for target in spec.targets:
        reduced = without(spec, target.name)
        folder = Path(out) / reduced.name
        if not (folder / "posterior.parquet").is_file():
            say(f"refit without {target.name} ({len(reduced.targets)} targets) into {folder}/")
            calibrate(reduced, out, sampler_for(), resume=(folder / "history.db").is_file(),
                      on_generation=lambda g: say("  " + g.line()))
        post = pd.read_parquet(folder / "posterior.parquet")
        predicted = predictive(spec, post)[target.name]
        median = float(predicted.median())
        rows.append({
            "left_out": target.name, "quantity": target.quantity, "value": target.value,
            "tolerance": target.tolerance, "predicted_median": median,
            "predicted_low": float(predicted.quantile(PREDICTIVE_LOW)),
            "predicted_high": float(predicted.quantile(PREDICTIVE_HIGH)),
            "miss_in_tolerances": (median - target.value) / target.tolerance,
            "within_tolerance": abs(median - target.value) <= target.tolerance,
            "refit_generations": int(pd.read_csv(folder / "generations.csv").shape[0]),
        })
        say(f"  {target.name}: figure {target.value:g} +- {target.tolerance:g}, predicted {median:.3f} "
            f"({rows[-1]['predicted_low']:.3f} to {rows[-1]['predicted_high']:.3f})")
    table = pd.DataFrame(rows)
    folder = Path(out) / f"{spec.name}_leave_one_out"
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(folder / "leave_one_out.csv", lambda p: table.to_csv(p, index=False))
    return table
