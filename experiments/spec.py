"""Experiment files: TOML read with ``tomllib``, validated with pydantic.

An experiment names a base scenario, the values set for every run (``[set]``),
the parameters to vary (``[vary]``), a design (``[design]``), replications per
design point, a master seed, the steps, and which metrics to keep at every
step or only at the end (``[outputs]``). See ``experiments/test_grid.toml``
for a commented example.

In ``[set]`` and ``[vary]`` a key is a scenario field: a parameter name
(``faq_quality``), a dotted path (``levers.faq_quality``,
``administrations.tax_office.complexity``), or ``policy`` / ``steps``. TOML's
own dotted keys (``levers.faq_quality = ...``) and quoted keys
(``"levers.faq_quality" = ...``) both work. A varied parameter takes a list of
values or a range table ``{ low = 0.0, high = 1.0 }`` (plus ``levels = N``
in a full factorial). ``vary.scenario = ["a.toml", "b.toml"]`` varies whole
scenario files (paths relative to the experiment file; the top-level
``scenario`` may then be left out): each run starts from its file, with
``[set]`` on top, and is labelled by the file's name (``crmsim compare`` is
such an experiment). Every value is checked against the model's allowed
range before anything runs, a file named in ``[set]`` or ``[vary]``
(``network_file``) is found relative to the experiment file and must exist,
and a design too big to build or run (see ``experiments.limits``) is refused
with the size it would reach.

Errors are :class:`SpecError`, one line naming the file, the field and what
is allowed, e.g.::

    experiments/x.toml: vary.levers.faq_quality: low 0.8 is above high 0.2; allowed: low < high

Examples
--------
>>> exp = parse_experiment({"scenario": {}, "vary": {"faq_quality": [0.0, 0.5]}, "replications": 2})
>>> exp.n_points, exp.n_runs, exp.factors[0].name
(2, 4, 'faq_quality')
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from crmsim.experiments.design import DESIGNS, Design, Factor, design_size, make_design
from crmsim.experiments.execute import SCENARIO_FACTOR
from crmsim.experiments.limits import too_big
from crmsim.experiments.seeds import sampler_seed
from crmsim.model.metrics import HEADLINE, METRICS
from crmsim.model.params import PARAMS
from crmsim.model.scenario import FIELD_PATHS, Scenario, ScenarioError, field_path, load_scenario, parse_scenario
from crmsim.model.text import read_toml

__all__ = ["SpecError", "ExperimentSpec", "Experiment", "load_experiment", "parse_experiment", "RESERVED_COLUMNS",
           "SCENARIO_FACTOR"]

# Columns of the results tables; a varied parameter may not take one of these names.
RESERVED_COLUMNS = ("kind", "run_id", "point", "replicate", "seed", "step", "metric", "value")
_NOT_VARIABLE = {"seed": "each run's seed comes from the master seed", "name": "it only labels a scenario",
                 "description": "it only labels a scenario"}


class SpecError(ValueError):
    """An experiment file that cannot be used; the message is one line for a person."""


_STRICT = ConfigDict(extra="forbid", strict=True)
_INT = "a whole number"


class FullFactorial(BaseModel):
    """Every combination of the varied values."""

    model_config = _STRICT
    kind: Literal["full_factorial"]


class LatinHypercube(BaseModel):
    """``samples`` points spread over the ranges (SALib's Latin hypercube)."""

    model_config = _STRICT
    kind: Literal["latin_hypercube"]
    samples: Annotated[int, Field(ge=1, le=10_000_000)]


class Sobol(BaseModel):
    """Saltelli's scheme for Sobol indices: ``samples * (D + 2)`` points, or ``samples * (2D + 2)``."""

    model_config = _STRICT
    kind: Literal["sobol"]
    samples: Annotated[int, Field(ge=2, le=10_000_000)]
    second_order: bool = False

    @field_validator("samples")
    @classmethod
    def _power_of_two(cls, n: int) -> int:
        if n & (n - 1):
            raise ValueError(f"got {n}: the Sobol sequence needs a power of 2 (e.g. {1 << (n.bit_length() - 1)} "
                             f"or {1 << n.bit_length()})")
        return n


class Morris(BaseModel):
    """``trajectories`` one-at-a-time paths on a grid of ``levels`` values per factor."""

    model_config = _STRICT
    kind: Literal["morris"]
    trajectories: Annotated[int, Field(ge=2, le=1_000_000)]
    levels: Annotated[int, Field(ge=2, le=1000)] = 4


DesignSpec = Annotated[Union[FullFactorial, LatinHypercube, Sobol, Morris], Field(discriminator="kind")]
_DESIGN_MODELS: dict[str, type[BaseModel]] = {
    "full_factorial": FullFactorial, "latin_hypercube": LatinHypercube, "sobol": Sobol, "morris": Morris}
assert set(_DESIGN_MODELS) == set(DESIGNS)


def _metric_list(value: Any) -> list[str]:
    if value == "all":
        return list(METRICS)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"got {value!r}")
    for name in value:
        if name not in METRICS:
            raise ValueError(f"unknown metric {name!r}")
    return list(dict.fromkeys(value))


