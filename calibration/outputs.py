"""What a calibration leaves behind: the posterior, its predictive check, the calibrated scenario, the report.

Every file is written atomically (a temporary file, then a rename), so a
reader never sees half of one:

- ``posterior.parquet``: the last generation's particles and weights;
- ``generations.csv``: epsilon, simulations and acceptance per generation;
- ``predictive.parquet``: ``predictive_draws`` particles drawn by weight,
  each re-run with a fresh seed: what the fitted model says, with its spread;
- ``fit.csv``: each target's figure and tolerance beside the posterior
  predictive median and 90% interval, and whether the median is within
  tolerance;
- ``calibrated_baseline.toml``: the base scenario at the posterior's weighted
  median, commented with the targets and the run that produced it;
- ``report.html``: all of it as figures, offline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crmsim.calibration.fit import (PREDICTIVE_HIGH, PREDICTIVE_LOW, inputs_digest, seed_of, simulator_for,
                                    weighted_quantile)
from crmsim.calibration.posterior_file import write_posterior
from crmsim.calibration.targets import CalibrationSpec
from crmsim.experiments.store import atomic_write, code_version, now
from crmsim.model.params import PARAMS

__all__ = ["write_outputs", "generations", "predictive", "fit_table", "calibrated_scenario", "shrinkage"]


def generations(history: Any) -> pd.DataFrame:
    """Per generation: epsilon, simulations, particles kept and the acceptance rate."""
    table = history.get_all_populations()
    table = table[table["t"] >= 0][["t", "epsilon", "samples", "particles"]].rename(
        columns={"t": "generation", "samples": "simulations"}).reset_index(drop=True)
    table["acceptance"] = table["particles"] / table["simulations"]
    return table


def predictive(spec: CalibrationSpec, posterior: pd.DataFrame, on_run=None) -> pd.DataFrame:
    """``predictive_draws`` particles drawn by weight and re-run with fresh seeds: one row per draw."""
    rng = np.random.default_rng(spec.seed)
    draws = rng.choice(len(posterior), size=spec.abc.predictive_draws, p=posterior["weight"].to_numpy())
    simulator = simulator_for(spec)
    rows = []
    for i, index in enumerate(draws):
        values = {name: float(posterior.loc[index, name]) for name in spec.parameter_names}
        rows.append({"draw": i, **values, **simulator.run(values, seed_of(values, salt=i + 1))})
        if on_run is not None:
            on_run(i)
    return pd.DataFrame(rows)


def fit_table(spec: CalibrationSpec, predicted: pd.DataFrame) -> pd.DataFrame:
    """Each target against the posterior predictive: median, 90% interval, within tolerance or not."""
    rows = []
    for target in spec.targets:
        values = predicted[target.name].dropna().to_numpy()
        median = float(np.median(values)) if values.size else float("nan")
        rows.append({
            "target": target.name, "quantity": target.quantity,
            "levers": ", ".join(f"{k} = {v}" for k, v in target.levers.items()),
            "value": target.value, "tolerance": target.tolerance, "predictive_median": median,
            "predictive_low": float(np.quantile(values, PREDICTIVE_LOW)) if values.size else float("nan"),
            "predictive_high": float(np.quantile(values, PREDICTIVE_HIGH)) if values.size else float("nan"),
            "within_tolerance": bool(abs(median - target.value) <= target.tolerance),
            "source": target.source, "comparable": target.comparable})
    return pd.DataFrame(rows)


def shrinkage(spec: CalibrationSpec, posterior: pd.DataFrame) -> pd.DataFrame:
    """Per parameter: the posterior median, its 90% interval, and that interval's width over the prior's.

    Near 0: the targets pin the parameter down; near 0.9 (a uniform prior's
    own 90% width): they leave it free.
    """
    weights = posterior["weight"].to_numpy()
    rows = []
    for prior in spec.priors:
        values = posterior[prior.name].to_numpy()
        low, high = (weighted_quantile(values, weights, q) for q in (PREDICTIVE_LOW, PREDICTIVE_HIGH))
        rows.append({"parameter": prior.name, "prior_low": prior.low, "prior_high": prior.high,
                     "median": weighted_quantile(values, weights, 0.5), "low": low, "high": high,
                     "width_over_prior": (high - low) / (prior.high - prior.low)})
    return pd.DataFrame(rows)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return repr(value)


def _significant(x: float, digits: int = 4) -> float:
    """``x`` to ``digits`` significant figures: the posterior's median is not known any better."""
    return float(f"{x:.{digits}g}")


