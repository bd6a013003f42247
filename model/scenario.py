"""Scenario files: TOML read with ``tomllib``, validated with pydantic.

A scenario names a policy (or several, applied in order), then optionally sets
any parameter of ``model.params`` in its section table and any administration
field in ``[administrations.<mission>]``. Everything left out keeps its default.
Validation models are generated from the parameter table, so the allowed
ranges shown in errors are the ones the model uses.

Errors are :class:`ScenarioError`, whose message is one line naming the file,
the field path and what is allowed, e.g.::

    scenarios/x.toml: levers.faq_quality: got 1.5; allowed: a number from 0 to 1

Examples
--------
>>> s = Scenario.model_validate({"name": "demo", "policy": "faq"})
>>> s.flat()["faq_quality"], s.flat()["n_citizens"]
(0.6, 1000)
>>> s.with_values({"levers.faq_quality": 0.2}).flat()["faq_quality"]
0.2
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator, model_validator

from crmsim.model.administrations import MISSION_FIELDS, MISSIONS, Mission, resolve_missions
from crmsim.model.ages import AGE_FIELDS, AGE_GROUPS, AgeGroup, resolve_ages
from crmsim.model.life_events import EVENT_FIELDS, LIFE_EVENTS, LifeEvent, resolve_life_events
from crmsim.model.params import PARAMS, SECTIONS, Param, number, params_in
from crmsim.model.policies import POLICIES, apply_policies, lever_defaults
from crmsim.model.limits import MAX_STEPS, MAX_WARMUP
from crmsim.model.text import check_regular_file, one_line, read_toml

__all__ = ["Scenario", "ScenarioError", "load_scenario", "parse_scenario", "FIELD_PATHS", "POLICY_FIELDS",
           "changes_world", "DEFAULT_WARMUP", "READING_WEEKS", "MAX_WARMUP", "MAX_STEPS"]

# Weeks run under the baseline levers before the recorded series starts (see docs/ODD.md,
# "Warm-up", for how this was measured), and the most a scenario may ask for.
DEFAULT_WARMUP = 208
# Weeks recorded once the policy is on, by default: a verdict reads the yearly rates of the third year after the
# switch, when policies' effects have settled (measured: docs/ODD.md, "When an effect has settled").
READING_WEEKS = 156


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message is one line for a person."""


_STRICT = ConfigDict(extra="forbid", strict=True)


def _annotation(p: Param, optional: bool) -> Any:
    if p.choices is not None:
        kind: Any = Literal[p.choices]  # type: ignore[valid-type]
    elif p.kind is float:
        kind = float  # strict float still accepts a TOML integer
    else:
        kind = p.kind
    ann = Annotated[kind, Field(ge=p.low, le=p.high, description=p.meaning)]
    return (ann | None, None) if optional else (ann, p.default)


def _section_model(section: str) -> type[BaseModel]:
    # Levers default to None so that a policy's value shows through unless the
    # scenario sets the lever explicitly.
    optional = section == "levers"
    fields = {p.name: _annotation(p, optional) for p in params_in(section)}
    return create_model(section.capitalize(), __config__=_STRICT, **fields)


def _override_model(name: str, table: dict[str, tuple[str, float, float]]) -> type[BaseModel]:
    """A table of optional numbers, each within its allowed range (an administration's or a life event's)."""
    return create_model(name, __config__=_STRICT, **{
        field: (Annotated[float, Field(ge=lo, le=hi, description=meaning)] | None, None)
        for field, (meaning, lo, hi) in table.items()
    })


_MissionOverride = _override_model("MissionOverride", MISSION_FIELDS)
_EventOverride = _override_model("EventOverride", EVENT_FIELDS)
_AgeOverride = _override_model("AgeOverride", AGE_FIELDS)
AGES_LOC = "ages"  # where a pyramid that does not add up is refused
_SECTION_MODELS = {s: _section_model(s) for s in SECTIONS}
MissionName = Literal[tuple(MISSIONS)]  # type: ignore[valid-type]
EventName = Literal[tuple(LIFE_EVENTS)]  # type: ignore[valid-type]
AgeName = Literal[tuple(AGE_GROUPS)]  # type: ignore[valid-type]