class Outputs(BaseModel):
    """Which metrics are kept at every step, and which only at the end of a run."""

    model_config = _STRICT
    every_step: list[str] = Field(default_factory=lambda: list(HEADLINE))
    at_end: list[str] = Field(default_factory=lambda: list(METRICS))

    @field_validator("every_step", "at_end", mode="before")
    @classmethod
    def _known_metrics(cls, value: Any) -> list[str]:
        return _metric_list(value)

    @property
    def final(self) -> list[str]:
        """Metrics stored at the end of each run: ``at_end`` then any ``every_step`` not in it."""
        return list(dict.fromkeys([*self.at_end, *self.every_step]))


class ExperimentSpec(BaseModel):
    """The fields of an experiment file, before the scenario and the varied values are resolved."""

    model_config = _STRICT

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=100)]
    description: str = ""
    scenario: str | None = None  # required unless vary.scenario lists the scenario files
    steps: Annotated[int, Field(ge=1, le=100_000)] | None = None
    replications: Annotated[int, Field(ge=1, le=100_000)] = 1
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    design: DesignSpec = Field(default_factory=lambda: FullFactorial(kind="full_factorial"))
    set: dict[str, Any] = Field(default_factory=dict)
    vary: dict[str, Any] = Field(default_factory=dict)
    outputs: Outputs = Field(default_factory=Outputs)


class RangeSpec(BaseModel):
    """A range for a varied number: ``{ low = 0.0, high = 1.0 }``, with ``levels`` in a full factorial."""

    model_config = ConfigDict(extra="forbid", strict=True)
    low: float
    high: float
    levels: Annotated[int, Field(ge=2, le=100_000)] | None = None


# --- errors, one line each ------------------------------------------------------------------

_ALLOWED = {
    "name": "letters, digits, '_', '-' and '.', starting with a letter or digit (it names the results folder)",
    "description": "text",
    "scenario": "the path of a scenario file, relative to the experiment file (or vary.scenario = [files])",
    "vary.scenario": "a list of scenario files, relative to the experiment file, e.g. [\"../scenarios/faq.toml\"]",
    "steps": f"{_INT} from 1 to 100000",
    "replications": f"{_INT} from 1 to 100000",
    "seed": f"{_INT} from 0 to 9223372036854775807",
    "design": "a table with kind = " + " | ".join(DESIGNS),
    "design.kind": ", ".join(DESIGNS),
    "design.samples": f"{_INT} of at least 1 (sobol: a power of 2, at least 2)",
    "design.second_order": "true or false",
    "design.trajectories": f"{_INT} from 2 to 1000000",
    "design.levels": f"{_INT} from 2 to 1000 (an even number is best)",
    "set": "a table of scenario fields and values",
    "vary": "a table of scenario fields, each with a list of values or { low = ..., high = ... }",
    "outputs": "a table with every_step and at_end",
    "outputs.every_step": "'all' or a list of: " + ", ".join(METRICS),
    "outputs.at_end": "'all' or a list of: " + ", ".join(METRICS),
}


def _fields_here(loc: tuple[str, ...], data: dict[str, Any]) -> str:
    if not loc:
        return ", ".join(ExperimentSpec.model_fields)
    if loc == ("design",):
        kind = (data.get("design") or {}).get("kind")
        model = _DESIGN_MODELS.get(kind, FullFactorial)
        return ", ".join(model.model_fields)
    if loc == ("outputs",):
        return ", ".join(Outputs.model_fields)
    return ""


def _first(err: ValidationError) -> dict[str, Any]:
    """The error to show: a misspelt field first (it often causes the others), else the first."""
    errors = err.errors()
    return next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])


