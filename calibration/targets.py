"""Targets files: the published figures a calibration fits, its free parameters and its settings.

A targets file (``calibration/targets.toml`` is the commented example) names a
base scenario, the weeks read after its warm-up, the free parameters with
uniform priors inside the ranges of ``model/params.py``, the ABC-SMC settings,
and the targets: each a quantity of the model (a metric, or a quantity of
``crmsim.model.metrics.QUANTITIES``), optionally under other lever values,
the published figure with its tolerance, its source, and a sentence on what is
comparable.

Errors are :class:`TargetsError`, one line naming the file, the field and what
is allowed, e.g.::

    calibration/x.toml: parameter[1].high: 12.0 is above the range of online_intercept; allowed: -10 to 10

Examples
--------
>>> spec = parse_targets({"scenario": {}, "parameter": [{"name": "trust_disposition", "low": 0.3, "high": 0.8}],
...                       "target": [{"name": "t", "quantity": "trust_share", "value": 0.45, "tolerance": 0.05,
...                                   "source": "OECD", "comparable": "shares"}]})
>>> spec.parameter_names, spec.observed
(['trust_disposition'], {'t': 0.45})
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from crmsim.model.limits import MAX_STEPS
from crmsim.model.metrics import INFO, QUANTITIES
from crmsim.model.params import PARAMS, number
from crmsim.model.scenario import Scenario, ScenarioError, load_scenario, parse_scenario
from crmsim.model.text import explain_invalid, one_line, read_toml

__all__ = ["TargetsError", "Prior", "Target", "AbcSettings", "CalibrationSpec", "parse_targets", "load_targets"]

_STRICT = ConfigDict(extra="forbid", strict=True)
_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class TargetsError(ValueError):
    """A targets file that cannot be used; the message is one line for a person."""


class Prior(BaseModel):
    """A free parameter with a uniform prior on ``[low, high]``."""

    model_config = _STRICT
    name: str
    low: float
    high: float

    @field_validator("name")
    @classmethod
    def _a_number_parameter(cls, name: str) -> str:
        param = PARAMS.get(name)
        if param is None:
            raise ValueError(f"unknown parameter {name!r}")
        if param.kind is not float:
            raise ValueError(f"{name} is not a number that can be fitted")
        return name


class Target(BaseModel):
    """A published figure and the model quantity it is compared with."""

    model_config = _STRICT
    name: Annotated[str, Field(pattern=_NAME)]
    quantity: str
    levers: dict[str, Any] = Field(default_factory=dict)
    value: float
    tolerance: Annotated[float, Field(gt=0)]
    source: Annotated[str, Field(min_length=1)]
    comparable: Annotated[str, Field(min_length=1)]

    @field_validator("quantity")
    @classmethod
    def _known_quantity(cls, quantity: str) -> str:
        if quantity not in QUANTITIES:
            raise ValueError(f"unknown quantity {quantity!r}")
        return quantity

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError(f"got {value}: a published figure is a finite number")
        return value


class AbcSettings(BaseModel):
    """ABC-SMC settings: particles per generation, and when to stop."""

    model_config = _STRICT
    population_size: Annotated[int, Field(ge=10, le=100_000)] = 200
    max_generations: Annotated[int, Field(ge=1, le=100)] = 10
    min_epsilon: Annotated[float, Field(ge=0)] = 0.5
    min_acceptance_rate: Annotated[float, Field(ge=0, le=1)] = 0.01
    max_simulations: Annotated[int, Field(ge=10, le=10_000_000)] = 40_000
    predictive_draws: Annotated[int, Field(ge=2, le=10_000)] = 40


class _File(BaseModel):
    model_config = _STRICT
    name: Annotated[str, Field(pattern=_NAME)] = "calibration"
    description: str = ""
    scenario: str | dict[str, Any]
    steps: Annotated[int, Field(ge=1, le=MAX_STEPS)] = 52
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    abc: AbcSettings = Field(default_factory=AbcSettings)
    parameter: Annotated[list[Prior], Field(min_length=1)]
    target: Annotated[list[Target], Field(min_length=1)]


@dataclass(frozen=True)
class CalibrationSpec:
    """A validated targets file: the base scenario (a Scenario), the priors, the targets, the settings."""

    name: str
    description: str
    source: str
    base: Scenario
    steps: int
    seed: int
    abc: AbcSettings
    priors: tuple[Prior, ...]
    targets: tuple[Target, ...]

    @property
    def parameter_names(self) -> list[str]:
        return [p.name for p in self.priors]

    @property
    def observed(self) -> dict[str, float]:
        """Each target's published figure, by target name (pyabc's observed summary statistics)."""
        return {t.name: t.value for t in self.targets}


def _explain(source: str, err: ValidationError) -> str:
    return explain_invalid(source, err, "calibration/targets.toml")


def parse_targets(data: dict[str, Any], source: str = "<targets>", base_dir: str | Path = ".") -> CalibrationSpec:
    """Validate a targets file given as a dict; ``scenario`` is a path relative to ``base_dir`` (or, in tests, a dict)."""
    if not isinstance(data, dict):
        raise TargetsError(f"{source}: (top level): expected a table of fields")
    try:
        spec = _File.model_validate(data)
    except ValidationError as err:
        raise TargetsError(_explain(source, err)) from None
    if isinstance(spec.scenario, dict):
        try:
            base = parse_scenario(spec.scenario, f"{source}: scenario")
        except ScenarioError as err:
            raise TargetsError(str(err)) from None
    else:
        path = Path(base_dir) / spec.scenario
        try:
            base = load_scenario(path)
        except ScenarioError as err:
            raise TargetsError(one_line(f"{source}: scenario: {err}")) from None
    seen: set[str] = set()
    for i, prior in enumerate(spec.parameter):
        param = PARAMS[prior.name]
        if prior.name in seen:
            raise TargetsError(f"{source}: parameter[{i}].name: {prior.name} is fitted twice; allowed: each once")
        seen.add(prior.name)
        if not prior.low < prior.high:
            raise TargetsError(f"{source}: parameter[{i}]: low {prior.low:g} is not below high {prior.high:g}; "
                               f"allowed: low < high")
        for end in ("low", "high"):
            value = getattr(prior, end)
            if (param.low is not None and value < param.low) or (param.high is not None and value > param.high):
                raise TargetsError(f"{source}: parameter[{i}].{end}: {value:g} is outside the range of {prior.name}; "
                                   f"allowed: {number(param.low)} to {number(param.high)}")
    names = [t.name for t in spec.target]
    for i, target in enumerate(spec.target):
        if names.count(target.name) > 1:
            raise TargetsError(f"{source}: target[{i}].name: {target.name!r} is used twice; allowed: each once")
        for lever in target.levers:
            if lever not in PARAMS or PARAMS[lever].section != "levers":
                raise TargetsError(f"{source}: target[{i}].levers.{lever}: not a lever; allowed: the levers of "
                                   f"docs/ODD.md section 2.6 (e.g. review_independence)")
        try:
            base.with_values({**target.levers, "steps": spec.steps}, source=f"{source}: target[{i}].levers")
        except ScenarioError as err:
            raise TargetsError(one_line(str(err))) from None
        low, high = INFO[target.quantity].bounds
        if not low <= target.value <= high:
            raise TargetsError(f"{source}: target[{i}].value: {target.value:g} is outside what {target.quantity} "
                               f"can be ({INFO[target.quantity].unit}); allowed: {low:g} to {high:g}")
        fitted = set(target.levers) & seen
        if fitted:
            raise TargetsError(f"{source}: target[{i}].levers: {', '.join(sorted(fitted))} is also a free "
                               f"parameter; allowed: levers that are not fitted")
    return CalibrationSpec(name=spec.name, description=spec.description, source=source,
                           base=base.with_values({"steps": spec.steps}), steps=spec.steps, seed=spec.seed,
                           abc=spec.abc, priors=tuple(spec.parameter), targets=tuple(spec.target))


def load_targets(path: str | Path) -> CalibrationSpec:
    """Read and validate a targets file (its scenario is relative to it)."""
    path = Path(path)
    data = read_toml(path, "targets file", TargetsError)
    data.setdefault("name", path.stem)
    return parse_targets(data, str(path), path.parent)