class Scenario(BaseModel):
    """One validated scenario. Build it with :func:`load_scenario` or ``model_validate``."""

    model_config = _STRICT

    name: str = "unnamed"
    description: str = ""
    policy: str | list[str] = "supply_front_office"
    country: str | None = None  # a country profile (scenarios/countries/<code>.toml); None: the EU-27 average
    steps: Annotated[int, Field(ge=1, le=MAX_STEPS)] = READING_WEEKS
    warmup: Annotated[int, Field(ge=0, le=MAX_WARMUP)] = DEFAULT_WARMUP
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    population: _SECTION_MODELS["population"] = Field(default_factory=_SECTION_MODELS["population"])  # type: ignore[valid-type]
    network: _SECTION_MODELS["network"] = Field(default_factory=_SECTION_MODELS["network"])  # type: ignore[valid-type]
    behaviour: _SECTION_MODELS["behaviour"] = Field(default_factory=_SECTION_MODELS["behaviour"])  # type: ignore[valid-type]
    levers: _SECTION_MODELS["levers"] = Field(default_factory=_SECTION_MODELS["levers"])  # type: ignore[valid-type]
    costs: _SECTION_MODELS["costs"] = Field(default_factory=_SECTION_MODELS["costs"])  # type: ignore[valid-type]
    administrations: dict[MissionName, _MissionOverride] = Field(default_factory=dict)  # type: ignore[valid-type]
    life_events: dict[EventName, _EventOverride] = Field(default_factory=dict)  # type: ignore[valid-type]
    ages: dict[AgeName, _AgeOverride] = Field(default_factory=dict)  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _pyramid_adds_up(self) -> "Scenario":
        total = sum(group.share for group in self.age_groups().values())
        if abs(total - 1.0) > 1e-6:
            shares = ", ".join(f"{name} {number(g.share)}" for name, g in self.age_groups().items())
            raise ValueError(f"{AGES_LOC}: the age groups' shares add up to {total:.4g} ({shares})")
        return self

    @field_validator("policy")
    @classmethod
    def _known_policies(cls, value: str | list[str]) -> str | list[str]:
        if value == []:
            raise ValueError("an empty list names no policy")
        for name in [value] if isinstance(value, str) else value:
            if name not in POLICIES:
                raise ValueError(f"unknown policy {name!r}")
        return value

    @property
    def policies(self) -> list[str]:
        """The policy names, in the order they are applied."""
        return [self.policy] if isinstance(self.policy, str) else list(self.policy)

    def flat(self) -> dict[str, Any]:
        """Every model parameter by name: defaults, then policies, then explicit levers."""
        values: dict[str, Any] = {}
        for section in ("population", "network", "behaviour", "costs"):
            values.update(getattr(self, section).model_dump())
        values.update(apply_policies(self.policies))
        values.update({k: v for k, v in self.levers.model_dump().items() if v is not None})
        return values

    def warmup_flat(self) -> dict[str, Any]:
        """Every model parameter during the warm-up: this scenario's own values, every lever at its baseline."""
        return {**self.flat(), **lever_defaults()}

    def world(self) -> dict[str, Any]:
        """Everything but the policy and the prices: population, network, behaviour, administrations, life events, warm-up.

        Two scenarios with the same world and seed share their warm-up exactly,
        so one warmed-up model can be branched into either (``CrmModel.branch``).
        """
        return self.model_dump(exclude=set(POLICY_FIELDS))

    def world_key(self) -> str:
        """The world as one string, to tell at a glance whether two scenarios can share a warm-up."""
        return json.dumps(self.world(), sort_keys=True, default=str)

    def missions(self) -> dict[str, Mission]:
        """The administrations, with this scenario's overrides."""
        overrides = {m: o.model_dump(exclude_none=True) for m, o in self.administrations.items()}
        return resolve_missions(overrides)

    def age_groups(self) -> dict[str, AgeGroup]:
        """The age groups, with this scenario's overrides (its population pyramid)."""
        return resolve_ages({a: o.model_dump(exclude_none=True) for a, o in self.ages.items()})

    def events(self) -> dict[str, LifeEvent]:
        """The life events, with this scenario's overrides."""
        return resolve_life_events({e: o.model_dump(exclude_none=True) for e, o in self.life_events.items()})

    def _without_country_values(self, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` less the values equal to those this scenario's country (or the EU default) gives."""
        from crmsim.model.countries import country_values

        for table, given in country_values(self.country or "eu").items():
            own = data.get(table, {})
            for name, value in given.items():
                if own.get(name) == value:
                    del own[name]
        return data

    def with_values(self, values: dict[str, Any], source: str = "<overrides>") -> "Scenario":
        """A new, re-validated scenario with some values changed.

        Keys are dotted field paths (``levers.faq_quality``,
        ``administrations.tax_office.complexity``, ``steps``) or bare
        parameter names (``faq_quality``).
        """
        data = self.model_dump(exclude_none=True)
        if "country" in values:  # what the old country set gives way to the new one's
            data = self._without_country_values(data)
        for key, value in values.items():
            path = field_path(key)
            target = data
            for part in path[:-1]:
                target = target.setdefault(part, {})
            target[path[-1]] = value
        return parse_scenario(data, source)


# Fields that once meant something else: a file that still names one is refused with the field that replaced it,
# never silently read with another meaning.
RENAMED: dict[str, tuple[str, str]] = {
    "population.n_prescribers": ("population.prescribers_per_1000",
                                 "prescribers are now counted per 1000 citizens, so that a larger population keeps the "
                                 "same world: 20 prescribers among 1000 citizens is prescribers_per_1000 = 20"),
    "population.skill_mean": ("population.basic_skills_share",
                              "citizens' skills now follow their age, and a population is described by its share "
                              "with at least basic digital skills, as Eurostat publishes it: the EU's is 0.567"),
}


def _renamed(path: str) -> str | None:
    """The one-line explanation for a field that was replaced, given its dotted path or bare name, or None."""
    full = next((old for old in RENAMED if path in (old, old.rsplit(".", 1)[1])), None)
    if full is None:
        return None
    new, why = RENAMED[full]
    return f"{full}: replaced by {new} ({why})"


def field_path(key: str) -> list[str]:
    """Turn a bare parameter name or a dotted path into a path of keys.

    Raises ScenarioError for a name that is neither.
    """
    renamed = _renamed(key)
    if renamed is not None:
        raise ScenarioError(renamed)
    if key in PARAMS:
        return [PARAMS[key].section, key]
    if key == "country":
        return ["country"]
    path = key.split(".")
    if key in FIELD_PATHS:
        return path
    raise ScenarioError(f"{key}: unknown field; use a parameter name (e.g. faq_quality) or a path "
                        f"(e.g. levers.faq_quality, administrations.tax_office.complexity)")


# What a scenario's world leaves out: what can change between branches of one warm-up. The run's seed
# is given apart (``CrmModel(rng=...)``), so the scenario's own ``seed`` is not part of the world either;
# costs are prices, read by the cost metrics only, never by the dynamics.
POLICY_FIELDS = ("name", "description", "policy", "levers", "costs", "steps", "seed")


def changes_world(key: str) -> bool:
    """Whether setting this field (a parameter name or a dotted path) changes the scenario's world.

    Runs that differ only in fields that do not can share one warm-up (``CrmModel.branch``).

    >>> changes_world("levers.faq_quality"), changes_world("policy"), changes_world("population.n_citizens")
    (False, False, True)
    """
    return field_path(key)[0] not in POLICY_FIELDS


FIELD_PATHS: set[str] = (
    {"name", "description", "policy", "country", "steps", "warmup", "seed"}
    | {f"{p.section}.{p.name}" for p in PARAMS.values()}
    | {f"administrations.{m}.{f}" for m in MISSIONS for f in MISSION_FIELDS}
    | {f"life_events.{e}.{f}" for e in LIFE_EVENTS for f in EVENT_FIELDS}
    | {f"ages.{a}.{f}" for a in AGE_GROUPS for f in AGE_FIELDS}
)


def _allowed(loc: tuple[Any, ...]) -> str:
    """What is allowed at a field path, in words."""
    last = str(loc[-1]) if loc else ""
    if last in PARAMS and len(loc) == 2:
        return PARAMS[last].allowed()
    for table, fields in (("administrations", MISSION_FIELDS), ("life_events", EVENT_FIELDS), ("ages", AGE_FIELDS)):
        if len(loc) == 3 and loc[0] == table and last in fields:
            _, lo, hi = fields[last]
            return f"a number from {number(lo)} to {number(hi)}"
    if loc == ("policy",) or (loc and loc[0] == "policy"):
        return "a policy name or a list of them: " + ", ".join(POLICIES)
    if len(loc) == 2 and loc[0] == "administrations" and loc[1] in MISSIONS:
        return "a table of: " + ", ".join(MISSION_FIELDS)
    if len(loc) == 2 and loc[0] == "administrations":
        return "a table named one of " + ", ".join(MISSIONS)
    if len(loc) == 1 and loc[0] in SECTIONS:
        return "a table of: " + ", ".join(p.name for p in params_in(loc[0]))
    if len(loc) == 1 and loc[0] == "administrations":
        return "tables named " + ", ".join(MISSIONS)
    if len(loc) == 2 and loc[0] == "life_events" and loc[1] in LIFE_EVENTS:
        return "a table of: " + ", ".join(EVENT_FIELDS)
    if len(loc) == 2 and loc[0] == "life_events":
        return "a table named one of " + ", ".join(LIFE_EVENTS)
    if len(loc) == 1 and loc[0] == "life_events":
        return "tables named " + ", ".join(LIFE_EVENTS)
    if len(loc) == 2 and loc[0] == "ages" and loc[1] in AGE_GROUPS:
        return "a table of: " + ", ".join(AGE_FIELDS)
    if len(loc) == 2 and loc[0] == "ages":
        return "a table named one of " + ", ".join(AGE_GROUPS)
    if len(loc) == 1 and loc[0] == "ages":
        return "tables named " + ", ".join(AGE_GROUPS)
    return {
        "steps": f"a whole number from 1 to {MAX_STEPS}",
        "warmup": f"a whole number from 0 to {MAX_WARMUP}",
        "seed": "a whole number of at least 0",
        "name": "text",
        "description": "text",
    }.get(last, "see docs/ODD.md")


def _fields_here(loc: tuple[Any, ...]) -> str:
    if len(loc) == 1:
        return ("name, description, policy, country, steps, warmup, seed, " + ", ".join(SECTIONS)
                + ", administrations, life_events, ages")
    if len(loc) == 2 and loc[0] in SECTIONS:
        return ", ".join(p.name for p in params_in(loc[0]))
    if len(loc) == 3 and loc[0] == "administrations":
        return ", ".join(MISSION_FIELDS)
    if len(loc) == 3 and loc[0] == "life_events":
        return ", ".join(EVENT_FIELDS)
    if len(loc) == 3 and loc[0] == "ages":
        return ", ".join(AGE_FIELDS)
    return "see docs/ODD.md"


def _explain(source: str, err: ValidationError) -> str:
    errors = err.errors()
    first = errors[0]
    if first["type"] == "value_error" and not first["loc"] and AGES_LOC in first["msg"]:  # the pyramid as a whole
        text = first["msg"].removeprefix("Value error, ").removeprefix(f"{AGES_LOC}: ")
        return one_line(f"{source}: ages: {text}; allowed: shares adding up to 1 (set every group's share in "
                        f"[ages.<group>], groups {', '.join(AGE_GROUPS)})")
    loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and p.startswith(("literal[", "list["))))
    loc = tuple(p for p in loc if p not in ("str", "[key]") and not str(p).startswith("function-after"))
    where = ".".join(str(p) for p in loc) if loc else "(top level)"
    if first["type"] == "extra_forbidden":
        text = f"unknown field; allowed here: {_fields_here(loc)}"
    elif first["type"] == "missing":
        text = f"missing; expected {_allowed(loc)}"
    else:
        text = f"got {first.get('input')!r}; allowed: {_allowed(loc)}"
        if first["type"] == "value_error":
            text = f"{first['msg'].removeprefix('Value error, ')}; allowed: {_allowed(loc)}"
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return one_line(f"{source}: {where or '(empty name)'}: {text}{more}")


def parse_scenario(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a scenario given as a dict; ``source`` names it in errors."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: (top level): expected a table of fields")
    data = _with_country(data, source)
    for old in RENAMED:
        section, name = old.split(".")
        if isinstance(data.get(section), dict) and name in data[section]:
            raise ScenarioError(f"{source}: {_renamed(old)}")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(_explain(source, err)) from None
    _check_network_size(scenario, source)
    return scenario


def _with_country(data: dict[str, Any], source: str) -> dict[str, Any]:
    """The scenario's data with its country's values under its own (``model.countries``): its own values win."""
    code = data.get("country")
    if code is None:
        return data
    from crmsim.model.countries import CountryError, country_values

    if not isinstance(code, str):
        raise ScenarioError(f"{source}: country: got {code!r}; allowed: a country code, e.g. \"dk\"")
    try:
        values = country_values(code)
    except CountryError as err:
        raise ScenarioError(f"{source}: country: {err}") from None
    merged = dict(data)
    for table, defaults in values.items():
        own = data.get(table, {})
        if not isinstance(own, dict):
            return data  # validation names the field
        if table == "ages":
            merged[table] = {name: {**value, **own.get(name, {})} if isinstance(own.get(name, {}), dict) else own[name]
                             for name, value in defaults.items()}
            merged[table].update({name: value for name, value in own.items() if name not in defaults})
        else:
            merged[table] = {**defaults, **own}
    return merged


def _check_network_size(scenario: Scenario, source: str) -> None:
    """Refuse at read time what the model would refuse at its first run: a complete network too large to hold."""
    from crmsim.model.network import COMPLETE_MAX

    n = scenario.population.n_citizens
    if scenario.network.topology == "complete" and n > COMPLETE_MAX:
        raise ScenarioError(f"{source}: population.n_citizens: got {n}; allowed with "
                            f"network.topology = 'complete': at most {COMPLETE_MAX}")


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; a relative ``network_file`` is resolved beside it."""
    path = Path(path)
    data = read_toml(path, "scenario file", ScenarioError)
    scenario = parse_scenario(data, str(path))
    file_field = scenario.network.network_file
    if scenario.network.topology == "file":
        if not file_field:
            raise ScenarioError(f"{path}: network.network_file: missing; topology = 'file' needs a file path")
        network_file = (path.parent / file_field).resolve()
        try:
            check_regular_file(network_file, "network file", ScenarioError)
        except ScenarioError as err:
            raise ScenarioError(f"{path}: network.network_file: {err}") from None
        scenario = scenario.model_copy(
            update={"network": scenario.network.model_copy(update={"network_file": str(network_file)})}
        )
    return scenario


def check_runnable(path: str | Path) -> Scenario:
    """Read a scenario file and everything it points to, as its first run would: its network file read and its
    memory estimated. Raise ScenarioError (one line, naming ``path``) if it cannot run; commands call this
    before they make any folder, so a bad file leaves nothing behind.
    """
    from crmsim.model.network import NetworkFileError, read_network_file
    from crmsim.model.sizing import memory_problem

    scenario = load_scenario(path)
    degree = None
    if scenario.network.topology == "file":
        try:
            n, edges, _ = read_network_file(scenario.network.network_file)
        except NetworkFileError as err:
            raise ScenarioError(f"{path}: network.network_file: {err}") from None
        degree = 2 * len(edges) / n
    problem = memory_problem(scenario.flat(), mean_degree=degree)
    if problem is not None:
        raise ScenarioError(f"{path}: {problem}")
    return scenario