def _explain(source: str, err: ValidationError, data: dict[str, Any]) -> str:
    errors = err.errors()
    first = _first(err)
    raw = tuple(first["loc"])
    # Drop the discriminator tag pydantic puts after "design".
    loc = tuple(str(p) for i, p in enumerate(raw) if not (i == 1 and raw[0] == "design" and p in _DESIGN_MODELS))
    where = ".".join(loc) or "(top level)"
    kind = first["type"]
    if kind == "extra_forbidden":
        text = f"unknown field; allowed here: {_fields_here(loc[:-1], data)}"
        close = difflib.get_close_matches(loc[-1], _fields_here(loc[:-1], data).split(", "), n=1)
        if close:
            text = f"unknown field (did you mean {close[0]}?); allowed here: {_fields_here(loc[:-1], data)}"
    elif kind == "missing":
        text = f"missing; expected {_ALLOWED.get(where, 'a value')}"
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        where = "design.kind"
        got = (first.get("input") or {}).get("kind") if isinstance(first.get("input"), dict) else first.get("input")
        text = f"got {got!r}; allowed: {_ALLOWED['design.kind']}" if got is not None else \
            f"missing; expected one of {_ALLOWED['design.kind']}"
    elif kind == "value_error":
        text = f"{first['msg'].removeprefix('Value error, ')}; allowed: {_ALLOWED.get(where, 'see the example files')}"
    else:
        text = f"got {first.get('input')!r}; allowed: {_ALLOWED.get(where, first['msg'])}"
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"{source}: {where}: {text}{more}"


def _unknown_field_text(key: str) -> str:
    candidates = sorted(FIELD_PATHS | set(PARAMS))
    close = difflib.get_close_matches(key, candidates, n=1, cutoff=0.75)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return (f"unknown parameter{hint}; allowed: a parameter name (e.g. faq_quality) or a field path "
            f"(e.g. levers.faq_quality, administrations.tax_office.complexity, policy, steps); see docs/ODD.md")


def _scenario_text(err: ScenarioError, tag: str, canonical: str) -> str:
    """The part of a ScenarioError after its ``source: path:`` prefix, keeping the path when the field at fault is
    another than the one being set (a complete network refused for the population it would join)."""
    text = str(err).removeprefix(f"{tag}: ")
    if ": " not in text:
        return text
    path, rest = text.split(": ", 1)
    return rest if path == canonical else f"with {path} as it is: {rest}"


# --- resolution: scenario, set, vary ------------------------------------------------------------


