"""Held-out patterns (``calibration/patterns.toml``): read them, run them, set the model beside each figure.

A pattern is a model quantity (:data:`~crmsim.model.validation_quantities.PATTERN_QUANTITIES`)
the calibration never saw, compared with a published figure: within the
figure plus or minus a tolerance, or at least / at most it. Each pattern may
change parameters (``set``) or run the base scenario in a country
(``country``: its profile in ``scenarios/countries/`` sets the indicator
inputs, e.g. skills, people offline, what can be done online).

Verdicts read the 95% interval of the mean over the seeds (Student's t):
*reproduced* when it lies inside what the figure allows, *missed* when it
lies wholly outside, *unclear* when it straddles the edge, and *no
counterpart* when the quantity is undefined in every run (e.g. a ratio
among people the model never has).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from scipy import stats

from crmsim.model.scenario import Scenario, ScenarioError, load_scenario
from crmsim.model.text import explain_invalid, one_line, read_toml

__all__ = ["PatternsError", "PatternsSpec", "load_patterns", "parse_patterns", "PatternRuns",
           "run_chunk", "chunks", "summarise", "VERDICTS", "LEVEL"]

LEVEL = 0.95
VERDICTS = ("reproduced", "missed", "unclear", "no counterpart")
_STRICT = ConfigDict(extra="forbid", strict=True)
_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class PatternsError(ValueError):
    """A patterns file that cannot be used; the message is one line naming the file and the field."""


class Pattern(BaseModel):
    model_config = _STRICT
    name: Annotated[str, Field(pattern=_NAME)]
    quantity: str
    value: float
    bound: Literal["within", "at_least", "at_most"] = "within"
    tolerance: Annotated[float, Field(ge=0)]
    tolerance_reason: Annotated[str, Field(min_length=1)]
    source: Annotated[str, Field(min_length=1)]
    checked: Annotated[str, Field(min_length=1)]
    comparable: Annotated[str, Field(min_length=1)]
    # A known miss: which mechanism it points to. The test suite holds the model to it: a pattern with no
    # ``miss`` must be reproduced, one with a ``miss`` must not be (else the file is out of date).
    miss: str = ""
    set: dict[str, float | int | bool] = Field(default_factory=dict)
    # The pattern is a country's figure: its runs are the base scenario in that country (scenarios/countries/).
    country: str | None = None

    @field_validator("quantity")
    @classmethod
    def _known_quantity(cls, quantity: str) -> str:
        from crmsim.model.validation_quantities import PATTERN_QUANTITIES

        if quantity not in PATTERN_QUANTITIES:
            raise ValueError(f"unknown quantity {quantity!r}; allowed: a metric, or one of "
                             f"{', '.join(sorted(set(PATTERN_QUANTITIES) - _metric_names()))}")
        return quantity

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    def allowed(self) -> tuple[float, float]:
        """The range of model values the figure allows."""
        low, high = self.value - self.tolerance, self.value + self.tolerance
        return {"within": (low, high), "at_least": (low, math.inf), "at_most": (-math.inf, high)}[self.bound]

    def figure(self) -> str:
        """The figure as a person reads it: '0.15 +- 0.05', 'at least 0.13'."""
        if self.bound == "within":
            return f"{self.value:g} +- {self.tolerance:g}"
        word = "at least" if self.bound == "at_least" else "at most"
        return f"{word} {self.value - self.tolerance if self.bound == 'at_least' else self.value + self.tolerance:g}"


def _metric_names() -> set[str]:
    from crmsim.model.metrics import METRICS

    return set(METRICS)


class NotCompared(BaseModel):
    model_config = _STRICT
    name: Annotated[str, Field(pattern=_NAME)]
    source: Annotated[str, Field(min_length=1)]
    reason: Annotated[str, Field(min_length=1)]


class _File(BaseModel):
    model_config = _STRICT
    name: Annotated[str, Field(pattern=_NAME)] = "patterns"
    description: str = ""
    scenario: str
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    reps: Annotated[int, Field(ge=2, le=1000)] = 20
    pattern: Annotated[list[Pattern], Field(min_length=1)]
    not_compared: list[NotCompared] = Field(default_factory=list)


@dataclass(frozen=True)
class PatternsSpec:
    """A validated patterns file: the base scenario, the patterns, and what is listed but not compared."""

    name: str
    description: str
    source: str
    base: Scenario
    seed: int
    reps: int
    patterns: tuple[Pattern, ...]
    not_compared: tuple[NotCompared, ...]

    def values(self, pattern: Pattern) -> dict[str, Any]:
        """The values this pattern's runs change from the base scenario (its country's, if it names one)."""
        values: dict[str, Any] = dict(pattern.set)
        if pattern.country is not None:
            values["country"] = pattern.country
        return values


def parse_patterns(data: dict[str, Any], source: str = "<patterns>", base_dir: str | Path = ".") -> PatternsSpec:
    """Validate a patterns file given as a dict; ``scenario`` is a path relative to ``base_dir``."""
    if not isinstance(data, dict):
        raise PatternsError(f"{source}: (top level): expected a table of fields")
    try:
        spec = _File.model_validate(data)
    except ValidationError as err:
        raise PatternsError(explain_invalid(source, err, "calibration/patterns.toml")) from None
    try:
        base = load_scenario(Path(base_dir) / spec.scenario)
    except ScenarioError as err:
        raise PatternsError(one_line(f"{source}: scenario: {err}")) from None
    names = [p.name for p in spec.pattern] + [n.name for n in spec.not_compared]
    result = PatternsSpec(spec.name, spec.description, source, base, spec.seed, spec.reps, tuple(spec.pattern),
                          tuple(spec.not_compared))
    for i, pattern in enumerate(spec.pattern):
        if names.count(pattern.name) > 1:
            raise PatternsError(f"{source}: pattern[{i}].name: {pattern.name!r} is used twice; allowed: each once")
        try:
            base.with_values(result.values(pattern), source=f"{source}: pattern[{i}].set")
        except ScenarioError as err:
            raise PatternsError(one_line(str(err).replace(": country:", f": pattern[{i}].country:"))) from None
    for i, item in enumerate(spec.not_compared):
        if names.count(item.name) > 1:
            raise PatternsError(f"{source}: not_compared[{i}].name: {item.name!r} is used twice; allowed: each once")
    return result


def load_patterns(path: str | Path) -> PatternsSpec:
    """Read and validate a patterns file (its scenario is relative to it)."""
    path = Path(path)
    data = read_toml(path, "patterns file", PatternsError)
    return parse_patterns(data, str(path), path.parent)


# -- running -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PatternRuns:
    """Runs to make, as plain data (it pickles to worker processes and Dask workers).

    One run serves every pattern with the same changed values: its quantities are all read from it.
    """

    base: dict[str, Any]  # the base scenario, dumped
    # (world, seed, values, ((pattern, quantity), ...)) per run
    runs: tuple[tuple[int, int, tuple[tuple[str, Any], ...], tuple[tuple[str, str], ...]], ...]


def chunks(spec: PatternsSpec, worlds: list[tuple[int, dict[str, float]]], reps: int, size: int) -> list[PatternRuns]:
    """Every pattern in every world (world -1: the calibrated baseline itself), ``reps`` common seeds each."""
    from crmsim.experiments.seeds import replicate_seed

    seeds = [replicate_seed(spec.seed, r) for r in range(reps)]
    runs = []
    for world, world_values in worlds:
        variants: dict[tuple[tuple[str, Any], ...], list[tuple[str, str]]] = {}
        for p in spec.patterns:
            key = tuple(sorted({**world_values, **spec.values(p)}.items()))
            variants.setdefault(key, []).append((p.name, p.quantity))
        runs += [(world, seed, key, tuple(read)) for key, read in variants.items() for seed in seeds]
    base = spec.base.model_dump(mode="json", exclude_none=True)
    return [PatternRuns(base, tuple(runs[i:i + size])) for i in range(0, len(runs), size)]


def run_chunk(chunk: PatternRuns) -> list[dict[str, Any]]:
    """Each run's quantities: one row per (pattern, world, seed)."""
    from crmsim.model.model import CrmModel
    from crmsim.model.scenario import parse_scenario
    from crmsim.model.validation_quantities import PATTERN_QUANTITIES

    base = parse_scenario(chunk.base, "<patterns>")
    rows = []
    for world, seed, values, read in chunk.runs:
        model = CrmModel(base.with_values({**dict(values), "seed": seed}))
        model.run(record=False)
        rows += [{"pattern": pattern, "world": world, "seed": seed,
                  "value": float(PATTERN_QUANTITIES[quantity](model))} for pattern, quantity in read]
    return rows


