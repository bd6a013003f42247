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

A refit already saved is reused only if it is this targets file's with
today's model: before anything runs, every refit folder is checked against
its inputs (``fit.inputs_change``: priors, figures, base scenario, particles,
seed, and the model that ran it), and a finished one's posterior against its
own provenance; any difference is refused in one line naming the folder, with
the ``--fresh`` hint, rather than mixing refits of other inputs into the table.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from crmsim.calibration.fit import (FRESH_HINT, PREDICTIVE_HIGH, PREDICTIVE_LOW, CalibrationError, calibrate, discard,
                                    inputs_change, inputs_digest)
from crmsim.calibration.outputs import predictive
from crmsim.calibration.posterior_file import PosteriorError, read_posterior
from crmsim.calibration.targets import CalibrationSpec
from crmsim.experiments.store import StoreError, atomic_write
from crmsim.texts.i18n import _

__all__ = ["leave_one_out", "without", "check_targets"]


def without(spec: CalibrationSpec, target: str) -> CalibrationSpec:
    """The targets file with one target removed, under its own name (so its folder is its own)."""
    return dataclasses.replace(spec, name=f"{spec.name}_without_{target}",
                               targets=tuple(t for t in spec.targets if t.name != target))


def check_targets(spec: CalibrationSpec) -> None:
    """CalibrationError (one line) unless ``spec`` has a target left to fit once any one is left out."""
    if len(spec.targets) < 2:
        raise CalibrationError(f"{spec.source}: target: --leave-one-out needs at least two targets, this file has "
                               f"{len(spec.targets)}; allowed: two or more (with one left out, another must be left "
                               f"to fit)")


def _check_refits(spec: CalibrationSpec, out: Path) -> None:
    """CalibrationError (one line) for the first refit folder saved with other inputs or by another model, or a
    file where a folder goes."""
    table_folder = out / f"{spec.name}_leave_one_out"
    if table_folder.exists() and not table_folder.is_dir():
        raise CalibrationError(f"{table_folder}: is a file, not a folder; allowed: --out a folder you can write")
    for target in spec.targets:
        reduced = without(spec, target.name)
        folder = out / reduced.name
        if folder.exists() and not folder.is_dir():
            raise CalibrationError(f"{folder}: is a file, not a folder; allowed: --out a folder you can write")
        if folder.is_dir() and any(folder.iterdir()):
            changed = inputs_change(reduced, folder)
            if changed:
                raise CalibrationError(f"{spec.source}: the refit without {target.name} in {folder} cannot be "
                                       f"reused: {changed}; {FRESH_HINT}")
            if (folder / "posterior.parquet").is_file():
                _finished_refit(reduced, folder)  # every refusal before any run


def _finished_refit(reduced: CalibrationSpec, folder: Path) -> tuple[pd.DataFrame, int]:
    """A finished refit's posterior, checked against its provenance, and its generations."""
    try:
        posterior = read_posterior(folder / "posterior.parquet")
        generations = pd.read_csv(folder / "generations.csv").shape[0]
    except (PosteriorError, OSError, ValueError) as err:
        raise CalibrationError(f"{folder}: its outputs cannot be used ({' '.join(str(err).split())}); "
                               f"{FRESH_HINT}") from None
    if posterior.provenance.get("inputs") != inputs_digest(reduced):
        raise CalibrationError(f"{folder / 'posterior.parquet'}: written by another calibration than the refit "
                               f"without its target; {FRESH_HINT}")
    return posterior.table, int(generations)


def leave_one_out(spec: CalibrationSpec, out: str | Path, sampler_for: Callable[[], Any], *, fresh: bool = False,
                  say: Callable[[str], None] = lambda text: None) -> pd.DataFrame:
    """Refit without each target in turn and predict it; write and return ``leave_one_out.csv``'s table.

    ``sampler_for()`` makes a fresh pyabc sampler for each refit. A refit
    already finished in ``out`` is read, not rerun (so a stopped
    cross-validation goes on where it stopped), once checked to be this
    file's; ``fresh`` discards every refit and the table first.
    """
    out = Path(out)
    table_folder = out / f"{spec.name}_leave_one_out"
    check_targets(spec)
    if fresh:
        for target in spec.targets:
            discard(out / without(spec, target.name).name)
        if (table_folder / "leave_one_out.csv").is_file():
            (table_folder / "leave_one_out.csv").unlink()
    _check_refits(spec, out)
    rows = []
    for target in spec.targets:
        reduced = without(spec, target.name)
        folder = out / reduced.name
        if not (folder / "posterior.parquet").is_file():
            say(_("refit without {target} ({n} targets) into {folder}/").format(target=target.name,
                                                                               n=len(reduced.targets), folder=folder))
            calibrate(reduced, out, sampler_for(), resume=(folder / "history.db").is_file(),
                      on_generation=lambda g: say("  " + g.line()))
        post, generations = _finished_refit(reduced, folder)
        predicted = predictive(spec, post)[target.name]
        median = float(predicted.median())
        rows.append({
            "left_out": target.name, "quantity": target.quantity, "value": target.value,
            "tolerance": target.tolerance, "predicted_median": median,
            "predicted_low": float(predicted.quantile(PREDICTIVE_LOW)),
            "predicted_high": float(predicted.quantile(PREDICTIVE_HIGH)),
            "miss_in_tolerances": (median - target.value) / target.tolerance,
            "within_tolerance": abs(median - target.value) <= target.tolerance,
            "refit_generations": generations,
        })
        say("  " + _("{target}: figure {value} +- {tolerance}, predicted {median} ({low} to {high})").format(
            target=target.name, value=f"{target.value:g}", tolerance=f"{target.tolerance:g}", median=f"{median:.3f}",
            low=f"{rows[-1]['predicted_low']:.3f}", high=f"{rows[-1]['predicted_high']:.3f}"))
    table = pd.DataFrame(rows)
    try:
        atomic_write(table_folder / "leave_one_out.csv", lambda p: table.to_csv(p, index=False))
    except StoreError as err:
        raise CalibrationError(str(err)) from None
    return table