def _flatten(table: dict[str, Any], *, leaf_tables: bool, prefix: str = "") -> dict[str, Any]:
    """Nested tables to dotted keys. With ``leaf_tables``, a table under a known field is a value (a range)."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        path = f"{prefix}{key}"
        is_leaf = path in FIELD_PATHS or path in PARAMS or (value and set(value) <= {"low", "high", "levels"}
                                                             if isinstance(value, dict) else False)
        if isinstance(value, dict) and not (leaf_tables and is_leaf):
            flat.update(_flatten(value, leaf_tables=leaf_tables, prefix=f"{path}."))
        else:
            flat[path] = value
    return flat


def _kind_of(canonical: tuple[str, ...]) -> type:
    if canonical[0] in ("population", "network", "behaviour", "levers"):
        return PARAMS[canonical[-1]].kind
    if canonical[0] in ("administrations", "life_events"):
        return float
    return {"steps": int, "warmup": int, "policy": str}.get(canonical[0], str)


def _normalise(value: Any, kind: type) -> Any:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _check_value(base: Scenario, canonical: str, value: Any, where: str, source: str) -> None:
    tag = "<experiment>"
    try:
        base.with_values({canonical: value}, source=tag)
    except ScenarioError as err:
        raise SpecError(f"{source}: {where}: {_scenario_text(err, tag, canonical)}") from None


def _resolve_key(key: str, where: str, source: str, seen: dict[str, str]) -> str:
    try:
        canonical = ".".join(field_path(key))
    except ScenarioError:
        raise SpecError(f"{source}: {where}: {_unknown_field_text(key)}") from None
    if canonical in _NOT_VARIABLE:
        raise SpecError(f"{source}: {where}: cannot be set here: {_NOT_VARIABLE[canonical]}; "
                        f"allowed: any other scenario field")
    if canonical in seen:
        raise SpecError(f"{source}: {where}: the same field as {seen[canonical]}; allowed: each field once")
    seen[canonical] = where
    return canonical


def _factor(key: str, canonical: str, value: Any, base: Scenario, design: str, source: str) -> Factor:
    where = f"vary.{key}"
    kind = _kind_of(tuple(canonical.split(".")))
    if key in RESERVED_COLUMNS:
        raise SpecError(f"{source}: {where}: this name is a results column; allowed: use the dotted path instead")
    if isinstance(value, list):
        if not value:
            raise SpecError(f"{source}: {where}: empty list; allowed: at least one value")
        values = []
        for i, v in enumerate(value):
            if isinstance(v, (list, dict)):
                raise SpecError(f"{source}: {where}[{i}]: got {v!r}; allowed: a number, true/false or text")
            v = _normalise(v, kind)
            _check_value(base, canonical, v, f"{where}[{i}]", source)
            values.append(v)
        if len(set(map(repr, values))) != len(values):
            raise SpecError(f"{source}: {where}: a value is listed twice; allowed: distinct values")
        return Factor(key, values=tuple(values))
    if isinstance(value, dict):
        if kind not in (int, float):
            raise SpecError(f"{source}: {where}: a range needs a number parameter; allowed: a list of values")
        try:
            rng = RangeSpec.model_validate(value)
        except ValidationError as err:
            e = _first(err)
            sub = ".".join(str(p) for p in e["loc"])
            if e["type"] == "extra_forbidden":
                text = "unknown field; allowed here: low, high, levels"
            elif e["type"] == "missing":
                text = "missing; expected a number"
            else:
                wanted = "a whole number of at least 2" if sub == "levels" else "a number"
                text = f"got {e.get('input')!r}; allowed: {wanted}"
            raise SpecError(f"{source}: {where}.{sub}: {text}") from None
        if rng.low > rng.high:
            raise SpecError(f"{source}: {where}: low {rng.low:g} is above high {rng.high:g}; allowed: low < high")
        if rng.low == rng.high:  # SALib refuses such bounds; a factorial would repeat one value
            raise SpecError(f"{source}: {where}: low and high are both {rng.low:g}; allowed: low < high "
                            f"(to fix the value, put it in [set])")
        low, high = _normalise(rng.low, kind), _normalise(rng.high, kind)
        if kind is int:
            if not (float(rng.low).is_integer() and float(rng.high).is_integer()):
                raise SpecError(f"{source}: {where}: got a fraction; allowed: whole-number low and high")
            low, high = int(rng.low), int(rng.high)
        _check_value(base, canonical, low, f"{where}.low", source)
        _check_value(base, canonical, high, f"{where}.high", source)
        if design == "full_factorial" and rng.levels is None:
            raise SpecError(f"{source}: {where}: a range in a full factorial needs levels; "
                            f"allowed: {{ low = ..., high = ..., levels = N }} or a list of values")
        if design != "full_factorial" and rng.levels is not None:
            raise SpecError(f"{source}: {where}.levels: only used by full_factorial; allowed: low and high "
                            f"(the {design} design chooses the values)")
        return Factor(key, low=low, high=high, levels=rng.levels, integer=kind is int)
    raise SpecError(f"{source}: {where}: got {value!r}; allowed: a list of values or {{ low = ..., high = ... }}")


# Scenario fields that name a file: resolved against the experiment file, as a
# scenario file's own network_file is resolved against the scenario file.
FILE_FIELDS = frozenset({"network.network_file"})


def _file_beside(value: Any, base_dir: str | Path, source: str, where: str) -> Any:
    """A file path given in an experiment, made absolute against the experiment's folder; it must exist."""
    if not isinstance(value, str) or not value:
        return value  # not a path: the scenario's own validation says what is wrong
    path = Path(value)
    if not path.is_absolute():
        path = Path(base_dir) / path
    if not path.is_file():  # also False for a name no file can have (a NUL byte)
        raise SpecError(f"{source}: {where}: no such file {os.path.abspath(path)!r}; allowed: the path of a "
                        f"network file (edge list or GraphML), relative to the experiment file")
    return str(path.resolve())


_SIZE_FIELD = {"full_factorial": "vary", "latin_hypercube": "design.samples", "sobol": "design.samples",
               "morris": "design.trajectories"}