def _interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% Student-t interval of the mean (NaN when fewer than two defined values)."""
    values = values[np.isfinite(values)]
    if values.size < 2:
        return (float(values.mean()) if values.size else math.nan), math.nan, math.nan
    mean, error = float(values.mean()), float(stats.sem(values))
    if error == 0:
        return mean, mean, mean
    low, high = stats.t.interval(LEVEL, values.size - 1, loc=mean, scale=error)
    return mean, float(low), float(high)


def verdict(pattern: Pattern, low: float, high: float) -> str:
    """Reproduced, missed or unclear: where the interval of the mean lies against what the figure allows."""
    if math.isnan(low) or math.isnan(high):
        return "no counterpart"
    allowed_low, allowed_high = pattern.allowed()
    if allowed_low <= low and high <= allowed_high:
        return "reproduced"
    if high < allowed_low or low > allowed_high:
        return "missed"
    return "unclear"


def summarise(spec: PatternsSpec, runs: pd.DataFrame) -> pd.DataFrame:
    """One row per pattern: the figure, the model's mean and interval (baseline), the worlds' range, the verdict."""
    rows = []
    for pattern in spec.patterns:
        mine = runs[runs["pattern"] == pattern.name]
        base = mine[mine["world"] < 0]["value"].to_numpy()
        # Defined in fewer than half the runs, the quantity is not something the model has.
        mean, low, high = _interval(base) if np.isfinite(base).sum() * 2 >= base.size else (math.nan,) * 3
        worlds = mine[mine["world"] >= 0].groupby("world")["value"].mean().dropna()
        rows.append({
            "pattern": pattern.name, "quantity": pattern.quantity, "figure": pattern.figure(),
            "value": pattern.value, "bound": pattern.bound, "tolerance": pattern.tolerance,
            "model_mean": mean, "model_low": low, "model_high": high,
            "defined_runs": int(np.isfinite(base).sum()), "runs": int(base.size),
            "worlds": int(worlds.size),
            "worlds_low": float(worlds.quantile(0.05)) if worlds.size else math.nan,
            "worlds_high": float(worlds.quantile(0.95)) if worlds.size else math.nan,
            "worlds_reproducing": (float(np.mean([verdict(pattern, v, v) == "reproduced" for v in worlds]))
                                   if worlds.size else math.nan),
            "verdict": verdict(pattern, low, high), "miss": pattern.miss,
            "country": pattern.country or "",
            "set": ", ".join(f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}"
                             for k, v in pattern.set.items()),
            "tolerance_reason": pattern.tolerance_reason, "source": pattern.source, "checked": pattern.checked,
            "comparable": pattern.comparable})
    return pd.DataFrame(rows)