def calibrated_scenario(spec: CalibrationSpec, table: pd.DataFrame, fits: pd.DataFrame, gens: pd.DataFrame,
                        simulations: int) -> str:
    """The base scenario at the posterior median, as a commented scenario file."""
    fitted = {row.parameter: _significant(row.median) for row in table.itertuples()}
    base = spec.base.model_dump(exclude_none=True)
    lines = [
        "# Calibrated baseline",
        "# ===================",
        f"# The base scenario ({spec.base.name}) with its free parameters at the posterior median of the",
        f"# calibration {spec.name!r} ({spec.source}): ABC-SMC (pyabc), {len(gens)} generations,",
        f"# {simulations:,} simulations, final epsilon {gens['epsilon'].iloc[-1]:.3g} (root mean square",
        f"# distance to the figures, in tolerances); {now()}, {code_version()}.",
        "#",
        "# The targets, and the posterior predictive median (90% interval) of the fitted model:",
    ]
    for row in fits.itertuples():
        mark = "within" if row.within_tolerance else "OUTSIDE"
        lines.append(f"#   {row.target}: figure {row.value:g} +- {row.tolerance:g}; model {row.predictive_median:.3f} "
                     f"({row.predictive_low:.3f} to {row.predictive_high:.3f}), {mark} tolerance")
    lines += ["#",
              "# Paper: sections 1 and 2.1 (the supply view of e-administration: pages and a counter),",
              "# at levels measured in Europe today (docs/ODD.md section 6.4).",
              "#",
              "# Check it with:  crmsim validate scenarios/calibrated_baseline.toml", ""]
    lines += [f'name = "calibrated_baseline"',
              f"description = {_toml('The supply front office fitted to published figures (' + spec.name + ')')}",
              f"policy = {_toml(base['policy'])}   # the baseline policy (list them all with: crmsim policies)",
              f"steps = {base['steps']}   # weeks recorded once the policy is on",
              f"seed = {base['seed']}   # the same seed gives the same people and the same run",
              f"warmup = {base['warmup']}   # weeks the baseline runs first, to settle"]
    for section in ("population", "network", "behaviour"):
        values = dict(base.get(section, {}))
        explicit = {k: v for k, v in values.items() if v != PARAMS[k].default}
        explicit.update({k: v for k, v in fitted.items() if PARAMS[k].section == section})
        if not explicit:
            continue
        lines += ["", f"[{section}]"]
        for key, value in explicit.items():
            note = f"   # fitted: 90% interval {table.set_index('parameter').loc[key, 'low']:.3g} to " \
                   f"{table.set_index('parameter').loc[key, 'high']:.3g}" if key in fitted else \
                "   # as in the base scenario"
            lines.append(f"{key} = {_toml(value)}{note}")
    levers = {k: v for k, v in base.get("levers", {}).items() if v is not None}
    if levers:
        lines += ["", "[levers]", *(f"{k} = {_toml(v)}   # as in the base scenario" for k, v in levers.items())]
    for table_name in ("administrations", "life_events"):
        for key, fields in base.get(table_name, {}).items():
            fields = {k: v for k, v in fields.items() if v is not None}
            if fields:
                lines += ["", f"[{table_name}.{key}]",
                          *(f"{k} = {_toml(v)}   # as in the base scenario" for k, v in fields.items())]
    return "\n".join(lines) + "\n"


def write_outputs(spec: CalibrationSpec, folder: Path, history: Any, post: pd.DataFrame, on_run=None) -> None:
    """Every output file of a finished (or stopped) calibration, into ``folder``."""
    from crmsim.viz.calibration_report import write_calibration_report

    gens = generations(history)
    predicted = predictive(spec, post, on_run)
    fits = fit_table(spec, predicted)
    table = shrinkage(spec, post)
    write_posterior(folder / "posterior.parquet", post, {p.name: (p.low, p.high) for p in spec.priors},
                    targets_file=spec.source, calibration=spec.name, inputs=inputs_digest(spec))
    atomic_write(folder / "generations.csv", lambda p: gens.to_csv(p, index=False))
    atomic_write(folder / "predictive.parquet", lambda p: predicted.to_parquet(p, index=False))
    atomic_write(folder / "fit.csv", lambda p: fits.to_csv(p, index=False))
    atomic_write(folder / "parameters.csv", lambda p: table.to_csv(p, index=False))
    simulations = int(history.total_nr_simulations)
    scenario = calibrated_scenario(spec, table, fits, gens, simulations)
    atomic_write(folder / "calibrated_baseline.toml", lambda p: p.write_text(scenario, encoding="utf-8"))
    html = write_calibration_report(spec, post, predicted, fits, table, gens, simulations)
    atomic_write(folder / "report.html", lambda p: p.write_text(html, encoding="utf-8"))