def _check_size(spec: ExperimentSpec, factors: tuple[Factor, ...], source: str) -> None:
    """Refuse, before anything is built, a design too big for memory or a sweep of too many runs (see limits)."""
    kind, reps = spec.design.kind, spec.replications
    options = spec.design.model_dump(exclude={"kind"})
    points = design_size(kind, factors, **options)
    problem = too_big(points, len(factors), reps)
    if problem is None:
        return
    d = len(factors)
    if too_big(points, len(factors), 1) is None:
        field, cause = "replications", f"{points:,} design points x {reps:,} replications make"
    else:
        field = _SIZE_FIELD[kind]
        cause = {
            "full_factorial": lambda: " x ".join(f"{len(f.grid()):,}" for f in factors) + " values make",
            "latin_hypercube": lambda: f"{options['samples']:,} Latin hypercube samples make",
            "sobol": lambda: (f"{options['samples']:,} Sobol samples x ({'2 x ' if options['second_order'] else ''}"
                              f"{d} varied parameters + 2) make"),
            "morris": lambda: f"{options['trajectories']:,} Morris trajectories x ({d} varied parameters + 1) make",
        }[kind]()
        cause += f" {points:,} design points x {reps:,} replication{'s' if reps != 1 else ''} ="
    raise SpecError(f"{source}: {field}: {cause} {problem}")


# --- the resolved experiment -----------------------------------------------------------------


@dataclass(frozen=True)
class Experiment:
    """A validated experiment: the spec, its resolved base scenario and factors.

    ``paths`` maps each factor name to its scenario field path.
    """

    spec: ExperimentSpec
    source: str
    base: Scenario
    factors: tuple[Factor, ...]
    paths: dict[str, str]
    raw: dict[str, Any]
    scenarios: dict[str, Scenario] = field(default_factory=dict)  # vary.scenario: each file by its label

    @property
    def name(self) -> str:
        return self.spec.name

    @cached_property
    def design(self) -> Design:
        options = self.spec.design.model_dump(exclude={"kind"})
        return make_design(self.spec.design.kind, self.factors, seed=sampler_seed(self.spec.seed), **options)

    @property
    def n_points(self) -> int:
        """Design points, counted without building the design."""
        return design_size(self.spec.design.kind, self.factors, **self.spec.design.model_dump(exclude={"kind"}))

    @property
    def n_runs(self) -> int:
        return self.n_points * self.spec.replications


def _check_memory(base: Scenario, factors: list[Factor], paths: dict[str, str], source: str) -> None:
    """Refuse an experiment whose largest model would not fit in this machine's memory.

    Each varied size parameter (``SIZE_FIELDS``) is taken at its largest value
    together. A worker keeps a warmed-up model while a branch of it runs
    (runs of one world share a warm-up), so two models are counted.
    """
    from crmsim.model.sizing import SIZE_FIELDS, memory_problem

    values = base.flat()
    for factor in factors:
        if factor.name not in paths:  # vary.scenario: each file is checked as the base
            continue
        name = paths[factor.name].rsplit(".", 1)[-1]
        if name in SIZE_FIELDS:
            values[name] = max(factor.values) if factor.values is not None else factor.high
    problem = memory_problem(values, copies=2)
    if problem is not None:
        raise SpecError(f"{source}: the largest run: {problem}")


def parse_experiment(data: dict[str, Any], source: str = "<experiment>", base_dir: str | Path = ".") -> Experiment:
    """Validate an experiment given as a dict.

    ``scenario`` may be a path (relative to ``base_dir``) or, in tests, a dict
    given to :func:`model.scenario.parse_scenario`. ``name`` defaults to the
    file's stem.
    """
    if not isinstance(data, dict):
        raise SpecError(f"{source}: (top level): expected a table of fields")
    data = dict(data)
    inline_scenario = data.get("scenario") if isinstance(data.get("scenario"), dict) else None
    if inline_scenario is not None:
        data["scenario"] = "<inline>"
    data.setdefault("name", Path(source).stem if source.endswith(".toml") else "experiment")
    try:
        spec = ExperimentSpec.model_validate(data)
    except ValidationError as err:
        raise SpecError(_explain(source, err, data)) from None

    if not spec.outputs.final:
        raise SpecError(f"{source}: outputs: every_step and at_end are both empty, so no metric would be kept; "
                        f"allowed: at least one metric in either (e.g. at_end = \"all\")")

    files = spec.vary.get(SCENARIO_FACTOR)
    if spec.scenario is None and files is None:
        raise SpecError(f"{source}: scenario: missing; expected {_ALLOWED['scenario']}")
    if files is not None and spec.design.kind != "full_factorial":
        raise SpecError(f"{source}: vary.scenario: whole scenario files can only be compared in a full factorial; "
                        f"allowed: design kind = \"full_factorial\" (the default)")
    scenario_files = _scenario_files(files, base_dir, source) if files is not None else {}

    # The base scenario.
    if spec.scenario is None:
        base = next(iter(scenario_files.values()))
    elif inline_scenario is not None:
        try:
            base = parse_scenario(inline_scenario, f"{source}: scenario")
        except ScenarioError as err:
            raise SpecError(str(err)) from None
    else:
        base = _scenario_file(spec.scenario, base_dir, source, "scenario")

    # Values set for every run, then the steps (on the base, and on each varied scenario file).
    seen: dict[str, str] = {}
    tag = "<experiment>"
    settings: dict[str, Any] = {}
    for key, value in _flatten(spec.set, leaf_tables=False).items():
        canonical = _resolve_key(key, f"set.{key}", source, seen)
        if canonical in FILE_FIELDS:
            value = _file_beside(value, base_dir, source, f"set.{key}")
        kind = _kind_of(tuple(canonical.split(".")))
        try:
            base = base.with_values({canonical: _normalise(value, kind)}, source=tag)
        except ScenarioError as err:
            raise SpecError(f"{source}: set.{key}: {_scenario_text(err, tag, canonical)}") from None
        settings[canonical] = _normalise(value, kind)
    if spec.steps is not None:
        if "steps" in seen:
            raise SpecError(f"{source}: set.steps: the same field as steps; allowed: steps once, at the top")
        base = base.with_values({"steps": spec.steps})
        settings["steps"] = spec.steps
    scenarios = {label: scenario.with_values(settings, source=tag) for label, scenario in scenario_files.items()}
    if scenarios:
        base = scenarios[next(iter(scenarios))] if spec.scenario is None else base

    # The varied parameters.
    factors, paths = [], {}
    for key, value in _flatten(spec.vary, leaf_tables=True).items():
        if key == SCENARIO_FACTOR:
            factors.append(Factor(SCENARIO_FACTOR, values=tuple(scenarios)))
            continue
        canonical = _resolve_key(key, f"vary.{key}", source, seen)
        if canonical in FILE_FIELDS and isinstance(value, list):
            value = [_file_beside(v, base_dir, source, f"vary.{key}[{i}]") for i, v in enumerate(value)]
        factors.append(_factor(key, canonical, value, base, spec.design.kind, source))
        paths[key] = canonical
    if spec.design.kind != "full_factorial" and not factors:
        raise SpecError(f"{source}: vary: a {spec.design.kind} design needs at least one parameter to vary; "
                        f"allowed: {_ALLOWED['vary']}")
    _check_size(spec, tuple(factors), source)
    for scenario in scenarios.values() or (base,):
        _check_memory(scenario, factors, paths, source)
    return Experiment(spec=spec, source=source, base=base, factors=tuple(factors), paths=paths, raw=data,
                      scenarios=scenarios)


def _scenario_files(files: Any, base_dir: str | Path, source: str) -> dict[str, Scenario]:
    """``vary.scenario``: each listed scenario file, loaded, labelled by its file name's stem (as people name it;
    a name given twice gets -2, -3 ...)."""
    where = f"vary.{SCENARIO_FACTOR}"
    if not isinstance(files, list) or not files or not all(isinstance(f, str) and f for f in files):
        raise SpecError(f"{source}: {where}: got {files!r}; allowed: {_ALLOWED[where]}")
    loaded: dict[str, Scenario] = {}
    for i, name in enumerate(files):
        scenario = _scenario_file(name, base_dir, source, f"{where}[{i}]", _ALLOWED[where])
        stem = Path(name).stem
        label, copy = stem, 2
        while label in loaded:  # the same name twice (a file compared with itself): stem-2, stem-3 ...
            label, copy = f"{stem}-{copy}", copy + 1
        loaded[label] = scenario
    return loaded


def _scenario_file(name: str, base_dir: str | Path, source: str, where: str,
                   allowed: str = _ALLOWED["scenario"]) -> Scenario:
    """A scenario file named in an experiment (relative to the experiment file), loaded; SpecError if not."""
    path = Path(name) if Path(name).is_absolute() else Path(base_dir) / name
    if not path.is_file():
        raise SpecError(f"{source}: {where}: no such file {os.path.abspath(path)!r}; allowed: {allowed}")
    try:
        return load_scenario(path)
    except ScenarioError as err:
        raise SpecError(f"{source}: {where}: {err}") from None


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file; its ``scenario`` path is relative to the file."""
    path = Path(path)
    data = read_toml(path, "experiment file", SpecError)
    return parse_experiment(data, str(path), path.parent)
